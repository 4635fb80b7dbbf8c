// Translates OpenAI chat messages into Converse's `system` blocks and alternating user/assistant `messages`.
// Sources: botocore `bedrock-runtime/2023-09-30/service-2.json` (Message, ContentBlock, SystemContentBlock,
// ImageBlock {format: png|jpeg|gif|webp, source: {bytes}}, ToolUseBlock, ToolResultBlock); AWS "Carry out a
// conversation with the Converse API operations" and "Call a tool with the Converse API"
// (docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-call.html, tool-use-inference-call.html):
// messages alternate between user and assistant, and tool results travel in a user message.
import type { Route } from '../../catalog/index.ts';
import { InvalidRequestError, type ChatMessage } from '../../wire/index.ts';

/** A Converse content block as Crossway writes it. */
export type ConverseContentBlock =
  | { text: string }
  | { image: { format: ConverseImageFormat; source: { bytes: string } } }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | { toolResult: { toolUseId: string; content: { text: string }[] } };

export type ConverseImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

export interface ConverseMessage {
  role: 'user' | 'assistant';
  content: ConverseContentBlock[];
}

export interface ConverseConversation {
  system: { text: string }[];
  messages: ConverseMessage[];
}

/**
 * The Converse form of an OpenAI conversation:
 * - `system` and `developer` messages become `system` text blocks, in order (Converse has no system turn inside the
 *   conversation, so their position between turns is not kept);
 * - user text and `image_url` data URLs become text and image blocks (the image as base64 bytes); an http(s) image
 *   URL cannot be carried (Converse takes bytes or S3 locations only) and is refused with a 400, as are other part types;
 * - assistant text and `tool_calls` become text and `toolUse` blocks (arguments parsed back into JSON);
 * - `tool` messages become `toolResult` blocks of a user message, their content kept as text, as the client sent it
 *   (`json` result blocks are not accepted by every model);
 * - consecutive messages of one role are merged into one, because Converse requires alternation; empty text is
 *   dropped (Converse refuses blank text blocks), and a message left without content is omitted.
 * Throws InvalidRequestError (400) naming the parameter and the route for anything that cannot be carried.
 */
export function convertToBedrockConverseMessages(messages: readonly ChatMessage[], route: Route): ConverseConversation {
  const system: { text: string }[] = [];
  const turns: ConverseMessage[] = [];
  const append = (role: ConverseMessage['role'], content: ConverseContentBlock[]): void => {
    if (content.length === 0) return;
    const last = turns.at(-1);
    if (last !== undefined && last.role === role) last.content.push(...content);
    else turns.push({ role, content });
  };

  messages.forEach((message, i) => {
    switch (message.role) {
      case 'system':
      case 'developer':
        for (const text of textsOf(message.content)) system.push({ text });
        return;
      case 'user':
        append('user', convertUserContent(message.content, i, route));
        return;
      case 'assistant':
        append('assistant', convertAssistantMessage(message, i, route));
        return;
      case 'tool':
        append('user', [{ toolResult: { toolUseId: message.tool_call_id, content: textsOf(message.content).map((text) => ({ text })) } }]);
        return;
      default:
        throw new InvalidRequestError(
          `Messages with role '${message.role}' cannot be sent to a Bedrock Converse route; use tool messages (route ${route.id})`,
          `messages[${i}].role`,
          'unsupported_parameter',
        );
    }
  });
  return { system, messages: turns };
}

/**
 * The user message put first when a conversation does not open with one: LiteLLM's default continue message for the
 * same Converse rule ("A conversation must start with a user message").
 */
export const BEDROCK_CONVERSE_OPENING_TEXT = 'Please continue.';

/**
 * `conversation` opened the way Converse requires: with a user message. One that opens with an assistant message, or
 * holds no message besides the system ones, gets a user message of BEDROCK_CONVERSE_OPENING_TEXT first; the client's
 * messages all stay, in order. What was added is pushed to `notes`.
 */
export function openBedrockConverseConversation(conversation: ConverseConversation, notes: string[]): ConverseConversation {
  if (conversation.messages[0]?.role === 'user') return conversation;
  const opening: ConverseMessage = { role: 'user', content: [{ text: BEDROCK_CONVERSE_OPENING_TEXT }] };
  notes.push(
    conversation.messages.length === 0
      ? `Added a user message ('${BEDROCK_CONVERSE_OPENING_TEXT}') after the system prompt: Converse requires a conversation to start with one.`
      : `Added a user message ('${BEDROCK_CONVERSE_OPENING_TEXT}') before the first assistant message: Converse requires a conversation to start with one.`,
  );
  return { system: conversation.system, messages: [opening, ...conversation.messages] };
}

