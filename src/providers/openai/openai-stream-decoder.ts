// Streams an OpenAI-wire chat completion through as bytes: forwards every SSE event unchanged, reads usage from the
// chunk that carries it, withholds the usage-only chunk when the client did not ask for it, and turns error events
// and early ends into errors. Only chunks that can carry usage or an error are JSON-parsed, unless the consumer asks
// for every chunk parsed (`parseChunks`), and then each is parsed once. Two text edits make the stream the client's:
// the `model` it was answered with (`answerModel`), and no `"usage": null` when it did not ask for usage (Crossway
// asks the cloud for it on its own behalf).
// Sources: OpenAI API reference "The chat completion chunk object" and `stream_options.include_usage` ("an additional
// chunk will be streamed before the data: [DONE] message ... the choices field will always be an empty array. All
// other chunks will also include a usage field, but with a null value"); Azure OpenAI "Content streaming"
// (learn.microsoft.com/azure/ai-foundry/openai/concepts/content-streaming): Azure's first chunk is
// `choices: []` + `prompt_filter_results` with `usage: null`, and annotation chunks carry `content_filter_results`.
import type { Route } from '../../catalog/index.ts';
import { UpstreamConnectionError, type ChatCompletionChunk, type UpstreamError, type Usage } from '../../wire/index.ts';
import type { ChatStreamEvent, ChatStreamOptions } from '../provider-adapter.ts';
import { createSseSplitter, joinAdjacent } from '../sse/index.ts';
import { summarizeErrorBody } from '../summarize-error-body.ts';
import { invalidUpstreamResponse, normalizeOpenAIUsage } from './convert-openai-response.ts';
import { mapOpenAIStreamError, readOpenAIErrorValue, type UpstreamErrorFields } from './map-openai-error.ts';
import { openaiChatChunkSchema } from './openai-api.ts';
import { dropNullUsage, replaceJsonModel } from './rewrite-openai-chunk.ts';

/** Maps the error object of a stream event to the error thrown; adapters with their own rules (Azure) pass theirs. */
export type StreamErrorMapper = (fields: UpstreamErrorFields, route: Route) => UpstreamError;

/**
 * Forwards an OpenAI-wire SSE stream as ChatStreamEvents: the events that arrived in one upstream chunk leave as one
 * `chunks` event (so the output has about as many pieces as the input, each a view of the upstream's bytes minus any
 * withheld event), with the chunks parsed only when `options.parseChunks` is set. The usage is one `usage` event:
 * at the usage-only chunk (`choices: []`, the last chunk before `[DONE]` by OpenAI's definition; its bytes go with
 * the event when `includeUsage`), or, when the cloud put its usage on content chunks only, the last one seen just
 * before `done`. Throws the mapped UpstreamError on an error event (after the events before it) and
 * UpstreamConnectionError when the body ends before `data: [DONE]`. Errors of the body itself (a reset connection, an
 * abort) pass through unchanged for the executor to classify.
 */
export async function* decodeOpenAIStream(
  body: AsyncIterable<Uint8Array>,
  route: Route,
  options: ChatStreamOptions,
  mapStreamError: StreamErrorMapper = mapOpenAIStreamError,
): AsyncGenerator<ChatStreamEvent, void, undefined> {
  const splitter = createSseSplitter();
  const parseChunks = options.parseChunks === true;
  const model = options.answerModel?.(route);
  const dropUsage = !options.includeUsage;
  /** The event's bytes as the client gets them: unchanged (the same view) unless an edit applied. */
  const rewrite = (raw: Uint8Array, data: string): Uint8Array => {
    let text = model === undefined ? data : replaceJsonModel(data, model);
    if (dropUsage) text = dropNullUsage(text);
    return text === data ? raw : Buffer.from(`data: ${text}\n\n`);
  };
  // The last usage seen on a content chunk; null once the usage event has been sent.
  let usage: Usage | null = null;
  let usageSent = false;
  for await (const chunk of body) {
    // Events of one network chunk leave together, as one view when they are adjacent (they almost always are).
    let forward: Uint8Array[] = [];
    let parsed: ChatCompletionChunk[] | null = parseChunks ? [] : null;
    for (const event of splitter.push(chunk)) {
      const data = event.data;
      if (data === null) {
        // Comments and keep-alives: harmless to SSE clients and they keep idle connections open.
        forward.push(event.raw);
        continue;
      }
      if (isDoneMarker(data)) {
        if (forward.length > 0) yield { type: 'chunks', bytes: joinAdjacent(forward), chunks: parsed };
        if (usage !== null && !usageSent) yield { type: 'usage', usage, bytes: null };
        yield { type: 'done', bytes: event.raw };
        return;
      }
      const isErrorEvent = event.event === 'error';
      if (!parseChunks && !isErrorEvent && !mayHoldValue(data, '"error"') && !mayHoldValue(data, '"usage"')) {
        forward.push(rewrite(event.raw, data));
        continue;
      }
      const json = parseJson(data);
      if (isErrorEvent || hasTopLevelError(json)) {
        if (forward.length > 0) yield { type: 'chunks', bytes: joinAdjacent(forward), chunks: parsed };
        throw mapStreamError(readStreamError(json, data), route);
      }
      const read = (json as { usage?: unknown } | undefined)?.usage != null ? readChunkUsage(json) : null;
      if (read !== null && !usageSent) {
        if (!read.usageOnly) usage = read.usage;
        else {
          // The final usage: metering may commit now, before the rest of the stream (`[DONE]`) goes out.
          if (forward.length > 0) yield { type: 'chunks', bytes: joinAdjacent(forward), chunks: parsed };
          forward = [];
          parsed = parseChunks ? [] : null;
          usageSent = true;
          yield { type: 'usage', usage: read.usage, bytes: options.includeUsage ? rewrite(event.raw, data) : null };
          continue;
        }
      }
      // A later usage-only chunk (a server that repeats it) is withheld like the first when the client did not ask.
      if (read?.usageOnly === true && !options.includeUsage) continue;
      if (parsed !== null) parsed.push(readParsedChunk(json, route, model));
      forward.push(rewrite(event.raw, data));
    }
    if (forward.length > 0) yield { type: 'chunks', bytes: joinAdjacent(forward), chunks: parsed };
  }
  throw new UpstreamConnectionError(route.id, 'the stream ended before data: [DONE]');
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
    // Not JSON: nothing to read from it; it is forwarded as the upstream sent it (or refused, when chunks are parsed).
    return undefined;
  }
}

/** A parsed event as a chunk for a consumer that reads them; an event without `choices` carries no delta. */
function readParsedChunk(json: unknown, route: Route, model: string | undefined): ChatCompletionChunk {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalidUpstreamResponse(route, 'a stream event is not a JSON object');
  const value = json as ChatCompletionChunk;
  if (model !== undefined && typeof value.model === 'string') value.model = model;
  return Array.isArray(value.choices) ? value : { ...value, choices: [] };
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
