// Ids that sort by creation time: stored rows are appended at the end of the primary-key B-tree instead of scattered
// through it, which keeps group commits cheap as the tables grow.
import { randomUUID } from 'node:crypto';

/** `<prefix>_` + 12 hex digits of milliseconds since the epoch + 20 hex digits of a random UUID (32 in all). */
export function createTimeOrderedId(prefix: string): string {
  // randomUUID draws from a pooled entropy buffer, cheaper per call than randomBytes.
  const random = randomUUID().replaceAll('-', '').slice(12);
  return `${prefix}_${Date.now().toString(16).padStart(12, '0')}${random}`;
}
