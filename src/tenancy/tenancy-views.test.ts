// What the admin API shows of tenants and keys.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiKeyRecord } from '../store/index.ts';
import { toApiKeyView, toTenantView } from './tenancy-views.ts';

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
});
