// Embeddings: deterministic unit vectors, base64 round trip, input forms and token counts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countTokens } from './count-tokens.ts';
import { encodeEmbeddingBase64, generateEmbedding, nativeEmbeddingDimensions, toEmbeddingItems } from './generate-embedding.ts';

function norm(values: ArrayLike<number>): number {
  let squares = 0;
  for (let index = 0; index < values.length; index++) squares += values[index]! * values[index]!;
  return Math.sqrt(squares);
}

describe('generateEmbedding', () => {
  it('gives deterministic unit vectors of the requested length', () => {
    const vector = generateEmbedding('text:hello', 1536);
    assert.equal(vector.length, 1536);
    assert.ok(Math.abs(norm(vector) - 1) < 1e-5);
    assert.deepEqual(generateEmbedding('text:hello', 1536), vector);
    assert.notDeepEqual(generateEmbedding('text:world', 1536), vector);
    assert.equal(generateEmbedding('text:hello', 5).length, 5);
  });

  it('encodes base64 as little-endian float32', () => {
    const vector = generateEmbedding('text:hello', 8);
    const bytes = Buffer.from(encodeEmbeddingBase64(vector), 'base64');
    assert.equal(bytes.length, 32);
    assert.deepEqual(
      Array.from({ length: 8 }, (_, index) => bytes.readFloatLE(index * 4)),
      Array.from(vector),
    );
  });

  it('knows the native dimensions of the text-embedding-3 models', () => {
    assert.equal(nativeEmbeddingDimensions('text-embedding-3-small'), 1536);
    assert.equal(nativeEmbeddingDimensions('text-embedding-3-large'), 3072);
  });

  it('splits every input form into items with token counts', () => {
    assert.deepEqual(toEmbeddingItems('hello world'), [{ key: 'text:hello world', tokens: countTokens('hello world') }]);
    assert.equal(toEmbeddingItems(['a', 'b c']).length, 2);
    assert.deepEqual(toEmbeddingItems([1, 2, 3]), [{ key: 'tokens:1,2,3', tokens: 3 }]);
    assert.deepEqual(
      toEmbeddingItems([[1, 2], [3]]).map((item) => item.tokens),
      [2, 1],
    );
  });
});
