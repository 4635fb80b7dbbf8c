// OpenAI Responses and Conversations API wire: the request validators used at the HTTP edge (the objects Crossway
// returns are typed in response-objects.ts).
// Sources: openai/openai-openapi (CreateResponse, Response, ResponseUsage, InputItem, ResponseStreamEvent and its
// members, TokenCountsBody, CompactResponseMethodPublicBody, CreateConversationBody, UpdateConversationBody,
// ConversationResource, ConversationItemList) and the official `openai` npm package's
// resources/responses/responses.d.ts and resources/conversations/*.d.ts. Schemas are loose: they check the fields
// Crossway reads and keep every other field.
import { z } from 'zod';
import { excerpt, modelNameSchema } from './excerpt.ts';

/** OpenAI's metadata limits: at most 16 pairs, keys up to 64 characters, values up to 512. */
export const metadataSchema = z.record(z.string(), z.string()).superRefine((metadata, context) => {
  const keys = Object.keys(metadata);
  if (keys.length > 16) {
    context.addIssue({ code: 'custom', message: `must have at most 16 key-value pairs, got ${keys.length}` });
    return;
  }
  for (const key of keys) {
    if (key.length > 64) context.addIssue({ code: 'custom', message: `key '${excerpt(key, 16)}' is longer than 64 characters` });
    if ((metadata[key] ?? '').length > 512) context.addIssue({ code: 'custom', message: `value of '${excerpt(key, 64)}' is longer than 512 characters` });
  }
});

const itemStatus = z.enum(['in_progress', 'completed', 'incomplete']);
const itemId = z.string().min(1).nullish();

/** The hosted tools Crossway knows, by the capability a route declares when its cloud runs the tool. */
export const HOSTED_TOOLS = ['web_search', 'file_search', 'code_interpreter', 'image_generation'] as const;
export type HostedTool = (typeof HOSTED_TOOLS)[number];
/** The item types of hosted tool calls, as a cloud that runs them returns them. */
export const HOSTED_TOOL_CALL_TYPES = ['web_search_call', 'file_search_call', 'code_interpreter_call', 'image_generation_call'] as const;

/**
 * The hosted tool a tool type (or tool_choice type) names, or null: `web_search` and its dated and preview forms,
 * `file_search`, `code_interpreter`, `image_generation`.
 */
export function hostedToolOf(type: string): HostedTool | null {
  if (type === 'web_search' || type.startsWith('web_search_')) return 'web_search';
  return (HOSTED_TOOLS as readonly string[]).includes(type) ? (type as HostedTool) : null;
}

const inputTextPart = z.looseObject({ type: z.literal('input_text'), text: z.string() });
const inputImagePart = z
  .looseObject({
    type: z.literal('input_image'),
    image_url: z.string().min(1).nullish(),
    file_id: z.string().min(1).nullish(),
    detail: z.enum(['auto', 'low', 'high', 'original']).nullish(),
  })
  .refine((part) => typeof part.image_url === 'string' || typeof part.file_id === 'string', {
    message: 'an input_image needs image_url or file_id',
    path: ['image_url'],
  });
const inputFilePart = z.looseObject({
  type: z.literal('input_file'),
  file_id: z.string().nullish(),
  file_data: z.string().optional(),
  file_url: z.string().optional(),
  filename: z.string().optional(),
});
const outputTextPart = z.looseObject({ type: z.literal('output_text'), text: z.string(), annotations: z.array(z.unknown()).optional() });
const refusalPart = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });
const inputContentPart = z.discriminatedUnion('type', [inputTextPart, inputImagePart, inputFilePart]);
// An assistant message given back as input carries output_text/refusal parts (an earlier answer) or, as OpenAI's
// EasyInputMessage allows, input_text parts.
const assistantContentPart = z.discriminatedUnion('type', [outputTextPart, refusalPart, inputTextPart]);

const messageFields = { type: z.literal('message'), id: itemId, status: itemStatus.nullish() };
const messageItem = z.discriminatedUnion('role', [
  z.looseObject({ ...messageFields, role: z.enum(['user', 'system', 'developer']), content: z.union([z.string(), z.array(inputContentPart)]) }),
  z.looseObject({ ...messageFields, role: z.literal('assistant'), content: z.union([z.string(), z.array(assistantContentPart)]) }),
]);
const functionCallItem = z.looseObject({
  type: z.literal('function_call'),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  id: itemId,
  status: itemStatus.nullish(),
});
const functionCallOutputItem = z.looseObject({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(inputContentPart)]),
  id: itemId,
  status: itemStatus.nullish(),
});
const itemReference = z.looseObject({ type: z.literal('item_reference'), id: z.string().min(1) });
/**
 * A reasoning item replayed by a stateless client (`store: false` with `include: ["reasoning.encrypted_content"]`):
 * only the cloud that produced `encrypted_content` can read it (see runtime/reasoning-origin.ts).
 */
