// Lets Kysely's SqliteDialect drive Node's built-in node:sqlite (no native addon) by giving DatabaseSync the better-sqlite3 shape it expects.
import { SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';

/** A Kysely dialect on an open node:sqlite database; destroying the Kysely instance closes the database. */
export function createNodeSqliteDialect(database: DatabaseSync): SqliteDialect {
  return new SqliteDialect({ database: adaptNodeSqliteDatabase(database) });
}

function adaptNodeSqliteDatabase(database: DatabaseSync): SqliteDatabase {
  return {
    close() {
      if (database.isOpen) database.close();
    },
    prepare(sql: string): SqliteStatement {
      const statement = database.prepare(sql);
      return {
        // node:sqlite has no `reader` flag: a statement yields rows exactly when it has result columns (SELECT, RETURNING, most PRAGMAs).
        reader: statement.columns().length > 0,
        all: (parameters) => statement.all(...toSqliteParameters(parameters)),
        run: (parameters) => statement.run(...toSqliteParameters(parameters)),
        iterate: (parameters) => statement.iterate(...toSqliteParameters(parameters)),
      };
    },
  };
}

function toSqliteParameters(parameters: ReadonlyArray<unknown>): SQLInputValue[] {
  return parameters.map((value) => {
    // Node before 24 refuses to bind booleans; SQLite stores them as 0/1 anyway.
    if (typeof value === 'boolean') return value ? 1 : 0;
    // node:sqlite would read a plain object in first position as a bag of named parameters and bind the rest as NULL, silently.
    if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
      throw new TypeError(`cannot bind ${Object.prototype.toString.call(value)} to a SQLite parameter`);
    }
    return value as SQLInputValue;
  });
}
