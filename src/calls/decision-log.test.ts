import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { openSqliteStore, type DecisionRecord, type DecisionRow, type Store } from '../store/index.ts';
import { modelSchema, routeSchema } from '../catalog/index.ts';
import { PlanCache, type PlanInput } from '../policy/index.ts';
import { createDecisionId, DecisionLog } from './decision-log.ts';
import { toPlannedDecision } from './to-decision-record.ts';

type DecisionStore = Pick<Store, 'insertDecisions' | 'getDecision' | 'pruneDecisions'>;

/** An in-memory decision store that counts calls and fails on demand. */
class FakeDecisionStore implements DecisionStore {
  readonly rows = new Map<string, DecisionRow>();
  readonly pruneCutoffs: string[] = [];
  failPrune = false;
  async insertDecisions(rows: readonly DecisionRow[]): Promise<void> {
    await sleep(1);
    for (const row of rows) this.rows.set(row.record.id, row);
  }
  async getDecision(id: string): Promise<DecisionRecord | null> {
    return this.rows.get(id)?.record ?? null;
  }
  async pruneDecisions(olderThan: string): Promise<number> {
    this.pruneCutoffs.push(olderThan);
    if (this.failPrune) throw new Error('database is locked');
    let count = 0;
    for (const [id, row] of this.rows) {
      if (row.created_at < olderThan) count += Number(this.rows.delete(id));
    }
    return count;
  }
}

const decision = (id: string): DecisionRecord => ({
  id,
  model: 'gpt-5.5',
  at: '2026-05-15T12:00:00.000Z',
  constraints: {},
  kept: [{ route: 'azure-eastus2-gpt-5.5', provider: 'azure', region: 'eastus2', rank: 1, basis: 'catalog order' }],
  rejected: [],
  attempts: [{ route: 'azure-eastus2-gpt-5.5', status: 200, latency_ms: 42, error: null }],
});

const quietLogger = () => {
  const errors: string[] = [];
  return { errors, logger: { warn: () => {}, error: (_fields: object, message: string) => errors.push(message) } };
};

describe('DecisionLog', () => {
  it('reads a decision back before it is flushed, and from the store after', async () => {
    const store = new FakeDecisionStore();
    const log = new DecisionLog(store, { flushIntervalMs: 60_000 });
    const record = decision(createDecisionId());
    log.record(record);
    assert.equal(store.rows.size, 0);
    assert.deepEqual(await log.get(record.id), record);
    await log.flush();
    assert.equal(store.rows.get(record.id)?.record, record);
    assert.deepEqual(await log.get(record.id), record);
    assert.equal(await log.get('dec_unknown'), null);
    await log.close();
  });

  it('stamps each decision with the time it was recorded', async () => {
    const store = new FakeDecisionStore();
    const log = new DecisionLog(store, { now: () => new Date('2026-05-15T12:34:56.789Z') });
    log.record(decision('dec_a'));
    await log.close();
    assert.equal(store.rows.get('dec_a')?.created_at, '2026-05-15T12:34:56.789Z');
  });

  it('prunes at start and on its timer, with the retention as cutoff, and stops when closed', async () => {
    const store = new FakeDecisionStore();
    const log = new DecisionLog(store, { retentionHours: 2, pruneIntervalMs: 5, now: () => new Date('2026-05-15T12:00:00.000Z') });
    assert.deepEqual(store.pruneCutoffs, ['2026-05-15T10:00:00.000Z']);
    while (store.pruneCutoffs.length < 3) await sleep(2);
    await log.close();
    const calls = store.pruneCutoffs.length;
    await sleep(20);
    assert.equal(store.pruneCutoffs.length, calls);
    assert.ok(store.pruneCutoffs.every((cutoff) => cutoff === '2026-05-15T10:00:00.000Z'));
  });

  it('logs a failed background prune and keeps going', async () => {
    const store = new FakeDecisionStore();
    store.failPrune = true;
    const { errors, logger } = quietLogger();
    const log = new DecisionLog(store, { pruneIntervalMs: 5, logger });
    while (errors.length < 2) await sleep(2);
    assert.match(errors[0] ?? '', /prune failed/);
    store.failPrune = false;
    await log.close();
  });

  it('forgets decisions older than the retention in a real SQLite store', async () => {
    const store = await openSqliteStore(':memory:');
    await store.migrate();
    let now = new Date('2026-05-15T12:00:00.000Z');
    const log = new DecisionLog(store, { retentionHours: 24, now: () => now });
    log.record(decision('dec_old'));
    await log.flush();
    now = new Date('2026-05-16T06:00:00.000Z');
    log.record(decision('dec_new'));
    await log.flush();
    assert.equal(await log.prune(), 0);
    now = new Date('2026-05-16T12:00:00.001Z');
    assert.equal(await log.prune(), 1);
    assert.equal(await log.get('dec_old'), null);
    assert.equal((await log.get('dec_new'))?.id, 'dec_new');
    await log.close();
    await store.close();
  });

  it('does not keep the process alive', () => {
    const logModule = fileURLToPath(new URL('./decision-log.ts', import.meta.url));
    const script = `
      const { DecisionLog } = await import(${JSON.stringify(logModule)});
      const store = { insertDecisions: async () => {}, getDecision: async () => null, pruneDecisions: async () => 0 };
      const log = new DecisionLog(store, { flushIntervalMs: 60000, pruneIntervalMs: 60000 });
      log.record({ id: 'dec_x' });
    `;
    const started = Date.now();
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 });
    assert.ok(Date.now() - started < 10_000);
  });
});

