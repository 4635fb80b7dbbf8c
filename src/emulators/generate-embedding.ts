// Deterministic embeddings shared by every cloud emulator: unit-length vectors derived from a hash of each input,
// their base64 form (little-endian float32, as OpenAI sends for `encoding_format: "base64"`), and token counts.
// Dimensions follow OpenAI's "Vector embeddings" guide: 1536 for text-embedding-3-small, 3072 for -large.
import { createHash } from 'node:crypto';
import { countTokens } from './count-tokens.ts';

/** Every input form OpenAI's embeddings endpoint accepts. */
export type EmbeddingInput = string | readonly string[] | readonly number[] | readonly (readonly number[])[];

/** One input item, keyed for hashing, with its token count. */
export interface EmbeddingItem {
  key: string;
  tokens: number;
}

/** Native vector length of an embedding model. */
export function nativeEmbeddingDimensions(model: string): number {
  if (model.includes('3-large')) return 3072;
  return 1536;
}

/** The vector size to return: the requested `dimensions`, or the model's own; more than the model has is OpenAI's 400. */
export function resolveEmbeddingDimensions(
  model: string,
  requested: number | undefined,
): { dimensions: number } | { problem: { message: string; param: string; code: string } } {
  const native = nativeEmbeddingDimensions(model);
  if (requested === undefined) return { dimensions: native };
  if (requested > native) {
    return {
      problem: {
        message: `Invalid value for 'dimensions' = ${requested}. Must be less than or equal to ${native}.`,
        param: 'dimensions',
        code: 'invalid_value',
      },
    };
  }
  return { dimensions: requested };
}

/** Splits any accepted input into items: one per string or token array; token arrays count their ids. */
export function toEmbeddingItems(input: EmbeddingInput): EmbeddingItem[] {
  if (typeof input === 'string') return [{ key: `text:${input}`, tokens: countTokens(input) }];
  if (input.length === 0) return [];
  if (input.every((item) => typeof item === 'number')) {
    return [{ key: `tokens:${input.join(',')}`, tokens: input.length }];
  }
  return input.map((item) =>
    typeof item === 'string'
      ? { key: `text:${item}`, tokens: countTokens(item) }
      : { key: `tokens:${(item as readonly number[]).join(',')}`, tokens: (item as readonly number[]).length },
  );
}

/** A unit-length vector of `dimensions` float32 values; the same key always gives the same vector. */
export function generateEmbedding(key: string, dimensions: number): Float32Array {
  const raw = new Float64Array(dimensions);
  for (let block = 0; block * 8 < dimensions; block++) {
    const digest = createHash('sha256').update(`${key}\u0000${block}`).digest();
    for (let word = 0; word < 8 && block * 8 + word < dimensions; word++) {
      raw[block * 8 + word] = (digest.readUInt32LE(word * 4) / 0xffffffff) * 2 - 1;
    }
  }
  let squares = 0;
  for (const value of raw) squares += value * value;
  const norm = Math.sqrt(squares) || 1;
  return Float32Array.from(raw, (value) => value / norm);
}

/** Base64 of the vector as little-endian float32, the form OpenAI returns for `encoding_format: "base64"`. */
export function encodeEmbeddingBase64(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (const [index, value] of vector.entries()) bytes.writeFloatLE(value, index * 4);
  return bytes.toString('base64');
}
