// The dashboard's admin read APIs end to end over a real gateway and emulators: the request log with who made each
// request and what explains it (GET /admin/requests, /admin/requests/:id), stats over a window (GET /admin/stats),
// the plan explorer (POST /admin/plan), ledger balances and statement downloads, a tenant's admin confined to its tenant, and every bad query parameter a 400
// in OpenAI's error shape.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { explainPlan, planQuestion } from '../src/calls/index.ts';
import { parseMoney } from '../src/metering/index.ts';
import { startStack, type Stack } from './support/start-stack.ts';

describe('admin read APIs', () => {
  let stack: Stack;
  let acmeKey: { id: string; key: string };
  let acmeAdmin: { id: string; key: string };
  const requestIds: Record<string, string> = {};

  before(async () => {
    stack = await startStack();
    for (const id of ['acme', 'globex']) assert.equal((await stack.api('POST', '/admin/tenants', { id, name: id })).status, 201);
    acmeKey = (await stack.api('POST', '/admin/keys', { tenant: 'acme', name: 'app' })).body;
    acmeAdmin = (await stack.api('POST', '/admin/keys', { tenant: 'acme', name: 'ops', admin: true })).body;
    const globexKey = (await stack.api('POST', '/admin/keys', { tenant: 'globex', name: 'app' })).body;

    const acme = stack.clientFor(acmeKey.key);
    const chat = await acme.chat.completions.create({ model: 'via-openai', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
    requestIds.chat = chat.response.headers.get('x-request-id') ?? '';
    requestIds.chatDecision = chat.response.headers.get('x-crossway-decision') ?? '';
    const stream = await acme.chat.completions
      .create({ model: 'via-azure-v1', messages: [{ role: 'user', content: 'stream please' }], stream: true })
      .withResponse();
    for await (const _chunk of stream.data) {
      // Read to the end.
    }
    requestIds.stream = stream.response.headers.get('x-request-id') ?? '';
    await assert.rejects(acme.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }));
    const globex = await stack
      .clientFor(globexKey.key)
      .chat.completions.create({ model: 'via-openai', messages: [{ role: 'user', content: 'other tenant' }] })
      .withResponse();
    requestIds.globex = globex.response.headers.get('x-request-id') ?? '';
    await stack.client.chat.completions.create({ model: 'via-openai', messages: [{ role: 'user', content: 'master' }] });
    await stack.gateway.requestLog.flush();
  });
  after(() => stack.close());

  it('lists the request log newest first with tenant, key, decision, provider and route on every row', async () => {
    const listed = await stack.api('GET', '/admin/requests?limit=200');
    assert.equal(listed.status, 200);
    assert.equal(listed.body.object, 'list');
    assert.equal(listed.body.has_more, false);
    const rows = listed.body.data as Record<string, unknown>[];
    assert.equal(rows.length, 5);
    const chat = rows.find((row) => row.id === requestIds.chat)!;
    assert.equal(chat.tenant_id, 'acme');
    assert.equal(chat.key_id, acmeKey.id);
    assert.equal(chat.decision_id, requestIds.chatDecision);
    assert.equal(chat.route, 'openai-only');
    assert.equal(chat.provider, 'openai');
    assert.equal(chat.status, 200);
    assert.equal(chat.stream, false);
    assert.equal(typeof chat.duration_ms, 'number');
    assert.ok('upstream_ms' in chat && 'ttfb_ms' in chat && 'cached_tokens' in chat);
    const stream = rows.find((row) => row.id === requestIds.stream)!;
    assert.equal(stream.stream, true);
    assert.equal(stream.provider, 'azure');
    const master = rows[0]!;
    assert.equal(master.tenant_id, 'default');
    assert.equal(master.key_id, null);
    const failed = rows.find((row) => row.model === 'no-such-model')!;
    assert.equal(failed.status, 404);
    assert.equal(failed.route, null);
    const times = rows.map((row) => String(row.created_at));
    assert.deepEqual(times, times.toSorted().toReversed());
  });

  it('filters by tenant, key, model, route, status and time, and pages with after and has_more', async () => {
    const ids = async (query: string) => ((await stack.api('GET', `/admin/requests?${query}`)).body.data as { id: string }[]).map((row) => row.id);
    assert.deepEqual((await ids('tenant_id=acme')).length, 3);
    assert.deepEqual((await ids(`key_id=${acmeKey.id}&status=2xx`)).sort(), [requestIds.chat, requestIds.stream].sort());
    assert.deepEqual(await ids('status=404'), await ids('model=no-such-model'));
    assert.deepEqual(await ids('route=openai-only&tenant_id=globex'), [requestIds.globex]);
    assert.deepEqual(await ids('since=2000-01-01&until=2000-01-02'), []);
    const first = await stack.api('GET', '/admin/requests?tenant_id=acme&limit=2');
    assert.equal(first.body.data.length, 2);
    assert.equal(first.body.has_more, true);
    const second = await stack.api('GET', `/admin/requests?tenant_id=acme&limit=2&after=${first.body.last_id}`);
    assert.equal(second.body.data.length, 1);
    assert.equal(second.body.has_more, false);
    assert.deepEqual(
      [...first.body.data, ...second.body.data].map((row: { id: string }) => row.id),
      await ids('tenant_id=acme'),
    );
  });

  it('answers one request with its decision and its usage events', async () => {
    const found = await stack.api('GET', `/admin/requests/${requestIds.chat}`);
    assert.equal(found.status, 200);
    assert.equal(found.body.request.id, requestIds.chat);
    assert.equal(found.body.decision.id, requestIds.chatDecision);
    assert.equal(found.body.decision.kept[0].route, 'openai-only');
    assert.equal(found.body.usage.length, 1);
    const [usage] = found.body.usage;
    assert.equal(usage.route, 'openai-only');
    assert.equal(usage.currency, 'USD');
    assert.match(usage.cost, /^\d+\.\d{6}$/);
    assert.ok(usage.input_tokens > 0 && usage.output_tokens > 0);
    const missing = await stack.api('GET', '/admin/requests/req_nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'request_not_found');
  });

  it("confines a tenant's admin to its own tenant: another tenant's rows, request and stats are not there", async () => {
    const own = await stack.api('GET', '/admin/requests', undefined, acmeAdmin.key);
    assert.equal(own.status, 200);
    assert.ok(own.body.data.length === 3 && own.body.data.every((row: { tenant_id: string }) => row.tenant_id === 'acme'));
    assert.equal((await stack.api('GET', '/admin/requests?tenant_id=globex', undefined, acmeAdmin.key)).status, 404);
    assert.equal((await stack.api('GET', `/admin/requests/${requestIds.globex}`, undefined, acmeAdmin.key)).status, 404);
    assert.equal((await stack.api('GET', `/admin/requests/${requestIds.chat}`, undefined, acmeAdmin.key)).status, 200);
    const stats = await stack.api('GET', '/admin/stats?window=15m', undefined, acmeAdmin.key);
    assert.equal(stats.body.totals.requests, 3);
    assert.equal((await stack.api('GET', '/admin/stats?tenant_id=globex', undefined, acmeAdmin.key)).status, 404);
    assert.equal((await stack.api('GET', '/admin/requests', undefined, acmeKey.key)).status, 403);
  });

  it('answers stats over a window in aligned buckets: counts, errors, percentiles, tokens and cost per currency', async () => {
    const stats = await stack.api('GET', '/admin/stats?window=15m');
    assert.equal(stats.status, 200);
    assert.equal(stats.body.window, '15m');
    assert.equal(stats.body.bucket_seconds, 30);
    assert.equal(stats.body.buckets.length, 30);
    assert.equal(stats.body.sampled, false);
    const { totals } = stats.body;
    assert.equal(totals.requests, 5);
    assert.equal(totals.errors, 1);
    assert.ok(totals.p50_ms !== null && totals.p50_ms <= totals.p95_ms && totals.p95_ms <= totals.p99_ms);
    assert.ok(totals.input_tokens > 0 && totals.output_tokens > 0);
    assert.match(totals.cost.USD, /^\d+\.\d{6}$/);
    const usage = await stack.api('GET', '/admin/usage');
    assert.equal(totals.cost.USD, usage.body.total.cost);
    assert.equal(
      stats.body.buckets.reduce((sum: number, bucket: { requests: number }) => sum + bucket.requests, 0),
      5,
    );
    for (const [index, bucket] of stats.body.buckets.entries()) {
      assert.equal(Date.parse(bucket.t) % 30_000, 0);
      if (index > 0) assert.equal(Date.parse(bucket.t) - Date.parse(stats.body.buckets[index - 1].t), 30_000);
    }
    assert.ok(Date.parse(stats.body.buckets.at(-1).t) <= Date.now());
    assert.equal((await stack.api('GET', '/admin/stats?window=7d')).body.buckets.length, 84);
  });

  it('logs a Responses call and a call every route failed with their decision, provider and tenant too', async () => {
    const acme = stack.clientFor(acmeKey.key);
    const turn = await acme.responses.create({ model: 'via-azure-v1', input: 'a turn' }).withResponse();
    await stack.fault('openai', { status: 500 });
    const failed = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${acmeKey.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'via-openai', messages: [{ role: 'user', content: 'fail' }] }),
    });
    await failed.text();
    await stack.clearFaults();
    assert.ok(failed.status >= 500);
    await stack.gateway.requestLog.flush();
    const logged = await stack.api('GET', `/admin/requests/${turn.response.headers.get('x-request-id')}`);
    assert.equal(logged.body.request.endpoint, 'responses');
    assert.equal(logged.body.request.provider, 'azure');
    assert.equal(logged.body.request.tenant_id, 'acme');
    assert.equal(logged.body.request.decision_id, turn.response.headers.get('x-crossway-decision'));
    const failedRow = (await stack.api('GET', `/admin/requests/${failed.headers.get('x-request-id')}`)).body.request;
    assert.equal(failedRow.status, failed.status);
    assert.match(failedRow.decision_id ?? '', /^dec_/);
    assert.equal(failedRow.key_id, acmeKey.id);
    // The route its last attempt asked, so that a route's failures can be listed by it.
    assert.match(failedRow.route ?? '', /openai/);
    assert.equal(failedRow.provider, 'openai');
    const byRoute = await stack.api('GET', `/admin/requests?route=${encodeURIComponent(failedRow.route)}&status=5xx`);
    assert.ok(byRoute.body.data.some((row: { id: string }) => row.id === failedRow.id));
  });

  it('refuses bad query parameters with a 400 in OpenAI error shape, naming the parameter', async () => {
    for (const [query, param] of [
      ['limit=201', 'limit'],
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['status=abc', 'status'],
      ['status=6xx', 'status'],
      ['since=yesterday', 'since'],
      [`model=${'m'.repeat(300)}`, 'model'],
      ['after=req_unknown', 'after'],
    ] as const) {
      const answer = await stack.api('GET', `/admin/requests?${query}`);
      assert.equal(answer.status, 400, query);
      assert.equal(answer.body.error.type, 'invalid_request_error');
      assert.equal(answer.body.error.param, param, query);
      assert.ok(JSON.stringify(answer.body).length < 1_000);
    }
    const window = await stack.api('GET', '/admin/stats?window=2d');
    assert.equal(window.status, 400);
    assert.equal(window.body.error.param, 'window');
  });
});

