// Turns a Responses API create request and its context into the Chat Completions request Crossway routes.
// Sources: OpenAI API reference, "Create a model response" (tools, tool_choice, text.format, reasoning,
// max_output_tokens) and "Create chat completion" (tools, tool_choice, response_format, reasoning_effort, verbosity,
// max_completion_tokens, stream_options).
import {
  hostedToolOf,
  InvalidRequestError,
  type ChatCompletionRequest,
  type ChatTool,
  type ResponseCreateRequest,
  type ResponseItem,
  type ResponseTextConfig,
  type ResponseTool,
  type ResponseToolChoice,
} from '../wire/index.ts';
import { readChatToolMapping } from './chat-tool-mapping.ts';
import { convertResponseItemsToChatMessages } from './convert-response-items-to-chat-messages.ts';

/** The tool types a chat route carries (see chat-tool-mapping.ts); hosted tools are dropped, not refused. */
const CHAT_TOOL_TYPES: ReadonlySet<string> = new Set(['function', 'custom', 'tool_search', 'namespace']);

/**
 * `request` + `items` (the earlier turns' items followed by the new input, oldest first) -> a chat request:
 * - messages from `instructions` and the items (see convertResponseItemsToChatMessages);
 * - function, custom and client-executed tool_search tools (and the tools tool_search_output items loaded) -> chat
 *   functions (readChatToolMapping); hosted tools (web_search, file_search, code_interpreter, image_generation) are left
 *   out: a chat route cannot run them, and routing decided to drop them (see the planner's hosted-tool check); any
 *   other tool type is refused (400 naming `tools[i].type`);
 * - tool_choice: modes carried, `{type: 'function' | 'custom', name}` -> `{type: 'function', function: {name}}`,
 *   `allowed_tools` -> its mode over only the allowed functions; a hosted tool choice leaves the choice to the model
 *   (routing refuses a forced hosted tool that the route cannot run, so such a body is never sent);
 * - text.format -> response_format (`text`, the default, is left out), text.verbosity -> verbosity,
 *   reasoning.effort -> reasoning_effort, max_output_tokens -> max_completion_tokens;
 * - temperature, top_p, user, safety_identifier, prompt_cache_key, service_tier carried when set;
 *   parallel_tool_calls and tool_choice only with tools (Chat Completions refuses them without);
 * - stream -> stream with `stream_options.include_usage`, so that the turn's usage is always known.
 * Not carried: store, metadata, previous_response_id, conversation, background, include, truncation (state and
 * bookkeeping the runtime keeps itself), and Crossway's own `models`/`crossway` (routing, read from the request).
 */
export function convertResponsesToChatRequest(request: ResponseCreateRequest, items: readonly ResponseItem[]): ChatCompletionRequest {
  const messages = convertResponseItemsToChatMessages(request.instructions, items);
  if (messages.length === 0) throw new InvalidRequestError("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  const chat: ChatCompletionRequest = { model: request.model, messages };

  checkToolTypes(request.tools ?? []);
  const functions = readChatToolMapping(request.tools ?? [], items).tools;
  const choice = request.tool_choice ?? undefined;
  if (functions.length > 0) {
    const mapped = convertToolChoice(choice, functions);
    chat.tools = mapped.tools;
    if (mapped.toolChoice !== undefined) chat.tool_choice = mapped.toolChoice;
    if (typeof request.parallel_tool_calls === 'boolean') chat.parallel_tool_calls = request.parallel_tool_calls;
  } else if (choice !== undefined) {
    // Without tools only the modes mean anything (and none of them changes a chat answer); a named tool is an error.
    convertToolChoice(choice, []);
  }

  const responseFormat = convertTextFormat(request.text ?? undefined);
  if (responseFormat !== undefined) chat.response_format = responseFormat;
  if (typeof request.text?.verbosity === 'string') chat.verbosity = request.text.verbosity;
  if (typeof request.reasoning?.effort === 'string') chat.reasoning_effort = request.reasoning.effort;
  if (typeof request.max_output_tokens === 'number') chat.max_completion_tokens = request.max_output_tokens;
  if (typeof request.temperature === 'number') chat.temperature = request.temperature;
  if (typeof request.top_p === 'number') chat.top_p = request.top_p;
  if (typeof request.user === 'string') chat.user = request.user;
  if (typeof request.safety_identifier === 'string') chat.safety_identifier = request.safety_identifier;
  if (typeof request.prompt_cache_key === 'string') chat.prompt_cache_key = request.prompt_cache_key;
  if (typeof request.service_tier === 'string') chat.service_tier = request.service_tier;
  if (request.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return chat;
}

function checkToolTypes(tools: readonly ResponseTool[]): void {
  tools.forEach((tool, index) => {
    if (CHAT_TOOL_TYPES.has(tool.type) || hostedToolOf(tool.type) !== null) return;
    throw new InvalidRequestError(
      `Tool type '${tool.type}' is not supported: Crossway carries function, custom, namespace and tool_search tools to every route, and the hosted tools ` +
        'web_search, file_search, code_interpreter and image_generation to routes whose cloud runs them.',
      `tools[${index}].type`,
      'unsupported_value',
    );
  });
}

interface MappedToolChoice {
  tools: ChatTool[];
  toolChoice: ChatCompletionRequest['tool_choice'];
}

function convertToolChoice(choice: ResponseToolChoice | undefined, tools: ChatTool[]): MappedToolChoice {
  if (choice === undefined || typeof choice === 'string') return { tools, toolChoice: choice };
  if ((choice.type === 'function' || choice.type === 'custom') && typeof choice.name === 'string') {
    if (!tools.some((tool) => tool.function.name === choice.name)) {
      throw new InvalidRequestError(`Tool choice '${choice.name}' is not one of the ${choice.type} tools in 'tools'.`, 'tool_choice.name');
    }
    return { tools, toolChoice: { type: 'function', function: { name: choice.name } } };
  }
  if (choice.type === 'allowed_tools' && 'mode' in choice && Array.isArray(choice.tools)) {
    // Chat Completions' own allowed_tools is not on every upstream; sending only the allowed functions with the mode
    // gives the model the same choice.
    const allowed = choice.tools.map((entry, index) => {
      const name = entry.name;
      if (hostedToolOf(String(entry.type)) !== null) return null;
      if ((entry.type !== 'function' && entry.type !== 'custom') || typeof name !== 'string' || !tools.some((tool) => tool.function.name === name)) {
        throw new InvalidRequestError("Allowed tools must be function or custom tools listed in 'tools', or hosted tools.", `tool_choice.tools[${index}]`);
      }
      return name;
    });
    return { tools: tools.filter((tool) => allowed.includes(tool.function.name)), toolChoice: choice.mode === 'required' ? 'required' : 'auto' };
  }
  if (hostedToolOf(choice.type) !== null) return { tools, toolChoice: undefined };
  throw new InvalidRequestError(
    `Tool choice type '${choice.type}' is not supported: Crossway carries function and custom tools, and hosted tools to routes that run them.`,
    'tool_choice.type',
    'unsupported_value',
  );
}

function convertTextFormat(text: ResponseTextConfig | undefined): ChatCompletionRequest['response_format'] {
  const format = text?.format;
  switch (format?.type) {
    case undefined:
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      const { type: _type, name, schema, description, strict } = format;
      const jsonSchema: Record<string, unknown> = { name, schema };
      if (typeof description === 'string') jsonSchema.description = description;
      if (typeof strict === 'boolean') jsonSchema.strict = strict;
      return { type: 'json_schema', json_schema: { name, ...jsonSchema } };
    }
  }
}
