// Dashboard sign-in as the store keeps it: sessions (by the hash of their id, never the id) and the audit log of admin
// actions. Neither holds a secret: no key, no token, no session id in clear.

/** Who a dashboard session acts as. */
export type DashboardRole = 'admin' | 'tenant_admin' | 'viewer';

/** One signed-in dashboard session. */
export interface DashboardSessionRecord {
  /** SHA-256 (hex) of the session id the cookie carries; the id itself is never stored. */
  id_hash: string;
  /** How it was opened: with the master or an admin key, or through OpenID Connect. */
  via: 'key' | 'oidc';
  role: DashboardRole;
  /** The tenant it is confined to; null for every tenant (`admin`, or a viewer of all). */
  tenant: string | null;
  /** The virtual key that opened it; null for the master key and OIDC sessions. */
  key_id: string | null;
  /**
   * A keyed fingerprint of the key that opened it (master or virtual key, as it was at sign-in): a rotated key, or a
   * changed master key, no longer matches and ends the session. Null for OIDC sessions.
   */
  key_fingerprint: string | null;
  /** Who opened it, for the per-user bound on sessions: `master`, `key:<id>`, or `oidc:<issuer>#<subject>`. */
  subject: string;
  /** Shown in the dashboard and the audit log (a key's name, an OIDC user's e-mail or name). */
  name: string;
  created_at: string;
  last_seen_at: string;
  /** The absolute end of the session, whatever its activity. */
  expires_at: string;
}

/** Who did an audited action. */
export interface AuditActor {
  kind: 'master' | 'key' | 'oidc';
  /** The key id or the OIDC subject; null for the master key. */
  id: string | null;
  name: string | null;
}

/** One audited action. */
export interface AuditRecord {
  /** `aud_...`, time-ordered: id order is creation order. */
  id: string;
  created_at: string;
  actor: AuditActor;
  /** The tenant the action touched (or the actor's, when it touched none); null for installation-wide actions. */
  tenant_id: string | null;
  /** `tenant.create`, `key.rotate`, `config.reload`, `login`, `login.failed`, `logout`, `mcp_server.create`, ... */
  action: string;
  target: { type: string; id: string | null } | null;
  outcome: 'ok' | 'denied' | 'error';
  /** The client address; null for actions no client made (a configuration reload on SIGHUP). */
  ip: string | null;
}

/** A page of the audit log, newest first. */
export interface AuditFilter {
  limit: number;
  /** Only entries older than this id (the `last_id` of the previous page). */
  after?: string;
  tenant?: string;
  action?: string;
  /** ISO instants, `since` inclusive and `until` exclusive. */
  since?: string;
  until?: string;
}

/** The dashboard sign-in part of the Store. */
export interface AuthStore {
  /**
   * Stores a session, then drops the oldest sessions of its subject beyond `maxPerSubject` (the new one is kept), so
   * that one user cannot pile up sessions without bound.
   */
  insertDashboardSession(session: DashboardSessionRecord, maxPerSubject: number): Promise<void>;
  getDashboardSession(idHash: string): Promise<DashboardSessionRecord | null>;
  /** Moves `last_seen_at` forward (sliding the idle expiry). */
  touchDashboardSession(idHash: string, at: string): Promise<void>;
  /** Ends one session; false when there was none. */
  deleteDashboardSession(idHash: string): Promise<boolean>;
  /** Deletes sessions past their absolute end (`expires_at` before `now`) or idle since before `idleBefore`. */
  pruneDashboardSessions(now: string, idleBefore: string): Promise<number>;
  insertAuditRecord(record: AuditRecord): Promise<void>;
  /** Newest first (by id, which is time-ordered). */
  listAuditRecords(filter: AuditFilter): Promise<AuditRecord[]>;
  /** Deletes audit entries created before `olderThan`; resolves with how many went. */
  pruneAuditRecords(olderThan: string): Promise<number>;
}
