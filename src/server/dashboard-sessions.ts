// Dashboard sessions: opened by a key sign-in or OpenID Connect, kept in the store by the SHA-256 of their id (so that a
// sign-out or a revocation holds on every replica), and resolved on every request to the Principal the admin checks
// understand. The cookie carries a random id; the CSRF token is derived from it with the installation's session secret.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../calls/index.ts';
import type { UiConfig } from '../catalog/index.ts';
import type { Counters, DashboardRole, DashboardSessionRecord, Store, TenantRecord } from '../store/index.ts';
import type { Tenancy } from '../tenancy/index.ts';

/** The store setting holding the secret that CSRF tokens and key fingerprints are keyed with (shared by replicas). */
export const SESSION_SECRET_SETTING = 'dashboard_session_secret';

/** A session id: 32 random bytes, base64url (43 characters). */
const SESSION_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** A session's last use is written at most this often (not on every request). */
const TOUCH_INTERVAL_MS = 60_000;

/** Who a session acts as, as `/ui/api/session` answers. */
export interface DashboardUser {
  name: string;
  role: DashboardRole;
  tenant_id: string | null;
  via: 'key' | 'oidc';
}

/** A live session, resolved for one request. */
export interface ResolvedSession {
  record: DashboardSessionRecord;
  principal: Principal;
  user: DashboardUser;
  csrfToken: string;
}

/** What opening a session needs to know of who signed in. */
export type SessionOpening =
  | { via: 'key'; principal: Principal; name: string }
  | { via: 'oidc'; role: DashboardRole; tenant: string | null; subject: string; name: string };

export interface DashboardSessionsOptions {
  store: Store;
  tenancy: Pick<Tenancy, 'findLiveKey'>;
  masterKey: Buffer;
  masterTenant(): Promise<TenantRecord>;
  counters: Counters;
  /** From the store setting SESSION_SECRET_SETTING. */
  secret: Buffer;
  config: UiConfig;
  now: () => Date;
}

/** Opens, resolves and ends dashboard sessions. */
export class DashboardSessions {
  readonly #options: DashboardSessionsOptions;
  readonly #masterFingerprint: string;

  constructor(options: DashboardSessionsOptions) {
    this.#options = options;
    this.#masterFingerprint = this.#fingerprint(options.masterKey.toString());
  }

  /** The ui.* settings. */
  get config(): UiConfig {
    return this.#options.config;
  }

  /**
   * Takes one sign-in attempt from the client address's allowance (ui.sign_in_rate_per_minute, shared by replicas
   * through the counters); false when the address has used it up. Cheap: runs before any key lookup.
   */
  async takeSignInAttempt(address: string): Promise<{ allowed: boolean; retryAfterMs: number }> {
    const result = await this.#options.counters.take(`signin:${address}`, 1, this.#options.config.sign_in_rate_per_minute, 60_000);
    return { allowed: result.allowed, retryAfterMs: result.retryAfterMs };
  }

