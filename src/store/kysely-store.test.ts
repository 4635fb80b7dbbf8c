import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { Kysely } from 'kysely';
import { KyselyStore } from './kysely-store.ts';
import { createNodeSqliteDialect } from './node-sqlite-dialect.ts';
import { makeResponseItem, makeStoredResponse } from './runtime-store.case.test.ts';
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
      await store.insertResponse(makeStoredResponse({ id, previous_response_id: previous }), [makeResponseItem(id, 'input', 0), makeResponseItem(id, 'output', 0)]);
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
