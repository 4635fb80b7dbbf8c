// Builds an agreement's revenue-share statement for a period (GET /admin/ledger/statements, `crossway ledger statement`).
import type { Agreement } from '../catalog/index.ts';
import type { Store } from '../store/index.ts';
import { InvalidRequestError } from '../wire/index.ts';
import { formatMoney, parseMoney, type Micro } from './money.ts';
import { normalizeQueryInstant } from './normalize-query-instant.ts';

/** A calendar month `YYYY-MM` or a day `YYYY-MM-DD` (UTC), or explicit bounds (`from` inclusive, `to` exclusive). */
export type StatementPeriod = string | { from: string; to: string };

/** One agreement's revenue share over a period; amounts are decimal strings in `currency`. */
export interface RevenueShareStatement {
  object: 'ledger.statement';
  agreement: string;
  payer: string;
  payee: string;
  rate: number;
  /** `from` inclusive, `to` exclusive, as ISO 8601 instants. */
  period: { from: string; to: string };
  /** The cap's currency, or USD when uncapped; usage in other currencies is not part of the statement. */
  currency: string;
  /** Usage events in the agreement's scope during the period. */
  events: number;
  /** What the tenants were charged for those events. */
  revenue: string;
  /** What the clouds are owed for them. */
  cost: string;
  /** revenue − cost. */
  margin: string;
  /** Share accrued by events of the period. */
  share_accrued: string;
  /** Share accrued from the start through the end of the period. */
  share_accrued_to_date: string;
  cap: string | null;
  /** cap − share accrued to date (never below zero); null when uncapped. */
  cap_remaining: string | null;
  /** When the cumulative share reached the cap, if it did before the period's end; else null. */
  cap_reached_at: string | null;
}

/** Turns a period into `[from, to)` instants; a malformed period is a 400 naming `period`. */
export function resolveStatementPeriod(period: StatementPeriod): { from: string; to: string } {
  if (typeof period !== 'string') {
    const from = normalizeQueryInstant(period.from, 'from');
    const to = normalizeQueryInstant(period.to, 'to');
    if (from >= to) throw new InvalidRequestError('the period must end after it starts', 'period');
    return { from, to };
  }
  const month = /^(\d{4})-(\d{2})$/.exec(period);
  if (month) {
    const year = Number(month[1]);
    const index = Number(month[2]) - 1;
    if (index >= 0 && index < 12) return { from: new Date(Date.UTC(year, index, 1)).toISOString(), to: new Date(Date.UTC(year, index + 1, 1)).toISOString() };
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(period)) {
    const start = new Date(`${period}T00:00:00Z`);
    // Date rolls 2026-02-30 over to March; only a day that reads back the same is a real one.
    if (!Number.isNaN(start.getTime()) && start.toISOString().slice(0, 10) === period) {
      return { from: start.toISOString(), to: new Date(start.getTime() + 86_400_000).toISOString() };
    }
  }
  throw new InvalidRequestError(`period must be a month (YYYY-MM) or a day (YYYY-MM-DD), got ${JSON.stringify(period)}`, 'period');
}

/**
 * The statement of `agreement` for `period`. Revenue, cost and events are the usage events of the period in the
 * agreement's scope (its `revenue_share.scope` providers, or all, and its `models` when set), whether or not they
 * fell inside the share's term; the share figures are the `revenue_share` transfers booked under the agreement.
 * An agreement without a revenue share is a 400 (`no_revenue_share`).
 */
export async function buildRevenueShareStatement(
  store: Pick<Store, 'sumUsage' | 'sumTransfers' | 'listAgreementAccruals'>,
  agreement: Pick<Agreement, 'id' | 'models' | 'revenue_share'>,
  period: StatementPeriod,
): Promise<RevenueShareStatement> {
  const share = agreement.revenue_share;
  if (!share) throw new InvalidRequestError(`agreement ${agreement.id} has no revenue share`, 'agreement', 'no_revenue_share');
  const { from, to } = resolveStatementPeriod(period);
  const currency = share.cap?.currency ?? 'USD';
  const cap = share.cap ? parseMoney(share.cap.amount) : undefined;

  const [usage, accruedInPeriod, accruedToDate, accruals] = await Promise.all([
    store.sumUsage({ from, to, ...(share.scope === 'all' ? {} : { providers: share.scope }), ...(agreement.models ? { models: agreement.models } : {}) }),
    store.sumTransfers({ kind: 'revenue_share', agreement_id: agreement.id, from, to }),
    store.sumTransfers({ kind: 'revenue_share', agreement_id: agreement.id, to }),
    store.listAgreementAccruals(),
  ]);
  const inCurrency = usage.filter((row) => row.currency === currency);
  const revenue = inCurrency.reduce((sum, row) => sum + row.charged, 0n);
  const cost = inCurrency.reduce((sum, row) => sum + row.cost, 0n);
  const toDate = amountIn(accruedToDate, currency);
  const reachedAt = accruals.find((accrual) => accrual.agreement_id === agreement.id && accrual.currency === currency)?.cap_reached_at ?? null;
  return {
    object: 'ledger.statement',
    agreement: agreement.id,
    payer: share.payer,
    payee: share.payee,
    rate: share.rate,
    period: { from, to },
    currency,
    events: inCurrency.reduce((sum, row) => sum + row.requests, 0),
    revenue: formatMoney(revenue),
    cost: formatMoney(cost),
    margin: formatMoney(revenue - cost),
    share_accrued: formatMoney(amountIn(accruedInPeriod, currency)),
    share_accrued_to_date: formatMoney(toDate),
    cap: cap === undefined ? null : formatMoney(cap),
    cap_remaining: cap === undefined ? null : formatMoney(cap > toDate ? cap - toDate : 0n),
    // A statement speaks as of its period's end: a cap reached later is not reached yet (and none is without a cap).
    cap_reached_at: cap !== undefined && reachedAt !== null && reachedAt < to ? reachedAt : null,
  };
}

function amountIn(sums: readonly { currency: string; amount: Micro }[], currency: string): Micro {
  return sums.filter((sum) => sum.currency === currency).reduce((total, sum) => total + sum.amount, 0n);
}

const csvColumns = [
  'agreement',
  'payer',
  'payee',
  'rate',
  'period_from',
  'period_to',
  'currency',
  'events',
  'revenue',
  'cost',
  'margin',
  'share_accrued',
  'share_accrued_to_date',
  'cap',
  'cap_remaining',
  'cap_reached_at',
] as const;

/**
 * The statement as CSV (RFC 4180): a header row and one data row, CRLF line ends, empty fields for nulls, and no cell
 * a spreadsheet would run as a formula (see neutralizeCsvFormula): agreement and party ids come from the catalog.
 */
export function formatStatementCsv(statement: RevenueShareStatement): string {
  const values: Record<(typeof csvColumns)[number], string | number | null> = {
    ...statement,
    period_from: statement.period.from,
    period_to: statement.period.to,
  };
  const row = csvColumns.map((column) => quoteCsvField(neutralizeCsvFormula(values[column] === null ? '' : String(values[column]))));
  return `${csvColumns.join(',')}\r\n${row.join(',')}\r\n`;
}

// Spreadsheets run a cell starting with = + - @ (or a tab or CR) as a formula: OWASP's "CSV injection".
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?$/;

/** `value` with a `'` in front when a spreadsheet would read it as a formula; a plain number (a negative margin) stays a number. */
export function neutralizeCsvFormula(value: string): string {
  return FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
}

function quoteCsvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
