// The embedded store's writes on one node:sqlite connection, synchronous: run by the write worker for a file, and on
// the event loop for `:memory:` (which no second connection can open). Request logs, decisions, the ledger's commits
// and KyselyStore's compiled rare writes all commit here.
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { Selectable } from 'kysely';
import type { DecisionRow } from './decision-record.ts';
import { DECISION_COLUMNS, toDecisionColumns, type DecisionColumns } from './decision-rows.ts';
import { USAGE_EVENT_COLUMNS, type LedgerEntry } from './ledger-records.ts';
import {
  compareStoredEntry,
  createLedgerBatch,
  listCappedAccrualKeys,
  postLedgerEntry,
  splitCurrencyKey,
  toBigInt,
  toTransferRecord,
  toTransferTableRow,
  toUsageEventTableRow,
  type LedgerBatch,
  type LedgerEntryVerdict,
  type StoredEventAmounts,
} from './ledger-rows.ts';
import type { RequestLogRow } from './store.ts';
import type { TransferTable } from './store-database.ts';
import { checkGuard, toRequestLogRecord, type SqlStatement, type SqlStatementResult } from './store-records.ts';

/**
 * Batches go through cached prepared statements in one transaction each: about 2x cheaper than building multi-row
 * inserts per batch. Being synchronous, a transaction cannot interleave with any other statement on the connection.
 */
export class SqliteRowWriter {
  readonly #database: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  /** Writes through `database`, whose schema must be migrated before the first write. */
  constructor(database: DatabaseSync) {
    this.#database = database;
  }

