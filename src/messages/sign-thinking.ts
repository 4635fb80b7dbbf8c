// The signature Crossway gives a thinking block: Anthropic's clients expect one on every thinking block they keep.
import { createHash } from 'node:crypto';

/**
 * An opaque marker (`crossway:` and a digest of the text), not a cryptographic proof: Crossway drops thinking blocks
 * handed back with a conversation, so it never has to verify one.
 */
export function signThinking(thinking: string): string {
  return `crossway:${createHash('sha256').update(thinking).digest('base64url').slice(0, 32)}`;
}
