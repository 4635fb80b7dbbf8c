// The OpenTelemetry GenAI semantic conventions as Crossway uses them: provider names, the three metrics with their
// recommended bucket boundaries, what an answer says (id, finish reasons), and captured content in the conventions'
// message shape, bounded in size. Names are written out here: the conventions moved out of the semantic-conventions
// package's incubating entry (marked deprecated there), and they are few.
// https://opentelemetry.io/docs/specs/semconv/gen-ai/
import type { Histogram, Meter } from '@opentelemetry/api';

/**
 * The conventions' `gen_ai.provider.name` for each of the catalog's provider protocols; any other protocol (an
 * OpenAI-compatible server, say) is named as the catalog names it.
 */
const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  openai: 'openai',
  azure: 'azure.ai.openai',
  bedrock: 'aws.bedrock',
  vertex: 'gcp.vertex_ai',
};

/** `gen_ai.provider.name` of a route's provider. */
export function genAiProviderName(provider: string): string {
  return Object.hasOwn(PROVIDER_NAMES, provider) ? PROVIDER_NAMES[provider]! : provider;
}

/** Recommended boundaries of `gen_ai.client.token.usage` ({token}). */
export const TOKEN_USAGE_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
/** Recommended boundaries of `gen_ai.client.operation.duration` (s). */
export const OPERATION_DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
/** Recommended boundaries of `gen_ai.server.time_to_first_token` (s). */
export const TIME_TO_FIRST_TOKEN_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

/** The GenAI histograms of one gateway's meter. */
export class GenAiInstruments {
  readonly tokenUsage: Histogram;
  readonly operationDuration: Histogram;
  readonly timeToFirstToken: Histogram;

  constructor(meter: Meter) {
    this.tokenUsage = meter.createHistogram('gen_ai.client.token.usage', {
      description: 'Number of input and output tokens used.',
      unit: '{token}',
      advice: { explicitBucketBoundaries: TOKEN_USAGE_BUCKETS },
    });
    this.operationDuration = meter.createHistogram('gen_ai.client.operation.duration', {
      description: 'GenAI operation duration.',
      unit: 's',
      advice: { explicitBucketBoundaries: OPERATION_DURATION_BUCKETS },
    });
    this.timeToFirstToken = meter.createHistogram('gen_ai.server.time_to_first_token', {
      description: 'Time to generate first token for successful responses.',
      unit: 's',
      advice: { explicitBucketBoundaries: TIME_TO_FIRST_TOKEN_BUCKETS },
    });
  }
}

/** A call's tokens, as the metering records them. */
export interface TokenCounts {
  input: number;
  output: number;
  cached: number;
  reasoning: number;
}

/** What the span tells of an answer. */
export interface AnswerFacts {
  id?: string;
  finishReasons: string[];
  /** The chat completion or Responses object, for captured content. */
  completion?: Record<string, unknown>;
}

/** Most finish reasons recorded (one per choice; `n` is bounded upstream, this bounds the attribute). */
const MAX_FINISH_REASONS = 16;

/**
 * Reads the id and finish reasons of an executed answer: a chat completion (`{ completion }`, also a Responses turn
 * run as chat) or a native Responses object (`{ kind: 'native', response }`, whose `status` stands for the reason).
 * Anything else (embeddings, streams) says nothing.
 */
export function readAnswerFacts(value: unknown): AnswerFacts {
  const facts: AnswerFacts = { finishReasons: [] };
  if (typeof value !== 'object' || value === null) return facts;
  const answer = value as { completion?: unknown; response?: unknown };
  const object = (answer.completion ?? answer.response) as Record<string, unknown> | undefined;
  if (typeof object !== 'object' || object === null) return facts;
  facts.completion = object;
  if (typeof object.id === 'string') facts.id = object.id.slice(0, 256);
  if (Array.isArray(object.choices)) {
    for (const choice of object.choices.slice(0, MAX_FINISH_REASONS)) {
      const reason = (choice as { finish_reason?: unknown } | null)?.finish_reason;
      if (typeof reason === 'string') facts.finishReasons.push(reason.slice(0, 64));
    }
  } else if (typeof object.status === 'string') facts.finishReasons.push(object.status.slice(0, 64));
  return facts;
}

/** Bytes of a stream's first and last chunks scanned for its id and finish reasons. */
const STREAM_SCAN_BYTES = 8 * 1024;
const CHUNK_ID = /"id"\s*:\s*"([^"\\]{1,256})"/;
const FINISH_REASON = /"finish_reason"\s*:\s*"([^"\\]{1,64})"/g;

