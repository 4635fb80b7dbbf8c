// Which cloud made a reasoning item's `encrypted_content`. A stateless client (`store: false` with
// `include: ["reasoning.encrypted_content"]`, as Codex runs) hands reasoning items back on its next turn, and only the
// cloud that encrypted one can read it: Crossway marks the content it relays with that cloud's provider, so that the
// next turn sends it back only to a native route of the same provider, and drops it (saying so) everywhere else.
import type { ResponseItem } from '../wire/index.ts';

/** `crossway.reasoning.v1.<provider>.` + the cloud's own encrypted content. */
const PREFIX = 'crossway.reasoning.v1.';

/** `value` with the encrypted content of a reasoning item marked as `provider`'s; anything else unchanged. */
export function markReasoningOrigin<T>(value: T, provider: string): T {
  if (typeof value !== 'object' || value === null) return value;
  const item = value as Record<string, unknown>;
  if (item.type !== 'reasoning' || typeof item.encrypted_content !== 'string' || item.encrypted_content.startsWith(PREFIX)) return value;
  return { ...item, encrypted_content: `${PREFIX}${provider}.${item.encrypted_content}` } as T;
}

/** The provider that encrypted `content` and the cloud's own content, or null for content Crossway did not mark. */
export function readReasoningOrigin(content: string): { provider: string; content: string } | null {
  if (!content.startsWith(PREFIX)) return null;
  const rest = content.slice(PREFIX.length);
  const dot = rest.indexOf('.');
  if (dot <= 0) return null;
  return { provider: rest.slice(0, dot), content: rest.slice(dot + 1) };
}

/**
 * The reasoning item as `provider`'s cloud takes it back (its content unmarked), or null when that cloud cannot read
 * it: it carries no encrypted content, or another cloud's (or content Crossway never relayed).
 */
export function readableReasoning(item: Extract<ResponseItem, { type: 'reasoning' }>, provider: string): Record<string, unknown> | null {
  if (typeof item.encrypted_content !== 'string') return null;
  const origin = readReasoningOrigin(item.encrypted_content);
  if (origin === null || origin.provider !== provider) return null;
  const body: Record<string, unknown> = { type: 'reasoning', summary: Array.isArray(item.summary) ? item.summary : [], encrypted_content: origin.content };
  // The id is the cloud's own (relayed as it came), so the cloud knows it.
  if (typeof item.id === 'string' && item.id.startsWith('rs_')) body.id = item.id;
  return body;
}