const reasoningItem = z.looseObject({ type: z.literal('reasoning'), id: itemId, encrypted_content: z.string().nullish() });
/** A call of a `custom` tool: its input is free text (the tool's format says which), not JSON arguments. */
const customToolCallItem = z.looseObject({
  type: z.literal('custom_tool_call'),
  call_id: z.string().min(1),
  name: z.string().min(1),
  input: z.string(),
  id: itemId,
  status: itemStatus.nullish(),
});
const customToolCallOutputItem = z.looseObject({
  type: z.literal('custom_tool_call_output'),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(inputContentPart)]),
  id: itemId,
  status: itemStatus.nullish(),
});
const toolSearchExecution = z.enum(['server', 'client']);
/** A `tool_search` call the model made (`execution: "client"`: the client searched its deferred tools). */
const toolSearchCallItem = z.looseObject({
  type: z.literal('tool_search_call'),
  call_id: z.string().min(1).nullish(),
  arguments: z.unknown(),
  execution: toolSearchExecution.nullish(),
  id: itemId,
  status: itemStatus.nullish(),
});
/** The tools a tool search loaded: from then on the model may call them. */
const toolSearchOutputItem = z.looseObject({
  type: z.literal('tool_search_output'),
  call_id: z.string().min(1).nullish(),
  tools: z.array(z.looseObject({ type: z.string() })).max(128),
  execution: toolSearchExecution.nullish(),
  id: itemId,
  status: itemStatus.nullish(),
});
/** A hosted tool's call as a cloud that runs the tool produced it; replayed only to a route that runs that tool. */
const hostedToolCallItems = [
  z.looseObject({ type: z.literal('web_search_call'), id: itemId }),
  z.looseObject({ type: z.literal('file_search_call'), id: itemId }),
  z.looseObject({ type: z.literal('code_interpreter_call'), id: itemId }),
  z.looseObject({ type: z.literal('image_generation_call'), id: itemId }),
] as const;
/**
 * Codex's request for a compaction turn ("remote compaction v2"): the last input item; the answer's output is one
 * `compaction` item condensing everything before it.
 */
const compactionTriggerItem = z.looseObject({ type: z.literal('compaction_trigger') });

/** A compaction item from POST /v1/responses/compact, sent back as context. */
const compactionItem = z.looseObject({ type: z.literal('compaction'), id: itemId, encrypted_content: z.string().min(1) });

/** The Responses `mcp` tool's items sent back as input (a client replaying output, or answering an approval request). */
const mcpItems = [
  z.looseObject({ type: z.literal('mcp_list_tools'), id: itemId, server_label: z.string(), tools: z.array(z.looseObject({ name: z.string() })).max(1024) }),
  z.looseObject({ type: z.literal('mcp_call'), id: itemId, server_label: z.string(), name: z.string(), arguments: z.string() }),
  z.looseObject({ type: z.literal('mcp_approval_request'), id: itemId, server_label: z.string(), name: z.string(), arguments: z.string() }),
  z.looseObject({ type: z.literal('mcp_approval_response'), id: itemId.nullish(), approval_request_id: z.string().min(1).max(256), approve: z.boolean() }),
] as const;

/** OpenAI lets `type` be left out of a message (EasyInputMessage: it has a `role`) and of an item reference ({id}). */
function defaultItemType(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const item = value as Record<string, unknown>;
  if (item.type !== undefined && item.type !== null) return value;
  if ('role' in item) return { ...item, type: 'message' };
  if ('id' in item) return { ...item, type: 'item_reference' };
  return value;
}

/**
 * One input item: a message (role user/assistant/system/developer, content a string or parts), a function_call, a
 * function_call_output, a custom_tool_call and its output, a tool_search_call and its output, an item_reference, a
 * reasoning item, a compaction item, Codex's compaction_trigger, or a hosted tool's call (web_search_call...). Other
 * item types are refused with a 400 naming `input[i].type`.
 */
