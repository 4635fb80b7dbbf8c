// Ids that sort by creation time: stored rows are appended at the end of the primary-key B-tree instead of scattered
// through it, which keeps group commits cheap as the tables grow.
import { randomFillSync } from 'node:crypto';

// Random bytes are drawn 4 KiB at a time: one system call per ~400 ids instead of a UUID (and its formatting) per id,
// which mattered at several ids per request (request, decision, usage event).
const POOL_BYTES = 4096;
const RANDOM_BYTES_PER_ID = 10;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

/** `<prefix>_` + 12 hex digits of milliseconds since the epoch + 20 hex digits (80 bits) of randomness (32 in all). */
export function createTimeOrderedId(prefix: string): string {
  if (offset + RANDOM_BYTES_PER_ID > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const random = pool.toString('hex', offset, offset + RANDOM_BYTES_PER_ID);
  offset += RANDOM_BYTES_PER_ID;
  return `${prefix}_${Date.now().toString(16).padStart(12, '0')}${random}`;
}
