// Tests of the SSE splitter: named framing cases, each fed whole, split at every byte position and byte by byte.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { createSseSplitter, splitSseEvents, type SseEvent } from './split-sse-events.ts';

const encoder = new TextEncoder();
// ignoreBOM: compare bytes as they are, including a byte order mark.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

interface Expected {
  data: string | null;
  event?: string | null;
  raw: string;
}

interface Case {
  name: string;
  input: string;
  events: Expected[];
  /** Bytes left unfinished at the end (an event without its blank line). */
  pending?: number;
}

const cases: Case[] = [
  {
    name: 'LF-separated events',
    input: 'data: {"a":1}\n\ndata: [DONE]\n\n',
    events: [
      { data: '{"a":1}', raw: 'data: {"a":1}\n\n' },
      { data: '[DONE]', raw: 'data: [DONE]\n\n' },
    ],
  },
  {
    name: 'CRLF-separated events',
    input: 'data: one\r\n\r\ndata: two\r\n\r\n',
    events: [
      { data: 'one', raw: 'data: one\r\n\r\n' },
      { data: 'two', raw: 'data: two\r\n\r\n' },
    ],
  },
  {
    name: 'CR-only line endings',
    input: 'data: one\r\rdata: two\r\r',
    events: [
      { data: 'one', raw: 'data: one\r\r' },
      { data: 'two', raw: 'data: two\r\r' },
    ],
  },
  {
    name: 'mixed line endings in one event',
    input: 'event: x\rdata: a\r\ndata: b\n\r\n',
    events: [{ data: 'a\nb', event: 'x', raw: 'event: x\rdata: a\r\ndata: b\n\r\n' }],
  },
  {
    name: 'multi-line data joined with LF',
    input: 'data: first\ndata: second\ndata:third\n\n',
    events: [{ data: 'first\nsecond\nthird', raw: 'data: first\ndata: second\ndata:third\n\n' }],
  },
  {
    name: 'comment-only event has no data',
    input: ': keep-alive\n\ndata: x\n\n',
    events: [
      { data: null, raw: ': keep-alive\n\n' },
      { data: 'x', raw: 'data: x\n\n' },
    ],
  },
  {
    name: 'comment inside an event and event name',
    input: ': note\nevent: error\ndata: {"error":{}}\n\n',
    events: [{ data: '{"error":{}}', event: 'error', raw: ': note\nevent: error\ndata: {"error":{}}\n\n' }],
  },
  {
    name: 'only one leading space is dropped; colons in the value stay',
    input: 'data:  two spaces: yes\n\n',
    events: [{ data: ' two spaces: yes', raw: 'data:  two spaces: yes\n\n' }],
  },
  {
    name: 'field without colon is an empty data line',
    input: 'data\ndata\n\n',
    events: [{ data: '\n', raw: 'data\ndata\n\n' }],
  },
  {
    name: 'id, retry and unknown fields are kept in raw only',
    input: 'id: 7\nretry: 1000\nfoo: bar\ndata: x\n\n',
    events: [{ data: 'x', raw: 'id: 7\nretry: 1000\nfoo: bar\ndata: x\n\n' }],
  },
  {
    name: 'multi-byte UTF-8 characters survive any split',
    input: 'data: {"content":"héllo — 日本語 🎉"}\n\n',
    events: [{ data: '{"content":"héllo — 日本語 🎉"}', raw: 'data: {"content":"héllo — 日本語 🎉"}\n\n' }],
  },
  {
    name: 'extra blank line becomes an event without data',
    input: 'data: a\n\n\ndata: b\n\n',
    events: [
      { data: 'a', raw: 'data: a\n\n' },
      { data: null, raw: '\n' },
      { data: 'b', raw: 'data: b\n\n' },
    ],
  },
  {
    name: 'byte order mark at stream start is not part of the field name',
    input: '\uFEFFdata: x\n\n',
    events: [{ data: 'x', raw: '\uFEFFdata: x\n\n' }],
  },
  {
    name: 'unfinished event at the end is held back',
    input: 'data: a\n\ndata: {"partial":',
    events: [{ data: 'a', raw: 'data: a\n\n' }],
    pending: 'data: {"partial":'.length,
  },
  {
    name: 'an event ending in CR is complete; an LF arriving next is not an extra blank line',
    input: 'data: a\r\n\r\ndata: b\r\r\n',
    events: [
      { data: 'a', raw: 'data: a\r\n\r\n' },
      { data: 'b', raw: 'data: b\r\r\n' },
    ],
  },
];

