// Fits a Responses turn's context into a model's context window: `truncation: "auto"` drops the oldest items,
// `truncation: "disabled"` (OpenAI's default) refuses an input that does not fit.
// Source: OpenAI API reference, "Create a model response", `truncation`: "auto: If the input to this Response exceeds
// the model's context window size, the model will truncate the response to fit the context window by dropping items
// from the beginning of the conversation. disabled (default): If the input size will exceed the context window size
// for a model, the request will fail with a 400 error." The error is OpenAI's Responses one (invalid_request_error,
// code `context_length_exceeded`, param `input`).
import { createTokenCounter, type TokenCounter } from '../metering/index.ts';
import { deriveRequestNeeds, type RequestNeeds } from '../policy/index.ts';
import { InvalidRequestError, type ChatMessage, type ResponseItem } from '../wire/index.ts';
import { convertResponseItemsToChatMessages } from './convert-response-items-to-chat-messages.ts';
import { estimateRetainedBytes } from './response-chain-cache.ts';

/** Tokens one item adds to the chat request it is translated into. */
export type CountItemTokens = (item: ResponseItem) => number;

/** A turn's context and the window it must fit. */
export interface ContextBudget {
  /** The turn's instructions: never dropped (a leading system message). */
  instructions: string | null | undefined;
  /** Earlier turns' items, then the new input's items, oldest first. */
  items: readonly ResponseItem[];
  /** The model's context window, in tokens (input and output together, as OpenAI and the catalog count it). */
  contextWindow: number;
  /** Tokens kept free for the answer (the request's max_output_tokens, or the caller's reserve); 0 for none. */
  reservedOutputTokens: number;
  /**
   * Counts an item (instructions are counted as a system message item). Default: countResponseItemTokens, after a
   * cheap upper bound (UTF-8 bytes) that spares the tokenizer when the bound already fits.
   */
  countItemTokens?: CountItemTokens;
  /**
   * Tokens of the request outside its messages: reply priming, tool definitions, a JSON schema. Default 3 (the reply
   * priming of a request without tools); `deriveRequestNeeds({ ...chat, messages: [] })` gives the exact figure.
   */
  overheadTokens?: number;
}

export interface TruncateContextItemsOptions extends ContextBudget {
  /** Index in `items` of the new input's first item: it and every later item are never dropped. */
  keepFrom: number;
}

export interface TruncatedContext {
  /** The items kept (a suffix of the given ones); the same array contents when nothing was dropped. */
  items: ResponseItem[];
  /** How many items were dropped from the beginning. */
  dropped: number;
  /** The input tokens of the kept context, as counted (an upper bound when the cheap bound already fitted). */
  inputTokens: number;
}

const REPLY_PRIMING_TOKENS = deriveRequestNeeds({ model: 'count', messages: [] }).inputTokens;

/** OpenAI's error for an input larger than the model's context window (400, `context_length_exceeded`, param `input`). */
export function createContextLengthExceededError(): InvalidRequestError {
  return new InvalidRequestError(
    'Your input exceeds the context window of this model. Please adjust your input and try again.',
    'input',
    'context_length_exceeded',
  );
}

/**
 * The o200k_base tokens `item` adds to a chat request, counted exactly as the planner counts a chat request
 * (deriveRequestNeeds: 3 tokens of framing per message plus its role, text, tool call names and arguments, images at
 * a fixed estimate): the item is translated to its chat message(s) and counted. Reasoning items and item references
 * add nothing (they never reach a chat upstream). A function_call counts as its own assistant message, a slight
 * overestimate when it joins the answer before it.
 */
export function countResponseItemTokens(item: ResponseItem): number {
  return countItemExactly(item, createTokenCounter());
}

/**
 * Throws OpenAI's context-length error (400, `context_length_exceeded`) when instructions, items and overhead exceed
 * `contextWindow - reservedOutputTokens`: what `truncation: "disabled"` does. Returns the input tokens counted.
 */
export function checkContextFits(budget: ContextBudget): number {
  const limit = budget.contextWindow - budget.reservedOutputTokens;
  const inputTokens = sumOf(countAll(budget, (counts) => sumOf(counts) <= limit));
  if (inputTokens > limit) throw createContextLengthExceededError();
  return inputTokens;
}

