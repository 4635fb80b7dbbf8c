import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCatalogText } from '../catalog/index.ts';
import { checkWorkersAllowed, MAX_WORKERS, parseWorkers } from './parse-workers.ts';
import { UsageError } from './usage-error.ts';

const BASE = `
server: { master_key: sk-test }
models: [{ id: m, owned_by: t }]
routes: [{ id: r, model: m, provider: openai, endpoint: "http://127.0.0.1:9/v1", auth: { type: none } }]
`;
const configOf = (extra: string) => loadCatalogText(BASE + extra, 'test', { env: {} }).config;

describe('parseWorkers', () => {
  it('reads a count, or auto as the available cores within the bound', () => {
    assert.equal(parseWorkers(undefined), undefined);
    assert.equal(parseWorkers('3'), 3);
    assert.equal(parseWorkers('auto', 6), 6);
    assert.equal(parseWorkers('auto', 0), 1);
    assert.equal(parseWorkers('auto', 10_000), MAX_WORKERS);
  });
  it('refuses anything else with a usage error', () => {
    for (const value of ['0', '-1', '1.5', '1e3', 'many', '', String(MAX_WORKERS + 1), 'x'.repeat(10_000)]) {
      assert.throws(
        () => parseWorkers(value),
        (error: Error) => error instanceof UsageError && error.message.length < 200,
        value.slice(0, 20),
      );
    }
  });
});

describe('checkWorkersAllowed', () => {
  it('allows one worker anywhere, and several on PostgreSQL with Redis', () => {
    checkWorkersAllowed(configOf(''), 1);
    checkWorkersAllowed(configOf('store: { postgres: "postgres://u:pw@db/x" }\nredis: { url: "redis://r:6379" }'), 8);
  });
  it('refuses several on SQLite and on PostgreSQL without Redis, naming the reason and no URL', () => {
    assert.throws(() => checkWorkersAllowed(configOf(''), 2), /needs PostgreSQL and Redis.*one writer process/s);
    assert.throws(
      () => checkWorkersAllowed(configOf('store: { postgres: "postgres://u:pw@db/x" }'), 2),
      (error: Error) => /needs Redis too/.test(error.message) && !error.message.includes('pw@'),
    );
  });
});
