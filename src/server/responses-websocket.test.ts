// The WebSocket transport on its own, on a node:http server with a stand-in gateway context; no turn runs here.
// Turns over a real stack are in test/responses-websocket.test.ts. Here: what the upgrade is answered, the socket
// bounds, the idle timeout, ping/pong, and the client events answered without the core.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { InvalidRequestError, RateLimitError } from '../wire/index.ts';
import type { GatewayContext } from './gateway-types.ts';
import { parseClientEvent, readCreateRequest, toErrorEvent } from './responses-socket-session.ts';
import { DEFAULT_WEBSOCKET_LIMITS, isWebSocketUpgrade, ResponsesWebSocketServer, type WebSocketLimits } from './responses-websocket.ts';

const MASTER_KEY = 'sk-cw-unit-master-key';

/** What authentication and the transport read of a gateway; no turn is run with it. */
const gateway = {
  masterKey: Buffer.from(MASTER_KEY),
  masterTenant: async () => ({ id: 'default' }),
  tenancy: { authenticate: async () => null },
  bodyLimitBytes: 64 * 1024,
} as unknown as GatewayContext;

interface Running {
  url: string;
  websocket: ResponsesWebSocketServer;
  server: Server;
}

let running: Running | null = null;

async function start(limits: Partial<WebSocketLimits> = {}): Promise<Running> {
  const websocket = new ResponsesWebSocketServer(gateway, { ...DEFAULT_WEBSOCKET_LIMITS, ...limits });
  const server = createServer({ shouldUpgradeCallback: isWebSocketUpgrade }, (_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => websocket.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  running = { url: `ws://127.0.0.1:${port}`, websocket, server };
  return running;
}

afterEach(async () => {
  if (running === null) return;
  await running.websocket.close();
  running.server.closeAllConnections();
  await new Promise((resolve) => running?.server.close(resolve));
  running = null;
});

function connect(url: string, key = MASTER_KEY, options: { autoPong?: boolean } = {}): WebSocket {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${key}` }, ...options });
  ws.on('error', () => undefined);
  return ws;
}

/** The status and JSON body a refused upgrade was answered with. */
async function refusal(ws: WebSocket): Promise<{ status: number; body: { error: { code: string; message: string } } }> {
  const [, response] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
  let text = '';
  for await (const chunk of response) text += String(chunk);
  ws.terminate();
  return { status: response.statusCode ?? 0, body: JSON.parse(text) };
}

/** The next ping; a failure, not an endless wait, when the socket closes first. */
function nextPing(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const onPing = (): void => {
      ws.off('close', onClose);
      resolve();
    };
    const onClose = (code: number): void => {
      ws.off('ping', onPing);
      reject(new Error(`the socket closed (${code}) before the next ping`));
    };
    ws.once('ping', onPing);
    ws.once('close', onClose);
  });
}

async function nextMessage(ws: WebSocket): Promise<Record<string, unknown>> {
  const [data] = (await once(ws, 'message')) as [Buffer];
  return JSON.parse(String(data));
}

describe('ResponsesWebSocketServer', () => {
  it('answers 426 when WebSocket mode is off and on any other path, so that Codex falls back to HTTP at once', async () => {
    const off = await start({ enabled: false });
    const disabled = await refusal(connect(`${off.url}/v1/responses`));
    assert.equal(disabled.status, 426);
    assert.equal(disabled.body.error.code, 'websocket_not_served');
    const elsewhere = await refusal(connect(`${off.url}/v1/chat/completions`));
    assert.equal(elsewhere.status, 426);
  });

  it('refuses a missing or wrong key with a 401 before the upgrade', async () => {
    const { url } = await start();
    assert.equal((await refusal(connect(`${url}/v1/responses`, 'sk-cw-wrong-key-000'))).status, 401);
    const bare = new WebSocket(`${url}/v1/responses`);
    bare.on('error', () => undefined);
    assert.equal((await refusal(bare)).body.error.code, 'missing_api_key');
  });

  it('bounds the sockets of a key: one more is a 429 until one closes', async () => {
    const { url, websocket } = await start({ maxSocketsPerKey: 2 });
    const first = connect(`${url}/v1/responses`);
    const second = connect(`${url}/v1/responses`);
    await Promise.all([once(first, 'open'), once(second, 'open')]);
    const third = await refusal(connect(`${url}/v1/responses`));
    assert.equal(third.status, 429);
    assert.match(third.body.error.message, /at most 2/);
    first.close();
    await once(first, 'close');
    const fourth = connect(`${url}/v1/responses`);
    await once(fourth, 'open');
    assert.equal(websocket.size, 2);
    second.close();
    fourth.close();
  });

  it('bounds the sockets of the whole gateway', async () => {
    const { url } = await start({ maxSockets: 1 });
    const first = connect(`${url}/v1/responses`);
    await once(first, 'open');
    assert.equal((await refusal(connect(`${url}/v1/responses`))).status, 429);
    first.close();
  });

  it('closes a socket that stays idle past the idle timeout', async () => {
    // A sweep within 1 ms of the open pings instead, and closes 1006 if the pong is late: 100 ms makes that rare.
    const { url } = await start({ idleTimeoutMs: 1, pingIntervalMs: 100 });
    const ws = connect(`${url}/v1/responses`);
    const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
    assert.equal(code, 1000);
    assert.equal(String(reason), 'idle timeout');
  });

  it('cuts off a socket that stops answering pings', async () => {
    const { url } = await start({ pingIntervalMs: 10 });
    const ws = connect(`${url}/v1/responses`, MASTER_KEY, { autoPong: false });
    // Listened for before the socket opens: the first ping can arrive in the same read as the upgrade's answer.
    const pinged = once(ws, 'ping');
    const closed = once(ws, 'close');
    await pinged;
    // Terminated, not closed: no close frame, so the client sees 1006 (abnormal closure).
    const [code] = (await closed) as [number];
    assert.equal(code, 1006);
  });

  it('keeps a socket that answers pings', async () => {
    // The pong must come back within one interval: 100 ms leaves room on a loaded machine (10 ms did not).
    const { url, websocket } = await start({ pingIntervalMs: 100 });
    const ws = connect(`${url}/v1/responses`);
    // Counted from before the socket opens: the first ping can arrive in the same read as the upgrade's answer.
    let pings = 0;
    ws.on('ping', () => pings++);
    // Several sweeps: each pings, the client's pong marks it alive again (a close first fails, never waits forever).
    while (pings < 3) await nextPing(ws);
    assert.equal(websocket.size, 1);
    ws.close();
  });

  it('answers a malformed event, an unknown type and a binary frame with error events, and ignores response.processed', async () => {
    const { url } = await start();
    const ws = connect(`${url}/v1/responses`);
    await once(ws, 'open');
    ws.send('{not json');
    assert.deepEqual(await nextMessage(ws), {
      type: 'error',
      status: 400,
      error: {
        message: 'We could not parse the JSON of your client event: send one JSON object per text frame.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_json',
      },
    });
    ws.send(JSON.stringify({ type: 'response.processed', response_id: 'resp_1' }));
    ws.send(JSON.stringify({ type: 'session.update' }));
    const unknown = await nextMessage(ws);
    assert.equal((unknown.error as { code: string }).code, 'invalid_event_type');
    ws.send(Buffer.from('{}'), { binary: true });
    assert.equal(((await nextMessage(ws)).error as { code: string }).code, 'invalid_event');
    ws.close();
  });
});

describe('client events', () => {
  it('reads a create body without the envelope fields, streamed, and refuses background', () => {
    const request = readCreateRequest({ type: 'response.create', stream_id: 'lane-1', generate: false, model: 'gpt-5.5', input: 'hi', stream: false });
    assert.equal(request.stream, true);
    assert.equal('type' in request || 'stream_id' in request || 'generate' in request, false);
    assert.throws(() => readCreateRequest({ type: 'response.create', model: 'gpt-5.5', background: true }), { param: 'background' });
    assert.throws(() => readCreateRequest({ type: 'response.create', input: 'no model' }), { param: 'model' });
  });

  it('parses text frames of one JSON object, nesting within the bound', () => {
    assert.deepEqual(parseClientEvent(Buffer.from('{"type":"response.create"}'), false), { type: 'response.create' });
    for (const text of ['[1]', 'null', '"x"']) assert.throws(() => parseClientEvent(Buffer.from(text), false), { code: 'invalid_json' });
    assert.throws(() => parseClientEvent(Buffer.from(`${'{"a":'.repeat(200)}1${'}'.repeat(200)}`), false), { code: 'json_too_deep' });
  });

  it('builds the documented error event, with the headers an HTTP answer would carry', () => {
    assert.deepEqual(toErrorEvent(new InvalidRequestError('Bad.', 'input', 'invalid_value')), {
      type: 'error',
      status: 400,
      error: { message: 'Bad.', type: 'invalid_request_error', param: 'input', code: 'invalid_value' },
    });
    const limited = toErrorEvent(new RateLimitError('Slow down.', 'requests', 2_000, { 'x-ratelimit-limit-requests': '2' }));
    assert.equal(limited.status, 429);
    assert.deepEqual((limited.error as { headers: Record<string, string> }).headers, {
      'x-ratelimit-limit-requests': '2',
      'retry-after': '2',
      'retry-after-ms': '2000',
    });
  });
});
