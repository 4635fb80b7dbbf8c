// Tenants and virtual keys as a service: what the admin API and the authenticator call. Owns the keyed hashing of
// secrets, the short-lived authentication cache and its invalidation, and tenant scoping of every admin operation.
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { ApiKeyPatch, ApiKeyRecord, Store, TenantRecord } from '../store/index.ts';
import { ConflictError, InvalidRequestError, NotFoundError, PermissionDeniedError } from '../wire/index.ts';
import { checkKeyWithinLimits, confineKeyLimits } from './confine-key-limits.ts';
import { toApiKeyView, toTenantView, type ApiKeyView, type ApiKeyWithSecret, type DeletedTenant, type TenantView } from './tenancy-views.ts';
import type { CreateKeyInput, CreateTenantInput, PatchKeyInput, PatchTenantInput } from './tenancy-schemas.ts';
import { VIRTUAL_KEY_PREFIX, createApiKeyId, createVirtualKeySecret, hashVirtualKey, toKeyPrefix } from './virtual-key.ts';

/** The tenant of the master key, created at first start; it cannot be deleted. */
export const DEFAULT_TENANT_ID = 'default';

/** Settings name of the installation's secret that virtual keys are hashed under. */
export const KEY_HASH_SECRET_SETTING = 'virtual_key_hash_secret';

/** Entries the authentication cache holds at most; beyond it the oldest go first. */
const MAX_CACHED_KEYS = 10_000;

/** The Store methods tenancy uses. */
export type TenancyStore = Pick<
  Store,
  | 'putSettingIfAbsent'
  | 'insertTenant'
  | 'getTenant'
  | 'getTenantDeletedAt'
  | 'listTenants'
  | 'updateTenant'
  | 'deleteTenant'
  | 'eraseTenantData'
  | 'insertApiKey'
  | 'getApiKey'
  | 'getApiKeyByHash'
  | 'listApiKeys'
  | 'updateApiKey'
>;

export interface TenancyOptions {
  now?: () => Date;
  /** How long a successful authentication is reused without the database; bounds staleness across replicas. */
  cacheTtlMs?: number;
  /** The other replicas, told of every key and tenant change so that their caches drop it too. None: this process alone. */
  peers?: TenancyPeers;
}

/** A key or tenant that changed (revoked, rotated, updated, deleted): every cached authentication of it is stale. */
export interface TenancyChange {
  kind: 'key' | 'tenant';
  id: string;
}

/** The other replicas of a gateway, as tenancy sees them (the cluster part implements it; tenancy knows no transport). */
export interface TenancyPeers {
  /** Tells every other replica; never throws, never waits. */
  announce(change: TenancyChange): void;
}

/** Limits an admin operation to one tenant: an admin key of tenant X sees X only; others look missing (404). */
export interface TenantScope {
  tenant?: string;
  /**
   * The virtual key acting (absent for the master key): the keys it creates and changes are confined to its own
   * limits (confineKeyLimits), it may not change its own, and it may not touch a key wider than itself.
   */
  key?: ApiKeyRecord;
}

/** A live key with its tenant, as authentication finds them. */
export interface AuthenticatedKey {
  key: ApiKeyRecord;
  tenant: TenantRecord;
}

interface CachedKey extends AuthenticatedKey {
  cachedUntil: number;
}

/** Tenants and virtual keys. Long-lived: one per gateway. */
export class Tenancy {
  readonly #store: TenancyStore;
  /** A key object made once: createHmac with a Buffer builds one per call (10 µs against 1.4 µs, on every request). */
  readonly #hashSecret: KeyObject;
  readonly #now: () => Date;
  readonly #cacheTtlMs: number;
  readonly #cache = new Map<string, CachedKey>();
  readonly #peers: TenancyPeers | undefined;
  /** Bumped by every invalidation, so that a lookup that began before it does not cache what it read. */
  #generation = 0;

  /** Use Tenancy.open, which reads the hash secret and makes sure the default tenant exists. */
  constructor(store: TenancyStore, hashSecret: Buffer, options: TenancyOptions = {}) {
    this.#store = store;
    this.#hashSecret = createSecretKey(hashSecret);
    this.#now = options.now ?? (() => new Date());
    this.#cacheTtlMs = options.cacheTtlMs ?? 1000;
    this.#peers = options.peers;
  }

  /** Drops what another replica's change made stale (see TenancyPeers), without telling the peers again. */
  applyPeerChange(change: TenancyChange): void {
    if (change.kind === 'key') this.#dropKey(change.id);
    else this.#dropTenant(change.id);
  }

  /** Drops every cached authentication: changes made elsewhere may have been missed (the peers were unreachable). */
  clearCache(): void {
    this.#generation += 1;
    this.#cache.clear();
  }

