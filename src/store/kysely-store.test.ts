import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { Kysely } from 'kysely';
import { KyselyStore } from './kysely-store.ts';
import { createNodeSqliteDialect } from './node-sqlite-dialect.ts';
import { Migrator } from 'kysely/migration';
import { makeConversation, makeConversationItem, makeResponseItem, makeStoredResponse } from './runtime-store.case.test.ts';
import { toConversationItemTableRow, toConversationTableRow, toResponseItemTableRow, toResponseTableRow } from './runtime-rows.ts';
import { storeMigrationProvider } from './store-migrations.ts';
import type { StoreDatabase } from './store-database.ts';
import { runStoreTests } from './store.case.test.ts';
import { openSqliteStore } from './sqlite-store.ts';
import { storeMigrations } from './store-migrations.ts';

const latestMigration = Object.keys(storeMigrations).sort().at(-1);

// The plain Kysely paths (transactions, executeWrites, commitLedgerEntries), which SqliteStore replaces with its write
// worker: these are the ones the PostgreSQL store will run.
runStoreTests({
  name: 'KyselyStore (node:sqlite :memory:)',
  open: async () => new KyselyStore(new Kysely<StoreDatabase>({ dialect: createNodeSqliteDialect(new DatabaseSync(':memory:')) })),
});

describe('KyselyStore.readResponseChain', () => {
  it('reads a chain of 200 responses in one query', async () => {
    const queries: string[] = [];
    const db = new Kysely<StoreDatabase>({
      dialect: createNodeSqliteDialect(new DatabaseSync(':memory:')),
      log: (event) => {
        if (event.level === 'query') queries.push(event.query.sql);
      },
    });
    const store = new KyselyStore(db);
    await store.migrate();
    for (let index = 1; index <= 200; index += 1) {
      const id = `resp_${index}`;
      const previous = index === 1 ? null : `resp_${index - 1}`;
      await store.insertResponse(makeStoredResponse({ id, previous_response_id: previous }), [
        makeResponseItem(id, 'input', 0),
        makeResponseItem(id, 'output', 0),
      ]);
    }
    queries.length = 0;
    const chain = await store.readResponseChain('acme', 'resp_200');
    assert.equal(chain?.responses.length, 200);
    assert.equal(chain?.items.length, 400);
    assert.equal(queries.length, 1);
    assert.match(queries[0]!, /with recursive/);
    await store.close();
  });
});

describe('migration 0006_tenant_storage', () => {
  it("counts what a database stored before it: each tenant's responses, items, conversations and their items", async () => {
    const db = new Kysely<StoreDatabase>({ dialect: createNodeSqliteDialect(new DatabaseSync(':memory:')) });
    const migrator = new Migrator({ db, provider: storeMigrationProvider });
    assert.equal((await migrator.migrateTo('0004_runtime')).error, undefined);
    const response = makeStoredResponse({ id: 'resp_1' });
    const item = makeResponseItem('resp_1', 'input', 0);
    await db.insertInto('responses').values(toResponseTableRow(response)).execute();
    await db.insertInto('response_items').values(toResponseItemTableRow(item)).execute();
    const conversation = makeConversation({ id: 'conv_1', tenant: 'globex', metadata: { topic: 'ünïcödé' } });
    const conversationItem = makeConversationItem('conv_1', 'msg_a');
    await db.insertInto('conversations').values(toConversationTableRow(conversation)).execute();
    await db.insertInto('conversation_items').values(toConversationItemTableRow(conversationItem, 0)).execute();

    const store = new KyselyStore(db);
    await store.migrate();
    const bytesOf = (...values: unknown[]) => values.reduce<number>((sum, value) => sum + Buffer.byteLength(JSON.stringify(value)), 0);
    assert.equal(await store.getTenantStorage('acme'), bytesOf(response.request, response.response, item.item));
    assert.equal(await store.getTenantStorage('globex'), bytesOf(conversation.metadata, conversationItem.item));
    // And deleting gives exactly that back.
    assert.equal(await store.deleteResponse('acme', 'resp_1'), true);
    assert.equal(await store.deleteConversation('globex', 'conv_1'), true);
    assert.equal(await store.getTenantStorage('acme'), 0);
    assert.equal(await store.getTenantStorage('globex'), 0);
    await store.close();
  });
});

describe('KyselyStore.migrate on SQLite', () => {
  it('lets 4 processes opening one fresh file at once all migrate it (issue 19: "table already exists")', { timeout: 120_000 }, async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'crossway-migrate-race-'));
    try {
      const file = path.join(directory, 'crossway.db');
      const storeModule = new URL('./sqlite-store.ts', import.meta.url).href;
      // Each child opens the store, says so, and migrates when told: the 4 migrations start within a millisecond or so.
      const script = `
        import { openSqliteStore } from ${JSON.stringify(storeModule)};
        const store = await openSqliteStore(${JSON.stringify(file)});
        process.stdout.write('ready\\n');
        process.stdin.once('data', async () => {
          try {
            await store.migrate();
            process.stdout.write('version ' + (await store.schemaVersion()) + '\\n');
          } finally {
            await store.close();
            process.stdin.destroy();
          }
        });
      `;
      const children = Array.from({ length: 4 }, () => spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] }));
      const outputs = children.map((child) => collectOutput(child));
      // A child that fails to open ends instead: its output then says why.
      await Promise.all(children.map((child, index) => Promise.race([once(child.stdout, 'data'), outputs[index]])));
      for (const child of children) child.stdin.write('go\n');
      const results = await Promise.all(outputs);
      for (const result of results) {
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, new RegExp(`version ${latestMigration}`));
      }
      const store = await openSqliteStore(file);
      assert.equal(await store.schemaVersion(), latestMigration);
      await store.close();
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });

  it('rolls a failed migration back whole: the file is left as it was', async () => {
    const database = new DatabaseSync(':memory:');
    // A table the first migration creates, already there: the migration fails half way.
    database.exec('create table request_decisions (id text)');
    const store = new KyselyStore(new Kysely<StoreDatabase>({ dialect: createNodeSqliteDialect(database) }));
    await assert.rejects(store.migrate(), /request_decisions/);
    const tables = database.prepare("select name from sqlite_master where type = 'table' order by name").all();
    assert.deepEqual(
      tables.map((row) => row.name),
      ['request_decisions'],
    );
    await store.close();
  });
});

/** What a child process wrote and how it ended; rejects if it runs past 60 s. */
function collectOutput(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child still running after 60 s: ${stdout} ${stderr}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
