// Splits an `application/vnd.amazon.eventstream` body into messages, whatever the network chunk boundaries, and
// decodes each with @smithy/eventstream-codec (which checks both CRC32 checksums and parses the typed headers).
// Source: AWS "Event stream encoding" (docs.aws.amazon.com/AmazonS3/latest/API/RESTSelectObjectAppendix.html and the
// Transcribe streaming "event stream encoding" page): a message is prelude (total length u32, headers length u32,
// prelude CRC32), headers, payload, message CRC32, all big-endian; `:message-type` is `event`, `exception` or `error`.
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { Route } from '../../catalog/index.ts';
import { UpstreamConnectionError } from '../../wire/index.ts';
import { invalidUpstreamResponse } from '../openai/index.ts';

/** One decoded event stream message: its string headers and raw payload. */
export interface BedrockStreamMessage {
  /** `event`, `exception` or `error` (the `:message-type` header). */
  messageType: string;
  /** `:event-type` of events, `:exception-type` of exceptions, `:error-code` of errors; '' when absent. */
  type: string;
  /** `:error-message` of `error` messages; '' otherwise. */
  errorMessage: string;
  payload: Uint8Array;
}

/** Prelude (8) + prelude CRC (4) + message CRC (4): the smallest possible message. */
const MINIMUM_MESSAGE_LENGTH = 16;
/** A bound on one message (AWS caps event stream messages at 16 MiB of payload plus 128 KiB of headers). */
const MAXIMUM_MESSAGE_LENGTH = 16 * 1024 * 1024 + 128 * 1024 + MINIMUM_MESSAGE_LENGTH;

/**
 * The messages of an event stream body, yielded as one array per network chunk (empty arrays are not yielded), so
 * that a translator can forward what one chunk produced together. Throws UpstreamConnectionError when the body ends
 * inside a message, and a retryable UpstreamError (502) for bytes that are not an event stream (bad length or CRC).
 */
export async function* decodeBedrockEventStream(body: AsyncIterable<Uint8Array>, route: Route): AsyncGenerator<BedrockStreamMessage[], void, undefined> {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  let buffered: Uint8Array = new Uint8Array(0);
  for await (const chunk of body) {
    buffered = buffered.length === 0 ? chunk : concat(buffered, chunk);
    const messages: BedrockStreamMessage[] = [];
    let offset = 0;
    while (buffered.length - offset >= 4) {
      const view = new DataView(buffered.buffer, buffered.byteOffset + offset, 4);
      const length = view.getUint32(0, false);
      if (length < MINIMUM_MESSAGE_LENGTH || length > MAXIMUM_MESSAGE_LENGTH) {
        throw invalidUpstreamResponse(route, `event stream message length ${length} is out of bounds`);
      }
      if (buffered.length - offset < length) break;
      messages.push(decodeMessage(codec, buffered.subarray(offset, offset + length), route));
      offset += length;
    }
    // Keep only the unread tail, as a copy (Buffer#slice would be a view), so the chunk it came from can be released.
    buffered = offset === buffered.length ? new Uint8Array(0) : offset === 0 ? buffered : new Uint8Array(buffered.subarray(offset));
    if (messages.length > 0) yield messages;
  }
  if (buffered.length > 0) throw new UpstreamConnectionError(route.id, 'the event stream ended inside a message');
}

function decodeMessage(codec: EventStreamCodec, bytes: Uint8Array, route: Route): BedrockStreamMessage {
  let decoded: ReturnType<EventStreamCodec['decode']>;
  try {
    decoded = codec.decode(bytes);
  } catch (error) {
    throw invalidUpstreamResponse(route, `bad event stream message: ${error instanceof Error ? error.message : String(error)}`);
  }
  const header = (name: string): string => {
    const value = decoded.headers[name];
    return value?.type === 'string' ? value.value : '';
  };
  const messageType = header(':message-type');
  const type = messageType === 'exception' ? header(':exception-type') : messageType === 'error' ? header(':error-code') : header(':event-type');
  return { messageType, type, errorMessage: header(':error-message'), payload: decoded.body };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}
