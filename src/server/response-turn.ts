// One Responses API turn as the server runs it: what it continues and what it produced (types only, shared by the
// handlers, the background jobs and the gateway context).
import type { Route } from '../catalog/index.ts';
import type { ResponseCreateRequest, ResponseItem, ResponseObject } from '../wire/index.ts';

/** One turn: the request, the new input items and the context they continue. */
export interface ResponseTurn {
  id: string;
  /** Unix seconds, as the Response object carries it. */
  createdAt: number;
  request: ResponseCreateRequest;
  /** The request's input, normalised to items with ids. */
  inputItems: ResponseItem[];
  /** Earlier items this turn continues (a previous_response_id chain or a conversation), oldest first. */
  contextItems: ResponseItem[];
  previousResponseId: string | null;
  conversationId: string | null;
}

/** What a turn produced. */
export interface TurnResult {
  response: ResponseObject;
  output: ResponseItem[];
  route: Route | null;
  usageEventId: string | null;
}
