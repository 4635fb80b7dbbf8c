// What the admin API shows of tenants and keys.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiKeyRecord } from '../store/index.ts';
import { toApiKeyView, toBudgetStatusView, toTenantView } from './tenancy-views.ts';

describe('tenancy views', () => {
  it('shows a key without its hash, with the budget limit at 6 decimals', () => {
    const record: ApiKeyRecord = {
      id: 'key_0123456789abcdef01234567',
      tenant: 'acme',
      name: 'ci',
      prefix: 'sk-cw-AbCdEf',
      hash: 'f'.repeat(64),
      models: ['gpt-5.5'],
      rpm: 60,
      tpm: null,
      budget: { limit: '25.00', currency: 'USD', period: 'day' },
      expires_at: null,
      admin: false,
      metadata: { team: 'ml' },
      created_at: '2026-12-01T00:00:00.000Z',
      revoked_at: null,
    };
    const { hash: _hash, ...shown } = record;
    assert.deepEqual(toApiKeyView(record), { object: 'api_key', ...shown, budget: { limit: '25.000000', currency: 'USD', period: 'day' } });
  });

  it('shows a tenant with object "tenant" and no budget as null', () => {
    const view = toTenantView({
      id: 'acme',
      name: 'Acme',
      policy: { regions: ['eu'] },
      margin: '0.1',
      rpm: null,
      tpm: 5,
      budget: null,
      metadata: {},
      created_at: 'c',
      updated_at: 'u',
    });
    assert.deepEqual(view, {
      object: 'tenant',
      id: 'acme',
      name: 'Acme',
      policy: { regions: ['eu'] },
      margin: '0.1',
      rpm: null,
      tpm: 5,
      budget: null,
      metadata: {},
      created_at: 'c',
      updated_at: 'u',
    });
  });

  it('shows a budget with spent, reserved and remaining at 6 decimals, remaining never below zero', () => {
    const month = { label: '2026-12', from: '2026-12-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' };
    const status = {
      budget: { limit: '10', currency: 'USD', period: 'month' as const },
      limit: 10_000_000n,
      period: month,
      spent: 1_234_567n,
      reserved: 20_000n,
      source: 'counters' as const,
    };
    assert.deepEqual(toBudgetStatusView({ tenant: 'acme', key: 'key_1' }, status), {
      object: 'budget',
      tenant: 'acme',
      key: 'key_1',
      limit: '10.000000',
      currency: 'USD',
      period: 'month',
      period_start: '2026-12-01T00:00:00.000Z',
      period_end: '2027-01-01T00:00:00.000Z',
      spent: '1.234567',
      reserved: '0.020000',
      remaining: '8.745433',
      source: 'counters',
    });
    const over = toBudgetStatusView(
      { tenant: 'acme', key: null },
      { ...status, budget: { ...status.budget, period: 'total' }, period: { label: 'total' }, spent: 11_000_000n, source: 'ledger' },
    );
    assert.deepEqual([over.remaining, over.period_start, over.period_end, over.source], ['0.000000', null, null, 'ledger']);
  });

  it('shows no budget as a budget object with every field null', () => {
    const view = toBudgetStatusView({ tenant: 'acme', key: null }, null);
    assert.equal(view.object, 'budget');
    assert.equal(view.tenant, 'acme');
    assert.ok([view.limit, view.spent, view.reserved, view.remaining, view.period, view.source].every((field) => field === null));
  });
});
