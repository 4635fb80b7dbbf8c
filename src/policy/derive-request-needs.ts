// What a request needs of a route, read from the request itself: capabilities it uses, its size in tokens (o200k_base,
// the encoding of GPT-4o and later models), the output it asks for and the parameters it sets.
// Token accounting follows OpenAI's cookbook "How to count tokens with tiktoken" (3 tokens of framing per message and
// 3 to prime the reply) and the vision guide's image costs (platform.openai.com/docs/guides/images-vision).
import { createRequire } from 'node:module';
import type { Capability } from '../catalog/index.ts';
import type { ChatCompletionRequest, EmbeddingRequest } from '../wire/index.ts';
import type { RequestNeeds } from './plan-types.ts';

const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_REPLY = 3;
/** A `detail: low` image costs a flat 85 tokens. */
const LOW_DETAIL_IMAGE_TOKENS = 85;
/**
 * Other images cost 85 + 170 per 512 px tile of the scaled image, which needs the image's size; reading it would mean
 * decoding the data, so every image is counted as a 1024x1024 one (4 tiles): an estimate, good enough for routing.
 */
const IMAGE_TOKENS = 765;

/** Fields that are the request itself (or Crossway's), not parameters a route could drop. */
const CHAT_FIELDS: ReadonlySet<string> = new Set(['model', 'messages', 'stream', 'crossway']);
const EMBEDDING_FIELDS: ReadonlySet<string> = new Set(['model', 'input', 'crossway']);

// Text from clients may contain special-token spellings (`<|endoftext|>`); they are counted as the plain text they are.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

type CountTokens = (text: string, options: typeof PLAIN_TEXT) => number;
let countTokens: CountTokens | undefined;

/**
 * Exact o200k_base count. The tokenizer's tables cost ~55 MB of memory and ~50 ns per token, so they are loaded on
 * first use only: most requests never need them (see deriveRequestNeeds).
 */
function tokensOf(text: string): number {
  if (text === '') return 0;
  countTokens ??= (createRequire(import.meta.url)('gpt-tokenizer/encoding/o200k_base') as { countTokens: CountTokens }).countTokens;
  return countTokens(text, PLAIN_TEXT);
}

/** An upper bound of the token count: every o200k_base token spans at least one UTF-8 byte. */
function tokensAtMost(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * The needs with `inputTokens` as a cheap upper bound (UTF-8 bytes) and `exactInputTokens()` for the real count:
 * the planner counts exactly only when the bound does not fit a route's context window.
 */
function withLazyExactCount(derive: (count: (text: string) => number) => RequestNeeds): RequestNeeds {
  const bound = derive(tokensAtMost);
  let exact: number | undefined;
  return { ...bound, exactInputTokens: () => (exact ??= derive(tokensOf).inputTokens) };
}

/**
 * The needs of a chat request:
 * - capabilities: `tools` (non-empty `tools`, or the legacy `functions`), `vision` (any `image_url` part),
 *   `json_schema` (`response_format.type: json_schema`), `streaming` (`stream: true`);
 * - inputTokens: message texts, names, tool calls (names and arguments), tool definitions and the JSON schema as JSON,
 *   plus per-message framing; images count as a fixed estimate and their data is never read or serialized;
 * - maxOutputTokens: `max_completion_tokens`, else `max_tokens`, else null;
 * - parameters: the top-level fields set to a non-null value, without `model`, `messages`, `stream` and `crossway`,
 *   sorted.
 */
export function deriveRequestNeeds(request: ChatCompletionRequest): RequestNeeds {
  return withLazyExactCount((count) => deriveChatNeeds(request, count));
}

function deriveChatNeeds(request: ChatCompletionRequest, tokensOf: (text: string) => number): RequestNeeds {
  const capabilities: Capability[] = [];
  if ((request.tools?.length ?? 0) > 0 || Array.isArray(request.functions)) capabilities.push('tools');
  let inputTokens = TOKENS_PER_REPLY;
  let images = false;
  for (const message of request.messages) {
    inputTokens += TOKENS_PER_MESSAGE + tokensOf(message.role);
    const counted = countMessage(message as Record<string, unknown>, tokensOf);
    inputTokens += counted.tokens;
    images ||= counted.images;
  }
  if (images) capabilities.push('vision');
  for (const tool of request.tools ?? []) inputTokens += tokensOf(JSON.stringify(tool.function));
  if (Array.isArray(request.functions)) inputTokens += tokensOf(JSON.stringify(request.functions));
  if (request.response_format?.type === 'json_schema') {
    capabilities.push('json_schema');
    inputTokens += tokensOf(JSON.stringify(request.response_format.json_schema));
  }
  if (request.stream === true) capabilities.push('streaming');
  return {
    capabilities,
    inputTokens,
    maxOutputTokens: request.max_completion_tokens ?? request.max_tokens ?? null,
    choices: request.n ?? 1,
    parameters: listParameters(request, CHAT_FIELDS),
  };
}

/**
 * The needs of an embeddings request: the `embeddings` capability, the tokens of its longest input (what a context
 * window must hold) and of all its inputs together (what the call is billed for).
 */
export function deriveEmbeddingNeeds(request: EmbeddingRequest): RequestNeeds {
  return withLazyExactCount((count) => deriveEmbeddingNeedsWith(request, count));
}

function deriveEmbeddingNeedsWith(request: EmbeddingRequest, tokensOf: (text: string) => number): RequestNeeds {
  // The context window of an embedding model bounds each input on its own, not the batch: the longest one decides.
  const input = request.input;
  let longest = 0;
  let total = 0;
  if (typeof input === 'string') longest = total = tokensOf(input);
  else if (input.every((item) => typeof item === 'number')) longest = total = input.length;
  else {
    for (const item of input) {
      const tokens = typeof item === 'string' ? tokensOf(item) : item.length;
      longest = Math.max(longest, tokens);
      total += tokens;
    }
  }
  return { capabilities: ['embeddings'], inputTokens: longest, billedInputTokens: total, maxOutputTokens: null, parameters: listParameters(request, EMBEDDING_FIELDS) };
}

/** Tokens of one message's content, name and tool calls, and whether it carries an image. */
function countMessage(message: Record<string, unknown>, tokensOf: (text: string) => number): { tokens: number; images: boolean } {
  let tokens = 0;
  let images = false;
  const content = message.content;
  if (typeof content === 'string') tokens += tokensOf(content);
  else if (Array.isArray(content)) {
    for (const part of content as Record<string, unknown>[]) {
      if (typeof part.text === 'string') tokens += tokensOf(part.text);
      else if (part.type === 'image_url') {
        images = true;
        const detail = (part.image_url as { detail?: unknown } | undefined)?.detail;
        tokens += detail === 'low' ? LOW_DETAIL_IMAGE_TOKENS : IMAGE_TOKENS;
      }
      // Other parts (audio, files) are data, not text: their size is not estimated.
    }
  }
  if (typeof message.name === 'string') tokens += tokensOf(message.name);
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls as { function?: { name?: unknown; arguments?: unknown } }[]) {
      if (typeof call.function?.name === 'string') tokens += tokensOf(call.function.name);
      if (typeof call.function?.arguments === 'string') tokens += tokensOf(call.function.arguments);
    }
  }
  return { tokens, images };
}

function listParameters(request: Record<string, unknown>, fields: ReadonlySet<string>): string[] {
  // Sorted: the validator may reorder keys, and equal requests should give equal needs.
  return Object.keys(request)
    .filter((key) => !fields.has(key) && request[key] !== null && request[key] !== undefined)
    .sort();
}
