// The objects of OpenAI's Responses and Conversations APIs as Crossway returns them: the Response, its items, usage,
// the streaming events, Conversation objects and list pages.
// Sources: openai/openai-openapi (Response, OutputItem, ResponseUsage, ResponseStreamEvent members, ConversationResource,
// ConversationItemList) and the `openai` npm package's resources/responses/responses.d.ts; the tests of src/runtime
// assign these to the package's types so that the compiler checks the match.

export type ResponseStatus = 'completed' | 'failed' | 'in_progress' | 'cancelled' | 'queued' | 'incomplete';
export type ResponseItemStatus = 'in_progress' | 'completed' | 'incomplete';

export interface ResponseInputTextContent {
  type: 'input_text';
  text: string;
}

export interface ResponseInputImageContent {
  type: 'input_image';
  detail: 'auto' | 'low' | 'high' | 'original';
  image_url?: string | null;
  file_id?: string | null;
}

export interface ResponseInputFileContent {
  type: 'input_file';
  file_id?: string | null;
  file_data?: string;
  file_url?: string;
  filename?: string;
}

export interface ResponseOutputTextContent {
  type: 'output_text';
  text: string;
  /** Always empty: Crossway's upstreams produce no citations. */
  annotations: unknown[];
  logprobs?: unknown[];
}

export interface ResponseRefusalContent {
  type: 'refusal';
  refusal: string;
}

/** A reasoning item's text as the model wrote it (a chat route's `reasoning_content`), not a summary of it. */
export interface ResponseReasoningTextContent {
  type: 'reasoning_text';
  text: string;
}

/** A reasoning summary's text. */
export interface ResponseReasoningSummaryContent {
  type: 'summary_text';
  text: string;
}

export type ResponseInputContent = ResponseInputTextContent | ResponseInputImageContent | ResponseInputFileContent;
export type ResponseOutputContent = ResponseOutputTextContent | ResponseRefusalContent;

/** A user, system or developer message (input side); ids `msg_...`. */
export interface ResponseInputMessageItem {
  type: 'message';
  id: string;
  role: 'user' | 'system' | 'developer';
  content: ResponseInputContent[];
  status: ResponseItemStatus;
}

/** An assistant message (output side, or an earlier answer given back as input); ids `msg_...`. */
export interface ResponseOutputMessageItem {
  type: 'message';
  id: string;
  role: 'assistant';
  content: ResponseOutputContent[];
  status: ResponseItemStatus;
}

/** A call the model asks the client to make; `call_id` pairs it with its function_call_output. Ids `fc_...`. */
export interface ResponseFunctionCallItem {
  type: 'function_call';
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: ResponseItemStatus;
}

/** The client's result of a function call; ids `fco_...`. */
export interface ResponseFunctionCallOutputItem {
  type: 'function_call_output';
  id: string;
  call_id: string;
  output: string | ResponseInputContent[];
  status: ResponseItemStatus;
}

/** A reference to a stored item by id; the caller replaces it with the item before translation. */
export interface ResponseItemReference {
  type: 'item_reference';
  id: string;
}

/**
 * A reasoning item: produced by a cloud that serves the Responses API natively (its `encrypted_content` only that
 * cloud can read), by a chat route that returns its reasoning (the text as `reasoning_text` content, no summary, no
 * encrypted content), or replayed by a client. Never sent to a chat upstream. Ids `rs_...`.
 */
export interface ResponseReasoningItem {
  type: 'reasoning';
  id: string;
  summary?: ResponseReasoningSummaryContent[];
  content?: ResponseReasoningTextContent[];
  encrypted_content?: string | null;
  status?: ResponseItemStatus;
  [key: string]: unknown;
}

/** A call of a custom tool: `input` is the text the model wrote for it. Ids `ctc_...`. */
export interface ResponseCustomToolCallItem {
  type: 'custom_tool_call';
  id: string;
  call_id: string;
  name: string;
  input: string;
  status: ResponseItemStatus;
}

