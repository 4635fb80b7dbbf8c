// Usage events and transfers as stored, and back: bigint conversion, replay comparison, and the JSON that carries
// ledger entries to the write worker. Free of Kysely at run time: the SQLite write worker loads this file too.
import type { Insertable, Selectable } from 'kysely';
import { truncateStoredText } from './bound-stored-text.ts';
import type { LedgerCommitOutcome, LedgerEntry, TransferRecord, UsageEventRecord } from './ledger-records.ts';
import type { TransferTable, UsageEventTable } from './store-database.ts';

/**
 * A 64-bit integer column's value as an exact bigint. The ledger's queries read these columns cast to text (exact on
 * every backend); a plain read gives a number from node:sqlite (which throws past 2^53 micro-units, about 9 billion
 * USD, rather than round), a bigint from a node:sqlite statement set to read bigints, a string from pg.
 */
export function toBigInt(value: bigint | number | string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`stored amount ${value} is not an exact integer`);
    return BigInt(value);
  }
  if (!/^-?\d+$/.test(value)) throw new RangeError(`stored amount ${JSON.stringify(value)} is not an integer`);
  return BigInt(value);
}

/**
 * A usage event as stored; `latency_ms` is rounded, as PostgreSQL refuses fractions in an integer column, and the names
 * (model, endpoint, route, provider, region) are bounded to 256 characters (truncateStoredText).
 */
export function toUsageEventTableRow(event: UsageEventRecord): Insertable<UsageEventTable> {
  return {
    id: event.id,
    request_id: event.request_id,
    tenant: event.tenant,
    key_id: event.key_id,
    endpoint: truncateStoredText(event.endpoint),
    model: truncateStoredText(event.model),
    route: truncateStoredText(event.route),
    provider: truncateStoredText(event.provider),
    region: truncateStoredText(event.region),
    input_tokens: event.input_tokens,
    cached_tokens: event.cached_tokens,
    output_tokens: event.output_tokens,
    reasoning_tokens: event.reasoning_tokens,
    estimated: event.estimated,
    latency_ms: Math.round(event.latency_ms),
    status: event.status,
    started_at: event.started_at,
    completed_at: event.completed_at,
    currency: event.currency,
    cost: event.cost,
    charged: event.charged,
  };
}

/** A transfer as stored: only its columns (a caller's object may carry more), a missing agreement as null. */
export function toTransferTableRow(transfer: TransferRecord): Insertable<TransferTable> {
  return {
    id: transfer.id,
    event_id: transfer.event_id,
    debit: transfer.debit,
    credit: transfer.credit,
    amount: transfer.amount,
    currency: transfer.currency,
    kind: transfer.kind,
    agreement_id: transfer.agreement_id ?? null,
    created_at: transfer.created_at,
  };
}

/** Copies a stored row into a plain UsageEventRecord (node:sqlite rows have a null prototype; booleans are 0/1). */
export function toUsageEventRecord(row: Selectable<UsageEventTable>): UsageEventRecord {
  return {
    id: row.id,
    request_id: row.request_id,
    tenant: row.tenant,
    key_id: row.key_id,
    endpoint: row.endpoint,
    model: row.model,
    route: row.route,
    provider: row.provider,
    region: row.region,
    input_tokens: row.input_tokens,
    cached_tokens: row.cached_tokens,
    output_tokens: row.output_tokens,
    reasoning_tokens: row.reasoning_tokens,
    estimated: Boolean(row.estimated),
    latency_ms: row.latency_ms,
    status: row.status,
    started_at: row.started_at,
    completed_at: row.completed_at,
    currency: row.currency,
    cost: toBigInt(row.cost),
    charged: toBigInt(row.charged),
  };
}

