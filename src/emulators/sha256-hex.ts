// The one source of determinism for generated replies, ids and vectors: SHA-256 of a string, as hex.
import { createHash } from 'node:crypto';

/** Hex SHA-256 of `parts` joined with a separator that cannot occur in JSON-free text. */
export function sha256Hex(...parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** A deterministic integer in [0, modulo) derived from `parts`. */
export function hashToIndex(modulo: number, ...parts: readonly string[]): number {
  return Number.parseInt(sha256Hex(...parts).slice(0, 12), 16) % modulo;
}
