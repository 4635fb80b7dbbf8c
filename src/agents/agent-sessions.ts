// Agent sessions run by Crossway: creation, input events (messages, tool results, cancel), the turn loop of model
// steps, and the event stream subscribers read. A step runs on the replica that started it, under a lease it renews;
// a step whose replica died is failed with a reason by another replica's sweep (never run twice, never lost).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { type CallContext, createTimeOrderedId, type Principal } from '../calls/index.ts';
import type { RequestHeaders } from '../policy/index.ts';
import { createItemId } from '../runtime/index.ts';
import type { AgentItemRecord, AgentSessionRecord, AgentSessionWrite, AgentTurnRecord } from '../store/index.ts';
import { checkTurnStorage, resolveTurnMcpServers, storageLimitsOf, type TurnServices, withStorageQuota } from '../turns/index.ts';
import { ClientClosedError, ConflictError, excerpt, InvalidRequestError, NotFoundError, toCrosswayError } from '../wire/index.ts';
import { findPendingCalls, toFunctionCallOutputItem, toUserMessageItem } from './agent-items.ts';
import { addUsage, type AgentSettings, type AgentTokenUsage, resolveSessionAgent, toSessionObject, withoutPrivateKeys } from './agent-objects.ts';
import type { AgentInputMessage, SessionCreateRequest, SessionInputEvent } from './agent-schemas.ts';
import { type AgentStepResult, runAgentStep, StepAbandonedError } from './agent-step.ts';
import { AGENT_COMPACTION_ENDPOINT, type AgentStepLog, type AgentStepStart, toAgentStepLogRow } from './agent-step-log.ts';
import { SessionEventStreams, type SessionSubscription } from './session-event-streams.ts';
import { addSpend, checkSpendLimit, withSpendLimit } from './session-spend.ts';
import { compactSessionRows, findRowsToCompact, readSessionCompaction, type SessionCompaction, withSessionCompaction } from './compact-session.ts';
import { checkServedTools } from './check-served-tools.ts';
import { AgentMcpListings, readApproval, sealAgentTools, toResponsesMcpTools } from './agent-mcp-tools.ts';

/** Model steps one turn may take before it fails: a loop of tool calls cannot run (and bill) forever. */
const DEFAULT_MAX_STEPS_PER_TURN = 32;
/** Items a step sends as context at most (the oldest are left out beyond). */
const MAX_CONTEXT_ITEMS = 10_000;
/** Items one session keeps at most: beyond, a new message is refused (start a new session). */
const DEFAULT_MAX_SESSION_ITEMS = 50_000;
/** How many times a read-modify-write of a session is tried before a conflict is reported. */
const MAX_WRITE_TRIES = 50;

/** Tuning of AgentSessions; the defaults suit production, tests shorten them. */
export interface AgentSessionsOptions {
  replicaId?: string;
  /** How long a step's lease holds unless renewed (15 s). */
  leaseMs?: number;
  /** How often leases are renewed and orphaned steps swept (1 s). */
  renewMs?: number;
  /** How often a subscriber reads the store for events written by another replica (250 ms). */
  pollMs?: number;
  maxStepsPerTurn?: number;
  /** Items one session keeps at most (50 000). */
  maxSessionItems?: number;
  /** Event streams open at once on this replica (1024) and per tenant (64); beyond, 429. */
  maxSubscribers?: number;
  maxSubscribersPerTenant?: number;
  /** How long one event stream lasts at most (1 h). */
  maxSubscriptionMs?: number;
  /** Where each model step's request-log row goes (none when absent). */
  stepLog?: AgentStepLog;
}

/**
 * A turn as stored and sent: the Turn object, with `crossway.decision_ids` (Crossway's own field: the routing decision
 * of each of its model steps, GET /v1/crossway/decisions/{id}) and the private count of its steps.
 */
type TurnObject = Record<string, unknown> & {
  id: string;
  status: string;
  usage: AgentTokenUsage | null;
  crossway?: { decision_ids: string[] };
  crossway_steps?: number;
};

function sessionNotFound(id: string): NotFoundError {
  return new NotFoundError(`Session with id '${excerpt(id)}' not found.`, 'session_not_found', 'session_id');
}

/** A session-turn error code (SessionTurnError) for a failed step. */
/** The documented `error` session event for a failed turn: the turn's code and message in SessionError's shape. */
function toErrorEvent(sessionId: string, error: { code: string; message: string }): Record<string, unknown> {
  return { type: 'error', session_id: sessionId, error: { code: error.code, message: error.message, param: null, type: toErrorType(error.code) } };
}

/** The OpenAI error `type` for a turn error code (the families the API's error JSON uses). */
function toErrorType(code: string): string {
  switch (code) {
    case 'invalid_request':
    case 'context_length_exceeded':
    case 'resource_not_found':
      return 'invalid_request_error';
    case 'authentication_error':
      return 'authentication_error';
    case 'rate_limit_exceeded':
      return 'rate_limit_error';
    case 'usage_limit_exceeded':
    case 'session_budget_exceeded':
      return 'insufficient_quota';
    default:
      return 'server_error';
  }
}

