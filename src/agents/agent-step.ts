// One model step of an agent session: the session's items as a Responses turn through the turn machinery (planner,
// executor, limits, budgets, metering, decisions), its stream translated into the session's events and items.
import type { CallContext, CallInfo, Principal } from '../calls/index.ts';
import type { RequestHeaders } from '../policy/index.ts';
import { createItemId } from '../runtime/index.ts';
import type { AgentSessionWrite, McpCallLogEntry } from '../store/index.ts';
import { readMcpToolFacts } from '../mcp/index.ts';
import { type ExposedMcpTool, type ResponseTurn, runMcpCall, streamTurn, toMcpFunctionTool, type TurnResult, type TurnServices } from '../turns/index.ts';
import { parseRequest, type ResponseCompactionItem, responseCreateRequestSchema, type ResponseStreamEvent } from '../wire/index.ts';
import { toAgentOutputItem, toContextItems, toOpenMessageItem } from './agent-items.ts';
import { type AgentMcpListings, agentMcpScope, exposeAgentMcpTools, readApproval, toAgentMcpCallItem, toPendingMcpCallItem } from './agent-mcp-tools.ts';
import { withoutPrivateKeys } from './agent-objects.ts';

/** What a step writes as it streams: one session write per event; false when the session is no longer the step's. */
export type StepWriter = (write: Pick<AgentSessionWrite, 'items' | 'updatedItems' | 'events'>) => Promise<boolean>;

/** What a step did: the turn's result, the tool calls it made, and its call (route, attempts, decision). */
export interface AgentStepResult {
  result: TurnResult;
  calls: number;
  info: CallInfo | null;
  /** The MCP operations of the step (skipped servers, calls made, approvals asked), for its request-log row. */
  mcpCalls: McpCallLogEntry[];
}

/** A step to run. */
export interface AgentStepInput {
  principal: Principal;
  headers: RequestHeaders;
  signal: AbortSignal;
  /** The step's request id: its usage event's and its request-log row's. */
  requestId: string;
  sessionId: string;
  turnId: string;
  /** The session's resolved agent (AgentSession.Agent). */
  agent: Record<string, unknown>;
  /** Every item of the session so far, oldest first (after its compaction, when it was compacted). */
  items: readonly Record<string, unknown>[];
  /** The compaction item standing for the session's items before `items`, sent first; null when never compacted. */
  compaction?: ResponseCompactionItem | null;
  /** The sessions' MCP tool lists (each server listed once per session). */
  listings: AgentMcpListings;
}

/** The Responses request of a step: the agent's model, instructions, function tools and reasoning. */
function toStepRequest(agent: Record<string, unknown>, exposed: ReadonlyMap<string, ExposedMcpTool>) {
  const tools = (Array.isArray(agent.tools) ? (agent.tools as Record<string, unknown>[]) : [])
    .filter((tool) => tool.type === 'function')
    .map((tool): Record<string, unknown> => ({ type: 'function', name: tool.name, description: tool.description, parameters: tool.parameters }))
    // The MCP tools the agent may use, as function tools whose calls Crossway makes itself.
    .concat([...exposed.values()].map((entry) => toMcpFunctionTool(entry) as unknown as Record<string, unknown>));
  const reasoning = agent.reasoning as { effort?: string | null } | undefined;
  const text = agent.text as { format?: Record<string, unknown> } | undefined;
  return parseRequest(responseCreateRequestSchema, {
    model: agent.model,
    ...(typeof agent.instructions === 'string' ? { instructions: agent.instructions } : {}),
    ...(tools.length === 0 ? {} : { tools }),
    ...(reasoning?.effort ? { reasoning: { effort: reasoning.effort } } : {}),
    ...(text?.format !== undefined && text.format.type !== 'text' ? { text: { format: text.format } } : {}),
    // A long session drops its oldest items (never a call apart from its output) to fit the answering route's window.
    truncation: 'auto',
    store: false,
    stream: true,
  });
}

/**
 * Runs one step; resolves with the turn's result (its output as the session stored it) or rejects as streamTurn does.
 * Every event is written (with its item) before the next is read, so a subscriber sees items and events in order.
 */
