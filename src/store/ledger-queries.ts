// The ledger's queries in portable Kysely (SQLite and PostgreSQL): KyselyStore's commit, listings and sums.
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type {
  AccountBalanceRecord,
  AgreementAccrualRecord,
  LedgerCommitOutcome,
  LedgerEntry,
  LedgerPageOptions,
  TransferFilter,
  TransferRecord,
  UsageEventRecord,
  UsageFilter,
  UsageGroupBy,
  UsageTotalsRecord,
} from './ledger-records.ts';
import {
  compareStoredEntry,
  findAccrualCurrency,
  toBigInt,
  toTransferRecord,
  toTransferTableRow,
  toUsageEventRecord,
  toUsageEventTableRow,
} from './ledger-rows.ts';
import type { StoreDatabase } from './store-database.ts';

/**
 * Commits the entries in one transaction with Store.commitLedger's per-entry rules. On PostgreSQL two replicas
 * committing the same new event id at once make one transaction fail on the primary key; its retry is a replay.
 */
export function commitLedgerEntries(db: Kysely<StoreDatabase>, entries: readonly LedgerEntry[]): Promise<LedgerCommitOutcome[]> {
  if (entries.length === 0) return Promise.resolve([]);
  return db.transaction().execute(async (transaction) => {
    const outcomes: LedgerCommitOutcome[] = [];
    for (const entry of entries) outcomes.push(await commitLedgerEntry(transaction, entry));
    return outcomes;
  });
}

async function commitLedgerEntry(transaction: Transaction<StoreDatabase>, entry: LedgerEntry): Promise<LedgerCommitOutcome> {
  const { event } = entry;
  const stored = await transaction
    .selectFrom('usage_events')
    .select([castAsText('cost').as('cost'), castAsText('charged').as('charged'), 'currency'])
    .where('id', '=', event.id)
    .executeTakeFirst();
  if (stored !== undefined) {
    const storedTransfers = await transaction.selectFrom('transfers').select(transferColumns).where('event_id', '=', event.id).execute();
    return compareStoredEntry(stored, storedTransfers.map(toTransferRecord), entry);
  }
  await transaction.insertInto('usage_events').values(toUsageEventTableRow(event)).execute();
  if (entry.transfers.length > 0) await transaction.insertInto('transfers').values(entry.transfers.map(toTransferTableRow)).execute();
  for (const transfer of entry.transfers) {
    await addToBalance(transaction, transfer.debit, transfer.currency, transfer.amount);
    await addToBalance(transaction, transfer.credit, transfer.currency, -transfer.amount);
    if (transfer.kind === 'revenue_share' && transfer.agreement_id != null) {
      await transaction
        .insertInto('agreement_accruals')
        .values({ agreement_id: transfer.agreement_id, currency: transfer.currency, accrued: transfer.amount, cap_reached_at: null })
        .onConflict((conflict) => conflict.columns(['agreement_id', 'currency']).doUpdateSet({ accrued: sql`agreement_accruals.accrued + excluded.accrued` }))
        .execute();
    }
  }
  for (const agreementId of entry.caps_reached) {
    // The first event to reach the cap dates it; a later one (after a cap raised in the catalog, say) does not move it.
    await transaction
      .insertInto('agreement_accruals')
      .values({ agreement_id: agreementId, currency: findAccrualCurrency(entry, agreementId), accrued: 0n, cap_reached_at: event.completed_at })
      .onConflict((conflict) =>
        conflict
          .columns(['agreement_id', 'currency'])
          .doUpdateSet({ cap_reached_at: sql`coalesce(agreement_accruals.cap_reached_at, excluded.cap_reached_at)` }),
      )
      .execute();
  }
  return 'committed';
}

function addToBalance(transaction: Transaction<StoreDatabase>, account: string, currency: string, amount: bigint) {
  return transaction
    .insertInto('account_balances')
    .values({ account, currency, balance: amount })
    .onConflict((conflict) => conflict.columns(['account', 'currency']).doUpdateSet({ balance: sql`account_balances.balance + excluded.balance` }))
    .execute();
}

// 64-bit columns are read as text, exact on both backends: node:sqlite would read a number, and throw past 2^53.
// (SQLite's own bound stays: an integer column holds at most 2^63 - 1 micro-units, about 9.2 trillion USD.)
const castAsText = (column: 'cost' | 'charged' | 'amount' | 'balance' | 'accrued') => sql<string>`cast(${sql.ref(column)} as text)`;
const sumAsText = (column: 'cost' | 'charged' | 'amount') => sql<string>`cast(sum(${sql.ref(column)}) as text)`;

const usageEventColumns = [
  'id',
  'request_id',
  'tenant',
  'key_id',
  'endpoint',
  'model',
  'route',
  'provider',
  'region',
  'input_tokens',
  'cached_tokens',
  'output_tokens',
  'reasoning_tokens',
  'estimated',
  'latency_ms',
  'status',
  'started_at',
  'completed_at',
  'currency',
  castAsText('cost').as('cost'),
  castAsText('charged').as('charged'),
] as const;
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