export const responseInputItemSchema = z.preprocess(
  defaultItemType,
  z.discriminatedUnion('type', [
    messageItem,
    functionCallItem,
    functionCallOutputItem,
    itemReference,
    reasoningItem,
    compactionItem,
    customToolCallItem,
    customToolCallOutputItem,
    toolSearchCallItem,
    toolSearchOutputItem,
    compactionTriggerItem,
    ...hostedToolCallItems,
    ...mcpItems,
  ]),
);

const toolNameSchema = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, underscores or dashes');
const functionToolSchema = z.looseObject({
  type: z.literal('function'),
  name: toolNameSchema,
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
/** A custom (freeform) tool: the model writes its input as text, constrained by a grammar (Lark or a regex) or free. */
const customToolSchema = z.looseObject({
  type: z.literal('custom'),
  name: toolNameSchema,
  description: z.string().nullish(),
  format: z
    .discriminatedUnion('type', [
      z.looseObject({ type: z.literal('text') }),
      z.looseObject({ type: z.literal('grammar'), syntax: z.enum(['lark', 'regex']), definition: z.string() }),
    ])
    .nullish(),
});
/** Tool search over deferred tools; with `execution: "client"` the client searches, as a function call. */
const toolSearchToolSchema = z.looseObject({
  type: z.literal('tool_search'),
  execution: toolSearchExecution.nullish(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
});
const CHECKED_TOOLS: Record<string, z.ZodType> = { function: functionToolSchema, custom: customToolSchema, tool_search: toolSearchToolSchema };
/**
 * A tool: function, custom and tool_search tools are checked; any other type (web_search, file_search, mcp...) passes
 * here and is handled by routing (hosted tools run on routes whose cloud runs them) or refused by the runtime naming
 * `tools[i].type`.
 */
const responseToolSchema = z
  .union([functionToolSchema, customToolSchema, toolSearchToolSchema, z.looseObject({ type: z.string() })])
  .superRefine((tool, context) => {
    const schema = CHECKED_TOOLS[tool.type];
    if (schema === undefined) return;
    const result = schema.safeParse(tool);
    if (result.success) return;
    for (const issue of result.error.issues) context.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  });

const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.literal('function'), name: z.string().min(1) }),
  z.looseObject({ type: z.literal('custom'), name: z.string().min(1) }),
  z.looseObject({ type: z.literal('allowed_tools'), mode: z.enum(['auto', 'required']), tools: z.array(z.looseObject({ type: z.string() })) }),
  // Hosted tool choices ({type: 'web_search'}, {type: 'mcp', ...}): a route must run the tool, or the runtime refuses.
  z.looseObject({ type: z.string().refine((type) => type !== 'function' && type !== 'custom' && type !== 'allowed_tools') }),
]);

const textFormatSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    name: toolNameSchema,
    schema: z.record(z.string(), z.unknown()),
    description: z.string().optional(),
    strict: z.boolean().nullish(),
  }),
]);
const textSchema = z.looseObject({ format: textFormatSchema.optional(), verbosity: z.enum(['low', 'medium', 'high']).nullish() });
const reasoningSchema = z.looseObject({
  effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']).nullish(),
  summary: z.enum(['auto', 'concise', 'detailed']).nullish(),
});
const conversationParamSchema = z.union([z.string().min(1), z.looseObject({ id: z.string().min(1) })]);
const inputItemsSchema = z.array(responseInputItemSchema);
/**
 * A string or items. Items are checked after the union so that a refusal names the bad field (`input[2].call_id`)
 * instead of the whole union (`input`).
 */
const inputSchema = z.union([z.string(), z.array(z.unknown())]).transform((input, context): string | z.infer<typeof inputItemsSchema> => {
  if (typeof input === 'string') return input;
  const result = inputItemsSchema.safeParse(input);
  if (result.success) return result.data;
  for (const issue of result.error.issues) context.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return z.NEVER;
});

/**
 * Codex's `client_metadata` (ids of its session, thread, turn and window): the client's bookkeeping, accepted and never
 * sent upstream. Bounded like metadata, with room for Codex's turn metadata (a JSON text of about 1 kB).
 */
const clientMetadataSchema = z.record(z.string().max(128), z.string().max(16_384)).refine((value) => Object.keys(value).length <= 64, {
  message: 'must have at most 64 key-value pairs',
});

