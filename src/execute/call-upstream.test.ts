import assert from 'node:assert/strict';
import { getEventListeners, once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Agent, errors as undiciErrors } from 'undici';
import { callUpstreamBuffered, type BufferedCallOptions } from './call-upstream.ts';

describe('callUpstreamBuffered', () => {
  let server: Server;
  let origin: string;
  const agent = new Agent({ connections: 8 });
  const sockets = new Set<Socket>();
  /** Bodies the server received, by path. */
  const received = new Map<string, string>();
  const handlers: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/json': (_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'up-1' }).end('{"ok":true}'),
    '/chunked': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"parts":');
      setTimeout(() => res.end('[1,2,3]}'), 20);
    },
    '/early-hints': (_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"created":true}');
    },
    '/error': (_req, res) => res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' }).end('{"error":{"message":"slow down"}}'),
    '/slow-headers': () => {
      // Never answers: the headers timeout (or an abort) ends the call.
    },
    '/stalled-body': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
    },
  };

  before(async () => {
    server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (part: Buffer) => parts.push(part));
      req.on('end', () => {
        received.set(req.url ?? '', Buffer.concat(parts).toString('utf8'));
        handlers[(req.url ?? '').split('?')[0]!]?.(req, res);
      });
    });
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await agent.close();
    for (const socket of sockets) socket.destroy();
    server.close();
  });

  const options = (overrides: Partial<BufferedCallOptions> = {}): BufferedCallOptions => ({
    dispatcher: agent,
    signal: new AbortController().signal,
    headersTimeoutMs: 2_000,
    bodyTimeoutMs: 2_000,
    ...overrides,
  });
  const post = (path: string) => ({
    method: 'POST' as const,
    url: `${origin}${path}?api-version=1`,
    headers: { 'content-type': 'application/json' },
    body: '{"model":"m"}',
  });

  it('sends the body and answers status, headers and the whole body, reporting the headers first', async () => {
    const seen: number[] = [];
    const response = await callUpstreamBuffered(post('/json'), options({ onHeaders: (status) => seen.push(status) }));
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['x-request-id'], 'up-1');
    assert.equal(response.body.toString('utf8'), '{"ok":true}');
    assert.deepEqual(seen, [200]);
    assert.equal(received.get('/json?api-version=1'), '{"model":"m"}');
  });

  it('joins a body that arrives in several chunks', async () => {
    const response = await callUpstreamBuffered(post('/chunked'), options());
    assert.equal(response.body.toString('utf8'), '{"parts":[1,2,3]}');
  });

  it('skips informational (1xx) answers: the final status and headers count', async () => {
    const seen: number[] = [];
    const response = await callUpstreamBuffered(post('/early-hints'), options({ onHeaders: (status) => seen.push(status) }));
    assert.equal(response.statusCode, 201);
    assert.deepEqual(seen, [201]);
    assert.equal(response.body.toString('utf8'), '{"created":true}');
  });

  it('answers an error status with its body, for the adapter to read', async () => {
    const response = await callUpstreamBuffered(post('/error'), options());
    assert.equal(response.statusCode, 429);
    assert.equal(response.headers['retry-after'], '3');
    assert.match(response.body.toString('utf8'), /slow down/);
  });

  it('rejects with undici timeouts: no headers in time, or a body that stalls', async () => {
    await assert.rejects(callUpstreamBuffered(post('/slow-headers'), options({ headersTimeoutMs: 100 })), undiciErrors.HeadersTimeoutError);
    await assert.rejects(callUpstreamBuffered(post('/stalled-body'), options({ bodyTimeoutMs: 100 })), undiciErrors.BodyTimeoutError);
  });

  it('rejects with the abort reason, whether the signal fired before the call or during it, and lets the signal go', async () => {
    const early = new AbortController();
    early.abort(new Error('went away before'));
    await assert.rejects(callUpstreamBuffered(post('/json'), options({ signal: early.signal })), /went away before/);

    const late = new AbortController();
    // A headers deadline no slow machine reaches first (the abort comes 30 ms in, or however late its timer fires).
    const call = callUpstreamBuffered(post('/slow-headers'), options({ signal: late.signal, headersTimeoutMs: 60_000 }));
    setTimeout(() => late.abort(new Error('went away during')), 30);
    await assert.rejects(call, /went away during/);

    // A finished or failed call leaves no listener behind on a signal that lives on (the client's, say).
    const longLived = new AbortController();
    await callUpstreamBuffered(post('/json'), options({ signal: longLived.signal }));
    await callUpstreamBuffered(post('/error'), options({ signal: longLived.signal }));
    await assert.rejects(callUpstreamBuffered(post('/slow-headers'), options({ signal: longLived.signal, headersTimeoutMs: 50 })));
    assert.equal(getEventListeners(longLived.signal, 'abort').length, 0);
  });

  it('rejects when the upstream cannot be reached', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    await assert.rejects(
      callUpstreamBuffered({ method: 'POST', url: `http://127.0.0.1:${port}/v1/chat/completions`, headers: {}, body: '{}' }, options()),
      (error: Error & { code?: string }) => error.code === 'ECONNREFUSED',
    );
  });
});
