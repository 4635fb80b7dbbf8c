// Stored responses in portable Kysely (SQLite and PostgreSQL): KyselyStore's response writes, reads, chains and stream events.
import { sql, type CompiledQuery, type Kysely, type RawBuilder, type Selectable, type Updateable } from 'kysely';
import {
  ACTIVE_RESPONSE_STATUSES,
  type BackgroundLease,
  type BackgroundRunStart,
  type ItemPageOptions,
  type ResponseChain,
  type ResponseEventRecord,
  type ResponseItemRecord,
  type ResponseWriteCondition,
  type StoredResponsePatch,
  type StoredResponseRecord,
} from './runtime-records.ts';
import {
  assertSameParent,
  splitIntoChunks,
  toIntegerParameter,
  toResponseEventRecord,
  toResponseItemRecord,
  toResponseItemTableRow,
  toResponseTableRow,
  toResponseTableUpdate,
  toStoredResponseRecord,
  toTextParameter,
} from './runtime-rows.ts';
import type { ResponseItemTable, ResponseTable, StoreDatabase } from './store-database.ts';
import { addTenantBytes, countStoredBytes, ensureTenantStorage, subtractTenantBytes } from './runtime-storage-queries.ts';
import type { StorageLimits } from './storage-limits.ts';
import type { ExecuteWrites, SqlStatementResult, WriteStatement } from './store-records.ts';

// 5 parameters an item row, 2 an event row: far below SQLite's 32766 and PostgreSQL's 65535 per statement.
const itemRowsPerInsert = 500;
const eventRowsPerInsert = 1_000;
// A response can only chain to one that existed before it, so chains have no cycles; this bound only keeps a
// corrupted database from making the recursive query run forever.
const chainDepthLimit = 100_000;

// The tenant's response with this id, as a one-column subquery: empty for an unknown or foreign id.
function selectOwnedResponse(db: Kysely<StoreDatabase>, tenant: string, id: string) {
  return db.selectFrom('responses').select('responses.id').where('responses.id', '=', id).where('responses.tenant', '=', tenant);
}

// The tenant's response with this id while `condition` holds (see ResponseWriteCondition), as a query to select from.
function selectWritableResponse(db: Kysely<StoreDatabase>, tenant: string, id: string, condition: ResponseWriteCondition) {
  let query = db.selectFrom('responses').where('responses.id', '=', id).where('responses.tenant', '=', tenant);
  if (condition.active === true || condition.owner !== undefined) query = query.where('responses.status', 'in', ACTIVE_RESPONSE_STATUSES);
  if (condition.owner !== undefined) query = query.where('responses.owner', '=', condition.owner);
  return query;
}

// The bytes of the tenant's response with this id and its items, as an expression read before they are deleted.
function selectOwnedResponseBytes(tenant: string, id: string): RawBuilder<unknown> {
  return sql`(select coalesce(sum(octet_length(request) + octet_length(response)), 0) from responses where id = ${id} and tenant = ${tenant})
    + (select coalesce(sum(octet_length(item)), 0) from response_items
       where response_id in (select id from responses where id = ${id} and tenant = ${tenant}))`;
}

/**
 * Inserts the response and its items in one transaction, adding their bytes to the tenant's storage counter; throws
 * when the id is taken or an item names another response, and StorageLimitError (storing nothing) when the counter
 * would pass `limits.tenantBytes`.
 */
export async function insertResponse(
  db: Kysely<StoreDatabase>,
  executeWrites: ExecuteWrites,
  response: StoredResponseRecord,
  items: readonly ResponseItemRecord[],
  limits: StorageLimits = {},
  lease?: BackgroundLease,
): Promise<void> {
  assertSameParent(items, 'response_id', response.id);
  const row = { ...toResponseTableRow(response), ...(lease === undefined ? {} : { owner: lease.owner, lease_expires_at: lease.until }) };
  const itemRows = items.map(toResponseItemTableRow);
  const bytes = countStoredBytes([row.request, row.response, ...itemRows.map((item) => item.item)]);
  await executeWrites([
    ensureTenantStorage(db, response.tenant),
    addTenantBytes(db, response.tenant, bytes, limits),
    db.insertInto('responses').values(row).compile(),
    ...splitIntoChunks(itemRows, itemRowsPerInsert).map((rows) => db.insertInto('response_items').values(rows).compile()),
  ]);
}

