// The table types Kysely checks queries against; shared by every SQL backend, so keep them in step with store-migrations.ts.
import type { ColumnType } from 'kysely';

/** The `request_log` table as stored (see RequestLogRow for the meaning of each column). */
export interface RequestLogTable {
  id: string;
  created_at: string;
  endpoint: string;
  model: string;
  route: string | null;
  attempts: number;
  status: number;
  error_code: string | null;
  // SQLite has no boolean type and reads 0/1 back; PostgreSQL reads true/false.
  stream: ColumnType<boolean | number, boolean, boolean>;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_tokens: number | null;
  duration_ms: number;
  ttfb_ms: number | null;
}

/** The `decisions` table: one routing decision per row, its record as JSON text (see DecisionRecord). */
export interface DecisionTable {
  id: string;
  created_at: string;
  model: string;
  record: string;
}

/** Every table of the store, by name. */
export interface StoreDatabase {
  request_log: RequestLogTable;
  decisions: DecisionTable;
}
