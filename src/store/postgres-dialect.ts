// Kysely's PostgresDialect with an introspector that sees only the connection's own schema, for the Migrator's checks.
import { PostgresDialect, sql, type DatabaseIntrospector, type Kysely, type SchemaMetadata, type TableMetadata } from 'kysely';
import type pg from 'pg';

/**
 * A PostgresDialect on `pool` whose introspection (what Kysely's Migrator asks before migrating: do the schema and its
 * tables exist?) reads the catalog of `current_schema()` only. Kysely's own introspector reads every column of every
 * table in every schema of the database: slow on a shared server, and it fails ("schema ... does not exist") when
 * another schema is dropped while it runs, as other installations and test runs on the same server do.
 */
export function createPostgresDialect(pool: pg.Pool): PostgresDialect {
  return new CurrentSchemaPostgresDialect({ pool });
}

class CurrentSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}

class CurrentSchemaIntrospector implements DatabaseIntrospector {
  readonly #db: Kysely<unknown>;

  constructor(db: Kysely<unknown>) {
    this.#db = db;
  }

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select current_schema() as name`.execute(this.#db);
    return rows.filter((row) => row.name !== null).map((row) => ({ name: row.name }));
  }

  /** The tables of the current schema, without their columns (nothing here reads them). */
  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string }>`
      select table_name as name, table_schema as schema from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE'
      order by table_name`.execute(this.#db);
    return rows.map((row) => ({ name: row.name, schema: row.schema, isView: false, isForeign: false, columns: [] }));
  }
}
