// The ledger's queries in portable Kysely (SQLite and PostgreSQL): KyselyStore's commit, listings and sums.
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import {
  USAGE_EVENT_COLUMNS,
  type AccountBalanceRecord,
  type AgreementAccrualRecord,
  type LedgerCommitResult,
  type LedgerEntry,
  type LedgerPageOptions,
  type TransferFilter,
  type TransferRecord,
  type UsageEventRecord,
  type UsageFilter,
  type UsageGroupBy,
  type UsageTotalsRecord,
} from './ledger-records.ts';
import {
  compareStoredEntry,
  createLedgerBatch,
  listCappedAccrualKeys,
  postLedgerEntry,
  splitCurrencyKey,
  toBigInt,
  toLedgerCommitResults,
  toTransferRecord,
  toTransferTableRow,
  toUsageEventRecord,
  toUsageEventTableRow,
  type LedgerBatch,
  type LedgerEntryVerdict,
  type StoredEventAmounts,
} from './ledger-rows.ts';
import type { StoreDatabase } from './store-database.ts';

// Rows per multi-row insert: 21 parameters an event row, far below PostgreSQL's 65535 bound parameters per statement.
const rowsPerInsert = 1000;

/**
 * Commits the entries in one transaction with Store.commitLedger's per-entry rules, in a handful of statements per
 * batch whatever its size. Several writers (replicas on one PostgreSQL database) stay exact: the capped accruals the
 * batch may move are locked first (one upsert each, in key order) and the capped shares decided against them; new
 * events are inserted with `on conflict do nothing`, so that a writer committing an event id another one has in
 * flight waits for it and then judges a replay; accruals and balances are added last, in key order. Every writer takes
 * its locks in the same order (capped accruals, events by id, the other accruals, balances), so that two commits
 * cannot deadlock.
 */
export async function commitLedgerEntries(db: Kysely<StoreDatabase>, entries: readonly LedgerEntry[]): Promise<LedgerCommitResult[]> {
  if (entries.length === 0) return [];
  const verdicts = await db.transaction().execute(async (transaction) => {
    const capped = new Map<string, bigint>();
    for (const key of listCappedAccrualKeys(entries)) capped.set(key, await lockAccrual(transaction, ...splitCurrencyKey(key)));
    const batch = createLedgerBatch(capped);
    const inserted = await insertNewEvents(transaction, entries);
    const stored = await readStoredEntries(
      transaction,
      entries.filter((entry) => !inserted.has(entry.event.id)).map((entry) => entry.event.id),
    );
    const transfers: TransferRecord[] = [];
    const verdicts = entries.map((entry): LedgerEntryVerdict => {
      const { id } = entry.event;
      const earlier = batch.written.get(id) ?? stored.get(id);
      if (earlier !== undefined) return compareStoredEntry(earlier.event, earlier.transfers, entry);
      if (!inserted.has(id)) throw new Error(`usage event ${id} was neither inserted nor found`);
      const posted = postLedgerEntry(entry, batch);
      transfers.push(...posted.transfers);
      return posted.verdict;
    });
    for (let start = 0; start < transfers.length; start += rowsPerInsert) {
      await transaction
        .insertInto('transfers')
        .values(transfers.slice(start, start + rowsPerInsert).map(toTransferTableRow))
        .execute();
    }
    await addToAccruals(transaction, batch);
    await addToBalances(transaction, batch.balances);
    return verdicts;
  });
  return toLedgerCommitResults(entries, verdicts);
}

/**
 * Creates the accrual row if there is none and locks it until the transaction ends (an upsert that updates nothing
 * still takes the row lock on PostgreSQL; SQLite's writer holds the whole database), returning the accrued amount.
 */
async function lockAccrual(transaction: Transaction<StoreDatabase>, agreementId: string, currency: string): Promise<bigint> {
  const row = await transaction
    .insertInto('agreement_accruals')
    .values({ agreement_id: agreementId, currency, accrued: 0n, cap_reached_at: null })
    .onConflict((conflict) => conflict.columns(['agreement_id', 'currency']).doUpdateSet({ accrued: sql`agreement_accruals.accrued` }))
    .returning(castAsText('accrued').as('accrued'))
    .executeTakeFirstOrThrow();
  return toBigInt(row.accrued);
}

/**
 * Inserts the events not stored yet (the first entry of each id), in id order; resolves with the ids inserted. An id
 * stored already, or committed meanwhile by another writer (whose transaction this insert waited for), is left out.
 */
