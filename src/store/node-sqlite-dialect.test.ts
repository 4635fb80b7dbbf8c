import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { Kysely, sql } from 'kysely';
import { createNodeSqliteDialect } from './node-sqlite-dialect.ts';

interface TestDatabase {
  item: { id: number; name: string; flag: number; data: Uint8Array | null };
}

function openTestDatabase() {
  const database = new DatabaseSync(':memory:');
  const db = new Kysely<TestDatabase>({ dialect: createNodeSqliteDialect(database) });
  return { database, db };
}

describe('createNodeSqliteDialect', () => {
  it('runs writes, reads, RETURNING and streaming through Kysely', async () => {
    const { db } = openTestDatabase();
    await sql`create table item (id integer primary key, name text not null, flag integer not null, data blob)`.execute(db);

    const inserted = await db
      .insertInto('item')
      .values([
        { id: 1, name: 'one', flag: 1, data: new Uint8Array([1, 2]) },
        { id: 2, name: 'two', flag: 0, data: null },
      ])
      .executeTakeFirst();
    assert.equal(inserted.numInsertedOrUpdatedRows, 2n);
    assert.equal(inserted.insertId, 2n);

    // RETURNING turns a write into a reader: rows must come back, not a change count.
    const returned = await db.insertInto('item').values({ id: 3, name: 'three', flag: 1, data: null }).returning(['id', 'name']).execute();
    assert.deepEqual(
      returned.map((row) => ({ ...row })),
      [{ id: 3, name: 'three' }],
    );

    const updated = await db.updateTable('item').set({ name: 'uno' }).where('id', '=', 1).executeTakeFirst();
    assert.equal(updated.numUpdatedRows, 1n);

    const streamed: string[] = [];
    for await (const row of db.selectFrom('item').select('name').orderBy('id').stream()) streamed.push(row.name);
    assert.deepEqual(streamed, ['uno', 'two', 'three']);

    const blob = await db.selectFrom('item').select('data').where('id', '=', 1).executeTakeFirstOrThrow();
    assert.deepEqual(blob.data, new Uint8Array([1, 2]));
    await db.destroy();
  });

  it('binds booleans as 0/1 and refuses objects node:sqlite would misread as named parameters', async () => {
    const { db } = openTestDatabase();
    const { rows } = await sql<{ yes: number; no: number }>`select ${true} as yes, ${false} as no`.execute(db);
    assert.deepEqual({ ...rows[0] }, { yes: 1, no: 0 });
    await assert.rejects(sql`select ${new Date()} as at`.execute(db), TypeError);
    await assert.rejects(sql`select ${{ a: 1 }} as bag`.execute(db), TypeError);
    await db.destroy();
  });

  it('closes the database when Kysely is destroyed', async () => {
    const { database, db } = openTestDatabase();
    await sql`select 1`.execute(db);
    await db.destroy();
    assert.equal(database.isOpen, false);
  });
});
