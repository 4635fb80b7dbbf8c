// The per-tenant storage counter (`tenant_storage`) in portable SQL: the statements that add a write's bytes (checked
// against a quota as a guard, in the write's transaction) and take a delete's bytes back, for the runtime's queries.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { StorageLimits } from './storage-limits.ts';
import type { StoreDatabase } from './store-database.ts';
import { toGuard, type WriteStatement } from './store-records.ts';

/** The UTF-8 bytes of stored text: what octet_length() gives for it once stored, and what a tenant's quota counts. */
export function countStoredBytes(texts: Iterable<string>): number {
  let bytes = 0;
  for (const text of texts) bytes += Buffer.byteLength(text);
  return bytes;
}

/** Creates the tenant's counter at 0 if it has none (the first statement of any write that adds bytes). */
export function ensureTenantStorage(db: Kysely<StoreDatabase>, tenant: string): WriteStatement {
  return db
    .insertInto('tenant_storage')
    .values({ tenant, bytes: 0n })
    .onConflict((conflict) => conflict.column('tenant').doNothing())
    .compile();
}

/**
 * Adds `bytes` to the tenant's counter when `when` holds (a condition on the write's parent, say; always when absent).
 * With `limits.tenantBytes`, a guard: the counter must stay within it, or the write is refused
 * (`tenant_storage_bytes`); a `when` that does not hold adds nothing and passes (the write then writes nothing).
 */
export function addTenantBytes(
  db: Kysely<StoreDatabase>,
  tenant: string,
  bytes: number,
  limits: StorageLimits = {},
  when: RawBuilder<unknown> = sql`1 = 1`,
): WriteStatement {
  const added = sql`case when ${when} then ${bytes} else 0 end`;
  if (limits.tenantBytes === undefined) {
    return sql`update tenant_storage set bytes = bytes + ${added} where tenant = ${tenant}`.compile(db);
  }
  return toGuard(
    sql`update tenant_storage set bytes = bytes + ${added}
      where tenant = ${tenant} and (not (${when}) or bytes + ${bytes} <= ${limits.tenantBytes})`.compile(db),
    'tenant_storage_bytes',
  );
}

/** Takes `bytes` (an SQL expression evaluated before the delete it precedes) off the tenant's counter. */
export function subtractTenantBytes(db: Kysely<StoreDatabase>, tenant: string, bytes: RawBuilder<unknown>): WriteStatement {
  return sql`update tenant_storage set bytes = bytes - coalesce((${bytes}), 0) where tenant = ${tenant}`.compile(db);
}

/** The bytes the tenant keeps in responses and conversations (0 when it never stored anything). */
export async function getTenantStorage(db: Kysely<StoreDatabase>, tenant: string): Promise<number> {
  // Cast to text: node:sqlite reads a bigint column as a number, pg as a string; text reads the same on both.
  const row = await db.selectFrom('tenant_storage').select(sql<string>`cast(bytes as text)`.as('bytes')).where('tenant', '=', tenant).executeTakeFirst();
  return row === undefined ? 0 : Number(row.bytes);
}
