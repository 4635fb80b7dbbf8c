// Loose zod schemas of the Bedrock Converse replies, listing only the fields Crossway reads; other fields pass.
// Source: botocore `bedrock-runtime/2023-09-30/service-2.json` (shapes ConverseResponse, Message, ContentBlock,
// ToolUseBlock, ReasoningContentBlock, TokenUsage, StopReason, and the ConverseStreamOutput events MessageStartEvent,
// ContentBlockStartEvent, ContentBlockDeltaEvent, ContentBlockStopEvent, MessageStopEvent, ConverseStreamMetadataEvent)
// and the AWS API reference pages of the same names (docs.aws.amazon.com/bedrock/latest/APIReference/).
import { z } from 'zod';

const tokenCount = z.number().int().nonnegative();

/** `TokenUsage`. `inputTokens` excludes the cache reads and writes, which are reported beside it. */
export const bedrockUsageSchema = z.looseObject({
  inputTokens: tokenCount,
  outputTokens: tokenCount,
  totalTokens: tokenCount.optional(),
  cacheReadInputTokens: tokenCount.nullable().optional(),
  cacheWriteInputTokens: tokenCount.nullable().optional(),
});
export type BedrockUsage = z.infer<typeof bedrockUsageSchema>;

/** One `ContentBlock` of the reply (a union: exactly one member is set). */
export const bedrockContentBlockSchema = z.looseObject({
  text: z.string().optional(),
  toolUse: z.looseObject({ toolUseId: z.string(), name: z.string(), input: z.unknown() }).optional(),
  reasoningContent: z.looseObject({ reasoningText: z.looseObject({ text: z.string() }).optional() }).optional(),
});
export type BedrockContentBlock = z.infer<typeof bedrockContentBlockSchema>;

/** The `Converse` reply. */
export const bedrockConverseResponseSchema = z.looseObject({
  output: z.looseObject({
    message: z.looseObject({ role: z.string(), content: z.array(bedrockContentBlockSchema) }).optional(),
  }),
  stopReason: z.string(),
  usage: bedrockUsageSchema,
});

/** `contentBlockStart`: a tool use begins (text blocks start with their first delta and have no start event). */
export const bedrockContentBlockStartSchema = z.looseObject({
  contentBlockIndex: z.number().int().nonnegative(),
  start: z.looseObject({ toolUse: z.looseObject({ toolUseId: z.string(), name: z.string() }).optional() }),
});

/** `contentBlockDelta`: a text piece, a fragment of a tool's JSON input, or reasoning text. */
export const bedrockContentBlockDeltaSchema = z.looseObject({
  contentBlockIndex: z.number().int().nonnegative(),
  delta: z.looseObject({
    text: z.string().optional(),
    toolUse: z.looseObject({ input: z.string() }).optional(),
    reasoningContent: z.looseObject({ text: z.string().optional() }).optional(),
  }),
});

/** `messageStop`. */
export const bedrockMessageStopSchema = z.looseObject({ stopReason: z.string() });

/** `metadata`: the last event, with the usage of the whole call. */
export const bedrockStreamMetadataSchema = z.looseObject({ usage: bedrockUsageSchema });

/**
 * An error body. Bedrock's REST-JSON errors carry `message` (some services and front ends spell it `Message`) and may
 * name the error in `__type` (`com.amazon.coral.service#UnrecognizedClientException`); stream exception events carry
 * `message`, and ModelStreamErrorException adds `originalStatusCode` and `originalMessage`.
 */
export const bedrockErrorBodySchema = z.looseObject({
  message: z.string().optional(),
  Message: z.string().optional(),
  __type: z.string().optional(),
  originalStatusCode: z.number().int().optional(),
  originalMessage: z.string().optional(),
});
