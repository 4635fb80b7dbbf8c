// `crossway tenants|keys …` as an operator runs them against a running gateway: the CLI in process where only its output
// matters, and the real binary once, for its exit code and stderr.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { runCrossway, runCrosswayInProcess } from './support/run-crossway.ts';
import { startStack, type Stack } from './support/start-stack.ts';

describe('crossway keys and tenants', () => {
  let stack: Stack;
  let connection: string[];
  before(async () => {
    stack = await startStack();
    connection = ['--url', stack.url, '--master-key', stack.masterKey];
  });
  after(() => stack.close());

  it('creates a tenant and a key with models, budget and rpm; lists, rotates and revokes it', async () => {
    const tenant = await runCrosswayInProcess(['tenants', 'create', '--id', 'cli-co', '--name', 'CLI Co', ...connection]);
    assert.equal(tenant.code, 0, tenant.stderr);
    const created = await runCrosswayInProcess([
      'keys',
      'create',
      '--tenant',
      'cli-co',
      '--models',
      'gpt-5.5',
      '--budget',
      '25/month',
      '--rpm',
      '60',
      '--json',
      ...connection,
    ]);
    assert.equal(created.code, 0, created.stderr);
    const key = JSON.parse(created.stdout) as {
      id: string;
      key: string;
      models: string[];
      rpm: number;
      budget: { limit: string; currency: string; period: string };
    };
    assert.deepEqual(key.models, ['gpt-5.5']);
    assert.equal(key.rpm, 60);
    assert.equal(key.budget.period, 'month');
    assert.equal(key.budget.currency, 'USD');
    assert.equal(Number(key.budget.limit), 25);
    const client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: key.key, maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'from the CLI' }] });

    const listed = await runCrosswayInProcess(['keys', 'list', '--tenant', 'cli-co', ...connection]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${key.id}\\s+cli-co`));
    assert.ok(!listed.stdout.includes(key.key), 'the secret is not listed');

    const rotated = await runCrosswayInProcess(['keys', 'rotate', key.id, ...connection]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const fresh = rotated.stdout.split('\n').find((line) => line.startsWith('sk-cw-'));
    assert.ok(fresh !== undefined && fresh !== key.key);
    await assert.rejects(client.models.list(), (error: unknown) => error instanceof OpenAI.AuthenticationError);

    const revoked = await runCrosswayInProcess(['keys', 'revoke', key.id, ...connection]);
    assert.equal(revoked.code, 0, revoked.stderr);
    await assert.rejects(
      new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: fresh, maxRetries: 0 }).models.list(),
      (error: unknown) => error instanceof OpenAI.AuthenticationError,
    );
  });

  it('reports an API refusal and a bad command line with exit code 2', async () => {
    // The real binary: its exit code and stderr as a shell sees them.
    const unknownTenant = await runCrossway(['keys', 'create', '--tenant', 'nobody', ...connection]);
    assert.equal(unknownTenant.code, 2);
    assert.match(unknownTenant.stderr, /404/);
    const missing = await runCrosswayInProcess(['keys', 'create', ...connection]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--tenant/);
    const badBudget = await runCrosswayInProcess(['keys', 'create', '--tenant', 'cli-co', '--budget', 'lots', ...connection]);
    assert.equal(badBudget.code, 2);
  });
});