/** The client's result of a custom tool call; ids `ctco_...`. */
export interface ResponseCustomToolCallOutputItem {
  type: 'custom_tool_call_output';
  id: string;
  call_id: string;
  output: string | ResponseInputContent[];
  status: ResponseItemStatus;
}

/** A tool search the model asked for; with `execution: "client"` the client runs it. Ids `tsc_...`. */
export interface ResponseToolSearchCallItem {
  type: 'tool_search_call';
  id: string;
  call_id: string | null;
  arguments: unknown;
  execution: 'server' | 'client';
  status: ResponseItemStatus;
}

/** The tools a tool search loaded; ids `tso_...`. */
export interface ResponseToolSearchOutputItem {
  type: 'tool_search_output';
  id: string;
  call_id: string | null;
  tools: Record<string, unknown>[];
  execution: 'server' | 'client';
  status: ResponseItemStatus;
}

/** A hosted tool's call (web_search_call, file_search_call...), as the cloud that ran the tool returned it. */
export interface ResponseHostedToolCallItem {
  type: 'web_search_call' | 'file_search_call' | 'code_interpreter_call' | 'image_generation_call';
  id: string;
  [key: string]: unknown;
}

/**
 * The Responses `mcp` tool's items, as the OpenAI types declare them: a server's tools, a call, an approval asked or
 * given. Only the MCP turn (turns/run-mcp-turn.ts) makes or reads them; the model's translations never see them.
 */
export interface ResponseMcpListToolsItem {
  type: 'mcp_list_tools';
  id: string;
  server_label: string;
  tools: { name: string; description?: string | null; input_schema: unknown; annotations?: unknown | null }[];
  error?: string | null;
}

export interface ResponseMcpCallItem {
  type: 'mcp_call';
  id: string;
  server_label: string;
  name: string;
  /** JSON text. */
  arguments: string;
  approval_request_id?: string | null;
  output?: string | null;
  error?:
    | { type: 'mcp_protocol_error'; code: number; message: string }
    | { type: 'mcp_tool_execution_error'; content: unknown }
    | { type: 'http_error'; code: number; message: string }
    | null;
  status?: 'in_progress' | 'completed' | 'incomplete' | 'calling' | 'failed';
}

export interface ResponseMcpApprovalRequestItem {
  type: 'mcp_approval_request';
  id: string;
  server_label: string;
  name: string;
  arguments: string;
}

export interface ResponseMcpApprovalResponseItem {
  type: 'mcp_approval_response';
  id?: string | null;
  approval_request_id: string;
  approve: boolean;
  reason?: string | null;
}

/** Codex's request for a compaction turn: the last input item of a turn whose answer is one compaction item. */
export interface ResponseCompactionTriggerItem {
  type: 'compaction_trigger';
  id: string;
}

/**
 * A compaction item (POST /v1/responses/compact): the earlier conversation condensed. OpenAI's is encrypted and opaque;
 * Crossway's `encrypted_content` is its own opaque token carrying the summary (see runtime/compaction-content.ts).
 */
export interface ResponseCompactionItem {
  type: 'compaction';
  id: string;
  encrypted_content: string;
  created_by?: string;
}

/** Any item Crossway stores: a response's input and output, a conversation's items. */
export type ResponseItem =
  | ResponseCompactionItem
  | ResponseInputMessageItem
  | ResponseOutputMessageItem
  | ResponseFunctionCallItem
  | ResponseFunctionCallOutputItem
  | ResponseItemReference
  | ResponseReasoningItem
  | ResponseCustomToolCallItem
  | ResponseCustomToolCallOutputItem
  | ResponseToolSearchCallItem
  | ResponseToolSearchOutputItem
  | ResponseHostedToolCallItem
  | ResponseCompactionTriggerItem;

/**
 * The items a model produces through Crossway: messages and calls on every route; reasoning and hosted tool calls
 * come from routes that serve the Responses API natively. (A compaction turn's output is one compaction item.)
 */
export type ResponseOutputItem =
  | ResponseOutputMessageItem
  | ResponseFunctionCallItem
  | ResponseCustomToolCallItem
  | ResponseToolSearchCallItem
  | ResponseReasoningItem
  | ResponseHostedToolCallItem;

