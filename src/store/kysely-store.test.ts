import assert from 'node:assert/strict';
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
