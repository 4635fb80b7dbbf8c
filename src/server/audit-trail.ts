// The audit log's writer: who did what to which tenant, from where, and how it ended. Entries hold ids and names only,
// never a key, token, cookie or request body; a failed write is logged and does not fail the action it records.
import type { Logger } from 'pino';
import { createTimeOrderedId, type Principal } from '../calls/index.ts';
import type { AuditActor, AuditRecord, Store } from '../store/index.ts';
import type { ResolvedSession } from './dashboard-sessions.ts';

/** An entry before it gets its id and time. */
export type AuditEntry = Omit<AuditRecord, 'id' | 'created_at'>;

/** Longest stored id or name of an actor or target (they come from stored records, but are bounded anyway). */
const MAX_FIELD = 200;

/** Records audit entries through the store. */
export class AuditTrail {
  readonly #store: Pick<Store, 'insertAuditRecord'>;
  readonly #logger: Logger;
  readonly #now: () => Date;

  constructor(store: Pick<Store, 'insertAuditRecord'>, logger: Logger, now: () => Date = () => new Date()) {
    this.#store = store;
    this.#logger = logger;
    this.#now = now;
  }

  /** Stores the entry; resolves once written (or once its failure was logged). */
  async record(entry: AuditEntry): Promise<void> {
    const record: AuditRecord = {
      ...entry,
      id: createTimeOrderedId('aud'),
      created_at: this.#now().toISOString(),
      tenant_id: bound(entry.tenant_id),
      actor: { kind: entry.actor.kind, id: bound(entry.actor.id), name: bound(entry.actor.name) },
      target: entry.target === null ? null : { type: entry.target.type, id: bound(entry.target.id) },
    };
    try {
      await this.#store.insertAuditRecord(record);
    } catch (error) {
      this.#logger.error({ err: error, action: record.action }, 'writing an audit entry failed');
    }
  }
}

/** The actor of a request: its dashboard session's user, else its key (or the master key). */
export function actorOf(principal: Principal | null, session: ResolvedSession | undefined): AuditActor {
  if (session !== undefined && session.record.via === 'oidc') {
    return { kind: 'oidc', id: session.record.subject.slice('oidc:'.length), name: session.record.name };
  }
  if (principal === null) return { kind: 'key', id: null, name: null };
  if (principal.kind === 'master') return { kind: 'master', id: null, name: 'master key' };
  return { kind: 'key', id: principal.key?.id ?? null, name: principal.key?.name ?? null };
}

function bound(text: string | null): string | null {
  return text === null ? null : text.slice(0, MAX_FIELD);
}