/** Token usage in the Responses shape. */
export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** Why a response failed; `code` is OpenAI's (`server_error`, `rate_limit_exceeded`...) or Crossway's error code. */
export interface ResponseError {
  code: string;
  message: string;
}

export interface ResponseIncompleteDetails {
  reason: 'max_output_tokens' | 'content_filter';
}

/** A function tool as the Response object echoes it. */
export interface ResponseFunctionToolObject {
  type: 'function';
  name: string;
  description: string | null;
  parameters: Record<string, unknown> | null;
  strict: boolean | null;
}

export type ResponseToolChoiceObject =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; name: string }
  | { type: 'custom'; name: string }
  | { type: 'allowed_tools'; mode: 'auto' | 'required'; tools: Record<string, unknown>[] };

export type ResponseTextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; description?: string; strict?: boolean | null };

export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | 'max';
export type ReasoningSummary = 'auto' | 'concise' | 'detailed';

/** The `response` object (GET /v1/responses/{id}, the create answer, and the `response` of lifecycle events). */
export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  background: boolean;
  /** Unix seconds; set only when the status is `completed`. */
  completed_at: number | null;
  error: ResponseError | null;
  incomplete_details: ResponseIncompleteDetails | null;
  instructions: string | null;
  max_output_tokens: number | null;
  max_tool_calls: number | null;
  model: string;
  output: ResponseOutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  prompt_cache_key: string | null;
  reasoning: { effort: ReasoningEffort | null; summary: ReasoningSummary | null };
  safety_identifier: string | null;
  service_tier: string;
  store: boolean;
  temperature: number;
  text: { format: ResponseTextFormat; verbosity: 'low' | 'medium' | 'high' };
  tool_choice: ResponseToolChoiceObject;
  /** Function tools in OpenAI's echo form; other tools (custom, tool_search, hosted) as the request gave them. */
  tools: Array<ResponseFunctionToolObject | Record<string, unknown>>;
  top_logprobs: number;
  top_p: number;
  truncation: 'auto' | 'disabled';
  /** `null` until the answer is complete, as OpenAI sends it in `response.created`. */
  usage: ResponseUsage | null;
  user: string | null;
  metadata: Record<string, string>;
  conversation: { id: string } | null;
}

/** DELETE /v1/responses/{id}. */
export interface ResponseDeletedObject {
  id: string;
  object: 'response';
  deleted: true;
}

/** POST /v1/responses/input_tokens. */
export interface ResponseInputTokensObject {
  object: 'response.input_tokens';
  input_tokens: number;
}

/** POST /v1/responses/compact. */
export interface ResponseCompactionObject {
  id: string;
  object: 'response.compaction';
  created_at: number;
  output: ResponseItem[];
  usage: ResponseUsage;
}

interface SequencedEvent {
  sequence_number: number;
}

export interface ResponseLifecycleEvent extends SequencedEvent {
  type: 'response.created' | 'response.queued' | 'response.in_progress' | 'response.completed' | 'response.incomplete' | 'response.failed';
  response: ResponseObject;
}

export interface ResponseOutputItemEvent extends SequencedEvent {
  type: 'response.output_item.added' | 'response.output_item.done';
  output_index: number;
  item: ResponseOutputItem;
}

export interface ResponseContentPartEvent extends SequencedEvent {
  type: 'response.content_part.added' | 'response.content_part.done';
  item_id: string;
  output_index: number;
  content_index: number;
  /** A message's text or refusal, or a reasoning item's text. */
  part: ResponseOutputContent | ResponseReasoningTextContent;
}

export interface ResponseTextDeltaEvent extends SequencedEvent {
  type: 'response.output_text.delta';
  item_id: string;
  output_index: number;
  content_index: number;
  delta: string;
  /** Always empty: Crossway does not carry log probabilities. */
  logprobs: never[];
}

export interface ResponseTextDoneEvent extends SequencedEvent {
  type: 'response.output_text.done';
  item_id: string;
  output_index: number;
  content_index: number;
  text: string;
  /** Always empty: Crossway does not carry log probabilities. */
  logprobs: never[];
}