function toTurnError(error: unknown): { code: string; message: string } {
  const crossway = toCrosswayError(error);
  const code =
    crossway.code === 'context_length_exceeded'
      ? 'context_length_exceeded'
      : crossway.code === 'insufficient_quota' || crossway.code === 'budget_exceeded'
        ? 'usage_limit_exceeded'
        : crossway.status === 429
          ? 'rate_limit_exceeded'
          : crossway.status === 401 || crossway.status === 403
            ? 'authentication_error'
            : crossway.status === 404
              ? 'resource_not_found'
              : crossway.status === 408 || crossway.status === 504
                ? 'request_timeout'
                : // 424: an MCP server the agent names failed (unreachable, timed out, broke the protocol).
                  crossway.status >= 500 || crossway.status === 424
                  ? 'server_error'
                  : 'invalid_request';
  return { code, message: crossway.message };
}

/** A session's permanent failure: the turn ends, the session's status is `failed` and it takes no more input. */
interface SessionFailure {
  code: string;
  message: string;
}

/** The 409 for input to a failed session. */
function sessionFailed(session: AgentSessionRecord): ConflictError {
  const reason = typeof session.state.error === 'string' ? ` (${session.state.error})` : '';
  return new ConflictError(`Session '${excerpt(session.id)}' failed${reason}: it takes no more input; start a new session.`, 'session_failed');
}

/** Adds a step's decision to its turn's `crossway.decision_ids` (a step that failed before planning has none). */
function noteDecision(turn: TurnObject, decisionId: string | null | undefined): void {
  if (decisionId === null || decisionId === undefined) return;
  turn.crossway = { decision_ids: [...(turn.crossway?.decision_ids ?? []), decisionId] };
}

/** The gateway's agent sessions. Long-lived: start() begins the lease loop, close() ends steps and subscriptions. */
export class AgentSessions {
  readonly replicaId: string;
  readonly #services: () => TurnServices;
  readonly #logger: Logger;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #maxSteps: number;
  readonly #maxSessionItems: number;
  readonly #stepLog: AgentStepLog | undefined;
  readonly #streams: SessionEventStreams;
  readonly #listings = new AgentMcpListings();
  /** Steps running here, by session id. */
  readonly #running = new Map<string, { tenant: string; controller: AbortController; done: Promise<void> }>();
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;

  constructor(services: () => TurnServices, logger: Logger, options: AgentSessionsOptions = {}) {
    this.#services = services;
    this.#logger = logger;
    this.replicaId = options.replicaId ?? `${hostname().slice(0, 64)}:${process.pid}:agents:${randomBytes(6).toString('hex')}`;
    this.#leaseMs = options.leaseMs ?? 15_000;
    this.#renewMs = Math.min(options.renewMs ?? 1_000, this.#leaseMs / 3);
    this.#maxSteps = options.maxStepsPerTurn ?? DEFAULT_MAX_STEPS_PER_TURN;
    this.#maxSessionItems = options.maxSessionItems ?? DEFAULT_MAX_SESSION_ITEMS;
    this.#stepLog = options.stepLog;
    this.#streams = new SessionEventStreams(() => this.#services().store, options);
  }

  /** Begins the lease loop: renews this replica's steps, fails steps whose replica died. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.#tick ??= this.#renewAndSweep().finally(() => (this.#tick = undefined));
    }, this.#renewMs);
    this.#timer.unref();
  }

  /** Ends every event subscription (at shutdown, before the server drains: they would hold it for its whole grace period). */
  endStreams(): void {
    this.#streams.end();
  }

  /**
   * Ends subscriptions and the lease loop, and abandons the steps still running (after the server's grace period):
   * their turns are failed with the reason at once, so that their sessions are idle again without waiting for a sweep.
   */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#streams.end();
    const running = [...this.#running.entries()];
    for (const [, step] of running) step.controller.abort();
    await Promise.allSettled(running.map(([, step]) => step.done));
    await this.#tick;
    const message = 'The gateway replica running this step shut down before it finished; the step was not retried.';
    for (const [sessionId, step] of running) {
      try {
        const session = await this.#store.getAgentSession(step.tenant, sessionId);
        if (session === null || session.owner !== this.replicaId) continue;
        const turn = await this.#activeTurn(step.tenant, session);
        if (turn !== null) await this.#finishTurn(step.tenant, sessionId, turn, 'failed', { code: 'internal_error', message }, null);
      } catch (error) {
        // Left for a live replica's sweep once the lease expires.
        this.#logger.error({ err: error, sessionId, tenant: step.tenant }, 'failing an agent session step at shutdown did not work');
      }
    }
  }

