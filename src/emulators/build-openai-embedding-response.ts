// Renders deterministic embeddings in OpenAI's wire format (`object: "list"` of `embedding` objects with usage).
// Source: OpenAI API reference, "Create embeddings" and "The embedding object".
import type { EmbeddingResponse } from '../wire/index.ts';
import { encodeEmbeddingBase64, generateEmbedding, toEmbeddingItems } from './generate-embedding.ts';
import type { EmbeddingInput } from './generate-embedding.ts';

/** The response to an embeddings request for `input`, with vectors of `dimensions` values. */
export function buildOpenAIEmbeddingResponse(
  input: EmbeddingInput,
  options: { model: string; dimensions: number; encodingFormat?: 'float' | 'base64' },
): EmbeddingResponse {
  const items = toEmbeddingItems(input);
  const tokens = items.reduce((sum, item) => sum + item.tokens, 0);
  return {
    object: 'list',
    data: items.map((item, index) => {
      const vector = generateEmbedding(item.key, options.dimensions);
      return {
        object: 'embedding',
        index,
        embedding: options.encodingFormat === 'base64' ? encodeEmbeddingBase64(vector) : Array.from(vector),
      };
    }),
    model: options.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
