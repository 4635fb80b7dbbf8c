import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LedgerEntry, Store, TransferRecord } from '../store/index.ts';
import { Ledger } from './ledger.ts';
import { makeMeteredCall, makeShareAgreement, openLedgerStore } from './test-ledger-input.ts';
import type { LedgerViolation } from './verify-ledger.ts';
import { verifyStoredLedger } from './verify-stored-ledger.ts';

const agreement = makeShareAgreement();
const codes = (violations: LedgerViolation[]) => violations.map((violation) => violation.code).sort();

/** A sound ledger of five calls (the third reaches the 0.010000 cap), plus a template entry to corrupt. */
async function openRecordedLedger(): Promise<{ store: Store; template: LedgerEntry }> {
  const store = await openLedgerStore();
  const ledger = new Ledger({ store, agreements: [agreement] });
  let last: Awaited<ReturnType<typeof ledger.record>> | undefined;
  for (let n = 1; n <= 5; n += 1) last = await ledger.record(makeMeteredCall({ id: `evt_${n}`, completed_at: `2026-11-0${n}T12:00:00.000Z` }));
  return { store, template: { event: last!.event, transfers: last!.transfers } };
}

/** `template` as another event (`id`), with its transfers renamed to match. */
function entryLike(template: LedgerEntry, id: string, change: (entry: LedgerEntry) => LedgerEntry = (entry) => entry): LedgerEntry {
  const transfers = template.transfers.map((transfer): TransferRecord => ({ ...transfer, id: transfer.id.replace(template.event.id, id), event_id: id }));
  return change({ event: { ...template.event, id }, transfers });
}

function shareTransfer(eventId: string, amount: bigint, createdAt: string): TransferRecord {
  return {
    id: `${eventId}:revenue_share:${agreement.id}`,
    event_id: eventId,
    debit: `agreement:${agreement.id}:share_expense`,
    credit: `agreement:${agreement.id}:share_payable`,
    amount,
    currency: 'USD',
    kind: 'revenue_share',
    agreement_id: agreement.id,
    created_at: createdAt,
  };
}

describe('verifyStoredLedger', () => {
  it('finds nothing wrong with what the Ledger recorded, whatever the page size', async () => {
    const { store } = await openRecordedLedger();
    for (const pageSize of [1, 2, 5, 1000]) assert.deepEqual(await verifyStoredLedger(store, [agreement], { pageSize }), []);
  });

  const cases: [string, (template: LedgerEntry) => LedgerEntry, LedgerViolation['code'][]][] = [
    [
      'an event whose charged differs from its charge transfer',
      (t) => entryLike(t, 'evt_9', (e) => ({ ...e, event: { ...e.event, charged: e.event.charged + 1n } })),
      ['amount_mismatch'],
    ],
    [
      'an event whose cost differs from its cost transfer',
      (t) => entryLike(t, 'evt_9', (e) => ({ ...e, event: { ...e.event, cost: 0n } })),
      ['amount_mismatch'],
    ],
    [
      'an event without a cost transfer',
      (t) => entryLike(t, 'evt_9', (e) => ({ ...e, transfers: e.transfers.filter((x) => x.kind !== 'cost') })),
      ['amount_mismatch'],
    ],
    ['an event without transfers', (t) => entryLike(t, 'evt_9', (e) => ({ ...e, transfers: [] })), ['event_without_transfers']],
    [
      'a transfer whose event is missing',
      (t) => entryLike(t, 'evt_9', (e) => ({ ...e, transfers: [...e.transfers, { ...e.transfers[0]!, id: 'ghost:charge', event_id: 'ghost' }] })),
      ['transfer_without_event'],
    ],
    [
      'a share beyond the cap',
      (t) => entryLike(t, 'evt_9', (e) => ({ ...e, transfers: [...e.transfers, shareTransfer('evt_9', 1n, e.event.completed_at)] })),
      ['accrual_mismatch', 'share_over_cap'],
    ],
    [
      'a share after the term',
      (t) => {
        const at = '2031-01-01T00:00:00.000Z';
        return entryLike(t, 'evt_9', (e) => ({
          event: { ...e.event, completed_at: at },
          transfers: [...e.transfers.map((x) => ({ ...x, created_at: at })), shareTransfer('evt_9', 0n, at)],
        }));
      },
      ['share_outside_term'],
    ],
  ];
  for (const [name, corrupt, expected] of cases) {
    it(`reports ${name}`, async () => {
      const { store, template } = await openRecordedLedger();
      assert.deepEqual(
        (await store.commitLedger([corrupt(template)])).map((result) => result.outcome),
        ['committed'],
      );
      // The page size makes the corrupt event (evt_9, the last id) sit on the last page.
      assert.deepEqual(codes(await verifyStoredLedger(store, [agreement], { pageSize: 2 })), expected);
    });
  }

  it('reports an accrual marked capped below its cap, and a cap reached without a date', async () => {
    const store = await openLedgerStore();
    const ledger = new Ledger({ store, agreements: [] });
    const recorded = await ledger.record(makeMeteredCall({ id: 'evt_1' }));
    const entry = (id: string, amount: bigint, cap?: bigint): LedgerEntry => ({
      event: { ...recorded.event, id },
      transfers: [
        ...recorded.transfers.map((x) => ({ ...x, id: x.id.replace('evt_1', id), event_id: id })),
        shareTransfer(id, amount, recorded.event.completed_at),
      ],
      ...(cap === undefined ? {} : { share_caps: { [agreement.id]: cap } }),
    });
    // Committed under a cap of 0.004000 (the store dates the cap), checked against the catalog's 0.010000.
    await store.commitLedger([entry('evt_2', 4_000n, 4_000n)]);
    assert.deepEqual(codes(await verifyStoredLedger(store, [agreement])), ['accrual_mismatch']);
    const other = makeShareAgreement({ cap: { amount: '0.004000', currency: 'USD' } }, 'other');
    await store.commitLedger([
      {
        ...entry('evt_3', 4_000n),
        transfers: entry('evt_3', 4_000n).transfers.map((x) =>
          x.kind === 'revenue_share'
            ? { ...x, id: 'evt_3:revenue_share:other', agreement_id: 'other', debit: 'agreement:other:share_expense', credit: 'agreement:other:share_payable' }
            : x,
        ),
      },
    ]);
    const violations = await verifyStoredLedger(store, [agreement, other]);
    assert.deepEqual(codes(violations), ['accrual_mismatch', 'accrual_mismatch']);
    assert.ok(violations.some((violation) => violation.agreement_id === 'other' && /no date/.test(violation.message)));
  });

  it('reports shares under an agreement the catalog no longer has', async () => {
    const { store } = await openRecordedLedger();
    assert.deepEqual(codes(await verifyStoredLedger(store, [])), ['unknown_agreement', 'unknown_agreement', 'unknown_agreement']);
  });
});