/**
 * Applies the patch and appends the items in one transaction, moving the tenant's storage counter by the bytes they
 * add (never refused: a background run's output is kept once the run was admitted). With a `condition`, only while it
 * holds (a cancel only of an active job; a job's writes only while its replica holds it): otherwise nothing is
 * written and the answer is false. Each item is inserted by `insert ... select ... from responses where id = ? and
 * tenant = ?`, so that nothing is written for an unknown or foreign id.
 */
export async function updateResponse(
  db: Kysely<StoreDatabase>,
  executeWrites: ExecuteWrites,
  tenant: string,
  id: string,
  patch: StoredResponsePatch,
  items: readonly ResponseItemRecord[] = [],
  condition: ResponseWriteCondition = {},
): Promise<boolean> {
  const statements = updateResponseStatements(db, tenant, id, patch, items, condition, {});
  const results = await executeWrites(statements);
  return wasFound(results.at(-1));
}

// The statements of updateResponse; the last one is the update (or the lookup, for an empty patch), whose result says
// whether the response was written. Items go in before it, since the update may end the status the condition reads.
function updateResponseStatements(
  db: Kysely<StoreDatabase>,
  tenant: string,
  id: string,
  patch: StoredResponsePatch,
  items: readonly ResponseItemRecord[],
  condition: ResponseWriteCondition,
  columns: Updateable<ResponseTable>,
): WriteStatement[] {
  assertSameParent(items, 'response_id', id);
  const update = { ...toResponseTableUpdate(patch), ...columns };
  const writable = () => selectWritableResponse(db, tenant, id, condition);
  let last: WriteStatement;
  if (Object.keys(update).length === 0) {
    // `update ... set` with no column is a syntax error: an empty patch only looks the response up.
    last = writable().select('responses.id').compile();
  } else {
    let query = db.updateTable('responses').set(update).where('id', '=', id).where('tenant', '=', tenant);
    if (condition.active === true || condition.owner !== undefined) query = query.where('status', 'in', ACTIVE_RESPONSE_STATUSES);
    if (condition.owner !== undefined) query = query.where('owner', '=', condition.owner);
    last = query.compile();
  }
  const itemTexts = items.map((item) => JSON.stringify(item.item));
  const inserts = items.map((item, index) =>
    db
      .insertInto('response_items')
      .columns(['response_id', 'kind', 'position', 'item_id', 'item'])
      .expression(
        writable().select([
          'responses.id',
          toTextParameter(item.kind).as('kind'),
          toIntegerParameter(item.position).as('position'),
          toTextParameter(item.item_id).as('item_id'),
          toTextParameter(itemTexts[index] ?? '').as('item'),
        ]),
      )
      .compile(),
  );
  // The counter moves by the new response object's bytes less the old one's, plus the items', if the response is
  // the tenant's and the condition holds: read before anything is written, like the rest of the transaction's checks.
  const owned = sql`exists ${writable().select('responses.id')}`;
  const added = countStoredBytes([...(update.response === undefined ? [] : [update.response as string]), ...itemTexts]);
  const counter: WriteStatement[] = [ensureTenantStorage(db, tenant)];
  if (update.response !== undefined) counter.push(subtractTenantBytes(db, tenant, sql`${writable().select(sql`octet_length(response)`.as('bytes'))}`));
  if (added > 0) counter.push(addTenantBytes(db, tenant, added, {}, owned));
  return [...counter, ...inserts, last];
}

// Whether the last statement of updateResponseStatements found the response.
function wasFound(result: SqlStatementResult | undefined): boolean {
  return result !== undefined && (result.changes === 1 || result.rows.length === 1);
}

/**
 * Starts a run of a background response that `lease.owner` holds (and that is still queued or in progress), in one
 * transaction: the patch (status in_progress, the pending response object), the lease extended, the run's request id
 * recorded, and the events of an earlier run (one whose replica died) removed, since this run streams from the start.
 * Null when the response is not held by this owner any more (cancelled, or taken over). The answer says where this
 * run's event numbering starts: after the earlier run's, so that a follower still tailing those reads on.
 */