/**
 * `truncation: "auto"`: drops whole items from the beginning until instructions, the rest and the overhead fit
 * `contextWindow - reservedOutputTokens`, dropping as few as possible. Never drops the instructions nor the new input
 * (`items[keepFrom..]`), and never cuts between a function_call and its function_call_output (chat upstreams refuse a
 * tool message whose call is missing): a call answered by the new input is kept with it, and a cut never lands after
 * a kept output's call. Throws OpenAI's context-length error when even the new input (with what it must keep) does
 * not fit.
 */
export function truncateContextItems(options: TruncateContextItemsOptions): TruncatedContext {
  const { items } = options;
  const keepFrom = Math.max(0, Math.min(items.length, options.keepFrom));
  const limit = options.contextWindow - options.reservedOutputTokens;
  // counts[0] is the instructions and overhead, counts[1 + i] is items[i].
  const counts = countAll(options, (counts) => sumOf(counts) <= limit);
  const cuttable = findCutPoints(items, keepFrom);
  // suffix = tokens of instructions, overhead and items[cut..]; the smallest valid cut that fits drops the fewest.
  let suffix = sumOf(counts);
  for (let cut = 0; cut <= keepFrom; cut++) {
    if (cut > 0) suffix -= counts[cut] ?? 0;
    if (cuttable[cut] === true && suffix <= limit) {
      return { items: items.slice(cut), dropped: cut, inputTokens: suffix };
    }
  }
  throw createContextLengthExceededError();
}

/**
 * Token counts of [instructions + overhead, ...items]. With the default counter, the cheap upper bound is tried first
 * and kept when `fits` accepts it: the tokenizer (~55 MB of tables, ~50 ns per token) runs only when that bound (about
 * 4 to 7 times the real count for prose) does not fit the window, and then spends one token counter's work budget for
 * all the items together (past it, items count as their bound), so a turn of many items blocks no longer than one.
 */
function countAll(budget: ContextBudget, fits: (counts: number[]) => boolean): number[] {
  const overhead = budget.overheadTokens ?? REPLY_PRIMING_TOKENS;
  const instructions = toInstructionsItem(budget.instructions);
  const all = instructions === null ? budget.items : [instructions, ...budget.items];
  const custom = budget.countItemTokens;
  if (custom !== undefined) return withOverhead(all.map(custom), instructions !== null, overhead);
  const measured = all.map(measureItem);
  const bound = withOverhead(
    measured.map((needs) => needs?.inputTokens ?? 0),
    instructions !== null,
    overhead,
  );
  if (fits(bound)) return bound;
  const counter = createTokenCounter();
  const exact = all.map((item) => countItemExactly(item, counter));
  return withOverhead(exact, instructions !== null, overhead);
}

function sumOf(counts: readonly number[]): number {
  return counts.reduce((sum, count) => sum + count, 0);
}

/** Folds the instructions' count (when there are instructions) and the overhead into the first slot. */
function withOverhead(counts: number[], hasInstructions: boolean, overhead: number): number[] {
  if (!hasInstructions) return [overhead, ...counts];
  const [instructions = 0, ...items] = counts;
  return [overhead + instructions, ...items];
}

/** Instructions become a leading system message; counting them as a system message item counts that message. */
function toInstructionsItem(instructions: string | null | undefined): ResponseItem | null {
  if (typeof instructions !== 'string' || instructions === '') return null;
  return { type: 'message', id: 'instructions', role: 'system', content: [{ type: 'input_text', text: instructions }], status: 'completed' };
}

// Items are never changed once made, and the chain cache hands the same item objects to every later turn: an item is
// measured once, however many turns send it again (and counted once, when its count came out exact).
const measuredItems = new WeakMap<ResponseItem, RequestNeeds | null>();
const exactItemTokens = new WeakMap<ResponseItem, number>();

