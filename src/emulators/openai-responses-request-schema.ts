// The emulators' own validator for `POST /v1/responses` bodies (OpenAI and Azure OpenAI's v1 API), written from the
// OpenAI API reference "Create a model response" (openai/openai-openapi CreateResponse, InputItem, EasyInputMessage,
// FunctionTool, ToolChoiceOptions, TextResponseFormatConfiguration) independently of src/wire, so that a validator
// bug in the gateway cannot hide behind the same bug here. Problems are worded by checkOpenAIRequest, as for chat.
import { z } from 'zod';

const inputText = z.looseObject({ type: z.literal('input_text'), text: z.string() });
const inputImage = z.looseObject({
  type: z.literal('input_image'),
  image_url: z.string().nullish(),
  file_id: z.string().nullish(),
  detail: z.enum(['auto', 'low', 'high', 'original']).optional(),
});
const inputFile = z.looseObject({ type: z.literal('input_file') });
const outputText = z.looseObject({ type: z.literal('output_text'), text: z.string() });
const refusal = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });
const inputContent = z.discriminatedUnion('type', [inputText, inputImage, inputFile]);
const itemStatus = z.enum(['in_progress', 'completed', 'incomplete']).optional();

const messageItem = z.discriminatedUnion('role', [
  z.looseObject({ type: z.literal('message'), role: z.enum(['user', 'system', 'developer']), content: z.union([z.string(), z.array(inputContent)]) }),
  z.looseObject({
    type: z.literal('message'),
    role: z.literal('assistant'),
    content: z.union([z.string(), z.array(z.discriminatedUnion('type', [outputText, refusal, inputText]))]),
    status: itemStatus,
  }),
]);

const item = z.discriminatedUnion('type', [
  messageItem,
  z.looseObject({ type: z.literal('function_call'), call_id: z.string(), name: z.string(), arguments: z.string(), status: itemStatus }),
  z.looseObject({ type: z.literal('function_call_output'), call_id: z.string(), output: z.union([z.string(), z.array(inputContent)]) }),
  z.looseObject({ type: z.literal('item_reference'), id: z.string() }),
  z.looseObject({ type: z.literal('reasoning'), summary: z.array(z.unknown()).optional(), encrypted_content: z.string().nullish() }),
  z.looseObject({ type: z.literal('compaction'), encrypted_content: z.string() }),
  z.looseObject({ type: z.literal('custom_tool_call'), call_id: z.string(), name: z.string(), input: z.string() }),
  z.looseObject({ type: z.literal('custom_tool_call_output'), call_id: z.string(), output: z.union([z.string(), z.array(inputContent)]) }),
  z.looseObject({ type: z.literal('tool_search_call'), call_id: z.string().nullish(), arguments: z.unknown() }),
  z.looseObject({ type: z.literal('tool_search_output'), call_id: z.string().nullish(), tools: z.array(z.looseObject({ type: z.string() })) }),
  z.looseObject({ type: z.literal('web_search_call') }),
  z.looseObject({ type: z.literal('file_search_call') }),
  z.looseObject({ type: z.literal('code_interpreter_call') }),
  z.looseObject({ type: z.literal('image_generation_call') }),
]);

/** EasyInputMessage may leave `type` out: an object with a `role` is a message. */
const inputItem = z.preprocess(
  (value) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) && !('type' in value) && 'role' in value ? { ...value, type: 'message' } : value,
  item,
);

const functionTool = z.looseObject({
  type: z.literal('function'),
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

/** A custom (freeform) tool: the model writes its input as text, under a grammar or free. */
const customTool = z.looseObject({
  type: z.literal('custom'),
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
  description: z.string().nullish(),
  format: z
    .discriminatedUnion('type', [
      z.looseObject({ type: z.literal('text') }),
      z.looseObject({ type: z.literal('grammar'), syntax: z.enum(['lark', 'regex']), definition: z.string() }),
    ])
    .nullish(),
});
const toolSearchTool = z.looseObject({
  type: z.literal('tool_search'),
  execution: z.enum(['server', 'client']).nullish(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
});
/** Hosted tools: accepted (the cloud runs them); the emulator's model never needs to call one. */
const hostedTool = z.looseObject({
  type: z.enum(['web_search', 'web_search_2025_08_26', 'web_search_preview', 'file_search', 'code_interpreter', 'image_generation']),
});

const textFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
    schema: z.record(z.string(), z.unknown()),
    strict: z.boolean().nullish(),
  }),
]);

/** `POST /v1/responses` body, as far as the emulators check it. */
export const openAIResponsesRequestSchema = z.looseObject({
  model: z.string(),
  // A string input is one user message; reading it so here lets problems name the item (`input[2].type`).
  input: z.preprocess((value) => (typeof value === 'string' ? [{ type: 'message', role: 'user', content: value }] : value), z.array(inputItem)),
  instructions: z.string().nullish(),
  // Function, custom and tool_search tools, and the hosted tools OpenAI runs (which the emulated model never calls).
  tools: z.array(z.discriminatedUnion('type', [functionTool, customTool, toolSearchTool, hostedTool])).optional(),
  tool_choice: z
    .union([
      z.enum(['none', 'auto', 'required']),
      z.looseObject({ type: z.literal('function'), name: z.string() }),
      z.looseObject({ type: z.literal('custom'), name: z.string() }),
      // A hosted tool forced (ToolChoiceTypes): the cloud runs it.
      z.looseObject({
        type: z.enum(['web_search', 'web_search_preview', 'web_search_preview_2025_03_11', 'file_search', 'code_interpreter', 'image_generation']),
      }),
      z.looseObject({ type: z.literal('allowed_tools'), mode: z.enum(['auto', 'required']), tools: z.array(z.looseObject({ name: z.string().optional() })) }),
    ])
    .optional(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z.looseObject({ format: textFormat.optional() }).nullish(),
  // OpenAI's minimum for max_output_tokens is 16.
  max_output_tokens: z.number().int().min(16).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stream: z.boolean().nullish(),
  store: z.boolean().nullish(),
  background: z.boolean().nullish(),
  previous_response_id: z.string().nullish(),
  conversation: z.union([z.string(), z.looseObject({ id: z.string() })]).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: z.string().nullish(),
  truncation: z.enum(['auto', 'disabled']).nullish(),
  include: z.array(z.string()).nullish(),
});

/** A validated Responses request. */
export type OpenAIResponsesRequest = z.infer<typeof openAIResponsesRequestSchema>;
/** One validated input item. */
export type OpenAIResponsesInputItem = OpenAIResponsesRequest['input'][number];
