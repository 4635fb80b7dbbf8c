// Turns a Responses turn's context (instructions, then earlier turns' input and output items and the new input, in
// order) into Chat Completions messages, the only wire every Crossway route speaks.
// Sources: OpenAI API reference, "Create a model response" (`instructions`, input items) and "Create chat completion"
// (messages; assistant `tool_calls`; `tool` messages with `tool_call_id`; `image_url` and `file` content parts).
import {
  InvalidRequestError,
  excerpt,
  NotFoundError,
  type ChatMessage,
  type ResponseInputContent,
  type ResponseItem,
  type ResponseOutputContent,
} from '../wire/index.ts';

import { chatNameOf, customInputToArguments } from './chat-tool-mapping.ts';
import { unopenedCompactionError } from './compaction-content.ts';

type AssistantMessage = Extract<ChatMessage, { role: 'assistant' }>;
type ChatMessageToolCall = NonNullable<AssistantMessage['tool_calls']>[number];
type TextPart = { type: 'text'; text: string };
type UserContentPart = Exclude<Extract<ChatMessage, { role: 'user' }>['content'], string>[number];

/**
 * `instructions` + items -> chat messages:
 * - `instructions` becomes a leading `system` message. OpenAI documents instructions as "a system (or developer)
 *   message"; `system` is the role every Chat Completions upstream accepts (Azure's GA api-version and other clouds'
 *   OpenAI-compatible endpoints predate `developer`), and OpenAI's own reasoning models treat it as `developer`.
 *   Instructions of earlier turns are not items, so they never carry over (as OpenAI documents for
 *   previous_response_id).
 * - user/system/developer messages keep their role; `input_text` -> `text`, `input_image` -> `image_url`,
 *   `input_file` with `file_data` -> `file` parts.
 * - assistant messages -> assistant messages with their text (output_text, input_text and refusal parts joined).
 * - function_call items -> `tool_calls` (id = call_id) of one assistant message: consecutive calls share it, and
 *   calls right after an assistant message join that message, as one chat answer carries both.
 * - function_call_output -> `tool` message with `tool_call_id` = call_id.
 * - custom_tool_call -> a tool call of the custom tool's function (its input as the one string argument, see
 *   chat-tool-mapping.ts), custom_tool_call_output -> `tool` message; a client-executed tool_search_call -> a call of
 *   `tool_search`, its tool_search_output -> `tool` message naming the tools it loaded (which join the request's
 *   functions); a call inside a namespace is named `<namespace>__<name>`.
 * - reasoning items, hosted tool calls (web_search_call...) and compaction_trigger are skipped: a chat upstream cannot
 *   take them back (the turn tells the decision what it dropped).
 * - compaction items must have been opened by the caller (openCompactionItems: a system message with the summary);
 *   one left here is refused, as only the caller holds the key.
 * - item_reference items must have been replaced by the caller with the items they name; one left here is an item
 *   the caller could not find, answered with 404 as OpenAI does.
 * Content a chat upstream cannot carry (file ids: Crossway has no Files API; images in system or tool content)
 * is refused with a 400 naming `input`.
 */
