// Token counting never freezes the gateway: 200,000 characters without a space, or of CJK, are counted (for the
// context-window check, /v1/responses/input_tokens and a reply that came without usage) while /healthz keeps
// answering. The merge of gpt-tokenizer is quadratic in a pre-tokenizer piece: before the bounded counter, each of
// these requests held the event loop for 20 s to minutes. Images are counted from their data URL's header.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { imageHeaders, toDataUrl } from './support/build-image-headers.ts';
import { startStack, type Stack } from './support/start-stack.ts';

/** Generous for a shared 2-core machine; the unbounded count took seconds. */
const HEALTHZ_WITHIN_MS = 250;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.repeat(7_693).slice(0, 200_000);
const CJK = '漢字仮名交じり文'.repeat(25_000);
/** ~900,000 characters of prose: ~190,000 tokens, which fit the 250,000-token window although its bytes do not. */
const PROSE = 'The booking reference for my flight to Lisbon was changed yesterday, and nobody told me why. '.repeat(9_700);

/**
 * A cloud that answers every chat completion at once with LETTERS and no usage, so that the gateway counts the
 * reply itself (and counts nothing of its own, unlike the emulators, which tokenize in this process).
 */
async function startSilentCloud(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({
        id: 'chatcmpl-silent',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-5.5',
        choices: [{ index: 0, message: { role: 'assistant', content: LETTERS }, finish_reason: 'stop' }],
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('token counting under hostile input', () => {
  let stack: Stack;
  let cloud: { url: string; server: Server };
  before(async () => {
    cloud = await startSilentCloud();
    stack = await startStack({
      models: [{ id: 'counted' }],
      routes: () => [
        {
          id: 'silent-counted',
          model: 'counted',
          provider: 'openai',
          endpoint: `${cloud.url}/v1`,
          deployment: 'gpt-5.5',
          auth: { type: 'bearer', key: 'sk-silent' },
          capabilities: ['vision', 'streaming'],
          price: { input: 5, cached_input: 0.5, output: 30, currency: 'USD' },
          // Smaller than the CJK text's 600,000 bytes: the planner must count that one exactly.
          limits: { context: 250_000 },
        },
      ],
    });
  });
  after(async () => {
    await stack.close();
    await new Promise((resolve) => cloud.server.close(resolve));
  });

  it('keeps /healthz answering while it counts 200,000 space-less and CJK characters, and 900,000 of prose exactly', async () => {
    const latencies: number[] = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const started = performance.now();
        const response = await fetch(`${stack.url}/healthz`);
        await response.arrayBuffer();
        latencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    try {
      // Fits the window by its bound: sent, and the reply (no usage) is counted by the gateway.
      const letters = await stack.api('POST', '/v1/chat/completions', { model: 'counted', messages: [{ role: 'user', content: LETTERS }] });
      assert.equal(letters.status, 200, JSON.stringify(letters.body).slice(0, 300));
      // Counted no lower than the reply has tokens: never fewer than the real count.
      assert.ok(letters.body.usage === undefined || letters.body.usage.completion_tokens >= 1);
      // Over the window by its bound but not by its tokens: counted exactly ahead, in slices, and sent.
      const prose = await stack.api('POST', '/v1/chat/completions', { model: 'counted', messages: [{ role: 'user', content: PROSE }] });
      assert.equal(prose.status, 200, JSON.stringify(prose.body).slice(0, 300));
      // One piece of 200,000 CJK characters: counted as its 600,000 bytes (never fewer tokens than it has), refused.
      const cjk = await stack.api('POST', '/v1/chat/completions', { model: 'counted', messages: [{ role: 'user', content: CJK }] });
      assert.equal(cjk.status, 400, JSON.stringify(cjk.body).slice(0, 300));
      for (const input of [LETTERS, CJK]) {
        const counted = await stack.api('POST', '/v1/responses/input_tokens', { model: 'counted', input });
        assert.equal(counted.status, 200, JSON.stringify(counted.body).slice(0, 300));
        assert.ok(counted.body.input_tokens >= 200_000 / 8, `${counted.body.input_tokens} tokens`);
      }
    } finally {
      polling = false;
      await poll;
    }
    assert.ok(latencies.length >= 4, `${latencies.length} health checks`);
    const slowest = Math.max(...latencies);
    assert.ok(slowest < HEALTHZ_WITHIN_MS, `/healthz took ${Math.round(slowest)} ms (all: ${latencies.map(Math.round).join(', ')})`);
  });

  it('counts a Responses input_image from its data URL header, not as a fixed guess', async () => {
    const count = async (url: string, detail: string) =>
      (
        await stack.api('POST', '/v1/responses/input_tokens', {
          model: 'counted',
          input: [{ role: 'user', content: [{ type: 'input_image', image_url: url, detail }] }],
        })
      ).body.input_tokens as number;
    const small = await count(toDataUrl(imageHeaders.png(512, 512)), 'high');
    // 2048 x 4096 with 6.7 MB of data: 6 tiles, 1105 tokens; the same image at low detail: 85.
    const large = await count(toDataUrl(imageHeaders.png(2048, 4096), 'image/png', 5_000_000), 'high');
    const low = await count(toDataUrl(imageHeaders.png(2048, 4096), 'image/png', 5_000_000), 'low');
    assert.equal(large - small, 1105 - 255);
    assert.equal(large - low, 1105 - 85);
  });
});
