// Test support: KyselyStore over PostgreSQL (the Kysely commit as a PostgreSQL store inherits it), each in a schema of its own.
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { KyselyStore } from './kysely-store.ts';
import type { StoreDatabase } from './store-database.ts';
import { createTestSchema, type TestSchema } from './test-backends.ts';

/** A test schema on CROSSWAY_TEST_DATABASE_URL, and a way to open any number of stores (each with its own pool) on it. */
export interface TestPostgresDatabase {
  schema: TestSchema;
  /** A KyselyStore on a pool of its own (`max` connections, default 4), not yet migrated. */
  openStore(max?: number): Promise<KyselyStore>;
}

/** Creates an empty schema; drop it with `schema.drop()` once every store opened on it is closed. */
export async function createTestPostgresDatabase(label: string): Promise<TestPostgresDatabase> {
  const schema = await createTestSchema(label);
  return {
    schema,
    openStore: async (max = 4) => {
      const db = new Kysely<StoreDatabase>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: schema.url, max }) }) });
      await createMigrationTables(db);
      return new TestPostgresKyselyStore(db);
    },
  };
}

// What Kysely's introspection query fails with when another test drops its schema (has_schema_privilege: 3F000) or a
// table of it (pg_get_serial_sequence: 42P01) while the query runs.
const introspectionRaces = new Set(['3F000', '42P01']);

/**
 * KyselyStore whose migrate() tries again when Kysely's Migrator trips over another test's schema: its introspection
 * reads every schema of the database, and fails when one is dropped meanwhile.
 */
class TestPostgresKyselyStore extends KyselyStore {
  override async migrate(): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await super.migrate();
      } catch (error) {
        if (attempt >= 5 || !introspectionRaces.has(String((error as { code?: unknown }).code))) throw error;
      }
    }
  }
}

/**
 * Kysely's Migrator asks whether its tables exist in any schema of the database, so on a server where other test
 * schemas hold them it would not create its own: they are created here, in this schema, as the Migrator would.
 */
async function createMigrationTables(db: Kysely<StoreDatabase>): Promise<void> {
  await sql`create table if not exists kysely_migration (name varchar(255) not null primary key, timestamp varchar(255) not null)`.execute(db);
  await sql`create table if not exists kysely_migration_lock (id varchar(255) not null primary key, is_locked integer not null default 0)`.execute(db);
}
