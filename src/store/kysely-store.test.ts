import { DatabaseSync } from 'node:sqlite';
import { Kysely } from 'kysely';
import { KyselyStore } from './kysely-store.ts';
import { createNodeSqliteDialect } from './node-sqlite-dialect.ts';
import type { StoreDatabase } from './store-database.ts';
import { runStoreTests } from './store.case.test.ts';

// The plain Kysely paths (transactions, executeWrites, commitLedgerEntries), which SqliteStore replaces with its write
// worker: these are the ones the PostgreSQL store will run.
runStoreTests({
  name: 'KyselyStore (node:sqlite :memory:)',
  open: async () => new KyselyStore(new Kysely<StoreDatabase>({ dialect: createNodeSqliteDialect(new DatabaseSync(':memory:')) })),
});
