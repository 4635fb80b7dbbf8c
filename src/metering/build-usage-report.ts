// Builds the usage report of GET /admin/usage: requests, tokens and money per group, with decimal-string amounts.
import type { Store, UsageGroupBy, UsageTotalsRecord } from '../store/index.ts';
import { InvalidRequestError } from '../wire/index.ts';
import { formatMoney } from './money.ts';
import { normalizeQueryInstant } from './normalize-query-instant.ts';

export interface UsageReportQuery {
  tenant?: string;
  key_id?: string;
  /** Inclusive start: an ISO 8601 instant or a date (its 00:00:00Z). */
  from?: string;
  /** Exclusive end: an ISO 8601 instant or a date (its 00:00:00Z: `to=2026-12-01` ends with November). */
  to?: string;
  group_by?: UsageGroupBy;
}

/** Sums of one group in one currency; `total` and `totals` entries have the same fields without `group`. */
export interface UsageReportTotals {
  requests: number;
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
  /** What the clouds are owed, as a decimal string (`"0.001234"`). */
  cost: string;
  /** What the tenants are charged, as a decimal string. */
  charged: string;
  currency: string;
}

export interface UsageReportRow extends UsageReportTotals {
  /** The group's value (model, route, provider, key id (`master` for the master key), day `YYYY-MM-DD`, tenant); null when not grouped. */
  group: string | null;
}

export interface UsageReport {
  data: UsageReportRow[];
  /**
   * The sums over every row in one currency: the only one; when several, USD (the price books' default currency) if
   * present, else the first in code-unit order; USD with zeros when there is no usage.
   */
  total: UsageReportTotals;
  /** Present only when the rows hold several currencies: one total per currency (amounts of different currencies never add up). */
  totals?: UsageReportTotals[];
}

const DEFAULT_CURRENCY = 'USD';

/**
 * The usage report: one row per (group, currency), sorted by group then currency (code-unit order), and the total.
 * Without `group_by` there is one row per currency with `group: null`. With no usage at all, `data` is empty and
 * `total` is zero in USD. Time bounds compare the events' completion time.
 */
export async function buildUsageReport(store: Pick<Store, 'sumUsage'>, query: UsageReportQuery = {}): Promise<UsageReport> {
  const from = query.from === undefined ? undefined : normalizeQueryInstant(query.from, 'from');
  const to = query.to === undefined ? undefined : normalizeQueryInstant(query.to, 'to');
  if (from !== undefined && to !== undefined && from > to) throw new InvalidRequestError('from must not be after to', 'from');
  const filter = {
    ...(query.tenant === undefined ? {} : { tenant: query.tenant }),
    ...(query.key_id === undefined ? {} : { key_id: query.key_id }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
  };
  const rows = await store.sumUsage(filter, query.group_by);
  rows.sort((a, b) => compareText(a.group ?? '', b.group ?? '') || compareText(a.currency, b.currency));

  const sums = new Map<string, Omit<UsageTotalsRecord, 'group'>>();
  for (const row of rows) {
    const sum = sums.get(row.currency) ?? {
      currency: row.currency,
      requests: 0,
      input_tokens: 0,
      cached_tokens: 0,
      output_tokens: 0,
      reasoning_tokens: 0,
      cost: 0n,
      charged: 0n,
    };
    sum.requests += row.requests;
    sum.input_tokens += row.input_tokens;
    sum.cached_tokens += row.cached_tokens;
    sum.output_tokens += row.output_tokens;
    sum.cost += row.cost;
    sum.charged += row.charged;
    sums.set(row.currency, sum);
  }
  const totals = [...sums.values()].sort((a, b) => compareText(a.currency, b.currency)).map(toTotals);
  const report: UsageReport = {
    data: rows.map((row) => ({ group: row.group, ...toTotals(row) })),
    total: totals.find((total) => total.currency === DEFAULT_CURRENCY) ??
      totals[0] ?? {
        requests: 0,
        input_tokens: 0,
        cached_tokens: 0,
        output_tokens: 0,
        cost: formatMoney(0n),
        charged: formatMoney(0n),
        currency: DEFAULT_CURRENCY,
      },
  };
  if (totals.length > 1) report.totals = totals;
  return report;
}

function toTotals(row: Omit<UsageTotalsRecord, 'group'>): UsageReportTotals {
  return {
    requests: row.requests,
    input_tokens: row.input_tokens,
    cached_tokens: row.cached_tokens,
    output_tokens: row.output_tokens,
    cost: formatMoney(row.cost),
    charged: formatMoney(row.charged),
    currency: row.currency,
  };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
