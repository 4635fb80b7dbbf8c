// The Store contract suites (store, tenancy, ledger, stateful runtime) on PostgreSQL, each test on a schema of its own;
// and what only PostgreSQL does: concurrent migrations on one empty schema, a bounded ping, scrubbed connection errors.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { makeLedgerEntry } from './ledger-store.case.test.ts';
import { openPostgresStore, type PostgresStore } from './postgres-store.ts';
import { runStoreTests } from './store.case.test.ts';
import { storeMigrations } from './store-migrations.ts';
import { findClosedPort, startPostgresProxy } from './test-postgres-proxy.ts';
import { createTestSchema, skipWithoutPostgres, testDatabaseUrl, type TestSchema } from './test-backends.ts';

const latestMigration = Object.keys(storeMigrations).sort().at(-1);

/** commitLedger's outcome per entry, whether it answers bare outcomes or results that carry one (`{ outcome, transfers }`). */
function outcomesOf(results: readonly unknown[]): string[] {
  return results.map((result) => (typeof result === 'string' ? result : (result as { outcome: string }).outcome));
}

/** A PostgresStore on a fresh schema that is dropped when the store closes. */
async function openOnFreshSchema(label: string): Promise<PostgresStore> {
  const schema = await createTestSchema(label);
  const store = await openPostgresStore(schema.url, { poolSize: 4 });
  const close = store.close.bind(store);
  let dropped = false;
  store.close = async () => {
    await close();
    if (!dropped) {
      dropped = true;
      await schema.drop();
    }
  };
  return store;
}