describe('DecisionLog with plans', () => {
  const route = (id: string, region: string) =>
    routeSchema.parse({ id, model: 'gpt-5.5', provider: 'azure', endpoint: 'https://example.invalid', region, auth: { type: 'none' } });
  const input: PlanInput = {
    model: modelSchema.parse({ id: 'gpt-5.5', owned_by: 'openai', released: '2026-05-01' }),
    routes: [route('azure-eastus2-gpt-5.5', 'eastus2'), route('azure-swedencentral-gpt-5.5', 'swedencentral')],
    needs: { capabilities: [], inputTokens: 100, maxOutputTokens: null, parameters: [] },
    constraints: { regions: ['us'] },
    agreements: [],
    health: { epoch: 0, state: () => 'closed', latencyMs: () => null },
    now: new Date('2026-05-15T12:00:00.000Z'),
  };

  it('stores the plan of two decisions of one cached plan once, and reads each back as it was recorded', async (context) => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'crossway-decision-log-'));
    context.after(() => fs.rmSync(directory, { recursive: true, force: true }));
    const file = path.join(directory, 'store.db');
    const store = await openSqliteStore(file);
    await store.migrate();
    let now = new Date('2026-05-15T12:00:00.000Z');
    const log = new DecisionLog(store, { flushIntervalMs: 60_000, now: () => now });
    const cache = new PlanCache();
    const attempt = { route: 'azure-eastus2-gpt-5.5', status: 200, code: 'ok', message: 'ok', latencyMs: 12 };
    const [first, firstPlan] = toPlannedDecision(createDecisionId(), cache.planCached(input, 'v1'), [attempt], 'acme');
    const [second, secondPlan] = toPlannedDecision(createDecisionId(), cache.planCached(input, 'v1'), [], null);
    log.record(first, firstPlan);
    log.record(second, secondPlan);
    assert.deepEqual(await log.get(second.id), second);
    await log.flush();

    const count = (table: string) => {
      const raw = new DatabaseSync(file, { readOnly: true });
      const found = Number(raw.prepare(`select count(*) as count from ${table}`).get()?.count);
      raw.close();
      return found;
    };
    assert.equal(count('request_decisions'), 2);
    assert.equal(count('decision_plans'), 1);
    assert.deepEqual(await log.get(first.id), first);
    assert.deepEqual(await log.get(second.id), second);
    assert.equal(JSON.stringify(await store.getDecision(first.id)), JSON.stringify(first));

    now = new Date('2026-05-16T13:00:00.000Z');
    assert.equal(await log.prune(), 2);
    assert.equal(count('decision_plans'), 0);
    await log.close();
    await store.close();
  });
});

describe('DecisionLog with shared decisions', () => {
  /** Shared decisions in one map, as two replicas' logs see them through the cluster. */
  function sharedMap() {
    const records = new Map<string, DecisionRecord>();
    return {
      records,
      shared: {
        put: (record: DecisionRecord) => void records.set(record.id, record),
        get: async (id: string) => records.get(id) ?? null,
      },
    };
  }

  it("reads a decision queued on another replica before that replica's batch commits", async () => {
    const { shared } = sharedMap();
    const first = new DecisionLog(new FakeDecisionStore(), { flushIntervalMs: 60_000, shared });
    const second = new DecisionLog(new FakeDecisionStore(), { flushIntervalMs: 60_000, shared });
    const record = decision(createDecisionId());
    first.record(record);
    assert.deepEqual(await second.get(record.id), record);
    assert.equal(await second.get(createDecisionId()), null);
    await Promise.all([first.close(), second.close()]);
  });

  it('reads the store when the shared decisions cannot be reached', async () => {
    const store = new FakeDecisionStore();
    const unreachable = { put: () => {}, get: () => Promise.reject(new Error('connection refused')) };
    const log = new DecisionLog(store, { flushIntervalMs: 60_000, shared: unreachable });
    const record = decision(createDecisionId());
    log.record(record);
    await log.flush();
    assert.deepEqual(await log.get(record.id), record);
    await log.close();
  });
});