export async function runAgentStep(services: TurnServices, input: AgentStepInput, write: StepWriter): Promise<AgentStepResult> {
  const base = { session_id: input.sessionId, turn_id: input.turnId };
  const { exposed, skipped } = await exposeAgentMcpTools(services, input.listings, input.principal, input.sessionId, input.agent, input.signal);
  // An optional MCP server that could not be listed is left out of the step; the session's `error` event says why.
  const mcpCalls: McpCallLogEntry[] = [];
  for (const server of skipped) {
    mcpCalls.push({ server_label: server.label, tool: 'tools/list', outcome: `skipped: ${server.error.code}` });
    services.logger.warn({ session_id: input.sessionId, mcp: { server_label: server.label, outcome: 'skipped: listing failed' } }, 'mcp server skipped');
    const error = { code: server.error.code, message: `${server.error.message} Its tools are left out of this step.`, param: null, type: 'server_error' };
    if (!(await write({ events: [{ type: 'error', session_id: input.sessionId, error }] }))) throw new StepAbandonedError();
  }
  const mcp = createMcpCaller(services, input, exposed, mcpCalls);
  // MCP calls the client approved since the last step run first, so that the model sees their results.
  const items = [...input.items];
  for (const [index, item] of items.entries()) {
    if (item.type !== 'mcp_call' || item.turn_id !== input.turnId || item.status !== 'in_progress' || readApproval(item)?.decision !== 'approve') continue;
    const done = await mcp(item);
    items[index] = done;
    const event = { type: 'agent.session.turn.item.done', ...base, item: withoutPrivateKeys(done), output_index: index };
    if (!(await write({ updatedItems: [{ id: String(done.id), item: done }], events: [event] }))) throw new StepAbandonedError();
  }
  const turn: ResponseTurn = {
    id: createItemId('resp'),
    createdAt: Math.floor(Date.now() / 1000),
    request: toStepRequest(input.agent, exposed),
    // Earlier turns are the context truncation may shorten; this turn's items are its input, always sent.
    inputItems: toContextItems(items.filter((item) => item.turn_id === input.turnId)),
    contextItems: [...(input.compaction ? [input.compaction] : []), ...toContextItems(items.filter((item) => item.turn_id !== input.turnId))],
    // The MCP calls made since the model's last step, in this step's decision (tool names and outcomes, never arguments).
    notes: describeMcpCalls(items.filter((item) => item.turn_id === input.turnId)),
    previousResponseId: null,
    conversationId: null,
  };
  const context: CallContext = {
    principal: input.principal,
    requestId: input.requestId,
    signal: input.signal,
    startedAt: performance.now(),
    // Nobody waits on a step's answer: the routes' own timeouts alone.
    deadlineAt: null,
    routingHeaders: input.headers,
    requestRate: null,
  };
  // Crossway's item id for each of the step's Responses items (a cloud's own ids are not unique across sessions).
  const ids = new Map<string, string>();
  let calls = 0;
  /** The model's calls of MCP tools, made once its step ended. */
  const modelMcpCalls: { output: Record<string, unknown>; outputIndex: number }[] = [];
  const idOf = (responseId: unknown): string => {
    const key = String(responseId);
    let id = ids.get(key);
    if (id === undefined) {
      id = createItemId('item');
      ids.set(key, id);
    }
    return id;
  };
  const translate = (event: ResponseStreamEvent): Pick<AgentSessionWrite, 'items' | 'updatedItems' | 'events'> | null => {
    const value = event as unknown as Record<string, unknown>;
    const outputIndex = value.output_index as number;
    switch (event.type) {
      case 'response.output_item.added': {
        const item = value.item as Record<string, unknown>;
        if (item.type !== 'message') return null;
        const open = toOpenMessageItem(idOf(item.id), input.turnId);
        return {
          items: [{ id: String(open.id), turn_id: input.turnId, item: open }],
          events: [{ type: 'agent.session.turn.item.added', ...base, item: open, output_index: outputIndex }],
        };
      }
      case 'response.content_part.added':
      case 'response.content_part.done': {
        const part = value.part as Record<string, unknown>;
        if (part.type !== 'output_text') return null;
        const type = event.type === 'response.content_part.added' ? 'agent.session.turn.content_part.added' : 'agent.session.turn.content_part.done';
        return {
          events: [
            {
              type,
              ...base,
              item_id: idOf(value.item_id),
              output_index: outputIndex,
              content_index: value.content_index,
              part: { type: 'output_text', text: String(part.text ?? '') },
            },
          ],
        };
      }
      case 'response.output_text.delta':
        return {
          events: [
            {
              type: 'agent.session.turn.output_text.delta',
              ...base,
              item_id: idOf(value.item_id),
              output_index: outputIndex,
              content_index: value.content_index,
              delta: value.delta,
            },
          ],
        };
      case 'response.output_text.done':
        return {
          events: [
            {
              type: 'agent.session.turn.output_text.done',
              ...base,
              item_id: idOf(value.item_id),
              output_index: outputIndex,
              content_index: value.content_index,
              text: value.text,
            },
          ],
        };
      case 'response.output_item.done': {
        const output = value.item as Record<string, unknown>;
        if (output.type === 'function_call' && exposed.has(String(output.name))) {
          modelMcpCalls.push({ output, outputIndex });
          return null;
        }
        const known = ids.has(String(output.id));
        const item = toAgentOutputItem(output, idOf(output.id), input.turnId);
        if (item === null) return null;
        const { crossway_item: _source, ...published } = item;
        const done = { type: 'agent.session.turn.item.done', ...base, item: published, output_index: outputIndex };
        if (item.type === 'message' && known) return { updatedItems: [{ id: String(item.id), item }], events: [done] };
        if (item.type === 'function_call') calls += 1;
        // A call is announced once complete (the client's helper runs its handler on item.added), and stored first,
        // so that its result may be posted as soon as the event is seen.
        return {
          items: [{ id: String(item.id), turn_id: input.turnId, item }],
          events: [{ type: 'agent.session.turn.item.added', ...base, item: published, output_index: outputIndex }, done],
        };
      }
      default:
        return null;
    }
  };
  let info: CallInfo | null = null;
  const buffer = new StepWriteBuffer(write);
  const result = await streamTurn(
    services,
    context,
    turn,
    {
      started: (started) => {
        info = started;
      },
      event: async (event) => {
        const translated = translate(event);
        if (translated !== null) await buffer.add(translated, event.type !== 'response.output_text.delta');
      },
    },
    async () => {},
  );
  await buffer.flush();
  for (const { output, outputIndex } of modelMcpCalls) {
    const entry = exposed.get(String(output.name)) as ExposedMcpTool;
    calls += 1;
    const pending = toPendingMcpCallItem(entry.toolset.label, entry.tool.name, String(output.arguments ?? ''), input.turnId, output);
    const waits = entry.toolset.needsApproval(readMcpToolFacts(entry.tool));
    if (waits) {
      mcpCalls.push({ server_label: entry.toolset.label, tool: entry.tool.name, outcome: 'approval requested' });
      services.logger.info({ mcp: { server_label: entry.toolset.label, tool: entry.tool.name, outcome: 'approval requested' } }, 'mcp call');
    }
    // A call that needs approval stays in progress (the session then requires action); any other is made now.
    const item = waits ? pending : await mcp({ ...pending, crossway_approval: undefined });
    const published = withoutPrivateKeys(item);
    const events = [{ type: 'agent.session.turn.item.added', ...base, item: published, output_index: outputIndex }];
    if (!waits) events.push({ type: 'agent.session.turn.item.done', ...base, item: published, output_index: outputIndex });
    if (!(await write({ items: [{ id: String(item.id), turn_id: input.turnId, item }], events }))) throw new StepAbandonedError();
  }
  return { result, calls, info, mcpCalls };
}