  /** Stores the rows in one transaction: all or none (rows whose id is stored already are skipped when asked). */
  insertRequestLogs(rows: readonly RequestLogRow[], skipDuplicates: boolean): void {
    const statement = this.#insertStatement('request_log', REQUEST_LOG_COLUMNS, skipDuplicates);
    this.#insertAll(
      statement,
      rows.map((row) => {
        const record = toRequestLogRecord(row) as Record<string, unknown>;
        return REQUEST_LOG_COLUMNS.map((column) => toSqlValue(record[column]));
      }),
    );
  }

  /** Stores the decisions in one transaction: all or none (decisions whose id is stored already are skipped when asked). */
  insertDecisions(rows: readonly DecisionRow[], skipDuplicates: boolean): void {
    this.insertDecisionColumns(toDecisionColumns(rows), skipDuplicates);
  }

  /**
   * insertDecisions for decisions already flat (see toDecisionColumns): their plans, each inserted unless stored
   * already, then the decisions, in one transaction. Returns the number of decisions.
   */
  insertDecisionColumns({ plans, decisions }: DecisionColumns, skipDuplicates: boolean): number {
    const count = Math.floor(decisions.length / DECISION_COLUMNS.length);
    if (count === 0) return 0;
    const insertPlan = this.#prepare(INSERT_DECISION_PLAN_SQL);
    const insertDecision = this.#insertStatement('request_decisions', DECISION_COLUMNS, skipDuplicates);
    this.#transaction('begin', () => {
      for (let index = 0; index + 1 < plans.length; index += 2) insertPlan.run(plans[index]!, plans[index + 1]!);
      for (let index = 0; index < count * DECISION_COLUMNS.length; index += DECISION_COLUMNS.length) {
        insertDecision.run(...decisions.slice(index, index + DECISION_COLUMNS.length));
      }
    });
    return count;
  }

  /**
   * Deletes the decisions recorded before `olderThan` (those of before 0007_decision_plans too), then the plans no
   * decision refers to any more, in one transaction; returns how many decisions went.
   */
  pruneDecisions(olderThan: string): number {
    return this.#transaction('begin immediate', () => {
      const decisions = Number(this.#prepare('delete from request_decisions where created_at < ?').run(olderThan).changes);
      const legacy = Number(this.#prepare('delete from decisions where created_at < ?').run(olderThan).changes);
      this.#prepare(PRUNE_DECISION_PLANS_SQL).run();
      return decisions + legacy;
    });
  }

  /** Deletes the request-log rows created before `olderThan` (the (created_at, id) index serves it); returns how many went. */
  pruneRequestLogs(olderThan: string): number {
    return Number(this.#prepare('delete from request_log where created_at < ?').run(olderThan).changes);
  }

  /**
   * Commits ledger entries in one transaction with Store.commitLedger's per-entry rules, through cached statements:
   * this runs once per group commit of model calls. Existing rows are read as bigint, so that the replay comparison
   * is exact at any amount. Answers verdicts (see toLedgerCommitResults), which cross the thread cheaply.
   */
  commitLedger(entries: readonly LedgerEntry[]): LedgerEntryVerdict[] {
    if (entries.length === 0) return [];
    // `begin immediate` takes the write lock before the first read: no other writer (a `crossway` command, another
    // process on the same file) can slip in between the reads of the accruals and of stored events and the writes, so
    // that the capped shares decided from those reads are exact.
    return this.#transaction('begin immediate', () => {
      const createAccrual = this.#prepare(CREATE_ACCRUAL_SQL);
      const readAccrual = this.#prepare(READ_ACCRUAL_SQL, true);
      const capped = new Map<string, bigint>();
      for (const key of listCappedAccrualKeys(entries)) {
        const [agreementId, currency] = splitCurrencyKey(key);
        createAccrual.run(agreementId, currency);
        capped.set(key, toBigInt((readAccrual.get(agreementId, currency) as { accrued: bigint }).accrued));
      }
      // Balances and accruals are sums: one upsert per account (and agreement) for the whole batch instead of two per
      // transfer. A batch of 64 calls touches a handful of accounts, so this removes most of the statements.
      const batch = createLedgerBatch(capped);
      const verdicts = entries.map((entry) => this.#commitLedgerEntry(entry, batch));
      const addToBalance = this.#prepare(ADD_TO_BALANCE_SQL);
      for (const [key, amount] of batch.balances) addToBalance.run(...splitCurrencyKey(key), amount);
      const addToAccrual = this.#prepare(ADD_TO_ACCRUAL_SQL);
      for (const key of new Set([...batch.accruals.keys(), ...batch.capsReached.keys()])) {
        addToAccrual.run(...splitCurrencyKey(key), batch.accruals.get(key) ?? 0n, batch.capsReached.get(key) ?? null);
      }
      return verdicts;
    });
  }

  /**
   * Runs compiled statements (KyselyStore's rare writes) in one transaction, in order: the rows of each statement
   * that returns rows, the number of rows changed by each other one. They are prepared anew each time, being rare. A
   * guard that finds nothing rolls the transaction back and throws its StorageLimitError.
   */
  runStatements(statements: readonly SqlStatement[]): SqlStatementResult[] {
    return this.#transaction('begin immediate', () =>
      statements.map((compiled) => {
        const statement = this.#database.prepare(compiled.sql);
        const values = compiled.parameters.map(toSqlValue);
        // node:sqlite yields rows exactly for statements with result columns (SELECT, RETURNING).
        const result: SqlStatementResult =
          statement.columns().length > 0
            ? { rows: statement.all(...values) as Record<string, unknown>[], changes: 0 }
            : { rows: [], changes: Number(statement.run(...values).changes) };
        // A guard that found nothing throws, and #transaction rolls the whole write back.
        checkGuard(compiled, result);
        return result;
      }),
    );
  }

  #commitLedgerEntry(entry: LedgerEntry, batch: LedgerBatch): LedgerEntryVerdict {
    const { event } = entry;
    const row = toUsageEventTableRow(event) as Record<string, unknown>;
    // Insert first and look only when nothing was inserted: a replay is rare, and this saves a read per event.
    const inserted = this.#prepare(INSERT_EVENT_SQL).run(...USAGE_EVENT_COLUMNS.map((column) => toSqlValue(row[column])));
    if (Number(inserted.changes) === 0) {
      const earlier = batch.written.get(event.id);
      if (earlier !== undefined) return compareStoredEntry(earlier.event, earlier.transfers, entry);
      const stored = this.#prepare(SELECT_EVENT_SQL, true).get(event.id) as unknown as StoredEventAmounts;
      const rows = this.#prepare(SELECT_TRANSFERS_SQL, true).all(event.id) as unknown as Selectable<TransferTable>[];
      return compareStoredEntry(stored, rows.map(toTransferRecord), entry);
    }
    const { transfers, verdict } = postLedgerEntry(entry, batch);
    const insertTransfer = this.#prepare(INSERT_TRANSFER_SQL);
    for (const transfer of transfers.map(toTransferTableRow)) insertTransfer.run(...TRANSFER_COLUMNS.map((column) => toSqlValue(transfer[column])));
    return verdict;
  }

  #prepare(sql: string, readBigInts = false): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#database.prepare(sql);
      if (readBigInts) statement.setReadBigInts(true);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #transaction<T>(begin: 'begin' | 'begin immediate', work: () => T): T {
    this.#database.exec(begin);
    try {
      const result = work();
      this.#database.exec('commit');
      return result;
    } catch (error) {
      // Some errors (a full disk, say) end the transaction themselves; a rollback then would fail and hide the cause.
      if (this.#database.isTransaction) this.#database.exec('rollback');
      throw error;
    }
  }

  #insertStatement(table: string, columns: readonly string[], skipDuplicates: boolean): StatementSync {
    const key = `${table}:${skipDuplicates}`;
    let statement = this.#statements.get(key);
    if (statement === undefined) {
      const conflict = skipDuplicates ? ' on conflict (id) do nothing' : '';
      statement = this.#database.prepare(`insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})${conflict}`);
      this.#statements.set(key, statement);
    }
    return statement;
  }

  #insertAll(statement: StatementSync, rows: readonly SQLInputValue[][]): void {
    if (rows.length === 0) return;
    this.#transaction('begin', () => {
      for (const values of rows) statement.run(...values);
    });
  }
}

