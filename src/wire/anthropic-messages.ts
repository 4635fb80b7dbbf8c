// Anthropic Messages API wire: the request validators of POST /v1/messages and /v1/messages/count_tokens, and the
// objects and stream events Crossway answers with.
// Sources: Anthropic API reference "Messages", "Count Message tokens", "Streaming Messages", "Errors", "Models"
// (platform.claude.com/docs/en/api) and the official `@anthropic-ai/sdk` package's resources/messages/messages.d.ts and
// resources/shared.d.ts. Schemas are loose and list only the fields Crossway reads; every list and string a client
// controls is bounded (the body limit bounds the rest).
import { z } from 'zod';
import { modelNameSchema } from './excerpt.ts';

/** Most blocks one message's (or the system prompt's, or a tool result's) content may hold. */
export const MAX_MESSAGES_CONTENT_BLOCKS = 2_048;
/** Most messages one request may hold. */
export const MAX_MESSAGES = 10_000;
/** Most tools one request may define. */
export const MAX_MESSAGES_TOOLS = 512;

/** `cache_control` on a block: Anthropic's ephemeral prompt-cache breakpoint. */
const cacheControl = z.looseObject({ type: z.string().max(64), ttl: z.string().max(16).optional() }).nullish();

const textBlock = z.looseObject({ type: z.literal('text'), text: z.string(), cache_control: cacheControl });
const imageSource = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('base64'), media_type: z.string().min(1).max(64), data: z.string().min(1) }),
  z.looseObject({ type: z.literal('url'), url: z.string().min(1).max(8_192) }),
]);
const imageBlock = z.looseObject({ type: z.literal('image'), source: imageSource, cache_control: cacheControl });
/** A document block: only plain-text sources can be carried to a chat route (PDFs and files are refused). */
const documentBlock = z.looseObject({
  type: z.literal('document'),
  source: z.looseObject({ type: z.string().max(64), data: z.string().optional(), media_type: z.string().max(64).optional() }),
  title: z.string().max(1_024).nullish(),
  cache_control: cacheControl,
});
const toolNameSchema = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, underscores or dashes');
const toolUseBlock = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string().min(1).max(256),
  name: toolNameSchema,
  input: z.unknown(),
  cache_control: cacheControl,
});
/** A block of a type not listed before it (so that a malformed known block is named as such, not taken for another). */
function otherBlockThan(known: readonly string[]) {
  return z.looseObject({
    type: z
      .string()
      .max(64)
      .refine((type) => !known.includes(type), { message: 'is a known block type whose fields are missing or invalid' }),
  });
}
/** A block inside a tool result: text, an image, or anything else (a `tool_reference`, a search result), read loosely. */
const toolResultContentBlock = z.union([textBlock, imageBlock, otherBlockThan(['text', 'image'])]);
const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1).max(256),
  content: z.union([z.string(), z.array(toolResultContentBlock).max(MAX_MESSAGES_CONTENT_BLOCKS)]).optional(),
  is_error: z.boolean().nullish(),
  cache_control: cacheControl,
});
/** Thinking handed back with the conversation: kept by Anthropic, dropped by Crossway (a chat route cannot take it back). */
const thinkingBlock = z.looseObject({ type: z.enum(['thinking', 'redacted_thinking']) });
/** Any other block type: refused by the translation with its path, unless it is one it may ignore. */
const otherBlock = otherBlockThan(['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking']);

const contentBlock = z.union([textBlock, imageBlock, documentBlock, toolUseBlock, toolResultBlock, thinkingBlock, otherBlock]);
const content = z.union([z.string(), z.array(contentBlock).max(MAX_MESSAGES_CONTENT_BLOCKS)]);

const message = z.looseObject({
  // `system` turns inside the conversation are Claude Code's mid-conversation system messages (SystemMessageParam).
  role: z.enum(['user', 'assistant', 'system']),
  content,
});

const tool = z.looseObject({
  /** A client tool has no type or `custom`; typed tools (`bash_20250124`, `web_search_20250305`, ...) are Anthropic's own. */
  type: z.string().max(64).nullish(),
  name: toolNameSchema,
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
});

