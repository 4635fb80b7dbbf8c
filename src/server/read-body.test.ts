import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ClientClosedError, PayloadTooLargeError } from '../wire/index.ts';
import { readBody } from './read-body.ts';

const LIMIT = 1024;

describe('readBody', () => {
  let server: Server;
  let port = 0;
  let outcome: Promise<Buffer | Error> = Promise.resolve(Buffer.alloc(0));
  let arrived: () => void = () => undefined;
  /** Resolves once the server has the last request sent (and `outcome` is that request's). */
  let arrival: Promise<void> = Promise.resolve();

  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      outcome = readBody(req, LIMIT).catch((error: Error) => error);
      arrived();
      void outcome.then((value) => res.end(value instanceof Error ? value.name : `ok ${value.length}`));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  function send(chunks: string[], headers: Record<string, string> = {}, destroyAfter = false): Promise<string> {
    return new Promise((resolve) => {
      let onArrival = (): void => undefined;
      arrival = new Promise((resolve) => (onArrival = resolve));
      arrived = onArrival;
      // No keep-alive: a connection left half-written by an earlier case must not carry the next one.
      const req = request({ port, host: '127.0.0.1', method: 'POST', headers, agent: false }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += String(chunk)));
        res.on('end', () => resolve(text));
      });
      req.on('error', () => resolve('client error'));
      if (destroyAfter)
        arrived = () => {
          onArrival();
          setTimeout(() => req.destroy(), 20);
        };
      for (const chunk of chunks) req.write(chunk);
      if (!destroyAfter) req.end();
    });
  }

  it('reads a body sent in several chunks', async () => {
    assert.equal(await send(['{"a":', '1}']), 'ok 7');
  });

  it('refuses a declared length over the limit before reading', async () => {
    await send(['x'], { 'content-length': String(LIMIT + 1) }).catch(() => undefined);
    assert.ok((await outcome) instanceof PayloadTooLargeError);
  });

  it('refuses a chunked body once it crosses the limit', async () => {
    assert.equal(await send(['x'.repeat(600), 'x'.repeat(600)]), 'PayloadTooLargeError');
  });

  it('a client that goes away mid-body rejects with ClientClosedError', async () => {
    void send(['{"partial": '], {}, true);
    // Once the server has the request, `outcome` is its read (not the previous case's), however long that took.
    await arrival;
    assert.ok((await outcome) instanceof ClientClosedError);
  });
});