/** The item's tokens as `counter` counts them (exact within its work budget, never fewer than the real count). */
function countItemExactly(item: ResponseItem, counter: TokenCounter): number {
  const known = exactItemTokens.get(item);
  if (known !== undefined) return known;
  const messages = toChatMessages(item);
  if (messages === null) return 0;
  const needs = deriveRequestNeeds({ model: 'count', messages }, counter);
  const tokens = (needs.exactInputTokens?.() ?? needs.inputTokens) - REPLY_PRIMING_TOKENS;
  if (counter.exact) exactItemTokens.set(item, tokens);
  return tokens;
}

function toChatMessages(item: ResponseItem): ChatMessage[] | null {
  if (item.type === 'reasoning' || item.type === 'item_reference') return null;
  const messages = convertResponseItemsToChatMessages(null, [item]);
  return messages.length === 0 ? null : messages;
}

/** The planner's needs of the item's chat messages alone (reply priming taken off); null for items sent as nothing. */
function measureItem(item: ResponseItem): RequestNeeds | null {
  let needs = measuredItems.get(item);
  if (needs === undefined) {
    needs = measureItemOnce(item);
    measuredItems.set(item, needs);
  }
  return needs;
}

function measureItemOnce(item: ResponseItem): RequestNeeds | null {
  const messages = toChatMessages(item);
  if (messages === null) return null;
  const needs = deriveRequestNeeds({ model: 'count', messages });
  return { ...needs, inputTokens: needs.inputTokens - REPLY_PRIMING_TOKENS, exactInputTokens: undefined, measureExactInputTokens: undefined };
}

/**
 * cuttable[c] for c in 0..keepFrom: whether items[c..] may be kept alone, i.e. no kept function_call_output answers a
 * function_call before c. An output whose call is not among the items constrains nothing (there is no call to keep).
 */
function findCutPoints(items: readonly ResponseItem[], keepFrom: number): boolean[] {
  // blocked[c] > 0 when some call sits before c and its output at or after c: the pairs (call, output] as intervals.
  const delta = new Array<number>(items.length + 2).fill(0);
  const callIndex = new Map<string, number>();
  items.forEach((item, index) => {
    if (item.type === 'function_call') callIndex.set(item.call_id, index);
    else if (item.type === 'function_call_output') {
      const call = callIndex.get(item.call_id);
      if (call === undefined) return;
      delta[call + 1] = (delta[call + 1] ?? 0) + 1;
      delta[index + 1] = (delta[index + 1] ?? 0) - 1;
    }
  });
  const cuttable: boolean[] = [];
  let open = 0;
  for (let cut = 0; cut <= keepFrom; cut++) {
    open += delta[cut] ?? 0;
    cuttable.push(open === 0);
  }
  return cuttable;
}

/**
 * Bounds the bytes a turn sends upstream, as the context window bounds its tokens: a chain or conversation can store
 * far more than one request body may carry (forty turns each with a 6 MB image make a 270 MB context). With
 * `truncation: "auto"` the oldest items are dropped (by the same rules as for the window) until instructions and items
 * weigh at most `maxBytes` (estimated: string lengths plus a little per value); otherwise a larger context is a 400
 * `context_length_exceeded` that says how to go on. Returns the items to send.
 */
export function boundContextBytes(options: {
  instructions: string | null | undefined;
  items: ResponseItem[];
  keepFrom: number;
  truncation: 'auto' | 'disabled' | null | undefined;
  maxBytes: number;
}): ResponseItem[] {
  const budget = {
    instructions: options.instructions,
    items: options.items,
    contextWindow: options.maxBytes,
    reservedOutputTokens: 0,
    countItemTokens: estimateRetainedBytes,
    overheadTokens: 0,
  };
  try {
    if (options.truncation === 'auto') return truncateContextItems({ ...budget, keepFrom: options.keepFrom }).items;
    checkContextFits(budget);
    return options.items;
  } catch (error) {
    if (!(error instanceof InvalidRequestError) || error.code !== 'context_length_exceeded') throw error;
    throw new InvalidRequestError(
      `The context of this turn (earlier items and the new input) is larger than the ${options.maxBytes} bytes Crossway sends upstream in one request. ` +
        'Use truncation: "auto", compact it (POST /v1/responses/compact), or start from fewer items.',
      'input',
      'context_length_exceeded',
    );
  }
}