/** The non-empty texts of a string or a list of text parts. */
function textsOf(content: string | readonly { text: string }[]): string[] {
  const texts = typeof content === 'string' ? [content] : content.map((part) => part.text);
  return texts.filter((text) => text !== '');
}

function convertUserContent(content: Extract<ChatMessage, { role: 'user' }>['content'], i: number, route: Route): ConverseContentBlock[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  const blocks: ConverseContentBlock[] = [];
  content.forEach((part, j) => {
    const param = `messages[${i}].content[${j}]`;
    if (part.type === 'text' && typeof part.text === 'string') {
      if (part.text !== '') blocks.push({ text: part.text });
      return;
    }
    if (part.type === 'image_url') {
      const url = (part.image_url as { url: string }).url;
      blocks.push({ image: convertImageUrl(url, `${param}.image_url`, route) });
      return;
    }
    throw new InvalidRequestError(
      `Content parts of type '${part.type}' cannot be sent to a Bedrock Converse route (route ${route.id})`,
      `${param}.type`,
      'unsupported_parameter',
    );
  });
  return blocks;
}

const IMAGE_FORMATS: Record<string, ConverseImageFormat> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/** A `data:image/<png|jpeg|gif|webp>;base64,...` URL as a Converse image; anything else is a 400. */
function convertImageUrl(url: string, param: string, route: Route): { format: ConverseImageFormat; source: { bytes: string } } {
  if (/^https?:/i.test(url)) {
    throw new InvalidRequestError(
      `Bedrock Converse cannot fetch images from URLs; send the image inline as a base64 data URL (route ${route.id})`,
      param,
      'unsupported_parameter',
    );
  }
  const match = /^data:([^;,]+)((?:;[^;,]*)*);base64,([\s\S]*)$/i.exec(url);
  if (match === null) {
    throw new InvalidRequestError(`Image URLs must be base64 data URLs on a Bedrock Converse route (route ${route.id})`, param, 'invalid_image_url');
  }
  const mediaType = (match[1] ?? '').trim().toLowerCase();
  const format = IMAGE_FORMATS[mediaType];
  if (format === undefined) {
    throw new InvalidRequestError(
      `Image type '${mediaType}' is not supported by Bedrock Converse (use png, jpeg, gif or webp) (route ${route.id})`,
      param,
      'invalid_image_format',
    );
  }
  const bytes = (match[3] ?? '').replace(/\s+/g, '');
  if (bytes === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(bytes)) {
    throw new InvalidRequestError(`The image data URL does not hold valid base64 (route ${route.id})`, param, 'invalid_image_url');
  }
  return { format, source: { bytes } };
}

function convertAssistantMessage(message: Extract<ChatMessage, { role: 'assistant' }>, i: number, route: Route): ConverseContentBlock[] {
  const blocks: ConverseContentBlock[] = [];
  const content = message.content;
  if (typeof content === 'string') {
    if (content !== '') blocks.push({ text: content });
  } else if (Array.isArray(content)) {
    content.forEach((part, j) => {
      // Assistant parts are `text` or `refusal`; a refusal was said by the model, so it is history like text.
      const text = part.type === 'text' ? part.text : part.type === 'refusal' ? part.refusal : undefined;
      if (typeof text !== 'string') {
        throw new InvalidRequestError(
          `Assistant content parts of type '${part.type}' cannot be sent to a Bedrock Converse route (route ${route.id})`,
          `messages[${i}].content[${j}].type`,
          'unsupported_parameter',
        );
      }
      if (text !== '') blocks.push({ text });
    });
  }
  message.tool_calls?.forEach((call, k) => {
    blocks.push({
      toolUse: {
        toolUseId: call.id,
        name: call.function.name,
        input: parseArguments(call.function.arguments, `messages[${i}].tool_calls[${k}].function.arguments`, route),
      },
    });
  });
  return blocks;
}

/** Tool call arguments as JSON (Converse's `input` is a JSON document, not a string); empty means `{}`. */
function parseArguments(text: string, param: string, route: Route): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidRequestError(`Tool call arguments must be valid JSON for a Bedrock Converse route (route ${route.id})`, param, 'invalid_tool_arguments');
  }
}
