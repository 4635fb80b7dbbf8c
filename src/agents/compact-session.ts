// Compaction of a long agent session: once a step's context nears the model's smallest context window, the items of
// the session's earlier turns are condensed into one compaction item (the Responses compaction: a summary written by
// the model over the same routes, limits and ledger, sealed for the tenant), kept in the session's private state with
// the position of the last item it replaced. Every item stays stored and listable; a step sends the compaction item
// and the items after it. Compaction runs before the step that needs it (blocking), whatever `compaction.async` says.
import type { CallContext } from '../calls/index.ts';
import { openCompactionItems, truncateContextItems } from '../runtime/index.ts';
import type { AgentItemRecord } from '../store/index.ts';
import { type CompactionCall, compactTurn, type TurnServices } from '../turns/index.ts';
import { parseRequest, type ResponseCompactionItem, responseCreateRequestSchema, type ResponseItem } from '../wire/index.ts';
import { toContextItems } from './agent-items.ts';

/** The share of the model's smallest context window a step's context may fill before earlier turns are compacted. */
export const COMPACTION_THRESHOLD = 0.8;

/** The private state key of the session's compaction. */
const COMPACTION_KEY = 'crossway_compaction';

/** A session's compaction: the item that stands for its items up to position `through` (inclusive). */
export interface SessionCompaction {
  item: ResponseCompactionItem;
  through: number;
}

/** The session's compaction, or null when it was never compacted. */
export function readSessionCompaction(state: Record<string, unknown>): SessionCompaction | null {
  const value = state[COMPACTION_KEY] as Partial<SessionCompaction> | undefined;
  if (value?.item?.type !== 'compaction' || typeof value.through !== 'number') return null;
  return { item: value.item, through: value.through };
}

/** The state with a new compaction. */
export function withSessionCompaction(state: Record<string, unknown>, compaction: SessionCompaction): Record<string, unknown> {
  return { ...state, [COMPACTION_KEY]: compaction };
}

/** The context a step sends from the rows after the compaction: the compaction item first, then the earlier turns' items. */
export function toCompactedContext(compaction: SessionCompaction | null, rows: readonly AgentItemRecord[], turnId: string): ResponseItem[] {
  const earlier = toContextItems(rows.filter((row) => row.turn_id !== turnId).map((row) => row.item));
  return compaction === null ? earlier : [compaction.item as unknown as ResponseItem, ...earlier];
}

/**
 * The earlier-turn rows to compact before this step (those after the last compaction), when the step's context would
 * fill more than COMPACTION_THRESHOLD of the smallest window among the model's routes; null when it fits, when the
 * routes declare no window, or when only the running turn's items are left (truncation then keeps the step working).
 */
export function findRowsToCompact(
  services: TurnServices,
  tenant: string,
  agent: Record<string, unknown>,
  compaction: SessionCompaction | null,
  rows: readonly AgentItemRecord[],
  turnId: string,
): AgentItemRecord[] | null {
  const earlier = rows.filter((row) => row.turn_id !== turnId);
  if (earlier.length === 0) return null;
  const windows = (services.catalog.findModel(String(agent.model))?.routes ?? [])
    .map((route) => route.limits.context)
    .filter((window): window is number => window !== undefined);
  if (windows.length === 0) return null;
  const context = [...toCompactedContext(compaction, rows, turnId), ...toContextItems(rows.filter((row) => row.turn_id === turnId).map((row) => row.item))];
  const items = openCompactionItems(context, { key: services.compactionKey, tenant }, () => 'input');
  const instructions = typeof agent.instructions === 'string' ? agent.instructions : null;
  const fitted = truncateContextItems({
    instructions,
    items,
    contextWindow: Math.floor(Math.min(...windows) * COMPACTION_THRESHOLD),
    reservedOutputTokens: 0,
    keepFrom: items.length,
  });
  return fitted.dropped > 0 ? earlier : null;
}

/** Condenses the last compaction (if any) and `rows` into a new compaction item: one metered call of the agent's model. */
export async function compactSessionRows(
  services: TurnServices,
  context: CallContext,
  agent: Record<string, unknown>,
  compaction: SessionCompaction | null,
  rows: readonly AgentItemRecord[],
): Promise<{ compaction: SessionCompaction; call: CompactionCall }> {
  const request = parseRequest(responseCreateRequestSchema, {
    model: agent.model,
    ...(typeof agent.instructions === 'string' ? { instructions: agent.instructions } : {}),
    store: false,
  });
  const contextItems = toCompactedContext(compaction, rows, '');
  const call = await compactTurn(services, context, {
    id: 'compaction',
    createdAt: Math.floor(Date.now() / 1000),
    request,
    inputItems: [],
    contextItems,
    previousResponseId: null,
    conversationId: null,
  });
  const through = Math.max(compaction?.through ?? 0, ...rows.map((row) => row.position));
  return { compaction: { item: call.item, through }, call };
}