/** The mcp_call items at the end of the turn's items (made after the model's last step), as decision notes. */
function describeMcpCalls(items: readonly Record<string, unknown>[]): string[] {
  const notes: string[] = [];
  for (let index = items.length - 1; index >= 0 && items[index]?.type === 'mcp_call'; index--) {
    const item = items[index] as Record<string, unknown>;
    const error = item.error as { type?: unknown } | null;
    const outcome = item.status === 'completed' ? 'completed' : item.status === 'in_progress' ? 'waiting for approval' : `failed: ${String(error?.type)}`;
    notes.unshift(`mcp ${String(item.server_label)}.${String(item.name)}: ${outcome}`);
  }
  return notes;
}

/**
 * Makes a session's MCP call (an mcp_call item, approved or needing no approval) with the shared runner: the engine's
 * timeout, allowed_tools checked again, failures as the item's typed error. Resolves with the finished item.
 */
function createMcpCaller(services: TurnServices, input: AgentStepInput, exposed: ReadonlyMap<string, ExposedMcpTool>, logged: McpCallLogEntry[]) {
  return async (item: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const entry = [...exposed.values()].find((candidate) => candidate.toolset.label === item.server_label && candidate.tool.name === item.name);
    const approval = readApproval(item);
    const call = { name: String(item.name), arguments: String(item.arguments ?? ''), approvalRequestId: approval?.request_id ?? null };
    const log = (toolset: { label: string }, name: string, outcome: string) => {
      logged.push({ server_label: toolset.label, tool: name, outcome });
      services.logger.info({ session_id: input.sessionId, mcp: { server_label: toolset.label, tool: name, outcome } }, 'mcp call');
    };
    const source = item.crossway_item as Record<string, unknown>;
    if (entry === undefined) {
      // The server or tool left the agent (or its allowed_tools) since the call was asked for: refused, never made.
      const error = { type: 'http_error', code: 403, message: `The tool ${call.name} is not allowed.` };
      logged.push({ server_label: String(item.server_label), tool: call.name, outcome: 'refused: not allowed' });
      return { ...toAgentMcpCallItem({ ...item, error, status: 'failed' } as never, input.turnId, source, approval), id: item.id };
    }
    if (services.mcp === undefined) throw new Error('MCP tools are not enabled on this gateway.');
    const done = await runMcpCall(services.mcp, entry.toolset, entry, call, input.signal, log, agentMcpScope(input.sessionId));
    return toAgentMcpCallItem({ ...done, id: String(item.id) }, input.turnId, source, approval);
  };
}

