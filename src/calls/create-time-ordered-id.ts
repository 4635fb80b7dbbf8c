// Ids that sort by creation time: stored rows are appended at the end of the primary-key B-tree instead of scattered
// through it, which keeps group commits cheap as the tables grow.
import { randomFillSync } from 'node:crypto';

// Random bytes are drawn 4 KiB at a time: one system call per ~400 ids instead of a UUID (and its formatting) per id,
// which mattered at several ids per request (request, decision, usage event).
const POOL_BYTES = 4096;
const RANDOM_BYTES_PER_ID = 10;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

// The last id's time and random part. Within one millisecond (or while the clock stands behind it, e.g. stepped back
// by NTP) the next id keeps that time and adds one to the random part, as ULID's monotonic mode does, so that ids made
// by this process always sort in the order they were made.
let lastMs = -1;
const lastRandom = Buffer.alloc(RANDOM_BYTES_PER_ID);

/**
 * `<prefix>_` + 12 hex digits of milliseconds since the epoch + 20 hex digits (80 bits) of randomness (32 in all).
 * Strictly increasing within the process: a second id in the same millisecond is the first plus one.
 */
export function createTimeOrderedId(prefix: string): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    drawRandom(lastRandom);
  } else if (!increment(lastRandom)) {
    // 2^80 ids in one millisecond cannot happen; should the random part ever wrap, the time moves on instead.
    lastMs += 1;
    drawRandom(lastRandom);
  }
  return `${prefix}_${lastMs.toString(16).padStart(12, '0')}${lastRandom.toString('hex')}`;
}

function drawRandom(target: Buffer): void {
  if (offset + RANDOM_BYTES_PER_ID > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  pool.copy(target, 0, offset, offset + RANDOM_BYTES_PER_ID);
  offset += RANDOM_BYTES_PER_ID;
}

/** Adds one to a big-endian number in place; false when it wrapped to zero. */
function increment(bytes: Buffer): boolean {
  for (let index = bytes.length - 1; index >= 0; index--) {
    if (bytes[index] !== 0xff) {
      bytes[index] = (bytes[index] ?? 0) + 1;
      return true;
    }
    bytes[index] = 0;
  }
  return false;
}