  /** Opens a session; resolves with the cookie's value (shown to nobody else) and the session as resolved. */
  async open(opening: SessionOpening): Promise<{ token: string; session: ResolvedSession }> {
    const token = randomBytes(32).toString('base64url');
    const now = this.#options.now();
    const record: DashboardSessionRecord = {
      id_hash: hashSessionToken(token),
      ...this.#describe(opening),
      name: opening.name.slice(0, 200),
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      expires_at: new Date(now.getTime() + this.#options.config.session_ttl * 1000).toISOString(),
    };
    await this.#options.store.insertDashboardSession(record, this.#options.config.max_sessions_per_user);
    const session = await this.#resolveRecord(record);
    if (session === null) throw new Error('a session just opened did not resolve');
    return { token, session };
  }

  /**
   * The live session behind a cookie's value, or null: unknown, signed out, past its absolute or idle end, or its key
   * revoked, rotated or expired, its tenant deleted, or the master key changed (such a session is deleted too).
   */
  async resolve(token: string): Promise<ResolvedSession | null> {
    if (!SESSION_TOKEN_SHAPE.test(token)) return null;
    const record = await this.#options.store.getDashboardSession(hashSessionToken(token));
    if (record === null) return null;
    const nowMs = this.#options.now().getTime();
    const idleEnd = Date.parse(record.last_seen_at) + this.#options.config.session_idle_ttl * 1000;
    if (nowMs >= Date.parse(record.expires_at) || nowMs >= idleEnd) {
      await this.#options.store.deleteDashboardSession(record.id_hash);
      return null;
    }
    const session = await this.#resolveRecord(record);
    if (session === null) {
      await this.#options.store.deleteDashboardSession(record.id_hash);
      return null;
    }
    if (nowMs - Date.parse(record.last_seen_at) >= TOUCH_INTERVAL_MS) {
      await this.#options.store.touchDashboardSession(record.id_hash, new Date(nowMs).toISOString());
    }
    return session;
  }

  /** Ends a session (sign-out). */
  async end(session: ResolvedSession): Promise<void> {
    await this.#options.store.deleteDashboardSession(session.record.id_hash);
  }

  /** Whether `presented` is the session's CSRF token (constant-time). */
  checkCsrf(session: ResolvedSession, presented: string | undefined): boolean {
    if (presented === undefined) return false;
    const expected = Buffer.from(session.csrfToken);
    const given = Buffer.from(presented);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  #describe(opening: SessionOpening): Pick<DashboardSessionRecord, 'via' | 'role' | 'tenant' | 'key_id' | 'key_fingerprint' | 'subject'> {
    if (opening.via === 'oidc') {
      return { via: 'oidc', role: opening.role, tenant: opening.tenant, key_id: null, key_fingerprint: null, subject: `oidc:${opening.subject}` };
    }
    const { principal } = opening;
    if (principal.kind === 'master') {
      return { via: 'key', role: 'admin', tenant: null, key_id: null, key_fingerprint: this.#masterFingerprint, subject: 'master' };
    }
    const key = principal.key;
    if (key === null || !principal.admin) throw new Error('only the master key or an admin key opens a session');
    return {
      via: 'key',
      role: 'tenant_admin',
      tenant: principal.tenant.id,
      key_id: key.id,
      key_fingerprint: this.#fingerprint(key.hash),
      subject: `key:${key.id}`,
    };
  }

  async #resolveRecord(record: DashboardSessionRecord): Promise<ResolvedSession | null> {
    const principal = await this.#principalOf(record);
    if (principal === null) return null;
    return {
      record,
      principal,
      user: { name: record.name, role: record.role, tenant_id: record.tenant, via: record.via },
      csrfToken: createHmac('sha256', this.#options.secret).update(`csrf:${record.id_hash}`).digest('base64url'),
    };
  }

  /**
   * The Principal the admin checks see: every tenant (`admin`, or a viewer of all) acts as the master key does; one
   * tenant as that tenant's admin key does (a key-less one for OIDC). A viewer's writes are refused before any handler.
   */
  async #principalOf(record: DashboardSessionRecord): Promise<Principal | null> {
    if (record.via === 'key') {
      if (record.key_id === null) {
        if (record.key_fingerprint !== this.#masterFingerprint) return null;
        return { kind: 'master', key: null, tenant: await this.#options.masterTenant(), admin: true };
      }
      const live = await this.#options.tenancy.findLiveKey(record.key_id);
      if (live === null || !live.key.admin || live.tenant.id !== record.tenant) return null;
      if (record.key_fingerprint !== this.#fingerprint(live.key.hash)) return null;
      return { kind: 'key', key: live.key, tenant: live.tenant, admin: true };
    }
    if (record.tenant === null) return { kind: 'master', key: null, tenant: await this.#options.masterTenant(), admin: true };
    const tenant = await this.#options.store.getTenant(record.tenant);
    return tenant === null ? null : { kind: 'key', key: null, tenant, admin: true };
  }

  #fingerprint(value: string): string {
    return createHmac('sha256', this.#options.secret).update(`key:${value}`).digest('hex');
  }
}

/** The stored form of a session id. */
export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
