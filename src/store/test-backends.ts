// The shared backends tests run against: PostgreSQL and Redis named by CROSSWAY_TEST_DATABASE_URL / CROSSWAY_TEST_REDIS_URL.
// Each test file takes a private PostgreSQL schema and a private Redis key prefix, so that test files (and the gateway
// processes they start) never see each other's rows or keys. Imported by tests only.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server tests use, or undefined when the variable is unset (the PostgreSQL cases are then skipped). */
export const testDatabaseUrl: string | undefined = process.env.CROSSWAY_TEST_DATABASE_URL || undefined;
/** The Redis server tests use, or undefined when the variable is unset (the Redis cases are then skipped). */
export const testRedisUrl: string | undefined = process.env.CROSSWAY_TEST_REDIS_URL || undefined;

/** `skip` for a `describe`/`it` that needs PostgreSQL: false when it can run, else the reason. */
export const skipWithoutPostgres: string | false = testDatabaseUrl === undefined ? 'set CROSSWAY_TEST_DATABASE_URL to run the PostgreSQL cases' : false;
/** `skip` for a `describe`/`it` that needs Redis: false when it can run, else the reason. */
export const skipWithoutRedis: string | false = testRedisUrl === undefined ? 'set CROSSWAY_TEST_REDIS_URL to run the Redis cases' : false;

/** A schema of its own on the test server, and a URL whose connections use it (`options=-c search_path=...`). */
export interface TestSchema {
  schema: string;
  /** The test server's URL with the schema as search_path: what a gateway's `store.postgres` or CROSSWAY_DATABASE_URL takes. */
  url: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** Creates an empty schema `cw_<label>_<random>` on the test server; throws when CROSSWAY_TEST_DATABASE_URL is unset. */
export async function createTestSchema(label = 'test'): Promise<TestSchema> {
  if (testDatabaseUrl === undefined) throw new Error('CROSSWAY_TEST_DATABASE_URL is not set');
  const schema = `cw_${label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}_${randomBytes(5).toString('hex')}`;
  await runAdmin(`create schema ${schema}`);
  const url = new URL(testDatabaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    schema,
    url: url.toString(),
    drop: () => runAdmin(`drop schema if exists ${schema} cascade`),
  };
}

/** A Redis key prefix no other test uses (`cwtest:<label>:<random>:`). */
export function createTestRedisPrefix(label = 'test'): string {
  return `cwtest:${label}:${randomBytes(5).toString('hex')}:`;
}

async function runAdmin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
