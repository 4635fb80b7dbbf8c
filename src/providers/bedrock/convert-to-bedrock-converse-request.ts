// Builds the Converse / ConverseStream call for an OpenAI chat request: URL from the route, body translated field by
// field, notes on what was adapted to fit Converse, and a 400 naming the parameter for anything Converse cannot carry.
// Sources: botocore `bedrock-runtime/2023-09-30/service-2.json` (ConverseRequest, InferenceConfiguration,
// ToolConfiguration, ToolSpecification, ToolChoice {auto|any|tool}); AWS "Call a tool with the Converse API"
// (docs.aws.amazon.com/bedrock/latest/userguide/tool-use-inference-call.html); OpenAI API reference "Create chat
// completion" for the OpenAI side.
import type { Route } from '../../catalog/index.ts';
import { InvalidRequestError, type ChatCompletionRequest } from '../../wire/index.ts';
import type { UpstreamRequest } from '../provider-adapter.ts';
import { buildBedrockConverseUrl } from './build-bedrock-url.ts';
import {
  convertToBedrockConverseMessages,
  openBedrockConverseConversation,
  type ConverseConversation,
  type ConverseMessage,
} from './convert-to-bedrock-converse-messages.ts';

/**
 * The name of the tool that carries a `response_format` answer. Converse has no JSON mode that every model honours,
 * so a JSON answer is asked for as a forced call of this tool, whose input schema is the requested schema; the reply
 * readers turn its input back into the message content. The name is reserved: client tools may not use it.
 */
export const BEDROCK_JSON_RESPONSE_TOOL = 'crossway_json_response';

interface ConverseToolSpec {
  toolSpec: { name: string; description?: string; inputSchema: { json: Record<string, unknown> } };
}

type ConverseToolChoice = { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };

/**
 * Converse's `inferenceConfig.temperature` range (botocore InferenceConfiguration: `box: true, min: 0, max: 1`); OpenAI
 * allows 0 to 2. Temperature is the same sampling parameter of the same model on both wires, so a value inside 0..1
 * is sent as is and a higher one is clamped to 1 (scaling would change every request's meaning, not just those
 * Converse cannot carry).
 */
export const BEDROCK_CONVERSE_MAX_TEMPERATURE = 1;

/**
 * The schema of a tool that the history used but the request does not define (no `tools`, or `tool_choice: none`):
 * Converse needs every tool the history's toolUse blocks name declared in `toolConfig`, and only the name is known.
 */
const PERMISSIVE_INPUT_SCHEMA: Record<string, unknown> = { type: 'object' };

/**
 * Added to the system blocks when the history holds tool blocks but the client lets the model call no tool
 * (`tool_choice: none`, or no `tools`): Converse has no `none` tool choice (ToolChoice is auto | any | tool) and the
 * declared tools would otherwise be offered; with `auto` the model may answer in words, which this asks it to do.
 */
export const BEDROCK_NO_TOOL_CALLS_INSTRUCTION =
  'Do not call any tool in this turn: the tools above are declared only because the conversation used them. Answer in text.';

/** The Converse request body as Crossway writes it. */
export interface ConverseRequestBody extends Partial<ConverseConversation> {
  messages: ConverseConversation['messages'];
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: { tools: ConverseToolSpec[]; toolChoice?: ConverseToolChoice };
  /** Model-specific fields Converse passes to the model as they are (ConverseRequest.additionalModelRequestFields). */
  additionalModelRequestFields?: Record<string, unknown>;
}

/**
 * OpenAI fields Converse cannot carry and whose loss would change the answer: refused with a 400 naming them when set
 * to anything but their neutral value. (`n` is checked separately: 1 is fine.)
 */
const REFUSED_FIELDS: Record<string, (value: unknown) => boolean> = {
  logprobs: (value) => value === true,
  top_logprobs: (value) => value !== null && value !== undefined,
  audio: (value) => value !== null && value !== undefined,
  modalities: (value) => Array.isArray(value) && value.some((modality) => modality !== 'text'),
  prediction: (value) => value !== null && value !== undefined,
  logit_bias: (value) => typeof value === 'object' && value !== null && Object.keys(value).length > 0,
  frequency_penalty: (value) => typeof value === 'number' && value !== 0,
  presence_penalty: (value) => typeof value === 'number' && value !== 0,
  functions: (value) => value !== null && value !== undefined,
  function_call: (value) => value !== null && value !== undefined,
  web_search_options: (value) => value !== null && value !== undefined,
  verbosity: (value) => value !== null && value !== undefined,
};

