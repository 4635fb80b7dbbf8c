// Verifies the ledger a store holds (`crossway ledger verify`): every invariant of verifyLedger plus the stored aggregates.
import type { Agreement } from '../catalog/index.ts';
import type { AgreementAccrualRecord, Store } from '../store/index.ts';
import { getShareCap } from './accrue-revenue-share.ts';
import type { Transfer } from './build-transfers.ts';
import { formatMoney, type Micro } from './money.ts';
import { verifyLedger, type LedgerEvent, type LedgerViolation } from './verify-ledger.ts';

export interface VerifyStoredLedgerOptions {
  /** Rows per page read from the store (default 1000). */
  pageSize?: number;
}

type LedgerReader = Pick<Store, 'listUsageEvents' | 'listTransfers' | 'listAccountBalances' | 'listAgreementAccruals'>;

interface EventAmounts {
  currency: string;
  cost: Micro;
  charged: Micro;
}

/**
 * Lists every violated invariant of the stored ledger (empty = sound): the checks of verifyLedger (balances equal the
 * sums of their transfers, debits equal credits, every event has transfers and every transfer an event, shares within
 * cap and term), plus `amount_mismatch` (an event's cost or charged differs from its cost or charge transfer) and
 * `accrual_mismatch` (a stored agreement accrual differs from its share transfers, or its cap_reached_at disagrees
 * with the cap). Events and transfers are read page by page but held in memory while checking: memory grows with the
 * ledger (tens of bytes per row).
 */
export async function verifyStoredLedger(
  store: LedgerReader,
  agreements: readonly Pick<Agreement, 'id' | 'revenue_share'>[],
  options: VerifyStoredLedgerOptions = {},
): Promise<LedgerViolation[]> {
  const limit = options.pageSize ?? 1000;
  const events: LedgerEvent[] = [];
  const amounts = new Map<string, EventAmounts>();
  for await (const event of readPages(limit, (page) => store.listUsageEvents(page))) {
    events.push({ id: event.id, timestamp: event.completed_at });
    amounts.set(event.id, { currency: event.currency, cost: event.cost, charged: event.charged });
  }
  const transfers: Transfer[] = [];
  for await (const record of readPages(limit, (page) => store.listTransfers(page))) {
    const { created_at: _createdAt, agreement_id, ...transfer } = record;
    transfers.push(agreement_id === null ? transfer : { ...transfer, agreement_id });
  }
  const [balances, accruals] = await Promise.all([store.listAccountBalances(), store.listAgreementAccruals()]);

  const violations = verifyLedger(events, transfers, balances, agreements);
  violations.push(...verifyEventAmounts(amounts, transfers));
  violations.push(...verifyAccruals(accruals, transfers, agreements));
  return violations;
}

/** Every row, page after page in id order, until a page comes back short. */
async function* readPages<T extends { id: string }>(limit: number, readPage: (options: { limit: number; after?: string }) => Promise<T[]>): AsyncGenerator<T> {
  let after: string | undefined;
  for (;;) {
    const page = await readPage(after === undefined ? { limit } : { limit, after });
    yield* page;
    const last = page.at(-1);
    if (last === undefined || page.length < limit) return;
    after = last.id;
  }
}

function verifyEventAmounts(amounts: Map<string, EventAmounts>, transfers: readonly Transfer[]): LedgerViolation[] {
  const lines = new Map<string, { charge?: Transfer; cost?: Transfer }>();
  for (const transfer of transfers) {
    if (transfer.kind === 'revenue_share') continue;
    const entry = lines.get(transfer.event_id) ?? {};
    entry[transfer.kind] = transfer;
    lines.set(transfer.event_id, entry);
  }
  const violations: LedgerViolation[] = [];
  for (const [eventId, event] of amounts) {
    const entry = lines.get(eventId);
    // An event without any transfer is already event_without_transfers.
    if (entry === undefined) continue;
    for (const [kind, expected] of [
      ['charge', event.charged],
      ['cost', event.cost],
    ] as const) {
      const transfer = entry[kind];
      if (transfer === undefined || transfer.amount !== expected || transfer.currency !== event.currency) {
        const found = transfer === undefined ? 'no such transfer' : `${formatMoney(transfer.amount)} ${transfer.currency}`;
        violations.push({
          code: 'amount_mismatch',
          message:
            `event ${eventId} records ${kind === 'charge' ? 'charged' : 'cost'} ${formatMoney(expected)} ${event.currency}, ` +
            `its ${kind} transfer: ${found}`,
          event_id: eventId,
          ...(transfer === undefined ? {} : { transfer_id: transfer.id }),
        });
      }
    }
  }
  return violations;
}

function verifyAccruals(
  accruals: readonly AgreementAccrualRecord[],
  transfers: readonly Transfer[],
  agreements: readonly Pick<Agreement, 'id' | 'revenue_share'>[],
): LedgerViolation[] {
  const key = (agreementId: string, currency: string) => `${agreementId}\u0000${currency}`;
  const sums = new Map<string, Micro>();
  for (const transfer of transfers) {
    if (transfer.kind !== 'revenue_share' || transfer.agreement_id === undefined) continue;
    const at = key(transfer.agreement_id, transfer.currency);
    sums.set(at, (sums.get(at) ?? 0n) + transfer.amount);
  }
  const violations: LedgerViolation[] = [];
  const stored = new Set<string>();
  for (const accrual of accruals) {
    const at = key(accrual.agreement_id, accrual.currency);
    stored.add(at);
    const name = `${accrual.agreement_id} (${accrual.currency})`;
    const sum = sums.get(at) ?? 0n;
    if (accrual.accrued !== sum) {
      violations.push({
        code: 'accrual_mismatch',
        message: `${name} has accrued ${formatMoney(accrual.accrued)}, its share transfers sum to ${formatMoney(sum)}`,
        agreement_id: accrual.agreement_id,
      });
    }
    const share = agreements.find((agreement) => agreement.id === accrual.agreement_id)?.revenue_share;
    const cap = share?.cap?.currency === accrual.currency ? getShareCap(share, accrual.currency) : undefined;
    if (cap === undefined || cap === 0n) continue;
    if (accrual.cap_reached_at !== null && accrual.accrued !== cap) {
      violations.push({
        code: 'accrual_mismatch',
        message: `${name} marks its cap reached at ${accrual.cap_reached_at} with ${formatMoney(accrual.accrued)} of ${formatMoney(cap)} accrued`,
        agreement_id: accrual.agreement_id,
      });
    }
    if (accrual.cap_reached_at === null && accrual.accrued === cap) {
      violations.push({
        code: 'accrual_mismatch',
        message: `${name} accrued its whole cap of ${formatMoney(cap)} but records no date it was reached`,
        agreement_id: accrual.agreement_id,
      });
    }
  }
  for (const [at, sum] of sums) {
    if (stored.has(at) || sum === 0n) continue;
    const [agreementId = '', currency = ''] = at.split('\u0000');
    violations.push({
      code: 'accrual_mismatch',
      message: `${agreementId} (${currency}) has share transfers of ${formatMoney(sum)} but no stored accrual`,
      agreement_id: agreementId,
    });
  }
  return violations;
}