/** The id (from the first chunk) and the finish reasons (from the last content chunk) of a chat stream's SSE bytes. */
export function readStreamFacts(first: Uint8Array | null, last: Uint8Array | null): Omit<AnswerFacts, 'completion'> {
  const facts: AnswerFacts = { finishReasons: [] };
  if (first !== null) {
    const id = CHUNK_ID.exec(Buffer.from(first.buffer, first.byteOffset, Math.min(first.byteLength, STREAM_SCAN_BYTES)).toString('latin1'));
    if (id !== null) facts.id = id[1]!;
  }
  if (last !== null) {
    const start = Math.max(0, last.byteLength - STREAM_SCAN_BYTES);
    const text = Buffer.from(last.buffer, last.byteOffset + start, last.byteLength - start).toString('latin1');
    for (const match of text.matchAll(FINISH_REASON)) if (facts.finishReasons.length < MAX_FINISH_REASONS) facts.finishReasons.push(match[1]!);
  }
  return facts;
}

/** One message in the conventions' shape: a role and typed parts. */
interface ConventionMessage {
  role: string;
  parts: Array<Record<string, unknown>>;
  finish_reason?: string;
}

/** Most messages captured from one request (the newest are kept). */
const MAX_MESSAGES = 64;

/** `gen_ai.input.messages`: the request's chat messages in the conventions' shape, as JSON of at most `maxBytes`. */
export function toInputMessages(messages: unknown, maxBytes: number): string {
  const list = Array.isArray(messages) ? messages.slice(-MAX_MESSAGES) : [];
  return boundedJson(
    list.map((message) => toConventionMessage(message as Record<string, unknown>)),
    maxBytes,
  );
}

/** `gen_ai.output.messages`: a chat completion's choices, or a Responses object's output text, as bounded JSON. */
export function toOutputMessages(completion: Record<string, unknown>, maxBytes: number): string {
  if (Array.isArray(completion.choices)) {
    const messages = completion.choices.slice(0, MAX_FINISH_REASONS).map((choice) => {
      const { message, finish_reason: reason } = (choice ?? {}) as { message?: Record<string, unknown>; finish_reason?: unknown };
      const converted = toConventionMessage(message ?? { role: 'assistant' });
      if (typeof reason === 'string') converted.finish_reason = reason;
      return converted;
    });
    return boundedJson(messages, maxBytes);
  }
  const texts: Array<Record<string, unknown>> = [];
  for (const item of Array.isArray(completion.output) ? completion.output.slice(0, MAX_MESSAGES) : []) {
    for (const part of Array.isArray(item?.content) ? item.content : []) {
      if (typeof part?.text === 'string') texts.push({ type: 'text', content: part.text });
    }
  }
  return boundedJson([{ role: 'assistant', parts: texts }], maxBytes);
}

function toConventionMessage(message: Record<string, unknown> | null): ConventionMessage {
  const role = typeof message?.role === 'string' ? message.role.slice(0, 32) : 'user';
  const parts: Array<Record<string, unknown>> = [];
  const content = message?.content;
  if (typeof content === 'string') parts.push({ type: 'text', content });
  else if (Array.isArray(content)) {
    for (const part of content.slice(0, MAX_MESSAGES)) {
      const typed = part as { type?: unknown; text?: unknown } | null;
      // Images and files are named, not copied: they would outgrow any bound.
      if (typeof typed?.text === 'string') parts.push({ type: 'text', content: typed.text });
      else parts.push({ type: typeof typed?.type === 'string' ? typed.type.slice(0, 32) : 'unknown' });
    }
  }
  const toolCalls = message?.tool_calls;
  if (Array.isArray(toolCalls)) {
    for (const call of toolCalls.slice(0, MAX_MESSAGES)) {
      const { id, function: fn } = (call ?? {}) as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
      parts.push({ type: 'tool_call', id, name: fn?.name, arguments: fn?.arguments });
    }
  }
  if (role === 'tool') parts.push({ type: 'tool_call_response', id: message?.tool_call_id });
  return { role, parts };
}

/**
 * JSON of `messages` in at most `maxBytes`: texts are cut to a share of the bound each, then the oldest messages are
 * dropped until it fits; the JSON stays valid (a cut string cannot be parsed by a backend).
 */
function boundedJson(messages: ConventionMessage[], maxBytes: number): string {
  const texts = messages.reduce((count, message) => count + message.parts.length, 0);
  // Each part's share of the bound, less room for its JSON around the text (role, type, quotes).
  const share = Math.max(32, Math.floor(maxBytes / Math.max(1, texts)) - 96);
  const cut = messages.map((message) => ({
    ...message,
    parts: message.parts.map((part) =>
      typeof part.content === 'string' && part.content.length > share ? { ...part, content: part.content.slice(0, share) } : part,
    ),
  }));
  let json = JSON.stringify(cut);
  while (Buffer.byteLength(json) > maxBytes && cut.length > 0) {
    cut.shift();
    json = JSON.stringify(cut);
  }
  return json;
}
