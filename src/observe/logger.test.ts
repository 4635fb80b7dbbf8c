import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, secretKeys } from './logger.ts';

const canary = 'sk-canary-7f3a9c';

function captureLogger(level: 'info' | 'debug' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines, output: () => lines.join('') };
}

describe('createLogger', () => {
  it('writes JSON lines at the chosen level', () => {
    const { logger, lines } = captureLogger();
    logger.debug('hidden');
    logger.info({ route: 'azure-eastus', status: 200 }, 'request done');
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0] ?? '');
    assert.equal(line.msg, 'request done');
    assert.equal(line.route, 'azure-eastus');
    assert.equal(line.level, 30);
  });

  it('never writes a secret, wherever it sits within two levels', () => {
    const { logger, lines, output } = captureLogger();
    const cases: Record<string, object> = {
      'incoming request headers': { req: { method: 'POST', headers: { authorization: `Bearer ${canary}`, cookie: `s=${canary}` } } },
      'azure api-key header': { upstream: { headers: { 'api-key': canary, 'x-api-key': canary } } },
      'top-level fields': { apiKey: canary, api_key: canary, token: canary, password: canary, 'x-goog-api-key': canary },
      'route credentials': { route: { auth: { type: 'api-key', key: canary }, secret: canary } },
      'gateway master key': { server: { master_key: canary } },
      'entra and aws credentials': { credentials: { azure: { client_secret: canary }, aws: { secretAccessKey: canary, sessionToken: canary } } },
      'oauth tokens': { oauth: { access_token: canary, refresh_token: canary } },
      'headers in a list of attempts': { attempts: [{ authorization: canary }] },
    };
    for (const [name, fields] of Object.entries(cases)) logger.info(fields, name);
    logger.child({ tenant: { apiKey: canary } }).info('child bindings');
    logger.error({ err: Object.assign(new Error('upstream failed'), { config: { token: canary } }) }, 'error fields');

    assert.equal(lines.length, Object.keys(cases).length + 2);
    assert.ok(!output().includes(canary), `a secret leaked:\n${output()}`);
    const first = JSON.parse(lines[0] ?? '');
    assert.equal(first.req.headers.authorization, '[redacted]');
    assert.equal(first.req.method, 'POST');
  });

  it('redacts every key in secretKeys at each depth', () => {
    const { logger, output } = captureLogger();
    for (const key of secretKeys) {
      logger.info({ [key]: canary, a: { [key]: canary }, b: { c: { [key]: canary } } });
    }
    assert.ok(!output().includes(canary));
  });

  it('leaves the logged object itself untouched', () => {
    const { logger } = captureLogger();
    const headers = { authorization: `Bearer ${canary}` };
    logger.info({ req: { headers } });
    assert.equal(headers.authorization, `Bearer ${canary}`);
  });
});
