// The contract every Store backend passes: each backend's test calls runStoreTests with a way to open a fresh, empty store.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { DecisionRecord } from './decision-record.ts';
import { runAgentStoreTests } from './agent-store.case.test.ts';
import { runLedgerStoreTests } from './ledger-store.case.test.ts';
import { runRuntimeStoreTests } from './runtime-store.case.test.ts';
import type { RequestLogRow, Store } from './store.ts';
import { storeMigrations } from './store-migrations.ts';
import { STORED_TEXT_MAX_CHARS } from './bound-stored-text.ts';
import { runMcpServerStoreTests } from './mcp-server-store.case.test.ts';
import { runAuthStoreTests } from './auth-store.case.test.ts';
import { runRequestLogStoreTests } from './request-log-store.case.test.ts';
import { runTenancyStoreTests } from './tenancy-store.case.test.ts';

export interface StoreTestOptions {
  name: string;
  /** Opens a store on an empty database that nothing else uses; the suite migrates and closes it. */
  open: () => Promise<Store>;
}

/** Builds a request log row with defaults for whatever the test does not care about. */
export function makeRequestLogRow(overrides: Partial<RequestLogRow> & Pick<RequestLogRow, 'id'>): RequestLogRow {
  return {
    created_at: '2025-06-01T12:00:00.000Z',
    endpoint: 'chat.completions',
    model: 'gpt-4.1',
    route: 'azure-eastus',
    attempts: 1,
    status: 200,
    error_code: null,
    stream: false,
    prompt_tokens: 10,
    completion_tokens: 20,
    cached_tokens: 0,
    duration_ms: 120,
    ttfb_ms: 40,
    tenant_id: null,
    key_id: null,
    decision_id: null,
    provider: null,
    upstream_ms: null,
    ...overrides,
  };
}

/** Builds a decision record with a plausible plan for whatever the test does not care about. */
export function makeDecisionRecord(overrides: Partial<DecisionRecord> & Pick<DecisionRecord, 'id'>): DecisionRecord {
  return {
    model: 'gpt-5.5',
    at: '2026-05-15T12:00:00.000Z',
    constraints: { regions: ['eu'], providers: { only: ['azure'] } },
    kept: [{ route: 'azure-swedencentral-gpt-5.5', provider: 'azure', region: 'swedencentral', rank: 1, basis: 'right of first refusal: azure' }],
    rejected: [
      {
        route: 'bedrock-us-east-2-gpt-5.5',
        provider: 'bedrock',
        region: 'us-east-2',
        reasons: [
          { code: 'not_yet_available', detail: 'available from 2026-06-01' },
          { code: 'region', detail: 'us-east-2 (data zone us) is outside eu' },
        ],
      },
    ],
    attempts: [
      { route: 'azure-swedencentral-gpt-5.5', status: 503, latency_ms: 12, error: 'upstream_error: overloaded' },
      { route: 'azure-swedencentral-gpt-5.5', status: 200, latency_ms: 85, error: null },
    ],
    ...overrides,
  };
}

const latestMigration = Object.keys(storeMigrations).sort().at(-1);