export async function startBackgroundRun(
  db: Kysely<StoreDatabase>,
  executeWrites: ExecuteWrites,
  tenant: string,
  id: string,
  lease: BackgroundLease & { request_id: string },
  patch: StoredResponsePatch,
): Promise<BackgroundRunStart | null> {
  const held = sql`exists ${selectWritableResponse(db, tenant, id, { owner: lease.owner }).select('responses.id')}`;
  const results = await executeWrites([
    db.selectFrom('response_events').select(sql<number>`coalesce(max(sequence_number) + 1, 0)`.as('next')).where('response_id', '=', id).compile(),
    sql`delete from response_events where response_id = ${id} and ${held}`.compile(db),
    ...updateResponseStatements(db, tenant, id, patch, [], { owner: lease.owner }, { lease_expires_at: lease.until, run_request_id: lease.request_id }),
  ]);
  if (!wasFound(results.at(-1))) return null;
  return { first_sequence_number: Number(results[0]?.rows[0]?.next ?? 0) };
}

/** The tenant's response with this id, or null. */
export async function getResponse(db: Kysely<StoreDatabase>, tenant: string, id: string): Promise<StoredResponseRecord | null> {
  const row = await db.selectFrom('responses').selectAll().where('id', '=', id).where('tenant', '=', tenant).executeTakeFirst();
  return row === undefined ? null : toStoredResponseRecord(row);
}

/**
 * Deletes the response with its items and events in one transaction (children first, while the parent still says
 * whose they are), giving their bytes back to the tenant's storage counter.
 */
export async function deleteResponse(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, tenant: string, id: string): Promise<boolean> {
  const results = await executeWrites([
    subtractTenantBytes(db, tenant, selectOwnedResponseBytes(tenant, id)),
    db
      .deleteFrom('response_items')
      .where('response_id', 'in', selectOwnedResponse(db, tenant, id))
      .compile(),
    db
      .deleteFrom('response_events')
      .where('response_id', 'in', selectOwnedResponse(db, tenant, id))
      .compile(),
    db.deleteFrom('responses').where('id', '=', id).where('tenant', '=', tenant).compile(),
  ]);
  return results[3]?.changes === 1;
}

/**
 * A page of one kind of the response's items by position. `after` is an item id of that kind: ascending pages hold
 * the items after its position, descending ones those before; an `after` that names no such item gives an empty page,
 * as does an unknown or foreign response.
 */
export async function listResponseItems(
  db: Kysely<StoreDatabase>,
  tenant: string,
  id: string,
  kind: ResponseItemRecord['kind'],
  { after, limit, order }: ItemPageOptions,
): Promise<ResponseItemRecord[]> {
  let query = db
    .selectFrom('response_items')
    .selectAll()
    .where('response_id', '=', id)
    .where('kind', '=', kind)
    .where((eb) => eb.exists(selectOwnedResponse(db, tenant, id)))
    .orderBy('position', order)
    .limit(limit);
  if (after !== undefined) {
    const anchor = db
      .selectFrom('response_items as anchor')
      .select('anchor.position')
      .where('anchor.response_id', '=', id)
      .where('anchor.kind', '=', kind)
      .where('anchor.item_id', '=', after);
    query = query.where('position', order === 'asc' ? '>' : '<', anchor);
  }
  return (await query.execute()).map(toResponseItemRecord);
}

// One row of the chain query: a response (part 0) or one of its items (part 1, `id` being the response's).
type ChainRow = Selectable<ResponseTable> & Pick<Selectable<ResponseItemTable>, 'kind' | 'position' | 'item_id' | 'item'> & { depth: number; part: number };

/**
 * The chain ending at `id`, in ONE query: a recursive CTE walks previous_response_id within the tenant (depth 0 is
 * `id`), and a union reads each response once and each item once, oldest response first, inputs before outputs. A
 * previous_response_id that names nothing (a deleted response) or another tenant's response ends the chain.
 */
