// The Store over any Kysely database: the queries and migrations every SQL backend shares; a backend only opens the connection.
import { sql, type Kysely, type Selectable } from 'kysely';
import { Migrator } from 'kysely/migration';
import type { DecisionRecord, DecisionRow } from './decision-record.ts';
import type { InsertDecisionsOptions, InsertRequestLogsOptions, ListRequestLogsOptions, RequestLogRow, Store } from './store.ts';
import type { RequestLogTable, StoreDatabase } from './store-database.ts';
import { storeMigrationProvider } from './store-migrations.ts';
import { toDecisionTableRow, toRequestLogRecord } from './store-records.ts';

// 14 parameters a row: stays far below SQLite's 32766 and PostgreSQL's 65535 bound parameters per statement.
const rowsPerInsert = 500;

/** A Store on a Kysely instance; SqliteStore (and later the PostgreSQL store) extend it with how to connect. */
export class KyselyStore implements Store {
  protected readonly db: Kysely<StoreDatabase>;
  readonly #migrator: Migrator;

  constructor(db: Kysely<StoreDatabase>) {
    this.db = db;
    this.#migrator = new Migrator({ db, provider: storeMigrationProvider });
  }

  async migrate(): Promise<void> {
    // The Migrator reports failures in its result instead of throwing.
    const { error } = await this.#migrator.migrateToLatest();
    if (error !== undefined) throw error instanceof Error ? error : new Error(`store migration failed: ${String(error)}`);
  }

  async schemaVersion(): Promise<string | null> {
    const migrations = await this.#migrator.getMigrations();
    return migrations.findLast((migration) => migration.executedAt !== undefined)?.name ?? null;
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async insertRequestLogs(rows: readonly RequestLogRow[], options: InsertRequestLogsOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    const records = rows.map(toRequestLogRecord);
    await this.db.transaction().execute(async (transaction) => {
      for (let start = 0; start < records.length; start += rowsPerInsert) {
        let insert = transaction.insertInto('request_log').values(records.slice(start, start + rowsPerInsert));
        if (options.skipDuplicates) insert = insert.onConflict((conflict) => conflict.column('id').doNothing());
        await insert.execute();
      }
    });
  }

  async listRequestLogs({ limit, before }: ListRequestLogsOptions): Promise<RequestLogRow[]> {
    let query = this.db
      .selectFrom('request_log')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit);
    if (before !== undefined) {
      const { created_at: createdAt, id } = before;
      query =
        id === undefined
          ? query.where('created_at', '<', createdAt)
          : query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(createdAt, id)));
    }
    const records = await query.execute();
    return records.map(toRequestLogRow);
  }

  async insertDecisions(rows: readonly DecisionRow[], options: InsertDecisionsOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    const records = rows.map(toDecisionTableRow);
    await this.db.transaction().execute(async (transaction) => {
      for (let start = 0; start < records.length; start += rowsPerInsert) {
        let insert = transaction.insertInto('decisions').values(records.slice(start, start + rowsPerInsert));
        if (options.skipDuplicates) insert = insert.onConflict((conflict) => conflict.column('id').doNothing());
        await insert.execute();
      }
    });
  }

  async getDecision(id: string): Promise<DecisionRecord | null> {
    const found = await this.db.selectFrom('decisions').select('record').where('id', '=', id).executeTakeFirst();
    return found === undefined ? null : (JSON.parse(found.record) as DecisionRecord);
  }

  async pruneDecisions(olderThan: string): Promise<number> {
    const result = await this.db.deleteFrom('decisions').where('created_at', '<', olderThan).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

// Copies into a plain object: node:sqlite returns rows with a null prototype.
function toRequestLogRow(record: Selectable<RequestLogTable>): RequestLogRow {
  return {
    id: record.id,
    created_at: record.created_at,
    endpoint: record.endpoint,
    model: record.model,
    route: record.route,
    attempts: record.attempts,
    status: record.status,
    error_code: record.error_code,
    stream: Boolean(record.stream),
    prompt_tokens: record.prompt_tokens,
    completion_tokens: record.completion_tokens,
    cached_tokens: record.cached_tokens,
    duration_ms: record.duration_ms,
    ttfb_ms: record.ttfb_ms,
  };
}
