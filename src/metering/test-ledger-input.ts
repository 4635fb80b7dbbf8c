// Test inputs for the ledger's tests: a migrated in-memory store, metered calls and a revenue-share agreement.
import type { Agreement } from '../catalog/index.ts';
import { openSqliteStore, type Store } from '../store/index.ts';
import type { MeteredCall } from './ledger.ts';
import type { Price } from './price-usage.ts';

/** A fresh, migrated SQLite store in memory: the real store, as the gateway runs it. */
export async function openLedgerStore(): Promise<Store> {
  const store = await openSqliteStore(':memory:');
  await store.migrate();
  return store;
}

/** $5 / $0.50 / $30 per 1M tokens: 1000 input + 500 output tokens cost exactly 0.020000. */
export const testPrice: Price = { input: 5, cached_input: 0.5, output: 30, currency: 'USD' };

/** A call of 1000 input and 500 output tokens on an OpenAI route at testPrice, completed 2026-11-23T12:00:00Z. */
export function makeMeteredCall(overrides: Partial<MeteredCall> = {}): MeteredCall {
  return {
    id: 'evt_1',
    request_id: 'req_1',
    tenant: 'acme',
    key_id: 'key_ci',
    endpoint: 'chat.completions',
    model: 'gpt-5.5',
    route: { id: 'openai-gpt-5.5', provider: 'openai', region: 'global', price: testPrice },
    usage: { input_tokens: 1000, cached_tokens: 0, output_tokens: 500, reasoning_tokens: 0 },
    estimated: false,
    latency_ms: 420,
    status: 200,
    started_at: '2026-11-23T11:59:59.580Z',
    completed_at: '2026-11-23T12:00:00.000Z',
    margin: null,
    ...overrides,
  };
}

/** Shaped like examples/microsoft-openai-2026.yaml (20 %, non-Azure traffic, through 2030-12-31), with a cap tests can reach. */
export function makeShareAgreement(overrides: Partial<NonNullable<Agreement['revenue_share']>> = {}, id = 'msft-openai'): Agreement {
  return {
    id,
    licensor: 'openai',
    revenue_share: {
      payer: 'openai',
      payee: 'microsoft',
      rate: 0.2,
      scope: ['openai', 'bedrock', 'vertex'],
      from: '2026-04-01',
      until: '2030-12-31',
      cap: { amount: '0.010000', currency: 'USD' },
      ...overrides,
    },
  };
}
