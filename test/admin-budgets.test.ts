// GET /admin/keys/{id}/budget and GET /admin/tenants/{id}/budget end to end: a budget's limit, spend and the
// reservations of calls in flight (a call held upstream), from the counters or else the ledger, under the admin
// access rules (master any, a tenant's admin only its own, 404 otherwise).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHeldUpstream, type HeldUpstream } from './support/start-held-upstream.ts';
import { DEFAULT_MODELS, defaultRoutes, startStack, type Stack } from './support/start-stack.ts';

const HELLO = [{ role: 'user' as const, content: 'Hello' }];
const MONTH_START = () => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
};

describe('budgets in the admin API', () => {
  let stack: Stack;
  let held: HeldUpstream;

  before(async () => {
    held = await startHeldUpstream();
    // A priced model whose one upstream holds every call until released: a call surely in flight while the test reads.
    const heldRoute = {
      id: 'held',
      model: 'held',
      provider: 'openai',
      endpoint: held.url,
      auth: { type: 'bearer', key: 'sk-held' },
      price: { input: 1, output: 1000, currency: 'USD' },
      timeout_ms: 600_000,
    };
    stack = await startStack({
      routes: (urls) => [...defaultRoutes(urls, { openai: 'sk-emulator-openai', azure: 'emulator-azure-key' }), heldRoute],
      models: [...DEFAULT_MODELS, { id: 'held' }],
    });
    for (const id of ['acme', 'beta']) {
      assert.equal((await stack.api('POST', '/admin/tenants', { id, name: id, budget: { limit: '25', period: 'day' } })).status, 201);
    }
  });
  after(async () => {
    held?.release();
    await stack?.close();
    await held?.close();
  });

  async function createKey(body: Record<string, unknown>): Promise<{ id: string; key: string }> {
    const created = await stack.api('POST', '/admin/keys', body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return { id: created.body.id, key: created.body.key };
  }

  async function charged(keyId: string): Promise<string> {
    const usage = await stack.api('GET', `/admin/usage?key=${keyId}&from=${encodeURIComponent(MONTH_START())}`);
    assert.equal(usage.status, 200);
    // Every route here is priced in USD: the total is in USD.
    return usage.body.total.charged;
  }

  it("shows a key's budget before any call, its spend after one, and the reservation of a call in flight", async () => {
    const { id, key } = await createKey({ tenant: 'acme', name: 'budgeted', budget: { limit: '5', currency: 'USD', period: 'month' } });
    const fresh = await stack.api('GET', `/admin/keys/${id}/budget`);
    assert.equal(fresh.status, 200);
    assert.deepEqual(fresh.body, {
      object: 'budget',
      tenant: 'acme',
      key: id,
      limit: '5.000000',
      currency: 'USD',
      period: 'month',
      period_start: MONTH_START(),
      period_end: fresh.body.period_end,
      spent: '0.000000',
      reserved: '0.000000',
      remaining: '5.000000',
      source: 'ledger',
    });
    assert.ok(Date.parse(fresh.body.period_end) > Date.now());

    await stack.clientFor(key).chat.completions.create({ model: 'via-openai', messages: HELLO });
    const spentAfter = await stack.api('GET', `/admin/keys/${id}/budget`);
    assert.equal(spentAfter.body.source, 'counters');
    assert.equal(spentAfter.body.reserved, '0.000000');
    assert.equal(spentAfter.body.spent, await charged(id), 'the spend is what the ledger charged');
    assert.ok(Number(spentAfter.body.spent) > 0);
    assert.equal(Number(spentAfter.body.remaining).toFixed(6), (5 - Number(spentAfter.body.spent)).toFixed(6));

    // In flight: admitted with its worst case reserved (100 output tokens at 1000 USD per 1M: 0.1 USD, plus its input).
    const arrived = held.arrival();
    const inFlight = stack.clientFor(key).chat.completions.create({ model: 'held', messages: HELLO, max_completion_tokens: 100 });
    await arrived;
    const during = await stack.api('GET', `/admin/keys/${id}/budget`);
    assert.equal(during.body.spent, spentAfter.body.spent);
    assert.ok(Number(during.body.reserved) >= 0.1 && Number(during.body.reserved) < 0.11, during.body.reserved);
    const remaining = 5 - Number(during.body.spent) - Number(during.body.reserved);
    assert.equal(Number(during.body.remaining).toFixed(6), remaining.toFixed(6));
    const tenantDuring = await stack.api('GET', '/admin/tenants/acme/budget');
    assert.equal(tenantDuring.status, 200);
    assert.equal(tenantDuring.body.reserved, during.body.reserved, "the tenant's budget holds the same reservation");
    assert.equal(tenantDuring.body.period, 'day');
    assert.equal(tenantDuring.body.key, null);

    held.release();
    await inFlight;
    const settled = await stack.api('GET', `/admin/keys/${id}/budget`);
    assert.equal(settled.body.reserved, '0.000000');
    assert.equal(settled.body.spent, await charged(id));
    assert.ok(Number(settled.body.spent) > Number(spentAfter.body.spent));
  });

  it('reads the spend from the ledger for a budget the counters do not hold, without changing anything', async () => {
    const { id, key } = await createKey({ tenant: 'beta', name: 'budget-later' });
    await stack.clientFor(key).chat.completions.create({ model: 'via-openai', messages: HELLO });
    const none = await stack.api('GET', `/admin/keys/${id}/budget`);
    assert.equal(none.status, 200);
    assert.equal(none.body.object, 'budget');
    assert.equal(none.body.key, id);
    for (const field of ['limit', 'currency', 'period', 'period_start', 'spent', 'reserved', 'remaining', 'source'])
      assert.equal(none.body[field], null, field);

    // A budget set after the spend: no admission has loaded it into the counters yet.
    assert.equal((await stack.api('PATCH', `/admin/keys/${id}`, { budget: { limit: '1', period: 'total' } })).status, 200);
    const later = await stack.api('GET', `/admin/keys/${id}/budget`);
    assert.deepEqual(
      [later.body.source, later.body.spent, later.body.reserved, later.body.period_start, later.body.period_end],
      ['ledger', await charged(id), '0.000000', null, null],
    );
    assert.ok(Number(later.body.spent) > 0);
  });

  it("lets a tenant's admin read only its own tenant's budgets: another's are 404, a plain key gets 403", async () => {
    const admin = await createKey({ tenant: 'acme', name: 'acme-admin', admin: true });
    const own = await createKey({ tenant: 'acme', name: 'acme-own', budget: { limit: '2' } });
    const other = await createKey({ tenant: 'beta', name: 'beta-other', budget: { limit: '2' } });
    assert.equal((await stack.api('GET', `/admin/keys/${own.id}/budget`, undefined, admin.key)).status, 200);
    assert.equal((await stack.api('GET', '/admin/tenants/acme/budget', undefined, admin.key)).status, 200);
    for (const path of [`/admin/keys/${other.id}/budget`, '/admin/tenants/beta/budget', '/admin/keys/key_000000000000000000000000/budget']) {
      const answer = await stack.api('GET', path, undefined, admin.key);
      assert.equal(answer.status, 404, path);
      assert.equal(typeof answer.body.error.message, 'string');
    }
    assert.equal((await stack.api('GET', '/admin/tenants/missing/budget')).status, 404);
    assert.equal((await stack.api('GET', `/admin/keys/${own.id}/budget`, undefined, own.key)).status, 403);
    assert.equal((await stack.api('GET', `/admin/keys/${other.id}/budget`)).status, 200, 'the master key reads any');
  });
});
