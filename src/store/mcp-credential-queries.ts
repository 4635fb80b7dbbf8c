// Registered MCP credentials in portable Kysely (SQLite and PostgreSQL): every read and write scoped by tenant.
import type { Kysely, Selectable } from 'kysely';
import type { McpCredentialRecord } from './mcp-credential-records.ts';
import type { McpCredentialTable, StoreDatabase } from './store-database.ts';
import type { ExecuteWrites, WriteStatement } from './store-records.ts';

export async function insertMcpCredential(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, record: McpCredentialRecord): Promise<void> {
  await executeWrites([db.insertInto('mcp_credentials').values(toRow(record)).compile()]);
}

export async function getMcpCredential(db: Kysely<StoreDatabase>, tenant: string, id: string): Promise<McpCredentialRecord | null> {
  const row = await db.selectFrom('mcp_credentials').selectAll().where('tenant', '=', tenant).where('id', '=', id).executeTakeFirst();
  return row === undefined ? null : toRecord(row);
}

/** The tenant's credentials, oldest first (the admin API bounds how many a tenant keeps). */
export async function listMcpCredentials(db: Kysely<StoreDatabase>, tenant: string): Promise<McpCredentialRecord[]> {
  return (await db.selectFrom('mcp_credentials').selectAll().where('tenant', '=', tenant).orderBy('created_at').orderBy('id').execute()).map(toRecord);
}

export async function deleteMcpCredential(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, tenant: string, id: string): Promise<boolean> {
  const [deleted] = await executeWrites([db.deleteFrom('mcp_credentials').where('tenant', '=', tenant).where('id', '=', id).compile()]);
  return deleted?.changes === 1;
}

/** The statements that erase a tenant's registered credentials, for eraseTenantData's transaction. */
export function eraseTenantMcpCredentialStatements(db: Kysely<StoreDatabase>, tenant: string): WriteStatement[] {
  return [db.deleteFrom('mcp_credentials').where('tenant', '=', tenant).compile()];
}

function toRow(record: McpCredentialRecord): Selectable<McpCredentialTable> {
  return {
    id: record.id,
    tenant: record.tenant,
    name: record.name,
    server_url: record.server_url,
    headers: JSON.stringify(record.headers),
    created_at: record.created_at,
    updated_at: record.updated_at,
  };
}

// Copies into a plain object: node:sqlite returns rows with a null prototype.
function toRecord(row: Selectable<McpCredentialTable>): McpCredentialRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    name: row.name,
    server_url: row.server_url,
    headers: JSON.parse(row.headers) as Record<string, string>,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
