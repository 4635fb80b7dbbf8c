// The stateful runtime's records (stored responses, their items and stream events, conversations and their items) as
// every Store backend keeps them. Items and response objects are OpenAI's JSON shapes, stored whole.

/** A stored Responses API response: the request it answered, the response object as last known, and its place in a chain. */
export interface StoredResponseRecord {
  /** `resp_` + at least 128 random bits. */
  id: string;
  tenant: string;
  created_at: string;
  updated_at: string;
  /** OpenAI's statuses. */
  status: 'queued' | 'in_progress' | 'completed' | 'failed' | 'cancelled' | 'incomplete';
  model: string;
  /** The route that produced it (null until one did). */
  route: string | null;
  previous_response_id: string | null;
  conversation_id: string | null;
  background: boolean;
  /**
   * The create request without its `input` (which lives in the input items): what a background job needs to run or
   * resume, and what the response object echoes.
   */
  request: Record<string, unknown>;
  /** The OpenAI response object (`object: "response"`), as last saved. */
  response: Record<string, unknown>;
  /** The usage event that metered it. */
  usage_event_id: string | null;
  /** When the retention purge may delete it; null = kept until deleted. */
  expires_at: string | null;
}

/** The fields of a stored response that change as it runs. */
export type StoredResponsePatch = Partial<Pick<StoredResponseRecord, 'status' | 'route' | 'response' | 'usage_event_id' | 'updated_at'>>;

/** One item of a response: an input item (what the request added) or an output item (what the model produced). */
export interface ResponseItemRecord {
  response_id: string;
  kind: 'input' | 'output';
  /** Order within (response, kind), from 0. */
  position: number;
  /** The item's own id (`msg_…`, `fc_…`, `fco_…`); unique within the response. */
  item_id: string;
  item: Record<string, unknown>;
}

/** One event of a response's stream, kept for background responses so that a stream can be resumed after `starting_after`. */
export interface ResponseEventRecord {
  response_id: string;
  sequence_number: number;
  /** The event as sent (`{type, sequence_number, ...}`). */
  event: Record<string, unknown>;
}

/** A conversation: a durable list of items that responses read from and append to. */
export interface ConversationRecord {
  /** `conv_` + at least 128 random bits. */
  id: string;
  tenant: string;
  created_at: string;
  /** At most 16 pairs (keys <= 64, values <= 512 characters): checked at the edge. */
  metadata: Record<string, string>;
}

/** One item of a conversation, in order. */
export interface ConversationItemRecord {
  conversation_id: string;
  /** Order within the conversation, from 0, assigned by the store at append time (gaps after deletes are fine). */
  position: number;
  item_id: string;
  item: Record<string, unknown>;
  created_at: string;
}

/** A page of items: after an item id (exclusive), at most `limit`, ascending or descending by position. */
export interface ItemPageOptions {
  after?: string;
  limit: number;
  order: 'asc' | 'desc';
}

/** The context a new turn continues: the chain of responses ending at the given one, oldest first, with their items. */
export interface ResponseChain {
  /** Oldest first; the last is the response asked for. */
  responses: StoredResponseRecord[];
  /** Every item of the chain in conversation order: per response (oldest first) its input items, then its output items. */
  items: ResponseItemRecord[];
}

/** Statuses of a background job that is not over: the ones a lease holds, a claim takes and a cancel ends. */
export const ACTIVE_RESPONSE_STATUSES = ['queued', 'in_progress'] as const satisfies readonly StoredResponseRecord['status'][];

/** Who runs a background response, and until when that holds unless renewed (ISO text). */
export interface BackgroundLease {
  owner: string;
  until: string;
}

/**
 * A condition on a response write: `active`, only while the response is queued or in progress (a cancel never
 * overwrites a finished job); `owner`, only while that replica holds it and it is active (a job's own writes, which
 * must not overwrite a cancel or a takeover made elsewhere).
 */
export interface ResponseWriteCondition {
  active?: boolean;
  owner?: string;
}

/** A background response a replica claimed (its lease expired, or it never had one), as it was before the claim. */
export interface ClaimedBackgroundResponse {
  response: StoredResponseRecord;
  /** The request id of the run that held it before (null: it never ran, or ran before leases were recorded). */
  run_request_id: string | null;
}

/** A run of a background response that started: the sequence number its first event takes. */
export interface BackgroundRunStart {
  /** One past the last event stored of an earlier run (whose events the start removed), 0 for a first run. */
  first_sequence_number: number;
}

/** A background response a replica still holds after renewing, with its status (a cancel made elsewhere shows here). */
export interface HeldBackgroundResponse {
  id: string;
  status: StoredResponseRecord['status'];
}