function run(chunks: Uint8Array[]): { events: SseEvent[]; pending: number } {
  const splitter = createSseSplitter();
  const events: SseEvent[] = [];
  for (const chunk of chunks) events.push(...splitter.push(chunk));
  return { events, pending: splitter.pendingBytes };
}

/**
 * Fields must match exactly. Raw bytes must match per event when the input came in one chunk; when it was split
 * right after a CR, the LF that follows is carried by the next event's raw, so split inputs are checked by the
 * concatenation of all raws (nothing lost, nothing added, order kept).
 */
function check(events: SseEvent[], pending: number, expected: Case, how: string, exactRaw: boolean): void {
  // A split between CR and LF hands the LF out alone, as an event without data: compare the events that carry fields.
  const withFields = (event: { data: string | null; event?: string | null }) => event.data !== null || event.event != null;
  assert.deepEqual(
    events.filter(withFields).map((event) => ({ data: event.data, event: event.event })),
    expected.events.filter(withFields).map((event) => ({ data: event.data, event: event.event ?? null })),
    `${expected.name} (${how})`,
  );
  if (exactRaw) {
    assert.deepEqual(
      events.map((event) => decoder.decode(event.raw)),
      expected.events.map((event) => event.raw),
      `${expected.name} raw (${how})`,
    );
  }
  const consumed = expected.events.map((event) => event.raw).join('');
  assert.equal(decoder.decode(Buffer.concat(events.map((event) => event.raw))), consumed, `${expected.name} bytes (${how})`);
  assert.equal(pending, expected.pending ?? 0, `${expected.name} pending bytes (${how})`);
}

/** Copies so that a splitter bug writing into a chunk cannot go unnoticed. */
function copy(bytes: Uint8Array): Uint8Array {
  return bytes.slice();
}

describe('createSseSplitter', () => {
  for (const item of cases) {
    test(item.name, () => {
      const bytes = encoder.encode(item.input);
      const whole = run([copy(bytes)]);
      check(whole.events, whole.pending, item, 'one chunk', true);
      for (let cut = 1; cut < bytes.length; cut++) {
        const split = run([copy(bytes.subarray(0, cut)), copy(bytes.subarray(cut))]);
        check(split.events, split.pending, item, `split at ${cut}`, false);
      }
      const single = run(Array.from(bytes, (byte) => Uint8Array.of(byte)));
      check(single.events, single.pending, item, 'byte by byte', false);
    });
  }

  test('events returned earlier are never overwritten by later chunks', () => {
    const splitter = createSseSplitter();
    const first = splitter.push(encoder.encode('data: aaaa\n\ndata: bb'));
    const second = splitter.push(encoder.encode('bb\n\ndata: cccc\n\ndata: dd'));
    const third = splitter.push(encoder.encode('dd\n\n'));
    assert.deepEqual(
      [...first, ...second, ...third].map((event) => decoder.decode(event.raw)),
      ['data: aaaa\n\n', 'data: bbbb\n\n', 'data: cccc\n\n', 'data: dddd\n\n'],
    );
  });

  test('a long event spread over many chunks is assembled once', () => {
    const payload = 'x'.repeat(100_000);
    const bytes = encoder.encode(`data: ${payload}\n\n`);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += 7) chunks.push(bytes.subarray(at, at + 7));
    const { events } = run(chunks);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.data, payload);
  });
});

describe('splitSseEvents over a recorded stream', () => {
  const lines = readFileSync(new URL('../openai/__fixtures__/openai-chat-stream.chunks.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line !== '');
  const bytes = encoder.encode(lines.map((line) => `data: ${line}\n\n`).join(''));

  test('chunk boundaries at every position give the same events and the same bytes', async () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      async function* source() {
        yield copy(bytes.subarray(0, cut));
        yield copy(bytes.subarray(cut));
      }
      const events: SseEvent[] = [];
      for await (const event of splitSseEvents(source())) events.push(event);
      assert.deepEqual(
        events.map((event) => event.data),
        lines,
        `split at ${cut}`,
      );
      assert.deepEqual(Buffer.concat(events.map((event) => event.raw)), Buffer.from(bytes), `bytes, split at ${cut}`);
    }
  });
});
