// Checks a ledger's invariants: balanced entries, events and transfers matched, unique ids, shares within cap and term.
import type { Agreement } from '../catalog/index.ts';
import { getShareCap, isWithinShareTerm } from './accrue-revenue-share.ts';
import type { Transfer } from './build-transfers.ts';
import { formatMoney, type Micro } from './money.ts';

/** What verification needs of an event. */
export interface LedgerEvent {
  id: string;
  timestamp: string;
}

/** A stored account balance (debits − credits) in one currency. */
export interface AccountBalance {
  account: string;
  currency: string;
  balance: Micro;
}

/** One broken invariant. */
export interface LedgerViolation {
  code:
    | 'unbalanced_currency'
    | 'invalid_transfer'
    | 'transfer_without_event'
    | 'event_without_transfers'
    | 'conflicting_replay'
    | 'balance_mismatch'
    | 'share_over_cap'
    | 'share_outside_term'
    | 'unknown_agreement'
    /** An event's `cost` or `charged` differs from its cost or charge transfer (verifyStoredLedger). */
    | 'amount_mismatch'
    /** A stored agreement accrual differs from the sum of its share transfers, or marks a cap reached that is not (verifyStoredLedger). */
    | 'accrual_mismatch';
  message: string;
  event_id?: string;
  transfer_id?: string;
  account?: string;
  agreement_id?: string;
}

function sameTransfer(a: Transfer, b: Transfer): boolean {
  return (
    a.event_id === b.event_id &&
    a.debit === b.debit &&
    a.credit === b.credit &&
    a.amount === b.amount &&
    a.currency === b.currency &&
    a.kind === b.kind &&
    a.agreement_id === b.agreement_id
  );
}

/**
 * Lists every violated invariant (empty = the ledger is sound). Identical transfers under one id are a replay and
 * count once; the same id with different contents is `conflicting_replay`. With `balances`, every stored balance
 * must equal the sum of its transfers and every account with transfers must have one. With `agreements`, each
 * agreement's `revenue_share` transfers must lie inside its term and sum to at most its cap.
 */
export function verifyLedger(
  events: readonly LedgerEvent[],
  transfers: readonly Transfer[],
  balances?: readonly AccountBalance[],
  agreements?: readonly Pick<Agreement, 'id' | 'revenue_share'>[],
): LedgerViolation[] {
  const violations: LedgerViolation[] = [];
  const eventsById = new Map(events.map((event) => [event.id, event]));
  const unique = new Map<string, Transfer>();
  for (const transfer of transfers) {
    const seen = unique.get(transfer.id);
    if (seen === undefined) unique.set(transfer.id, transfer);
    else if (!sameTransfer(seen, transfer)) {
      violations.push({ code: 'conflicting_replay', message: `transfer ${transfer.id} replayed with different contents`, transfer_id: transfer.id });
    }
  }

  const debits = new Map<string, Micro>();
  const credits = new Map<string, Micro>();
  const computed = new Map<string, Micro>();
  const withTransfers = new Set<string>();
  const add = (map: Map<string, Micro>, key: string, amount: Micro) => map.set(key, (map.get(key) ?? 0n) + amount);
  for (const transfer of unique.values()) {
    if (transfer.amount < 0n || transfer.debit === transfer.credit) {
      violations.push({
        code: 'invalid_transfer',
        message: `transfer ${transfer.id} has a negative amount or the same account on both sides`,
        transfer_id: transfer.id,
      });
    }
    if (!eventsById.has(transfer.event_id)) {
      violations.push({
        code: 'transfer_without_event',
        message: `transfer ${transfer.id} references unknown event ${transfer.event_id}`,
        transfer_id: transfer.id,
        event_id: transfer.event_id,
      });
    }
    withTransfers.add(transfer.event_id);
    add(debits, transfer.currency, transfer.amount);
    add(credits, transfer.currency, transfer.amount);
    add(computed, `${transfer.debit}\u0000${transfer.currency}`, transfer.amount);
    add(computed, `${transfer.credit}\u0000${transfer.currency}`, -transfer.amount);
  }
  for (const event of events) {
    if (!withTransfers.has(event.id)) violations.push({ code: 'event_without_transfers', message: `event ${event.id} has no transfers`, event_id: event.id });
  }

  if (balances) {
    const stored = new Map<string, Micro>();
    for (const { account, currency, balance } of balances) add(stored, `${account}\u0000${currency}`, balance);
    for (const [key, balance] of stored) {
      const [account = '', currency = ''] = key.split('\u0000');
      add(debits, currency, balance > 0n ? balance : 0n);
      add(credits, currency, balance < 0n ? -balance : 0n);
      const expected = computed.get(key) ?? 0n;
      if (balance !== expected) {
        violations.push({
          code: 'balance_mismatch',
          message: `${account} holds ${formatMoney(balance)} ${currency}, its transfers sum to ${formatMoney(expected)}`,
          account,
        });
      }
    }
    for (const [key, expected] of computed) {
      const [account = '', currency = ''] = key.split('\u0000');
      if (!stored.has(key) && expected !== 0n) {
        violations.push({ code: 'balance_mismatch', message: `${account} has transfers in ${currency} but no stored balance`, account });
      }
    }
  }
  // Transfers and stored balances each count on both sides; any difference means a one-sided entry somewhere.
  for (const currency of new Set([...debits.keys(), ...credits.keys()])) {
    const debit = debits.get(currency) ?? 0n;
    const credit = credits.get(currency) ?? 0n;
    if (debit !== credit) {
      violations.push({ code: 'unbalanced_currency', message: `${currency}: debits ${formatMoney(debit)} != credits ${formatMoney(credit)}` });
    }
  }

  if (agreements) violations.push(...verifyShares(eventsById, [...unique.values()], agreements));
  return violations;
}

function verifyShares(
  eventsById: Map<string, LedgerEvent>,
  transfers: Transfer[],
  agreements: readonly Pick<Agreement, 'id' | 'revenue_share'>[],
): LedgerViolation[] {
  const violations: LedgerViolation[] = [];
  const byId = new Map(agreements.map((agreement) => [agreement.id, agreement]));
  const totals = new Map<string, Micro>();
  for (const transfer of transfers) {
    if (transfer.kind !== 'revenue_share') continue;
    const agreement = transfer.agreement_id === undefined ? undefined : byId.get(transfer.agreement_id);
    const share = agreement?.revenue_share;
    if (!agreement || !share) {
      violations.push({ code: 'unknown_agreement', message: `share transfer ${transfer.id} names no known revenue-share agreement`, transfer_id: transfer.id });
      continue;
    }
    const event = eventsById.get(transfer.event_id);
    if (event && !isWithinShareTerm(share, event.timestamp)) {
      violations.push({
        code: 'share_outside_term',
        message: `share transfer ${transfer.id} falls outside the term of ${agreement.id}`,
        transfer_id: transfer.id,
        event_id: event.id,
      });
    }
    const key = `${agreement.id}\u0000${transfer.currency}`;
    const total = (totals.get(key) ?? 0n) + transfer.amount;
    totals.set(key, total);
    const cap = share.cap && share.cap.currency === transfer.currency ? getShareCap(share, transfer.currency) : undefined;
    if (cap !== undefined && total > cap && total - transfer.amount <= cap) {
      violations.push({
        code: 'share_over_cap',
        message: `${agreement.id} accrued beyond its cap of ${formatMoney(cap)} at transfer ${transfer.id}`,
        transfer_id: transfer.id,
      });
    }
  }
  return violations;
}
