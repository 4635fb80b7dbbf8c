// Tests of splitting and decoding AWS event stream bodies: headers read, any chunking, early ends, broken bytes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { UpstreamConnectionError, UpstreamError } from '../../wire/index.ts';
import { replay, splitAt } from '../replay-fixture.ts';
import { makeTestRoute } from '../test-route.ts';
import { decodeBedrockEventStream, type BedrockStreamMessage } from './bedrock-event-stream-decoder.ts';
import { encodeBedrockFrame } from './encode-bedrock-event-stream.ts';

const route = makeTestRoute({ id: 'bedrock-decoder', provider: 'bedrock', endpoint: 'https://bedrock-runtime.us-west-2.amazonaws.com' });
const codec = new EventStreamCodec(toUtf8, fromUtf8);
const decoder = new TextDecoder();

async function decodeAll(chunks: Uint8Array[]): Promise<{ batches: number; messages: BedrockStreamMessage[] }> {
  const messages: BedrockStreamMessage[] = [];
  let batches = 0;
  for await (const batch of decodeBedrockEventStream(replay(chunks), route)) {
    batches += 1;
    messages.push(...batch);
  }
  return { batches, messages };
}

const event = encodeBedrockFrame({ event: 'contentBlockDelta', payload: { contentBlockIndex: 0, delta: { text: 'hé' } } });
const exception = encodeBedrockFrame({ exception: 'validationException', payload: { message: 'bad' } });
const error = codec.encode({
  headers: {
    ':message-type': { type: 'string', value: 'error' },
    ':error-code': { type: 'string', value: 'InternalFailure' },
    ':error-message': { type: 'string', value: 'oops' },
  },
  body: new Uint8Array(0),
});
const all = new Uint8Array(Buffer.concat([event, exception, error]));

describe('decodeBedrockEventStream', () => {
  test('reads the message type, the event/exception/error type and the payload', async () => {
    const { batches, messages } = await decodeAll([all]);
    assert.equal(batches, 1, 'the messages of one chunk come together');
    assert.deepEqual(
      messages.map((m) => [m.messageType, m.type, m.errorMessage, decoder.decode(m.payload)]),
      [
        ['event', 'contentBlockDelta', '', '{"contentBlockIndex":0,"delta":{"text":"hé"}}'],
        ['exception', 'validationException', '', '{"message":"bad"}'],
        ['error', 'InternalFailure', 'oops', ''],
      ],
    );
  });

  test('the same messages at every cut, and byte by byte', async () => {
    const expected = (await decodeAll([all])).messages.map((m) => decoder.decode(m.payload) + m.type);
    for (let cut = 0; cut <= all.length; cut++) {
      assert.deepEqual(
        (await decodeAll(splitAt(all, cut))).messages.map((m) => decoder.decode(m.payload) + m.type),
        expected,
        `cut at ${cut}`,
      );
    }
    const bytes = splitAt(all, ...Array.from({ length: all.length }, (_, i) => i + 1));
    assert.deepEqual(
      (await decodeAll(bytes)).messages.map((m) => decoder.decode(m.payload) + m.type),
      expected,
    );
  });

  test('a body that ends inside a message is UpstreamConnectionError', async () => {
    for (const keep of [1, 3, 4, 12, event.length + 5]) {
      await assert.rejects(decodeAll([all.slice(0, keep)]), (e: unknown) => e instanceof UpstreamConnectionError && e.route === 'bedrock-decoder');
    }
  });

  test('an empty body yields nothing (the translator decides that it ended too early)', async () => {
    assert.deepEqual(await decodeAll([]), { batches: 0, messages: [] });
  });

  const broken: { name: string; bytes: Uint8Array }[] = [
    {
      name: 'a flipped payload byte (message CRC)',
      bytes: (() => {
        const b = event.slice();
        b[b.length - 6]! ^= 1;
        return b;
      })(),
    },
    {
      name: 'a flipped prelude byte (prelude CRC)',
      bytes: (() => {
        const b = event.slice();
        b[5]! ^= 1;
        return b;
      })(),
    },
    { name: 'a length below the minimum', bytes: new Uint8Array([0, 0, 0, 4, 0, 0, 0, 0]) },
    { name: 'a length beyond any message', bytes: new TextEncoder().encode('{"message":"not a stream"}') },
  ];
  for (const item of broken) {
    test(`${item.name} is a retryable 502`, async () => {
      await assert.rejects(
        decodeAll([item.bytes]),
        (e: unknown) => e instanceof UpstreamError && !(e instanceof UpstreamConnectionError) && e.status === 502 && e.retryable,
      );
    });
  }
});
