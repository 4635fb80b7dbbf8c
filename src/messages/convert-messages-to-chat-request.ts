// Translates an Anthropic Messages request into the core's chat request, so that a Messages call runs on every route
// of the model (OpenAI-wire, Azure, Bedrock Converse, Vertex) exactly as a chat completion does.
// Sources: Anthropic API reference "Messages" (system, messages, content blocks, tools, tool_choice, thinking,
// output_config, stop_sequences, metadata) and OpenAI API reference "Create chat completion" for the chat side.
import {
  type ChatCompletionRequest,
  type ChatMessage,
  InvalidRequestError,
  type MessagesContentBlockParam,
  type MessagesCountTokensRequest,
  type MessagesEffort,
  type MessagesRequest,
} from '../wire/index.ts';

type ChatContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
type ChatToolCall = { id: string; type: 'function'; function: { name: string; arguments: string } };

/**
 * The chat request for `request`:
 * - `system` (a string or text blocks) -> one leading system message; a `system` turn inside the conversation (Claude
 *   Code's mid-conversation system messages) -> a system message in place;
 * - user text and images (base64 -> a data URL, url -> the URL) -> user content parts; plain-text documents -> text;
 *   `tool_result` blocks -> `tool` messages (before the user's other blocks, as chat requires them right after the
 *   assistant's calls), `is_error` results prefixed `Error: `, images in results carried as user image parts;
 * - assistant text -> content, `tool_use` -> `tool_calls` (input serialised as the arguments); thinking blocks are
 *   dropped (a chat route cannot take reasoning back);
 * - client tools -> function tools (`input_schema` -> `parameters`); Anthropic's typed tools are refused (400);
 * - `tool_choice` auto | any | tool | none -> auto | required | {function} | none (only when tools are given), and
 *   `disable_parallel_tool_use` -> `parallel_tool_calls: false`;
 * - `max_tokens` -> `max_completion_tokens`; `temperature`, `top_p`; `stop_sequences` -> `stop`;
 *   `metadata.user_id` -> `user`; `stream` -> `stream` with `include_usage` (the final usage is in `message_delta`);
 * - `thinking` and `output_config.effort` -> `reasoning_effort` (see readReasoningEffort); `output_config.format`
 *   (a JSON schema) -> `response_format`;
 * - ignored, because a gateway cannot honour them and they change nothing a route could carry: `cache_control` (the
 *   routes cache prompt prefixes themselves; cache reads come back in the usage), `top_k`, `context_management`,
 *   `container`, `service_tier`, `defer_loading` and unknown fields.
 * Throws InvalidRequestError naming the field for a block or tool that cannot be carried.
 */
export function convertMessagesToChatRequest(request: MessagesRequest | MessagesCountTokensRequest): ChatCompletionRequest {
  const messages: ChatMessage[] = [];
  const system = joinTexts(request.system);
  if (system !== '') messages.push({ role: 'system', content: system });
  request.messages.forEach((message, index) => {
    const path = `messages[${index}].content`;
    if (message.role === 'system') {
      const text = joinTexts(message.content as string | { type: string; text?: string }[]);
      if (text !== '') messages.push({ role: 'system', content: text });
    } else if (message.role === 'assistant') messages.push(convertAssistantMessage(message.content, path));
    else messages.push(...convertUserMessage(message.content, path));
  });
  const chat: ChatCompletionRequest = { model: request.model, messages };
  const tools = (request.tools ?? []).map((tool, index) => {
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') {
      throw new InvalidRequestError(`Tool type '${tool.type}' is not supported: only client tools can be carried to a chat route.`, `tools[${index}].type`);
    }
    return {
      type: 'function' as const,
      function: {
        name: tool.name,
        ...(tool.description !== undefined && { description: tool.description }),
        parameters: tool.input_schema ?? { type: 'object', properties: {} },
      },
    };
  });
  if (tools.length > 0) {
    chat.tools = tools;
    const choice = request.tool_choice;
    if (choice !== undefined) {
      chat.tool_choice =
        choice.type === 'auto'
          ? 'auto'
          : choice.type === 'any'
            ? 'required'
            : choice.type === 'none'
              ? 'none'
              : { type: 'function', function: { name: choice.name } };
      if ('disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use === true) chat.parallel_tool_calls = false;
    }
  }
  const effort = readReasoningEffort(request);
  if (effort !== null) chat.reasoning_effort = effort;
  const format = request.output_config?.format;
  if (format !== undefined && format !== null)
    chat.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema, strict: true } };
  // A count_tokens request has no max_tokens and none of the sampling fields.
  const sampled = typeof request.max_tokens === 'number' ? (request as MessagesRequest) : null;
  if (sampled !== null) {
    chat.max_completion_tokens = sampled.max_tokens;
    if (typeof sampled.temperature === 'number') chat.temperature = sampled.temperature;
    if (typeof sampled.top_p === 'number') chat.top_p = sampled.top_p;
    if (sampled.stop_sequences !== undefined && sampled.stop_sequences !== null && sampled.stop_sequences.length > 0) chat.stop = [...sampled.stop_sequences];
    const user = sampled.metadata?.user_id;
    if (typeof user === 'string' && user !== '') chat.user = user;
    if (sampled.stream === true) {
      chat.stream = true;
      chat.stream_options = { include_usage: true };
    }
  }
  return chat;
}

