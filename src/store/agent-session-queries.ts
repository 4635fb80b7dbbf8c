// Agent sessions with their turns, items and events in portable Kysely (SQLite and PostgreSQL), tenant-scoped.
import { randomUUID } from 'node:crypto';
import { type Kysely, PostgresAdapter, sql, type Selectable } from 'kysely';
import type { AgentDatabase } from './agent-object-queries.ts';
import type {
  AgentEventRecord,
  AgentItemRecord,
  AgentPageOptions,
  AgentSessionPageOptions,
  AgentSessionRecord,
  AgentSessionStatus,
  AgentSessionWrite,
  AgentTurnRecord,
} from './agent-records.ts';
import type { AgentSessionTable } from './agent-tables.ts';
import { toIntegerParameter, toTextParameter } from './runtime-rows.ts';
import { addTenantBytes, countStoredBytes, ensureTenantStorage, subtractTenantBytes } from './runtime-storage-queries.ts';
import type { StoreDatabase } from './store-database.ts';
import type { ExecuteWrites, WriteStatement } from './store-records.ts';

// The tenant's storage counter is StoreDatabase's table, on the same connection: only the query builder's types differ.
function storageDb(db: AgentDatabase): Kysely<StoreDatabase> {
  return db as unknown as Kysely<StoreDatabase>;
}

function toSessionRecord(row: Selectable<AgentSessionTable>): AgentSessionRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    agent_id: row.agent_id,
    created_at: row.created_at,
    updated_at: row.updated_at,
    last_active_at: row.last_active_at,
    status: row.status as AgentSessionStatus,
    state: JSON.parse(row.state) as Record<string, unknown>,
    active_turn_id: row.active_turn_id,
    event_seq: Number(row.event_seq),
    item_count: Number(row.item_seq),
    owner: row.owner,
    lease_expires_at: row.lease_expires_at,
    version: row.write_token,
  };
}

// The events appended by the write that set `token` on the session's row, numbered from the row's moved counter.
function appendEvents(db: AgentDatabase, id: string, token: string, events: readonly Record<string, unknown>[]): WriteStatement[] {
  return events.map((event, index) =>
    db
      .insertInto('agent_events')
      .columns(['session_id', 'seq', 'event'])
      .expression(
        db
          .selectFrom('agent_sessions')
          .select([
            'id',
            sql<number>`event_seq - ${toIntegerParameter(events.length - 1 - index)}`.as('seq'),
            toTextParameter(JSON.stringify(event)).as('event'),
          ])
          .where('id', '=', id)
          .where('write_token', '=', token),
      )
      .compile(),
  );
}

/** Inserts the session and its first events (numbered from 1) in one transaction. */
export async function insertAgentSession(
  db: AgentDatabase,
  executeWrites: ExecuteWrites,
  session: Omit<AgentSessionRecord, 'event_seq' | 'item_count' | 'version'>,
  events: readonly Record<string, unknown>[],
): Promise<void> {
  const token = randomUUID();
  await executeWrites([
    db
      .insertInto('agent_sessions')
      .values({ ...session, state: JSON.stringify(session.state), event_seq: events.length, item_seq: 0, write_token: token })
      .compile(),
    ...appendEvents(db, session.id, token, events),
  ]);
}

export async function getAgentSession(db: AgentDatabase, tenant: string, id: string): Promise<AgentSessionRecord | null> {
  const row = await db.selectFrom('agent_sessions').selectAll().where('id', '=', id).where('tenant', '=', tenant).executeTakeFirst();
  return row === undefined ? null : toSessionRecord(row);
}

/**
 * Whether the session's metadata (in its state's JSON) holds `value` under `key`: exact text, on either backend
 * (SQLite's json_each over the object, PostgreSQL's jsonb), keys and values as parameters.
 */
function metadataMatches(db: AgentDatabase, key: string, value: string) {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return sql<boolean>`(cast(state as jsonb) -> 'metadata' ->> ${key}) = ${value}`;
  return sql<boolean>`exists (select 1 from json_each(state, '$.metadata') where json_each.key = ${key} and json_each.value = ${value})`;
}

