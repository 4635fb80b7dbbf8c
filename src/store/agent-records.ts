// Agents API state as the store keeps it: saved agents, sessions (with their lease), turns, items and events.
import type { StorageLimits } from './storage-limits.ts';

/** A saved, reusable agent of a tenant; `config` is the Agent object without id and timestamps. */
export interface AgentRecord {
  id: string;
  tenant: string;
  /** ISO instants (Date.prototype.toISOString()). */
  created_at: string;
  updated_at: string;
  config: Record<string, unknown>;
}

/** A session's status, as the Agents API names it. */
export type AgentSessionStatus = 'idle' | 'in_progress' | 'requires_action' | 'failed';

/** An agent session: its columns, and `state` (the resolved agent, environment, metadata, required actions, usage, error). */
export interface AgentSessionRecord {
  id: string;
  tenant: string;
  /** The saved agent it was created from, or null for an inline agent. */
  agent_id: string | null;
  created_at: string;
  updated_at: string;
  last_active_at: string;
  status: AgentSessionStatus;
  state: Record<string, unknown>;
  /** The turn being run or waited on, or null when idle. */
  active_turn_id: string | null;
  /** The number of the session's last event (0: none yet): a subscriber reads the events after it. */
  event_seq: number;
  /** How many items the session has stored. */
  item_count: number;
  /** The replica running a step of it, until lease_expires_at; null when no step runs. */
  owner: string | null;
  lease_expires_at: string | null;
  /** Changes at every write: a read-modify-write names it in its condition (optimistic concurrency). */
  version: string | null;
}

/** One turn of a session: `turn` is the Turn object (timestamps in Unix seconds). */
export interface AgentTurnRecord {
  id: string;
  session_id: string;
  created_at: string;
  status: string;
  turn: Record<string, unknown>;
}

/** One item of a session, in the order the session made it (`position`, from 1). */
export interface AgentItemRecord {
  id: string;
  session_id: string;
  turn_id: string;
  position: number;
  item: Record<string, unknown>;
}

/** One event of a session, numbered from 1 in the order it was appended. */
export interface AgentEventRecord {
  session_id: string;
  seq: number;
  event: Record<string, unknown>;
}

/** A page of a list by id cursor: the rows after `after` (exclusive) in `order`, at most `limit`. */
export interface AgentPageOptions {
  after?: string;
  limit: number;
  order: 'asc' | 'desc';
}

/** A page of a tenant's sessions, optionally of one saved agent, and with these metadata pairs (every one must match). */
export interface AgentSessionPageOptions extends AgentPageOptions {
  agentId?: string;
  metadata?: Readonly<Record<string, string>>;
}

/** Changes to a session's columns (those absent stay). */
export type AgentSessionPatch = Partial<
  Pick<AgentSessionRecord, 'status' | 'state' | 'active_turn_id' | 'owner' | 'lease_expires_at' | 'updated_at' | 'last_active_at' | 'agent_id'>
>;

/** When a session write applies: every given part must hold, else nothing is written. */
export interface AgentSessionCondition {
  statuses?: readonly AgentSessionStatus[];
  /** The session's active turn is this one. */
  activeTurnId?: string;
  /** The step's lease is held by this owner. */
  owner?: string;
  /** The session was not written since it was read with this version. */
  version?: string | null;
}

/**
 * One session write: the patch and what it appends, all in one transaction, all or nothing under the condition. The
 * bytes of the items it appends or replaces count in the tenant's storage (with responses and conversations).
 */
export interface AgentSessionWrite {
  patch: AgentSessionPatch;
  condition?: AgentSessionCondition;
  /**
   * Checked with the items' bytes, atomically: past `tenantBytes`, the write rejects with StorageLimitError and writes
   * nothing. Absent: counted, never refused (what a model step produced was paid for already).
   */
  limits?: StorageLimits;
  /** Turns inserted, or replaced when their id exists. */
  turns?: readonly Omit<AgentTurnRecord, 'session_id'>[];
  /** Items appended after the session's last. */
  items?: readonly Omit<AgentItemRecord, 'session_id' | 'position'>[];
  /** Items of the session replaced in place (an item finished). */
  updatedItems?: readonly Pick<AgentItemRecord, 'id' | 'item'>[];
  /** Events appended after the session's last one. */
  events?: readonly Record<string, unknown>[];
}

/** The Agents API part of the Store: every read and write is scoped by tenant (another tenant's id is not found). */
export interface AgentStore {
  insertAgent(agent: AgentRecord): Promise<void>;
  getAgent(tenant: string, id: string): Promise<AgentRecord | null>;
  listAgents(tenant: string, page: AgentPageOptions): Promise<AgentRecord[]>;
  /** Replaces the agent's config; null when unknown. */
  updateAgent(tenant: string, id: string, config: Record<string, unknown>, updatedAt: string): Promise<AgentRecord | null>;
  deleteAgent(tenant: string, id: string): Promise<boolean>;
  /** Inserts a session with its first events (numbered from 1) in one transaction; throws when the id is taken. */
  insertAgentSession(session: Omit<AgentSessionRecord, 'event_seq' | 'item_count' | 'version'>, events: readonly Record<string, unknown>[]): Promise<void>;
  getAgentSession(tenant: string, id: string): Promise<AgentSessionRecord | null>;
  /** Sessions of the tenant by creation, optionally of one saved agent only, or with some metadata pairs. */
  listAgentSessions(tenant: string, page: AgentSessionPageOptions): Promise<AgentSessionRecord[]>;
  /**
   * Applies `write` in one transaction when its condition holds (false, nothing written, otherwise or when unknown):
   * event numbers and item positions are assigned inside it, so concurrent writers never share one.
   */
  writeAgentSession(tenant: string, id: string, write: AgentSessionWrite): Promise<boolean>;
  /** Deletes the session with its turns, items and events (their bytes given back to the tenant's storage); false when unknown. */
  deleteAgentSession(tenant: string, id: string): Promise<boolean>;
  listAgentTurns(tenant: string, sessionId: string, page: AgentPageOptions): Promise<AgentTurnRecord[] | null>;
  getAgentTurn(tenant: string, sessionId: string, turnId: string): Promise<AgentTurnRecord | null>;
  /** A page of the session's items (of one turn, with `turnId`) by position; null when the session is unknown. */
  listAgentItems(tenant: string, sessionId: string, page: AgentPageOptions & { turnId?: string }): Promise<AgentItemRecord[] | null>;
  /** The session's events numbered after `after`, in order, at most `limit`. */
  listAgentEvents(tenant: string, sessionId: string, after: number, limit: number): Promise<AgentEventRecord[]>;
  /** Sessions with a step whose lease expired before `now` (its replica died), of every tenant, oldest first. */
  listOrphanedAgentSessions(now: string, limit: number): Promise<AgentSessionRecord[]>;
  /** Extends to `until` the leases `owner` holds on these sessions; resolves with the ids it still holds. */
  renewAgentSessionLeases(owner: string, ids: readonly string[], until: string): Promise<string[]>;
}