export async function readResponseChain(db: Kysely<StoreDatabase>, tenant: string, id: string): Promise<ResponseChain | null> {
  const query = sql<ChainRow>`
    with recursive chain (id, previous_response_id, depth) as (
      select id, previous_response_id, 0 from responses where id = ${id} and tenant = ${tenant}
      union all
      select responses.id, responses.previous_response_id, chain.depth + 1
      from responses join chain on responses.id = chain.previous_response_id
      where responses.tenant = ${tenant} and chain.depth < ${chainDepthLimit}
    )
    select chain.depth as depth, 0 as part, responses.id as id, responses.tenant as tenant,
      responses.created_at as created_at, responses.updated_at as updated_at, responses.status as status,
      responses.model as model, responses.route as route, responses.previous_response_id as previous_response_id,
      responses.conversation_id as conversation_id, responses.background as background, responses.request as request,
      responses.response as response, responses.usage_event_id as usage_event_id, responses.expires_at as expires_at,
      cast(null as text) as kind, cast(null as integer) as position, cast(null as text) as item_id, cast(null as text) as item
    from chain join responses on responses.id = chain.id
    union all
    select chain.depth, 1, response_items.response_id, cast(null as text), cast(null as text), cast(null as text),
      cast(null as text), cast(null as text), cast(null as text), cast(null as text), cast(null as text),
      cast(null as boolean), cast(null as text), cast(null as text), cast(null as text), cast(null as text),
      response_items.kind, response_items.position, response_items.item_id, response_items.item
    from chain join response_items on response_items.response_id = chain.id
    order by depth desc, part, kind, position`;
  const { rows } = await query.execute(db);
  if (rows.length === 0) return null;
  const chain: ResponseChain = { responses: [], items: [] };
  for (const row of rows) {
    if (Number(row.part) === 0) chain.responses.push(toStoredResponseRecord(row));
    else chain.items.push(toResponseItemRecord({ response_id: row.id, kind: row.kind, position: row.position, item_id: row.item_id, item: row.item }));
  }
  return chain;
}

/** Responses in these statuses, of every tenant, oldest first (ties by id). */
export async function listResponsesByStatus(db: Kysely<StoreDatabase>, statuses: readonly StoredResponseRecord['status'][]): Promise<StoredResponseRecord[]> {
  // `in ()` is an error on PostgreSQL; no status at all matches nothing.
  if (statuses.length === 0) return [];
  const rows = await db.selectFrom('responses').selectAll().where('status', 'in', statuses).orderBy('created_at').orderBy('id').execute();
  return rows.map(toStoredResponseRecord);
}

/**
 * Deletes responses that expired before `before`, with their items and events, in one transaction, giving their
 * bytes back to each tenant's storage counter; resolves with how many went.
 */
export async function pruneResponses(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, before: string): Promise<number> {
  const expired = db.selectFrom('responses').select('id').where('expires_at', '<', before);
  const results = await executeWrites([
    sql`update tenant_storage set bytes = bytes - coalesce((
        select sum(octet_length(expired.request) + octet_length(expired.response)
          + coalesce((select sum(octet_length(response_items.item)) from response_items where response_items.response_id = expired.id), 0))
        from responses as expired where expired.tenant = tenant_storage.tenant and expired.expires_at < ${before}), 0)
      where tenant in (select tenant from responses where expires_at < ${before})`.compile(db),
    db.deleteFrom('response_items').where('response_id', 'in', expired).compile(),
    db.deleteFrom('response_events').where('response_id', 'in', expired).compile(),
    db.deleteFrom('responses').where('expires_at', '<', before).compile(),
  ]);
  return results[3]?.changes ?? 0;
}

/**
 * Appends events in one transaction, skipping (response, sequence number) pairs already stored. Events of a response
 * that is not stored (deleted while its background run still streamed) are dropped, so that they cannot outlive it.
 */
export async function appendResponseEvents(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, events: readonly ResponseEventRecord[]): Promise<void> {
  const byResponse = Map.groupBy(events, (event) => event.response_id);
  const statements: CompiledQuery[] = [];
  for (const [responseId, responseEvents] of byResponse) {
    for (const chunk of splitIntoChunks(responseEvents, eventRowsPerInsert)) {
      // Both SQLite and PostgreSQL name a VALUES list's columns column1, column2, ...
      const values = sql.join(chunk.map((event) => sql`(${toIntegerParameter(event.sequence_number)}, ${toTextParameter(JSON.stringify(event.event))})`));
      statements.push(
        sql`insert into response_events (response_id, sequence_number, event)
          select responses.id, appended.column1, appended.column2
          from responses cross join (values ${values}) as appended
          where responses.id = ${responseId}
          on conflict (response_id, sequence_number) do nothing`.compile(db),
      );
    }
  }
  if (statements.length > 0) await executeWrites(statements);
}

/** The tenant's response's events after sequence number `after`, in order; empty for an unknown or foreign response. */
export async function listResponseEvents(db: Kysely<StoreDatabase>, tenant: string, id: string, after: number): Promise<ResponseEventRecord[]> {
  const rows = await db
    .selectFrom('response_events')
    .selectAll()
    .where('response_id', '=', id)
    .where('sequence_number', '>', after)
    .where((eb) => eb.exists(selectOwnedResponse(db, tenant, id)))
    .orderBy('sequence_number')
    .execute();
  return rows.map(toResponseEventRecord);
}
