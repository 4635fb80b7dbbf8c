// Turns a chat completion (the JSON answer of any Crossway route) into a Response's output items, usage and status.
// Source: OpenAI API reference, the Response object (`output`: `reasoning` items with `reasoning_text` content,
// `message` items with `output_text`/`refusal` parts, `function_call` items; `usage`; `status`, `incomplete_details`).
import type { ChatCompletion, ResponseIncompleteDetails, ResponseOutputContent, ResponseOutputItem, ResponseUsage } from '../wire/index.ts';
import { readChatReasoning } from '../wire/index.ts';
import { type ChatToolMapping, toResponseCallItem } from './chat-tool-mapping.ts';
import { convertChatUsageToResponseUsage } from './convert-chat-usage-to-response-usage.ts';
import { createItemId as createRandomItemId, type CreateItemId } from './create-item-id.ts';
import { mapFinishReasonToResponseStatus } from './map-finish-reason-to-response-status.ts';

/** What a chat answer contributes to a Response. */
export interface ResponseOutputTranslation {
  output: ResponseOutputItem[];
  usage: ResponseUsage | null;
  status: 'completed' | 'incomplete';
  incomplete_details: ResponseIncompleteDetails | null;
}

/**
 * The first choice -> its reasoning (`reasoning_content` or `reasoning`) as a `reasoning` item (`rs_` id, the text as
 * one `reasoning_text` content part, an empty `summary`: the model's own words, as OpenAI returns gpt-oss reasoning),
 * then a `message` item (`msg_` id; its text as one `output_text` part with `annotations: []`, a
 * refusal as a `refusal` part) followed by one `function_call` item per tool call (`fc_` id, `call_id` = the tool
 * call's id), in the chat answer's order; with `mapping`, a call of a custom tool's function is a `custom_tool_call`
 * and a call of `tool_search` a `tool_search_call` (see chat-tool-mapping.ts). Items of an incomplete answer (finish_reason length or content_filter) are
 * `incomplete`. Usage is `null` when the upstream reported none (the caller may estimate it).
 */
export function convertChatCompletionToResponseOutput(
  completion: ChatCompletion,
  createItemId: CreateItemId = createRandomItemId,
  mapping: Pick<ChatToolMapping, 'kinds'> | null = null,
): ResponseOutputTranslation {
  const choice = completion.choices[0];
  const ending = mapFinishReasonToResponseStatus(choice?.finish_reason);
  const itemStatus = ending.status === 'completed' ? 'completed' : 'incomplete';
  const output: ResponseOutputItem[] = [];
  if (choice !== undefined) {
    const { content, refusal, tool_calls: toolCalls = [] } = choice.message;
    const reasoning = readChatReasoning(choice.message);
    if (reasoning !== '') {
      output.push({ type: 'reasoning', id: createItemId('rs'), summary: [], content: [{ type: 'reasoning_text', text: reasoning }], status: itemStatus });
    }
    const parts: ResponseOutputContent[] = [];
    // An empty content next to tool calls is no message (several upstreams send "" there).
    if (typeof content === 'string' && (content !== '' || (toolCalls.length === 0 && typeof refusal !== 'string'))) {
      parts.push({ type: 'output_text', text: content, annotations: [], logprobs: [] });
    }
    if (typeof refusal === 'string' && refusal !== '') parts.push({ type: 'refusal', refusal });
    if (parts.length > 0) output.push({ type: 'message', id: createItemId('msg'), status: itemStatus, role: 'assistant', content: parts });
    for (const call of toolCalls) {
      output.push(toResponseCallItem(mapping, { id: call.id, name: call.function.name, arguments: call.function.arguments }, itemStatus, createItemId));
    }
  }
  return {
    output,
    usage: completion.usage === undefined ? null : convertChatUsageToResponseUsage(completion.usage),
    ...ending,
  };
}
