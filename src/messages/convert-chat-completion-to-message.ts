// Translates a chat completion into the Messages API's answer: reasoning as a thinking block, text, tool calls as
// tool_use blocks with their ids, the stop reason and the usage.
import { type ChatCompletion, type MessagesContentBlock, type MessagesMessage, readChatReasoning } from '../wire/index.ts';
import { convertChatUsageToMessagesUsage } from './convert-chat-usage-to-messages-usage.ts';
import { mapFinishReasonToStopReason } from './map-finish-reason-to-stop-reason.ts';
import { signThinking } from './sign-thinking.ts';

/**
 * The message for the first choice of `completion`, named `model` (the client's model name). Reasoning comes as
 * `reasoning_content` (the field Bedrock's translation, DeepSeek and vLLM use) or `reasoning` (OpenAI-compatible
 * endpoints that name it so); a refusal becomes text with the `refusal` stop reason; tool-call arguments that are not
 * a JSON object are kept whole under `arguments`, so that nothing the model produced is lost.
 */
export function convertChatCompletionToMessage(completion: ChatCompletion, model: string): MessagesMessage {
  const choice = completion.choices[0];
  const message = choice?.message;
  const content: MessagesContentBlock[] = [];
  const reasoning = readReasoning(message);
  if (reasoning !== '') content.push({ type: 'thinking', thinking: reasoning, signature: signThinking(reasoning) });
  if (typeof message?.content === 'string' && message.content !== '') content.push({ type: 'text', text: message.content });
  const refused = typeof message?.refusal === 'string' && message.refusal !== '';
  if (refused) content.push({ type: 'text', text: message.refusal as string });
  for (const call of message?.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseToolInput(call.function.arguments) });
  }
  return {
    id: toMessageId(completion.id),
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: refused ? 'refusal' : mapFinishReasonToStopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: convertChatUsageToMessagesUsage(completion.usage),
  };
}

/** The reasoning text of a chat message or delta (`reasoning_content` or `reasoning`), or ''. */
export function readReasoning(message: Record<string, unknown> | undefined): string {
  return readChatReasoning(message);
}

/** A tool call's input: its arguments as a JSON object, or `{arguments: text}` when they are not one. */
export function parseToolInput(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed;
  } catch {
    // Kept as text below.
  }
  return { arguments: text };
}

/** `msg_` and the completion's id without OpenAI's `chatcmpl-` prefix. */
export function toMessageId(completionId: string): string {
  return `msg_${completionId.replace(/^chatcmpl-/, '')}`;
}
