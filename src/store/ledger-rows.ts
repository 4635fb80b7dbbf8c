// Usage events and transfers as stored, and back: bigint conversion, the in-transaction decision of capped shares,
// replay comparison, and the JSON that carries ledger entries to the write worker. Free of Kysely at run time: the
// SQLite write worker loads this file too.
import type { Insertable, Selectable } from 'kysely';
import { truncateStoredText } from './bound-stored-text.ts';
import type { LedgerCommitOutcome, LedgerCommitResult, LedgerEntry, TransferRecord, UsageEventRecord } from './ledger-records.ts';
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
 * A store's verdict on one entry, small enough to cross the SQLite writer thread; toLedgerCommitResults turns the
 * verdicts back into the transfers the caller gets.
 */
export interface LedgerEntryVerdict {
  outcome: LedgerCommitOutcome;
  /**
   * The capped shares of the entry (`share_caps`) not written as proposed, by agreement id: the amount posted now
   * (committed) or stored (replayed); 0n = not written at all. Absent when every share is written as proposed, the
   * common case, which then costs nothing more than before caps were decided here.
   */
  posted?: Record<string, bigint>;
}

/** The key of a name (an agreement, an account) in one currency: of an accrual, of a balance. */
export const currencyKey = (name: string, currency: string) => `${name}\u0000${currency}`;

/** Splits a currencyKey back into its name and currency. */
export function splitCurrencyKey(key: string): [string, string] {
  const at = key.indexOf('\u0000');
  return [key.slice(0, at), key.slice(at + 1)];
}

/** The cap of a capped revenue-share transfer of `entry`, or undefined for any other transfer. */
function capOf(entry: LedgerEntry, transfer: TransferRecord): bigint | undefined {
  const caps = entry.share_caps;
  if (caps === undefined || transfer.kind !== 'revenue_share' || transfer.agreement_id == null) return undefined;
  return Object.hasOwn(caps, transfer.agreement_id) ? caps[transfer.agreement_id] : undefined;
}

/**
 * The capped accruals a batch may move, as sorted currencyKeys: a store locks (and reads) them in this order at the
 * start of the commit transaction, so that two writers' transactions always take them in the same order.
 */
export function listCappedAccrualKeys(entries: readonly LedgerEntry[]): string[] {
  const keys = new Set<string>();
  for (const entry of entries) {
    if (entry.share_caps === undefined) continue;
    for (const transfer of entry.transfers) {
      if (capOf(entry, transfer) !== undefined) keys.add(currencyKey(transfer.agreement_id!, transfer.currency));
    }
  }
  return [...keys].sort();
}

/** What one commit transaction has decided so far, entry after entry; the store writes the sums once at the end. */
export interface LedgerBatch {
  /** Each capped accrual of the batch (listCappedAccrualKeys): as stored (read under the lock), plus what the batch posted. */
  capped: Map<string, bigint>;
  /** Amount to add per account balance (currencyKey of account and currency): debits positive, credits negative. */
  balances: Map<string, bigint>;
  /** Amount to add per agreement accrual (currencyKey). */
  accruals: Map<string, bigint>;
  /** Capped accruals the batch brought to their cap, with the `completed_at` of the first event that did. */
  capsReached: Map<string, string>;
  /** Events the batch wrote, with their transfers as written: a repeated id later in the batch is judged against them. */
  written: Map<string, { event: UsageEventRecord; transfers: TransferRecord[] }>;
}

/** An empty batch whose capped accruals are `capped` (each key of listCappedAccrualKeys with its stored amount). */
export function createLedgerBatch(capped: Map<string, bigint>): LedgerBatch {
  return { capped, balances: new Map(), accruals: new Map(), capsReached: new Map(), written: new Map() };
}

/**
 * Decides the transfers of an entry whose event is new, inside the commit transaction: a capped share is posted as
 * min(proposed, cap - accrued), where accrued is the stored accrual plus what earlier entries of the batch posted; a
 * share that brings the accrual to its cap dates it; a share the cap leaves nothing of is not written. Every other
 * transfer is written as proposed. Adds the written amounts to the batch's sums; returns the transfers to insert.
 */
export function postLedgerEntry(entry: LedgerEntry, batch: LedgerBatch): { transfers: TransferRecord[]; verdict: LedgerEntryVerdict } {
  const add = (map: Map<string, bigint>, key: string, amount: bigint) => map.set(key, (map.get(key) ?? 0n) + amount);
  const transfers: TransferRecord[] = [];
  let posted: Record<string, bigint> | undefined;
  for (const transfer of entry.transfers) {
    let amount = transfer.amount;
    const cap = capOf(entry, transfer);
    if (cap !== undefined) {
      const key = currencyKey(transfer.agreement_id!, transfer.currency);
      const accrued = batch.capped.get(key);
      if (accrued === undefined) throw new Error(`the accrual of ${transfer.agreement_id} in ${transfer.currency} was not read before posting`);
      const remaining = cap - accrued;
      if (amount > remaining) amount = remaining > 0n ? remaining : 0n;
      if (amount > 0n && amount === remaining && !batch.capsReached.has(key)) batch.capsReached.set(key, entry.event.completed_at);
      batch.capped.set(key, accrued + amount);
      if (amount !== transfer.amount || amount === 0n) {
        posted ??= Object.create(null) as Record<string, bigint>;
        posted[transfer.agreement_id!] = amount;
      }
      if (amount === 0n) continue;
    }
    transfers.push(amount === transfer.amount ? transfer : { ...transfer, amount });
    add(batch.balances, currencyKey(transfer.debit, transfer.currency), amount);
    add(batch.balances, currencyKey(transfer.credit, transfer.currency), -amount);
    if (transfer.kind === 'revenue_share' && transfer.agreement_id != null) add(batch.accruals, currencyKey(transfer.agreement_id, transfer.currency), amount);
  }
  batch.written.set(entry.event.id, { event: entry.event, transfers });
  return { transfers, verdict: posted === undefined ? { outcome: 'committed' } : { outcome: 'committed', posted } };
}