  get #store() {
    return this.#services().store;
  }

  #lease(): string {
    return new Date(Date.now() + this.#leaseMs).toISOString();
  }

  async #write(tenant: string, sessionId: string, write: AgentSessionWrite): Promise<boolean> {
    const now = new Date().toISOString();
    const written = await this.#store.writeAgentSession(tenant, sessionId, { ...write, patch: { updated_at: now, ...write.patch } });
    if (written && (write.events?.length ?? 0) > 0) this.#streams.notify(sessionId);
    return written;
  }

  /**
   * A write of the client's input (messages, tool results): its items within the tenant's storage quota, or the 400 a
   * response past the quota gets. A model step's own items are counted without a check (the step ran and was paid for).
   */
  #writeInput(tenant: string, sessionId: string, write: AgentSessionWrite): Promise<boolean> {
    const services = this.#services();
    return withStorageQuota(services, this.#write(tenant, sessionId, { ...write, limits: { tenantBytes: storageLimitsOf(services).tenantBytes } }));
  }

  /**
   * Resumes the session's waiting turn once the last answer it waited for arrived (a tool result, an approval): one
   * conditional write moves it back to in_progress with `changes` (the answer's items, events), then its next step runs
   * here. False when another request changed the session first (the caller reads it again); `unknown` when no turn waits.
   */
  async #resumeTurn(
    principal: Principal,
    session: AgentSessionRecord,
    headers: RequestHeaders,
    unknown: Error,
    changes: Pick<AgentSessionWrite, 'items' | 'updatedItems'> & { events: NonNullable<AgentSessionWrite['events']> },
  ): Promise<boolean> {
    const tenant = principal.tenant.id;
    const turn = await this.#activeTurn(tenant, session);
    if (turn === null) throw unknown;
    const state = { ...session.state, required_actions: [] };
    const running = toSessionObject({ ...session, status: 'in_progress', state });
    const resumed = { ...turn, status: 'in_progress' };
    const written = await this.#writeInput(tenant, session.id, {
      ...changes,
      patch: { status: 'in_progress', state, owner: this.replicaId, lease_expires_at: this.#lease() },
      condition: { version: session.version, statuses: ['requires_action'] },
      turns: [this.#turnRecord(resumed)],
      events: [...changes.events, { type: 'agent.session.in_progress', session: running }],
    });
    if (written) this.#launch(principal, session.id, resumed, headers);
    return written;
  }

  async #readSession(tenant: string, id: string): Promise<AgentSessionRecord> {
    const session = await this.#store.getAgentSession(tenant, id);
    if (session === null) throw sessionNotFound(id);
    return session;
  }

  async #readItems(tenant: string, id: string): Promise<Record<string, unknown>[]> {
    // The newest items, oldest first: a session longer than the bound loses its beginning, never its pending calls.
    const rows = (await this.#store.listAgentItems(tenant, id, { limit: MAX_CONTEXT_ITEMS, order: 'desc' })) ?? [];
    return rows.reverse().map((row) => row.item);
  }

  /**
   * Creates a session (environment `none` only: Crossway runs no sandboxes) and starts its first turn with `input`.
   * Resolves with the session as stored once the turn started.
   */
  async create(principal: Principal, request: SessionCreateRequest, headers: RequestHeaders): Promise<AgentSessionRecord> {
    const tenant = principal.tenant.id;
    if (request.environment.type !== 'none')
      throw new InvalidRequestError(
        `Invalid value for 'environment.type': '${excerpt(request.environment.type, 64)}' is not served: Crossway runs no sandboxes; use {"type": "none"}.`,
        'environment.type',
      );
    if (request.input === undefined || request.input === null)
      throw new InvalidRequestError("Missing required parameter: 'input' (required when environment.type is 'none').", 'input');
    if (request.stream_options !== undefined && request.stream !== true)
      throw new InvalidRequestError("'stream_options' is only allowed when 'stream' is true.", 'stream_options');
    let saved: AgentSettings | null = null;
    if (request.agent_id !== undefined) {
      const agent = await this.#store.getAgent(tenant, request.agent_id);
      if (agent === null) throw new NotFoundError(`Agent with id '${excerpt(request.agent_id)}' not found.`, 'agent_not_found', 'agent_id');
      saved = agent.config as unknown as AgentSettings;
    } else if (request.agent?.model === undefined) {
      throw new InvalidRequestError("Missing required parameter: 'agent.model' (required without 'agent_id').", 'agent.model');
    }
    const agent = resolveSessionAgent(request.agent_id ?? createItemId('agent'), saved, request.agent);
    // A model the catalog does not serve would fail the session at its first step: refused now, cheaply.
    if (this.#services().catalog.findModel(String(agent.model)) === undefined)
      throw new NotFoundError(
        `The model \`${excerpt(String(agent.model))}\` does not exist or you do not have access to it.`,
        'model_not_found',
        'agent.model',
      );
    checkServedTools(agent.tools, request.agent?.tools === undefined || request.agent.tools === null ? 'tools' : 'agent.tools');
    // MCP servers under the tenant's governance before the session exists: an unregistered label, a URL the policy
    // forbids or a private address is a 400/404 now, not a failed turn later.
    agent.tools = sealAgentTools(agent.tools, this.#services().compactionKey, tenant);
    const mcpTools = toResponsesMcpTools(agent.tools, this.#services().compactionKey, tenant);
    if (mcpTools.length > 0) await resolveTurnMcpServers(this.#services(), principal.tenant, mcpTools);
    // The tenant's storage quota (shared with responses and conversations) before anything is stored: the input's bytes.
    await checkTurnStorage(this.#services(), tenant, { request: request.input, stores: true, conversationItems: null, newItems: 0 });
    const now = new Date().toISOString();
    const session: Omit<AgentSessionRecord, 'event_seq' | 'item_count' | 'version'> = {
      id: createItemId('sess'),
      tenant,
      agent_id: request.agent_id ?? null,
      created_at: now,
      updated_at: now,
      last_active_at: now,
      status: 'idle',
      state: {
        agent,
        environment: { type: 'none' },
        metadata: request.metadata ?? {},
        required_actions: [],
        usage: null,
        error: null,
        vault_ids: request.vault_ids ?? [],
        review: request.review ?? 'none',
        ...(request.prompt_cache_options ? { prompt_cache_options: { ttl: request.prompt_cache_options.ttl ?? '30m' } } : {}),
      },
      active_turn_id: null,
      owner: null,
      lease_expires_at: null,
    };
    if (request.spend_control?.limit) session.state = withSpendLimit(session.state, request.spend_control.limit);
    const created = toSessionObject({ ...session, event_seq: 0, item_count: 0, version: null });
    await this.#store.insertAgentSession(session, [{ type: 'agent.session.created', session: created }]);
    const input: AgentInputMessage[] =
      typeof request.input === 'string' ? [{ role: 'user', content: [{ type: 'input_text', text: request.input }] }] : request.input;
    await this.#startTurn(principal, session.id, input, headers);
    return this.#readSession(tenant, session.id);
  }

  /** Applies input events in order (HTTP 202: accepted; the turn runs on). */
  async post(principal: Principal, sessionId: string, events: readonly SessionInputEvent[], headers: RequestHeaders): Promise<void> {
    const tenant = principal.tenant.id;
    await this.#readSession(tenant, sessionId);
    for (const event of events) {
      switch (event.type) {
        case 'agent.session.input.message':
          await this.#startTurn(principal, sessionId, event.input, headers);
          break;
        case 'agent.session.input.cancel':
          await this.#cancel(tenant, sessionId);
          break;
        case 'agent.session.input.tool_result':
          await this.#toolResult(principal, sessionId, event, headers);
          break;
        case 'agent.session.input.mcp_approval_request_result':
          await this.#approvalResult(principal, sessionId, event, headers);
          break;
        default:
          throw new InvalidRequestError('Computer-use approvals are not served: Crossway runs no sandboxes.', 'events.type');
      }
    }
  }

  /** Starts a turn on an idle session: its messages stored, the session in progress, the steps running here. */
  async #startTurn(principal: Principal, sessionId: string, input: readonly AgentInputMessage[], headers: RequestHeaders): Promise<void> {
    const tenant = principal.tenant.id;
    for (let tries = 0; tries < MAX_WRITE_TRIES; tries += 1) {
      const session = await this.#readSession(tenant, sessionId);
      if (session.status === 'failed') throw sessionFailed(session);
      const overSpent = checkSpendLimit(session.state);
      if (overSpent !== null) throw new InvalidRequestError(overSpent.message, 'spend_control', overSpent.code);
      if (session.status !== 'idle')
        throw new ConflictError(
          `Session '${excerpt(sessionId)}' is ${session.status}: a new message needs an idle session (cancel the active turn first).`,
          'session_not_idle',
        );
      if (session.item_count + input.length > this.#maxSessionItems)
        throw new InvalidRequestError(
          `Session '${excerpt(sessionId)}' holds ${session.item_count} items, at most ${this.#maxSessionItems}: start a new session.`,
          'events',
          'session_item_limit_reached',
        );
      const agent = session.state.agent as Record<string, unknown>;
      const now = new Date();
      const turnId = createItemId('turn');
      const turn: TurnObject = {
        id: turnId,
        object: 'agent.session.turn',
        agent_id: String(agent.id),
        session_id: sessionId,
        created_at: Math.floor(now.getTime() / 1000),
        started_at: Math.floor(now.getTime() / 1000),
        completed_at: null,
        status: 'in_progress',
        error: null,
        subagent_id: null,
        usage: null,
        crossway: { decision_ids: [] },
        crossway_steps: 0,
      };
      const state = { ...session.state, required_actions: [], error: null };
      const running = toSessionObject({ ...session, status: 'in_progress', state, last_active_at: now.toISOString() });
      const items = input.map((message) => toUserMessageItem(message, turnId));
      const { crossway_steps: _steps, ...published } = turn;
      const written = await this.#writeInput(tenant, sessionId, {
        patch: {
          status: 'in_progress',
          state,
          active_turn_id: turnId,
          owner: this.replicaId,
          lease_expires_at: this.#lease(),
          last_active_at: now.toISOString(),
        },
        condition: { statuses: ['idle'], version: session.version },
        turns: [{ id: turnId, created_at: now.toISOString(), status: 'in_progress', turn }],
        items: items.map((item) => ({ id: String(item.id), turn_id: turnId, item })),
        events: [
          { type: 'agent.session.in_progress', session: running },
          { type: 'agent.session.turn.created', session_id: sessionId, turn_id: turnId, turn: { ...published, status: 'queued', started_at: null } },
          { type: 'agent.session.turn.in_progress', session_id: sessionId, turn_id: turnId, turn: published },
        ],
      });
      if (written) {
        this.#launch(principal, sessionId, turn, headers);
        return;
      }
    }
    throw new ConflictError(`Session '${excerpt(sessionId)}' is being changed by other requests; try again.`, 'session_busy');
  }

  /** Runs a turn's steps here, until it completes, fails, waits for tool results, or is abandoned. */
  #launch(principal: Principal, sessionId: string, turn: TurnObject, headers: RequestHeaders): void {
    const controller = new AbortController();
    const step = { tenant: principal.tenant.id, controller, done: Promise.resolve() };
    this.#running.set(sessionId, step);
    step.done = this.#runTurn(principal, sessionId, turn, headers, controller)
      .catch((error: unknown) => this.#logger.error({ err: error, sessionId, tenant: principal.tenant.id }, 'an agent session step failed'))
      .finally(() => {
        if (this.#running.get(sessionId) === step) this.#running.delete(sessionId);
      });
  }

  async #runTurn(principal: Principal, sessionId: string, turn: TurnObject, headers: RequestHeaders, controller: AbortController): Promise<void> {
    const tenant = principal.tenant.id;
    const held = { activeTurnId: turn.id, owner: this.replicaId };
    for (;;) {
      if ((turn.crossway_steps ?? 0) >= this.#maxSteps) {
        const message = `The turn reached Crossway's limit of ${this.#maxSteps} model steps without a final answer.`;
        await this.#finishTurn(tenant, sessionId, turn, 'failed', { code: 'usage_limit_exceeded', message }, null);
        return;
      }
      const session = await this.#store.getAgentSession(tenant, sessionId);
      if (session === null || session.active_turn_id !== turn.id || session.owner !== this.replicaId) return;
      const agent = session.state.agent as Record<string, unknown>;
      const permanent = this.#checkSessionLimits(session);
      if (permanent !== null) {
        await this.#finishTurn(tenant, sessionId, turn, 'failed', permanent, null, { owner: this.replicaId }, permanent);
        return;
      }
      // The session's spend (its steps so far, this turn's included) against its limit.
      const overSpent = checkSpendLimit(session.state);
      if (overSpent !== null) {
        await this.#finishTurn(tenant, sessionId, turn, 'failed', overSpent, null);
        return;
      }
      const { items, compaction } = await this.#readContext(principal, session, turn, headers, controller.signal);
      const start: AgentStepStart = {
        requestId: createTimeOrderedId('req'),
        sessionId,
        model: String(agent.model),
        createdAt: new Date().toISOString(),
        startedAt: performance.now(),
        tenantId: principal.tenant.id,
        keyId: principal.key?.id ?? null,
      };
      let step: AgentStepResult;
      try {
        step = await runAgentStep(
          this.#services(),
          {
            principal,
            headers,
            signal: controller.signal,
            requestId: start.requestId,
            sessionId,
            turnId: turn.id,
            agent,
            items,
            compaction: compaction?.item ?? null,
            listings: this.#listings,
          },
          async (write) => {
            const written = await this.#write(tenant, sessionId, { patch: { last_active_at: new Date().toISOString() }, condition: held, ...write });
            if (!written) controller.abort();
            return written;
          },
        );
      } catch (error) {
        // Cancelled, deleted or taken over: whoever did that wrote the session's state (the row says 499, as for a client gone).
        const abandoned = controller.signal.aborted || error instanceof StepAbandonedError;
        this.#stepLog?.record(toAgentStepLogRow(start, { error: abandoned ? new ClientClosedError() : error }, performance.now()));
        if (abandoned) return;
        noteDecision(turn, toCrosswayError(error).decisionId);
        const failure = toTurnError(error);
        // The model left the catalog between the check and the call (a reload): as permanent as the check's finding.
        const permanent = toCrosswayError(error).code === 'model_not_found' ? failure : null;
        await this.#finishTurn(tenant, sessionId, turn, 'failed', failure, null, { owner: this.replicaId }, permanent);
        return;
      }
      this.#stepLog?.record(toAgentStepLogRow(start, { step }, performance.now()));
      noteDecision(turn, step.info?.decisionId);
      turn.crossway_steps = (turn.crossway_steps ?? 0) + 1;
      const usage = step.result.response.usage ?? null;
      turn.usage = addUsage(turn.usage, usage);
      if (step.result.response.status === 'failed') {
        const failure = step.result.response.error;
        await this.#finishTurn(tenant, sessionId, turn, 'failed', { code: 'server_error', message: failure?.message ?? 'The model step failed.' }, usage);
        return;
      }
      // Checked before the next step: the calls this step announced are the client's to answer (its helper runs them
      // as they are announced), and a model step is what spends.
      await this.#recordSpend(tenant, sessionId, start.requestId);
      if (step.calls === 0) {
        await this.#finishTurn(tenant, sessionId, turn, 'completed', null, usage);
        return;
      }
      if (!(await this.#awaitToolResults(tenant, sessionId, turn, usage))) return;
    }
  }

  /** The session's items after `after` (a compaction's last position), oldest first, with their positions. */
  async #readRows(tenant: string, sessionId: string, after: number): Promise<AgentItemRecord[]> {
    const rows = (await this.#store.listAgentItems(tenant, sessionId, { limit: MAX_CONTEXT_ITEMS, order: 'desc' })) ?? [];
    return rows.reverse().filter((row) => row.position > after);
  }

  /**
   * The items a step sends: those after the session's compaction, and the compaction item. When they would fill too
   * much of the model's window, the earlier turns' items are compacted first (one metered call, its decision on the
   * turn, its charge in the session's spend). A compaction that fails leaves the step to truncation.
   */
  async #readContext(
    principal: Principal,
    session: AgentSessionRecord,
    turn: TurnObject,
    headers: RequestHeaders,
    signal: AbortSignal,
  ): Promise<{ items: Record<string, unknown>[]; compaction: SessionCompaction | null }> {
    const tenant = principal.tenant.id;
    const services = this.#services();
    const agent = session.state.agent as Record<string, unknown>;
    const compaction = readSessionCompaction(session.state);
    const rows = await this.#readRows(tenant, session.id, compaction?.through ?? 0);
    const due = findRowsToCompact(services, tenant, agent, compaction, rows, turn.id);
    if (due === null) return { items: rows.map((row) => row.item), compaction };
    const start: AgentStepStart = {
      requestId: createTimeOrderedId('req'),
      sessionId: session.id,
      model: String(agent.model),
      createdAt: new Date().toISOString(),
      startedAt: performance.now(),
      tenantId: principal.tenant.id,
      keyId: principal.key?.id ?? null,
    };
    const { requestId } = start;
    const context: CallContext = { principal, requestId, signal, startedAt: start.startedAt, deadlineAt: null, routingHeaders: headers, requestRate: null };
    try {
      const done = await compactSessionRows(services, context, agent, compaction, due);
      this.#stepLog?.record(toAgentStepLogRow(start, { compaction: done.call }, performance.now()));
      noteDecision(turn, done.call.info.decisionId);
      turn.usage = addUsage(turn.usage, done.call.usage);
      await this.#recordSpend(tenant, session.id, requestId);
      for (let tries = 0; tries < MAX_WRITE_TRIES; tries += 1) {
        const current = await this.#store.getAgentSession(tenant, session.id);
        if (current === null || current.active_turn_id !== turn.id) break;
        // The summarising call's tokens count in the session's usage, as its steps' do.
        const usage = addUsage(current.state.usage as AgentTokenUsage | null, done.call.usage);
        const state = withSessionCompaction({ ...current.state, usage }, done.compaction);
        if (await this.#write(tenant, session.id, { patch: { state }, condition: { version: current.version, activeTurnId: turn.id } })) break;
      }
      return { items: rows.filter((row) => row.position > done.compaction.through).map((row) => row.item), compaction: done.compaction };
    } catch (error) {
      if (signal.aborted) throw error;
      this.#stepLog?.record({ ...toAgentStepLogRow(start, { error }, performance.now()), endpoint: AGENT_COMPACTION_ENDPOINT });
      this.#logger.warn({ err: error, sessionId: session.id, tenant }, 'compacting an agent session failed; the step runs on a truncated context');
      return { items: rows.map((row) => row.item), compaction };
    }
  }

  /** Adds what the step was charged (its usage event, under the step's request id) to the session's spend. */
  async #recordSpend(tenant: string, sessionId: string, requestId: string): Promise<void> {
    const events = await this.#store.findUsageEventsByRequest(requestId);
    // Spend control is in USD: a route priced in another currency adds nothing (best effort, as the types say).
    const charged = events.filter((event) => event.tenant === tenant && event.currency === 'USD').reduce((sum, event) => sum + event.charged, 0n);
    for (let tries = 0; tries < MAX_WRITE_TRIES; tries += 1) {
      const session = await this.#store.getAgentSession(tenant, sessionId);
      if (session === null || charged === 0n) return;
      if (await this.#write(tenant, sessionId, { patch: { state: addSpend(session.state, charged) }, condition: { version: session.version } })) return;
    }
    throw new ConflictError(`Session '${excerpt(sessionId)}' is being changed by other requests; try again.`, 'session_busy');
  }

  /**
   * After a step that called tools: pauses the session in requires_action with the calls still unanswered, or, when
   * every call was answered already (results may be posted while the step streams), goes on. True: run the next step.
   */
  async #awaitToolResults(tenant: string, sessionId: string, turn: TurnObject, usage: AgentSessionRecord['state']['usage']): Promise<boolean> {
    for (let tries = 0; tries < MAX_WRITE_TRIES; tries += 1) {
      const session = await this.#store.getAgentSession(tenant, sessionId);
      if (session === null || session.active_turn_id !== turn.id || session.owner !== this.replicaId) return false;
      const pending = findPendingCalls(await this.#readItems(tenant, sessionId), turn.id);
      const state = { ...session.state, usage: addUsage(session.state.usage as AgentTokenUsage | null, usage as never) };
      const condition = { activeTurnId: turn.id, owner: this.replicaId, version: session.version };
      if (pending.length === 0) {
        if (await this.#write(tenant, sessionId, { patch: { state, lease_expires_at: this.#lease() }, condition, turns: [this.#turnRecord(turn)] }))
          return true;
        continue;
      }
      const waiting = { ...session.state, ...state, required_actions: pending };
      const paused = toSessionObject({ ...session, status: 'requires_action', state: waiting });
      const written = await this.#write(tenant, sessionId, {
        patch: { status: 'requires_action', state: waiting, owner: null, lease_expires_at: null },
        condition,
        turns: [this.#turnRecord({ ...turn, status: 'waiting' })],
        events: [{ type: 'agent.session.requires_action', session: paused }],
      });
      if (written) return false;
    }
    throw new Error(`could not pause session ${sessionId} for tool results`);
  }

  #turnRecord(turn: TurnObject): Omit<AgentTurnRecord, 'session_id'> {
    return { id: turn.id, created_at: new Date(Number(turn.created_at) * 1000).toISOString(), status: turn.status, turn };
  }

  /** Ends the turn (completed, failed or cancelled) and returns the session to idle, in one write. */
  async #finishTurn(
    tenant: string,
    sessionId: string,
    turn: TurnObject,
    status: 'completed' | 'failed' | 'cancelled',
    error: { code: string; message: string } | null,
    usage: unknown,
    condition: { owner?: string } = { owner: this.replicaId },
    permanent: SessionFailure | null = null,
  ): Promise<boolean> {
    for (let tries = 0; tries < MAX_WRITE_TRIES; tries += 1) {
      const session = await this.#store.getAgentSession(tenant, sessionId);
      if (session === null || session.active_turn_id !== turn.id) return false;
      const now = new Date();
      const ended: TurnObject = { ...turn, status, error, completed_at: Math.floor(now.getTime() / 1000) };
      // A session that can take no more input ends failed rather than idle (its items are at their bound).
      const failure = permanent ?? this.#checkSessionFull(session);
      const state = {
        ...session.state,
        required_actions: [],
        usage: addUsage(session.state.usage as AgentTokenUsage | null, usage as never),
        ...(failure === null ? {} : { error: failure.message }),
      };
      const next = failure === null ? 'idle' : 'failed';
      const idle = toSessionObject({ ...session, status: next, state, last_active_at: now.toISOString() });
      const { crossway_steps: _steps, ...published } = ended;
      // MCP calls still waiting for approval end with the turn (never made): incomplete, not in progress forever.
      const waiting = ((session.state.required_actions ?? []) as { type?: string }[]).some((action) => action.type === 'mcp_approval_request')
        ? (await this.#readItems(tenant, sessionId)).filter((item) => item.type === 'mcp_call' && item.turn_id === turn.id && item.status === 'in_progress')
        : [];
      const written = await this.#write(tenant, sessionId, {
        patch: { status: next, state, active_turn_id: null, owner: null, lease_expires_at: null, last_active_at: now.toISOString() },
        condition: { activeTurnId: turn.id, version: session.version, ...condition },
        updatedItems: waiting.map((item) => ({ id: String(item.id), item: { ...item, status: 'incomplete' } })),
        turns: [this.#turnRecord(ended)],
        events: [
          { type: `agent.session.turn.${status}`, session_id: sessionId, turn_id: turn.id, turn: published, usage: ended.usage },
          // The types send `error` "when a turn or session fails", before the session goes idle (the turn's error, once).
          ...(status === 'failed' && error !== null ? [toErrorEvent(sessionId, error)] : []),
          ...(failure !== null && failure !== error ? [toErrorEvent(sessionId, failure)] : []),
          failure === null ? { type: 'agent.session.idle', session: idle } : { type: 'agent.session.failed', session: idle },
        ],
      });
      if (written) return true;
    }
    throw new Error(`could not end turn ${turn.id} of session ${sessionId}`);
  }

  /**
   * What fails a session for good before its next step: its model is no longer served (a reload removed it), or a
   * step of the running turn took its items past their bound. Null when the step may run.
   */
  #checkSessionLimits(session: AgentSessionRecord): SessionFailure | null {
    const model = String((session.state.agent as { model?: unknown }).model);
    if (this.#services().catalog.findModel(model) === undefined)
      return {
        code: 'resource_not_found',
        message: `The model '${excerpt(model, 64)}' this session runs is no longer served by this gateway; the session failed.`,
      };
    return session.item_count > this.#maxSessionItems ? this.#fullFailure(session) : null;
  }

  /** The failure of a session whose items reached their bound once a turn ended: no message would fit. */
  #checkSessionFull(session: AgentSessionRecord): SessionFailure | null {
    return session.item_count >= this.#maxSessionItems ? this.#fullFailure(session) : null;
  }

  #fullFailure(session: AgentSessionRecord): SessionFailure {
    const message = `The session holds ${session.item_count} items, at most ${this.#maxSessionItems}; it failed: start a new session.`;
    return { code: 'session_budget_exceeded', message };
  }

  async #activeTurn(tenant: string, session: AgentSessionRecord): Promise<TurnObject | null> {
    if (session.active_turn_id === null) return null;
    const record = await this.#store.getAgentTurn(tenant, session.id, session.active_turn_id);
    return record === null ? null : (record.turn as TurnObject);
  }

  /** Cancels the active turn (a no-op on an idle session); a step running here is abandoned at once, elsewhere at its next write. */
  async #cancel(tenant: string, sessionId: string): Promise<void> {
    const session = await this.#readSession(tenant, sessionId);
    const turn = await this.#activeTurn(tenant, session);
    if (turn === null) return;
    await this.#finishTurn(tenant, sessionId, turn, 'cancelled', null, null, {});
    const running = this.#running.get(sessionId);
    if (running !== undefined) running.controller.abort();
  }

  /** Records a tool result; the last missing one resumes the turn here. Unknown calls are answered as the client's helper expects. */
  async #toolResult(
    principal: Principal,
    sessionId: string,
    event: Extract<SessionInputEvent, { type: 'agent.session.input.tool_result' }>,
    headers: RequestHeaders,
  ): Promise<void> {
    const tenant = principal.tenant.id;
    // The helper retries this exact message a few times: a call it saw may not be pending yet.
    const unknown = new InvalidRequestError(`Unknown pending tool call: ${event.call_id}`, 'call_id', 'invalid_request_error');
    for (let tries = 0; tries < MAX_WRITE_TRIES; tries += 1) {
      const session = await this.#readSession(tenant, sessionId);
      if (session.active_turn_id !== event.turn_id || (session.status !== 'in_progress' && session.status !== 'requires_action')) throw unknown;
      const items = await this.#readItems(tenant, sessionId);
      if (!findPendingCalls(items, event.turn_id).some((call) => call.call_id === event.call_id)) throw unknown;
      const output = toFunctionCallOutputItem(event.turn_id, event.call_id, event);
      const appended = { id: String(output.id), turn_id: event.turn_id, item: output };
      if (session.status === 'in_progress') {
        // The step still runs (or is being paused): it reads the result when it ends.
        if (await this.#writeInput(tenant, sessionId, { patch: {}, condition: { version: session.version, statuses: ['in_progress'] }, items: [appended] }))
          return;
        continue;
      }
      const pending = findPendingCalls([...items, output], event.turn_id);
      if (pending.length > 0) {
        const state = { ...session.state, required_actions: pending };
        if (await this.#writeInput(tenant, sessionId, { patch: { state }, condition: { version: session.version }, items: [appended] })) return;
        continue;
      }
      if (await this.#resumeTurn(principal, session, headers, unknown, { items: [appended], events: [] })) return;
    }
    throw new ConflictError(`Session '${excerpt(sessionId)}' is being changed by other requests; try again.`, 'session_busy');
  }

  /**
   * Records the client's decision on an MCP call waiting for approval: approved calls are made by the next step, denied
   * or cancelled ones end failed without reaching the server. The last missing answer resumes the turn here.
   */
  async #approvalResult(
    principal: Principal,
    sessionId: string,
    event: Extract<SessionInputEvent, { type: 'agent.session.input.mcp_approval_request_result' }>,
    headers: RequestHeaders,
  ): Promise<void> {
    const tenant = principal.tenant.id;
    const unknown = new InvalidRequestError(`Unknown approval request: ${excerpt(event.request_id)}`, 'request_id', 'invalid_request_error');
    for (let tries = 0; tries < MAX_WRITE_TRIES; tries += 1) {
      const session = await this.#readSession(tenant, sessionId);
      if (session.status !== 'requires_action' || session.active_turn_id === null) throw unknown;
      const turnId = session.active_turn_id;
      const items = await this.#readItems(tenant, sessionId);
      const index = items.findIndex((item) => item.type === 'mcp_call' && item.turn_id === turnId && readApproval(item)?.request_id === event.request_id);
      const asked = items[index];
      const approval = asked === undefined ? null : readApproval(asked);
      if (asked === undefined || approval === null || approval.decision !== null) throw unknown;
      const decision = event.response.decision;
      const message = decision === 'deny' ? 'The call was not approved.' : 'The approval request was cancelled.';
      const answered: Record<string, unknown> =
        decision === 'approve'
          ? { ...asked, crossway_approval: { ...approval, decision } }
          : { ...asked, crossway_approval: { ...approval, decision }, status: 'failed', error: { type: 'http_error', code: 403, message } };
      this.#logger.info({ session_id: sessionId, mcp: { server_label: asked.server_label, tool: asked.name, outcome: decision } }, 'mcp approval');
      const updatedItems = [{ id: String(asked.id), item: answered }];
      const done =
        decision === 'approve'
          ? []
          : [{ type: 'agent.session.turn.item.done', session_id: sessionId, turn_id: turnId, item: withoutPrivateKeys(answered), output_index: index }];
      const after = items.map((item, position) => (position === index ? answered : item));
      const pending = findPendingCalls(after, turnId);
      if (pending.length > 0) {
        const state = { ...session.state, required_actions: pending };
        if (await this.#write(tenant, sessionId, { patch: { state }, condition: { version: session.version }, updatedItems, events: done })) return;
        continue;
      }
      if (await this.#resumeTurn(principal, session, headers, unknown, { updatedItems, events: done })) return;
    }
    throw new ConflictError(`Session '${excerpt(sessionId)}' is being changed by other requests; try again.`, 'session_busy');
  }

  /** Opens a stream of the session's events after `after` (see SessionEventStreams.subscribe). */
  subscribe(tenant: string, sessionId: string, after: number, signal: AbortSignal, until?: (event: Record<string, unknown>) => boolean): SessionSubscription {
    return this.#streams.subscribe(tenant, sessionId, after, signal, until);
  }

  /** Renews the leases of steps running here (abandoning those lost), and fails steps whose replica died. */
  async #renewAndSweep(): Promise<void> {
    const store = this.#store;
    try {
      const ids = [...this.#running.keys()];
      const held = new Set(await store.renewAgentSessionLeases(this.replicaId, ids, this.#lease()));
      for (const id of ids) if (!held.has(id)) this.#running.get(id)?.controller.abort();
      for (const orphan of await store.listOrphanedAgentSessions(new Date().toISOString(), 20)) {
        const turn = await this.#activeTurn(orphan.tenant, orphan);
        if (turn === null || orphan.owner === null) continue;
        const message = 'The gateway replica running this step stopped before it finished; the step was not retried, so that its model call is not run twice.';
        await this.#finishTurn(orphan.tenant, orphan.id, turn, 'failed', { code: 'internal_error', message }, null, { owner: orphan.owner });
        this.#logger.warn({ sessionId: orphan.id, tenant: orphan.tenant, owner: orphan.owner }, 'failed an agent session step whose replica died');
      }
    } catch (error) {
      this.#logger.error({ err: error }, 'renewing agent session leases failed');
    }
  }

  /** Whether a step of this session runs here now (for deletion: a running session must be cancelled first). */
  isRunning(sessionId: string): boolean {
    return this.#running.has(sessionId);
  }
}
