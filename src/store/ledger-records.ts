// Usage events, ledger transfers, balances and idempotency records as every Store backend keeps them. Amounts are
// integer micro-units of their currency (1 USD = 1_000_000n) held as bigint; backends store 64-bit integers.

/** One metered call: exactly one per request that reached a route (successful, failed after tokens, or cut). */
export interface UsageEventRecord {
  /** `evt_` + time-ordered id; the ledger's idempotency key for the call. */
  id: string;
  /** The gateway's request id (`x-request-id`). */
  request_id: string;
  tenant: string;
  /** The virtual key, or null for the master key. */
  key_id: string | null;
  /** `chat.completions`, `embeddings`, `responses`. */
  endpoint: string;
  model: string;
  route: string;
  provider: string;
  region: string;
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  /** True when the cloud reported no usage and the tokens were counted by Crossway's tokenizer. */
  estimated: boolean;
  latency_ms: number;
  /** HTTP status the client got (499 when the client went away). */
  status: number;
  started_at: string;
  /** When the call completed: the instant the ledger dates the event (terms, periods, budgets) by. */
  completed_at: string;
  currency: string;
  /** What the cloud is owed, by the route's price book. */
  cost: bigint;
  /** What the tenant is charged (cost plus the tenant's margin). */
  charged: bigint;
}

/** One immutable double-entry line: `amount` is debited to `debit` and credited to `credit`. */
export interface TransferRecord {
  /** `<event id>:<kind>` (`:<agreement id>` for shares): a replay of the same event yields the same ids. */
  id: string;
  event_id: string;
  debit: string;
  credit: string;
  amount: bigint;
  currency: string;
  kind: 'charge' | 'cost' | 'revenue_share';
  agreement_id: string | null;
  /** The event's `completed_at`. */
  created_at: string;
}

// A record of every field, so that the compiler refuses a UsageEventRecord field missing here (or one too many).
const usageEventColumnSet: Record<keyof UsageEventRecord, true> = {
  id: true,
  request_id: true,
  tenant: true,
  key_id: true,
  endpoint: true,
  model: true,
  route: true,
  provider: true,
  region: true,
  input_tokens: true,
  cached_tokens: true,
  output_tokens: true,
  reasoning_tokens: true,
  estimated: true,
  latency_ms: true,
  status: true,
  started_at: true,
  completed_at: true,
  currency: true,
  cost: true,
  charged: true,
};

/**
 * The columns of a usage event, in table order: every field of UsageEventRecord, once. The stores' inserts and selects
 * and the ledger's in-memory replay check all read this one list.
 */
export const USAGE_EVENT_COLUMNS = Object.freeze(Object.keys(usageEventColumnSet) as (keyof UsageEventRecord)[]);

/**
 * What one call proposes to commit: the event and its transfers. A `revenue_share` transfer carries the share the
 * call owes before any cap; when its agreement is capped, `share_caps` names the cap and the store decides the amount
 * inside the commit transaction (see Store.commitLedger), so that a cap is split exactly once whatever the number of
 * writers.
 */
export interface LedgerEntry {
  event: UsageEventRecord;
  transfers: TransferRecord[];
  /** Per agreement id whose share in `transfers` is capped: the cap, in the share's currency (micro-units). */
  share_caps?: Record<string, bigint>;
}

/**
 * How one entry of a commit ended: `committed` (written now), `replayed` (the same event with the same transfers was
 * already stored: nothing written), `conflict` (the event id is stored with other amounts or transfers: nothing
 * written; the caller reports it as an error).
 */
export type LedgerCommitOutcome = 'committed' | 'replayed' | 'conflict';

/** One entry's outcome with the transfers the ledger holds for its event. */
export interface LedgerCommitResult {
  outcome: LedgerCommitOutcome;
  /**
   * `committed`: the entry's transfers as written, each capped share at the amount the store posted (a share the cap
   * left nothing of is not written, and not listed); `replayed`: the transfers stored for the event, in the entry's
   * order; `conflict`: none.
   */
  transfers: TransferRecord[];
}

/** A stored account balance (debits minus credits) in one currency. */
export interface AccountBalanceRecord {
  account: string;
  currency: string;
  balance: bigint;
}

/** An agreement's cumulative revenue share in one currency, kept beside the transfers in the same transaction. */
export interface AgreementAccrualRecord {
  agreement_id: string;
  currency: string;
  accrued: bigint;
  /** `completed_at` of the event whose share reached the cap; null while below it. */
  cap_reached_at: string | null;
}

/** Which usage events to sum. Time bounds compare `completed_at`: `from` inclusive, `to` exclusive. */
export interface UsageFilter {
  tenant?: string;
  key_id?: string;
  from?: string;
  to?: string;
  /** Only events of these providers. */
  providers?: readonly string[];
  /** Only events of these models. */
  models?: readonly string[];
}

export type UsageGroupBy = 'model' | 'route' | 'provider' | 'key' | 'day' | 'tenant';

/** Sums over a group of usage events, one row per (group, currency). */
export interface UsageTotalsRecord {
  /** The group's value (model id, route id, provider, key id (`master` for the master key), UTC day, tenant); null when not grouped. */
  group: string | null;
  currency: string;
  requests: number;
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  cost: bigint;
  charged: bigint;
}

/** Which transfers to sum. Time bounds compare `created_at`: `from` inclusive, `to` exclusive. */
export interface TransferFilter {
  kind?: TransferRecord['kind'];
  agreement_id?: string;
  from?: string;
  to?: string;
}

/** A page of the ledger, in id order, for verification. */
export interface LedgerPageOptions {
  /** Return rows whose id sorts after this one. */
  after?: string;
  limit: number;
}

/** A stored response to a request sent with an `Idempotency-Key` header (Stripe's semantics), per tenant. */
export interface IdempotencyRecord {
  tenant: string;
  key: string;
  /** SHA-256 (hex) of method, path and body: the same key with another request is a 409. */
  request_hash: string;
  /** `in_flight` while the first request runs; `completed` once its response is stored. */
  state: 'in_flight' | 'completed';
  status: number | null;
  /** The response headers worth replaying (content type, Crossway's route headers). */
  headers: Record<string, string> | null;
  body: Buffer | null;
  created_at: string;
  /** An in-flight claim older than this was left by a crashed process and may be taken over. */
  lease_expires_at: string;
  /** After this the key may be reused for any request (24 h after creation). */
  expires_at: string;
}

/** The result of claiming a key: claimed (go ahead), or the record that holds it. */
export type IdempotencyClaim = { claimed: true } | { claimed: false; existing: IdempotencyRecord };
