// Leases in portable Kysely (SQLite and PostgreSQL): background responses claimed, renewed and given back by the replica
// that runs them, and named leases for work one replica at a time does (housekeeping).
import { PostgresAdapter, sql, type Kysely, type Selectable } from 'kysely';
import {
  ACTIVE_RESPONSE_STATUSES,
  type BackgroundLease,
  type ClaimedBackgroundResponse,
  type HeldBackgroundResponse,
  type StoredResponseRecord,
} from './runtime-records.ts';
import { splitIntoChunks, toStoredResponseRecord } from './runtime-rows.ts';
import type { ResponseTable, StoreDatabase } from './store-database.ts';
import type { ExecuteWrites, WriteStatement } from './store-records.ts';

// Ids per `in (...)` list: far below SQLite's and PostgreSQL's bound-parameter limits.
const idsPerStatement = 500;
/** The most jobs one claim takes: a replica takes its share, and leaves the rest to the others. */
export const MAX_CLAIMED_RESPONSES = 100;

/**
 * Claims up to `limit` background responses that nobody holds (queued or in progress, lease expired or never taken),
 * oldest first, for `lease.owner` until `lease.until`, in one statement and one transaction. On PostgreSQL the
 * candidates are locked `for update skip locked`, so that replicas claiming at once take different rows without
 * waiting on each other; the outer `where` repeats the condition, which PostgreSQL re-checks on a row another
 * transaction changed meanwhile. On SQLite the statement runs in the single writer's `begin immediate` transaction,
 * which no other writer interleaves with. Either way no two claims get the same row. Resolves with the rows as they
 * were before the claim (their status and the request id of the run that held them last).
 */
export async function claimBackgroundResponses(
  db: Kysely<StoreDatabase>,
  executeWrites: ExecuteWrites,
  lease: BackgroundLease,
  now: string,
  limit: number,
): Promise<ClaimedBackgroundResponse[]> {
  const count = Math.max(0, Math.min(MAX_CLAIMED_RESPONSES, Math.floor(limit)));
  if (count === 0) return [];
  // Word for word the predicate of the index responses_claimable (0008), so that both backends use it.
  const candidates = db
    .selectFrom('responses')
    .select('id')
    .where('status', 'in', ACTIVE_RESPONSE_STATUSES)
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)]))
    .orderBy('created_at')
    .orderBy('id')
    .limit(count);
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  // PostgreSQL may run an `in (subquery ... limit n)` more than once within a join and claim more than n rows: the
  // array is computed once.
  const chosen = postgres ? sql<boolean>`id = any(array${candidates.forUpdate().skipLocked()})` : sql<boolean>`id in ${candidates}`;
  const [claimed] = await executeWrites([
    db
      .updateTable('responses')
      .set({ owner: lease.owner, lease_expires_at: lease.until })
      .where(chosen)
      .where('status', 'in', ACTIVE_RESPONSE_STATUSES)
      .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)]))
      .returningAll()
      .compile(),
  ]);
  const rows = (claimed?.rows ?? []) as Selectable<ResponseTable>[];
  return rows
    .map((row) => ({ response: toStoredResponseRecord(row), run_request_id: row.run_request_id }))
    .sort((a, b) => a.response.created_at.localeCompare(b.response.created_at) || a.response.id.localeCompare(b.response.id));
}

/**
 * Extends to `until` the leases `owner` holds on the responses `ids` that are still queued or in progress, in one
 * transaction, and resolves with those of `ids` it still holds, with their status: an id missing from the answer was
 * taken over or deleted, and a status other than queued/in_progress was set elsewhere (a cancel).
 */
export async function renewBackgroundLeases(
  db: Kysely<StoreDatabase>,
  executeWrites: ExecuteWrites,
  owner: string,
  ids: readonly string[],
  until: string,
): Promise<HeldBackgroundResponse[]> {
  if (ids.length === 0) return [];
  const statements: WriteStatement[] = [];
  for (const chunk of splitIntoChunks(ids, idsPerStatement)) {
    statements.push(
      db
        .updateTable('responses')
        .set({ lease_expires_at: until })
        .where('owner', '=', owner)
        .where('id', 'in', chunk)
        .where('status', 'in', ACTIVE_RESPONSE_STATUSES)
        .compile(),
      db.selectFrom('responses').select(['id', 'status']).where('owner', '=', owner).where('id', 'in', chunk).orderBy('id').compile(),
    );
  }
  const results = await executeWrites(statements);
  return results
    .filter((_result, index) => index % 2 === 1)
    .flatMap((result) => result.rows.map((row) => ({ id: String(row.id), status: row.status as StoredResponseRecord['status'] })));
}

/** Gives back the leases `owner` holds on `ids`, so that another replica may claim them at once instead of after expiry. */
export async function releaseBackgroundLeases(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, owner: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await executeWrites(
    splitIntoChunks(ids, idsPerStatement).map((chunk) =>
      db.updateTable('responses').set({ owner: null, lease_expires_at: null }).where('owner', '=', owner).where('id', 'in', chunk).compile(),
    ),
  );
}

/**
 * Takes the lease `name` for `owner` until `until` when nobody holds it, its holder's lease expired (at `now`), or
 * `owner` holds it already (then it is extended); one upsert, so that two replicas taking it at once cannot both get it.
 */
export async function acquireLease(
  db: Kysely<StoreDatabase>,
  executeWrites: ExecuteWrites,
  name: string,
  owner: string,
  until: string,
  now: string,
): Promise<boolean> {
  const [taken] = await executeWrites([
    db
      .insertInto('leases')
      .values({ name, owner, expires_at: until })
      .onConflict((conflict) =>
        conflict
          .column('name')
          .doUpdateSet({ owner, expires_at: until })
          .where((eb) => eb.or([eb('leases.owner', '=', owner), eb('leases.expires_at', '<=', now)])),
      )
      .returning('name')
      .compile(),
  ]);
  return (taken?.rows.length ?? 0) > 0;
}

/** Extends the lease `name` to `until` if `owner` still holds it; false when it does not (it expired and was taken). */
export async function renewLease(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, name: string, owner: string, until: string): Promise<boolean> {
  const [renewed] = await executeWrites([
    db.updateTable('leases').set({ expires_at: until }).where('name', '=', name).where('owner', '=', owner).returning('name').compile(),
  ]);
  return (renewed?.rows.length ?? 0) > 0;
}

/** Gives the lease `name` back if `owner` holds it. */
export async function releaseLease(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, name: string, owner: string): Promise<void> {
  await executeWrites([db.deleteFrom('leases').where('name', '=', name).where('owner', '=', owner).compile()]);
}
