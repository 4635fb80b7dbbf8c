// Budgets as they stand on the Tenants & keys page: each shown budget's spend and the reservations of calls in flight,
// read from GET /admin/{tenants,keys}/{id}/budget for the rows on screen, and drawn as a bar of spent, reserved and left.
import { useEffect } from 'preact/hooks';
import { api } from './api.ts';
import type { Budget, BudgetStatus } from './admin-types.ts';
import { formatMoney } from './format.ts';
import { type Polled, usePoll } from './use-poll.ts';

/** How often budgets are read again: reservations come and go with calls, so as often as the live pages refresh. */
const REFRESH_MS = 5000;
/** Most budgets read per refresh (the first rows shown), and how many reads are in flight at once. */
const MAX_READS = 100;
const PARALLEL_READS = 6;

/** Whose budget a row shows. */
export interface BudgetOwner {
  kind: 'tenant' | 'key';
  id: string;
}

/** The map key of an owner's budget. */
export function budgetKey(owner: BudgetOwner): string {
  return `${owner.kind}:${owner.id}`;
}

/** Reads the budgets of `owners`, a few at a time; one that fails to load (a key revoked meanwhile) is left out. */
async function loadBudgets(owners: readonly BudgetOwner[]): Promise<Map<string, BudgetStatus>> {
  const read = new Map<string, BudgetStatus>();
  for (let start = 0; start < owners.length; start += PARALLEL_READS) {
    const batch = owners.slice(start, start + PARALLEL_READS);
    const answers = await Promise.allSettled(
      batch.map((owner) => api<BudgetStatus>('GET', `/admin/${owner.kind === 'key' ? 'keys' : 'tenants'}/${encodeURIComponent(owner.id)}/budget`)),
    );
    answers.forEach((answer, index) => {
      if (answer.status === 'fulfilled') read.set(budgetKey(batch[index]!), answer.value);
    });
  }
  return read;
}

/** The budgets of the rows shown (those with a budget), read now, whenever the rows change, and every few seconds. */
export function useBudgets(owners: readonly BudgetOwner[]): Polled<Map<string, BudgetStatus>> {
  const shown = owners.slice(0, MAX_READS);
  const wanted = shown.map(budgetKey).join(',');
  const polled = usePoll(() => loadBudgets(shown), 'budgets', REFRESH_MS);
  const { refresh } = polled;
  useEffect(() => {
    if (wanted !== '') refresh();
  }, [wanted, refresh]);
  return polled;
}

function per(period: Budget['period']): string {
  return period === 'total' ? 'in total' : `/ ${period}`;
}

/** Spent, then reserved, then what is left, as one bar (SVG: the Content-Security-Policy allows no inline style). */
function BudgetBar(props: { status: BudgetStatus; currency: string }) {
  const limit = Number(props.status.limit);
  const share = (amount: string | null) => (limit > 0 ? Math.min(100, (Number(amount ?? 0) / limit) * 100) : 100);
  const spent = share(props.status.spent);
  const reserved = Math.min(100 - spent, share(props.status.reserved));
  const label =
    `Spent ${Math.round(spent)} %, reserved by calls in flight ${Math.round(reserved)} %, ` + `left ${formatMoney(props.status.remaining, props.currency)}`;
  const tone = spent + reserved >= 90 ? 'budget-bar-bad' : spent + reserved >= 70 ? 'budget-bar-warn' : '';
  return (
    <svg class={`budget-bar ${tone}`} viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label={label}>
      <rect class="budget-track" width="100" height="6" />
      <rect class="budget-spent" width={spent} height="6" />
      <rect class="budget-reserved" x={spent} width={reserved} height="6" />
    </svg>
  );
}

/** A budget cell: limit and period, and once read, spent, reserved by calls in flight and what is left, with a bar. */
export function BudgetCell(props: { budget: Budget | null; status?: BudgetStatus | undefined }) {
  const { budget, status } = props;
  if (budget === null) return <span class="muted">none</span>;
  if (status === undefined || status.limit === null) {
    return (
      <div class="budget">
        <span>
          {formatMoney(budget.limit, budget.currency)} {per(budget.period)}
        </span>
      </div>
    );
  }
  const currency = status.currency ?? budget.currency;
  return (
    <div class="budget" data-budget-spent={status.spent} data-budget-reserved={status.reserved}>
      <span>
        {formatMoney(status.spent, currency)} of {formatMoney(status.limit, currency)} {per(status.period ?? budget.period)}
      </span>
      <BudgetBar status={status} currency={currency} />
      <span class="budget-detail">
        reserved {formatMoney(status.reserved, currency)} · left {formatMoney(status.remaining, currency)}
      </span>
    </div>
  );
}
