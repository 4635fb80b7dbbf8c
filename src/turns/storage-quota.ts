// Per-tenant storage quotas at the edge: the limits a stored response or conversation write is checked against (from
// the configuration), the cheap check before a turn runs, and the client's error for a write the store refused.
import { isStorageLimitError, type StorageLimitName, type StorageLimits } from '../store/index.ts';
import { InvalidRequestError, type ResponseItem } from '../wire/index.ts';
import type { TurnServices } from './turn-services.ts';

/**
 * The gateway-wide limits (`runtime.tenant_storage_bytes`, `runtime.conversation_max_items`); `allowance` raises both
 * by what a turn that already ran produced (see allowanceFor).
 */
export function storageLimitsOf(services: TurnServices, allowance: { bytes: number; items: number } = { bytes: 0, items: 0 }): StorageLimits {
  const { tenant_storage_bytes: tenantBytes, conversation_max_items: conversationItems } = services.catalog.config.runtime;
  return { tenantBytes: tenantBytes + allowance.bytes, conversationItems: conversationItems + allowance.items };
}

/**
 * What a turn's model produced, which its storage may add past the limits: the model already ran and was paid for,
 * and its input was checked before it ran, so a tenant passes its quota by at most one turn's output.
 */
export function allowanceFor(produced: readonly unknown[], items: readonly ResponseItem[]): { bytes: number; items: number } {
  let bytes = 0;
  for (const value of produced) bytes += Buffer.byteLength(JSON.stringify(value));
  return { bytes, items: items.length };
}

/**
 * The 400 a client gets for a write past a storage limit. 400 `invalid_request_error` rather than 429: OpenAI's SDKs
 * retry a 429 on their own, and a quota does not clear by waiting; 413 speaks of the request body's size.
 */
export function toStorageQuotaError(services: TurnServices, limit: StorageLimitName): InvalidRequestError {
  const { tenant_storage_bytes: tenantBytes, conversation_max_items: conversationItems } = services.catalog.config.runtime;
  if (limit === 'conversation_max_items') {
    return new InvalidRequestError(
      `A conversation can hold at most ${conversationItems} items: delete some of its items, or start a new conversation.`,
      'items',
      'conversation_item_limit_exceeded',
    );
  }
  return new InvalidRequestError(
    `Storing this would exceed your storage quota of ${tenantBytes} bytes for responses, conversations and agent sessions: ` +
      'delete stored responses, conversations or agent sessions, or send store: false.',
    null,
    'storage_quota_exceeded',
  );
}

/** Awaits a store write; a StorageLimitError (nothing was stored) becomes the client's 400. */
export async function withStorageQuota<T>(services: TurnServices, write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    throw isStorageLimitError(error) ? toStorageQuotaError(services, error.limit) : error;
  }
}

/**
 * Refuses a turn whose storage would already pass a limit, before its model runs (cheap: one read of the tenant's
 * counter, and the size of the request): the request (input included) against the tenant's bytes, and the
 * conversation's items with the new input against the item limit. The write after the turn checks again, atomically.
 */
export async function checkTurnStorage(
  services: TurnServices,
  tenant: string,
  turn: { request: unknown; stores: boolean; conversationItems: number | null; newItems: number },
): Promise<void> {
  const limits = storageLimitsOf(services);
  if (turn.conversationItems !== null && turn.conversationItems + turn.newItems > (limits.conversationItems ?? Infinity)) {
    throw toStorageQuotaError(services, 'conversation_max_items');
  }
  if (!turn.stores && turn.conversationItems === null) return;
  const used = await services.store.getTenantStorage(tenant);
  if (used + Buffer.byteLength(JSON.stringify(turn.request)) > (limits.tenantBytes ?? Infinity)) {
    throw toStorageQuotaError(services, 'tenant_storage_bytes');
  }
}