describe('POST /admin/plan', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('answers the plan crossway plan --json prints: kept routes in order, rejected ones with their reasons', async () => {
    const answer = await stack.api('POST', '/admin/plan', { model: 'gpt-5.5', provider: 'openai', date: '2026-06-01' });
    assert.equal(answer.status, 200);
    const expected = explainPlan(
      planQuestion(stack.catalog, { model: 'gpt-5.5', constraints: { providers: { only: ['openai'] } }, capabilities: [], at: new Date('2026-06-01') })!,
    );
    assert.deepEqual({ ...answer.body, id: null }, { ...JSON.parse(JSON.stringify(expected)), id: null });
    assert.deepEqual(
      answer.body.kept.map((entry: { route: string }) => entry.route),
      ['openai-global-gpt-5.5'],
    );
    assert.equal(answer.body.at, '2026-06-01T00:00:00.000Z');
    assert.equal(answer.body.attempts, undefined);
    const rejected = answer.body.rejected.map((entry: { route: string; reasons: { code: string }[] }) => [entry.route, entry.reasons.length > 0]);
    assert.deepEqual(rejected.sort(), [
      ['azure-eastus2-gpt-5.5', true],
      ['azure-swedencentral-gpt-5.5', true],
    ]);
  });

  it("applies a tenant's routing policy, and confines a tenant's admin to its own", async () => {
    const policy = { providers: { only: ['azure'] } };
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'eu-only', name: 'EU', policy })).status, 201);
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'other', name: 'Other' })).status, 201);
    const planned = await stack.api('POST', '/admin/plan', { model: 'gpt-5.5', tenant_id: 'eu-only' });
    assert.equal(planned.status, 200);
    assert.ok(planned.body.kept.every((entry: { provider: string }) => entry.provider === 'azure'));
    assert.ok(planned.body.kept.length > 0);
    const admin = (await stack.api('POST', '/admin/keys', { tenant: 'eu-only', name: 'ops', admin: true })).body;
    const own = await stack.api('POST', '/admin/plan', { model: 'gpt-5.5' }, admin.key);
    assert.deepEqual(
      own.body.kept.map((entry: { route: string }) => entry.route),
      planned.body.kept.map((entry: { route: string }) => entry.route),
    );
    assert.equal((await stack.api('POST', '/admin/plan', { model: 'gpt-5.5', tenant_id: 'other' }, admin.key)).status, 404);
  });

  it('refuses an unknown model (404) and a malformed body (400) in OpenAI error shape', async () => {
    const unknown = await stack.api('POST', '/admin/plan', { model: 'no-such-model' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'model_not_found');
    for (const body of [{}, { model: 'gpt-5.5', date: 'soon' }, { model: 'gpt-5.5', regoin: 'eu' }, { model: 'gpt-5.5', capabilities: ['telepathy'] }]) {
      const answer = await stack.api('POST', '/admin/plan', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.error.type, 'invalid_request_error');
    }
  });
});