export async function listAgentSessions(db: AgentDatabase, tenant: string, page: AgentSessionPageOptions): Promise<AgentSessionRecord[]> {
  let query = db.selectFrom('agent_sessions').selectAll().where('tenant', '=', tenant);
  if (page.agentId !== undefined) query = query.where('agent_id', '=', page.agentId);
  for (const [key, value] of Object.entries(page.metadata ?? {})) query = query.where(metadataMatches(db, key, value));
  if (page.after !== undefined) {
    const after = await getAgentSession(db, tenant, page.after);
    if (after === null) return [];
    const op = page.order === 'asc' ? '>' : '<';
    query = query.where((eb) => eb.or([eb('created_at', op, after.created_at), eb.and([eb('created_at', '=', after.created_at), eb('id', op, after.id)])]));
  }
  const rows = await query.orderBy('created_at', page.order).orderBy('id', page.order).limit(page.limit).execute();
  return rows.map(toSessionRecord);
}

/**
 * One session write in one transaction. The session's row is updated first, under the condition, setting a fresh
 * write token and moving the event and item counters by what is appended; every other statement selects the row by
 * that token, so that it writes nothing when the condition failed, and the row lock orders concurrent writers.
 */
export async function writeAgentSession(
  db: AgentDatabase,
  executeWrites: ExecuteWrites,
  tenant: string,
  id: string,
  write: AgentSessionWrite,
): Promise<boolean> {
  const token = randomUUID();
  const events = write.events ?? [];
  const items = write.items ?? [];
  const { state, ...columns } = write.patch;
  let update = db
    .updateTable('agent_sessions')
    .set({
      ...columns,
      ...(state === undefined ? {} : { state: JSON.stringify(state) }),
      write_token: token,
      event_seq: sql<number>`event_seq + ${toIntegerParameter(events.length)}`,
      item_seq: sql<number>`item_seq + ${toIntegerParameter(items.length)}`,
    })
    .where('id', '=', id)
    .where('tenant', '=', tenant);
  const condition = write.condition ?? {};
  if (condition.statuses !== undefined) update = update.where('status', 'in', [...condition.statuses]);
  if (condition.activeTurnId !== undefined) update = update.where('active_turn_id', '=', condition.activeTurnId);
  if (condition.owner !== undefined) update = update.where('owner', '=', condition.owner);
  if (condition.version !== undefined) update = update.where('write_token', condition.version === null ? 'is' : '=', condition.version);
  const held = db.selectFrom('agent_sessions').select('id').where('id', '=', id).where('write_token', '=', token);
  const statements: WriteStatement[] = [update.compile(), ...countItemBytes(db, tenant, id, token, write)];
  for (const turn of write.turns ?? []) {
    statements.push(
      db
        .updateTable('agent_turns')
        .set({ status: turn.status, turn: JSON.stringify(turn.turn) })
        .where('id', '=', turn.id)
        .where('session_id', 'in', held)
        .compile(),
      db
        .insertInto('agent_turns')
        .columns(['id', 'session_id', 'created_at', 'status', 'turn'])
        .expression(
          db
            .selectFrom('agent_sessions')
            .select([
              toTextParameter(turn.id).as('id'),
              'id as session_id',
              toTextParameter(turn.created_at).as('created_at'),
              toTextParameter(turn.status).as('status'),
              toTextParameter(JSON.stringify(turn.turn)).as('turn'),
            ])
            .where('id', '=', id)
            .where('write_token', '=', token)
            .where((eb) => eb.not(eb.exists(eb.selectFrom('agent_turns').select('id').where('id', '=', turn.id)))),
        )
        .compile(),
    );
  }
  items.forEach((item, index) => {
    statements.push(
      db
        .insertInto('agent_items')
        .columns(['id', 'session_id', 'turn_id', 'position', 'item'])
        .expression(
          db
            .selectFrom('agent_sessions')
            .select([
              toTextParameter(item.id).as('id'),
              'id as session_id',
              toTextParameter(item.turn_id).as('turn_id'),
              sql<number>`item_seq - ${toIntegerParameter(items.length - 1 - index)}`.as('position'),
              toTextParameter(JSON.stringify(item.item)).as('item'),
            ])
            .where('id', '=', id)
            .where('write_token', '=', token),
        )
        .compile(),
    );
  });
  for (const item of write.updatedItems ?? []) {
    statements.push(
      db
        .updateTable('agent_items')
        .set({ item: JSON.stringify(item.item) })
        .where('id', '=', item.id)
        .where('session_id', 'in', held)
        .compile(),
    );
  }
  statements.push(...appendEvents(db, id, token, events));
  const [updated] = await executeWrites(statements);
  return updated?.changes === 1;
}

