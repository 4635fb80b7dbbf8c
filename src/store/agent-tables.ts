// The Agents API tables as Kysely checks queries against them (see migration 0009_agents); JSON in text columns.
import type { ColumnType } from 'kysely';

export interface AgentTable {
  id: string;
  tenant: string;
  created_at: string;
  updated_at: string;
  config: string;
}

export interface AgentSessionTable {
  id: string;
  tenant: string;
  agent_id: string | null;
  created_at: string;
  updated_at: string;
  last_active_at: string;
  status: string;
  state: string;
  active_turn_id: string | null;
  // PostgreSQL reads bigint-free integers as numbers; counted inside write transactions.
  event_seq: ColumnType<number, number | undefined, number>;
  item_seq: ColumnType<number, number | undefined, number>;
  owner: string | null;
  lease_expires_at: string | null;
  /** The token of the last write that passed its condition: appended rows are selected by it (see writeAgentSession). */
  write_token: string | null;
}

export interface AgentTurnTable {
  id: string;
  session_id: string;
  created_at: string;
  status: string;
  turn: string;
}

export interface AgentItemTable {
  id: string;
  session_id: string;
  turn_id: string;
  position: number;
  item: string;
}

export interface AgentEventTable {
  session_id: string;
  seq: number;
  event: string;
}

/** The tables of migration 0009_agents, for `db.withTables<AgentTables>()`. */
export interface AgentTables {
  agents: AgentTable;
  agent_sessions: AgentSessionTable;
  agent_turns: AgentTurnTable;
  agent_items: AgentItemTable;
  agent_events: AgentEventTable;
}