/**
 * The Converse (or, with `stream: true`, ConverseStream) call for `request`. Mapping:
 * - messages: see convertToBedrockConverseMessages; a conversation that does not open with a user message (it opens
 *   with an assistant message, or holds only system messages) gets a short user message first (see
 *   openBedrockConverseConversation), because Converse requires one; noted;
 * - `max_completion_tokens` (else `max_tokens`) -> `inferenceConfig.maxTokens`; `temperature` (above 1 clamped to 1,
 *   see BEDROCK_CONVERSE_MAX_TEMPERATURE; noted); `top_p` -> `topP`; `stop` -> `stopSequences`;
 * - `tools` -> `toolConfig.tools[].toolSpec` (`parameters` -> `inputSchema.json`; `strict` is not sent: not every model
 *   accepts it); `tool_choice` `auto` | `required` | `{function}` -> `{auto:{}}` | `{any:{}}` | `{tool:{name}}`, and
 *   `none` leaves the tools out;
 * - a history with toolUse / toolResult blocks always declares `toolConfig` (Converse refuses such a history without
 *   it): tools the history names that the request does not define are declared by name with a permissive schema;
 *   when the client lets the model call no tool (`tool_choice: none` or no `tools`) no tool choice is sent (auto) and
 *   BEDROCK_NO_TOOL_CALLS_INSTRUCTION joins the system blocks; noted;
 * - `response_format` `json_schema` (and `json_object`, as the schema `{"type":"object"}`) -> the forced
 *   BEDROCK_JSON_RESPONSE_TOOL: with no client tools (or `tool_choice: none`) it is the only tool, chosen with
 *   `{any:{}}` (which forces the single tool and is accepted by more models than `{tool:{name}}`); with client tools
 *   it is added beside them and `{any:{}}` makes the model either call a tool or give its answer as JSON (a named
 *   `tool_choice` still forces that tool). Models that accept no `toolChoice` answer Bedrock's own 400;
 * - `reasoning_effort` -> `additionalModelRequestFields.reasoning_effort` on a route with the `reasoning` capability, the
 *   field AWS documents for OpenAI models on Converse ("OpenAI models": any field Converse has no member for goes in
 *   additionalModelRequestFields; vercel/ai#11467 sends the effort there); a model that takes its effort in another
 *   field answers Bedrock's "doesn't support" 400, a carry limit. On a route without the capability: 400 naming it;
 * - `n` > 1 and the fields of REFUSED_FIELDS -> 400 naming the parameter;
 * - ignored, because they change nothing in the answer: `user`, `metadata`, `store`, `parallel_tool_calls` (Converse
 *   models may return several tool uses either way), `seed`, `service_tier`, `safety_identifier`, `prompt_cache_key`,
 *   `stream_options` (the stream always reports usage), `response_format: text`, `strict` flags, and unknown fields.
 */
export function prepareBedrockConverseChat(request: ChatCompletionRequest, route: Route): UpstreamRequest {
  const stream = request.stream === true;
  const notes: string[] = [];
  const body = JSON.stringify(convertToBedrockConverseRequest(request, route, notes));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(route.headers)) headers[name.toLowerCase()] = value;
  headers['content-type'] = 'application/json';
  // ConverseStream answers with AWS event stream frames (vnd.amazon.eventstream), Converse with JSON.
  headers.accept = stream ? 'application/vnd.amazon.eventstream' : 'application/json';
  const prepared: UpstreamRequest = { method: 'POST', url: buildBedrockConverseUrl(route, stream), headers, body };
  if (notes.length > 0) prepared.notes = notes;
  return prepared;
}

/**
 * The Converse body for `request` (see prepareBedrockConverseChat for the mapping); what was adapted to fit Converse
 * is pushed to `notes`, one sentence each, for the decision record.
 */