describe('ledger balances and statement downloads', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      agreements: [
        {
          id: 'partner-share',
          licensor: 'openai',
          revenue_share: { payer: 'openai', payee: 'partner', rate: 0.2, scope: ['openai'], from: '2026-01-01', until: '2030-12-31' },
        },
      ],
    });
  });
  after(() => stack.close());

  it("lists every account's balance for the master key, and only its own tenant's for a tenant's admin", async () => {
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'acme', name: 'Acme' })).status, 201);
    const admin = (await stack.api('POST', '/admin/keys', { tenant: 'acme', name: 'ops', admin: true })).body;
    await stack.clientFor(admin.key).chat.completions.create({ model: 'via-openai', messages: [{ role: 'user', content: 'bill me' }] });
    await stack.client.chat.completions.create({ model: 'via-openai', messages: [{ role: 'user', content: 'bill the default tenant' }] });
    const all = await stack.api('GET', '/admin/ledger/balances');
    assert.equal(all.status, 200);
    const byAccount = new Map(all.body.data.map((row: { account: string }) => [row.account, row]));
    const acme = byAccount.get('tenant:acme:receivable') as { type: string; owner: unknown; currency: string; balance: string };
    assert.deepEqual(
      { ...acme, balance: null },
      {
        account: 'tenant:acme:receivable',
        type: 'asset',
        owner: { kind: 'tenant', id: 'acme' },
        currency: 'USD',
        balance: null,
      },
    );
    assert.match(acme.balance, /^\d+\.\d{6}$/);
    assert.ok(byAccount.has('tenant:default:receivable') && byAccount.has('revenue') && byAccount.has('provider:openai:payable'));
    // Debits and credits balance: the balances of each currency sum to zero.
    const sum = all.body.data.reduce((total: bigint, row: { balance: string }) => total + parseMoney(row.balance), 0n);
    assert.equal(sum, 0n);
    assert.equal(all.body.accruals[0].agreement_id, 'partner-share');
    const own = await stack.api('GET', '/admin/ledger/balances', undefined, admin.key);
    assert.equal(own.status, 200);
    assert.deepEqual(
      own.body.data.map((row: { account: string }) => row.account),
      ['tenant:acme:receivable'],
    );
    assert.deepEqual(own.body.accruals, []);
  });

  it('serves a statement as a CSV attachment', async () => {
    const period = new Date().toISOString().slice(0, 7);
    const csv = await fetch(`${stack.url}/admin/ledger/statements?agreement=partner-share&period=${period}&format=csv`, {
      headers: { authorization: `Bearer ${stack.masterKey}` },
    });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.equal(csv.headers.get('content-disposition'), `attachment; filename="statement-partner-share-${period}.csv"`);
    const [header, row] = (await csv.text()).split('\r\n');
    assert.match(header ?? '', /^agreement,payer,payee,/);
    assert.match(row ?? '', /^partner-share,openai,partner,/);
  });
});