async function insertNewEvents(transaction: Transaction<StoreDatabase>, entries: readonly LedgerEntry[]): Promise<Set<string>> {
  const firsts = new Map<string, UsageEventRecord>();
  for (const { event } of entries) if (!firsts.has(event.id)) firsts.set(event.id, event);
  const events = [...firsts.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const inserted = new Set<string>();
  for (let start = 0; start < events.length; start += rowsPerInsert) {
    const rows = await transaction
      .insertInto('usage_events')
      .values(events.slice(start, start + rowsPerInsert).map(toUsageEventTableRow))
      .onConflict((conflict) => conflict.column('id').doNothing())
      .returning('id')
      .execute();
    for (const row of rows) inserted.add(row.id);
  }
  return inserted;
}

/** The stored amounts and transfers of these event ids (stored before this transaction), by id. */
async function readStoredEntries(
  transaction: Transaction<StoreDatabase>,
  ids: readonly string[],
): Promise<Map<string, { event: StoredEventAmounts; transfers: TransferRecord[] }>> {
  const stored = new Map<string, { event: StoredEventAmounts; transfers: TransferRecord[] }>();
  const unique = [...new Set(ids)];
  for (let start = 0; start < unique.length; start += rowsPerInsert) {
    const page = unique.slice(start, start + rowsPerInsert);
    const events = await transaction
      .selectFrom('usage_events')
      .select(['id', castAsText('cost').as('cost'), castAsText('charged').as('charged'), 'currency'])
      .where('id', 'in', page)
      .execute();
    for (const { id, ...event } of events) stored.set(id, { event, transfers: [] });
    const transfers = await transaction.selectFrom('transfers').select(transferColumns).where('event_id', 'in', page).execute();
    for (const row of transfers) stored.get(row.event_id)?.transfers.push(toTransferRecord(row));
  }
  return stored;
}

/** Adds the batch's shares to their agreements' accruals and dates the caps it reached, in one statement, in key order. */
async function addToAccruals(transaction: Transaction<StoreDatabase>, batch: LedgerBatch): Promise<void> {
  const keys = [...new Set([...batch.accruals.keys(), ...batch.capsReached.keys()])].sort();
  if (keys.length === 0) return;
  const rows = keys.map((key) => {
    const [agreementId, currency] = splitCurrencyKey(key);
    return { agreement_id: agreementId, currency, accrued: batch.accruals.get(key) ?? 0n, cap_reached_at: batch.capsReached.get(key) ?? null };
  });
  await transaction
    .insertInto('agreement_accruals')
    .values(rows)
    .onConflict((conflict) =>
      conflict.columns(['agreement_id', 'currency']).doUpdateSet({
        accrued: sql`agreement_accruals.accrued + excluded.accrued`,
        // The first event to reach the cap dates it; a later one (after a cap raised in the catalog, say) does not move it.
        cap_reached_at: sql`coalesce(agreement_accruals.cap_reached_at, excluded.cap_reached_at)`,
      }),
    )
    .execute();
}

/** Adds the batch's sums to the account balances, in one statement per thousand accounts, in key order. */
async function addToBalances(transaction: Transaction<StoreDatabase>, balances: Map<string, bigint>): Promise<void> {
  const rows = [...balances.keys()].sort().map((key) => {
    const [account, currency] = splitCurrencyKey(key);
    return { account, currency, balance: balances.get(key)! };
  });
  for (let start = 0; start < rows.length; start += rowsPerInsert) {
    await transaction
      .insertInto('account_balances')
      .values(rows.slice(start, start + rowsPerInsert))
      .onConflict((conflict) => conflict.columns(['account', 'currency']).doUpdateSet({ balance: sql`account_balances.balance + excluded.balance` }))
      .execute();
  }
}

// 64-bit columns are read as text, exact on both backends: node:sqlite would read a number, and throw past 2^53.
// (SQLite's own bound stays: an integer column holds at most 2^63 - 1 micro-units, about 9.2 trillion USD.)
const castAsText = (column: 'cost' | 'charged' | 'amount' | 'balance' | 'accrued') => sql<string>`cast(${sql.ref(column)} as text)`;
const sumAsText = (column: 'cost' | 'charged' | 'amount') => sql<string>`cast(sum(${sql.ref(column)}) as text)`;

const usageEventColumns = [
  ...USAGE_EVENT_COLUMNS.filter((column): column is Exclude<typeof column, 'cost' | 'charged'> => column !== 'cost' && column !== 'charged'),
  castAsText('cost').as('cost'),
  castAsText('charged').as('charged'),
];
const transferColumns = ['id', 'event_id', 'debit', 'credit', castAsText('amount').as('amount'), 'currency', 'kind', 'agreement_id', 'created_at'] as const;

/** Every agreement's accrual per currency, by agreement then currency. */
export async function listAgreementAccruals(db: Kysely<StoreDatabase>): Promise<AgreementAccrualRecord[]> {
  const rows = await db
    .selectFrom('agreement_accruals')
    .select(['agreement_id', 'currency', castAsText('accrued').as('accrued'), 'cap_reached_at'])
    .orderBy('agreement_id')
    .orderBy('currency')
    .execute();
  return rows.map((row) => ({ agreement_id: row.agreement_id, currency: row.currency, accrued: toBigInt(row.accrued), cap_reached_at: row.cap_reached_at }));
}

/** Every account balance per currency, by account then currency. */
export async function listAccountBalances(db: Kysely<StoreDatabase>): Promise<AccountBalanceRecord[]> {
  const rows = await db
    .selectFrom('account_balances')
    .select(['account', 'currency', castAsText('balance').as('balance')])
    .orderBy('account')
    .orderBy('currency')
    .execute();
  return rows.map((row) => ({ account: row.account, currency: row.currency, balance: toBigInt(row.balance) }));
}

/** A page of usage events in id order. */
export async function listUsageEvents(db: Kysely<StoreDatabase>, { after, limit }: LedgerPageOptions): Promise<UsageEventRecord[]> {
  let query = db.selectFrom('usage_events').select(usageEventColumns).orderBy('id').limit(limit);
  if (after !== undefined) query = query.where('id', '>', after);
  return (await query.execute()).map(toUsageEventRecord);
}

/** A page of transfers in id order. */
export async function listTransfers(db: Kysely<StoreDatabase>, { after, limit }: LedgerPageOptions): Promise<TransferRecord[]> {
  let query = db.selectFrom('transfers').select(transferColumns).orderBy('id').limit(limit);
  if (after !== undefined) query = query.where('id', '>', after);
  return (await query.execute()).map(toTransferRecord);
}

/** The events of one request id, in id order. */
export async function findUsageEventsByRequest(db: Kysely<StoreDatabase>, requestId: string): Promise<UsageEventRecord[]> {
  const rows = await db.selectFrom('usage_events').select(usageEventColumns).where('request_id', '=', requestId).orderBy('id').execute();
  return rows.map(toUsageEventRecord);
}

// What each grouping groups by. `day` is the UTC date: completed_at is ISO text, and substr() exists on both backends.
const groupExpressions: Record<UsageGroupBy, RawBuilder<string>> = {
  model: sql<string>`model`,
  route: sql<string>`route`,
  provider: sql<string>`provider`,
  key: sql<string>`coalesce(key_id, 'master')`,
  day: sql<string>`substr(completed_at, 1, 10)`,
  tenant: sql<string>`tenant`,
};

/** Sums usage events under the filter, one row per (group, currency), by group then currency. */
export async function sumUsage(db: Kysely<StoreDatabase>, filter: UsageFilter, groupBy?: UsageGroupBy): Promise<UsageTotalsRecord[]> {
  // `in ()` is an error on PostgreSQL; no provider (or model) at all matches no event.
  if (filter.providers?.length === 0 || filter.models?.length === 0) return [];
  const group: RawBuilder<string | null> = groupBy === undefined ? sql<null>`null` : groupExpressions[groupBy];
  let query = db
    .selectFrom('usage_events')
    .select((eb) => [
      group.as('group'),
      'currency',
      eb.fn.countAll().as('requests'),
      eb.fn.sum('input_tokens').as('input_tokens'),
      eb.fn.sum('cached_tokens').as('cached_tokens'),
      eb.fn.sum('output_tokens').as('output_tokens'),
      eb.fn.sum('reasoning_tokens').as('reasoning_tokens'),
      sumAsText('cost').as('cost'),
      sumAsText('charged').as('charged'),
    ]);
  query = groupBy === undefined ? query.groupBy('currency').orderBy('currency') : query.groupBy([group, 'currency']).orderBy(group).orderBy('currency');
  if (filter.tenant !== undefined) query = query.where('tenant', '=', filter.tenant);
  if (filter.key_id !== undefined) query = query.where('key_id', '=', filter.key_id);
  if (filter.from !== undefined) query = query.where('completed_at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('completed_at', '<', filter.to);
  if (filter.providers !== undefined) query = query.where('provider', 'in', filter.providers);
  if (filter.models !== undefined) query = query.where('model', 'in', filter.models);
  const rows = await query.execute();
  return rows.map((row) => ({
    group: row.group,
    currency: row.currency,
    // PostgreSQL counts and sums integers as bigint, which pg reads as a string.
    requests: Number(row.requests),
    input_tokens: Number(row.input_tokens),
    cached_tokens: Number(row.cached_tokens),
    output_tokens: Number(row.output_tokens),
    reasoning_tokens: Number(row.reasoning_tokens),
    cost: toBigInt(row.cost),
    charged: toBigInt(row.charged),
  }));
}

/** Sums transfer amounts under the filter, per currency, by currency. */
export async function sumTransfers(db: Kysely<StoreDatabase>, filter: TransferFilter): Promise<{ currency: string; amount: bigint }[]> {
  let query = db
    .selectFrom('transfers')
    .select(['currency', sumAsText('amount').as('amount')])
    .groupBy('currency')
    .orderBy('currency');
  if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
  if (filter.agreement_id !== undefined) query = query.where('agreement_id', '=', filter.agreement_id);
  if (filter.from !== undefined) query = query.where('created_at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('created_at', '<', filter.to);
  const rows = await query.execute();
  return rows.map((row) => ({ currency: row.currency, amount: toBigInt(row.amount) }));
}
