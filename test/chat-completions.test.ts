// Chat completions end to end: the official openai client -> Crossway -> each cloud's emulator.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { runConformance } from './conformance.case.test.ts';
import { SINGLE_ROUTE_MODELS, startStack, type Stack } from './support/start-stack.ts';

const EXPECTED_ROUTE: Record<string, string> = {
  'via-azure-v1': 'azure-v1-only',
  'via-azure-deployments': 'azure-deployments-only',
  'via-openai': 'openai-only',
};

// Every chat feature on each upstream wire form (Azure v1, Azure deployments, OpenAI), through the conformance suite.
const stack: Stack = await startStack();
after(() => stack.close());
for (const model of SINGLE_ROUTE_MODELS) {
  runConformance({ client: stack.client, model, routeId: EXPECTED_ROUTE[model]! });
}

describe('POST /v1/chat/completions', () => {
  it('passes unknown fields through to OpenAI-wire upstreams and replaces only the model', async () => {
    await stack.client.chat.completions.create({
      model: 'via-openai',
      messages: [{ role: 'user', content: 'hi' }],
      // @ts-expect-error -- a field the client types do not know
      x_vendor_option: { keep: true },
      metadata: { team: 'search' },
      store: false,
    });
    const entry = (await stack.journal('openai')).at(-1);
    assert.equal(entry?.body?.model, 'gpt-5.5');
    assert.deepEqual(entry?.body?.x_vendor_option, { keep: true });
    assert.deepEqual(entry?.body?.metadata, { team: 'search' });
  });

  it('resolves a model alias', async () => {
    const { response } = await stack.client.chat.completions.create({ model: 'gpt-latest', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal(response.headers.get('x-crossway-route'), 'azure-eastus2-gpt-5.5');
  });

  it('keeps Azure content-filter annotations', async () => {
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'via-azure-v1', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = (await response.json()) as Record<string, unknown> & { choices: Array<Record<string, unknown>> };
    assert.ok(Array.isArray(body.prompt_filter_results));
    assert.ok(body.choices[0]?.content_filter_results !== undefined);
  });
});