/** Crossway's own fields, exactly as on chat completions; never sent upstream. */
const crosswayFields = {
  /** Crossway: models to try in order when no route of `model` can serve (OpenRouter's `models`). */
  models: z.array(modelNameSchema).max(8).optional(),
  /** Crossway: routing preferences for this request (validated by the policy part). */
  crossway: z.unknown().optional(),
};

/**
 * Validator for `POST /v1/responses` bodies. Defaults are OpenAI's and are applied by the runtime, not here:
 * `store` true, `truncation` 'disabled', `parallel_tool_calls` true, `background` and `stream` false.
 */
export const responseCreateRequestSchema = z.looseObject({
  model: modelNameSchema,
  input: inputSchema.optional(),
  instructions: z.string().nullish(),
  tools: z.array(responseToolSchema).nullish(),
  tool_choice: toolChoiceSchema.nullish(),
  text: textSchema.nullish(),
  max_output_tokens: z.number().int().min(16).nullish(),
  max_tool_calls: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  store: z.boolean().nullish(),
  previous_response_id: z.string().min(1).nullish(),
  conversation: conversationParamSchema.nullish(),
  metadata: metadataSchema.nullish(),
  truncation: z.enum(['auto', 'disabled']).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_obfuscation: z.boolean().optional() }).nullish(),
  background: z.boolean().nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  user: z.string().optional(),
  safety_identifier: z.string().max(64).nullish(),
  prompt_cache_key: z.string().nullish(),
  service_tier: z.string().nullish(),
  include: z.array(z.string()).nullish(),
  reasoning: reasoningSchema.nullish(),
  client_metadata: clientMetadataSchema.nullish(),
  ...crosswayFields,
});

/** Validator for `POST /v1/responses/input_tokens` bodies (TokenCountsBody: every field optional). */
export const inputTokensRequestSchema = z.looseObject({
  model: modelNameSchema.nullish(),
  input: inputSchema.nullish(),
  previous_response_id: z.string().min(1).nullish(),
  conversation: conversationParamSchema.nullish(),
  instructions: z.string().nullish(),
  tools: z.array(responseToolSchema).nullish(),
  tool_choice: toolChoiceSchema.nullish(),
  text: textSchema.nullish(),
  reasoning: reasoningSchema.nullish(),
  truncation: z.enum(['auto', 'disabled']).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  ...crosswayFields,
});

/** Validator for `POST /v1/responses/compact` bodies (CompactResponseMethodPublicBody: `model` required). */
export const compactRequestSchema = z.looseObject({
  model: modelNameSchema,
  input: inputSchema.nullish(),
  previous_response_id: z.string().min(1).nullish(),
  instructions: z.string().nullish(),
  prompt_cache_key: z.string().max(64).nullish(),
  service_tier: z.string().nullish(),
  ...crosswayFields,
});

/** Validator for `POST /v1/conversations` bodies: up to 20 initial items and metadata. */
export const conversationCreateRequestSchema = z.looseObject({
  items: z.array(responseInputItemSchema).max(20).nullish(),
  metadata: metadataSchema.nullish(),
});

/** Validator for `POST /v1/conversations/{id}` bodies: the new metadata, which replaces the old. */
export const conversationUpdateRequestSchema = z.looseObject({
  // `null` clears the metadata (the SDK's ConversationUpdateParams allows it): it becomes `{}`.
  metadata: metadataSchema.nullable().transform((metadata) => metadata ?? {}),
});

/** Validator for `POST /v1/conversations/{id}/items` bodies: 1 to 20 items. */
export const conversationItemsCreateRequestSchema = z.looseObject({ items: z.array(responseInputItemSchema).min(1).max(20) });

export type ResponseCreateRequest = z.infer<typeof responseCreateRequestSchema>;
export type ResponseInputItem = z.infer<typeof responseInputItemSchema>;
export type ResponseTool = NonNullable<ResponseCreateRequest['tools']>[number];
export type ResponseToolChoice = NonNullable<ResponseCreateRequest['tool_choice']>;
export type ResponseTextConfig = NonNullable<ResponseCreateRequest['text']>;
export type InputTokensRequest = z.infer<typeof inputTokensRequestSchema>;
export type CompactRequest = z.infer<typeof compactRequestSchema>;
export type ConversationCreateRequest = z.infer<typeof conversationCreateRequestSchema>;
export type ConversationUpdateRequest = z.infer<typeof conversationUpdateRequestSchema>;
export type ConversationItemsCreateRequest = z.infer<typeof conversationItemsCreateRequestSchema>;
