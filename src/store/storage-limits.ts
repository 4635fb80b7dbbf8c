// Per-tenant storage quotas as the store enforces them: the limits a write is checked against, in its own
// transaction, and the error a refused write rejects with (it stored nothing). Free of Kysely at run time: the SQLite
// write worker loads this file too.

/** Which limit refused a write; stable, sent to clients as part of the error code by the layer above. */
export type StorageLimitName = 'tenant_storage_bytes' | 'conversation_max_items';

/**
 * Bounds a runtime write is checked against atomically with it (the check and the write are one transaction on the
 * single writer), so that concurrent writes cannot together pass a limit. Absent bounds are not checked.
 */
export interface StorageLimits {
  /**
   * Most bytes the tenant may keep after the write: the UTF-8 bytes of its stored responses (request and response
   * objects, items) and conversations (metadata, items). Stream events of background responses are not counted.
   */
  tenantBytes?: number;
  /** Most items the conversation may hold after the write (conversation writes only). */
  conversationItems?: number;
}

/** A write refused by a StorageLimits bound; nothing of it was stored. */
export class StorageLimitError extends Error {
  override name = 'StorageLimitError';
  readonly code = 'CROSSWAY_STORAGE_LIMIT';
  readonly limit: StorageLimitName;

  constructor(limit: StorageLimitName) {
    super(`the write would exceed the storage limit ${limit}`);
    this.limit = limit;
  }
}

/** Whether `error` is a StorageLimitError (also one rebuilt after crossing from the write worker). */
export function isStorageLimitError(error: unknown): error is StorageLimitError {
  return error instanceof StorageLimitError;
}