const toolChoice = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('tool'), name: toolNameSchema, disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('none') }),
]);

const thinking = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('enabled'), budget_tokens: z.number().int().min(0) }),
  z.looseObject({ type: z.literal('adaptive') }),
  z.looseObject({ type: z.literal('disabled') }),
  z.looseObject({ type: z.literal('between_tools') }),
]);

/** Effort levels of `output_config.effort`. */
export const messagesEffortSchema = z.enum(['low', 'medium', 'high', 'xhigh', 'max']);

const outputConfig = z.looseObject({
  effort: messagesEffortSchema.nullish(),
  format: z.looseObject({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).nullish(),
});

const system = z.union([z.string(), z.array(textBlock).max(MAX_MESSAGES_CONTENT_BLOCKS)]);

/** The fields `POST /v1/messages` and `/v1/messages/count_tokens` share. */
const promptFields = {
  model: modelNameSchema,
  messages: z.array(message).min(1).max(MAX_MESSAGES),
  system: system.optional(),
  tools: z.array(tool).max(MAX_MESSAGES_TOOLS).optional(),
  tool_choice: toolChoice.optional(),
  thinking: thinking.nullish(),
  output_config: outputConfig.nullish(),
};

/** Validator for `POST /v1/messages` bodies. `context_management`, `container`, `service_tier` and the like pass unread. */
export const messagesRequestSchema = z.looseObject({
  ...promptFields,
  max_tokens: z.number().int().min(1),
  stream: z.boolean().nullish(),
  // Anthropic's ranges: 0 to 1 for temperature.
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  // OpenAI's chat `stop` takes at most 4, and so does every route behind it.
  stop_sequences: z.array(z.string().max(1_024)).max(4).nullish(),
  metadata: z.looseObject({ user_id: z.string().max(512).nullish() }).nullish(),
});

/** Validator for `POST /v1/messages/count_tokens` bodies. */
export const messagesCountTokensRequestSchema = z.looseObject(promptFields);

export type MessagesRequest = z.infer<typeof messagesRequestSchema>;
export type MessagesCountTokensRequest = z.infer<typeof messagesCountTokensRequestSchema>;
export type MessagesMessageParam = MessagesRequest['messages'][number];
export type MessagesContentBlockParam = Exclude<MessagesMessageParam['content'], string>[number];
export type MessagesEffort = z.infer<typeof messagesEffortSchema>;

/** Why a message ended. */
export type MessagesStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

/** A content block of an answer. */
export type MessagesContentBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown };

/** Token usage as Anthropic reports it: `input_tokens` excludes the tokens read from or written to the prompt cache. */
export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** The `message` object of a non-streaming answer (and of `message_start`). */
export interface MessagesMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: MessagesContentBlock[];
  stop_reason: MessagesStopReason | null;
  stop_sequence: string | null;
  usage: MessagesUsage;
}

/** A delta of a content block in a stream. */
export type MessagesContentDelta =
  | { type: 'text_delta'; text: string }
  | { type: 'input_json_delta'; partial_json: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string };

/** Anthropic's error `type` values. */
export type MessagesErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

/** One server-sent event of a streamed message; the SSE `event:` name is its `type`. */
export type MessagesStreamEvent =
  | { type: 'message_start'; message: MessagesMessage }
  | { type: 'content_block_start'; index: number; content_block: MessagesContentBlock }
  | { type: 'content_block_delta'; index: number; delta: MessagesContentDelta }
  | { type: 'content_block_stop'; index: number }
  | { type: 'message_delta'; delta: { stop_reason: MessagesStopReason | null; stop_sequence: string | null }; usage: MessagesUsage }
  | { type: 'message_stop' }
  | { type: 'ping' }
  | { type: 'error'; error: { type: MessagesErrorType; message: string } };

/** One model of `GET /v1/models` in Anthropic's shape. */
export interface MessagesModelInfo {
  type: 'model';
  id: string;
  display_name: string;
  /** RFC 3339. */
  created_at: string;
}

/** `GET /v1/models` in Anthropic's shape (one page: the catalog is small). */
export interface MessagesModelList {
  data: MessagesModelInfo[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}
