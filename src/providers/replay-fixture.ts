// Test support: loads recorded replies from `__fixtures__` and replays them as a cloud would send them (in chunks,
// or through a real HTTP server on port 0). Used only by tests.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import type { Usage } from '../wire/index.ts';
import type { ChatStreamEvent, NativeResponsesStreamEvent } from './provider-adapter.ts';

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

/** What a chat event stream yielded: its bytes in order, its usage events, and every event. */
export interface CollectedChatStream {
  bytes: Uint8Array;
  text: string;
  usages: Usage[];
  events: ChatStreamEvent[];
}

/** Drains a chat event stream; checks the documented order of its events (see checkChatEventOrder). */
export async function collectChatStream(stream: AsyncIterable<ChatStreamEvent>): Promise<CollectedChatStream> {
  const events: ChatStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  checkChatEventOrder(events, true);
  const bytes = new Uint8Array(Buffer.concat(chatEventBytes(events)));
  const usages = events.flatMap((event) => (event.type === 'usage' ? [event.usage] : []));
  return { bytes, text: new TextDecoder().decode(bytes), usages, events };
}

/** The bytes of chat events, in order (a usage event without bytes adds none). */
export function chatEventBytes(events: readonly ChatStreamEvent[]): Uint8Array[] {
  return events.flatMap((event) => (event.bytes === null ? [] : [event.bytes]));
}

/**
 * Asserts the order ChatStreamEvent documents: at most one `usage`, and `done` last (when `complete`), once, after the
 * usage; no event after `done`.
 */
export function checkChatEventOrder(events: readonly ChatStreamEvent[], complete: boolean): void {
  const types = events.map((event) => event.type);
  assert.ok(types.filter((type) => type === 'usage').length <= 1, `one usage event at most: ${types.join(', ')}`);
  const done = types.indexOf('done');
  if (complete) assert.equal(done, types.length - 1, `done is the last event: ${types.join(', ')}`);
  else assert.equal(done, -1, `no done in a stream that failed: ${types.join(', ')}`);
}

/** What a native Responses event stream yielded: its bytes, its parsed events, its usage events, and every piece. */
export async function collectResponsesStream(
  stream: AsyncIterable<NativeResponsesStreamEvent>,
): Promise<{ bytes: Uint8Array; values: Record<string, unknown>[]; usages: Usage[]; pieces: NativeResponsesStreamEvent[] }> {
  const pieces: NativeResponsesStreamEvent[] = [];
  for await (const piece of stream) pieces.push(piece);
  const types = pieces.map((piece) => piece.type);
  assert.equal(types.indexOf('end'), types.length - 1, `end is the last piece: ${types.join(', ')}`);
  assert.ok(types.filter((type) => type === 'usage').length <= 1, `one usage event at most: ${types.join(', ')}`);
  return {
    bytes: new Uint8Array(Buffer.concat(pieces.flatMap((piece) => (piece.type === 'usage' ? [] : [piece.bytes])))),
    values: pieces.flatMap((piece) => (piece.type === 'usage' ? [] : piece.events)),
    usages: pieces.flatMap((piece) => (piece.type === 'usage' ? [piece.usage] : [])),
    pieces,
  };
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