export function convertToBedrockConverseRequest(request: ChatCompletionRequest, route: Route, notes: string[] = []): ConverseRequestBody {
  refuseUncarriableFields(request, route);
  const { system, messages } = openBedrockConverseConversation(convertToBedrockConverseMessages(request.messages, route), notes);
  const body: ConverseRequestBody = { messages };
  const inferenceConfig = convertInferenceConfig(request, notes);
  if (inferenceConfig !== undefined) body.inferenceConfig = inferenceConfig;
  const effort = request.reasoning_effort;
  if (effort !== null && effort !== undefined) body.additionalModelRequestFields = { reasoning_effort: effort };
  const toolConfig = convertToolConfig(request, route);
  const historyTools = namesToolsOf(messages);
  if (historyTools !== null) {
    const declared = new Set(toolConfig?.tools.map((tool) => tool.toolSpec.name));
    const undeclared = [...historyTools].filter((name) => !declared.has(name));
    const clientTools = request.tool_choice === 'none' ? [] : (request.tools ?? []);
    const callsAllowed = clientTools.length > 0 || toolConfig?.toolChoice !== undefined;
    if (undeclared.length > 0) {
      // Prefer the client's own definition of a tool the request leaves out only because of `tool_choice: none`.
      const defined = new Map((request.tools ?? []).map((tool) => [tool.function.name, tool.function]));
      const specs = undeclared.map((name) => {
        const fn = defined.get(name);
        return toToolSpec(name, fn?.description, fn?.parameters ?? PERMISSIVE_INPUT_SCHEMA);
      });
      body.toolConfig = toolConfig === undefined ? { tools: specs } : { ...toolConfig, tools: [...toolConfig.tools, ...specs] };
      // The names come from the request: the note names a few, each cut to Converse's 64-character limit.
      const named = undeclared.slice(0, 8).map((name) => name.slice(0, 64));
      const more = undeclared.length > named.length ? ` and ${undeclared.length - named.length} more` : '';
      notes.push(`Declared the tools the history used (${named.join(', ')}${more}) in toolConfig: Converse requires it for toolUse/toolResult blocks.`);
    } else if (toolConfig !== undefined) body.toolConfig = toolConfig;
    if (!callsAllowed) {
      system.push({ text: BEDROCK_NO_TOOL_CALLS_INSTRUCTION });
      notes.push('Asked the model in the system prompt to answer in text: Converse has no tool_choice none.');
    }
  } else if (toolConfig !== undefined) body.toolConfig = toolConfig;
  if (system.length > 0) body.system = system;
  return body;
}

/** The names of the tools the history's toolUse blocks call, or null when it holds no tool block at all. */
function namesToolsOf(messages: readonly ConverseMessage[]): Set<string> | null {
  const names = new Set<string>();
  let toolBlocks = false;
  for (const message of messages) {
    for (const block of message.content) {
      if ('toolUse' in block) names.add(block.toolUse.name);
      if ('toolUse' in block || 'toolResult' in block) toolBlocks = true;
    }
  }
  return toolBlocks ? names : null;
}

function refuseUncarriableFields(request: ChatCompletionRequest, route: Route): void {
  if (typeof request.n === 'number' && request.n > 1) {
    throw new InvalidRequestError(`Bedrock Converse returns one choice per request; 'n' must be 1 (route ${route.id})`, 'n', 'unsupported_parameter');
  }
  const effort = request.reasoning_effort;
  if (effort !== null && effort !== undefined && !route.capabilities.includes('reasoning')) {
    throw new InvalidRequestError(
      `'reasoning_effort' cannot be carried to this Bedrock Converse route: it lacks the reasoning capability (route ${route.id})`,
      'reasoning_effort',
      'unsupported_parameter',
    );
  }
  for (const [field, isSet] of Object.entries(REFUSED_FIELDS)) {
    if (isSet(request[field])) {
      throw new InvalidRequestError(`'${field}' cannot be carried to a Bedrock Converse route (route ${route.id})`, field, 'unsupported_parameter');
    }
  }
}

