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
 * - reasoning items are skipped: a chat upstream cannot take them back.
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
      case 'function_call': {
        const call: ChatMessageToolCall = { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } };
        if (openAssistant === null) {
          openAssistant = { role: 'assistant', content: null, tool_calls: [call] };
          messages.push(openAssistant);
        } else {
          openAssistant.tool_calls = [...(openAssistant.tool_calls ?? []), call];
        }
        break;
      }
      case 'function_call_output':
        openAssistant = null;
        messages.push({ role: 'tool', tool_call_id: item.call_id, content: readToolOutput(item.output) });
        break;
      case 'item_reference':
        throw new NotFoundError(`Item with id '${excerpt(item.id)}' not found.`, 'item_not_found', 'input');
      case 'reasoning':
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
