// The emulator base, exercised through the OpenAI emulator: control API, every fault, the journal and close().
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { JOURNAL_BODY_BYTES_LIMIT } from './emulator-journal.ts';
import { OPENAI_EMULATOR_API_KEY, OpenAIEmulator } from './openai-emulator.ts';

const emulator = new OpenAIEmulator();
const auth = { authorization: `Bearer ${OPENAI_EMULATOR_API_KEY}`, 'content-type': 'application/json' };
const chatBody = (stream = false) =>
  JSON.stringify({ model: 'gpt-5.5', stream, messages: [{ role: 'user', content: 'Tell me something interesting please' }] });

function chat(stream = false, signal?: AbortSignal): Promise<Response> {
  return fetch(`${emulator.url}/v1/chat/completions`, { method: 'POST', headers: auth, body: chatBody(stream), signal });
}

async function control(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; headers: Headers }> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json(), headers: response.headers };
}

/** Reads SSE events until the stream ends or fails. */
async function readEvents(response: Response): Promise<{ events: string[]; failed: boolean }> {
  const events: string[] = [];
  let buffer = '';
  const decoder = new TextDecoder();
  try {
    for await (const bytes of response.body!) {
      buffer += decoder.decode(bytes, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        events.push(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
    return { events, failed: false };
  } catch {
    return { events, failed: true };
  }
}

/** Reads until `read` has a value; the deadline (30 s) only ends a broken run, however slow the machine. */
async function waitFor<T>(read: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(20);
  }
}

describe('EmulatorServer', () => {
  before(() => emulator.start());
  after(() => emulator.close());
  beforeEach(() => {
    emulator.clearFaults();
    emulator.clearRequests();
  });

  describe('control API', () => {
    it('sets, shows and clears the fault set', async () => {
      const set = await control('POST', '/__emulator/faults', { status: 503, rate: 0.5, count: 2 });
      assert.equal(set.status, 200);
      assert.deepEqual(set.json, { faults: { status: 503, rate: 0.5, count: 2 } });
      assert.deepEqual((await control('GET', '/__emulator/faults')).json, { faults: { status: 503, rate: 0.5, count: 2 } });
      assert.deepEqual((await control('DELETE', '/__emulator/faults')).json, { faults: null });
      assert.equal(emulator.faults(), null);
    });

    it('rejects invalid JSON, unknown fields and out-of-range values with 400', async () => {
      assert.equal((await control('POST', '/__emulator/faults', '{nope')).status, 400);
      assert.equal((await control('POST', '/__emulator/faults', { status: 503, colour: 'red' })).status, 400);
      assert.equal((await control('POST', '/__emulator/faults', { rate: 2 })).status, 400);
      assert.equal((await control('POST', '/__emulator/faults', { status: 200 })).status, 400);
      assert.equal((await control('POST', '/__emulator/faults', { count: 0 })).status, 400);
      assert.equal(emulator.faults(), null);
    });

    it('is not behind the cloud auth and marks every response as the emulator', async () => {
      const shown = await control('GET', '/__emulator/faults');
      assert.equal(shown.headers.get('x-crossway-emulator'), 'openai');
      assert.equal(shown.headers.get('server'), 'crossway-emulator/openai');
      const denied = await fetch(`${emulator.url}/v1/models`);
      assert.equal(denied.status, 401);
      assert.equal(denied.headers.get('x-crossway-emulator'), 'openai');
      assert.equal(denied.headers.get('server'), 'crossway-emulator/openai');
    });
  });

  describe('faults', () => {
    it('429 answers with the cloud body and retry-after', async () => {
      emulator.setFaults({ status: 429, retry_after_s: 7 });
      const response = await chat();
      assert.equal(response.status, 429);
      assert.equal(response.headers.get('retry-after'), '7');
      assert.equal(response.headers.get('x-crossway-emulator'), 'openai');
      const body = (await response.json()) as { error: { type: string; code: string; message: string } };
      assert.equal(body.error.type, 'requests');
      assert.equal(body.error.code, 'rate_limit_exceeded');
      assert.match(body.error.message, /^Rate limit reached for gpt-5\.5 .* Please try again in 7s\./);
    });

    it('429 defaults retry-after to 1 second', async () => {
      emulator.setFaults({ status: 429 });
      assert.equal((await chat()).headers.get('retry-after'), '1');
    });

    it('5xx statuses answer with OpenAI bodies', async () => {
      const expected: Record<number, unknown> = {
        500: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null },
        502: { code: 502, message: 'Bad gateway.', param: null, type: 'cf_bad_gateway' },
        503: { message: 'The server is overloaded or not ready yet.', type: 'server_error', param: null, code: null },
      };
      for (const [status, error] of Object.entries(expected)) {
        emulator.setFaults({ status: Number(status) });
        const response = await chat(true);
        assert.equal(response.status, Number(status));
        assert.equal(response.headers.get('retry-after'), null);
        assert.deepEqual(await response.json(), { error });
      }
    });

    it('latency_ms delays the response headers', async () => {
      emulator.setFaults({ latency_ms: 300 });
      const started = Date.now();
      const response = await chat();
      assert.ok(Date.now() - started >= 280, `answered after ${Date.now() - started} ms`);
      assert.equal(response.status, 200);
      await response.arrayBuffer();
    });

    it('disconnect_after_chunks cuts a stream after n chunks, without [DONE]', async () => {
      emulator.setFaults({ disconnect_after_chunks: 2 });
      const response = await chat(true);
      assert.equal(response.status, 200);
      const { events, failed } = await readEvents(response);
      assert.ok(failed, 'the stream ends with an error');
      assert.equal(events.length, 2);
      assert.ok(!events.includes('data: [DONE]'));
      const entry = await waitFor(() => emulator.requests().find((request) => request.outcome !== null));
      assert.equal(entry.outcome, 'disconnected');
      assert.equal(entry.chunks_sent, 2);
      assert.equal(entry.stream, true);
    });

    it('disconnect_after_chunks destroys the socket of a non-streaming request before answering', async () => {
      emulator.setFaults({ disconnect_after_chunks: 0 });
      await assert.rejects(chat());
      const entry = await waitFor(() => emulator.requests().find((request) => request.outcome !== null));
      assert.equal(entry.outcome, 'disconnected');
      assert.equal(entry.status, null);
    });

    it('count applies the faults to the next n requests only', async () => {
      emulator.setFaults({ status: 503, count: 2 });
      assert.equal((await chat()).status, 503);
      assert.equal(emulator.faults()?.count, 1);
      assert.equal((await chat()).status, 503);
      assert.equal(emulator.faults(), null);
      assert.equal((await chat()).status, 200);
    });

    it('rate 0 never fires', async () => {
      emulator.setFaults({ status: 500, rate: 0 });
      for (let attempt = 0; attempt < 20; attempt++) {
        const response = await chat();
        assert.equal(response.status, 200);
        await response.arrayBuffer();
      }
    });

    it('chunk_delay_ms spaces the chunks of a stream', async () => {
      emulator.setFaults({ chunk_delay_ms: 20 });
      const started = Date.now();
      const { events } = await readEvents(await chat(true));
      assert.ok(Date.now() - started >= 20 * (events.length - 1), `${events.length} events in ${Date.now() - started} ms`);
      assert.equal(events.at(-1), 'data: [DONE]');
    });
  });

  describe('journal', () => {
    it('records requests with redacted credentials, body, status and outcome', async () => {
      await (await chat()).arrayBuffer();
      const [entry] = (await control('GET', '/__emulator/requests')).json.data;
      assert.equal(entry.method, 'POST');
      assert.equal(entry.path, '/v1/chat/completions');
      assert.equal(entry.headers.authorization, '[redacted]');
      assert.equal(entry.body.model, 'gpt-5.5');
      assert.equal(entry.status, 200);
      assert.equal(entry.stream, false);
      assert.equal(entry.outcome, 'completed');
      assert.ok(Date.parse(entry.ended_at) >= Date.parse(entry.started_at));
      assert.deepEqual((await control('DELETE', '/__emulator/requests')).json, { data: [] });
      assert.equal(emulator.requests().length, 0);
    });

    it('marks error statuses as error and keeps the last 200 entries', async () => {
      for (let index = 0; index < 205; index++) {
        await (await fetch(`${emulator.url}/v1/models`, { headers: { authorization: 'Bearer wrong' } })).arrayBuffer();
      }
      const entries = emulator.requests();
      assert.equal(entries.length, 200);
      assert.ok(entries.every((entry) => entry.outcome === 'error' && entry.status === 401));
    });

    it('keeps at most 16 MiB of bodies, and a body over 1 MiB as a 4 KiB excerpt with its length', async () => {
      // 20 bodies of 900 KiB each (18 MiB in all), each under the per-body limit: the oldest are dropped. A wrong key
      // gets them journaled and answered 401 without the emulator generating a reply to them.
      const padding = 'x'.repeat(900 * 1024);
      const refused = { ...auth, authorization: 'Bearer wrong' };
      for (let index = 0; index < 20; index++) {
        const body = JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: `${index} ${padding}` }] });
        await (await fetch(`${emulator.url}/v1/chat/completions`, { method: 'POST', headers: refused, body })).arrayBuffer();
      }
      let entries = emulator.requests();
      const kept = entries.reduce((sum, entry) => sum + entry.body_bytes, 0);
      assert.ok(kept <= JOURNAL_BODY_BYTES_LIMIT, `${kept} bytes of bodies kept`);
      assert.ok(entries.length < 20 && entries.length >= 17, `${entries.length} entries kept`);
      assert.match(JSON.stringify(entries.at(-1)?.body), /"19 x/);
      assert.ok(entries.every((entry) => entry.body_truncated === false));

      const large = JSON.stringify({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'y'.repeat(2 * 1024 * 1024) }] });
      await (await fetch(`${emulator.url}/v1/chat/completions`, { method: 'POST', headers: refused, body: large })).arrayBuffer();
      entries = emulator.requests();
      const last = entries.at(-1)!;
      assert.equal(last.body_truncated, true);
      assert.equal(last.body_bytes, Buffer.byteLength(large));
      assert.equal(typeof last.body, 'string');
      assert.equal(last.body, large.slice(0, 4096));
      assert.equal(last.status, 401);
      const listed = (await control('GET', '/__emulator/requests')).json.data;
      assert.ok(JSON.stringify(listed).length < JOURNAL_BODY_BYTES_LIMIT + 1024 * 1024);
    });

    it('marks a stream the client abandons as aborted', async () => {
      emulator.setFaults({ chunk_delay_ms: 100 });
      const controller = new AbortController();
      const response = await chat(true, controller.signal);
      const reader = response.body!.getReader();
      await reader.read();
      controller.abort();
      const entry = await waitFor(() => emulator.requests().find((request) => request.outcome !== null));
      assert.equal(entry.outcome, 'aborted');
      assert.ok(entry.chunks_sent >= 1 && entry.chunks_sent < 10, `sent ${entry.chunks_sent} chunks`);
    });
  });

  it('close() ends keep-alive and mid-stream connections promptly', async () => {
    const other = new OpenAIEmulator();
    await other.start();
    await (await fetch(`${other.url}/__emulator/faults`)).arrayBuffer();
    // 10 s between chunks: a close that waited for the stream would take that long at least, far above the bound.
    other.setFaults({ chunk_delay_ms: 10_000 });
    // Its headers have come: the stream is under way when the emulator closes.
    const response = await fetch(`${other.url}/v1/chat/completions`, { method: 'POST', headers: auth, body: chatBody(true) });
    const reading = readEvents(response);
    const started = Date.now();
    await other.close();
    assert.ok(Date.now() - started < 5_000, `close took ${Date.now() - started} ms`);
    assert.equal((await reading).failed, true);
  });
});
