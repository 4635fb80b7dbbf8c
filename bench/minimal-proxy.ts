// The practical ceiling for a reverse proxy written in Node: node:http in, one keep-alive undici Agent out, the request
// body read once and the response streamed straight into the client's socket (undici's `stream()`), with no parsing and
// no auth. The fastest of the simple forms tried (piping the request stream into `request()` was about half as fast).
// `node bench/minimal-proxy.ts --upstream=http://127.0.0.1:N [--port=0]`
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, stream } from 'undici';

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);
const argument = (name: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const upstream = argument('upstream') ?? 'http://127.0.0.1:4010';
const agent = new Agent({ connections: 256, keepAliveTimeout: 30_000 });

function endToEnd(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  return kept;
}

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, async (req, res) => {
  try {
    const parts: Buffer[] = [];
    for await (const part of req as AsyncIterable<Buffer>) parts.push(part);
    const options = { method: req.method as 'POST', headers: endToEnd(req.headers), body: parts.length === 0 ? null : Buffer.concat(parts), dispatcher: agent };
    await stream(`${upstream}${req.url ?? '/'}`, options, ({ statusCode, headers }) => res.writeHead(statusCode, endToEnd(headers)));
  } catch {
    if (res.headersSent) res.destroy();
    else res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":{"message":"bad gateway"}}');
  }
});
server.listen(Number(argument('port') ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
