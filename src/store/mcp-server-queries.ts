// Registered MCP servers in portable Kysely (SQLite and PostgreSQL): every read and write scoped by tenant.
import type { Kysely, Selectable } from 'kysely';
import type { McpServerPatch, McpServerRecord } from './mcp-server-records.ts';
import type { McpServerTable, StoreDatabase } from './store-database.ts';
import type { ExecuteWrites, WriteStatement } from './store-records.ts';

/** Inserts a server; false (nothing written) when the tenant already has one with this label. */
export async function insertMcpServer(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, record: McpServerRecord): Promise<boolean> {
  const [inserted] = await executeWrites([
    db
      .insertInto('mcp_servers')
      .values(toMcpServerRow(record))
      .onConflict((conflict) => conflict.columns(['tenant', 'label']).doNothing())
      .compile(),
  ]);
  return inserted?.changes === 1;
}

export async function getMcpServer(db: Kysely<StoreDatabase>, tenant: string, id: string): Promise<McpServerRecord | null> {
  const row = await db.selectFrom('mcp_servers').selectAll().where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst();
  return row === undefined ? null : toMcpServerRecord(row);
}

export async function findMcpServerByLabel(db: Kysely<StoreDatabase>, tenant: string, label: string): Promise<McpServerRecord | null> {
  const row = await db.selectFrom('mcp_servers').selectAll().where('tenant', '=', tenant).where('label', '=', label).executeTakeFirst();
  return row === undefined ? null : toMcpServerRecord(row);
}

/** The tenant's servers by label (a tenant registers few; the admin API bounds how many). */
export async function listMcpServers(db: Kysely<StoreDatabase>, tenant: string): Promise<McpServerRecord[]> {
  return (await db.selectFrom('mcp_servers').selectAll().where('tenant', '=', tenant).orderBy('label').execute()).map(toMcpServerRecord);
}

export async function updateMcpServer(
  db: Kysely<StoreDatabase>,
  executeWrites: ExecuteWrites,
  tenant: string,
  id: string,
  patch: McpServerPatch,
): Promise<McpServerRecord | null> {
  const update: Partial<Selectable<McpServerTable>> = {};
  if (patch.url !== undefined) update.url = patch.url;
  if (patch.description !== undefined) update.description = patch.description;
  if (patch.headers !== undefined) update.headers = JSON.stringify(patch.headers);
  if (patch.credential_id !== undefined) update.credential_id = patch.credential_id;
  if (patch.allowed_tools !== undefined) update.allowed_tools = patch.allowed_tools === null ? null : JSON.stringify(patch.allowed_tools);
  if (patch.require_approval !== undefined) update.require_approval = JSON.stringify(patch.require_approval);
  if (patch.network !== undefined) update.network = patch.network;
  if (patch.updated_at !== undefined) update.updated_at = patch.updated_at;
  const [updated] = await executeWrites([db.updateTable('mcp_servers').set(update).where('tenant', '=', tenant).where('id', '=', id).returningAll().compile()]);
  const row = updated?.rows[0];
  return row === undefined ? null : toMcpServerRecord(row as unknown as Selectable<McpServerTable>);
}

export async function deleteMcpServer(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, tenant: string, id: string): Promise<boolean> {
  const [deleted] = await executeWrites([db.deleteFrom('mcp_servers').where('tenant', '=', tenant).where('id', '=', id).compile()]);
  return deleted?.changes === 1;
}

/** The statements that erase a tenant's registered MCP servers (their sealed credentials with them), for eraseTenantData. */
export function eraseTenantMcpServerStatements(db: Kysely<StoreDatabase>, tenant: string): WriteStatement[] {
  return [db.deleteFrom('mcp_servers').where('tenant', '=', tenant).compile()];
}

function toMcpServerRow(record: McpServerRecord): Selectable<McpServerTable> {
  return {
    id: record.id,
    tenant: record.tenant,
    label: record.label,
    url: record.url,
    description: record.description,
    headers: JSON.stringify(record.headers),
    credential_id: record.credential_id,
    allowed_tools: record.allowed_tools === null ? null : JSON.stringify(record.allowed_tools),
    require_approval: JSON.stringify(record.require_approval),
    network: record.network,
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
}

// Copies into a plain object: node:sqlite returns rows with a null prototype.
function toMcpServerRecord(row: Selectable<McpServerTable>): McpServerRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    label: row.label,
    url: row.url,
    description: row.description,
    headers: JSON.parse(row.headers) as Record<string, string>,
    credential_id: row.credential_id,
    allowed_tools: row.allowed_tools === null ? null : JSON.parse(row.allowed_tools),
    require_approval: JSON.parse(row.require_approval),
    network: row.network === 'private' ? 'private' : 'public',
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