/**
 * OpenAI's `reasoning_effort` for a Messages request: `output_config.effort` when given (`xhigh` and `max` -> `high`,
 * the highest level every reasoning route takes), else from `thinking.budget_tokens` (under 4,096 -> low, under
 * 16,384 -> medium, else high); null (the route's default) for adaptive thinking without an effort, and when thinking
 * is disabled.
 */
export function readReasoningEffort(request: Pick<MessagesRequest, 'thinking' | 'output_config'>): 'low' | 'medium' | 'high' | null {
  if (request.thinking?.type === 'disabled') return null;
  const effort = request.output_config?.effort;
  if (effort !== undefined && effort !== null) return mapEffort(effort);
  if (request.thinking?.type !== 'enabled') return null;
  const budget = request.thinking.budget_tokens;
  return budget < 4_096 ? 'low' : budget < 16_384 ? 'medium' : 'high';
}

function mapEffort(effort: MessagesEffort): 'low' | 'medium' | 'high' {
  switch (effort) {
    case 'low':
      return 'low';
    case 'medium':
      return 'medium';
    default:
      return 'high';
  }
}

function convertAssistantMessage(content: string | readonly MessagesContentBlockParam[], path: string): ChatMessage {
  if (typeof content === 'string') return { role: 'assistant', content };
  let text = '';
  const calls: ChatToolCall[] = [];
  content.forEach((block, index) => {
    switch (block.type) {
      case 'text':
        text += (block as { text: string }).text;
        return;
      case 'tool_use': {
        const use = block as { id: string; name: string; input: unknown };
        calls.push({ id: use.id, type: 'function', function: { name: use.name, arguments: JSON.stringify(use.input ?? {}) } });
        return;
      }
      case 'thinking':
      case 'redacted_thinking':
        return;
      default:
        throw unsupportedBlock(block.type, `${path}[${index}]`);
    }
  });
  return { role: 'assistant', content: text === '' && calls.length > 0 ? null : text, ...(calls.length > 0 && { tool_calls: calls }) };
}

function convertUserMessage(content: string | readonly MessagesContentBlockParam[], path: string): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const results: ChatMessage[] = [];
  const parts: ChatContentPart[] = [];
  content.forEach((block, index) => {
    const where = `${path}[${index}]`;
    switch (block.type) {
      case 'text':
        parts.push({ type: 'text', text: (block as { text: string }).text });
        return;
      case 'image':
        parts.push(convertImage(block as ImageBlock));
        return;
      case 'document':
        parts.push({ type: 'text', text: readPlainDocument(block as DocumentBlock, where) });
        return;
      case 'tool_result': {
        const result = block as ToolResultBlock;
        const { text, images } = readToolResult(result);
        results.push({ role: 'tool', tool_call_id: result.tool_use_id, content: result.is_error === true ? `Error: ${text}` : text });
        parts.push(...images);
        return;
      }
      default:
        throw unsupportedBlock(block.type, where);
    }
  });
  // A user message of only tool results has no user turn of its own.
  if (parts.length > 0) results.push({ role: 'user', content: parts });
  return results;
}

type ImageBlock = { source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string } };
type DocumentBlock = { source: { type: string; data?: string | undefined; media_type?: string | undefined }; title?: string | null | undefined };
type ToolResultBlock = {
  tool_use_id: string;
  content?: string | readonly { type: string; text?: string; tool_name?: unknown }[] | undefined;
  is_error?: boolean | null;
};

function convertImage(block: ImageBlock): ChatContentPart {
  const source = block.source;
  const url = source.type === 'base64' ? `data:${source.media_type};base64,${source.data}` : source.url;
  return { type: 'image_url', image_url: { url } };
}

function readPlainDocument(block: DocumentBlock, where: string): string {
  const source = block.source;
  if (source.type !== 'text' || typeof source.data !== 'string') {
    throw new InvalidRequestError(
      `Document source type '${source.type}' is not supported: only plain-text documents can be carried to a chat route.`,
      `${where}.source`,
    );
  }
  return typeof block.title === 'string' && block.title !== '' ? `${block.title}\n\n${source.data}` : source.data;
}

/** A tool result's text (its text blocks joined; a loaded tool's name for a `tool_reference`) and its images. */
function readToolResult(block: ToolResultBlock): { text: string; images: ChatContentPart[] } {
  const content = block.content;
  if (content === undefined || typeof content === 'string') return { text: content ?? '', images: [] };
  const texts: string[] = [];
  const images: ChatContentPart[] = [];
  for (const part of content) {
    if (part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    else if (part.type === 'image') images.push(convertImage(part as unknown as ImageBlock));
    else if (part.type === 'tool_reference' && typeof part.tool_name === 'string') texts.push(`Tool loaded: ${part.tool_name}`);
    else if (typeof part.text === 'string') texts.push(part.text);
  }
  return { text: texts.join('\n'), images };
}

/** A system prompt's text: a string, or its text blocks joined by blank lines. */
function joinTexts(value: string | readonly { type: string; text?: string }[] | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return value.flatMap((block) => (typeof block.text === 'string' && block.text !== '' ? [block.text] : [])).join('\n\n');
}

function unsupportedBlock(type: string, where: string): InvalidRequestError {
  return new InvalidRequestError(`Content block type '${type}' is not supported here.`, `${where}.type`);
}
