// Versioned schema changes, applied in name order by Kysely's Migrator; one set for every SQL backend, so only portable column types.
import type { Kysely } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';

// Migrations are frozen history: they take `Kysely<any>` on purpose, never today's StoreDatabase type.
/** Every migration by name; names sort in version order (`0001_...`, `0002_...`). Never edit one that has shipped: add the next. */
export const storeMigrations: Readonly<Record<string, Migration>> = {
  '0001_request_log': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('request_log')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('endpoint', 'text', (column) => column.notNull())
        .addColumn('model', 'text', (column) => column.notNull())
        .addColumn('route', 'text')
        .addColumn('attempts', 'integer', (column) => column.notNull())
        .addColumn('status', 'integer', (column) => column.notNull())
        .addColumn('error_code', 'text')
        .addColumn('stream', 'boolean', (column) => column.notNull())
        .addColumn('prompt_tokens', 'integer')
        .addColumn('completion_tokens', 'integer')
        .addColumn('cached_tokens', 'integer')
        .addColumn('duration_ms', 'integer', (column) => column.notNull())
        .addColumn('ttfb_ms', 'integer')
        .execute();
      // Serves the newest-first listing and its (created_at, id) cursor.
      await db.schema.createIndex('request_log_created_at_id').on('request_log').columns(['created_at', 'id']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('request_log').execute();
    },
  },
  '0002_decisions': {
    async up(db: Kysely<any>) {
      // The record is JSON in a text column: it is only ever read whole, by id, and text is portable to every backend.
      await db.schema
        .createTable('decisions')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('model', 'text', (column) => column.notNull())
        .addColumn('record', 'text', (column) => column.notNull())
        .execute();
      // Serves the retention prune (delete where created_at < cutoff).
      await db.schema.createIndex('decisions_created_at').on('decisions').column('created_at').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('decisions').execute();
    },
  },
};

/** Serves `storeMigrations` to Kysely's Migrator (migrations live in code, not in a folder read at run time). */
export const storeMigrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...storeMigrations }),
};
