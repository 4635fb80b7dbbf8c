import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCatalogText } from '../catalog/index.ts';
import type { Executor } from '../execute/index.ts';
import type { Ledger } from '../metering/index.ts';
import { PlanCache } from '../policy/index.ts';
import { findRestartSettings, replaceCatalog } from './replace-catalog.ts';

const catalogOf = (extra = '', routeId = 'r1', key = 'sk-one') =>
  loadCatalogText(
    `server: { master_key: ${key}, port: 4000 }
models: [{ id: m, owned_by: t }]
routes: [{ id: ${routeId}, model: m, provider: openai, endpoint: "http://127.0.0.1:9/v1", auth: { type: none } }]
${extra}`,
    'test',
    { env: {} },
  );

describe('findRestartSettings', () => {
  it('names changed settings read only at start, and not routes, models, agreements or policy', () => {
    assert.deepEqual(findRestartSettings(catalogOf(), catalogOf('policy: { regions: [eu] }', 'r2')), []);
    assert.deepEqual(findRestartSettings(catalogOf(), catalogOf('store: { sqlite: other.db }\nexecute: { max_attempts: 5 }')), [
      'store.sqlite',
      'execute.max_attempts',
    ]);
  });
  it('compares secrets by value without showing them', () => {
    const changed = findRestartSettings(catalogOf(), catalogOf('', 'r1', 'sk-two'));
    assert.deepEqual(changed, ['server.master_key']);
    assert.deepEqual(findRestartSettings(catalogOf('redis: { url: "redis://a:1" }'), catalogOf('redis: { url: "redis://b:1" }')), ['redis.url']);
  });
});

describe('replaceCatalog', () => {
  it('swaps the catalog, hands the routes to the executor and the agreements to the ledger, and empties the plan cache', () => {
    const calls: string[] = [];
    const planCache = new PlanCache();
    planCache.set('key', { model: 'm', at: '', constraints: {}, kept: [], rejected: [] });
    const holder = {
      catalog: catalogOf(),
      executor: { replaceRoutes: (routes: { id: string }[]) => calls.push(`routes ${routes.map((route) => route.id)}`) } as unknown as Executor,
      ledger: { replaceAgreements: (agreements: unknown[]) => calls.push(`agreements ${agreements.length}`) } as unknown as Ledger,
      planCache,
    };
    const before = holder.catalog;
    const next = catalogOf('', 'r2');
    const outcome = replaceCatalog(holder, next);
    assert.equal(holder.catalog, next);
    assert.deepEqual(calls, ['routes r2', 'agreements 0']);
    assert.equal(planCache.size, 0);
    assert.equal(outcome.previousVersion, before.version);
    assert.equal(outcome.version, next.version);
    assert.notEqual(outcome.version, outcome.previousVersion);
  });
});
