// Ids for Responses API objects and items, shaped like OpenAI's: a type prefix and 48 hex digits.
import { randomBytes } from 'node:crypto';

/**
 * `<prefix>_<48 hex digits>` (192 random bits, the length OpenAI's ids have), e.g. `resp_...`, `msg_...`, `fc_...`,
 * `fco_...`, `conv_...`. Random, so that an id reveals nothing and cannot be guessed across tenants.
 */
export function createItemId(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('hex')}`;
}

/** Makes ids; tests pass a counter-based one to get stable ids. */
export type CreateItemId = (prefix: string) => string;