/** Copies a stored row into a plain TransferRecord. */
export function toTransferRecord(row: Selectable<TransferTable>): TransferRecord {
  return {
    id: row.id,
    event_id: row.event_id,
    debit: row.debit,
    credit: row.credit,
    amount: toBigInt(row.amount),
    currency: row.currency,
    kind: row.kind as TransferRecord['kind'],
    agreement_id: row.agreement_id,
    created_at: row.created_at,
  };
}

/** The columns of a stored event that decide whether a second commit of its id is a replay. */
export interface StoredEventAmounts {
  cost: bigint | number | string;
  charged: bigint | number | string;
  currency: string;
}

/**
 * How an entry whose event id is already stored ends: `replayed` when cost, charged, currency and the transfers (as
 * a set, every field) are the same as stored, `conflict` otherwise. Token counts and timings are not compared: the
 * ledger is keyed by what was posted, and a retried call may measure its latency anew.
 */
export function compareStoredEntry(
  stored: StoredEventAmounts,
  storedTransfers: readonly TransferRecord[],
  entry: LedgerEntry,
): Exclude<LedgerCommitOutcome, 'committed'> {
  const { event } = entry;
  if (toBigInt(stored.cost) !== event.cost || toBigInt(stored.charged) !== event.charged || stored.currency !== event.currency) return 'conflict';
  if (storedTransfers.length !== entry.transfers.length) return 'conflict';
  const byId = new Map(storedTransfers.map((transfer) => [transfer.id, transfer]));
  for (const transfer of entry.transfers) {
    const other = byId.get(transfer.id);
    if (other === undefined || !isSameTransfer(transfer, other)) return 'conflict';
  }
  return 'replayed';
}

function isSameTransfer(a: TransferRecord, b: TransferRecord): boolean {
  return (
    a.event_id === b.event_id &&
    a.debit === b.debit &&
    a.credit === b.credit &&
    a.amount === b.amount &&
    a.currency === b.currency &&
    a.kind === b.kind &&
    (a.agreement_id ?? null) === (b.agreement_id ?? null) &&
    a.created_at === b.created_at
  );
}

/**
 * The currency an agreement's accrual is kept in for this entry: that of its revenue-share transfer, else the
 * event's (a cap can be reached only by a share, so the fallback is for malformed entries alone).
 */
export function findAccrualCurrency(entry: LedgerEntry, agreementId: string): string {
  const share = entry.transfers.find((transfer) => transfer.kind === 'revenue_share' && transfer.agreement_id === agreementId);
  return share?.currency ?? entry.event.currency;
}

// The bigint fields of a LedgerEntry (event.cost, event.charged, transfer.amount): JSON cannot carry bigint, so they
// cross the thread as decimal strings.

/**
 * Ledger entries as one JSON string for the write worker, bigint amounts as decimal strings. The amounts are copied
 * out by hand: a JSON.stringify replacer runs for every key of every row and cost more than the rest of the send.
 */
export function stringifyLedgerEntries(entries: readonly LedgerEntry[]): string {
  return JSON.stringify(
    entries.map(({ event, transfers, caps_reached }) => ({
      event: { ...event, cost: event.cost.toString(), charged: event.charged.toString() },
      transfers: transfers.map((transfer) => ({ ...transfer, amount: transfer.amount.toString() })),
      caps_reached,
    })),
  );
}

/**
 * Reads stringifyLedgerEntries' output back, amounts as bigint. The three amounts are converted by hand: a reviver
 * would run for every key of every row, and cost the writer thread almost as much as the inserts.
 */
export function parseLedgerEntries(text: string): LedgerEntry[] {
  type Wire = { event: { cost: string; charged: string }; transfers: { amount: string }[] };
  const entries = JSON.parse(text) as Wire[];
  for (const { event, transfers } of entries) {
    (event as unknown as { cost: bigint }).cost = BigInt(event.cost);
    (event as unknown as { charged: bigint }).charged = BigInt(event.charged);
    for (const transfer of transfers) (transfer as unknown as { amount: bigint }).amount = BigInt(transfer.amount);
  }
  return entries as unknown as LedgerEntry[];
}