/**
 * The tenant's storage counter moved by a write's items (appended, and replaced: the old text's bytes given back),
 * when the write holds the session; with `write.limits`, a guard on the tenant's bytes.
 */
function countItemBytes(db: AgentDatabase, tenant: string, id: string, token: string, write: AgentSessionWrite): WriteStatement[] {
  const items = write.items ?? [];
  const updated = write.updatedItems ?? [];
  if (items.length === 0 && updated.length === 0) return [];
  const store = storageDb(db);
  const holds = sql`exists (select id from agent_sessions where id = ${id} and write_token = ${token})`;
  const statements: WriteStatement[] = [ensureTenantStorage(store, tenant)];
  for (const item of updated) {
    const old = sql`select octet_length(item) from agent_items where id = ${item.id}
      and session_id in (select id from agent_sessions where id = ${id} and write_token = ${token})`;
    statements.push(subtractTenantBytes(store, tenant, old));
  }
  const bytes = countStoredBytes([...items, ...updated].map((item) => JSON.stringify(item.item)));
  statements.push(addTenantBytes(store, tenant, bytes, write.limits ?? {}, holds));
  return statements;
}

export async function deleteAgentSession(db: AgentDatabase, executeWrites: ExecuteWrites, tenant: string, id: string): Promise<boolean> {
  const owned = db.selectFrom('agent_sessions').select('id').where('id', '=', id).where('tenant', '=', tenant);
  const results = await executeWrites([
    subtractTenantBytes(
      storageDb(db),
      tenant,
      sql`select sum(octet_length(item)) from agent_items where session_id in (select id from agent_sessions where id = ${id} and tenant = ${tenant})`,
    ),
    db.deleteFrom('agent_events').where('session_id', 'in', owned).compile(),
    db.deleteFrom('agent_items').where('session_id', 'in', owned).compile(),
    db.deleteFrom('agent_turns').where('session_id', 'in', owned).compile(),
    db.deleteFrom('agent_sessions').where('id', '=', id).where('tenant', '=', tenant).compile(),
  ]);
  return results[4]?.changes === 1;
}

function toTurnRecord(row: { id: string; session_id: string; created_at: string; status: string; turn: string }): AgentTurnRecord {
  return { id: row.id, session_id: row.session_id, created_at: row.created_at, status: row.status, turn: JSON.parse(row.turn) as Record<string, unknown> };
}

async function ownsSession(db: AgentDatabase, tenant: string, id: string): Promise<boolean> {
  return (await db.selectFrom('agent_sessions').select('id').where('id', '=', id).where('tenant', '=', tenant).executeTakeFirst()) !== undefined;
}

export async function listAgentTurns(db: AgentDatabase, tenant: string, sessionId: string, page: AgentPageOptions): Promise<AgentTurnRecord[] | null> {
  if (!(await ownsSession(db, tenant, sessionId))) return null;
  let query = db.selectFrom('agent_turns').selectAll().where('session_id', '=', sessionId);
  if (page.after !== undefined) {
    const after = await db.selectFrom('agent_turns').selectAll().where('id', '=', page.after).where('session_id', '=', sessionId).executeTakeFirst();
    if (after === undefined) return [];
    const op = page.order === 'asc' ? '>' : '<';
    query = query.where((eb) => eb.or([eb('created_at', op, after.created_at), eb.and([eb('created_at', '=', after.created_at), eb('id', op, after.id)])]));
  }
  const rows = await query.orderBy('created_at', page.order).orderBy('id', page.order).limit(page.limit).execute();
  return rows.map(toTurnRecord);
}

