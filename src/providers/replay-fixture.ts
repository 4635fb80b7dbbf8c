// Test support: loads recorded replies from `__fixtures__` and replays them as a cloud would send them (in chunks,
// or through a real HTTP server on port 0). Used only by tests.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const encoder = new TextEncoder();

/** The bytes of a fixture file. */
export function readFixture(url: URL): Uint8Array {
  return new Uint8Array(readFileSync(url));
}

/**
 * A `.chunks.txt` fixture as the SSE bytes the cloud sends: each non-empty line is one event's `data` payload,
 * written as `data: <line>\n\n`.
 */
export function readSseFixture(url: URL): Uint8Array {
  const lines = readFileSync(url, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
  return encoder.encode(lines.map((line) => `data: ${line}\n\n`).join(''));
}

/** The data payloads of a `.chunks.txt` fixture. */
export function readSseFixtureLines(url: URL): string[] {
  return readFileSync(url, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

/** `bytes` cut at the given positions, each piece a fresh copy. */
export function splitAt(bytes: Uint8Array, ...positions: number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const position of [...positions, bytes.length]) {
    pieces.push(bytes.slice(start, position));
    start = position;
  }
  return pieces;
}

/** Replays chunks as an async byte stream. */
export async function* replay(chunks: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** Everything an async byte stream yields, concatenated. */
export async function collectBytes(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * Serves `chunks` as a `text/event-stream` reply from a node:http server on 127.0.0.1 port 0, writing each chunk
 * separately. Returns the URL and a function that closes the server.
 */
export async function serveChunks(chunks: Uint8Array[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    void (async () => {
      for (const chunk of chunks) {
        response.write(chunk);
        await new Promise((resolve) => setImmediate(resolve));
      }
      response.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
