// A recording reverse proxy for end-to-end tests: a client pointed at it reaches the target unchanged, and the test
// reads which transport each call used (every HTTP request, every WebSocket upgrade with the target's answer), as
// seen on the wire rather than inferred from the gateway's own rows.
import { createServer, type IncomingHttpHeaders, request as httpRequest, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

/** One exchange through the tap: an HTTP request (`kind: 'http'`) or an upgrade (`kind: 'upgrade'`, with the status the target gave). */
export interface TapEntry {
  kind: 'http' | 'upgrade';
  method: string;
  path: string;
  /** The target's status line code; null until it answered (or when it never did). */
  status: number | null;
}

/** A running tap. */
export interface HttpTap {
  /** The tap's origin (`http://127.0.0.1:<port>`): use it where the target's URL would go. */
  url: string;
  /** Every exchange so far, in arrival order. */
  entries: TapEntry[];
  close(): Promise<void>;
}

/** Headers that belong to one hop (RFC 9110 section 7.6.1): never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

/** Bound on the bytes of an upgrade answer's head read to find its status: a test target's is a few hundred. */
const MAX_UPGRADE_HEAD_BYTES = 64 * 1024;

/** Starts a tap on 127.0.0.1 (a free port) in front of `target` (an http:// origin). */
export async function startHttpTap(target: string): Promise<HttpTap> {
  const origin = new URL(target);
  const entries: TapEntry[] = [];
  const sockets = new Set<Duplex>();
  const server: Server = createServer((req, res) => {
    const entry: TapEntry = { kind: 'http', method: req.method ?? '', path: req.url ?? '', status: null };
    entries.push(entry);
    const upstream = httpRequest(
      { host: origin.hostname, port: origin.port, method: req.method, path: req.url, headers: forwardable(req.headers) },
      (answer) => {
        entry.status = answer.statusCode ?? null;
        res.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    const entry: TapEntry = { kind: 'upgrade', method: req.method ?? '', path: req.url ?? '', status: null };
    entries.push(entry);
    sockets.add(socket);
    const upstream: Socket = connect(Number(origin.port), origin.hostname);
    sockets.add(upstream);
    const close = (): void => {
      socket.destroy();
      upstream.destroy();
      sockets.delete(socket);
      sockets.delete(upstream);
    };
    socket.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    // The upgrade request as it came (raw header lines keep their case and order), then raw bytes both ways.
    const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
    for (let index = 0; index < req.rawHeaders.length; index += 2) lines.push(`${req.rawHeaders[index]}: ${req.rawHeaders[index + 1]}`);
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    let answerHead = '';
    const readStatus = (chunk: Buffer): void => {
      answerHead += chunk.toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(answerHead);
      if (match !== null) entry.status = Number(match[1]);
      if (match !== null || answerHead.length > MAX_UPGRADE_HEAD_BYTES) upstream.off('data', readStatus);
    };
    upstream.on('data', readStatus);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    entries,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The end-to-end headers of a request or answer. */
function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}
