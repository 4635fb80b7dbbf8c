// A gateway whose configuration names PostgreSQL (store.postgres): it migrates the schema at start, records a call in
// the PostgreSQL ledger, and its /readyz fails within seconds when the server stops answering, then recovers.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import pg from 'pg';
import { pino } from 'pino';
import { buildCatalog } from '../src/catalog/index.ts';
import { startEmulators } from '../src/emulators/index.ts';
import { startGateway, type RunningGateway } from '../src/server/index.ts';
import { createTestSchema, skipWithoutPostgres, type TestSchema } from '../src/store/test-backends.ts';
import { startPostgresProxy, type PostgresProxy } from '../src/store/test-postgres-proxy.ts';

const MASTER_KEY = 'sk-cw-test-master-key-postgres';
const OPENAI_KEY = 'sk-emulator-openai';
// Trust authentication ignores it; it stands for a real password that must not reach a client or a log.
const CANARY_PASSWORD = 'canary-Pa55word';

describe('a gateway on PostgreSQL', { skip: skipWithoutPostgres }, () => {
  let schema: TestSchema;
  let proxy: PostgresProxy;
  let emulators: Awaited<ReturnType<typeof startEmulators>>;
  let gateway: RunningGateway;
  let logs = '';

  before(async () => {
    schema = await createTestSchema('gateway');
    proxy = await startPostgresProxy(schema.url);
    const url = new URL(proxy.url);
    url.password = CANARY_PASSWORD;
    emulators = await startEmulators({ basePort: 0, only: ['openai'], openai: { apiKeys: [OPENAI_KEY] } });
    const openaiUrl = emulators.emulators.openai!.url;
    const catalog = buildCatalog(
      {
        server: { host: '127.0.0.1', port: 0, master_key: MASTER_KEY },
        store: { postgres: url.toString(), pool_size: 4 },
        models: [{ id: 'via-openai' }],
        routes: [
          {
            id: 'openai-only',
            model: 'via-openai',
            provider: 'openai',
            endpoint: `${openaiUrl}/v1`,
            deployment: 'gpt-5.5',
            auth: { type: 'bearer', key: OPENAI_KEY },
            price: { input: 5, cached_input: 0.5, output: 30, currency: 'USD' },
          },
        ],
      },
      'postgres gateway test',
      { env: {} },
    );
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        logs += String(chunk);
        callback();
      },
    });
    gateway = await startGateway({ catalog, logger: pino({ level: 'debug' }, sink) });
  });

  after(async () => {
    proxy?.resume();
    await gateway?.close();
    await emulators?.close();
    await proxy?.close();
    await schema?.drop();
  });

  it('migrates the schema at start and records a call in the PostgreSQL ledger before answering', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0, timeout: 20_000 });
    const completion = await client.chat.completions.create({ model: 'via-openai', messages: [{ role: 'user', content: 'hello' }] });
    assert.ok(completion.usage !== undefined);
    const database = new pg.Client({ connectionString: schema.url });
    await database.connect();
    try {
      const { rows } = await database.query<{ route: string; input_tokens: number }>('select route, input_tokens from usage_events');
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.route, 'openai-only');
      assert.equal(rows[0]?.input_tokens, completion.usage?.prompt_tokens);
    } finally {
      await database.end();
    }
  });

  it('fails /readyz within seconds when PostgreSQL stops answering, naming no credential, and is ready again after', async () => {
    assert.equal((await fetch(`${gateway.url}/readyz`)).status, 200);
    proxy.pause();
    const started = performance.now();
    const cut = await fetch(`${gateway.url}/readyz`);
    const elapsed = performance.now() - started;
    const body = (await cut.json()) as { status: string; checks: Record<string, string> };
    assert.equal(cut.status, 503);
    assert.equal(body.status, 'not_ready');
    assert.match(body.checks.store ?? '', /^unreachable: PostgreSQL unreachable: PostgreSQL did not answer within 1500 ms$/);
    // The ping's bound is 1.5 s; generous here, as the machine is shared: the point is not a TCP timeout of minutes.
    assert.ok(elapsed < 5_000, `readyz took ${Math.round(elapsed)} ms`);
    proxy.resume();
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) status = (await fetch(`${gateway.url}/readyz`)).status;
    assert.equal(status, 200);
    assert.doesNotMatch(logs, new RegExp(CANARY_PASSWORD));
  });
});
