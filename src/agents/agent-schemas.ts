// Validators of the Agents API's request bodies (agents, sessions, session events), with bounds on every size and
// count: parsed once at the edge, trusted inside. Shapes from the official client's types (openai/resources/beta/agents).
import { z } from 'zod';
import { metadataSchema, modelNameSchema } from '../wire/index.ts';

/** Tools an agent may hold, and the bytes of its compact JSON tool list (the types' own bound: 3 MiB). */
export const MAX_AGENT_TOOLS = 128;
export const MAX_AGENT_TOOLS_BYTES = 3_145_728;
/** Characters of instructions and of one input text. */
const MAX_INSTRUCTIONS_CHARS = 256_000;
const MAX_INPUT_TEXT_CHARS = 1_000_000;
/** Messages in one input, content parts in one message, events in one POST. */
const MAX_INPUT_MESSAGES = 64;
const MAX_CONTENT_PARTS = 64;
const MAX_EVENTS_PER_POST = 64;

const effortSchema = z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']);
const serviceTierSchema = z.enum(['auto', 'default', 'flex', 'priority', 'fast', 'ultrafast']);
const functionNameSchema = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'a function name is 1 to 64 letters, digits, _ or -');

/** A function tool; the other tool types are kept as sent (the loop refuses those it does not serve). */
const functionToolSchema = z.strictObject({
  type: z.literal('function'),
  name: functionNameSchema,
  description: z.string().max(16_384).default(''),
  parameters: z.record(z.string(), z.unknown()),
  async: z.boolean().optional(),
  defer_loading: z.boolean().optional(),
  strict: z.boolean().optional(),
});
const otherToolSchema = z.looseObject({
  type: z.enum(['tool_search', 'programmatic_tool_calling', 'mcp', 'web_search', 'computer_use', 'automations']),
});
const toolSchema = z.union([functionToolSchema, otherToolSchema]);

export const agentToolsSchema = z
  .array(toolSchema)
  .max(MAX_AGENT_TOOLS)
  .superRefine((tools, context) => {
    if (Buffer.byteLength(JSON.stringify(tools)) > MAX_AGENT_TOOLS_BYTES)
      context.addIssue({ code: 'custom', message: `the tool list must fit within ${MAX_AGENT_TOOLS_BYTES} bytes of compact JSON` });
    const names = tools.flatMap((tool) => (tool.type === 'function' && 'name' in tool ? [tool.name] : []));
    if (new Set(names).size !== names.length) context.addIssue({ code: 'custom', message: 'function tool names must be unique' });
  });

/** The agent settings a saved agent or a session's inline agent may carry. */
const agentSettingsShape = {
  compaction: z.strictObject({ async: z.boolean().nullish() }).nullish(),
  experimental: z.strictObject({ time_awareness: z.boolean().optional() }).optional(),
  instructions: z.string().max(MAX_INSTRUCTIONS_CHARS).nullish(),
  multi_agent: z.strictObject({ enabled: z.boolean(), max_concurrent_subagents: z.number().int().min(1).max(64).optional() }).nullish(),
  reasoning: z.strictObject({ effort: effortSchema.nullish(), summary: z.enum(['concise', 'detailed', 'auto']).nullish() }).nullish(),
  service_tier: serviceTierSchema.nullish(),
  text: z
    .strictObject({
      format: z.looseObject({ type: z.enum(['text', 'json_schema']) }).nullish(),
      verbosity: z.enum(['low', 'medium', 'high']).nullish(),
    })
    .nullish(),
  tools: agentToolsSchema.nullish(),
};

export const agentCreateRequestSchema = z.strictObject({
  ...agentSettingsShape,
  model: modelNameSchema,
  name: z.string().max(256).nullish(),
  metadata: metadataSchema.nullish(),
});
export type AgentCreateRequest = z.infer<typeof agentCreateRequestSchema>;

export const agentUpdateRequestSchema = agentCreateRequestSchema.partial();
export type AgentUpdateRequest = z.infer<typeof agentUpdateRequestSchema>;

const inputContentSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('input_text'), text: z.string().max(MAX_INPUT_TEXT_CHARS) }),
  z.strictObject({ type: z.literal('input_image'), image_url: z.string().max(MAX_INPUT_TEXT_CHARS) }),
]);
const inputMessageSchema = z.strictObject({
  type: z.literal('message').optional(),
  role: z.literal('user'),
  content: z.array(inputContentSchema).min(1).max(MAX_CONTENT_PARTS),
});
export type AgentInputMessage = z.infer<typeof inputMessageSchema>;
const inputMessagesSchema = z.array(inputMessageSchema).min(1).max(MAX_INPUT_MESSAGES);

export const sessionCreateRequestSchema = z.strictObject({
  environment: z.looseObject({ type: z.string().max(64) }),
  agent: z.strictObject({ ...agentSettingsShape, model: modelNameSchema.optional() }).optional(),
  agent_id: z.string().min(1).max(128).optional(),
  input: z.union([z.string().min(1).max(MAX_INPUT_TEXT_CHARS), inputMessagesSchema]).nullish(),
  metadata: metadataSchema.nullish(),
  prompt_cache_options: z.strictObject({ ttl: z.enum(['30m', '12h']).optional() }).nullish(),
  review: z.enum(['none', 'auto_review']).optional(),
  spend_control: z.strictObject({ limit: z.number().int().positive().nullable() }).nullish(),
  stream: z.boolean().optional(),
  stream_options: z.strictObject({ include_obfuscation: z.boolean().optional() }).optional(),
  vault_ids: z.array(z.string().max(128)).max(16).nullish(),
});
export type SessionCreateRequest = z.infer<typeof sessionCreateRequestSchema>;

export const sessionUpdateRequestSchema = z.strictObject({
  agent: z
    .strictObject({
      model: modelNameSchema.optional(),
      reasoning: z.strictObject({ effort: effortSchema.nullish() }).optional(),
      service_tier: serviceTierSchema.nullish(),
      tools: agentToolsSchema.nullish(),
    })
    .optional(),
  metadata: metadataSchema.nullish(),
  prompt_cache_options: z.strictObject({ ttl: z.enum(['30m', '12h']).optional() }).nullish(),
  review: z.enum(['none', 'auto_review']).optional(),
  spend_control: z.strictObject({ limit: z.number().int().positive().nullable() }).nullish(),
});
export type SessionUpdateRequest = z.infer<typeof sessionUpdateRequestSchema>;

const toolResultOutputSchema = z.union([z.string().max(MAX_INPUT_TEXT_CHARS), z.array(inputContentSchema).max(MAX_CONTENT_PARTS)]);

export const sessionInputEventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('agent.session.input.message'), input: inputMessagesSchema }),
  z.strictObject({ type: z.literal('agent.session.input.cancel') }),
  z.strictObject({
    type: z.literal('agent.session.input.tool_result'),
    turn_id: z.string().min(1).max(128),
    call_id: z.string().min(1).max(128),
    success: z.boolean(),
    output: toolResultOutputSchema.nullish(),
    error: z.string().max(MAX_INPUT_TEXT_CHARS).nullish(),
  }),
  z.strictObject({
    type: z.literal('agent.session.input.mcp_approval_request_result'),
    request_id: z.string().min(1).max(128),
    response: z.strictObject({ type: z.literal('mcp_tool_call'), decision: z.enum(['approve', 'deny', 'cancel']) }),
  }),
  z.looseObject({ type: z.literal('agent.session.input.computer_use_approval_request_result') }),
]);
export type SessionInputEvent = z.infer<typeof sessionInputEventSchema>;

export const sessionEventsRequestSchema = z.strictObject({
  events: z.array(sessionInputEventSchema).min(1).max(MAX_EVENTS_PER_POST),
  // The client's helper repeats its Idempotency-Key header in the body.
  'Idempotency-Key': z.string().max(256).optional(),
});
