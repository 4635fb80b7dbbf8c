// Housekeeping: deletes what has expired (idempotency keys, stored responses and conversations past their retention,
// old request-log rows), on one replica at a time: the one holding the store's `housekeeping` lease.
import type { Logger } from 'pino';
import type { Store } from '../store/index.ts';

/** How often housekeeping runs by default. */
const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;
const DAY_MS = 86_400_000;
/** The named lease of the replica that does housekeeping. */
export const HOUSEKEEPING_LEASE = 'housekeeping';

/** What housekeeping keeps (retention periods from the configuration), and who runs it how often. */
export interface HousekeepingOptions {
  requestLogRetentionDays: number;
  /** Undefined: conversations are kept until deleted. */
  conversationRetentionDays: number | undefined;
  /** Audit entries are kept this many days (undefined: not pruned here). */
  auditRetentionDays?: number;
  /** Dashboard sessions unused this many seconds are deleted (with those past their absolute end). */
  sessionIdleSeconds?: number;
  /** This replica's id, as the lease names its holder. */
  replicaId: string;
  /** How often a round is due (10 minutes). */
  intervalMs?: number;
}

/** Running housekeeping; stop() ends it and gives the lease back. */
export interface Housekeeping {
  stop(): Promise<void>;
}

/**
 * Runs housekeeping now and then every `intervalMs`, on this replica only while it holds the `housekeeping` lease: each
 * round takes (or extends) it for one and a half intervals, so that its holder keeps it from round to round and another
 * replica takes over at most two intervals after the holder died (at once after stop()). A round finishes before the
 * next starts. The timer does not keep the process alive. `onResponsesPruned` runs when stored responses were pruned.
 */
export function startHousekeeping(store: Store, logger: Logger, options: HousekeepingOptions, onResponsesPruned: () => void): Housekeeping {
  const intervalMs = options.intervalMs ?? HOUSEKEEPING_INTERVAL_MS;
  let round: Promise<void> | undefined;
  let stopped = false;

  const prune = async (now: number): Promise<void> => {
    const nowText = new Date(now).toISOString();
    const daysAgo = (days: number) => new Date(now - days * DAY_MS).toISOString();
    await Promise.all([
      store.pruneIdempotencyKeys(nowText).catch((error: unknown) => logger.error({ err: error }, 'pruning idempotency keys failed')),
      store
        .pruneResponses(nowText)
        .then((pruned) => {
          // Pruned responses break the chains through them, as deletions do. The prune is one statement that says how
          // many went, not which: the whole cache goes, at most once per housekeeping run.
          if (pruned > 0) onResponsesPruned();
        })
        .catch((error: unknown) => logger.error({ err: error }, 'pruning stored responses failed')),
      store
        .pruneRequestLogs(daysAgo(options.requestLogRetentionDays))
        .catch((error: unknown) => logger.error({ err: error }, 'pruning the request log failed')),
      options.auditRetentionDays === undefined
        ? undefined
        : store.pruneAuditRecords(daysAgo(options.auditRetentionDays)).catch((error: unknown) => logger.error({ err: error }, 'pruning the audit log failed')),
      options.sessionIdleSeconds === undefined
        ? undefined
        : store
            .pruneDashboardSessions(nowText, new Date(now - options.sessionIdleSeconds * 1000).toISOString())
            .catch((error: unknown) => logger.error({ err: error }, 'pruning dashboard sessions failed')),
      options.conversationRetentionDays === undefined
        ? undefined
        : store
            .pruneConversations(daysAgo(options.conversationRetentionDays))
            .catch((error: unknown) => logger.error({ err: error }, 'pruning conversations failed')),
    ]);
  };

  const run = (): void => {
    if (stopped || round !== undefined) return;
    const now = Date.now();
    round = store
      .acquireLease(HOUSEKEEPING_LEASE, options.replicaId, new Date(now + intervalMs * 1.5).toISOString(), new Date(now).toISOString())
      .then((held) => (held && !stopped ? prune(now) : undefined))
      .catch((error: unknown) => logger.error({ err: error }, 'taking the housekeeping lease failed'))
      .finally(() => (round = undefined));
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await round;
      await store
        .releaseLease(HOUSEKEEPING_LEASE, options.replicaId)
        .catch((error: unknown) => logger.error({ err: error }, 'giving back the housekeeping lease failed'));
    },
  };
}
