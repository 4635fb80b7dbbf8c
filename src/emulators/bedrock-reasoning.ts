// The reasoning a Bedrock-served OpenAI model shows when it is asked to reason: deterministic text whose length grows
// with the effort, in the forms Bedrock returns it: a Converse `reasoningContent.reasoningText` block (and
// `reasoningContent` deltas in ConverseStream), the OpenAI-compatible chat API's `reasoning` field (message and delta)
// with `completion_tokens_details.reasoning_tokens`, and InvokeModel's `<reasoning>` tags before the text.
// Sources: botocore bedrock-runtime service-2.json (ReasoningContentBlock {reasoningText {text, signature}},
// ReasoningContentBlockDelta {text | signature | redactedContent}); "OpenAI models" (docs.aws.amazon.com/bedrock/latest/
// userguide/model-parameters-openai.html: with InvokeModel the reasoning, in <reasoning> tags, precedes the text);
// the `reasoning` field of Mantle's chat answers as described in openshift/lightspeed-service#3084.
import type { ChatCompletion, ChatCompletionChunk } from '../wire/index.ts';
import { countTokens } from './count-tokens.ts';
import { hashToIndex, sha256Hex } from './sha256-hex.ts';

/** The efforts OpenAI's `reasoning_effort` takes; `none` asks for no reasoning. */
export const BEDROCK_REASONING_EFFORTS: readonly string[] = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'];

/** The reasoning of one answer: its text and its token count. */
export interface BedrockReasoning {
  text: string;
  tokens: number;
}

const STEPS: Readonly<Record<string, number>> = { minimal: 1, low: 1, medium: 2, high: 3, xhigh: 4 };
const STEP_WORDS = ['restate', 'weigh', 'check', 'compare', 'recall', 'settle', 'verify', 'outline'];

/**
 * The reasoning for an answer to `lastUserText` at `effort`, or undefined for `none` and unknown efforts. Deterministic:
 * the same text and effort always give the same reasoning.
 */
export function generateBedrockReasoning(effort: unknown, lastUserText: string): BedrockReasoning | undefined {
  if (typeof effort !== 'string') return undefined;
  const steps = STEPS[effort];
  if (steps === undefined) return undefined;
  const digest = sha256Hex(lastUserText).slice(0, 8);
  const sentences = [`Reasoning at ${effort} effort about the last user message (sha256 ${digest}).`];
  for (let step = 0; step < steps; step++) {
    sentences.push(`Step ${step + 1}: ${STEP_WORDS[hashToIndex(STEP_WORDS.length, digest, effort, String(step))]} the request.`);
  }
  const text = sentences.join(' ');
  return { text, tokens: countTokens(text) };
}

/** A chat completion with `reasoning` on its first choice's message and the reasoning tokens counted in the usage. */
export function addChatReasoning(completion: ChatCompletion, reasoning: BedrockReasoning): ChatCompletion {
  const [first, ...rest] = completion.choices;
  if (first === undefined) return completion;
  return {
    ...completion,
    choices: [{ ...first, message: { ...first.message, reasoning: reasoning.text } }, ...rest],
    usage: completion.usage === undefined ? undefined : addReasoningUsage(completion.usage, reasoning.tokens),
  };
}

/**
 * Chat chunks with the reasoning streamed as `delta.reasoning` pieces right after the role of the first choice and
 * before anything the model answers (a model reasons first: an opening chunk that also opens a tool call is split, so
 * that the call's id, name and arguments all follow the reasoning), and the reasoning tokens counted in the usage chunk.
 */
export function addChunkReasoning(chunks: readonly ChatCompletionChunk[], reasoning: BedrockReasoning): ChatCompletionChunk[] {
  const first = chunks[0];
  if (first === undefined) return [...chunks];
  const [opening, answer] = splitOpening(first);
  const pieces = reasoning.text.match(/\S+\s*/g) ?? [];
  const reasoningChunks: ChatCompletionChunk[] = [];
  for (let at = 0; at < pieces.length; at += 4) {
    const text = pieces.slice(at, at + 4).join('');
    reasoningChunks.push({
      ...opening,
      usage: opening.usage === undefined ? undefined : null,
      choices: [{ index: 0, delta: { reasoning: text }, finish_reason: null }],
    });
  }
  const rest = chunks.slice(1).map((chunk) => (chunk.usage ? { ...chunk, usage: addReasoningUsage(chunk.usage, reasoning.tokens) } : chunk));
  return [opening, ...reasoningChunks.map(dropUndefinedUsage), ...(answer === undefined ? [] : [answer]), ...rest];
}

/** The opening chunk as a role-only chunk, plus a chunk with the tool calls it opened (undefined when it opened none). */
function splitOpening(chunk: ChatCompletionChunk): [ChatCompletionChunk, ChatCompletionChunk | undefined] {
  const choice = chunk.choices[0];
  const toolCalls = choice?.delta.tool_calls;
  if (choice === undefined || toolCalls === undefined || toolCalls.length === 0) return [chunk, undefined];
  const { tool_calls: _calls, ...roleOnly } = choice.delta;
  return [
    { ...chunk, choices: [{ ...choice, delta: roleOnly }, ...chunk.choices.slice(1)] },
    dropUndefinedUsage({ ...chunk, usage: chunk.usage === undefined ? undefined : null, choices: [{ ...choice, delta: { tool_calls: toolCalls } }] }),
  ];
}

/** InvokeModel's text: the reasoning in `<reasoning>` tags, then the answer. */
export function prefixInvokeReasoning(content: string | null, reasoning: BedrockReasoning): string {
  return `<reasoning>${reasoning.text}</reasoning>${content ?? ''}`;
}

function addReasoningUsage(usage: NonNullable<ChatCompletion['usage']>, tokens: number): NonNullable<ChatCompletion['usage']> {
  const details = usage.completion_tokens_details ?? {};
  return {
    ...usage,
    completion_tokens: usage.completion_tokens + tokens,
    total_tokens: usage.total_tokens + tokens,
    completion_tokens_details: { ...details, reasoning_tokens: (details.reasoning_tokens ?? 0) + tokens },
  };
}

function dropUndefinedUsage(chunk: ChatCompletionChunk): ChatCompletionChunk {
  if (chunk.usage !== undefined) return chunk;
  const { usage: _usage, ...rest } = chunk;
  return rest;
}
