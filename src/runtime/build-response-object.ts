// Builds the Response object exactly as OpenAI returns it: the request's settings echoed with OpenAI's defaults, the
// output, usage and status. Source: OpenAI API reference, "The response object" (openai/openai-openapi `Response`
// and its examples).
import type {
  ResponseCreateRequest,
  ResponseError,
  ResponseIncompleteDetails,
  ResponseObject,
  ResponseOutputItem,
  ResponseStatus,
  ResponseTextFormat,
  ResponseToolChoiceObject,
  ResponseUsage,
} from '../wire/index.ts';

export interface BuildResponseObjectInput {
  id: string;
  /** Unix seconds. */
  created_at: number;
  status: ResponseStatus;
  model: string;
  request: ResponseCreateRequest;
  output: readonly ResponseOutputItem[];
  usage: ResponseUsage | null;
  error: ResponseError | null;
  incomplete_details: ResponseIncompleteDetails | null;
  previous_response_id: string | null;
  /** The conversation id the response belongs to, if any. */
  conversation: string | null;
  /** Unix seconds; when left out, a `completed` response takes the current time (OpenAI sets it only then). */
  completed_at?: number | null;
}

/**
 * The `response` object. `output_text` is not part of it: OpenAI's SDKs compute it from `output`. Defaults are
 * OpenAI's: temperature and top_p 1, store and parallel_tool_calls true, truncation `disabled`, text format `text`
 * with verbosity `medium`, tool_choice `auto`, metadata `{}`. Function tools are echoed in OpenAI's form, the others
 * (custom, tool_search, hosted) as the request gave them.
 */
export function buildResponseObject(input: BuildResponseObjectInput): ResponseObject {
  const { request } = input;
  return {
    id: input.id,
    object: 'response',
    created_at: input.created_at,
    status: input.status,
    background: request.background ?? false,
    completed_at: input.status === 'completed' ? (input.completed_at ?? Math.floor(Date.now() / 1000)) : null,
    error: input.error,
    incomplete_details: input.incomplete_details,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    max_tool_calls: request.max_tool_calls ?? null,
    model: input.model,
    output: [...input.output],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: input.previous_response_id,
    prompt_cache_key: request.prompt_cache_key ?? null,
    reasoning: { effort: request.reasoning?.effort ?? null, summary: request.reasoning?.summary ?? null },
    safety_identifier: request.safety_identifier ?? null,
    // OpenAI reports the tier that served the request; Crossway's routes have no tiers beyond the standard one.
    service_tier: 'default',
    store: request.store ?? true,
    temperature: request.temperature ?? 1,
    text: { format: echoTextFormat(request), verbosity: request.text?.verbosity ?? 'medium' },
    tool_choice: echoToolChoice(request),
    tools: echoTools(request),
    top_logprobs: request.top_logprobs ?? 0,
    top_p: request.top_p ?? 1,
    truncation: request.truncation ?? 'disabled',
    usage: input.usage,
    user: request.user ?? null,
    metadata: request.metadata ?? {},
    conversation: input.conversation === null ? null : { id: input.conversation },
  };
}

function echoTextFormat(request: ResponseCreateRequest): ResponseTextFormat {
  const format = request.text?.format;
  switch (format?.type) {
    case undefined:
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      const echoed: ResponseTextFormat = { type: 'json_schema', name: format.name, schema: format.schema, strict: format.strict ?? null };
      if (typeof format.description === 'string') echoed.description = format.description;
      return echoed;
    }
  }
}

function echoToolChoice(request: ResponseCreateRequest): ResponseToolChoiceObject {
  const choice = request.tool_choice;
  if (choice === null || choice === undefined) return 'auto';
  if (typeof choice === 'string') return choice;
  if (choice.type === 'function' && typeof choice.name === 'string') return { type: 'function', name: choice.name };
  if (choice.type === 'custom' && typeof choice.name === 'string') return { type: 'custom', name: choice.name };
  if (choice.type === 'allowed_tools' && (choice.mode === 'auto' || choice.mode === 'required') && Array.isArray(choice.tools)) {
    return { type: 'allowed_tools', mode: choice.mode, tools: choice.tools };
  }
  return 'auto';
}

function echoTools(request: ResponseCreateRequest): ResponseObject['tools'] {
  const echoed: ResponseObject['tools'] = [];
  for (const tool of request.tools ?? []) {
    if (tool.type !== 'function') {
      // Custom, tool_search and hosted tools as the request gave them.
      echoed.push({ ...tool });
      continue;
    }
    if (typeof tool.name !== 'string') continue;
    echoed.push({
      type: 'function',
      name: tool.name,
      description: typeof tool.description === 'string' ? tool.description : null,
      parameters: isRecord(tool.parameters) ? tool.parameters : null,
      strict: typeof tool.strict === 'boolean' ? tool.strict : null,
    });
  }
  return echoed;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