export interface ResponseRefusalDeltaEvent extends SequencedEvent {
  type: 'response.refusal.delta';
  item_id: string;
  output_index: number;
  content_index: number;
  delta: string;
}

export interface ResponseRefusalDoneEvent extends SequencedEvent {
  type: 'response.refusal.done';
  item_id: string;
  output_index: number;
  content_index: number;
  refusal: string;
}

export interface ResponseReasoningTextDeltaEvent extends SequencedEvent {
  type: 'response.reasoning_text.delta';
  item_id: string;
  output_index: number;
  content_index: number;
  delta: string;
}

export interface ResponseReasoningTextDoneEvent extends SequencedEvent {
  type: 'response.reasoning_text.done';
  item_id: string;
  output_index: number;
  content_index: number;
  text: string;
}

export interface ResponseFunctionCallArgumentsDeltaEvent extends SequencedEvent {
  type: 'response.function_call_arguments.delta';
  item_id: string;
  output_index: number;
  delta: string;
}

export interface ResponseFunctionCallArgumentsDoneEvent extends SequencedEvent {
  type: 'response.function_call_arguments.done';
  item_id: string;
  output_index: number;
  name: string;
  arguments: string;
}

export interface ResponseCustomToolCallInputDeltaEvent extends SequencedEvent {
  type: 'response.custom_tool_call_input.delta';
  item_id: string;
  output_index: number;
  delta: string;
}

export interface ResponseCustomToolCallInputDoneEvent extends SequencedEvent {
  type: 'response.custom_tool_call_input.done';
  item_id: string;
  output_index: number;
  input: string;
}

/** A stream-level error (not tied to the response object), as OpenAI sends `event: error`. */
export interface ResponseErrorEvent extends SequencedEvent {
  type: 'error';
  code: string | null;
  message: string;
  param: string | null;
}

/** Every streaming event Crossway emits on `POST /v1/responses` with `stream: true`. */
export type ResponseStreamEvent =
  | ResponseLifecycleEvent
  | ResponseOutputItemEvent
  | ResponseContentPartEvent
  | ResponseTextDeltaEvent
  | ResponseTextDoneEvent
  | ResponseRefusalDeltaEvent
  | ResponseRefusalDoneEvent
  | ResponseReasoningTextDeltaEvent
  | ResponseReasoningTextDoneEvent
  | ResponseFunctionCallArgumentsDeltaEvent
  | ResponseFunctionCallArgumentsDoneEvent
  | ResponseCustomToolCallInputDeltaEvent
  | ResponseCustomToolCallInputDoneEvent
  | ResponseMcpEvent
  | ResponseErrorEvent;

/** The Responses `mcp` tool's progress events (listing, calling), as the OpenAI types declare them. */
export type ResponseMcpEvent =
  | (SequencedEvent & {
      type:
        | 'response.mcp_list_tools.in_progress'
        | 'response.mcp_list_tools.completed'
        | 'response.mcp_list_tools.failed'
        | 'response.mcp_call.in_progress'
        | 'response.mcp_call.completed'
        | 'response.mcp_call.failed';
      item_id: string;
      output_index: number;
    })
  | (SequencedEvent & { type: 'response.mcp_call_arguments.delta'; item_id: string; output_index: number; delta: string })
  | (SequencedEvent & { type: 'response.mcp_call_arguments.done'; item_id: string; output_index: number; arguments: string });

/** A Conversation object. */
export interface ConversationObject {
  id: string;
  object: 'conversation';
  created_at: number;
  metadata: Record<string, string>;
}

/** DELETE /v1/conversations/{id}. */
export interface ConversationDeletedObject {
  id: string;
  object: 'conversation.deleted';
  deleted: true;
}

/** An item of a conversation: what its responses took as input and produced. */
export type ConversationItem = ResponseItem;

/** A cursor page (`after`/`limit`) of a list endpoint: input items, conversation items. */
export interface ListPage<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}
