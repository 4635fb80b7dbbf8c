// Failover across clouds on the demo catalog, streaming: Azure -> Bedrock for gpt-5.5, Bedrock -> Vertex for
// gpt-oss-120b, and a Bedrock exception frame after the first bytes ending the client's stream with an error event.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startDemoStack, type DemoStack } from './support/start-demo-stack.ts';
import { WAIT_MS } from './support/wait-for.ts';

describe('cross-cloud failover (demo catalog)', () => {
  let stack: DemoStack;
  before(async () => {
    stack = await startDemoStack();
  });
  afterEach(async () => {
    for (const emulator of Object.values(stack.demo.emulators.emulators)) await fetch(`${emulator.url}/__emulator/faults`, { method: 'DELETE' });
  });
  after(async () => {
    await stack.close();
  });

  async function fault(cloud: string, faults: Record<string, unknown>): Promise<void> {
    const emulator = stack.demo.emulators.emulators[cloud];
    assert.ok(emulator, cloud);
    const response = await fetch(`${emulator.url}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(faults),
    });
    assert.equal(response.status, 200);
  }

  async function streamText(model: string): Promise<{ text: string; route: string | null }> {
    const { data, response } = await stack.client.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'Fail over and stream' }], stream: true, stream_options: { include_usage: true } })
      .withResponse();
    let text = '';
    let usage = 0;
    for await (const chunk of data) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage += chunk.usage?.completion_tokens ?? 0;
    }
    assert.ok(usage > 0, 'usage arrives after failover');
    return { text, route: response.headers.get('x-crossway-route') };
  }

  it('Azure failing -> gpt-5.5 streams from Bedrock', async () => {
    await fault('azure', { status: 503 });
    const { text, route } = await streamText('gpt-5.5');
    assert.match(route ?? '', /^bedrock-us-east-2-gpt-5\.5/);
    assert.match(text, /Fail over and stream/);
  });

  it('Bedrock throttling -> gpt-oss-120b streams from Vertex', async () => {
    await fault('bedrock', { status: 429, retry_after_s: 1 });
    const { text, route } = await streamText('gpt-oss-120b');
    assert.match(route ?? '', /^vertex-us-central1-gpt-oss-120b/);
    assert.match(text, /Fail over and stream/);
  });

  it('Bedrock unavailable -> gpt-oss-120b non-streaming from Vertex', async () => {
    await fault('bedrock', { status: 503 });
    const { response } = await stack.client.chat.completions.create({ model: 'gpt-oss-120b', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.match(response.headers.get('x-crossway-route') ?? '', /^vertex-us-central1-gpt-oss-120b/);
  });

  it('an exception frame inside a Bedrock event stream ends the client stream with an error event', async () => {
    await fault('bedrock', { stream_exception: 'throttlingException', disconnect_after_chunks: 3 });
    const stream = await stack.client.chat.completions.create({
      model: 'route:bedrock-us-west-2-gpt-oss-120b',
      messages: [{ role: 'user', content: 'A long story' }],
      stream: true,
    });
    let chunks = 0;
    await assert.rejects(
      async () => {
        for await (const chunk of stream) {
          void chunk;
          chunks += 1;
        }
      },
      (error: unknown) => error instanceof OpenAI.APIError && /bedrock-us-west-2-gpt-oss-120b/.test(error.message),
    );
    assert.ok(chunks >= 1, 'chunks before the exception reached the client');
  });

  it('a Bedrock stream cut mid-frame ends the client stream with an error event and no [DONE]', async () => {
    await fault('bedrock', { disconnect_after_chunks: 3 });
    const response = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.demo.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'route:bedrock-us-west-2-gpt-oss-120b', messages: [{ role: 'user', content: 'A long story' }], stream: true }),
      signal: AbortSignal.timeout(WAIT_MS),
    });
    const text = await response.text();
    assert.match(text, /"error"/);
    assert.doesNotMatch(text, /\[DONE\]/);
  });
});
