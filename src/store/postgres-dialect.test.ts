// The PostgreSQL dialect's introspection sees the connection's own schema only: what Kysely's Migrator asks about.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kysely } from 'kysely';
import pg from 'pg';
import { createPostgresDialect } from './postgres-dialect.ts';
import { openPostgresStore } from './postgres-store.ts';
import { createTestSchema, skipWithoutPostgres, testDatabaseUrl, type TestSchema } from './test-backends.ts';

describe('createPostgresDialect', { skip: skipWithoutPostgres }, () => {
  let own: TestSchema;
  let other: TestSchema;
  before(async () => {
    [own, other] = await Promise.all([createTestSchema('own'), createTestSchema('other')]);
  });
  after(async () => {
    await Promise.all([own.drop(), other.drop()]);
  });

  it("lists the current schema and its tables, never another schema's", async () => {
    const admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
    const db = new Kysely<unknown>({ dialect: createPostgresDialect(new pg.Pool({ connectionString: own.url, max: 1 })) });
    try {
      await admin.query(`create table ${other.schema}.kysely_migration (name text)`);
      assert.deepEqual(await db.introspection.getTables(), []);
      await admin.query(`create table ${own.schema}.kysely_migration (name text)`);
      const tables = await db.introspection.getTables();
      assert.deepEqual(
        tables.map((table) => [table.schema, table.name]),
        [[own.schema, 'kysely_migration']],
      );
      assert.deepEqual(await db.introspection.getSchemas(), [{ name: own.schema }]);
    } finally {
      await db.destroy();
      await admin.end();
    }
  });

  it('lets a store migrate and read its version while other schemas are created and dropped around it', async () => {
    const schema = await createTestSchema('churn');
    const store = await openPostgresStore(schema.url, { poolSize: 2 });
    let churning = true;
    // Another installation (or test run) on the same server, creating and dropping schemas with tables all along.
    const churn = (async () => {
      const admin = new pg.Client({ connectionString: testDatabaseUrl });
      await admin.connect();
      try {
        for (let round = 0; churning && round < 500; round += 1) {
          const name = `${schema.schema}_churn`;
          await admin.query(`create schema ${name}`);
          await admin.query(`create table ${name}.t (id serial primary key, value text)`);
          await admin.query(`drop schema ${name} cascade`);
        }
      } finally {
        await admin.end();
      }
    })();
    try {
      await store.migrate();
      for (let round = 0; round < 30; round += 1) assert.notEqual(await store.schemaVersion(), null);
    } finally {
      churning = false;
      await churn;
      await store.close();
      await schema.drop();
    }
  });
});