/**
 * How an entry whose event id is already stored ends: `replayed` when cost, charged, currency and the transfers (as
 * a set, every field) are the same as stored, `conflict` otherwise. A capped share may be stored at any amount up to
 * the proposed one, or not at all (the cap left less, or nothing, when it was first committed, possibly by another
 * writer whose view of the accrual differed): that is still a replay, and the verdict says what is stored. Token
 * counts and timings are not compared: the ledger is keyed by what was posted, and a retried call may measure its
 * latency anew.
 */
export function compareStoredEntry(stored: StoredEventAmounts, storedTransfers: readonly TransferRecord[], entry: LedgerEntry): LedgerEntryVerdict {
  const conflict: LedgerEntryVerdict = { outcome: 'conflict' };
  const { event } = entry;
  if (toBigInt(stored.cost) !== event.cost || toBigInt(stored.charged) !== event.charged || stored.currency !== event.currency) return conflict;
  const byId = new Map(storedTransfers.map((transfer) => [transfer.id, transfer]));
  let matched = 0;
  let posted: Record<string, bigint> | undefined;
  for (const transfer of entry.transfers) {
    const other = byId.get(transfer.id);
    if (capOf(entry, transfer) !== undefined) {
      if (other !== undefined && (other.amount > transfer.amount || !isSameTransfer({ ...transfer, amount: other.amount }, other))) return conflict;
      const amount = other?.amount ?? 0n;
      if (amount !== transfer.amount || other === undefined) {
        posted ??= Object.create(null) as Record<string, bigint>;
        posted[transfer.agreement_id!] = amount;
      }
    } else if (other === undefined || !isSameTransfer(transfer, other)) return conflict;
    if (other !== undefined) matched += 1;
  }
  if (matched !== storedTransfers.length) return conflict;
  return posted === undefined ? { outcome: 'replayed' } : { outcome: 'replayed', posted };
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

/** The results Store.commitLedger answers: each entry's transfers with its capped shares as the verdict posted them. */
export function toLedgerCommitResults(entries: readonly LedgerEntry[], verdicts: readonly LedgerEntryVerdict[]): LedgerCommitResult[] {
  if (verdicts.length !== entries.length) throw new Error(`the store answered ${verdicts.length} verdicts for ${entries.length} ledger entries`);
  return entries.map((entry, index) => {
    const { outcome, posted } = verdicts[index]!;
    if (outcome === 'conflict') return { outcome, transfers: [] };
    if (posted === undefined) return { outcome, transfers: entry.transfers };
    const transfers: TransferRecord[] = [];
    for (const transfer of entry.transfers) {
      const amount = capOf(entry, transfer) === undefined || !Object.hasOwn(posted, transfer.agreement_id!) ? undefined : posted[transfer.agreement_id!];
      if (amount === undefined) transfers.push(transfer);
      else if (amount > 0n) transfers.push(amount === transfer.amount ? transfer : { ...transfer, amount });
    }
    return { outcome, transfers };
  });
}

// The bigint fields of a LedgerEntry (event.cost, event.charged, transfer.amount): JSON cannot carry bigint, so they
// cross the thread as decimal strings.

/**
 * Ledger entries as one JSON string for the write worker, bigint amounts as decimal strings. The amounts are copied
 * out by hand: a JSON.stringify replacer runs for every key of every row and cost more than the rest of the send.
 */
export function stringifyLedgerEntries(entries: readonly LedgerEntry[]): string {
  return JSON.stringify(
    entries.map(({ event, transfers, share_caps }) => ({
      event: { ...event, cost: event.cost.toString(), charged: event.charged.toString() },
      transfers: transfers.map((transfer) => ({ ...transfer, amount: transfer.amount.toString() })),
      ...(share_caps === undefined ? {} : { share_caps: mapValues(share_caps, String) }),
    })),
  );
}

/**
 * Reads stringifyLedgerEntries' output back, amounts as bigint. The three amounts are converted by hand: a reviver
 * would run for every key of every row, and cost the writer thread almost as much as the inserts.
 */
export function parseLedgerEntries(text: string): LedgerEntry[] {
  type Wire = { event: { cost: string; charged: string }; transfers: { amount: string }[]; share_caps?: Record<string, string> };
  const entries = JSON.parse(text) as Wire[];
  for (const entry of entries) {
    const { event, transfers, share_caps } = entry;
    if (share_caps !== undefined) (entry as unknown as LedgerEntry).share_caps = mapValues(share_caps, BigInt);
    (event as unknown as { cost: bigint }).cost = BigInt(event.cost);
    (event as unknown as { charged: bigint }).charged = BigInt(event.charged);
    for (const transfer of transfers) (transfer as unknown as { amount: bigint }).amount = BigInt(transfer.amount);
  }
  return entries as unknown as LedgerEntry[];
}

function mapValues<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}
