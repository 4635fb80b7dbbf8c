// Background responses (`background: true`): the turn runs in the gateway after the request was answered with
// `status: "queued"`; its events are kept (in memory while it runs, in the store afterwards) so that a client can
// follow or resume its stream; it can be cancelled; and a restart resumes queued jobs and fails interrupted ones with
// a reason, so that none is lost silently.
import type { Logger } from 'pino';
import { type CallContext, createTimeOrderedId, type Principal } from '../calls/index.ts';
import type { RequestHeaders } from '../policy/index.ts';
import type { StoredResponseRecord } from '../store/index.ts';
import { excerpt, NotFoundError, type ResponseCreateRequest, type ResponseItem, type ResponseStreamEvent, toCrosswayError } from '../wire/index.ts';
import { readStoredRoutingHeaders, STORED_ROUTING_HEADERS_FIELD } from './background-routing-headers.ts';
import { completeStoredTurn, STORED_KEY_FIELD } from './persist-turn.ts';
import type { ResponseTurn } from './response-turn.ts';
import { fromStoredJson, toStoredJson } from './stored-json.ts';
import { pendingResponse, streamTurn } from './run-response-turn.ts';
import type { TurnServices } from './turn-services.ts';

/** How often a running job's new events are written to the store (they are served from memory meanwhile). */
const EVENT_FLUSH_MS = 100;

interface Job {
  tenant: string;
  controller: AbortController;
  /** Every event so far, in sequence order. */
  events: ResponseStreamEvent[];
  /** How many of `events` are stored. */
  stored: number;
  listeners: Set<() => void>;
  done: Promise<void>;
  finished: boolean;
}

/** The gateway's background jobs. Long-lived: resume() at start, close() at shutdown. */
export class BackgroundResponses {
  readonly #services: () => TurnServices;
  readonly #logger: Logger;
  readonly #jobs = new Map<string, Job>();
  #closed = false;

  /** `services` is read when a job starts (the gateway's services are built after this object). */
  constructor(services: () => TurnServices, logger: Logger) {
    this.#services = services;
    this.#logger = logger;
  }

