// Turns one priced usage event into its double-entry transfers under Crossway's chart of accounts.
import type { Agreement } from '../catalog/index.ts';
import { accrueRevenueShare, type ShareAccrual } from './accrue-revenue-share.ts';
import { MeteringError } from './metering-error.ts';
import { multiplyByRatio, parseRatio, type Micro } from './money.ts';
import { priceUsage, type Price, type TokenUsage } from './price-usage.ts';

/** One call's usage, as metering needs it (the store adds key, route, latency, status...). */
export interface UsageEvent {
  id: string;
  tenant: string;
  provider: string;
  model: string;
  /** ISO 8601 instant of the call's completion. */
  timestamp: string;
  usage: TokenUsage;
}

/** What a transfer records. */
export type TransferKind = 'charge' | 'cost' | 'revenue_share';

/**
 * One immutable ledger line: `amount` moves from `credit` to `debit`. Ids are `<event id>:<kind>` (and
 * `:<agreement id>` for shares), so replaying an event yields the same ids.
 */
export interface Transfer {
  id: string;
  event_id: string;
  debit: string;
  credit: string;
  amount: Micro;
  currency: string;
  kind: TransferKind;
  /** The agreement a `revenue_share` transfer accrues under. */
  agreement_id?: string;
}

/**
 * The chart of accounts (balance = debits − credits):
 * - `tenant:<id>:receivable` (asset) debited with what the tenant is charged, against `revenue` (income);
 * - `cost_of_revenue` (expense) debited with what the cloud is owed, against `provider:<provider>:payable` (liability);
 * - `agreement:<id>:share_expense` (expense) debited with the revenue share, against `agreement:<id>:share_payable`
 *   (liability to the agreement's payee).
 */
export const accounts = {
  tenantReceivable: (tenant: string) => `tenant:${tenant}:receivable`,
  providerPayable: (provider: string) => `provider:${provider}:payable`,
  revenue: 'revenue',
  costOfRevenue: 'cost_of_revenue',
  shareExpense: (agreement: string) => `agreement:${agreement}:share_expense`,
  sharePayable: (agreement: string) => `agreement:${agreement}:share_payable`,
} as const;

/** An agreement with the share it has accrued so far, in the event's currency. */
export interface AgreementAccrual {
  agreement: Pick<Agreement, 'id' | 'models' | 'revenue_share'>;
  accrued: Micro;
}

export interface BuildTransfersInput {
  event: UsageEvent;
  /** The route's price book. */
  price: Price;
  /** The tenant's margin over cost as a non-negative decimal string (`"0.25"` = +25%); default `"0"`. */
  margin?: string;
  /** Agreements whose revenue share may apply, each with its cumulative accrual before this event. */
  agreements?: readonly AgreementAccrual[];
}

export interface BuiltTransfers {
  cost: Micro;
  charged: Micro;
  currency: string;
  /** The share accrued per agreement id (including zero amounts, with their reason). */
  shares: Record<string, ShareAccrual>;
  transfers: Transfer[];
}

/**
 * Prices `event` and builds its transfers: always a `charge` and a `cost` transfer (possibly of zero, so that every
 * event has transfers), plus one `revenue_share` transfer per agreement whose accrual is positive.
 * Charged = cost × (1 + margin), rounded half up to the micro-unit; the share base is the charged amount.
 */
export function buildTransfers(input: BuildTransfersInput): BuiltTransfers {
  const { event, price } = input;
  const currency = price.currency;
  const cost = priceUsage(event.usage, price);
  const margin = parseRatio(input.margin ?? '0');
  const charged = multiplyByRatio(cost, { numerator: margin.denominator + margin.numerator, denominator: margin.denominator });
  const transfers: Transfer[] = [
    line(event.id, 'charge', accounts.tenantReceivable(event.tenant), accounts.revenue, charged, currency),
    line(event.id, 'cost', accounts.costOfRevenue, accounts.providerPayable(event.provider), cost, currency),
  ];
  const shares: Record<string, ShareAccrual> = {};
  for (const { agreement, accrued } of input.agreements ?? []) {
    if (Object.hasOwn(shares, agreement.id)) throw new MeteringError(`agreement ${agreement.id} given twice`, 'duplicate_agreement');
    const accrual = accrueRevenueShare(
      agreement,
      { provider: event.provider, model: event.model, timestamp: event.timestamp, revenue: charged, currency },
      accrued,
    );
    shares[agreement.id] = accrual;
    if (accrual.amount > 0n) {
      transfers.push({
        ...line(event.id, 'revenue_share', accounts.shareExpense(agreement.id), accounts.sharePayable(agreement.id), accrual.amount, currency),
        id: `${event.id}:revenue_share:${agreement.id}`,
        agreement_id: agreement.id,
      });
    }
  }
  return { cost, charged, currency, shares, transfers };
}

function line(eventId: string, kind: TransferKind, debit: string, credit: string, amount: Micro, currency: string): Transfer {
  return { id: `${eventId}:${kind}`, event_id: eventId, debit, credit, amount, currency, kind };
}
