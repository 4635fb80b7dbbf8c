// The items a Responses turn sends upstream, with its compaction items opened under the gateway's key for the
// tenant whose turn it is: the one place a sealed summary becomes readable again.
import { openCompactionItems } from '../runtime/index.ts';
import type { ResponseItem } from '../wire/index.ts';
import type { TurnServices } from './turn-services.ts';
import type { ResponseTurn } from './response-turn.ts';

/**
 * A turn's context items then its input items, compaction items opened (one for one, so positions stay). A compaction
 * item that does not open for `tenant` is a 400 naming `input[i].encrypted_content`, or the chain or conversation
 * that holds it.
 */
export function openTurnItems(
  services: TurnServices,
  tenant: string,
  turn: Pick<ResponseTurn, 'contextItems' | 'inputItems' | 'previousResponseId'>,
): ResponseItem[] {
  const contextParam = turn.previousResponseId !== null ? 'previous_response_id' : 'conversation';
  const contextLength = turn.contextItems.length;
  return openCompactionItems([...turn.contextItems, ...turn.inputItems], { key: services.compactionKey, tenant }, (index) =>
    index < contextLength ? contextParam : `input[${index - contextLength}].encrypted_content`,
  );
}