export async function getAgentTurn(db: AgentDatabase, tenant: string, sessionId: string, turnId: string): Promise<AgentTurnRecord | null> {
  if (!(await ownsSession(db, tenant, sessionId))) return null;
  const row = await db.selectFrom('agent_turns').selectAll().where('id', '=', turnId).where('session_id', '=', sessionId).executeTakeFirst();
  return row === undefined ? null : toTurnRecord(row);
}

export async function listAgentItems(
  db: AgentDatabase,
  tenant: string,
  sessionId: string,
  page: AgentPageOptions & { turnId?: string },
): Promise<AgentItemRecord[] | null> {
  if (!(await ownsSession(db, tenant, sessionId))) return null;
  let query = db.selectFrom('agent_items').selectAll().where('session_id', '=', sessionId);
  if (page.turnId !== undefined) query = query.where('turn_id', '=', page.turnId);
  if (page.after !== undefined) {
    const after = await db.selectFrom('agent_items').select('position').where('id', '=', page.after).where('session_id', '=', sessionId).executeTakeFirst();
    if (after === undefined) return [];
    query = query.where('position', page.order === 'asc' ? '>' : '<', Number(after.position));
  }
  const rows = await query.orderBy('position', page.order).limit(page.limit).execute();
  return rows.map((row) => ({
    id: row.id,
    session_id: row.session_id,
    turn_id: row.turn_id,
    position: Number(row.position),
    item: JSON.parse(row.item) as Record<string, unknown>,
  }));
}

export async function listAgentEvents(db: AgentDatabase, tenant: string, sessionId: string, after: number, limit: number): Promise<AgentEventRecord[]> {
  const rows = await db
    .selectFrom('agent_events')
    .selectAll()
    .where('session_id', 'in', db.selectFrom('agent_sessions').select('id').where('id', '=', sessionId).where('tenant', '=', tenant))
    .where('seq', '>', after)
    .orderBy('seq', 'asc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ session_id: row.session_id, seq: Number(row.seq), event: JSON.parse(row.event) as Record<string, unknown> }));
}

export async function listOrphanedAgentSessions(db: AgentDatabase, now: string, limit: number): Promise<AgentSessionRecord[]> {
  const rows = await db
    .selectFrom('agent_sessions')
    .selectAll()
    .where('owner', 'is not', null)
    .where('lease_expires_at', '<', now)
    .orderBy('lease_expires_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(toSessionRecord);
}

export async function renewAgentSessionLeases(
  db: AgentDatabase,
  executeWrites: ExecuteWrites,
  owner: string,
  ids: readonly string[],
  until: string,
): Promise<string[]> {
  if (ids.length === 0) return [];
  await executeWrites([
    db
      .updateTable('agent_sessions')
      .set({ lease_expires_at: until })
      .where('owner', '=', owner)
      .where('id', 'in', [...ids])
      .compile(),
  ]);
  const rows = await db
    .selectFrom('agent_sessions')
    .select('id')
    .where('owner', '=', owner)
    .where('id', 'in', [...ids])
    .execute();
  return rows.map((row) => row.id);
}

/** The statements that erase a tenant's agents and sessions (with turns, items and events), for eraseTenantData's transaction. */
export function eraseTenantAgentStatements(db: AgentDatabase, tenant: string): WriteStatement[] {
  const sessionIds = db.selectFrom('agent_sessions').select('id').where('tenant', '=', tenant);
  return [
    db.deleteFrom('agent_events').where('session_id', 'in', sessionIds).compile(),
    db.deleteFrom('agent_items').where('session_id', 'in', sessionIds).compile(),
    db.deleteFrom('agent_turns').where('session_id', 'in', sessionIds).compile(),
    db.deleteFrom('agent_sessions').where('tenant', '=', tenant).compile(),
    db.deleteFrom('agents').where('tenant', '=', tenant).compile(),
  ];
}
