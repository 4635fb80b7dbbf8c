// One Responses API turn as the server runs it: what it continues, what it produced, and its Response object in any
// state (shared by the handlers, the background jobs, the stream relay and the gateway context).
import type { Route } from '../catalog/index.ts';
import { buildResponseObject } from '../runtime/index.ts';
import type { ResponseCreateRequest, ResponseError, ResponseItem, ResponseObject, ResponseOutputItem, ResponseUsage } from '../wire/index.ts';

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
  /** What happened before this turn's model call that its decision should say (the MCP calls of the step before). */
  notes?: readonly string[];
}

/** What a turn produced. */
export interface TurnResult {
  response: ResponseObject;
  output: ResponseItem[];
  route: Route | null;
  usageEventId: string | null;
}

/** What a turn's Response object says at some point: its status and, once known, output, usage and how it ended. */
export interface TurnState {
  status: ResponseObject['status'];
  output?: readonly ResponseOutputItem[];
  usage?: ResponseUsage | null;
  error?: ResponseError | null;
  incomplete_details?: ResponseObject['incomplete_details'];
}

/** The turn's Response object in `state`: Crossway's id, chain and conversation, and the request's echo. */
export function turnResponse(turn: ResponseTurn, state: TurnState): ResponseObject {
  return buildResponseObject({
    id: turn.id,
    created_at: turn.createdAt,
    status: state.status,
    model: turn.request.model,
    request: turn.request,
    output: state.output ?? [],
    usage: state.usage ?? null,
    error: state.error ?? null,
    incomplete_details: state.incomplete_details ?? null,
    previous_response_id: turn.previousResponseId,
    conversation: turn.conversationId,
  });
}
