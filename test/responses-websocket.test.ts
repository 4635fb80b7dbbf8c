// The Responses API over WebSocket end to end, with the official openai client's WebSocket transport (ResponsesWS) on a
// chat route and on a native Responses route: turns chained with previous_response_id (stored, and store: false kept
// on the socket only), one turn at a time, the request rate per response.create, a bad key and an oversized frame
// refused, and a client that goes away mid-turn (the upstream call aborted, the turn metered as a 499).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, beforeEach, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { ResponsesWS } from 'openai/resources/responses/ws';
import { WebSocket } from 'ws';
import { OPENAI_KEY, startStack, type Stack } from './support/start-stack.ts';
import { waitFor } from './support/wait-for.ts';

type ServerEvent = OpenAI.Responses.ResponsesServerEvent;

const FINAL_TYPES = new Set(['response.completed', 'response.failed', 'response.incomplete', 'error']);

/** An open ResponsesWS with a queue of the events it received, read one turn at a time. */
interface Socket {
  ws: ResponsesWS;
  /** Sends response.create and resolves with the events up to (and including) the turn's final event or an error. */
  turn(body: Record<string, unknown>): Promise<ServerEvent[]>;
  /** Resolves with the next events up to a final one (for turns sent without `turn`). */
  next(): Promise<ServerEvent[]>;
  /** Every event received so far. */
  events: ServerEvent[];
}

function open(stack: Stack, key = stack.masterKey): Socket {
  const ws = new ResponsesWS(stack.clientFor(key));
  const events: ServerEvent[] = [];
  let read = 0;
  let wake: (() => void) | null = null;
  ws.on('event', (event) => {
    events.push(event);
    wake?.();
  });
  // Error events are read from `events`; the client also raises them here.
  ws.on('error', () => undefined);
  const next = async (): Promise<ServerEvent[]> => {
    const deadline = AbortSignal.timeout(30_000);
    for (;;) {
      const end = events.findIndex((event, index) => index >= read && FINAL_TYPES.has(event.type));
      if (end !== -1) {
        const turn = events.slice(read, end + 1);
        read = end + 1;
        return turn;
      }
      if (deadline.aborted) throw new Error(`no final event (got: ${events.map((event) => event.type).join(', ')})`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1_000).unref();
      });
    }
  };
  return {
    ws,
    events,
    next,
    turn: (body) => {
      ws.send({ type: 'response.create', ...body } as OpenAI.Responses.ResponsesClientEvent);
      return next();
    },
  };
}

function completed(events: ServerEvent[]): OpenAI.Responses.Response {
  const last = events.at(-1);
  assert.equal(last?.type, 'response.completed', JSON.stringify(last));
  return (last as OpenAI.Responses.ResponseCompletedEvent).response;
}

function errorOf(events: ServerEvent[]): { status?: number; error: { code: string | null; message: string; type: string } } {
  const last = events.at(-1);
  assert.equal(last?.type, 'error', JSON.stringify(last));
  return last as unknown as { status?: number; error: { code: string | null; message: string; type: string } };
}

function outputText(response: OpenAI.Responses.Response): string {
  return response.output
    .flatMap((item) => (item.type === 'message' ? item.content : []))
    .map((part) => (part.type === 'output_text' ? part.text : ''))
    .join('');
}

