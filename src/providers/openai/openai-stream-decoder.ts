// Streams an OpenAI-wire chat completion through as bytes: forwards every SSE event unchanged, reads usage from the
// chunk that carries it, withholds the usage-only chunk when the client did not ask for it, and turns error events
// and early ends into errors. Only chunks that can carry usage or an error are JSON-parsed.
// Sources: OpenAI API reference "The chat completion chunk object" and `stream_options.include_usage` ("an additional
// chunk will be streamed before the data: [DONE] message ... the choices field will always be an empty array. All
// other chunks will also include a usage field, but with a null value"); Azure OpenAI "Content streaming"
// (learn.microsoft.com/azure/ai-foundry/openai/concepts/content-streaming): Azure's first chunk is
// `choices: []` + `prompt_filter_results` with `usage: null`, and annotation chunks carry `content_filter_results`.
import type { Route } from '../../catalog/index.ts';
import { UpstreamConnectionError, type UpstreamError, type Usage } from '../../wire/index.ts';
import type { ChatStreamOptions } from '../provider-adapter.ts';
import { createSseSplitter } from '../sse/index.ts';
import { summarizeErrorBody } from '../summarize-error-body.ts';
import { normalizeOpenAIUsage } from './convert-openai-response.ts';
import { mapOpenAIStreamError, readOpenAIErrorValue, type UpstreamErrorFields } from './map-openai-error.ts';
import { openaiChatChunkSchema } from './openai-api.ts';

/** Maps the error object of a stream event to the error thrown; adapters with their own rules (Azure) pass theirs. */
export type StreamErrorMapper = (fields: UpstreamErrorFields, route: Route) => UpstreamError;

/**
 * Forwards an OpenAI-wire SSE stream: the events that arrived in one upstream chunk are yielded together (so the
 * output has about as many chunks as the input, each the upstream's bytes minus any withheld event). Calls `options.onUsage` once with the last usage seen:
 * just before the `[DONE]` event is yielded (so metering can commit before the last byte reaches the client), or, when the stream fails or the consumer stops
 * early, when the generator finishes. Throws the mapped UpstreamError on an error event and UpstreamConnectionError when the body ends before `data: [DONE]`.
 * Errors of the body itself (a reset connection, an abort) pass through unchanged for the executor to classify.
 */
export async function* decodeOpenAIStream(
  body: AsyncIterable<Uint8Array>,
  route: Route,
  options: ChatStreamOptions,
  mapStreamError: StreamErrorMapper = mapOpenAIStreamError,
): AsyncGenerator<Uint8Array, void, undefined> {
  const splitter = createSseSplitter();
  let usage: Usage | null = null;
  let reported = false;
  const report = (): void => {
    if (reported || usage === null) return;
    reported = true;
    options.onUsage(usage);
  };
  try {
    for await (const chunk of body) {
      // Events of one network chunk leave together, as one view when they are adjacent (they almost always are).
      const forward: Uint8Array[] = [];
      for (const event of splitter.push(chunk)) {
        const data = event.data;
        if (data === null) {
          // Comments and keep-alives: harmless to SSE clients and they keep idle connections open.
          forward.push(event.raw);
          continue;
        }
        if (isDoneMarker(data)) {
          forward.push(event.raw);
          report();
          yield joinAdjacent(forward);
          return;
        }
        const isErrorEvent = event.event === 'error';
        if (isErrorEvent || mayHoldValue(data, '"error"') || mayHoldValue(data, '"usage"')) {
          const json = parseJson(data);
          if (isErrorEvent || hasTopLevelError(json)) {
            if (forward.length > 0) yield joinAdjacent(forward);
            throw mapStreamError(readStreamError(json, data), route);
          }
          const read = readChunkUsage(json);
          if (read !== null) {
            usage = read.usage;
            if (read.usageOnly && !options.includeUsage) continue;
          }
        }
        forward.push(event.raw);
      }
      if (forward.length > 0) yield joinAdjacent(forward);
    }
    throw new UpstreamConnectionError(route.id, 'the stream ended before data: [DONE]');
  } finally {
    report();
  }
}

/** One chunk for several event byte ranges: a view when they are adjacent in one buffer, else a copy. */
export function joinAdjacent(parts: Uint8Array[]): Uint8Array {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  let end = first.byteOffset + first.length;
  for (let k = 1; k < parts.length; k++) {
    const part = parts[k]!;
    if (part.buffer !== first.buffer || part.byteOffset !== end) return Buffer.concat(parts);
    end += part.length;
  }
  return new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset);
}

function isDoneMarker(data: string): boolean {
  return data.length < 16 && data.trim() === '[DONE]';
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const LOWER_N = 0x6e;

function isJsonSpace(code: number): boolean {
  return code === SPACE || code === TAB || code === LF || code === CR;
}

/**
 * Cheap pre-check before JSON.parse: true when `data` may contain the object key `quotedKey` with a value other than
 * null, at any depth. In JSON text a key is a quoted string followed by a colon; the same letters inside a string
 * value have escaped quotes, so they never match. False positives (a nested key) only cost a parse.
 */
export function mayHoldValue(data: string, quotedKey: string): boolean {
  let at = data.indexOf(quotedKey);
  while (at !== -1) {
    let i = at + quotedKey.length;
    while (isJsonSpace(data.charCodeAt(i))) i++;
    if (data.charCodeAt(i) === COLON) {
      i++;
      while (isJsonSpace(data.charCodeAt(i))) i++;
      if (data.charCodeAt(i) !== LOWER_N) return true;
    }
    at = data.indexOf(quotedKey, at + quotedKey.length);
  }
  return false;
}

function parseJson(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    // Not JSON: nothing to read from it; it is forwarded as the upstream sent it.
    return undefined;
  }
}

/** The error of an error event; an `event: error` whose data is not an error object gives its text as message. */
function readStreamError(json: unknown, data: string): UpstreamErrorFields {
  return (
    readOpenAIErrorValue(json) ?? {
      message: summarizeErrorBody(data, 500),
      code: null,
      type: null,
      param: null,
      status: null,
      error: null,
    }
  );
}

function hasTopLevelError(json: unknown): boolean {
  return typeof json === 'object' && json !== null && 'error' in json && (json as { error: unknown }).error != null;
}

/** The usage a chunk carries, and whether the chunk is the usage-only one (`choices: []` with usage). */
function readChunkUsage(json: unknown): { usage: Usage; usageOnly: boolean } | null {
  const checked = openaiChatChunkSchema.safeParse(json);
  if (!checked.success) return null;
  const { usage, choices } = checked.data;
  if (usage === null || usage === undefined) return null;
  return { usage: normalizeOpenAIUsage(usage), usageOnly: Array.isArray(choices) && choices.length === 0 };
}
