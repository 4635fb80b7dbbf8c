// What a Responses turn leaves in the store: its stored response (request, Response object, input and output items),
// the chain cache's copy, and its conversation's new items; within the tenant's storage limits.
import type { ResponseItemRecord, StoredResponseRecord } from '../store/index.ts';
import { excerpt, NotFoundError, type ResponseItem } from '../wire/index.ts';
import { STORED_ROUTING_HEADERS_FIELD } from './background-routing-headers.ts';
import type { ResponseTurn, TurnResult } from './response-turn.ts';
import { allowanceFor, storageLimitsOf, withStorageQuota } from './storage-quota.ts';
import { toStoredJson } from './stored-json.ts';
import type { TurnServices } from './turn-services.ts';

const DAY_MS = 86_400_000;

/**
 * The field of a stored background request naming the virtual key that created it, so that a job resumed after a
 * restart runs (and is limited and metered) as that key, and not at all once the key is revoked. Never sent anywhere.
 */
export const STORED_KEY_FIELD = 'crossway_key_id';

/**
 * The stored form of a turn: the request without its input (kept as items) and the response object as it stands;
 * `keyId` and `routingHeaders` (background turns) are kept beside the request for resumption.
 */
export function toStoredResponse(
  services: Pick<TurnServices, 'catalog'>,
  tenant: string,
  turn: ResponseTurn,
  result: Pick<TurnResult, 'response' | 'route' | 'usageEventId'>,
  keyId: string | null = null,
  routingHeaders: Record<string, string> = {},
): StoredResponseRecord {
  const { input: _input, ...fields } = turn.request;
  const request = {
    ...fields,
    ...(keyId === null ? {} : { [STORED_KEY_FIELD]: keyId }),
    ...(Object.keys(routingHeaders).length === 0 ? {} : { [STORED_ROUTING_HEADERS_FIELD]: routingHeaders }),
  };
  const now = new Date();
  return {
    id: turn.id,
    tenant,
    created_at: new Date(turn.createdAt * 1000).toISOString(),
    updated_at: now.toISOString(),
    status: result.response.status as StoredResponseRecord['status'],
    model: turn.request.model,
    route: result.route?.id ?? null,
    previous_response_id: turn.previousResponseId,
    conversation_id: turn.conversationId,
    background: turn.request.background === true,
    request: request as Record<string, unknown>,
    response: toStoredJson(result.response),
    usage_event_id: result.usageEventId,
    expires_at: new Date(turn.createdAt * 1000 + services.catalog.config.runtime.response_retention_days * DAY_MS).toISOString(),
  };
}

/** Item records of a turn: its input items and (when given) its output items. */
export function toItemRecords(responseId: string, kind: ResponseItemRecord['kind'], items: readonly ResponseItem[]): ResponseItemRecord[] {
  return items.map((item, position) => ({
    response_id: responseId,
    kind,
    position,
    item_id: String(item.id),
    item: toStoredJson(item),
  }));
}

/**
 * Keeps what a finished foreground turn produced: the stored response (unless store is false) and the conversation's
 * new items. Past the tenant's storage limits (checked before the turn ran, and again here atomically with the write)
 * by no more than what the model produced, which is stored: the model ran and was paid for.
 */
export async function persistTurn(services: TurnServices, tenant: string, turn: ResponseTurn, result: TurnResult): Promise<void> {
  if (turn.request.store !== false) {
    const items = [...toItemRecords(turn.id, 'input', turn.inputItems), ...toItemRecords(turn.id, 'output', result.output)];
    const limits = storageLimitsOf(services, allowanceFor([result.response, result.output], result.output));
    await withStorageQuota(services, services.store.insertResponse(toStoredResponse(services, tenant, turn, result), items, limits));
    services.chainCache.add(tenant, turn.id, turn.previousResponseId, [...turn.inputItems, ...result.output]);
  }
  await appendToConversation(services, tenant, turn, result.output);
}

/**
 * Keeps what a finished background turn produced: its stored record (queued when it was created) completed with the
 * output items, the chain cache's copy, and the conversation's new items.
 */
export async function completeStoredTurn(services: TurnServices, tenant: string, turn: ResponseTurn, result: TurnResult): Promise<void> {
  await services.store.updateResponse(
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
  );
  services.chainCache.add(tenant, turn.id, turn.previousResponseId, [...turn.inputItems, ...result.output]);
  await appendToConversation(services, tenant, turn, result.output);
}

/** Appends a turn's input and output to its conversation, if it has one (the store serialises concurrent appends). */
export async function appendToConversation(services: TurnServices, tenant: string, turn: ResponseTurn, output: readonly ResponseItem[]): Promise<void> {
  if (turn.conversationId === null) return;
  const createdAt = new Date().toISOString();
  // A client may send back items the conversation already holds (with their ids): those are context, not new items.
  const known = new Set(turn.contextItems.map((item) => String(item.id)));
  const items = [...turn.inputItems, ...output]
    .filter((item) => !known.has(String(item.id)))
    .map((item) => ({
      conversation_id: turn.conversationId as string,
      item_id: String(item.id),
      item: toStoredJson(item),
      created_at: createdAt,
    }));
  // The output may pass the limits (see persistTurn); the input was checked before the turn ran.
  const limits = storageLimitsOf(services, allowanceFor([output], output));
  if ((await withStorageQuota(services, services.store.appendConversationItems(tenant, turn.conversationId, items, limits))) === null) {
    throw new NotFoundError(`Conversation with id '${excerpt(turn.conversationId)}' not found.`, 'conversation_not_found', 'conversation');
  }
}
