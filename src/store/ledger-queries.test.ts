// The ledger's Kysely queries on PostgreSQL: the ledger part of the Store contract, as KyselyStore runs it there.
import { after, describe } from 'node:test';
import { runLedgerStoreTests } from './ledger-store.case.test.ts';
import { skipWithoutPostgres } from './test-backends.ts';
import { createTestPostgresDatabase, type TestPostgresDatabase } from './test-postgres-kysely-store.ts';

// (On SQLite the same queries run in kysely-store.test.ts, with the whole contract.)
describe('Store contract, ledger: KyselyStore (PostgreSQL)', { skip: skipWithoutPostgres }, () => {
  const databases: TestPostgresDatabase[] = [];
  after(async () => {
    await Promise.all(databases.map((database) => database.schema.drop()));
  });
  // Every test gets an empty schema; a pool of four connections lets concurrent commits run at once.
  runLedgerStoreTests(async () => {
    const database = await createTestPostgresDatabase('ledger');
    databases.push(database);
    return database.openStore(4);
  });
});
