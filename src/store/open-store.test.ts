// openStore picks the backend the configuration names; describeStoreLocation and scrubDatabaseUrl keep credentials out of messages.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openExistingStore, describeStoreLocation, openStore, StoreUnavailableError } from './open-store.ts';
import { PostgresStore } from './postgres-store.ts';
import { scrubDatabaseUrl } from './scrub-database-url.ts';
import { SqliteStore } from './sqlite-store.ts';
import { createTestSchema, skipWithoutPostgres } from './test-backends.ts';

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'crossway-open-store-'));
after(() => fs.rmSync(directory, { recursive: true, force: true }));
const secret = (value: string) => ({ reveal: () => value });

describe('openStore', () => {
  it('opens the SQLite file when no PostgreSQL URL is set', async () => {
    const file = path.join(directory, 'a', 'crossway.db');
    const store = await openStore({ sqlite: file });
    assert.ok(store instanceof SqliteStore);
    await store.close();
    assert.ok(fs.existsSync(file));
  });

  it('opens PostgreSQL when the URL is set, whatever the SQLite path, and creates no file', { skip: skipWithoutPostgres }, async () => {
    const schema = await createTestSchema('openstore');
    const file = path.join(directory, 'unused', 'crossway.db');
    try {
      const store = await openStore({ sqlite: file, postgres: secret(schema.url), pool_size: 1 });
      assert.ok(store instanceof PostgresStore);
      await store.migrate();
      await store.ping();
      await store.close();
      assert.equal(fs.existsSync(path.dirname(file)), false);
    } finally {
      await schema.drop();
    }
  });
});

describe('openExistingStore', () => {
  it('refuses a missing SQLite file without creating it, and an empty one, naming where it looked', async () => {
    const missing = path.join(directory, 'missing.db');
    await assert.rejects(openExistingStore({ sqlite: missing }), (error: Error) => {
      assert.ok(error instanceof StoreUnavailableError);
      assert.equal(error.message, `no store at the SQLite file ${missing}: the file does not exist`);
      return true;
    });
    assert.equal(fs.existsSync(missing), false);
    const empty = path.join(directory, 'empty.db');
    fs.writeFileSync(empty, '');
    await assert.rejects(openExistingStore({ sqlite: empty }), /it holds no Crossway schema/);
  });

  it('opens a migrated file', async () => {
    const file = path.join(directory, 'migrated.db');
    const created = await openStore({ sqlite: file });
    await created.migrate();
    await created.close();
    const store = await openExistingStore({ sqlite: file });
    assert.notEqual(await store.schemaVersion(), null);
    await store.close();
  });
});

describe('describeStoreLocation', () => {
  it('names the SQLite file, or the PostgreSQL host, database and schema without user or password', () => {
    assert.equal(describeStoreLocation({ sqlite: './.crossway/crossway.db' }), 'the SQLite file ./.crossway/crossway.db');
    const url = 'postgres://crossway:p%40ss-word@db.internal:6432/gateway?options=-c%20search_path%3Dtenant_a&sslmode=require';
    assert.equal(describeStoreLocation({ sqlite: 'x', postgres: secret(url) }), 'PostgreSQL at db.internal:6432/gateway (schema tenant_a)');
    assert.equal(describeStoreLocation({ sqlite: 'x', postgres: secret('host=db password=x') }), 'PostgreSQL (store.postgres)');
  });
});

describe('scrubDatabaseUrl', () => {
  const url = 'postgres://crossway:p%40ss-word@db.internal:5432/gateway';
  const cases = [
    { name: 'the URL as given', message: `connect failed for ${url}`, expected: 'connect failed for [redacted]' },
    { name: 'the encoded password', message: 'bad password p%40ss-word', expected: 'bad password [redacted]' },
    { name: 'the decoded password', message: 'bad password p@ss-word', expected: 'bad password [redacted]' },
    { name: 'nothing secret', message: 'connect ECONNREFUSED 127.0.0.1:5432', expected: 'connect ECONNREFUSED 127.0.0.1:5432' },
  ];
  for (const { name, message, expected } of cases) {
    it(`removes ${name}`, () => assert.equal(scrubDatabaseUrl(message, url), expected));
  }
});
