// Saved agents in portable Kysely (SQLite and PostgreSQL): KyselyStore's agent writes and reads, tenant-scoped.
import type { Kysely, Selectable } from 'kysely';
import type { AgentPageOptions, AgentRecord } from './agent-records.ts';
import type { AgentTable, AgentTables } from './agent-tables.ts';
import type { ExecuteWrites } from './store-records.ts';

/** The store's database with the agent tables. */
export type AgentDatabase = Kysely<AgentTables>;

function toAgentRecord(row: Selectable<AgentTable>): AgentRecord {
  return { id: row.id, tenant: row.tenant, created_at: row.created_at, updated_at: row.updated_at, config: JSON.parse(row.config) as Record<string, unknown> };
}

export async function insertAgent(db: AgentDatabase, executeWrites: ExecuteWrites, agent: AgentRecord): Promise<void> {
  await executeWrites([
    db
      .insertInto('agents')
      .values({ ...agent, config: JSON.stringify(agent.config) })
      .compile(),
  ]);
}

export async function getAgent(db: AgentDatabase, tenant: string, id: string): Promise<AgentRecord | null> {
  const row = await db.selectFrom('agents').selectAll().where('id', '=', id).where('tenant', '=', tenant).executeTakeFirst();
  return row === undefined ? null : toAgentRecord(row);
}

/** The tenant's agents by (created_at, id) in `order`, after the agent `page.after` (none when it is not the tenant's). */
export async function listAgents(db: AgentDatabase, tenant: string, page: AgentPageOptions): Promise<AgentRecord[]> {
  let query = db.selectFrom('agents').selectAll().where('tenant', '=', tenant);
  if (page.after !== undefined) {
    const after = await getAgent(db, tenant, page.after);
    if (after === null) return [];
    const op = page.order === 'asc' ? '>' : '<';
    query = query.where((eb) => eb.or([eb('created_at', op, after.created_at), eb.and([eb('created_at', '=', after.created_at), eb('id', op, after.id)])]));
  }
  const rows = await query.orderBy('created_at', page.order).orderBy('id', page.order).limit(page.limit).execute();
  return rows.map(toAgentRecord);
}

export async function updateAgent(
  db: AgentDatabase,
  executeWrites: ExecuteWrites,
  tenant: string,
  id: string,
  config: Record<string, unknown>,
  updatedAt: string,
): Promise<AgentRecord | null> {
  const [updated] = await executeWrites([
    db
      .updateTable('agents')
      .set({ config: JSON.stringify(config), updated_at: updatedAt })
      .where('id', '=', id)
      .where('tenant', '=', tenant)
      .compile(),
  ]);
  return updated?.changes === 1 ? getAgent(db, tenant, id) : null;
}

export async function deleteAgent(db: AgentDatabase, executeWrites: ExecuteWrites, tenant: string, id: string): Promise<boolean> {
  const [deleted] = await executeWrites([db.deleteFrom('agents').where('id', '=', id).where('tenant', '=', tenant).compile()]);
  return deleted?.changes === 1;
}