function convertInferenceConfig(request: ChatCompletionRequest, notes: string[]): ConverseRequestBody['inferenceConfig'] {
  const config: NonNullable<ConverseRequestBody['inferenceConfig']> = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (typeof maxTokens === 'number') config.maxTokens = maxTokens;
  const temperature = request.temperature;
  if (typeof temperature === 'number') {
    config.temperature = Math.min(temperature, BEDROCK_CONVERSE_MAX_TEMPERATURE);
    if (temperature > BEDROCK_CONVERSE_MAX_TEMPERATURE) {
      notes.push(`temperature ${temperature} clamped to ${BEDROCK_CONVERSE_MAX_TEMPERATURE}: Converse accepts 0 to ${BEDROCK_CONVERSE_MAX_TEMPERATURE}.`);
    }
  }
  if (typeof request.top_p === 'number') config.topP = request.top_p;
  // Converse's stop sequences must be non-empty strings; OpenAI ignores empty ones.
  const stop = (typeof request.stop === 'string' ? [request.stop] : (request.stop ?? [])).filter((sequence) => sequence !== '');
  if (stop.length > 0) config.stopSequences = stop;
  return Object.keys(config).length === 0 ? undefined : config;
}

function convertToolConfig(request: ChatCompletionRequest, route: Route): ConverseRequestBody['toolConfig'] {
  const choice = request.tool_choice;
  const clientTools = choice === 'none' ? [] : (request.tools ?? []);
  const tools: ConverseToolSpec[] = clientTools.map((tool, i) => {
    if (tool.function.name === BEDROCK_JSON_RESPONSE_TOOL) {
      throw new InvalidRequestError(
        `The tool name '${BEDROCK_JSON_RESPONSE_TOOL}' is reserved by Crossway (route ${route.id})`,
        `tools[${i}].function.name`,
        'invalid_value',
      );
    }
    return toToolSpec(tool.function.name, tool.function.description, tool.function.parameters);
  });
  const jsonTool = convertResponseFormat(request);
  if (jsonTool !== undefined) tools.push(jsonTool);
  if (tools.length === 0) return undefined;

  let toolChoice: ConverseToolChoice | undefined;
  if (typeof choice === 'object') {
    if (!clientTools.some((tool) => tool.function.name === choice.function.name)) {
      throw new InvalidRequestError(`tool_choice names '${choice.function.name}', which is not in tools (route ${route.id})`, 'tool_choice', 'invalid_value');
    }
    toolChoice = { tool: { name: choice.function.name } };
  } else if (jsonTool !== undefined || choice === 'required') {
    toolChoice = { any: {} };
  } else if (choice === 'auto') {
    toolChoice = { auto: {} };
  }
  return toolChoice === undefined ? { tools } : { tools, toolChoice };
}

/** The forced answer tool for a JSON `response_format`, or undefined for text answers. */
function convertResponseFormat(request: ChatCompletionRequest): ConverseToolSpec | undefined {
  const format = request.response_format;
  if (format?.type === 'json_schema') {
    const { name, description, schema } = format.json_schema as { name: string; description?: unknown; schema?: Record<string, unknown> };
    const about = typeof description === 'string' && description !== '' ? ` ${description}` : '';
    return toToolSpec(
      BEDROCK_JSON_RESPONSE_TOOL,
      `Give the final answer by calling this tool: its input is the answer, a JSON value matching the schema '${name}'.${about}`,
      schema ?? { type: 'object' },
    );
  }
  if (format?.type === 'json_object') {
    return toToolSpec(BEDROCK_JSON_RESPONSE_TOOL, 'Give the final answer by calling this tool: its input is the answer, as a JSON object.', {
      type: 'object',
    });
  }
  return undefined;
}

function toToolSpec(name: string, description: string | undefined, parameters: Record<string, unknown> | undefined): ConverseToolSpec {
  // Converse needs an input schema; OpenAI's default for a function without parameters is an empty object.
  const spec: ConverseToolSpec['toolSpec'] = { name, inputSchema: { json: parameters ?? { type: 'object', properties: {} } } };
  if (description !== undefined && description !== '') spec.description = description;
  return { toolSpec: spec };
}
