// Background responses (`background: true`): the turn runs in a gateway replica after the request was answered with
// `status: "queued"`; its events are kept (in memory while it runs, in the store as it goes) so that a client can
// follow or resume its stream from any replica; it can be cancelled from any replica. The replica that runs a job
// holds a lease on it in the store and renews it; a job whose replica died (its lease expired) is claimed by another,
// so that none is lost silently, none is run by two replicas, and none is billed twice.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { type CallContext, createTimeOrderedId, type Principal } from '../calls/index.ts';
import type { RequestHeaders } from '../policy/index.ts';
import { ACTIVE_RESPONSE_STATUSES, type BackgroundLease, type ClaimedBackgroundResponse, type StoredResponseRecord } from '../store/index.ts';
import { excerpt, NotFoundError, type ResponseStreamEvent, toCrosswayError } from '../wire/index.ts';
import { appendToConversation, toItemRecords } from './persist-turn.ts';
import type { ResponseTurn, TurnResult } from './response-turn.ts';
import { pendingResponse, streamTurn } from './run-response-turn.ts';
import { redactMcpTurn, usesMcpTools } from './run-mcp-turn.ts';
import { streamMcpTurn } from './stream-mcp-turn.ts';
import { type PrincipalLookup, readStoredBackgroundTurn } from './stored-background-turn.ts';
import { fromStoredJson, toStoredJson } from './stored-json.ts';
import type { TurnServices } from './turn-services.ts';

/** How often a running job's new events are written to the store (they are served from memory meanwhile). */
const EVENT_FLUSH_MS = 100;
/** How long a lease holds unless renewed: a dead replica's jobs are taken over within this (plus one renewal). */
const DEFAULT_LEASE_MS = 15_000;
/** How often leases are renewed and orphaned jobs claimed: a cancel made on another replica reaches the job within it. */
const DEFAULT_RENEW_MS = 1_000;
/** How often a follower reads new stored events of a job another replica runs. */
const DEFAULT_FOLLOW_POLL_MS = 150;
/** How many jobs one replica runs at once at most; beyond, orphaned jobs wait for a replica with room. */
const DEFAULT_MAX_JOBS = 64;
/** How long a follower waits for a finished job's last event, which is stored just after its final status. */
const FINAL_EVENT_WAIT_MS = 10_000;
/** Event types that end a response's stream. */
const FINAL_EVENT_TYPES: ReadonlySet<string> = new Set(['response.completed', 'response.failed', 'response.incomplete', 'error']);

/** Tuning of BackgroundResponses; the defaults suit production, tests shorten them. */
export interface BackgroundResponsesOptions {
  /** This replica's id as leases name it; by default host, process id and random bits, new in every process. */
  replicaId?: string;
  /** How long a lease holds unless renewed (15 s). */
  leaseMs?: number;
  /** How often leases are renewed and orphaned jobs claimed (1 s; at most a third of the lease). */
  renewMs?: number;
  /** How often a follower on another replica than the job's reads new stored events (150 ms). */
  followPollMs?: number;
  /** Jobs one replica runs at once at most (64). */
  maxJobs?: number;
}

interface Job {
  tenant: string;
  controller: AbortController;
  /** Every event of this run so far, in sequence order: event i has sequence number firstSequence + i. */
  events: ResponseStreamEvent[];
  /** The sequence number of this run's first event: after an earlier run's, when this one took over from a dead replica. */
  firstSequence: number;
  /** Resolves once the run started (its lease confirmed and firstSequence known), or will not run. */
  ready: Promise<void>;
  /** How many of `events` are stored (or on their way to the store, in `flushing`). */
  stored: number;
  /** The last write of events: the next waits for it, so that batches commit in order and none overtakes another. */
  flushing: Promise<void>;
  listeners: Set<() => void>;
  done: Promise<void>;
  finished: boolean;
  /** Until when (epoch ms) this replica holds the job's lease, as last renewed. */
  leaseUntil: number;
  /** Its final state is stored: nothing to renew, nothing to abort. */
  settled: boolean;
  /** This replica does not hold it any more (cancelled elsewhere, taken over, or its lease ran out): it writes nothing more. */
  lost: boolean;
}

/** The gateway's background jobs. Long-lived: resume() at start (begins the lease loop), close() at shutdown. */
export class BackgroundResponses {
  /** This replica's id in the store's leases. */
  readonly replicaId: string;
  readonly #services: () => TurnServices;
  readonly #logger: Logger;
  readonly #jobs = new Map<string, Job>();
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #followPollMs: number;
  readonly #maxJobs: number;
  #principalFor: PrincipalLookup | undefined;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #closed = false;

