// `crossway migrate` in process: migrates the configured SQLite file or PostgreSQL schema, says to which version, and
// fails with exit 1 and a message without credentials when the server cannot be reached.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { createTestSchema, skipWithoutPostgres } from '../store/test-backends.ts';
import { findClosedPort } from '../store/test-postgres-proxy.ts';
import { storeMigrations } from '../store/index.ts';
import { runCrossway, writeStoreConfig } from './test-store-config.ts';

const latestMigration = Object.keys(storeMigrations).sort().at(-1) as string;
const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'crossway-migrate-'));
after(() => fs.rmSync(directory, { recursive: true, force: true }));
describe('crossway migrate', () => {
  it('migrates a SQLite file, prints the version, and finds nothing to do the second time', async () => {
    const file = path.join(directory, 'sqlite', 'crossway.db');
    const config = writeStoreConfig(directory, { sqlite: file });
    const first = await runCrossway(['migrate', '--config', config]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `migrated the SQLite file ${file} to schema version ${latestMigration}\n`);
    const second = await runCrossway(['migrate', '--config', config]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, `the SQLite file ${file} is at schema version ${latestMigration} (nothing to migrate)\n`);
  });

  it('is listed in the help, and answers --help with its usage', async () => {
    assert.match((await runCrossway(['help'])).stdout, /^ {2}migrate {2}/m);
    const help = await runCrossway(['migrate', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: crossway migrate/);
    assert.equal((await runCrossway(['migrate', '--nope'])).code, 2);
  });

  it('exits 1 naming the server, without the password or the URL, when PostgreSQL cannot be reached', async () => {
    const port = await findClosedPort();
    const config = writeStoreConfig(directory, { postgres: `postgres://crossway:hunter2-Secret@127.0.0.1:${port}/crossway` });
    const result = await runCrossway(['migrate', '--config', config]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, new RegExp(`^crossway: cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}/crossway: `));
    assert.doesNotMatch(result.stderr, /hunter2/);
    assert.doesNotMatch(result.stderr, /postgres:\/\//);
  });

  it('migrates the PostgreSQL schema the configuration names', { skip: skipWithoutPostgres }, async () => {
    const schema = await createTestSchema('climigrate');
    try {
      const config = writeStoreConfig(directory, { postgres: schema.url, pool_size: 2 });
      const result = await runCrossway(['migrate', '--config', config]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^migrated PostgreSQL at .* \\(schema ${schema.schema}\\) to schema version ${latestMigration}\\n$`));
      const client = new pg.Client({ connectionString: schema.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ name: string }>('select max(name) as name from kysely_migration');
        assert.equal(rows[0]?.name, latestMigration);
      } finally {
        await client.end();
      }
    } finally {
      await schema.drop();
    }
  });
});
