// What a Responses turn continues, read before it runs: the previous_response_id chain (from the chain cache, else
// the store) or the conversation, and the request's input normalised to items with ids.
import { createItemId, normalizeResponseInput } from '../runtime/index.ts';
import { excerpt, InvalidRequestError, NotFoundError, type ResponseCreateRequest, type ResponseItem } from '../wire/index.ts';
import { openTurnItems } from './open-turn-items.ts';
import type { ResponseTurn } from './response-turn.ts';
import type { TurnServices } from './turn-services.ts';

/** Reads the chain or the conversation a request continues and normalises its input: everything a turn needs. */
export async function prepareTurn(services: TurnServices, tenant: string, request: ResponseCreateRequest): Promise<ResponseTurn> {
  const previousResponseId = request.previous_response_id ?? null;
  const conversation = request.conversation ?? null;
  if (previousResponseId !== null && conversation !== null) {
    throw new InvalidRequestError(
      "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or 'conversation'.",
      'previous_response_id',
      'mutually_exclusive_parameters',
    );
  }
  if (request.background === true && request.store === false) {
    throw new InvalidRequestError('Background responses must be stored: set store to true (the default) to use background mode.', 'store');
  }
  let contextItems: ResponseItem[] = [];
  if (previousResponseId !== null) contextItems = await readChainItems(services, tenant, previousResponseId);
  const conversationId = conversation === null ? null : typeof conversation === 'string' ? conversation : conversation.id;
  if (conversationId !== null) {
    const items = await services.store.readConversationItems(tenant, conversationId);
    if (items === null) throw new NotFoundError(`Conversation with id '${excerpt(conversationId)}' not found.`, 'conversation_not_found', 'conversation');
    contextItems = items.map((record) => record.item as ResponseItem);
  }
  const inputItems = resolveItemReferences(normalizeResponseInput(request.input), contextItems);
  // A compaction item that does not open for this tenant is refused now, before anything is stored or started.
  openTurnItems(services, tenant, { contextItems: [], inputItems, previousResponseId });
  return {
    id: createItemId('resp'),
    createdAt: Math.floor(Date.now() / 1000),
    request,
    inputItems,
    contextItems,
    previousResponseId,
    conversationId,
  };
}

/**
 * The items of the chain ending at `id`: from the chain cache when this gateway stored or read it before, else in one
 * query from the store (and then cached). 404 in OpenAI's words when there is no such response for the tenant.
 */
async function readChainItems(services: TurnServices, tenant: string, id: string): Promise<ResponseItem[]> {
  const cached = services.chainCache.get(tenant, id);
  if (cached !== undefined) return cached;
  const chain = await services.store.readResponseChain(tenant, id);
  if (chain === null) throw new NotFoundError(`Previous response with id '${excerpt(id)}' not found.`, 'previous_response_not_found', 'previous_response_id');
  services.chainCache.addStored(tenant, chain);
  return chain.items.map((record) => record.item as ResponseItem);
}

/**
 * Replaces `item_reference` items with the items they name, from the context this turn continues (the chain or the
 * conversation); a reference to anything else is left for the translation to answer 404, as OpenAI does.
 */
function resolveItemReferences(items: ResponseItem[], context: readonly ResponseItem[]): ResponseItem[] {
  if (!items.some((item) => item.type === 'item_reference')) return items;
  const byId = new Map(context.map((item) => [String(item.id), item]));
  return items.map((item) => (item.type === 'item_reference' ? (byId.get(item.id) ?? item) : item));
}
