// PostgresTextPlugin compiles every string parameter without NUL (no database needed: the compiled query is read).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import { NUL_REPLACEMENT, PostgresTextPlugin, replaceNul } from './postgres-text-plugin.ts';

interface Database {
  items: { id: string; body: string; size: number };
}

const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (inner) => new PostgresIntrospector(inner),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
  plugins: [new PostgresTextPlugin()],
});

describe('PostgresTextPlugin', () => {
  it('replaces NUL in where clauses, inserted rows, in-lists and raw sql parameters', () => {
    const lookup = db.selectFrom('items').selectAll().where('id', '=', 'req_\u0000x').compile();
    assert.deepEqual(lookup.parameters, [`req_${NUL_REPLACEMENT}x`]);
    const insert = db
      .insertInto('items')
      .values([
        { id: 'a', body: 'x\u0000y', size: 1 },
        { id: 'b\u0000', body: 'plain', size: 2 },
      ])
      .compile();
    assert.deepEqual(insert.parameters, ['a', `x${NUL_REPLACEMENT}y`, 1, `b${NUL_REPLACEMENT}`, 'plain', 2]);
    const list = db.selectFrom('items').selectAll().where('id', 'in', ['ok', '\u0000']).compile();
    assert.deepEqual(list.parameters, ['ok', NUL_REPLACEMENT]);
    const raw = sql`select ${'\u0000'}::text`.compile(db);
    assert.deepEqual(raw.parameters, [NUL_REPLACEMENT]);
  });

  it('leaves values without NUL, numbers, buffers and JSON text as they are', () => {
    const json = JSON.stringify({ text: 'a\u0000b' });
    const compiled = db.insertInto('items').values({ id: 'id', body: json, size: 3 }).compile();
    assert.deepEqual(compiled.parameters, ['id', json, 3]);
    const buffer = Buffer.from([0, 1]);
    assert.equal(replaceNul(buffer), buffer);
    assert.equal(replaceNul(7), 7);
  });
});
