// Turns a Responses API create request and its context into the Chat Completions request Crossway routes.
// Sources: OpenAI API reference, "Create a model response" (tools, tool_choice, text.format, reasoning,
// max_output_tokens) and "Create chat completion" (tools, tool_choice, response_format, reasoning_effort, verbosity,
// max_completion_tokens, stream_options).
import {
  InvalidRequestError,
  type ChatCompletionRequest,
  type ChatTool,
  type ResponseCreateRequest,
  type ResponseItem,
  type ResponseTextConfig,
  type ResponseTool,
  type ResponseToolChoice,
} from '../wire/index.ts';
import { convertResponseItemsToChatMessages } from './convert-response-items-to-chat-messages.ts';

type FunctionTool = Extract<ResponseTool, { type: 'function'; name: string }>;

/**
 * `request` + `items` (the earlier turns' items followed by the new input, oldest first) -> a chat request:
 * - messages from `instructions` and the items (see convertResponseItemsToChatMessages);
 * - function tools -> chat tools; any other tool type is refused (400 naming `tools[i].type`): hosted tools
 *   (web_search, file_search...) run inside OpenAI and do not exist on the other clouds Crossway routes to;
 * - tool_choice: modes carried, `{type: 'function', name}` -> `{type: 'function', function: {name}}`,
 *   `allowed_tools` -> its mode over only the allowed functions; hosted tool choices refused;
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

  const functions = readFunctionTools(request.tools ?? []);
  const choice = request.tool_choice ?? undefined;
  if (functions.length > 0) {
    const mapped = convertToolChoice(choice, functions);
    chat.tools = mapped.tools.map(convertTool);
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

function readFunctionTools(tools: readonly ResponseTool[]): FunctionTool[] {
  return tools.map((tool, index) => {
    if (tool.type !== 'function') {
      throw new InvalidRequestError(
        `Tool type '${tool.type}' is not supported: hosted tools run only inside OpenAI, and Crossway routes to other clouds too. Use function tools.`,
        `tools[${index}].type`,
        'unsupported_value',
      );
    }
    return tool as FunctionTool;
  });
}

function convertTool(tool: FunctionTool): ChatTool {
  const fn: ChatTool['function'] = { name: tool.name };
  if (typeof tool.description === 'string') fn.description = tool.description;
  if (tool.parameters !== null && tool.parameters !== undefined) fn.parameters = tool.parameters;
  if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
  return { type: 'function', function: fn };
}

interface MappedToolChoice {
  tools: FunctionTool[];
  toolChoice: ChatCompletionRequest['tool_choice'];
}

function convertToolChoice(choice: ResponseToolChoice | undefined, tools: FunctionTool[]): MappedToolChoice {
  if (choice === undefined || typeof choice === 'string') return { tools, toolChoice: choice };
  if (choice.type === 'function' && typeof choice.name === 'string') {
    if (!tools.some((tool) => tool.name === choice.name)) {
      throw new InvalidRequestError(`Tool choice '${choice.name}' is not one of the function tools in 'tools'.`, 'tool_choice.name');
    }
    return { tools, toolChoice: { type: 'function', function: { name: choice.name } } };
  }
  if (choice.type === 'allowed_tools' && 'mode' in choice && Array.isArray(choice.tools)) {
    // Chat Completions' own allowed_tools is not on every upstream; sending only the allowed functions with the mode
    // gives the model the same choice.
    const allowed = choice.tools.map((entry, index) => {
      const name = entry.name;
      if (entry.type !== 'function' || typeof name !== 'string' || !tools.some((tool) => tool.name === name)) {
        throw new InvalidRequestError("Allowed tools must be function tools listed in 'tools'.", `tool_choice.tools[${index}]`);
      }
      return name;
    });
    return { tools: tools.filter((tool) => allowed.includes(tool.name)), toolChoice: choice.mode === 'required' ? 'required' : 'auto' };
  }
  throw new InvalidRequestError(
    `Tool choice type '${choice.type}' is not supported: hosted tools run only inside OpenAI. Use a function tool.`,
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