/** Text deltas waiting to be written at most this long, and this many at most: one write carries many of them. */
const DELTA_FLUSH_MS = 20;
const MAX_BUFFERED_EVENTS = 64;

type StepWrite = Pick<AgentSessionWrite, 'items' | 'updatedItems' | 'events'>;

/**
 * Gathers a step's writes so that text deltas share a transaction (one per delta would cost a round trip to the
 * database each): a delta waits at most DELTA_FLUSH_MS; any other event is written at once with what waits before it,
 * so that order is kept and an item is stored before the event that announces it is read.
 */
class StepWriteBuffer {
  readonly #write: StepWriter;
  #items: NonNullable<StepWrite['items']>[number][] = [];
  #updatedItems: NonNullable<StepWrite['updatedItems']>[number][] = [];
  #events: Record<string, unknown>[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** The writes in flight, in order; rejects with the first failure. */
  #chain: Promise<void> = Promise.resolve();

  constructor(write: StepWriter) {
    this.#write = write;
  }

  /** Adds a write; `now` writes it (with everything waiting) before resolving. Rejects once a write failed or was refused. */
  async add(part: StepWrite, now: boolean): Promise<void> {
    this.#items.push(...(part.items ?? []));
    this.#updatedItems.push(...(part.updatedItems ?? []));
    this.#events.push(...(part.events ?? []));
    if (now || this.#events.length >= MAX_BUFFERED_EVENTS) return this.flush();
    this.#timer ??= setTimeout(() => void this.flush().catch(() => {}), DELTA_FLUSH_MS);
    // A failure of a timed flush surfaces at the next event.
    await Promise.race([this.#chain, Promise.resolve()]);
  }

  /** Writes everything waiting; resolves once written. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch: StepWrite = { items: this.#items, updatedItems: this.#updatedItems, events: this.#events };
    this.#items = [];
    this.#updatedItems = [];
    this.#events = [];
    const empty = batch.items?.length === 0 && batch.updatedItems?.length === 0 && batch.events?.length === 0;
    this.#chain = this.#chain.then(async () => {
      if (!empty && !(await this.#write(batch))) throw new StepAbandonedError();
    });
    return this.#chain;
  }
}

/** The session moved on without the step (cancelled, deleted, or taken from this replica): it writes nothing more. */
export class StepAbandonedError extends Error {
  override name = 'StepAbandonedError';
}
