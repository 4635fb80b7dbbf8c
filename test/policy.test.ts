// Policy routing end to end with the official openai client: constraints from the request body and headers, fail-closed
// residency and compliance, capability and context checks, first-ship windows on a frozen date, fallback models, and
// the decision record behind every response.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startDemoStack, type DemoStack } from './support/start-demo-stack.ts';
import { startStack, type Stack } from './support/start-stack.ts';

interface DecisionRecord {
  id: string;
  model: string;
  kept: Array<{ route: string; rank: number }>;
  rejected: Array<{ route: string; reasons: Array<{ code: string; detail: string }> }>;
  attempts: Array<{ route: string; status: number }>;
}

const HELLO = [{ role: 'user' as const, content: 'Hello policy' }];

async function decision(url: string, key: string, id: string | null): Promise<DecisionRecord> {
  assert.ok(id, 'x-crossway-decision header present');
  const response = await fetch(`${url}/v1/crossway/decisions/${id}`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(response.status, 200);
  return (await response.json()) as DecisionRecord;
}

function reasonsOf(record: DecisionRecord, route: string): string[] {
  return record.rejected.find((entry) => entry.route === route)?.reasons.map((reason) => reason.code) ?? [];
}

describe('policy routing on the demo catalog (frozen at 2026-11-15)', () => {
  let stack: DemoStack;
  before(async () => {
    // Faults in one case must not eject routes for the next: a high ejection threshold keeps the cases independent.
    stack = await startDemoStack({ now: () => new Date('2026-11-15T12:00:00Z'), execute: { outlier: { consecutive_failures: 1000 } } });
  });
  afterEach(async () => {
    for (const emulator of Object.values(stack.demo.emulators.emulators)) await fetch(`${emulator.url}/__emulator/faults`, { method: 'DELETE' });
  });
  after(async () => {
    await stack.close();
  });

  const create = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    stack.client.chat.completions
      .create({ model: 'gpt-5.5', messages: HELLO, ...body } as OpenAI.ChatCompletionCreateParamsNonStreaming, { headers })
      .withResponse();

  it('an EU-only request answers from the EU route and explains why the others were rejected', async () => {
    const { response } = await create({ crossway: { regions: ['eu'] } });
    assert.match(response.headers.get('x-crossway-route') ?? '', /^azure-swedencentral-gpt-5\.5/);
    const record = await decision(stack.gateway.url, stack.demo.masterKey, response.headers.get('x-crossway-decision'));
    assert.equal(record.model, 'gpt-5.5');
    assert.ok(reasonsOf(record, 'azure-eastus2-gpt-5.5.shared').includes('region'));
    assert.ok(reasonsOf(record, 'openai-global-gpt-5.5.shared').includes('region'));
    assert.equal(record.attempts.at(-1)?.status, 200);
  });

  it('the same constraint as headers', async () => {
    const { response } = await create({}, { 'x-crossway-regions': 'eu' });
    assert.match(response.headers.get('x-crossway-route') ?? '', /^azure-swedencentral-gpt-5\.5/);
  });

  it('EU-only fails closed when the EU route is down: never served from another region', async () => {
    await fetch(`${stack.demo.emulators.emulators.azure!.url}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"status": 503}',
    });
    const before = (
      await Promise.all(
        ['bedrock', 'openai'].map(
          async (cloud) => (await (await fetch(`${stack.demo.emulators.emulators[cloud]!.url}/__emulator/requests`)).json()) as { data: unknown[] },
        ),
      )
    ).map((journal) => journal.data.length);
    await assert.rejects(
      create({ crossway: { regions: ['eu'] } }),
      (error: unknown) => error instanceof OpenAI.APIError && /swedencentral/.test(error.message) && !/eastus2|openai-global|bedrock/.test(error.message),
    );
    const afterCalls = (
      await Promise.all(
        ['bedrock', 'openai'].map(
          async (cloud) => (await (await fetch(`${stack.demo.emulators.emulators[cloud]!.url}/__emulator/requests`)).json()) as { data: unknown[] },
        ),
      )
    ).map((journal) => journal.data.length);
    assert.deepEqual(afterCalls, before, 'no other cloud was called');
  });

  it('allow_fallbacks: false tries only the first planned route', async () => {
    await fetch(`${stack.demo.emulators.emulators.azure!.url}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"status": 503}',
    });
    const failed = await create({ crossway: { allow_fallbacks: false } }).then(
      () => null,
      (error: unknown) => error,
    );
    assert.ok(failed instanceof OpenAI.APIError && /azure-eastus2/.test(failed.message) && !/bedrock|openai-global|swedencentral/.test(failed.message));
    const allowed = await create({}, { 'x-crossway-allow-fallbacks': 'true' });
    assert.doesNotMatch(allowed.response.headers.get('x-crossway-route') ?? '', /^azure-eastus2/);
  });

  it('no route in the region at all is a 400 naming the constraint', async () => {
    await assert.rejects(
      create({ crossway: { regions: ['apac'] } }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && /region/.test(error.message) && error.code === 'no_route_matches_policy',
    );
  });

  it('a hipaa requirement excludes untagged routes', async () => {
    const { response } = await create({ crossway: { compliance: ['hipaa'], providers: { order: ['bedrock'] } } });
    assert.match(response.headers.get('x-crossway-route') ?? '', /^(bedrock-us-east-2|azure-eastus2)-gpt-5\.5/);
    const record = await decision(stack.gateway.url, stack.demo.masterKey, response.headers.get('x-crossway-decision'));
    assert.ok(reasonsOf(record, 'azure-swedencentral-gpt-5.5.shared').includes('compliance'));
    assert.ok(reasonsOf(record, 'openai-global-gpt-5.5.shared').includes('compliance'));
  });

  it('providers.only: ["bedrock"] answers from Bedrock, in the body or as a header', async () => {
    const { response } = await create({ crossway: { providers: { only: ['bedrock'] } } });
    assert.match(response.headers.get('x-crossway-route') ?? '', /^bedrock-us-east-2-gpt-5\.5/);
    const viaHeader = await create({}, { 'x-crossway-providers-only': 'bedrock' });
    assert.match(viaHeader.response.headers.get('x-crossway-route') ?? '', /^bedrock-us-east-2-gpt-5\.5/);
  });

  it('the crossway object and the models list never reach the cloud', async () => {
    await create({ crossway: { providers: { only: ['openai'] } }, models: ['gpt-5.5'] });
    const journal = (await (await fetch(`${stack.demo.emulators.emulators.openai!.url}/__emulator/requests`)).json()) as {
      data: Array<{ body: Record<string, unknown> }>;
    };
    const body = journal.data.at(-1)?.body ?? {};
    assert.equal(body.crossway, undefined);
    assert.equal(body.models, undefined);
  });

  it('a bad crossway object is a 400 naming the parameter', async () => {
    await assert.rejects(
      create({ crossway: { providers: { only: 'bedrock' } } }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && /crossway\.providers\.only/.test(error.param ?? ''),
    );
  });

  it('inside the first-ship window only the primary serves gpt-5.6', async () => {
    const { response } = await stack.client.chat.completions.create({ model: 'gpt-5.6', messages: HELLO }).withResponse();
    assert.match(response.headers.get('x-crossway-route') ?? '', /^azure-eastus2-gpt-5\.6/);
    const record = await decision(stack.gateway.url, stack.demo.masterKey, response.headers.get('x-crossway-decision'));
    for (const route of ['openai-global-gpt-5.6.shared', 'bedrock-us-east-2-gpt-5.6.shared'])
      assert.ok(reasonsOf(record, route).includes('first_ship_window'), route);
  });

  it('a fallback model list moves to the next model when the first has no route that may serve', async () => {
    const { response } = await create({ model: 'gpt-5.6', models: ['gpt-5.6', 'gpt-5.5'], crossway: { regions: ['eu'] } });
    assert.match(response.headers.get('x-crossway-route') ?? '', /^azure-swedencentral-gpt-5\.5/);
  });
});

describe('policy routing: capabilities and context windows', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      models: [{ id: 'chat' }],
      routes: (urls) => [
        {
          id: 'small-no-tools',
          model: 'chat',
          provider: 'openai',
          endpoint: `${urls.openai}/v1`,
          deployment: 'gpt-5.5',
          auth: { type: 'bearer', key: 'sk-emulator-openai' },
          capabilities: ['streaming'],
          limits: { context: 200 },
        },
        {
          id: 'large-with-tools',
          model: 'chat',
          provider: 'azure',
          endpoint: urls.azure,
          deployment: 'gpt-5.5',
          auth: { type: 'api-key', key: 'emulator-azure-key' },
          capabilities: ['tools', 'streaming'],
          limits: { context: 400000 },
        },
      ],
    });
  });
  after(async () => {
    await stack.close();
  });

  it('a plain short request takes the first route', async () => {
    const { response } = await stack.client.chat.completions.create({ model: 'chat', messages: HELLO }).withResponse();
    assert.equal(response.headers.get('x-crossway-route'), 'small-no-tools');
  });

  it('a request with tools skips the route without tools', async () => {
    const { response } = await stack.client.chat.completions
      .create({ model: 'chat', messages: HELLO, tools: [{ type: 'function', function: { name: 'noop', parameters: { type: 'object', properties: {} } } }] })
      .withResponse();
    assert.equal(response.headers.get('x-crossway-route'), 'large-with-tools');
  });

  it('a long prompt skips the route whose context window is too small', async () => {
    const { response } = await stack.client.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'words '.repeat(400) }] })
      .withResponse();
    assert.equal(response.headers.get('x-crossway-route'), 'large-with-tools');
  });

  it('requested output that cannot fit makes the plan fail closed with a 400', async () => {
    await assert.rejects(
      stack.client.chat.completions.create({ model: 'chat', messages: HELLO, max_completion_tokens: 500_000 }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && /context/.test(error.message),
    );
  });
});
