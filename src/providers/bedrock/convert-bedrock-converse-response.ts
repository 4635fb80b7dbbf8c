// Reads a Converse reply into an OpenAI `chat.completion`: text, tool calls, the forced JSON answer, the finish
// reason and usage (with prompt-cache counts).
// Sources: botocore `bedrock-runtime/2023-09-30/service-2.json` (ConverseResponse, ContentBlock, TokenUsage); AWS
// "Prompt caching for faster model inference" (docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html):
// `inputTokens` counts the input that was neither read from nor written to the cache, and `cacheReadInputTokens` /
// `cacheWriteInputTokens` are reported beside it; OpenAI API reference "The chat completion object".
import type { Route } from '../../catalog/index.ts';
import type { ChatCompletion, ChatToolCall, FinishReason, Usage } from '../../wire/index.ts';
import { invalidUpstreamResponse } from '../openai/index.ts';
import type { ChatResult } from '../provider-adapter.ts';
import { decodeBody } from '../summarize-error-body.ts';
import { bedrockConverseResponseSchema, type BedrockUsage } from './bedrock-api.ts';
import { BEDROCK_JSON_RESPONSE_TOOL } from './convert-to-bedrock-converse-request.ts';
import { mapBedrockStopReason } from './map-bedrock-stop-reason.ts';

/** What a translated reply is stamped with: its `id`, its `created` time (seconds) and the `model` it names. */
export interface CompletionStamp {
  id: string;
  created: number;
  model: string;
}

/**
 * The `chat.completion` for a Converse reply:
 * - text blocks -> `content` (joined); `toolUse` blocks -> `tool_calls` (id = toolUseId, arguments = the input as
 *   JSON text); reasoning text -> `reasoning_content` (the field DeepSeek and vLLM use; redacted reasoning is dropped);
 * - a call of BEDROCK_JSON_RESPONSE_TOOL is the JSON answer that `response_format` asked for: its input becomes the
 *   whole `content` and the finish reason `stop`, as an OpenAI json_schema answer looks;
 * - `stopReason` -> `finish_reason` (mapBedrockStopReason); usage -> convertBedrockUsage.
 * Throws a retryable UpstreamError (502) when the body is not a Converse reply.
 */
export function convertBedrockConverseResponse(body: Uint8Array, route: Route, stamp: CompletionStamp): ChatResult {
  let json: unknown;
  try {
    json = JSON.parse(decodeBody(body));
  } catch {
    throw invalidUpstreamResponse(route, 'not JSON');
  }
  const checked = bedrockConverseResponseSchema.safeParse(json);
  if (!checked.success) throw invalidUpstreamResponse(route, `not a Converse reply: ${checked.error.issues[0]?.message}`);
  const reply = checked.data;

  const texts: string[] = [];
  const reasoning: string[] = [];
  const toolCalls: ChatToolCall[] = [];
  let jsonAnswer: string | null = null;
  for (const block of reply.output.message?.content ?? []) {
    if (block.text !== undefined) texts.push(block.text);
    else if (block.toolUse !== undefined) {
      const input = JSON.stringify(block.toolUse.input ?? {});
      if (block.toolUse.name === BEDROCK_JSON_RESPONSE_TOOL) jsonAnswer ??= input;
      else toolCalls.push({ id: block.toolUse.toolUseId, type: 'function', function: { name: block.toolUse.name, arguments: input } });
    } else if (block.reasoningContent?.reasoningText !== undefined) reasoning.push(block.reasoningContent.reasoningText.text);
  }

  let finishReason: FinishReason = mapBedrockStopReason(reply.stopReason);
  // The forced answer tool ends the turn with `tool_use`; for the client it is a finished JSON answer.
  if (jsonAnswer !== null && toolCalls.length === 0 && finishReason === 'tool_calls') finishReason = 'stop';
  const text = texts.join('');
  const content = jsonAnswer ?? (text === '' && toolCalls.length > 0 ? null : text);
  const message: ChatCompletion['choices'][number]['message'] = { role: 'assistant', content };
  if (reasoning.length > 0) message.reasoning_content = reasoning.join('');
  if (toolCalls.length > 0) message.tool_calls = toolCalls;

  const completion: ChatCompletion = {
    id: stamp.id,
    object: 'chat.completion',
    created: stamp.created,
    model: stamp.model,
    choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
    usage: convertBedrockUsage(reply.usage),
  };
  return { completion };
}

/**
 * OpenAI usage for Bedrock's TokenUsage. OpenAI counts cached input inside `prompt_tokens`, Bedrock beside
 * `inputTokens`, so `prompt_tokens` = inputTokens + cacheReadInputTokens + cacheWriteInputTokens;
 * `prompt_tokens_details.cached_tokens` = cacheReadInputTokens, and the cache writes (priced differently by Bedrock)
 * are kept in `prompt_tokens_details.cache_write_tokens`. `total_tokens` is prompt + completion, as OpenAI defines it.
 */
export function convertBedrockUsage(usage: BedrockUsage): Usage {
  const cacheRead = usage.cacheReadInputTokens ?? 0;
  const cacheWrite = usage.cacheWriteInputTokens ?? 0;
  const promptTokens = usage.inputTokens + cacheRead + cacheWrite;
  const converted: Usage = {
    prompt_tokens: promptTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: promptTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: cacheRead },
  };
  if (cacheWrite > 0) converted.prompt_tokens_details = { cached_tokens: cacheRead, cache_write_tokens: cacheWrite };
  return converted;
}
