// Binary frames of the AWS event stream (application/vnd.amazon.eventstream) for ConverseStream: prelude, headers,
// JSON payload and CRCs, built with @smithy/eventstream-codec. Headers per the AWS event stream encoding
// (https://smithy.io/2.0/aws/amazon-eventstream.html): events carry
// `:event-type`, `:content-type` and `:message-type: event`; exceptions `:exception-type` and `:message-type:
// exception`. Bedrock pads event payloads with a `p` field of random length (a prefix of a-zA-Z0-9) so that frame
// sizes do not reveal token lengths, as seen in captured streams; clients ignore it.
import { EventStreamCodec } from '@smithy/eventstream-codec';
import type { MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

/** Content type of a Bedrock event-stream response. */
export const BEDROCK_EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const PADDING_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** One `:message-type: event` frame; `paddingLength` characters of `p` are added to the payload. */
export function encodeBedrockEvent(eventType: string, payload: Record<string, unknown>, paddingLength = 0): Uint8Array {
  const padded = paddingLength > 0 ? { ...payload, p: PADDING_ALPHABET.slice(0, paddingLength) } : payload;
  return encodeFrame({ ':event-type': text(eventType), ':content-type': text('application/json'), ':message-type': text('event') }, padded);
}

/** One `:message-type: exception` frame, e.g. `throttlingException` with `{"message": ...}`. */
export function encodeBedrockException(exceptionType: string, payload: Record<string, unknown>): Uint8Array {
  return encodeFrame({ ':exception-type': text(exceptionType), ':content-type': text('application/json'), ':message-type': text('exception') }, payload);
}

function encodeFrame(headers: MessageHeaders, payload: unknown): Uint8Array {
  return codec.encode({ headers, body: fromUtf8(JSON.stringify(payload)) });
}

function text(value: string): { type: 'string'; value: string } {
  return { type: 'string', value };
}