const REQUEST_LOG_COLUMNS = [
  'id',
  'created_at',
  'endpoint',
  'model',
  'route',
  'attempts',
  'status',
  'error_code',
  'stream',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'duration_ms',
  'ttfb_ms',
  'mcp_calls',
  'tenant_id',
  'key_id',
  'decision_id',
  'provider',
  'upstream_ms',
] as const;
const TRANSFER_COLUMNS = ['id', 'event_id', 'debit', 'credit', 'amount', 'currency', 'kind', 'agreement_id', 'created_at'] as const;

const INSERT_DECISION_PLAN_SQL = 'insert into decision_plans (id, plan) values (?, ?) on conflict (id) do nothing';
const PRUNE_DECISION_PLANS_SQL =
  'delete from decision_plans where not exists (select 1 from request_decisions where request_decisions.plan_id = decision_plans.id)';
const placeholders = (columns: readonly string[]) => columns.map(() => '?').join(', ');
const SELECT_EVENT_SQL = 'select cost, charged, currency from usage_events where id = ?';
const SELECT_TRANSFERS_SQL = `select ${TRANSFER_COLUMNS.join(', ')} from transfers where event_id = ?`;
const INSERT_EVENT_SQL =
  `insert into usage_events (${USAGE_EVENT_COLUMNS.join(', ')}) ` + `values (${placeholders(USAGE_EVENT_COLUMNS)}) on conflict (id) do nothing`;
const INSERT_TRANSFER_SQL = `insert into transfers (${TRANSFER_COLUMNS.join(', ')}) values (${placeholders(TRANSFER_COLUMNS)})`;
const ADD_TO_BALANCE_SQL = `insert into account_balances (account, currency, balance) values (?, ?, ?)
  on conflict (account, currency) do update set balance = account_balances.balance + excluded.balance`;
// A capped agreement's accrual row, created if missing (as the Kysely commit's lock does), then read: the writer's
// transaction already excludes every other writer, so no lock is needed, and an existing row is not rewritten.
const CREATE_ACCRUAL_SQL = `insert into agreement_accruals (agreement_id, currency, accrued, cap_reached_at) values (?, ?, 0, null)
  on conflict (agreement_id, currency) do nothing`;
const READ_ACCRUAL_SQL = 'select accrued from agreement_accruals where agreement_id = ? and currency = ?';
// The first event to reach the cap dates it; a later one does not move it.
const ADD_TO_ACCRUAL_SQL = `insert into agreement_accruals (agreement_id, currency, accrued, cap_reached_at) values (?, ?, ?, ?)
  on conflict (agreement_id, currency) do update set accrued = agreement_accruals.accrued + excluded.accrued,
  cap_reached_at = coalesce(agreement_accruals.cap_reached_at, excluded.cap_reached_at)`;

// node:sqlite binds no booleans before Node 24 and no undefined: store 0/1 and NULL.
function toSqlValue(value: unknown): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value as SQLInputValue;
}
