// What a request needs of a route, read from the request itself: capabilities it uses, its size in tokens (o200k_base,
// the encoding of GPT-4o and later models), the output it asks for and the parameters it sets.
// Token accounting follows OpenAI's cookbook "How to count tokens with tiktoken" (3 tokens of framing per message and
// 3 to prime the reply) and the vision guide's image costs (platform.openai.com/docs/guides/images-vision).
import type { Capability } from '../catalog/index.ts';
import { countTextTokensInSlices, createTokenCounter, type TokenCounter } from '../metering/index.ts';
import type { ChatCompletionRequest, EmbeddingRequest } from '../wire/index.ts';
import { countImageTokens } from './count-image-tokens.ts';
import type { RequestNeeds } from './plan-types.ts';

const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_REPLY = 3;

/** Fields that are the request itself (or Crossway's), not parameters a route could drop. */
const CHAT_FIELDS: ReadonlySet<string> = new Set(['model', 'messages', 'stream', 'crossway']);
const EMBEDDING_FIELDS: ReadonlySet<string> = new Set(['model', 'input', 'crossway']);

/** How one derivation counts: text, and an `image_url` part from its URL and detail. */
interface Counting {
  text(text: string): number;
  image(url: unknown, detail: unknown): number;
}

/** The cheap upper bound: every o200k_base token spans at least one UTF-8 byte; images at the most any scheme bills. */
const COUNT_AT_MOST: Counting = {
  text: (text) => Buffer.byteLength(text, 'utf8'),
  image: (url, detail) => countImageTokens(url, detail).atMost,
};

/** The real count: the tokenizer (exact within the counter's work budget, an upper bound past it), images by tiles. */
function countExactly(counter: TokenCounter): Counting {
  return { text: (text) => counter.count(text), image: (url, detail) => countImageTokens(url, detail).tokens };
}

/**
 * The needs with `inputTokens` as a cheap upper bound (UTF-8 bytes) and `exactInputTokens()` for the real count:
 * the planner counts exactly only when the bound does not fit a route's context window. Counted synchronously, the
 * exact count spends at most one counter's work budget (TOKEN_COUNT_WORK_BUDGET, ~10 ms) however large the request;
 * `measureExactInputTokens()` counts it beforehand in slices that yield to the event loop, for large requests.
 */
function withLazyExactCount(derive: (count: Counting) => RequestNeeds, counter: TokenCounter): RequestNeeds {
  const bound = derive(COUNT_AT_MOST);
  let exact: number | undefined;
  return {
    ...bound,
    exactInputTokens: () => (exact ??= derive(countExactly(counter)).inputTokens),
    measureExactInputTokens: async (signal) => {
      if (exact !== undefined) return;
      // A derivation asks for its texts in the same order whatever the counts: collect them, count them in slices,
      // then derive again with the counts in that order.
      const texts: string[] = [];
      derive({
        text: (text) => {
          texts.push(text);
          return 0;
        },
        image: () => 0,
      });
      const counts = await countTextTokensInSlices(texts, signal);
      if (counts === null || exact !== undefined) return;
      let next = 0;
      exact = derive({ text: () => counts[next++] ?? 0, image: (url, detail) => countImageTokens(url, detail).tokens }).inputTokens;
    },
  };
}

/**
 * The needs of a chat request:
 * - capabilities: `tools` (non-empty `tools`, or the legacy `functions`), `vision` (any `image_url` part),
 *   `json_schema` (`response_format.type: json_schema`), `streaming` (`stream: true`);
 * - inputTokens: message texts, names, tool calls (names and arguments), tool definitions and the JSON schema as JSON,
 *   plus per-message framing; images as OpenAI bills them, sized from a data URL's header (countImageTokens), their
 *   data never decoded past it nor serialized;
 * - maxOutputTokens: `max_completion_tokens`, else `max_tokens`, else null;
 * - parameters: the top-level fields set to a non-null value, without `model`, `messages`, `stream` and `crossway`,
 *   sorted.
 * `counter` bounds the work of the exact count: pass one shared counter to bound several derivations together.
 */
export function deriveRequestNeeds(request: ChatCompletionRequest, counter: TokenCounter = createTokenCounter()): RequestNeeds {
  return withLazyExactCount((count) => deriveChatNeeds(request, count), counter);
}

function deriveChatNeeds(request: ChatCompletionRequest, count: Counting): RequestNeeds {
  const tokensOf = count.text;
  const capabilities: Capability[] = [];
  if ((request.tools?.length ?? 0) > 0 || Array.isArray(request.functions)) capabilities.push('tools');
  let inputTokens = TOKENS_PER_REPLY;
  let images = false;
  for (const message of request.messages) {
    inputTokens += TOKENS_PER_MESSAGE + tokensOf(message.role);
    const counted = countMessage(message as Record<string, unknown>, count);
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
export function deriveEmbeddingNeeds(request: EmbeddingRequest, counter: TokenCounter = createTokenCounter()): RequestNeeds {
  return withLazyExactCount((count) => deriveEmbeddingNeedsWith(request, count), counter);
}

function deriveEmbeddingNeedsWith(request: EmbeddingRequest, count: Counting): RequestNeeds {
  const tokensOf = count.text;
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
  return {
    capabilities: ['embeddings'],
    inputTokens: longest,
    billedInputTokens: total,
    maxOutputTokens: null,
    parameters: listParameters(request, EMBEDDING_FIELDS),
  };
}

/** Tokens of one message's content, name and tool calls, and whether it carries an image. */
function countMessage(message: Record<string, unknown>, count: Counting): { tokens: number; images: boolean } {
  const tokensOf = count.text;
  let tokens = 0;
  let images = false;
  const content = message.content;
  if (typeof content === 'string') tokens += tokensOf(content);
  else if (Array.isArray(content)) {
    for (const part of content as Record<string, unknown>[]) {
      if (typeof part.text === 'string') tokens += tokensOf(part.text);
      else if (part.type === 'image_url') {
        images = true;
        const image = part.image_url as { url?: unknown; detail?: unknown } | undefined;
        tokens += count.image(image?.url, image?.detail);
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