export function convertResponseItemsToChatMessages(instructions: string | null | undefined, items: readonly ResponseItem[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (typeof instructions === 'string' && instructions !== '') messages.push({ role: 'system', content: instructions });
  // The assistant message that function_call items extend: the last one pushed, until another kind of item follows.
  let openAssistant: AssistantMessage | null = null;
  const addCall = (call: ChatMessageToolCall): void => {
    if (openAssistant === null) {
      openAssistant = { role: 'assistant', content: null, tool_calls: [call] };
      messages.push(openAssistant);
    } else {
      openAssistant.tool_calls = [...(openAssistant.tool_calls ?? []), call];
    }
  };
  for (const item of items) {
    switch (item.type) {
      case 'message': {
        if (item.role === 'assistant') {
          openAssistant = { role: 'assistant', content: readAssistantText(item.content) };
          messages.push(openAssistant);
        } else {
          openAssistant = null;
          messages.push(convertInputMessage(item.role, item.content));
        }
        break;
      }
      case 'function_call':
        addCall({ id: item.call_id, type: 'function', function: { name: chatNameOf(item), arguments: item.arguments } });
        break;
      case 'custom_tool_call':
        addCall({ id: item.call_id, type: 'function', function: { name: chatNameOf(item), arguments: customInputToArguments(item.input) } });
        break;
      case 'tool_search_call':
        // A server-executed search (no call id) has no client-side answer to pair with: the model never sees it.
        if (typeof item.call_id === 'string') {
          addCall({ id: item.call_id, type: 'function', function: { name: 'tool_search', arguments: JSON.stringify(item.arguments ?? {}) } });
        }
        break;
      case 'function_call_output':
      case 'custom_tool_call_output':
        openAssistant = null;
        messages.push({ role: 'tool', tool_call_id: item.call_id, content: readToolOutput(item.output) });
        break;
      case 'tool_search_output':
        if (typeof item.call_id === 'string') {
          openAssistant = null;
          const names = item.tools.map((tool) => (typeof tool.name === 'string' ? tool.name : tool.type));
          messages.push({ role: 'tool', tool_call_id: item.call_id, content: `Loaded tools: ${names.join(', ') || 'none'}.` });
        }
        break;
      case 'item_reference':
        throw new NotFoundError(`Item with id '${excerpt(item.id)}' not found.`, 'item_not_found', 'input');
      case 'reasoning':
      case 'web_search_call':
      case 'file_search_call':
      case 'code_interpreter_call':
      case 'image_generation_call':
      case 'compaction_trigger':
        break;
      case 'compaction':
        throw unopenedCompactionError();
    }
  }
  return messages;
}

function convertInputMessage(role: 'user' | 'system' | 'developer', content: string | readonly ResponseInputContent[]): ChatMessage {
  if (typeof content === 'string') return { role, content };
  if (role !== 'user') return { role, content: readTextContent(content, `${role} messages`) };
  const parts = content.map(convertUserPart);
  const only = parts[0];
  // A single text part is sent as a plain string: every upstream takes that form.
  if (parts.length === 1 && only !== undefined && only.type === 'text' && typeof only.text === 'string') return { role, content: only.text };
  return { role, content: parts };
}

function convertUserPart(part: ResponseInputContent): UserContentPart {
  switch (part.type) {
    case 'input_text':
      return { type: 'text', text: part.text };
    case 'input_image': {
      if (typeof part.image_url !== 'string' || part.image_url === '') {
        throw unsupportedContent('input_image with file_id: Crossway has no Files API; send the image as image_url (a URL or a data: URL)');
      }
      // Chat Completions knows auto/low/high; `original` (full resolution) is closest to `high`.
      const detail = part.detail === 'original' ? 'high' : part.detail;
      return { type: 'image_url', image_url: { url: part.image_url, detail } };
    }
    case 'input_file': {
      if (typeof part.file_data !== 'string' || part.file_data === '') {
        throw unsupportedContent('input_file without file_data: Crossway has no Files API and cannot fetch file_url; send file_data');
      }
      return { type: 'file', file: { file_data: part.file_data, ...(typeof part.filename === 'string' ? { filename: part.filename } : {}) } };
    }
  }
}

function readAssistantText(content: string | readonly ResponseOutputContent[]): string {
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'refusal' ? part.refusal : part.text)).join('');
}

function readToolOutput(output: string | readonly ResponseInputContent[]): string | TextPart[] {
  return typeof output === 'string' ? output : readTextContent(output, 'function_call_output items');
}

/** Content that must be all text (system/developer messages, tool output): one part as a string, several as parts. */
function readTextContent(parts: readonly ResponseInputContent[], where: string): string | TextPart[] {
  const texts = parts.map((part): TextPart => {
    if (part.type !== 'input_text') throw unsupportedContent(`${part.type} in ${where}: only input_text can be sent there`);
    return { type: 'text', text: part.text };
  });
  return texts.length === 1 && texts[0] !== undefined ? texts[0].text : texts;
}

function unsupportedContent(what: string): InvalidRequestError {
  return new InvalidRequestError(`Unsupported content: ${what}.`, 'input', 'unsupported_value');
}