  /** `services` is read when a job starts (the gateway's services are built after this object). */
  constructor(services: () => TurnServices, logger: Logger, options: BackgroundResponsesOptions = {}) {
    this.#services = services;
    this.#logger = logger;
    this.replicaId = options.replicaId ?? `${hostname().slice(0, 64)}:${process.pid}:${randomBytes(6).toString('hex')}`;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#renewMs = Math.min(options.renewMs ?? DEFAULT_RENEW_MS, this.#leaseMs / 3);
    this.#followPollMs = options.followPollMs ?? DEFAULT_FOLLOW_POLL_MS;
    this.#maxJobs = options.maxJobs ?? DEFAULT_MAX_JOBS;
  }

  /** The lease a new background response is stored with (Store.insertResponse): this replica runs it. */
  lease(): BackgroundLease {
    return { owner: this.replicaId, until: new Date(Date.now() + this.#leaseMs).toISOString() };
  }

  /**
   * Runs `turn` in the background; its record (status queued, input items) must already be stored, held by this
   * replica (inserted with lease(), or claimed). `headers` are the routing headers it runs under (pickRoutingHeaders
   * of the request's, or those stored with it).
   */
  start(turn: ResponseTurn, principal: Principal, headers: RequestHeaders): void {
    if (this.#closed || this.#jobs.has(turn.id)) return;
    let ready: () => void = () => {};
    const job: Job = {
      tenant: principal.tenant.id,
      controller: new AbortController(),
      events: [],
      firstSequence: 0,
      ready: new Promise<void>((resolve) => (ready = resolve)),
      stored: 0,
      flushing: Promise.resolve(),
      listeners: new Set(),
      done: Promise.resolve(),
      finished: false,
      leaseUntil: Date.now() + this.#leaseMs,
      settled: false,
      lost: false,
    };
    this.#jobs.set(turn.id, job);
    job.done = this.#run(turn, principal, headers, job, ready).finally(() => {
      ready();
      job.finished = true;
      this.#notify(job);
      this.#jobs.delete(turn.id);
    });
  }

  async #run(runTurn: ResponseTurn, principal: Principal, headers: RequestHeaders, job: Job, ready: () => void): Promise<void> {
    const services = this.#services();
    // With mcp tools, the turn runs with its servers' credentials (in memory only) and everything stored is redacted.
    const mcp = usesMcpTools(runTurn.request);
    const turn = mcp ? redactMcpTurn(runTurn) : runTurn;
    const store = services.store;
    const tenant = principal.tenant.id;
    // The same call a foreground request makes, under a request id of the same shape (x-request-id), so that logs and
    // the ledger read alike; a cancel, a takeover or a shutdown aborts it. The id is stored with the run, so that a
    // replica taking the job over after a crash can tell from the ledger whether this run was billed.
    const context: CallContext = {
      principal,
      requestId: createTimeOrderedId('req'),
      signal: job.controller.signal,
      startedAt: performance.now(),
      // Nobody waits for a background job's answer: the routes' own timeouts alone.
      deadlineAt: null,
      routingHeaders: headers,
      requestRate: null,
    };
    const until = Date.now() + this.#leaseMs;
    const started = await store
      .startBackgroundRun(
        tenant,
        turn.id,
        { owner: this.replicaId, until: new Date(until).toISOString(), request_id: context.requestId },
        { status: 'in_progress', response: toStoredJson(pendingResponse(turn, 'in_progress')), updated_at: new Date().toISOString() },
      )
      .catch((error: unknown) => {
        this.#logger.error({ err: error, responseId: turn.id, tenant }, 'starting a background response failed');
        return null;
      });
    // Cancelled before it ran, or held by another replica: not this replica's to run.
    if (started === null) return;
    job.leaseUntil = until;
    job.firstSequence = started.first_sequence_number;
    ready();
    const flusher = setInterval(() => void this.#flushEvents(turn.id, job), EVENT_FLUSH_MS);
    flusher.unref();
    try {
      // A turn with mcp tools runs its model -> tools -> model loop as a foreground one does; an approval it asks for
      // ends it `completed` with the mcp_approval_request item, answered by a later request (previous_response_id).
      await (mcp ? streamMcpTurn : streamTurn)(
        services,
        context,
        runTurn,
        {
          started: () => {},
          event: async (event) => {
            // Once cancelled (or no longer this replica's), the job says nothing more: its stored status is
            // `cancelled` (or another run's), and a final event that was on its way must not contradict it.
            if (job.controller.signal.aborted) return;
            job.events.push(job.firstSequence === 0 ? event : { ...event, sequence_number: event.sequence_number + job.firstSequence });
            this.#notify(job);
          },
        },
        async (result) => {
          // A cancel that raced the end wins: the stored status stays cancelled.
          if (job.controller.signal.aborted) return;
          await this.#complete(services, tenant, turn, result, job);
        },
      );
    } catch (error) {
      if (!job.controller.signal.aborted) {
        const failure = toCrosswayError(error);
        // As for a foreground request: a failure on the gateway's side is logged (ids and the error only: never the
        // request or its input), since no client is there to see it but in the stored reason.
        if (failure.status >= 500)
          this.#logger.error({ err: error, responseId: turn.id, requestId: context.requestId, tenant, code: failure.code }, 'background response failed');
        await this.#fail(turn.id, tenant, failure.code, failure.message, job).catch((stored: unknown) =>
          this.#logger.error({ err: stored, responseId: turn.id, requestId: context.requestId, tenant }, 'marking a background response failed did not work'),
        );
      }
    } finally {
      clearInterval(flusher);
      await this.#flushEvents(turn.id, job);
    }
  }