describe('the Responses API over WebSocket', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      models: [{ id: 'via-openai' }, { id: 'native' }],
      routes: (urls) => {
        const openai = { provider: 'openai', endpoint: `${urls.openai}/v1`, deployment: 'gpt-5.5', auth: { type: 'bearer', key: OPENAI_KEY } };
        return [
          { id: 'openai-chat', model: 'via-openai', ...openai, capabilities: ['streaming', 'tools'] },
          { id: 'openai-native', model: 'native', ...openai, capabilities: ['responses', 'streaming', 'tools'] },
        ];
      },
    });
  });
  beforeEach(() => stack.clearFaults());
  after(() => stack.close());

  const lastUpstreamBody = async (): Promise<string> => JSON.stringify((await stack.journal('openai')).at(-1)?.body ?? {});

  for (const model of ['via-openai', 'native']) {
    describe(`on ${model === 'native' ? 'a native Responses route' : 'a chat route'}`, () => {
      it('chains turns with previous_response_id: stored ones, and a store: false one on the same socket only', async () => {
        const socket = open(stack);
        try {
          const firstEvents = await socket.turn({ model, instructions: 'Be brief.', input: 'My name is Ada Lovelace.' });
          assert.deepEqual(
            firstEvents.slice(0, 2).map((event) => event.type),
            ['response.created', 'response.in_progress'],
          );
          assert.ok(firstEvents.some((event) => event.type === 'response.output_text.delta'));
          const first = completed(firstEvents);
          assert.match(first.id, /^resp_/);
          assert.match(outputText(first), /Emulated reply from openai/);

          const second = completed(await socket.turn({ model, previous_response_id: first.id, input: 'What is my name?' }));
          assert.equal(second.previous_response_id, first.id);
          assert.match(await lastUpstreamBody(), /Ada Lovelace/);
          // Stored: readable over HTTP, as any response.
          assert.equal((await stack.client.responses.retrieve(second.id)).id, second.id);

          const third = completed(await socket.turn({ model, store: false, previous_response_id: second.id, input: 'Remember: teal.' }));
          assert.equal((third as unknown as { store: boolean }).store, false);
          const fourth = completed(await socket.turn({ model, store: false, previous_response_id: third.id, input: 'What colour, and my name?' }));
          assert.equal(fourth.previous_response_id, third.id);
          const upstream = await lastUpstreamBody();
          assert.match(upstream, /Ada Lovelace/);
          assert.match(upstream, /teal/);

          // A store: false response lives on its socket only: not over HTTP, not on another socket.
          await assert.rejects(stack.client.responses.create({ model, previous_response_id: fourth.id, input: 'and now?' }), { status: 404 });
          const other = open(stack);
          try {
            const refused = errorOf(await other.turn({ model, previous_response_id: fourth.id, input: 'and now?' }));
            assert.equal(refused.status, 404);
            assert.equal(refused.error.code, 'previous_response_not_found');
          } finally {
            other.ws.close();
          }
        } finally {
          socket.ws.close();
        }
      });

      it('runs one turn at a time: a second response.create while one runs is refused, the first goes on', async () => {
        const socket = open(stack);
        try {
          // Both frames go out at once: the second reaches the gateway while the first turn is running.
          socket.ws.send({ type: 'response.create', model, input: 'first' } as OpenAI.Responses.ResponsesClientEvent);
          socket.ws.send({ type: 'response.create', model, input: 'second' } as OpenAI.Responses.ResponsesClientEvent);
          const refused = errorOf(await socket.next());
          assert.equal(refused.status, 400);
          assert.equal(refused.error.code, 'response_already_in_flight');
          completed(await socket.next());
          // The socket takes the next turn once the first is over.
          completed(await socket.turn({ model, input: 'third' }));
        } finally {
          socket.ws.close();
        }
      });

      it('abandons the turn of a client that closes mid-turn: the upstream call aborted, metered as a 499', async () => {
        const before = (await stack.gateway.store.listUsageEvents({ limit: 10_000 })).length;
        await stack.fault('openai', { chunk_delay_ms: 200, count: 1 });
        const socket = open(stack);
        socket.ws.send({ type: 'response.create', model, max_output_tokens: 400, input: 'Tell me a long story.' } as OpenAI.Responses.ResponsesClientEvent);
        await waitFor('the first text delta', () => socket.events.some((event) => event.type === 'response.output_text.delta'));
        socket.ws.close();
        await waitFor('the upstream call to be recorded aborted', async () => (await stack.journal('openai')).at(-1)?.outcome === 'aborted');
        const events = await waitFor('the usage event of the abandoned turn', async () => {
          const found = await stack.gateway.store.listUsageEvents({ limit: 10_000 });
          return found.length > before && found.slice(before);
        });
        assert.equal(events.length, 1);
        assert.equal(events[0]!.status, 499);
        assert.ok(events[0]!.input_tokens > 0);
        // The request log has the turn under the usage event's request id, as it has an HTTP call's (its row is queued
        // once the turn's end is handled, which may come after the usage event is committed).
        const row = await waitFor('the request-log row of the abandoned turn', async () => {
          await stack.gateway.requestLog.flush();
          return (await stack.gateway.store.listRequestLogs({ limit: 50 })).find((candidate) => candidate.id === events[0]!.request_id);
        });
        assert.equal(row?.status, 499);
        assert.equal(row?.endpoint, 'responses');
        assert.equal(row?.model, model);
        assert.equal(row?.stream, true);
        // The time its attempt waited on the upstream, as an HTTP call's row has it (gateway overhead = the rest).
        assert.equal(typeof row?.upstream_ms, 'number', JSON.stringify(row));
        assert.ok((row?.upstream_ms ?? Infinity) <= (row?.duration_ms ?? 0) + 1, JSON.stringify(row));
      });
    });
  }

  it('takes a request from the caller’s request rate per response.create', async () => {
    const tenant = 'ws-rpm';
    assert.equal((await stack.api('POST', '/admin/tenants', { id: tenant, name: tenant })).status, 201);
    const created = await stack.api('POST', '/admin/keys', { tenant, rpm: 2 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const socket = open(stack, created.body.key);
    try {
      completed(await socket.turn({ model: 'via-openai', input: 'one' }));
      completed(await socket.turn({ model: 'via-openai', input: 'two' }));
      const limited = errorOf(await socket.turn({ model: 'via-openai', input: 'three' }));
      assert.equal(limited.status, 429);
      assert.equal(limited.error.code, 'rate_limit_exceeded');
    } finally {
      socket.ws.close();
    }
  });

  it('authenticates every response.create again: a key revoked while its socket is open is refused (401) and the socket closed', async () => {
    const tenant = 'ws-revoked';
    assert.equal((await stack.api('POST', '/admin/tenants', { id: tenant, name: tenant })).status, 201);
    const created = await stack.api('POST', '/admin/keys', { tenant });
    const socket = open(stack, created.body.key);
    completed(await socket.turn({ model: 'via-openai', input: 'before' }));
    assert.equal((await stack.api('DELETE', `/admin/keys/${created.body.id}`)).status, 200);
    const closed = new Promise<number>((resolve) => socket.ws.on('close', (code: number) => resolve(code)));
    const refused = errorOf(await socket.turn({ model: 'via-openai', input: 'after' }));
    assert.equal(refused.status, 401);
    assert.equal(refused.error.code, 'invalid_api_key');
    assert.equal(await closed, 1008);
  });

  it('answers a warm-up (generate: false) without a model call, with a response later turns continue', async () => {
    const socket = open(stack);
    try {
      const calls = (await stack.journal('openai')).length;
      const warm = completed(await socket.turn({ model: 'via-openai', generate: false, instructions: 'Be brief.', input: 'My name is Grace Hopper.' }));
      assert.deepEqual(warm.output, []);
      assert.equal((await stack.journal('openai')).length, calls);
      completed(await socket.turn({ model: 'via-openai', previous_response_id: warm.id, input: 'What is my name?' }));
      assert.match(await lastUpstreamBody(), /Grace Hopper/);
    } finally {
      socket.ws.close();
    }
  });

  it('refuses a bad key before the upgrade with OpenAI’s 401', async () => {
    const ws = new WebSocket(`${stack.url.replace('http', 'ws')}/v1/responses`, { headers: { authorization: 'Bearer sk-cw-not-a-key-000000' } });
    ws.on('error', () => undefined);
    const [, response] = (await once(ws, 'unexpected-response')) as [unknown, import('node:http').IncomingMessage];
    assert.equal(response.statusCode, 401);
    let body = '';
    for await (const chunk of response) body += String(chunk);
    assert.equal(JSON.parse(body).error.code, 'invalid_api_key');
    ws.terminate();
  });

  it('closes a socket that sends a frame larger than the body limit (1009), before buffering it whole', async () => {
    const ws = new WebSocket(`${stack.url.replace('http', 'ws')}/v1/responses`, { headers: { authorization: `Bearer ${stack.masterKey}` } });
    await once(ws, 'open');
    const limit = stack.catalog.config.server.body_limit;
    ws.send(JSON.stringify({ type: 'response.create', model: 'via-openai', input: 'x'.repeat(limit) }));
    const [code] = (await once(ws, 'close')) as [number];
    assert.equal(code, 1009);
  });
});