describe('PostgresStore', { skip: skipWithoutPostgres }, () => {
  runStoreTests({ name: 'PostgresStore', open: () => openOnFreshSchema('store') });

  describe('migrations', () => {
    const schemas: TestSchema[] = [];
    after(async () => {
      for (const schema of schemas) await schema.drop();
    });

    it('lets 4 stores (4 pools, as 4 replicas) migrate one empty schema at once', async () => {
      const schema = await createTestSchema('migrate');
      schemas.push(schema);
      const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(schema.url, { poolSize: 2 })));
      try {
        const results = await Promise.allSettled(stores.map((store) => store.migrate()));
        assert.deepEqual(
          results.map((result) => (result.status === 'rejected' ? String(result.reason) : 'ok')),
          ['ok', 'ok', 'ok', 'ok'],
        );
        for (const store of stores) assert.equal(await store.schemaVersion(), latestMigration);
        // Each migration ran once: the migration table lists each name once, and the tables are usable.
        const client = new pg.Client({ connectionString: schema.url });
        await client.connect();
        try {
          const { rows } = await client.query<{ name: string }>('select name from kysely_migration order by name');
          assert.deepEqual(
            rows.map((row) => row.name),
            Object.keys(storeMigrations).sort(),
          );
        } finally {
          await client.end();
        }
        assert.deepEqual(outcomesOf(await stores[0]!.commitLedger([makeLedgerEntry({ id: 'evt_after_race' })])), ['committed']);
        assert.equal((await stores[3]!.listUsageEvents({ limit: 10 })).length, 1);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
      }
    });

    it("waits past the pool's statement timeout for another replica's migration, up to migrationTimeoutMs", async () => {
      // Kysely's PostgresAdapter serialises migrations with this session-level advisory lock (its LOCK_ID).
      const migrationLock = '3853314791062309107';
      const admin = new pg.Client({ connectionString: testDatabaseUrl });
      await admin.connect();
      const patient = await createTestSchema('patient');
      const hasty = await createTestSchema('hasty');
      schemas.push(patient, hasty);
      const waiting = await openPostgresStore(patient.url, { statementTimeoutMs: 200 });
      const giving = await openPostgresStore(hasty.url, { statementTimeoutMs: 200, migrationTimeoutMs: 200 });
      try {
        // Another replica migrating for a while: it holds the lock for 1.5 s.
        await admin.query('select pg_advisory_lock($1::bigint)', [migrationLock]);
        const released = new Promise((resolve) => setTimeout(resolve, 1_500)).then(() => admin.query('select pg_advisory_unlock($1::bigint)', [migrationLock]));
        const [patientResult, hastyResult] = await Promise.allSettled([waiting.migrate(), giving.migrate()]);
        await released;
        assert.equal(patientResult.status, 'fulfilled', String((patientResult as PromiseRejectedResult).reason));
        assert.equal(await waiting.schemaVersion(), latestMigration);
        assert.equal(hastyResult.status, 'rejected');
        assert.match(String((hastyResult as PromiseRejectedResult).reason), /migrating PostgreSQL failed: .*statement timeout/);
      } finally {
        await admin.end();
        await Promise.all([waiting.close(), giving.close()]);
      }
    });

    it("keeps its migration records in its own schema: another schema's migrated store does not count", async () => {
      const migrated = await createTestSchema('migrated');
      const empty = await createTestSchema('empty');
      schemas.push(migrated, empty);
      const first = await openPostgresStore(migrated.url);
      await first.migrate();
      await first.close();
      const second = await openPostgresStore(empty.url);
      try {
        assert.equal(await second.schemaVersion(), null);
        await second.migrate();
        assert.equal(await second.schemaVersion(), latestMigration);
      } finally {
        await second.close();
      }
    });
  });

  describe('connection failures', () => {
    it('refuses a search_path naming no schema, with a message that says so', async () => {
      const url = new URL(testDatabaseUrl as string);
      url.searchParams.set('options', '-c search_path=cw_never_created_schema');
      await assert.rejects(openPostgresStore(url.toString()), /no schema of the search_path exists/);
    });

    it('rejects an unreachable server without the URL or its password in the message', async () => {
      const port = await findClosedPort();
      const url = `postgres://crossway:s3cret-Pa55@127.0.0.1:${port}/crossway`;
      await assert.rejects(openPostgresStore(url), (error: Error) => {
        assert.match(error.message, /cannot connect to PostgreSQL/);
        assert.doesNotMatch(error.message, /s3cret-Pa55/);
        assert.doesNotMatch(error.message, /postgres:\/\//);
        return true;
      });
    });

    it('answers ping within its timeout when the server stops answering, and again once it answers', async () => {
      const schema = await createTestSchema('ping');
      const proxy = await startPostgresProxy(schema.url);
      const store = await openPostgresStore(proxy.url, { pingTimeoutMs: 500 });
      try {
        await store.ping();
        // A cut network: connections stay open, but nothing gets through.
        proxy.pause();
        const started = performance.now();
        await assert.rejects(store.ping(), /PostgreSQL unreachable: .*did not answer within 500 ms/);
        // Generous: the bound is 500 ms, and the point is that it is not a TCP timeout of minutes.
        assert.ok(performance.now() - started < 10_000);
        proxy.resume();
        await store.ping();
      } finally {
        proxy.resume();
        await store.close();
        await proxy.close();
        await schema.drop();
      }
    });
  });
  describe('dropped connections', () => {
    it('survives the server ending an idle connection (the pool hears it), and the next query opens another', async () => {
      const schema = await createTestSchema('dropped');
      // An application_name of this test's own, so that it ends only the connections it opened.
      const url = new URL(schema.url);
      const applicationName = `cw_test_${schema.schema}`;
      url.searchParams.set('application_name', applicationName);
      const heard: Error[] = [];
      const store = await openPostgresStore(url.toString(), { onConnectionError: (error) => heard.push(error) });
      const admin = new pg.Client({ connectionString: testDatabaseUrl });
      await admin.connect();
      try {
        await store.migrate();
        await store.ping();
        const { rows } = await admin.query<{ ended: boolean }>('select pg_terminate_backend(pid) as ended from pg_stat_activity where application_name = $1', [
          applicationName,
        ]);
        assert.ok(rows.length > 0 && rows.every((row) => row.ended));
        await waitFor(() => heard.length > 0);
        assert.match(heard[0]!.message, /terminat/);
        await store.ping();
        assert.deepEqual(outcomesOf(await store.commitLedger([makeLedgerEntry({ id: 'evt_after_drop' })])), ['committed']);
      } finally {
        await admin.end();
        await store.close();
        await schema.drop();
      }
    });
  });

  describe('two replicas committing the ledger at once', () => {
    it('keeps the same event once: one commits, the other replays, or fails and its retry (the Ledger retries) replays', async () => {
      const schema = await createTestSchema('ledgerrace');
      const [first, second] = await Promise.all([openPostgresStore(schema.url, { poolSize: 2 }), openPostgresStore(schema.url, { poolSize: 2 })]);
      try {
        await first!.migrate();
        for (let round = 0; round < 20; round += 1) {
          const entry = makeLedgerEntry({ id: `evt_race_${round}` });
          const results = await Promise.allSettled([first!.commitLedger([entry]), second!.commitLedger([entry])]);
          const outcomes = results.map((result) => (result.status === 'fulfilled' ? outcomesOf(result.value)[0] : 'failed'));
          assert.equal(outcomes.filter((outcome) => outcome === 'committed').length, 1, outcomes.join());
          // What the Ledger does with a failed commit: it retries, and the retry finds the stored event.
          for (const [index, outcome] of outcomes.entries()) {
            if (outcome === 'failed') assert.deepEqual(outcomesOf(await [first!, second!][index]!.commitLedger([entry])), ['replayed']);
          }
        }
        assert.equal((await first!.listUsageEvents({ limit: 100 })).length, 20);
        const receivable = (await first!.listAccountBalances()).find((balance) => balance.account === 'tenant:acme:receivable');
        assert.equal(receivable?.balance, 20n * 3_750n);
      } finally {
        await Promise.all([first!.close(), second!.close()]);
        await schema.drop();
      }
    });
  });
});

/** Resolves once `condition` holds; rejects after 10 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