  /**
   * Runs `turn` in the background; its record (status queued, input items) must already be stored. `headers` are the
   * routing headers it runs under (pickRoutingHeaders of the request's, or those stored with it).
   */
  start(turn: ResponseTurn, principal: Principal, headers: RequestHeaders): void {
    if (this.#closed) return;
    const controller = new AbortController();
    const job: Job = { tenant: principal.tenant.id, controller, events: [], stored: 0, listeners: new Set(), done: Promise.resolve(), finished: false };
    this.#jobs.set(turn.id, job);
    job.done = this.#run(turn, principal, headers, job).finally(() => {
      job.finished = true;
      this.#notify(job);
      this.#jobs.delete(turn.id);
    });
  }

  async #run(turn: ResponseTurn, principal: Principal, headers: RequestHeaders, job: Job): Promise<void> {
    const services = this.#services();
    const store = services.store;
    const tenant = principal.tenant.id;
    // The same call a foreground request makes, under a request id of the same shape (x-request-id), so that logs and
    // the ledger read alike; a cancel or a shutdown aborts it.
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
    const flusher = setInterval(() => void this.#flushEvents(turn.id, job), EVENT_FLUSH_MS);
    flusher.unref();
    try {
      await store.updateResponse(tenant, turn.id, {
        status: 'in_progress',
        response: toStoredJson(pendingResponse(turn, 'in_progress')),
        updated_at: new Date().toISOString(),
      });
      await streamTurn(
        services,
        context,
        turn,
        {
          started: () => {},
          event: async (event) => {
            // Once cancelled, the job says nothing more: its stored status is `cancelled`, and a final event that was
            // on its way (the usage committing as the cancel came) must not contradict it.
            if (job.controller.signal.aborted) return;
            job.events.push(event);
            this.#notify(job);
          },
        },
        async (result) => {
          // A cancel that raced the end wins: the stored status stays cancelled.
          if (job.controller.signal.aborted) return;
          await completeStoredTurn(services, tenant, turn, result);
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

  async #flushEvents(id: string, job: Job): Promise<void> {
    const pending = job.events.slice(job.stored);
    if (pending.length === 0) return;
    job.stored += pending.length;
    await this.#services()
      .store.appendResponseEvents(pending.map((event) => ({ response_id: id, sequence_number: event.sequence_number, event: toStoredJson(event) })))
      .catch((error: unknown) => this.#logger.error({ err: error, responseId: id }, 'storing background response events failed'));
  }

  /**
   * Marks a background response failed with its reason, and ends its stream with `response.failed`, so that a client
   * following it (live, or replaying after a restart) learns of the failure instead of seeing the stream stop.
   */
  async #fail(id: string, tenant: string, code: string, message: string, job?: Job): Promise<void> {
    const store = this.#services().store;
    const record = await store.getResponse(tenant, id);
    if (record === null) return;
    const response = { ...record.response, status: 'failed', error: { code, message } };
    await store.updateResponse(tenant, id, { status: 'failed', response, updated_at: new Date().toISOString() });
    if (job !== undefined) {
      job.events.push(fromStoredJson<ResponseStreamEvent>({ type: 'response.failed', sequence_number: job.events.length, response }));
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

  /** Cancels a queued or running background response of `tenant`; resolves with its record, or null when unknown. */
  async cancel(tenant: string, id: string): Promise<StoredResponseRecord | null> {
    const store = this.#services().store;
    const job = this.#jobs.get(id);
    const record = await store.getResponse(tenant, id);
    if (record === null || (job !== undefined && job.tenant !== tenant)) return null;
    if (record.status !== 'queued' && record.status !== 'in_progress') return record;
    job?.controller.abort();
    const response = { ...record.response, status: 'cancelled' };
    await store.updateResponse(tenant, id, { status: 'cancelled', response, updated_at: new Date().toISOString() });
    await job?.done;
    return store.getResponse(tenant, id);
  }

  /**
   * Emits the events of response `id` after sequence number `after`: stored ones, then, while its job runs here, the
   * live ones as they come; resolves when the job is over (or was never running here).
   */
  async follow(tenant: string, id: string, after: number, emit: (event: ResponseStreamEvent) => Promise<void>, signal: AbortSignal): Promise<void> {
    const job = this.#jobs.get(id);
    if (job !== undefined && job.tenant !== tenant)
      throw new NotFoundError(`Response with id '${excerpt(id)}' not found.`, 'response_not_found', 'response_id');
    if (job === undefined) {
      for (const record of await this.#services().store.listResponseEvents(tenant, id, after)) await emit(fromStoredJson<ResponseStreamEvent>(record.event));
      return;
    }
    // A job started in this process holds all its events in memory, indexed by sequence number.
    let next = Math.max(0, after + 1);
    for (;;) {
      while (next < job.events.length) await emit(job.events[next++] as ResponseStreamEvent);
      if (job.finished || signal.aborted) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          job.listeners.delete(wake);
          resolve();
        };
        job.listeners.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  /**
   * After a restart: queued jobs run again from their stored request and input; jobs that were in progress are marked
   * failed with a reason (their partial answer is gone with the process, and running them again could bill twice).
   */
  async resume(principalFor: (tenant: string, keyId: string | null) => Promise<Principal | null>): Promise<void> {
    const store = this.#services().store;
    for (const record of await store.listResponsesByStatus(['queued', 'in_progress'])) {
      if (record.status === 'in_progress') {
        await this.#fail(
          record.id,
          record.tenant,
          'interrupted',
          'The gateway restarted while this background response was in progress; it was not resumed. Create it again.',
        );
        continue;
      }
      const keyId = typeof record.request[STORED_KEY_FIELD] === 'string' ? (record.request[STORED_KEY_FIELD] as string) : null;
      const principal = await principalFor(record.tenant, keyId);
      const input = await store.listResponseItems(record.tenant, record.id, 'input', { limit: 10_000, order: 'asc' });
      const chain = record.previous_response_id === null ? null : await store.readResponseChain(record.tenant, record.previous_response_id);
      const conversation = record.conversation_id === null ? null : await store.readConversationItems(record.tenant, record.conversation_id);
      if (
        principal === null ||
        input === null ||
        (record.previous_response_id !== null && chain === null) ||
        (record.conversation_id !== null && conversation === null)
      ) {
        await this.#fail(
          record.id,
          record.tenant,
          'interrupted',
          'The gateway restarted before this background response ran, and its tenant, its API key or its context is gone (or the key was revoked).',
        );
        continue;
      }
      const turn: ResponseTurn = {
        id: record.id,
        createdAt: Math.floor(Date.parse(record.created_at) / 1000),
        request: fromStoredJson<ResponseCreateRequest>({ ...withoutKey(record.request), input: [] }),
        inputItems: input.map((row) => fromStoredJson<ResponseItem>(row.item)),
        contextItems: (chain?.items ?? conversation ?? []).map((row) => fromStoredJson<ResponseItem>(row.item)),
        previousResponseId: record.previous_response_id,
        conversationId: record.conversation_id,
      };
      // Routed under the constraint headers it was created with, as it would have been had it run before the restart.
      this.start(turn, principal, readStoredRoutingHeaders(record.request));
    }
  }

  /** Stops every job: a job still running is cancelled and marked failed with the reason, as after a crash. */
  async close(): Promise<void> {
    this.#closed = true;
    const running = [...this.#jobs.entries()];
    for (const [, job] of running) job.controller.abort();
    await Promise.all(running.map(([, job]) => job.done.catch(() => {})));
    for (const [id, job] of running) {
      const record = await this.#services()
        .store.getResponse(job.tenant, id)
        .catch(() => null);
      if (record !== null && (record.status === 'in_progress' || record.status === 'queued')) {
        await this.#fail(id, job.tenant, 'interrupted', 'The gateway shut down while this background response was in progress. Create it again.').catch(
          () => {},
        );
      }
    }
  }
}

/** The stored request without what Crossway kept beside it for resumption. */
function withoutKey(request: Record<string, unknown>): Record<string, unknown> {
  const { [STORED_KEY_FIELD]: _key, [STORED_ROUTING_HEADERS_FIELD]: _headers, ...rest } = request;
  return rest;
}
