// Dashboard sessions and the audit log in portable Kysely (SQLite and PostgreSQL).
import type { Kysely, Selectable } from 'kysely';
import type { AuditFilter, AuditRecord, DashboardSessionRecord } from './auth-records.ts';
import type { AuditLogTable, DashboardSessionTable, StoreDatabase } from './store-database.ts';
import type { ExecuteWrites } from './store-records.ts';

export async function insertDashboardSession(
  db: Kysely<StoreDatabase>,
  executeWrites: ExecuteWrites,
  session: DashboardSessionRecord,
  maxPerSubject: number,
): Promise<void> {
  await executeWrites([db.insertInto('dashboard_sessions').values(session).compile()]);
  // The oldest beyond the bound go; the new one is the newest, so it stays (ties on created_at broken by the hash).
  const surplus = await db
    .selectFrom('dashboard_sessions')
    .select('id_hash')
    .where('subject', '=', session.subject)
    .orderBy('created_at', 'desc')
    .orderBy('id_hash', 'desc')
    .offset(Math.max(1, maxPerSubject))
    .limit(1000)
    .execute();
  const doomed = surplus.map((row) => row.id_hash).filter((hash) => hash !== session.id_hash);
  if (doomed.length > 0) await executeWrites([db.deleteFrom('dashboard_sessions').where('id_hash', 'in', doomed).compile()]);
}

export async function getDashboardSession(db: Kysely<StoreDatabase>, idHash: string): Promise<DashboardSessionRecord | null> {
  const row = await db.selectFrom('dashboard_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
  return row === undefined ? null : toSessionRecord(row);
}

export async function touchDashboardSession(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, idHash: string, at: string): Promise<void> {
  await executeWrites([db.updateTable('dashboard_sessions').set({ last_seen_at: at }).where('id_hash', '=', idHash).where('last_seen_at', '<', at).compile()]);
}

export async function deleteDashboardSession(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, idHash: string): Promise<boolean> {
  const [deleted] = await executeWrites([db.deleteFrom('dashboard_sessions').where('id_hash', '=', idHash).compile()]);
  return deleted?.changes === 1;
}

export async function pruneDashboardSessions(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, now: string, idleBefore: string): Promise<number> {
  const [deleted] = await executeWrites([
    db
      .deleteFrom('dashboard_sessions')
      .where((eb) => eb.or([eb('expires_at', '<', now), eb('last_seen_at', '<', idleBefore)]))
      .compile(),
  ]);
  return deleted?.changes ?? 0;
}

export async function insertAuditRecord(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, record: AuditRecord): Promise<void> {
  await executeWrites([db.insertInto('audit_log').values(toAuditRow(record)).compile()]);
}

export async function listAuditRecords(db: Kysely<StoreDatabase>, filter: AuditFilter): Promise<AuditRecord[]> {
  let query = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.after !== undefined) query = query.where('id', '<', filter.after);
  if (filter.tenant !== undefined) query = query.where('tenant_id', '=', filter.tenant);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('created_at', '<', filter.until);
  return (await query.execute()).map(toAuditRecord);
}

export async function pruneAuditRecords(db: Kysely<StoreDatabase>, executeWrites: ExecuteWrites, olderThan: string): Promise<number> {
  const [deleted] = await executeWrites([db.deleteFrom('audit_log').where('created_at', '<', olderThan).compile()]);
  return deleted?.changes ?? 0;
}

// Copies into a plain object: node:sqlite returns rows with a null prototype.
function toSessionRecord(row: Selectable<DashboardSessionTable>): DashboardSessionRecord {
  return {
    id_hash: row.id_hash,
    via: row.via === 'oidc' ? 'oidc' : 'key',
    role: row.role === 'admin' || row.role === 'tenant_admin' ? row.role : 'viewer',
    tenant: row.tenant,
    key_id: row.key_id,
    key_fingerprint: row.key_fingerprint,
    subject: row.subject,
    name: row.name,
    created_at: row.created_at,
    last_seen_at: row.last_seen_at,
    expires_at: row.expires_at,
  };
}

function toAuditRow(record: AuditRecord): Selectable<AuditLogTable> {
  return {
    id: record.id,
    created_at: record.created_at,
    actor_kind: record.actor.kind,
    actor_id: record.actor.id,
    actor_name: record.actor.name,
    tenant_id: record.tenant_id,
    action: record.action,
    target_type: record.target?.type ?? null,
    target_id: record.target?.id ?? null,
    outcome: record.outcome,
    ip: record.ip,
  };
}

function toAuditRecord(row: Selectable<AuditLogTable>): AuditRecord {
  const kind = row.actor_kind === 'master' || row.actor_kind === 'oidc' ? row.actor_kind : 'key';
  const outcome = row.outcome === 'ok' || row.outcome === 'denied' ? row.outcome : 'error';
  return {
    id: row.id,
    created_at: row.created_at,
    actor: { kind, id: row.actor_id, name: row.actor_name },
    tenant_id: row.tenant_id,
    action: row.action,
    target: row.target_type === null ? null : { type: row.target_type, id: row.target_id },
    outcome,
    ip: row.ip,
  };
}