  /** Gets (or, on a new installation, creates) the key-hash secret and the `default` tenant. */
  static async open(store: TenancyStore, options: TenancyOptions = {}): Promise<Tenancy> {
    const stored = await store.putSettingIfAbsent(KEY_HASH_SECRET_SETTING, randomBytes(32).toString('hex'));
    const tenancy = new Tenancy(store, Buffer.from(stored, 'hex'), options);
    if ((await store.getTenant(DEFAULT_TENANT_ID)) === null) {
      const at = tenancy.#timestamp();
      // false when another replica created it meanwhile: just as good.
      await store.insertTenant(newTenantRecord({ id: DEFAULT_TENANT_ID, name: 'Default' }, at));
    }
    return tenancy;
  }

  /**
   * The live key of `secret` and its tenant, or null when the key is unknown, revoked or expired, or its tenant is
   * gone. Successes are cached for `cacheTtlMs`; every change made through this service drops them at once.
   */
  async authenticate(secret: string): Promise<AuthenticatedKey | null> {
    if (!secret.startsWith(VIRTUAL_KEY_PREFIX)) return null;
    const hash = hashVirtualKey(secret, this.#hashSecret);
    const nowMs = this.#now().getTime();
    const cached = this.#cache.get(hash);
    if (cached !== undefined && cached.cachedUntil > nowMs) {
      return isExpired(cached.key, nowMs) ? null : { key: cached.key, tenant: cached.tenant };
    }
    this.#cache.delete(hash);
    const generation = this.#generation;
    const live = await this.#live(await this.#store.getApiKeyByHash(hash), nowMs);
    if (live !== null && generation === this.#generation) this.#remember(hash, { ...live, cachedUntil: nowMs + this.#cacheTtlMs });
    return live;
  }

  /**
   * The key with this id and its tenant when the key is still live (not revoked, not expired, tenant present), else
   * null: for work a key started that resumes later (a background response after a restart). Not cached.
   */
  async findLiveKey(id: string): Promise<AuthenticatedKey | null> {
    return this.#live(await this.#store.getApiKey(id), this.#now().getTime());
  }

  async #live(key: ApiKeyRecord | null, nowMs: number): Promise<AuthenticatedKey | null> {
    if (key === null || key.revoked_at !== null || isExpired(key, nowMs)) return null;
    const tenant = await this.#store.getTenant(key.tenant);
    return tenant === null ? null : { key, tenant };
  }

  // --- Tenants ---

  /**
   * Creates a tenant; 409 `tenant_exists` when the id is taken, and 409 `tenant_id_retired` when a deleted tenant
   * used it: an id is never reused, so that nothing stored under it (responses, conversations, spend, idempotency
   * keys) can reach a new tenant.
   */
  async createTenant(input: CreateTenantInput): Promise<TenantView> {
    const record = newTenantRecord(input, this.#timestamp());
    if (!(await this.#store.insertTenant(record))) {
      const deletedAt = await this.#store.getTenantDeletedAt(input.id);
      if (deletedAt !== null) {
        throw new ConflictError(
          `The tenant id '${input.id}' was used by a deleted tenant (deleted at ${deletedAt}); tenant ids are never reused. Choose another id.`,
          'tenant_id_retired',
          'id',
        );
      }
      throw new ConflictError(`A tenant with id '${input.id}' already exists.`, 'tenant_exists', 'id');
    }
    return toTenantView(record);
  }

  async getTenant(id: string, scope: TenantScope = {}): Promise<TenantView> {
    return toTenantView(await this.#findTenant(id, scope));
  }

  /** Every tenant by id (only its own for a scoped caller). */
  async listTenants(scope: TenantScope = {}): Promise<TenantView[]> {
    if (scope.tenant !== undefined) {
      const tenant = await this.#store.getTenant(scope.tenant);
      return tenant === null ? [] : [toTenantView(tenant)];
    }
    return (await this.#store.listTenants()).map(toTenantView);
  }

  async updateTenant(id: string, patch: PatchTenantInput, scope: TenantScope = {}): Promise<TenantView> {
    await this.#findTenant(id, scope);
    const updated = await this.#store.updateTenant(id, { ...patch, updated_at: this.#timestamp() });
    this.#forgetTenant(id);
    if (updated === null) throw tenantNotFound(id);
    return toTenantView(updated);
  }

  /**
   * Deletes a tenant and revokes its keys at once; the id stays retired forever (createTenant answers 409), and its
   * usage and ledger stay. With `erase`, its stored responses, conversations and idempotency keys are erased too (also
   * for a tenant deleted earlier without it). The `default` tenant stays (400).
   */
  async deleteTenant(id: string, scope: TenantScope = {}, options: { erase?: boolean } = {}): Promise<DeletedTenant> {
    if (id === DEFAULT_TENANT_ID) {
      await this.#findTenant(id, scope);
      throw new InvalidRequestError(`The '${DEFAULT_TENANT_ID}' tenant belongs to the master key and cannot be deleted.`, null, 'tenant_protected');
    }
    const live = scope.tenant === undefined || scope.tenant === id ? await this.#store.getTenant(id) : null;
    if (live !== null) {
      const deleted = await this.#store.deleteTenant(id, this.#timestamp());
      this.#forgetTenant(id);
      if (!deleted) throw tenantNotFound(id);
    } else if (options.erase !== true || scope.tenant !== undefined || (await this.#store.getTenantDeletedAt(id)) === null) {
      throw tenantNotFound(id);
    }
    if (options.erase !== true) return { object: 'tenant.deleted', id, deleted: true };
    return { object: 'tenant.deleted', id, deleted: true, erased: await this.#store.eraseTenantData(id) };
  }

  // --- Keys ---

  /** Creates a key of an existing tenant (404 otherwise); the answer carries the secret, which is shown only here. */
  async createKey(input: CreateKeyInput, scope: TenantScope = {}): Promise<ApiKeyWithSecret> {
    await this.#findTenant(input.tenant, scope);
    this.#checkExpiry(input.expires_at);
    const actor = await this.#actor(scope);
    const limits = actor === null ? input : confineKeyLimits(actor, input);
    const secret = createVirtualKeySecret();
    const record: ApiKeyRecord = {
      id: createApiKeyId(),
      tenant: input.tenant,
      name: input.name,
      prefix: toKeyPrefix(secret),
      hash: hashVirtualKey(secret, this.#hashSecret),
      models: limits.models,
      rpm: limits.rpm,
      tpm: limits.tpm,
      budget: limits.budget,
      expires_at: limits.expires_at,
      admin: input.admin,
      metadata: input.metadata,
      created_at: this.#timestamp(),
      revoked_at: null,
    };
    await this.#store.insertApiKey(record);
    return { ...toApiKeyView(record), key: secret };
  }

  async getKey(id: string, scope: TenantScope = {}): Promise<ApiKeyView> {
    return toApiKeyView(await this.#findKey(id, scope));
  }

  /**
   * Keys by creation time, of one tenant or of every tenant in scope. A tenant that does not exist, or lies outside
   * the scope, has no keys to show: the answer is the same empty list, so that it reveals nothing about other tenants.
   */
  async listKeys(filter: { tenant?: string } = {}, scope: TenantScope = {}): Promise<ApiKeyView[]> {
    if (filter.tenant !== undefined && scope.tenant !== undefined && filter.tenant !== scope.tenant) return [];
    const tenant = filter.tenant ?? scope.tenant;
    const keys = await this.#store.listApiKeys(tenant === undefined ? {} : { tenant });
    return keys.map(toApiKeyView);
  }

  /** Changes a key; an acting virtual key may not change itself (403) nor a wider key, nor widen one past itself. */
  async updateKey(id: string, patch: PatchKeyInput, scope: TenantScope = {}): Promise<ApiKeyView> {
    const key = await this.#findKey(id, scope);
    if (patch.expires_at !== undefined) this.#checkExpiry(patch.expires_at);
    const actor = await this.#actor(scope);
    if (actor === null) return toApiKeyView(await this.#patchKey(id, patch));
    if (actor.id === id)
      throw new PermissionDeniedError('An API key may not change its own limits or settings; ask the master key or a wider admin key.', 'key_limit_exceeded');
    checkKeyWithinLimits(actor, key);
    const limits = confineKeyLimits(actor, {
      models: patch.models === undefined ? key.models : patch.models,
      rpm: patch.rpm === undefined ? key.rpm : patch.rpm,
      tpm: patch.tpm === undefined ? key.tpm : patch.tpm,
      budget: patch.budget === undefined ? key.budget : patch.budget,
      expires_at: patch.expires_at === undefined ? key.expires_at : patch.expires_at,
    });
    return toApiKeyView(await this.#patchKey(id, { ...patch, ...limits }));
  }

  /** Revokes a key at once (idempotent: a revoked key keeps its first revocation time). An acting key may not revoke a wider one. */
  async revokeKey(id: string, scope: TenantScope = {}): Promise<ApiKeyView> {
    const key = await this.#findKey(id, scope);
    await this.#checkMayTouch(key, scope);
    if (key.revoked_at !== null) return toApiKeyView(key);
    return toApiKeyView(await this.#patchKey(id, { revoked_at: this.#timestamp() }));
  }

  /** Gives a live key a new secret; the old one stops working at once. Id, settings and usage stay. */
  async rotateKey(id: string, scope: TenantScope = {}): Promise<ApiKeyWithSecret> {
    const key = await this.#findKey(id, scope);
    // A narrower key rotating a wider one would hold the wider key's new secret.
    await this.#checkMayTouch(key, scope);
    if (key.revoked_at !== null) throw new InvalidRequestError(`Key '${id}' is revoked; create a new key instead.`, null, 'key_revoked');
    const secret = createVirtualKeySecret();
    const updated = await this.#patchKey(id, { hash: hashVirtualKey(secret, this.#hashSecret), prefix: toKeyPrefix(secret) });
    return { ...toApiKeyView(updated), key: secret };
  }

  /**
   * The acting virtual key as stored now (a cached authentication may be up to cacheTtlMs old, and the limits must be
   * today's), or null for the master key. 403 when it was revoked or narrowed away meanwhile.
   */
  async #actor(scope: TenantScope): Promise<ApiKeyRecord | null> {
    if (scope.key === undefined) return null;
    const live = await this.#live(await this.#store.getApiKey(scope.key.id), this.#now().getTime());
    if (live === null) throw new PermissionDeniedError('This API key is no longer live.', 'key_limit_exceeded');
    return live.key;
  }

  async #checkMayTouch(key: ApiKeyRecord, scope: TenantScope): Promise<void> {
    const actor = await this.#actor(scope);
    if (actor !== null && actor.id !== key.id) checkKeyWithinLimits(actor, key);
  }

  async #findTenant(id: string, scope: TenantScope): Promise<TenantRecord> {
    // Another tenant's id is answered exactly like a missing one, so that scoped callers learn nothing about others.
    const tenant = scope.tenant === undefined || scope.tenant === id ? await this.#store.getTenant(id) : null;
    if (tenant === null) throw tenantNotFound(id);
    return tenant;
  }

  async #findKey(id: string, scope: TenantScope): Promise<ApiKeyRecord> {
    const key = await this.#store.getApiKey(id);
    if (key === null || (scope.tenant !== undefined && key.tenant !== scope.tenant)) {
      throw new NotFoundError(`No API key with id '${id}'.`, 'key_not_found');
    }
    return key;
  }

  async #patchKey(id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord> {
    const updated = await this.#store.updateApiKey(id, patch);
    this.#forgetKey(id);
    if (updated === null) throw new NotFoundError(`No API key with id '${id}'.`, 'key_not_found');
    return updated;
  }

  #checkExpiry(expiresAt: string | null): void {
    if (expiresAt !== null && Date.parse(expiresAt) <= this.#now().getTime()) {
      throw new InvalidRequestError(`expires_at ${expiresAt} is not in the future.`, 'expires_at');
    }
  }

  #remember(hash: string, entry: CachedKey): void {
    if (this.#cache.size >= MAX_CACHED_KEYS) {
      const nowMs = this.#now().getTime();
      for (const [cachedHash, cached] of this.#cache) if (cached.cachedUntil <= nowMs) this.#cache.delete(cachedHash);
      // Maps iterate in insertion order: the first entry is the oldest.
      const oldest = this.#cache.keys().next();
      if (this.#cache.size >= MAX_CACHED_KEYS && oldest.done !== true) this.#cache.delete(oldest.value);
    }
    this.#cache.set(hash, entry);
  }

  #forgetKey(id: string): void {
    this.#dropKey(id);
    this.#peers?.announce({ kind: 'key', id });
  }

  #forgetTenant(id: string): void {
    this.#dropTenant(id);
    this.#peers?.announce({ kind: 'tenant', id });
  }

  #dropKey(id: string): void {
    this.#generation += 1;
    for (const [hash, cached] of this.#cache) if (cached.key.id === id) this.#cache.delete(hash);
  }

  #dropTenant(id: string): void {
    this.#generation += 1;
    for (const [hash, cached] of this.#cache) if (cached.tenant.id === id) this.#cache.delete(hash);
  }

  #timestamp(): string {
    return this.#now().toISOString();
  }
}

function newTenantRecord(input: Pick<CreateTenantInput, 'id'> & Partial<CreateTenantInput>, at: string): TenantRecord {
  return {
    id: input.id,
    name: input.name ?? input.id,
    policy: input.policy ?? {},
    margin: input.margin ?? null,
    rpm: input.rpm ?? null,
    tpm: input.tpm ?? null,
    budget: input.budget ?? null,
    metadata: input.metadata ?? {},
    created_at: at,
    updated_at: at,
  };
}

function isExpired(key: ApiKeyRecord, nowMs: number): boolean {
  return key.expires_at !== null && Date.parse(key.expires_at) <= nowMs;
}

function tenantNotFound(id: string): NotFoundError {
  return new NotFoundError(`No tenant with id '${id}'.`, 'tenant_not_found');
}
