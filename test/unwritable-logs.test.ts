// A request log or decision log its store refuses to take (a row the database rejects, a store that stays down) must
// not keep the gateway from shutting down: close() still closes the store and everything else, and says rows were lost.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildCatalog } from '../src/catalog/index.ts';
import { startEmulators } from '../src/emulators/index.ts';
import { startGateway } from '../src/server/index.ts';
import { openSqliteStore } from '../src/store/index.ts';

const MASTER_KEY = 'sk-cw-test-master-key-unwritable';
const OPENAI_KEY = 'sk-emulator-openai';

describe('logs the store refuses at shutdown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crossway-unwritable-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('close() resolves, closing what follows the logs, and logs that their rows were lost', async () => {
    const emulators = await startEmulators({ basePort: 0, only: ['openai'], openai: { apiKeys: [OPENAI_KEY] } });
    const store = await openSqliteStore(join(dir, 'crossway.db'));
    await store.migrate();
    // The real store, except that it refuses every request-log and decision batch, as PostgreSQL refuses a bad row.
    const refusing = new Proxy(store, {
      get(target, name, receiver) {
        if (name === 'insertRequestLogs' || name === 'insertDecisions') return async () => Promise.reject(new Error('invalid byte sequence'));
        const value = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    let logs = '';
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        logs += String(chunk);
        callback();
      },
    });
    const catalog = buildCatalog(
      {
        server: { host: '127.0.0.1', port: 0, master_key: MASTER_KEY },
        store: { sqlite: join(dir, 'unused.db') },
        models: [{ id: 'via-openai' }],
        routes: [
          {
            id: 'openai-only',
            model: 'via-openai',
            provider: 'openai',
            endpoint: `${emulators.emulators.openai!.url}/v1`,
            deployment: 'gpt-5.5',
            auth: { type: 'bearer', key: OPENAI_KEY },
            price: { input: 5, cached_input: 0.5, output: 30, currency: 'USD' },
          },
        ],
      },
      'unwritable logs test',
      { env: {} },
    );
    const gateway = await startGateway({ catalog, store: refusing, logger: pino({ level: 'info' }, sink) });
    try {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'via-openai', messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(response.status, 200, await response.text());
      await gateway.close({ graceMs: 100 });
      assert.match(logs, /the request log could not be written at shutdown/);
    } finally {
      await store.close();
      await emulators.close();
    }
  });
});
