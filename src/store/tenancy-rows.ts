// Tenants, virtual keys and idempotency records as stored, and back: JSON columns, 0/1 booleans, bytes.
import type { Insertable, Selectable, Updateable } from 'kysely';
import type { IdempotencyRecord } from './ledger-records.ts';
import type { ApiKeyTable, IdempotencyKeyTable, TenantTable } from './store-database.ts';
import type { ApiKeyPatch, ApiKeyRecord, BudgetSpec, TenantPatch, TenantRecord } from './tenancy-records.ts';

/** A tenant as stored: policy, budget and metadata as JSON text. */
export function toTenantTableRow(tenant: TenantRecord): Insertable<TenantTable> {
  return {
    id: tenant.id,
    name: tenant.name,
    policy: JSON.stringify(tenant.policy),
    margin: tenant.margin,
    rpm: tenant.rpm,
    tpm: tenant.tpm,
    budget: stringifyNullable(tenant.budget),
    metadata: JSON.stringify(tenant.metadata),
    created_at: tenant.created_at,
    updated_at: tenant.updated_at,
  };
}

/** The columns a tenant patch sets; fields left undefined are not in it. */
export function toTenantTableUpdate(patch: TenantPatch): Updateable<TenantTable> {
  const update: Updateable<TenantTable> = {};
  if (patch.name !== undefined) update.name = patch.name;
  if (patch.policy !== undefined) update.policy = JSON.stringify(patch.policy);
  if (patch.margin !== undefined) update.margin = patch.margin;
  if (patch.rpm !== undefined) update.rpm = patch.rpm;
  if (patch.tpm !== undefined) update.tpm = patch.tpm;
  if (patch.budget !== undefined) update.budget = stringifyNullable(patch.budget);
  if (patch.metadata !== undefined) update.metadata = JSON.stringify(patch.metadata);
  if (patch.updated_at !== undefined) update.updated_at = patch.updated_at;
  return update;
}

/** Copies a stored row into a plain TenantRecord. */
export function toTenantRecord(row: Selectable<TenantTable>): TenantRecord {
  return {
    id: row.id,
    name: row.name,
    policy: JSON.parse(row.policy) as Record<string, unknown>,
    margin: row.margin,
    rpm: row.rpm,
    tpm: row.tpm,
    budget: parseNullable<BudgetSpec>(row.budget),
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** A key as stored: models, budget and metadata as JSON text. */
export function toApiKeyTableRow(key: ApiKeyRecord): Insertable<ApiKeyTable> {
  return {
    id: key.id,
    tenant: key.tenant,
    name: key.name,
    prefix: key.prefix,
    hash: key.hash,
    models: stringifyNullable(key.models),
    rpm: key.rpm,
    tpm: key.tpm,
    budget: stringifyNullable(key.budget),
    expires_at: key.expires_at,
    admin: key.admin,
    metadata: JSON.stringify(key.metadata),
    created_at: key.created_at,
    revoked_at: key.revoked_at,
  };
}

/** The columns a key patch sets; fields left undefined are not in it. */
export function toApiKeyTableUpdate(patch: ApiKeyPatch): Updateable<ApiKeyTable> {
  const update: Updateable<ApiKeyTable> = {};
  if (patch.name !== undefined) update.name = patch.name;
  if (patch.models !== undefined) update.models = stringifyNullable(patch.models);
  if (patch.rpm !== undefined) update.rpm = patch.rpm;
  if (patch.tpm !== undefined) update.tpm = patch.tpm;
  if (patch.budget !== undefined) update.budget = stringifyNullable(patch.budget);
  if (patch.expires_at !== undefined) update.expires_at = patch.expires_at;
  if (patch.admin !== undefined) update.admin = patch.admin;
  if (patch.metadata !== undefined) update.metadata = JSON.stringify(patch.metadata);
  if (patch.revoked_at !== undefined) update.revoked_at = patch.revoked_at;
  if (patch.hash !== undefined) update.hash = patch.hash;
  if (patch.prefix !== undefined) update.prefix = patch.prefix;
  return update;
}

/** Copies a stored row into a plain ApiKeyRecord. */
export function toApiKeyRecord(row: Selectable<ApiKeyTable>): ApiKeyRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    name: row.name,
    prefix: row.prefix,
    hash: row.hash,
    models: parseNullable<string[]>(row.models),
    rpm: row.rpm,
    tpm: row.tpm,
    budget: parseNullable<BudgetSpec>(row.budget),
    expires_at: row.expires_at,
    admin: Boolean(row.admin),
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    created_at: row.created_at,
    revoked_at: row.revoked_at,
  };
}

/** Copies a stored row into a plain IdempotencyRecord; the body comes back as a Buffer whatever the driver read. */
export function toIdempotencyRecord(row: Selectable<IdempotencyKeyTable>): IdempotencyRecord {
  return {
    tenant: row.tenant,
    key: row.key,
    request_hash: row.request_hash,
    state: row.state as IdempotencyRecord['state'],
    status: row.status,
    headers: parseNullable<Record<string, string>>(row.headers),
    // node:sqlite reads a blob as a Uint8Array (and a structured clone from the write worker makes a Buffer one).
    body: row.body === null ? null : Buffer.from(row.body.buffer, row.body.byteOffset, row.body.byteLength),
    created_at: row.created_at,
    lease_expires_at: row.lease_expires_at,
    expires_at: row.expires_at,
  };
}

function stringifyNullable(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}

function parseNullable<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}