export function runStoreTests({ name, open }: StoreTestOptions): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('migrates idempotently and records the version', async () => {
      assert.equal(await store.schemaVersion(), null);
      await store.migrate();
      await store.migrate();
      assert.equal(await store.schemaVersion(), latestMigration);
      await store.insertRequestLogs([makeRequestLogRow({ id: 'after-migrate' })]);
      assert.equal((await store.listRequestLogs({ limit: 10 })).length, 1);
    });

    it('answers ping while open and throws once closed', async () => {
      await store.ping();
      await store.close();
      await assert.rejects(store.ping());
      await store.close(); // idempotent, and afterEach closes again
    });

    it('round-trips every field, booleans and nulls included', async () => {
      await store.migrate();
      const full = makeRequestLogRow({
        id: 'req_full',
        created_at: '2025-06-01T12:00:01.234Z',
        endpoint: 'responses',
        route: 'bedrock-us-east-1',
        attempts: 3,
        status: 502,
        error_code: 'upstream_error',
        stream: true,
        prompt_tokens: 1_234_567,
        completion_tokens: 89,
        cached_tokens: 1024,
        duration_ms: 2_500,
        ttfb_ms: 310,
      });
      const sparse = makeRequestLogRow({
        id: 'req_sparse',
        created_at: '2025-06-01T12:00:00.000Z',
        endpoint: 'embeddings',
        route: null,
        error_code: null,
        stream: false,
        prompt_tokens: null,
        completion_tokens: null,
        cached_tokens: null,
        ttfb_ms: null,
      });
      await store.insertRequestLogs([sparse, full]);
      assert.deepEqual(await store.listRequestLogs({ limit: 10 }), [full, sparse]);
    });

    it('rounds fractional timings to whole milliseconds', async () => {
      await store.migrate();
      await store.insertRequestLogs([makeRequestLogRow({ id: 'r', duration_ms: 12.6, ttfb_ms: 3.2 })]);
      const [row] = await store.listRequestLogs({ limit: 1 });
      assert.equal(row?.duration_ms, 13);
      assert.equal(row?.ttfb_ms, 3);
    });

    it('lists newest first and pages with limit and a cursor', async () => {
      await store.migrate();
      const rows = [
        makeRequestLogRow({ id: 'a', created_at: '2025-06-01T12:00:00.000Z' }),
        makeRequestLogRow({ id: 'b', created_at: '2025-06-01T12:00:01.000Z' }),
        makeRequestLogRow({ id: 'c', created_at: '2025-06-01T12:00:01.000Z' }),
        makeRequestLogRow({ id: 'd', created_at: '2025-06-01T12:00:01.000Z' }),
        makeRequestLogRow({ id: 'e', created_at: '2025-06-01T12:00:02.000Z' }),
      ];
      await store.insertRequestLogs(rows.toReversed());
      const ids = (list: RequestLogRow[]) => list.map((row) => row.id);
      assert.deepEqual(ids(await store.listRequestLogs({ limit: 10 })), ['e', 'd', 'c', 'b', 'a']);

      // Pages split inside a run of equal timestamps must neither skip nor repeat rows.
      const pages: string[][] = [];
      let before: RequestLogRow | undefined;
      for (;;) {
        const page = await store.listRequestLogs(before === undefined ? { limit: 2 } : { limit: 2, before });
        if (page.length === 0) break;
        pages.push(ids(page));
        before = page.at(-1);
      }
      assert.deepEqual(pages, [['e', 'd'], ['c', 'b'], ['a']]);

      const olderThanSecondOne = await store.listRequestLogs({ limit: 10, before: { created_at: '2025-06-01T12:00:01.000Z' } });
      assert.deepEqual(ids(olderThanSecondOne), ['a']);
      assert.deepEqual(await store.listRequestLogs({ limit: 0 }), []);
    });

    it('inserts a batch whole or not at all', async () => {
      await store.migrate();
      await store.insertRequestLogs([makeRequestLogRow({ id: 'existing' })]);
      await assert.rejects(store.insertRequestLogs([makeRequestLogRow({ id: 'new' }), makeRequestLogRow({ id: 'existing' })]));
      await assert.rejects(store.insertRequestLogs([makeRequestLogRow({ id: 'twin' }), makeRequestLogRow({ id: 'twin' })]));
      // Large enough to need several statements: the transaction, not the statement, must make it atomic.
      const many = Array.from({ length: 800 }, (_, index) => makeRequestLogRow({ id: `many-${index}` }));
      many[700] = makeRequestLogRow({ id: 'existing' });
      await assert.rejects(store.insertRequestLogs(many));
      assert.deepEqual(
        (await store.listRequestLogs({ limit: 10 })).map((row) => row.id),
        ['existing'],
      );
    });

    it('skips duplicates when asked, keeping the stored row', async () => {
      await store.migrate();
      await store.insertRequestLogs([makeRequestLogRow({ id: 'existing', status: 200 })]);
      await store.insertRequestLogs(
        [makeRequestLogRow({ id: 'existing', status: 500 }), makeRequestLogRow({ id: 'new', created_at: '2025-06-02T00:00:00.000Z' })],
        { skipDuplicates: true },
      );
      const rows = await store.listRequestLogs({ limit: 10 });
      assert.deepEqual(
        rows.map((row) => [row.id, row.status]),
        [
          ['new', 200],
          ['existing', 200],
        ],
      );
    });

    it('inserts batches larger than one statement can bind, and empty ones', async () => {
      await store.migrate();
      await store.insertRequestLogs([]);
      const rows = Array.from({ length: 1_200 }, (_, index) => makeRequestLogRow({ id: `r${String(index).padStart(5, '0')}` }));
      await store.insertRequestLogs(rows);
      const listed = await store.listRequestLogs({ limit: 2_000 });
      assert.equal(listed.length, 1_200);
      assert.equal(listed[0]?.id, 'r01199');
    });

    it('round-trips a decision record and answers null for an unknown id', async () => {
      await store.migrate();
      const record = makeDecisionRecord({ id: 'dec_1' });
      const empty = makeDecisionRecord({ id: 'dec_2', constraints: {}, kept: [], rejected: [], attempts: [] });
      await store.insertDecisions([
        { created_at: '2026-05-15T12:00:00.000Z', record },
        { created_at: '2026-05-15T12:00:01.000Z', record: empty },
      ]);
      assert.deepEqual(await store.getDecision('dec_1'), record);
      assert.deepEqual(await store.getDecision('dec_2'), empty);
      assert.equal(await store.getDecision('dec_unknown'), null);
      await store.insertDecisions([]);
    });

    it('prunes decisions recorded before the cutoff and counts them', async () => {
      await store.migrate();
      const at = (id: string, created_at: string) => ({ created_at, record: makeDecisionRecord({ id }) });
      await store.insertDecisions([
        at('old-1', '2026-05-14T11:59:59.999Z'),
        at('old-2', '2026-05-13T00:00:00.000Z'),
        at('cutoff', '2026-05-14T12:00:00.000Z'),
        at('new', '2026-05-15T12:00:00.000Z'),
      ]);
      assert.equal(await store.pruneDecisions('2026-05-14T12:00:00.000Z'), 2);
      assert.equal(await store.getDecision('old-1'), null);
      assert.equal(await store.getDecision('old-2'), null);
      assert.equal((await store.getDecision('cutoff'))?.id, 'cutoff');
      assert.equal((await store.getDecision('new'))?.id, 'new');
      assert.equal(await store.pruneDecisions('2026-05-14T12:00:00.000Z'), 0);
    });

    it('inserts decisions whole or not at all, and skips duplicates when asked', async () => {
      await store.migrate();
      const created_at = '2026-05-15T12:00:00.000Z';
      const first = makeDecisionRecord({ id: 'dec_dup', model: 'gpt-5.5' });
      await store.insertDecisions([{ created_at, record: first }]);
      await assert.rejects(
        store.insertDecisions([
          { created_at, record: makeDecisionRecord({ id: 'dec_new' }) },
          { created_at, record: makeDecisionRecord({ id: 'dec_dup' }) },
        ]),
      );
      assert.equal(await store.getDecision('dec_new'), null);
      await store.insertDecisions(
        [
          { created_at, record: makeDecisionRecord({ id: 'dec_dup', model: 'gpt-5.6' }) },
          { created_at, record: makeDecisionRecord({ id: 'dec_new' }) },
        ],
        { skipDuplicates: true },
      );
      assert.deepEqual(await store.getDecision('dec_dup'), first);
      assert.equal((await store.getDecision('dec_new'))?.id, 'dec_new');
    });

    it('bounds what a request-log row keeps of client text: a 100 KB model name stores 256 characters', async () => {
      await store.migrate();
      const model = `gpt-${'x'.repeat(100_000)}`;
      await store.insertRequestLogs([makeRequestLogRow({ id: 'req_huge', model, route: 'r'.repeat(5_000), error_code: 'model_not_found' })]);
      const [row] = await store.listRequestLogs({ limit: 1 });
      assert.equal(row?.model.length, STORED_TEXT_MAX_CHARS);
      assert.ok(row?.model.startsWith('gpt-xxx'));
      assert.ok(row?.model.endsWith('…'));
      assert.equal(row?.route?.length, STORED_TEXT_MAX_CHARS);
      assert.equal(row?.error_code, 'model_not_found');
    });

    it('bounds what a decision keeps of client text: model, constraint lists and strings, details', async () => {
      await store.migrate();
      const huge = 'x'.repeat(100_000);
      const record = makeDecisionRecord({
        id: 'dec_huge',
        model: huge,
        constraints: { regions: Array.from({ length: 1_000 }, (_, index) => `${huge}${index}`), nested: { deeper: [[[[[[[[['too deep']]]]]]]]] } },
        rejected: [{ route: 'azure-eu', provider: 'azure', region: 'swedencentral', reasons: [{ code: 'region', detail: huge }] }],
        attempts: [{ route: 'azure-eu', status: 500, latency_ms: 12, error: `upstream_error: ${huge}` }],
      });
      await store.insertDecisions([{ created_at: '2026-05-15T12:00:00.000Z', record }]);
      const stored = await store.getDecision('dec_huge');
      assert.ok(stored !== null);
      assert.ok(JSON.stringify(stored).length < 40_000, `${JSON.stringify(stored).length} characters stored`);
      assert.equal(stored.model.length, STORED_TEXT_MAX_CHARS);
      const regions = stored.constraints.regions as string[];
      assert.equal(regions.length, 64);
      assert.ok(regions.every((region) => region.length === STORED_TEXT_MAX_CHARS));
      assert.equal(stored.rejected[0]?.reasons[0]?.detail.length, 1_024);
      assert.equal(stored.attempts[0]?.error?.length, 1_024);
      assert.equal(stored.rejected[0]?.region, 'swedencentral');
    });

    it('prunes request-log rows created before the cutoff and counts them', async () => {
      await store.migrate();
      await store.insertRequestLogs([
        makeRequestLogRow({ id: 'old-1', created_at: '2026-05-14T11:59:59.999Z' }),
        makeRequestLogRow({ id: 'old-2', created_at: '2026-04-01T00:00:00.000Z' }),
        makeRequestLogRow({ id: 'cutoff', created_at: '2026-05-14T12:00:00.000Z' }),
        makeRequestLogRow({ id: 'new', created_at: '2026-05-15T12:00:00.000Z' }),
      ]);
      assert.equal(await store.pruneRequestLogs('2026-05-14T12:00:00.000Z'), 2);
      assert.deepEqual(
        (await store.listRequestLogs({ limit: 10 })).map((row) => row.id),
        ['new', 'cutoff'],
      );
      assert.equal(await store.pruneRequestLogs('2026-05-14T12:00:00.000Z'), 0);
    });
  });
  // Each with its own fresh, migrated store per test.
  describe(`Store contract, tenancy: ${name}`, () => runTenancyStoreTests(open));
  describe(`Store contract, ledger: ${name}`, () => runLedgerStoreTests(open));
  describe(`Store contract, stateful runtime: ${name}`, () => runRuntimeStoreTests(open));
  describe(`Store contract, agents: ${name}`, () => runAgentStoreTests(open));
  describe(`Store contract, MCP servers: ${name}`, () => runMcpServerStoreTests(open));
  describe(`Store contract, dashboard sign-in: ${name}`, () => runAuthStoreTests(open));
  describe(`Store contract, request log reads: ${name}`, () => runRequestLogStoreTests(open));
}
