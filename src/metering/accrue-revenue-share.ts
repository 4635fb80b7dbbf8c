// Accrues an agreement's revenue share on one event: rate × revenue, inside the term and scope, split exactly at the cap.
import type { Agreement } from '../catalog/index.ts';
import { MeteringError } from './metering-error.ts';
import { multiplyByRatio, parseMoney, parseRatio, type Micro } from './money.ts';

/** The `revenue_share` block of an agreement. */
export type RevenueShare = NonNullable<Agreement['revenue_share']>;

/** What the share needs to know about one priced usage event. */
export interface ShareEvent {
  provider: string;
  model: string;
  /** ISO 8601 instant of the call (its completion time). */
  timestamp: string;
  /** Revenue of the event (the amount charged to the tenant), in micro-units of `currency`. */
  revenue: Micro;
  currency: string;
}

/** Why an accrual has the amount it has. */
export type ShareAccrualReason = 'accrued' | 'capped' | 'cap_reached' | 'outside_term' | 'outside_scope' | 'no_revenue_share';

/** The share owed on one event. */
export interface ShareAccrual {
  amount: Micro;
  reason: ShareAccrualReason;
}

const DAY_MS = 86_400_000;
const dateOnly = /^\d{4}-\d{2}-\d{2}$/;

function parseInstant(text: string, what: string): number {
  const ms = Date.parse(dateOnly.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) throw new MeteringError(`${what} ${JSON.stringify(text)} is not an ISO 8601 date or instant`);
  return ms;
}

/**
 * The term as a half-open interval `[start, end)` of epoch milliseconds. `from` as a date starts at 00:00:00Z of that
 * day; `until` as a date runs **through the end of that day UTC** (end = next day 00:00:00Z, exclusive), so an
 * event at `2030-12-31T23:59:59.999Z` accrues and one at `2031-01-01T00:00:00Z` does not. `from`/`until` given as
 * instants are inclusive of that instant (end = until + 1 ms). Absent bounds are open.
 */
export function getShareTerm(share: Pick<RevenueShare, 'from' | 'until'>): { start: number; end: number } {
  const start = share.from === undefined ? Number.NEGATIVE_INFINITY : parseInstant(share.from, 'revenue_share.from');
  let end = Number.POSITIVE_INFINITY;
  if (share.until !== undefined) {
    end = parseInstant(share.until, 'revenue_share.until') + (dateOnly.test(share.until) ? DAY_MS : 1);
  }
  return { start, end };
}

/** Whether an event at `timestamp` falls inside the share's term (see {@link getShareTerm}). */
export function isWithinShareTerm(share: Pick<RevenueShare, 'from' | 'until'>, timestamp: string): boolean {
  const at = parseInstant(timestamp, 'event timestamp');
  const { start, end } = getShareTerm(share);
  return at >= start && at < end;
}

/** Whether the event's traffic counts: `scope` lists providers (or `all`), and `models`, when set, lists models. */
export function isWithinShareScope(agreement: Pick<Agreement, 'models' | 'revenue_share'>, event: Pick<ShareEvent, 'provider' | 'model'>): boolean {
  const share = agreement.revenue_share;
  if (!share) return false;
  if (agreement.models && !agreement.models.includes(event.model)) return false;
  return share.scope === 'all' || share.scope.includes(event.provider);
}

/** The cap in micro-units, or undefined when uncapped; throws when the cap's currency is not `currency`. */
export function getShareCap(share: RevenueShare, currency: string): Micro | undefined {
  if (!share.cap) return undefined;
  if (share.cap.currency !== currency) {
    throw new MeteringError(`revenue share cap is in ${share.cap.currency}, the event in ${currency}`, 'currency_mismatch');
  }
  return parseMoney(share.cap.amount);
}

/**
 * The revenue share owed on `event` given `accrued`, the agreement's cumulative share so far (same currency).
 * Amount = `rate × revenue`, with the rate read as an exact decimal (0.20 is exactly 1/5) and the product rounded
 * half up to the micro-unit per event. Zero outside the term or scope. When the amount would take the cumulative
 * accrual past the cap, it is exactly `cap - accrued` (reason `capped`); once the cap is reached, zero.
 */
export function accrueRevenueShare(agreement: Pick<Agreement, 'models' | 'revenue_share'>, event: ShareEvent, accrued: Micro): ShareAccrual {
  const share = agreement.revenue_share;
  if (!share) return { amount: 0n, reason: 'no_revenue_share' };
  if (!isWithinShareTerm(share, event.timestamp)) return { amount: 0n, reason: 'outside_term' };
  if (!isWithinShareScope(agreement, event)) return { amount: 0n, reason: 'outside_scope' };
  if (event.revenue < 0n) throw new MeteringError('revenue must be non-negative');
  const amount = multiplyByRatio(event.revenue, parseRatio(share.rate));
  const cap = getShareCap(share, event.currency);
  if (cap === undefined) return { amount, reason: 'accrued' };
  const remaining = cap - accrued;
  if (remaining <= 0n) return { amount: 0n, reason: 'cap_reached' };
  if (amount >= remaining) return { amount: remaining, reason: 'capped' };
  return { amount, reason: 'accrued' };
}
