// Loose zod schemas of the OpenAI-wire replies, listing only the fields Crossway reads; everything else passes.
// Sources: OpenAI API reference (openai/openai-openapi): CreateChatCompletionResponse, CreateChatCompletionStreamResponse,
// CompletionUsage, CreateEmbeddingResponse, ErrorResponse; https://platform.openai.com/docs/guides/error-codes.
import { z } from 'zod';

const tokenCount = z.number().int().nonnegative();

/**
 * `usage` as OpenAI sends it. `total_tokens` is optional because some OpenAI-compatible servers omit it; the reader
 * fills it in. Detail objects are kept as they are.
 */
export const openaiUsageSchema = z.looseObject({
  prompt_tokens: tokenCount,
  completion_tokens: tokenCount.default(0),
  total_tokens: tokenCount.optional(),
});

/** A non-streaming `chat.completion` reply. */
export const openaiChatCompletionSchema = z.looseObject({
  choices: z.array(z.looseObject({ index: z.number().int().nonnegative().optional() })),
  usage: openaiUsageSchema.nullable().optional(),
});

/** A `chat.completion.chunk`, for the fields the stream reader looks at. */
export const openaiChatChunkSchema = z.looseObject({
  choices: z.array(z.unknown()).optional(),
  usage: openaiUsageSchema.nullable().optional(),
});

/** An embeddings reply. */
export const openaiEmbeddingResponseSchema = z.looseObject({
  data: z.array(z.looseObject({ index: z.number().int().nonnegative().optional() })),
  usage: z.looseObject({ prompt_tokens: tokenCount, total_tokens: tokenCount.optional() }).optional(),
});

const errorCode = z.union([z.string(), z.number()]).nullable().optional();

/**
 * The `error` object: OpenAI's `{message, type, param, code}`. OpenAI-compatible servers vary: vLLM and llama.cpp
 * send a numeric `code`, Azure adds `status` and `innererror`; all fields are optional and other fields are kept.
 */
export const openaiErrorObjectSchema = z.looseObject({
  message: z.string().nullable().optional(),
  type: z.string().nullable().optional(),
  param: z.string().nullable().optional(),
  code: errorCode,
  // Google (Vertex) sends its status name here, e.g. "RESOURCE_EXHAUSTED".
  status: z.union([z.number().int(), z.string()]).optional(),
});
export type OpenAIErrorObject = z.infer<typeof openaiErrorObjectSchema>;

/** An error body `{"error": {...}}`, or `{"error": "text"}` as some OpenAI-compatible servers send. */
export const openaiErrorEnvelopeSchema = z.looseObject({ error: z.union([openaiErrorObjectSchema, z.string()]) });

/**
 * An error body with the error fields at the top level: older vLLM (`{"object":"error","message":...,"code":400}`),
 * Azure API Management (`{"statusCode":401,"message":...}`), FastAPI servers (`{"detail":"Not Found"}`).
 */
export const openaiTopLevelErrorSchema = openaiErrorObjectSchema.extend({
  statusCode: z.number().int().optional(),
  detail: z.unknown().optional(),
});

/**
 * `usage` of a Responses API answer (ResponseUsage). Details are optional because OpenAI-compatible servers (Bedrock's
 * endpoints, vLLM) may leave them out; `total_tokens` is filled in by the reader when missing.
 */
export const openaiResponseUsageSchema = z.looseObject({
  input_tokens: tokenCount,
  output_tokens: tokenCount.default(0),
  total_tokens: tokenCount.optional(),
  input_tokens_details: z.looseObject({ cached_tokens: tokenCount.optional(), cache_write_tokens: tokenCount.optional() }).nullish(),
  output_tokens_details: z.looseObject({ reasoning_tokens: tokenCount.optional() }).nullish(),
});

/** A Response object (`object: "response"`), for the fields Crossway reads. */
export const openaiResponseSchema = z.looseObject({
  id: z.string(),
  object: z.literal('response'),
  status: z.string().nullish(),
  output: z.array(z.unknown()),
  usage: openaiResponseUsageSchema.nullish(),
  error: z.looseObject({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});

/** A Responses stream event: every event has a `type`; lifecycle events carry the `response`. */
export const openaiResponseStreamEventSchema = z.looseObject({
  type: z.string(),
  response: z.unknown().optional(),
});
