// A background response's turn read back from the store (its request, input and context), for a replica that runs a
// job it did not accept: one left queued, or one whose replica died and that is run again.
import type { Principal } from '../calls/index.ts';
import type { RequestHeaders } from '../policy/index.ts';
import type { Store, StoredResponseRecord } from '../store/index.ts';
import type { ResponseCreateRequest, ResponseItem } from '../wire/index.ts';
import { readStoredRoutingHeaders, STORED_ROUTING_HEADERS_FIELD } from './background-routing-headers.ts';
import { STORED_KEY_FIELD } from './persist-turn.ts';
import type { ResponseTurn } from './response-turn.ts';
import { fromStoredJson } from './stored-json.ts';

/** Input items a stored background request may hold: what the create request's own bound allows, read in one page. */
const MAX_STORED_INPUT_ITEMS = 10_000;

/** Who a stored background response runs as: its tenant and the key that created it (null for the master key). */
export type PrincipalLookup = (tenant: string, keyId: string | null) => Promise<Principal | null>;

/** A stored background response ready to run again: its turn, who runs it and the routing headers it was created with. */
export interface StoredBackgroundTurn {
  turn: ResponseTurn;
  principal: Principal;
  headers: RequestHeaders;
}

/**
 * The turn of a stored background response, or null when it cannot run any more: its tenant or key is gone (or the
 * key was revoked), or its input, previous response or conversation was deleted.
 */
export async function readStoredBackgroundTurn(
  store: Store,
  record: StoredResponseRecord,
  principalFor: PrincipalLookup,
): Promise<StoredBackgroundTurn | null> {
  const keyId = typeof record.request[STORED_KEY_FIELD] === 'string' ? (record.request[STORED_KEY_FIELD] as string) : null;
  const principal = await principalFor(record.tenant, keyId);
  if (principal === null) return null;
  const input = await store.listResponseItems(record.tenant, record.id, 'input', { limit: MAX_STORED_INPUT_ITEMS, order: 'asc' });
  const chain = record.previous_response_id === null ? null : await store.readResponseChain(record.tenant, record.previous_response_id);
  const conversation = record.conversation_id === null ? null : await store.readConversationItems(record.tenant, record.conversation_id);
  if ((record.previous_response_id !== null && chain === null) || (record.conversation_id !== null && conversation === null)) return null;
  const turn: ResponseTurn = {
    id: record.id,
    createdAt: Math.floor(Date.parse(record.created_at) / 1000),
    request: fromStoredJson<ResponseCreateRequest>({ ...withoutKey(record.request), input: [] }),
    inputItems: input.map((row) => fromStoredJson<ResponseItem>(row.item)),
    contextItems: (chain?.items ?? conversation ?? []).map((row) => fromStoredJson<ResponseItem>(row.item)),
    previousResponseId: record.previous_response_id,
    conversationId: record.conversation_id,
  };
  // Routed under the constraint headers it was created with, as it would have been where it was accepted.
  return { turn, principal, headers: readStoredRoutingHeaders(record.request) };
}

/** The stored request without what Crossway kept beside it for resumption. */
function withoutKey(request: Record<string, unknown>): Record<string, unknown> {
  const { [STORED_KEY_FIELD]: _key, [STORED_ROUTING_HEADERS_FIELD]: _headers, ...rest } = request;
  return rest;
}
