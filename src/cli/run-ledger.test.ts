// `crossway ledger verify` reads exactly the store the configuration names, PostgreSQL included, and fails (exit 1,
// saying where it looked, creating nothing) when that store does not exist or holds no schema.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { makeLedgerEntry } from '../store/ledger-store.case.test.ts';
import { createTestSchema, skipWithoutPostgres } from '../store/test-backends.ts';
import { openPostgresStore, openSqliteStore } from '../store/index.ts';
import { runCrossway, writeStoreConfig } from './test-store-config.ts';

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'crossway-ledger-cli-'));
after(() => fs.rmSync(directory, { recursive: true, force: true }));

describe('crossway ledger verify', () => {
  it('fails on a SQLite file that does not exist, naming it, and does not create it (nor its directory)', async () => {
    const file = path.join(directory, 'never', 'crossway.db');
    const result = await runCrossway(['ledger', 'verify', '--config', writeStoreConfig(directory, { sqlite: file })]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, `crossway: no store at the SQLite file ${file}: the file does not exist\n`);
    assert.equal(fs.existsSync(path.dirname(file)), false);
  });

  it('fails on a SQLite file that holds no schema', async () => {
    const file = path.join(directory, 'empty.db');
    fs.writeFileSync(file, '');
    const result = await runCrossway(['ledger', 'verify', '--config', writeStoreConfig(directory, { sqlite: file })]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no store at the SQLite file .*empty\.db: it holds no Crossway schema/);
  });

  it('verifies a SQLite file with a ledger, saying which store it read', async () => {
    const file = path.join(directory, 'kept.db');
    const store = await openSqliteStore(file);
    await store.migrate();
    await store.commitLedger([makeLedgerEntry({ id: 'evt_sqlite' })]);
    await store.close();
    const result = await runCrossway(['ledger', 'verify', '--config', writeStoreConfig(directory, { sqlite: file })]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^ledger verified/);
    assert.match(result.stderr, /reading the ledger of the SQLite file .*kept\.db/);
  });

  describe('on PostgreSQL', { skip: skipWithoutPostgres }, () => {
    it('fails on an empty schema: no ledger, not an empty one (and migrates nothing into it)', async () => {
      const schema = await createTestSchema('verifyempty');
      try {
        const result = await runCrossway(['ledger', 'verify', '--config', writeStoreConfig(directory, { postgres: schema.url })]);
        assert.equal(result.code, 1);
        assert.match(result.stderr, new RegExp(`no store at PostgreSQL at .* \\(schema ${schema.schema}\\): it holds no Crossway schema`));
        assert.equal(await countTables(schema.url, schema.schema), 0);
      } finally {
        await schema.drop();
      }
    });

    it("verifies the schema's ledger, and finds a balance tampered with there", async () => {
      const schema = await createTestSchema('verify');
      try {
        const store = await openPostgresStore(schema.url, { poolSize: 2 });
        await store.migrate();
        await store.commitLedger([makeLedgerEntry({ id: 'evt_1' }), makeLedgerEntry({ id: 'evt_2', tenant: 'globex' })]);
        await store.close();
        const config = writeStoreConfig(directory, { postgres: schema.url });
        const passed = await runCrossway(['ledger', 'verify', '--config', config]);
        assert.equal(passed.code, 0, passed.stdout + passed.stderr);
        assert.match(passed.stdout, /^ledger verified/);
        assert.match(passed.stderr, new RegExp(`reading the ledger of PostgreSQL at .* \\(schema ${schema.schema}\\)`));

        const client = new pg.Client({ connectionString: schema.url });
        await client.connect();
        try {
          await client.query("update account_balances set balance = balance + 1 where account = 'tenant:globex:receivable'");
        } finally {
          await client.end();
        }
        const failed = await runCrossway(['ledger', 'verify', '--config', config]);
        assert.equal(failed.code, 1, failed.stdout + failed.stderr);
        assert.match(failed.stdout, /^balance_mismatch: .*tenant:globex:receivable/m);
      } finally {
        await schema.drop();
      }
    });
  });
});

async function countTables(url: string, schema: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: string }>('select count(*) as count from information_schema.tables where table_schema = $1', [schema]);
    return Number(rows[0]?.count);
  } finally {
    await client.end();
  }
}
