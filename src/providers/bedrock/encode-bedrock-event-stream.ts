// Test support: encodes `__fixtures__/bedrock-*.json` frame lists into the binary AWS event stream Bedrock sends,
// with @smithy/eventstream-codec (the same codec the AWS SDKs use), so fixtures stay readable. Used only by tests.
import { readFileSync } from 'node:fs';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

/** One frame of a fixture: an event (`:event-type`) or an exception (`:exception-type`) with a JSON payload. */
export type BedrockFixtureFrame = { event: string; payload: unknown } | { exception: string; payload: unknown };

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const encoder = new TextEncoder();

/** One frame as bytes, with the headers Bedrock sets (`:message-type`, `:event-type` or `:exception-type`, `:content-type`). */
export function encodeBedrockFrame(frame: BedrockFixtureFrame): Uint8Array {
  const body = encoder.encode(JSON.stringify(frame.payload));
  const typeHeaders =
    'event' in frame ? { ':message-type': 'event', ':event-type': frame.event } : { ':message-type': 'exception', ':exception-type': frame.exception };
  const headers: Record<string, { type: 'string'; value: string }> = {};
  for (const [name, value] of Object.entries({ ...typeHeaders, ':content-type': 'application/json' })) {
    headers[name] = { type: 'string', value };
  }
  return codec.encode({ headers, body });
}

/** The frames of a fixture file. */
export function readBedrockFrames(url: URL): BedrockFixtureFrame[] {
  return JSON.parse(readFileSync(url, 'utf8')) as BedrockFixtureFrame[];
}

/** All frames of a fixture (or a list) as one event stream body. */
export function encodeBedrockEventStream(frames: BedrockFixtureFrame[] | URL): Uint8Array {
  const list = frames instanceof URL ? readBedrockFrames(frames) : frames;
  return new Uint8Array(Buffer.concat(list.map(encodeBedrockFrame)));
}
