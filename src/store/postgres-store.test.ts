// The Store contract suites (store, tenancy, ledger, stateful runtime) on PostgreSQL, each test on a schema of its own;
// and what only PostgreSQL does: concurrent migrations on one empty schema, a bounded ping, scrubbed connection errors.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { makeLedgerEntry } from './ledger-store.case.test.ts';
import { openPostgresStore, type PostgresStore } from './postgres-store.ts';
import { runStoreTests } from './store.case.test.ts';
import { storeMigrations } from './store-migrations.ts';
import { createTestSchema, skipWithoutPostgres, testDatabaseUrl, type TestSchema } from './test-backends.ts';

const latestMigration = Object.keys(storeMigrations).sort().at(-1);

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
        assert.deepEqual(await stores[0]!.commitLedger([makeLedgerEntry({ id: 'evt_after_race' })]), ['committed']);
        assert.equal((await stores[3]!.listUsageEvents({ limit: 10 })).length, 1);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
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
      const proxy = await startPausableProxy(new URL(testDatabaseUrl as string));
      const url = new URL(schema.url);
      url.host = `127.0.0.1:${proxy.port}`;
      const store = await openPostgresStore(url.toString(), { pingTimeoutMs: 500 });
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
});

/** A port nothing listens on (it was just free). */
async function findClosedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP proxy to the test server that can hold every byte back (pause) and let them through again (resume). */
async function startPausableProxy(target: URL): Promise<{ port: number; pause(): void; resume(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let paused = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    if (paused) {
      client.pause();
      upstream.pause();
    }
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    pause: () => {
      paused = true;
      for (const socket of sockets) socket.pause();
    },
    resume: () => {
      paused = false;
      for (const socket of sockets) socket.resume();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
