// OpenAI Embeddings wire types and the request validator used at the HTTP edge.
// Source: OpenAI API reference, "Create embeddings" (openai/openai-openapi, CreateEmbeddingRequest).
import { z } from 'zod';
import { modelNameSchema } from './excerpt.ts';

/** Validator for `POST /v1/embeddings` bodies. */
export const embeddingRequestSchema = z.looseObject({
  model: modelNameSchema,
  input: z.union([
    z.string(),
    z.array(z.string()).min(1).max(2048),
    z.array(z.number().int()).min(1),
    z.array(z.array(z.number().int()).min(1)).min(1).max(2048),
  ]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().min(1).optional(),
  user: z.string().optional(),
  /** Crossway: fallback models and routing preferences, as on chat completions. Never sent upstream. */
  models: z.array(modelNameSchema).max(8).optional(),
  crossway: z.unknown().optional(),
});

export type EmbeddingRequest = z.infer<typeof embeddingRequestSchema>;

export interface Embedding {
  object: 'embedding';
  index: number;
  /** Floats, or a base64 string of little-endian float32 values when `encoding_format` is `base64`. */
  embedding: number[] | string;
}

/** Response of `POST /v1/embeddings`. */
export interface EmbeddingResponse {
  object: 'list';
  data: Embedding[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}