  /**
   * Stores a finished run (completeStoredTurn's writes), only while this replica holds the job and it is not over: a
   * cancel or a takeover made elsewhere wins, and this run's final event is then not emitted.
   */
  async #complete(services: TurnServices, tenant: string, turn: ResponseTurn, result: TurnResult, job: Job): Promise<void> {
    const written = await services.store.updateResponse(
      tenant,
      turn.id,
      {
        status: result.response.status as 'completed',
        route: result.route?.id ?? null,
        response: toStoredJson(result.response),
        usage_event_id: result.usageEventId,
        updated_at: new Date().toISOString(),
      },
      toItemRecords(turn.id, 'output', result.output),
      { owner: this.replicaId },
    );
    if (!written) {
      this.#lose(job);
      return;
    }
    job.settled = true;
    services.chainCache.add(tenant, turn.id, turn.previousResponseId, [...turn.inputItems, ...result.output]);
    await appendToConversation(services, tenant, turn, result.output);
  }

  #flushEvents(id: string, job: Job): Promise<void> {
    // A run this replica lost writes nothing more: another run may be numbering events of its own.
    const pending = job.lost ? [] : job.events.slice(job.stored);
    if (pending.length === 0) return job.flushing;
    job.stored += pending.length;
    // After the batch before it: a follower on another replica reads events after the last it saw, so a later batch
    // committed first would make it skip the earlier one.
    job.flushing = job.flushing.then(() =>
      this.#services()
        .store.appendResponseEvents(pending.map((event) => ({ response_id: id, sequence_number: event.sequence_number, event: toStoredJson(event) })))
        .catch((error: unknown) => this.#logger.error({ err: error, responseId: id }, 'storing background response events failed')),
    );
    return job.flushing;
  }

  /**
   * Marks a background response this replica holds failed with its reason, and ends its stream with
   * `response.failed`, so that a client following it (live, or replaying later) learns of the failure instead of
   * seeing the stream stop. Writes nothing when the response is not this replica's any more (cancelled, taken over).
   */
  async #fail(id: string, tenant: string, code: string, message: string, job?: Job): Promise<void> {
    const store = this.#services().store;
    const record = await store.getResponse(tenant, id);
    if (record === null) return;
    const response = { ...record.response, status: 'failed', error: { code, message } };
    const written = await store.updateResponse(tenant, id, { status: 'failed', response, updated_at: new Date().toISOString() }, [], { owner: this.replicaId });
    if (!written) return;
    if (job !== undefined) {
      job.settled = true;
      const sequence = job.firstSequence + job.events.length;
      job.events.push(fromStoredJson<ResponseStreamEvent>({ type: 'response.failed', sequence_number: sequence, response }));
      this.#notify(job);
      return;
    }
    const stored = await store.listResponseEvents(tenant, id, -1);
    const sequence = (stored.at(-1)?.sequence_number ?? -1) + 1;
    await store.appendResponseEvents([{ response_id: id, sequence_number: sequence, event: { type: 'response.failed', sequence_number: sequence, response } }]);
  }

  #notify(job: Job): void {
    for (const listener of job.listeners) listener();
  }

  // This replica does not hold the job any more: it stops, and writes nothing (its fenced writes would fail anyway).
  #lose(job: Job): void {
    job.lost = true;
    job.controller.abort();
  }

  /**
   * Cancels a queued or running background response of `tenant`, whichever replica runs it; resolves with its record,
   * or null when unknown. The stored status is set here; the replica running the job learns of it at its next lease
   * renewal and stops it (this one at once).
   */
  async cancel(tenant: string, id: string): Promise<StoredResponseRecord | null> {
    const store = this.#services().store;
    const job = this.#jobs.get(id);
    const record = await store.getResponse(tenant, id);
    if (record === null || (job !== undefined && job.tenant !== tenant)) return null;
    if (!isActive(record.status)) return record;
    job?.controller.abort();
    const response = { ...record.response, status: 'cancelled' };
    // Only a job not over yet: one that finished meanwhile keeps its final status.
    await store.updateResponse(tenant, id, { status: 'cancelled', response, updated_at: new Date().toISOString() }, [], { active: true });
    await job?.done;
    return store.getResponse(tenant, id);
  }

  /**
   * Emits the events of response `id` after sequence number `after`: the stored ones, then the live ones as they
   * come, from memory while its job runs here, from the store (read every followPollMs) while another replica runs
   * it; resolves when the response is over and its last event was emitted, or when `signal` aborts.
   */
  async follow(tenant: string, id: string, after: number, emit: (event: ResponseStreamEvent) => Promise<void>, signal: AbortSignal): Promise<void> {
    const local = this.#jobs.get(id);
    if (local !== undefined && local.tenant !== tenant)
      throw new NotFoundError(`Response with id '${excerpt(id)}' not found.`, 'response_not_found', 'response_id');
    const store = this.#services().store;
    let last = after;
    let lastType: string | undefined;
    let overSince: number | undefined;
    const send = async (event: ResponseStreamEvent): Promise<void> => {
      await emit(event);
      last = event.sequence_number;
      lastType = event.type;
    };
    while (!signal.aborted) {
      const job = this.#jobs.get(id);
      if (job !== undefined && job.tenant === tenant) {
        await job.ready;
        if (!job.finished) {
          // A run here holds all its events in memory (those of an earlier run were removed when it started).
          await this.#followJob(job, () => last, send, signal);
          continue;
        }
      }
      // The status is read before the events, so that every event stored before the job ended is read with it.
      const record = await store.getResponse(tenant, id);
      if (record === null) return;
      for (const stored of await store.listResponseEvents(tenant, id, last)) await send(fromStoredJson<ResponseStreamEvent>(stored.event));
      if (!isActive(record.status)) {
        // A cancelled job says nothing more; another ends with its final event, stored just after its final status.
        if (record.status === 'cancelled' || (lastType !== undefined && FINAL_EVENT_TYPES.has(lastType))) return;
        overSince ??= Date.now();
        if (Date.now() - overSince > FINAL_EVENT_WAIT_MS) return;
      }
      await sleep(this.#followPollMs, undefined, { signal }).catch(() => {});
    }
  }

  // Emits the job's in-memory events after `last()` until it finishes or `signal` aborts.
  async #followJob(job: Job, last: () => number, send: (event: ResponseStreamEvent) => Promise<void>, signal: AbortSignal): Promise<void> {
    for (;;) {
      let next = Math.max(0, last() + 1 - job.firstSequence);
      while (next < job.events.length) await send(job.events[next++] as ResponseStreamEvent);
      if (job.finished || signal.aborted) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          job.listeners.delete(wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        job.listeners.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  /**
   * Starts the lease loop: every renewMs, this replica renews the leases of its jobs (stopping those cancelled or taken
   * over elsewhere) and claims jobs nobody holds (left queued, or whose replica died) to run them. It does not touch
   * jobs another live replica holds. The first round runs before this resolves. `principalFor` says who a claimed
   * job runs as (null: its tenant or key is gone, and it is failed).
   */
  async resume(principalFor: PrincipalLookup): Promise<void> {
    if (this.#closed) return;
    this.#principalFor = principalFor;
    await this.#runLeaseRound();
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.#runLeaseRound(), this.#renewMs);
    this.#timer.unref();
  }

  // One round of the lease loop; a round still running when the next is due is not doubled.
  #runLeaseRound(): Promise<void> {
    this.#tick ??= this.#renewAndClaim()
      .catch((error: unknown) => this.#logger.error({ err: error, replica: this.replicaId }, 'renewing or claiming background responses failed'))
      .finally(() => (this.#tick = undefined));
    return this.#tick;
  }

  async #renewAndClaim(): Promise<void> {
    const store = this.#services().store;
    const now = Date.now();
    const until = now + this.#leaseMs;
    const held = [...this.#jobs.entries()].filter(([, job]) => !job.settled && !job.lost);
    // A job whose lease ran out (renewals failed: the store was unreachable) may run elsewhere by now: it stops.
    for (const [, job] of held) if (job.leaseUntil <= now) this.#lose(job);
    const renewing = held.filter(([, job]) => !job.lost);
    if (renewing.length > 0) {
      const renewed = new Map(
        (
          await store.renewBackgroundLeases(
            this.replicaId,
            renewing.map(([id]) => id),
            new Date(until).toISOString(),
          )
        ).map((row) => [row.id, row.status]),
      );
      for (const [id, job] of renewing) {
        const status = renewed.get(id);
        // Cancelled elsewhere, or taken over (or deleted): stop. A job that settled meanwhile is left alone.
        if (status === undefined || !isActive(status)) {
          if (!job.settled) this.#lose(job);
        } else job.leaseUntil = until;
      }
    }
    const room = this.#maxJobs - this.#jobs.size;
    if (this.#closed || this.#principalFor === undefined || room <= 0) return;
    const claimed = await store.claimBackgroundResponses({ owner: this.replicaId, until: new Date(until).toISOString() }, new Date(now).toISOString(), room);
    for (const claim of claimed) {
      await this.#takeOver(claim, this.#principalFor).catch((error: unknown) =>
        this.#logger.error({ err: error, responseId: claim.response.id, tenant: claim.response.tenant }, 'taking over a background response failed'),
      );
    }
  }

  /**
   * Runs a job this replica claimed. One left queued runs. One left in progress by a replica that died runs again from
   * the start only when nothing was billed for it: its earlier run's request id has no usage event in the ledger (and
   * its record none). Otherwise it is failed with the reason: running it again would bill it twice, and what the
   * billed run produced died with its replica.
   */
  async #takeOver(claim: ClaimedBackgroundResponse, principalFor: PrincipalLookup): Promise<void> {
    const store = this.#services().store;
    const record = claim.response;
    if (this.#closed) return;
    if (record.status === 'in_progress') {
      const billed =
        record.usage_event_id !== null ||
        claim.run_request_id === null ||
        (await store.findUsageEventsByRequest(claim.run_request_id)).some((event) => event.tenant === record.tenant);
      if (billed) {
        await this.#fail(
          record.id,
          record.tenant,
          'interrupted',
          'The gateway running this background response stopped (a restart or a crash) after part of it was billed; it was not run again, ' +
            'so that it is not billed twice. Create it again.',
        );
        return;
      }
    }
    const stored = await readStoredBackgroundTurn(store, record, principalFor);
    if (stored === null) {
      await this.#fail(
        record.id,
        record.tenant,
        'interrupted',
        'The gateway restarted before this background response ran, and its tenant, its API key or its context is gone (or the key was revoked).',
      );
      return;
    }
    this.start(stored.turn, stored.principal, stored.headers);
  }

  /**
   * Stops the lease loop and every job here, then gives their leases back, so that another replica (or this one's
   * successor) takes them over at once: each runs again there unless it was billed (see #takeOver). With
   * `release: false` the leases are left to expire, as when a replica dies (tests of takeover).
   */
  async close({ release = true }: { release?: boolean } = {}): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#tick;
    const running = [...this.#jobs.entries()];
    for (const [, job] of running) job.controller.abort();
    await Promise.all(running.map(([, job]) => job.done.catch(() => {})));
    if (release && running.length > 0) {
      await this.#services()
        .store.releaseBackgroundLeases(
          this.replicaId,
          running.map(([id]) => id),
        )
        .catch((error: unknown) => this.#logger.error({ err: error, replica: this.replicaId }, 'giving back background response leases failed'));
    }
  }
}

function isActive(status: StoredResponseRecord['status']): boolean {
  return (ACTIVE_RESPONSE_STATUSES as readonly string[]).includes(status);
}
