// An attacker's tour of the dashboard and the admin read APIs (issue 18): error answers that quote only an excerpt of
// paths, queries and headers; forged, overlong, foreign and many cookies; CSRF tokens of another session; another
// tenant's requests, cursors and stats; bounds on every list query; path tricks and cache poisoning under /ui; and
// /metrics series that client input cannot multiply.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { REQUESTS_SCAN_ROWS } from '../src/server/handle-admin-requests.ts';
import { startStack, type Stack } from './support/start-stack.ts';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // Loosely typed on purpose: tests read fields of whatever the API answered.
  body: any;
}

async function call(stack: Stack, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const response = await fetch(`${stack.url}${path}`, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: the text itself.
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** A request whose path is sent exactly as written (fetch would normalise `..` and some escapes). */
function rawGet(
  stack: Stack,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const { hostname, port } = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port: Number(port), path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** An error answer in OpenAI's shape, short whatever the input's size, quoting no more than an excerpt of `input`. */
function assertShortError(answer: Answer, status: number, input: string): void {
  assert.equal(answer.status, status, answer.text.slice(0, 300));
  assert.ok(answer.text.length < 1_000, `error body of ${answer.text.length} characters`);
  assert.equal(typeof answer.body.error?.message, 'string', answer.text.slice(0, 300));
  assert.ok('type' in answer.body.error && 'param' in answer.body.error && 'code' in answer.body.error, answer.text.slice(0, 300));
  assert.ok(!answer.text.includes(input.slice(0, 300)), 'the error quotes more than an excerpt of the input');
}

async function signIn(stack: Stack, key: string): Promise<{ cookie: string; csrf: string }> {
  const answer = await call(stack, 'POST', '/ui/api/session', { 'content-type': 'application/json' }, JSON.stringify({ key }));
  assert.equal(answer.status, 200, answer.text);
  return { cookie: (answer.headers.get('set-cookie') ?? '').split(';')[0] ?? '', csrf: answer.body.csrf_token as string };
}

describe('hostile input on the dashboard and the admin read APIs', () => {
  let stack: Stack;
  let acmeAdmin: string;
  let betaAdmin: string;
  let betaRequestId: string;

  before(async () => {
    stack = await startStack({ ui: { sign_in_rate_per_minute: 1000 } });
    for (const id of ['acme', 'beta']) assert.equal((await stack.api('POST', '/admin/tenants', { id, name: id })).status, 201);
    acmeAdmin = (await stack.api('POST', '/admin/keys', { tenant: 'acme', name: 'ops', admin: true })).body.key;
    betaAdmin = (await stack.api('POST', '/admin/keys', { tenant: 'beta', name: 'ops', admin: true })).body.key;
    const betaKey = (await stack.api('POST', '/admin/keys', { tenant: 'beta', name: 'app' })).body.key;
    const reply = await stack
      .clientFor(betaKey)
      .chat.completions.create({ model: 'gpt-5.5', messages: [{ role: 'user', content: 'beta only' }] })
      .withResponse();
    betaRequestId = reply.response.headers.get('x-request-id') ?? '';
    await stack.gateway.requestLog.flush();
  });
  after(() => stack.close());

  it('quotes only an excerpt of an unknown path, a refused method, a content type or a query value', async () => {
    const master = { authorization: `Bearer ${stack.masterKey}` };
    const long = 'p'.repeat(12_000);
    assertShortError(await call(stack, 'GET', `/admin/${long}`, master), 404, long);
    assertShortError(await call(stack, 'GET', `/ui/api/${long}`), 404, long);
    assertShortError(await call(stack, 'DELETE', `/admin/requests/${long}`, master), 405, long);
    const type = `text/plain; x=${'t'.repeat(8_000)}`;
    assertShortError(await call(stack, 'POST', '/ui/api/session', { 'content-type': type }, '{"key":"x"}'), 400, type);
    const agreement = 'a'.repeat(10_000);
    assertShortError(await call(stack, 'GET', `/admin/ledger/statements?agreement=${agreement}&period=2026-05`, master), 404, agreement);
    const tenant = 't'.repeat(10_000);
    assertShortError(await call(stack, 'GET', `/admin/usage?tenant=${tenant}`, { authorization: `Bearer ${acmeAdmin}` }), 404, tenant);
    // Control characters reach a message only as '?' (and never a header of the answer).
    const odd = await call(stack, 'GET', '/admin/%0d%0aset-cookie:%20x=1/%00', master);
    assert.equal(odd.status, 404);
    assert.equal(odd.headers.get('set-cookie'), null);
  });

  it('refuses hostile sign-in bodies with short errors that never quote the key', async () => {
    const json = { 'content-type': 'application/json' };
    const huge = await call(stack, 'POST', '/ui/api/session', json, JSON.stringify({ key: 'k'.repeat(1024 * 1024) }));
    assert.equal(huge.status, 413);
    assert.ok(huge.text.length < 1_000);
    const deep = await call(stack, 'POST', '/ui/api/session', json, `{"key":${'['.repeat(1_000)}${']'.repeat(1_000)}}`);
    assert.ok(deep.status === 400 || deep.status === 413, String(deep.status));
    for (const key of [{ $gt: '' }, ['a'], 42, null, '']) {
      const answer = await call(stack, 'POST', '/ui/api/session', json, JSON.stringify({ key }));
      assert.equal(answer.status, 400, JSON.stringify(key));
      assert.equal(answer.body.error.code, 'missing_key');
    }
    const secretish = `sk-cw-${'s'.repeat(2_000)}`;
    for (const key of [secretish, 'sk-cw-\u0000\r\nx', 'sk-cw-ключ-ключ-ключ']) {
      const answer = await call(stack, 'POST', '/ui/api/session', json, JSON.stringify({ key }));
      assert.equal(answer.status, 401, answer.text.slice(0, 200));
      assert.ok(answer.text.length < 1_000 && !answer.text.includes('s'.repeat(40)));
      assert.equal(answer.headers.get('set-cookie'), null);
    }
    const foreign = await call(stack, 'POST', '/ui/api/session', { ...json, origin: 'null' }, JSON.stringify({ key: stack.masterKey }));
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.get('set-cookie'), null);
    const appKey = (await stack.api('POST', '/admin/keys', { tenant: 'acme', name: 'not-admin' })).body.key as string;
    const notAdmin = await call(stack, 'POST', '/ui/api/session', json, JSON.stringify({ key: appKey }));
    assert.equal(notAdmin.status, 403);
    assert.ok(!notAdmin.text.includes(appKey.slice(8)));
    assert.equal((await call(stack, 'GET', '/ui/api/session')).status, 401);
  });

  it('refuses overlong, many, forged and foreign cookies without a stack trace, and a CSRF token of another session', async () => {
    const own = await signIn(stack, stack.masterKey);
    const other = await signIn(stack, stack.masterKey);
    const forged = `crossway_session=${'A'.repeat(43)}`;
    const cases: [string, string][] = [
      ['forged', forged],
      ['overlong', `junk=${'j'.repeat(12_000)}; ${own.cookie}`],
      ['many', `${Array.from({ length: 600 }, (_, index) => `c${index}=v`).join('; ')}; ${forged}`],
      ['odd shape', 'crossway_session=../../etc/passwd'],
      ['empty', 'crossway_session='],
      ['unicode', `crossway_session=${encodeURIComponent('é'.repeat(43))}`],
    ];
    for (const [what, cookie] of cases) {
      const answer = await call(stack, 'GET', '/admin/tenants', { cookie });
      assert.equal(answer.status, 401, `${what}: ${answer.text.slice(0, 200)}`);
      assert.ok(answer.text.length < 1_000, what);
      assert.equal(typeof answer.body.error.code, 'string', what);
    }
    // A live session's cookie with the other session's token: refused, and nothing is created.
    const crossed = await call(
      stack,
      'POST',
      '/admin/tenants',
      { cookie: own.cookie, 'x-crossway-csrf': other.csrf, 'content-type': 'application/json' },
      JSON.stringify({ id: 'crossed' }),
    );
    assert.equal(crossed.status, 403);
    assert.equal(crossed.body.error.code, 'csrf_token_invalid');
    const overlongCsrf = await call(
      stack,
      'POST',
      '/admin/tenants',
      { cookie: own.cookie, 'x-crossway-csrf': 'x'.repeat(8_000), 'content-type': 'application/json' },
      JSON.stringify({ id: 'crossed' }),
    );
    assert.equal(overlongCsrf.status, 403);
    assert.equal((await stack.api('GET', '/admin/tenants/crossed')).status, 404);
    // Two session cookies (one tossed in by a sibling site, sent first): neither is taken, never a 500.
    const both = await call(stack, 'GET', '/admin/tenants', { cookie: `${forged}; ${own.cookie}` });
    assert.equal(both.status, 401);
    const attacker = await signIn(stack, acmeAdmin);
    const tossed = await call(stack, 'GET', '/ui/api/session', { cookie: `${attacker.cookie}; ${own.cookie}` });
    assert.equal(tossed.status, 401, 'the first of two session cookies was taken');
    assert.equal((await call(stack, 'GET', '/ui/api/session', { cookie: `${own.cookie}; ${own.cookie}` })).status, 200);
    // A cookie never stands in for a key on the model API, nor beside a wrong key.
    assert.equal((await call(stack, 'GET', '/v1/agents', { cookie: own.cookie })).status, 401);
    assert.equal((await call(stack, 'GET', '/admin/tenants', { cookie: own.cookie, authorization: 'Bearer sk-cw-wrong-key-000000000' })).status, 401);
  });

  it("keeps a tenant's admin, by key or session, out of another tenant's requests, cursors, stats and usage", async () => {
    const byKey = { authorization: `Bearer ${acmeAdmin}` };
    const session = await signIn(stack, acmeAdmin);
    for (const headers of [byKey, { cookie: session.cookie }]) {
      assert.equal((await call(stack, 'GET', `/admin/requests/${betaRequestId}`, headers)).status, 404);
      assert.equal((await call(stack, 'GET', '/admin/requests?tenant_id=beta', headers)).status, 404);
      // A repeated parameter cannot smuggle the other tenant past the check.
      const repeated = await call(stack, 'GET', '/admin/requests?tenant_id=acme&tenant_id=beta', headers);
      assert.ok(repeated.status === 404 || (repeated.status === 200 && repeated.body.data.length === 0), repeated.text.slice(0, 200));
      const cursor = await call(stack, 'GET', `/admin/requests?after=${betaRequestId}`, headers);
      assert.equal(cursor.status, 400, cursor.text);
      assert.ok(!cursor.text.includes('beta only'));
      assert.equal((await call(stack, 'GET', '/admin/stats?tenant_id=beta', headers)).status, 404);
      assert.equal((await call(stack, 'GET', '/admin/usage?tenant=beta', headers)).status, 404);
      assert.equal((await call(stack, 'GET', '/admin/ledger/statements?agreement=x&period=2026-05', headers)).status, 403);
      const own = await call(stack, 'GET', '/admin/requests?limit=200', headers);
      assert.equal(own.status, 200);
      assert.ok(own.body.data.every((row: { tenant_id: string | null }) => row.tenant_id === 'acme'));
      const audit = await call(stack, 'GET', '/admin/audit?limit=200', headers);
      assert.equal(audit.status, 200);
      assert.ok(
        audit.body.data.every((entry: { tenant_id: string | null }) => entry.tenant_id === 'acme'),
        audit.text.slice(0, 300),
      );
    }
    // The master key sees the row the tenant's admin could not.
    assert.equal((await stack.api('GET', `/admin/requests/${betaRequestId}`)).status, 200);
    assert.equal((await call(stack, 'GET', `/admin/requests/${betaRequestId}`, { authorization: `Bearer ${betaAdmin}` })).status, 200);
  });

  it('bounds every list query: huge, negative, fractional and repeated limits, long filters, bad instants', async () => {
    const master = { authorization: `Bearer ${stack.masterKey}` };
    const refused = [
      '/admin/requests?limit=1000000000',
      '/admin/requests?limit=-1',
      '/admin/requests?limit=1.5',
      '/admin/requests?limit=1e9',
      '/admin/requests?limit=1&limit=100000',
      `/admin/requests?model=${'m'.repeat(5_000)}`,
      '/admin/requests?status=1xx,2xx,3xx,4xx,5xx,200,201,202,203,204,205',
      '/admin/requests?status=9xx',
      '/admin/requests?since=yesterday',
      `/admin/requests?since=${'2'.repeat(100)}`,
      '/admin/stats?window=forever',
      '/admin/audit?limit=1000000000',
      '/admin/audit?limit=abc',
      '/v1/agents?limit=1000000',
      '/v1/agents/sessions?limit=1000000',
      '/v1/agents?order=sideways',
    ];
    for (const path of refused) {
      const answer = await call(stack, 'GET', path, master);
      assert.equal(answer.status, 400, `${path.slice(0, 80)}: ${answer.text.slice(0, 200)}`);
      assert.ok(answer.text.length < 1_000, path.slice(0, 80));
    }
    const many = `/admin/requests?${Array.from({ length: 2_000 }, (_, index) => `p${index}=1`).join('&')}`;
    const ignored = await call(stack, 'GET', many, master);
    assert.ok(ignored.status === 200 || ignored.status === 400, String(ignored.status));
  });

  it('a filter no index serves examines a bounded number of rows per page, and paging goes on from where it stopped', async () => {
    // More rows than one page examines (REQUESTS_SCAN_ROWS), the only 'rare' one the oldest: an hour ago, within retention.
    const start = Date.now() - 3_600_000;
    const total = REQUESTS_SCAN_ROWS + 50;
    const rows = Array.from({ length: total }, (_, index) => ({
      id: `req_scan${String(index).padStart(24, '0')}`,
      created_at: new Date(start + index).toISOString(),
      endpoint: 'chat.completions',
      model: index === 0 ? 'rare-model' : 'gpt-5.5',
      route: null,
      attempts: 1,
      status: 200,
      error_code: null,
      stream: false,
      prompt_tokens: null,
      completion_tokens: null,
      cached_tokens: null,
      duration_ms: 1,
      ttfb_ms: null,
      tenant_id: 'scan',
      key_id: null,
      decision_id: null,
      provider: null,
      upstream_ms: null,
    }));
    for (let at = 0; at < rows.length; at += 5_000) await stack.gateway.store.insertRequestLogs(rows.slice(at, at + 5_000));
    const first = await stack.api('GET', '/admin/requests?tenant_id=scan&model=rare-model&limit=10');
    assert.equal(first.status, 200);
    assert.deepEqual(first.body.data, []);
    assert.equal(first.body.has_more, true);
    assert.equal(first.body.last_id, rows[total - REQUESTS_SCAN_ROWS]?.id);
    const second = await stack.api('GET', `/admin/requests?tenant_id=scan&model=rare-model&limit=10&after=${first.body.last_id}`);
    assert.equal(second.status, 200);
    assert.deepEqual(
      second.body.data.map((row: { id: string }) => row.id),
      [rows[0]?.id],
    );
    assert.equal(second.body.has_more, false);
    // Without a filter on such a column the page is read straight from the index, unbounded by the scan.
    const plain = await stack.api('GET', '/admin/requests?tenant_id=scan&limit=200');
    assert.equal(plain.body.data.length, 200);
  });

  it('answers /ui path tricks with the app or a 404, never a file outside the build', async () => {
    const tricks = [
      '/ui/..%2f..%2fpackage.json',
      '/ui/%2e%2e/%2e%2e/package.json',
      '/ui/../package.json',
      '/ui/assets/..%2f..%2f..%2fpackage.json',
      '/ui/%2e%2e/',
      '/ui/..%5c..%5cpackage.json',
      '/ui/%00',
      '/ui/%c0%ae%c0%ae/package.json',
      '/ui//etc/passwd',
      '/ui/api%2fsession',
      `/ui/${'x/'.repeat(3_000)}`,
    ];
    for (const path of tricks) {
      const answer = await rawGet(stack, path);
      assert.ok([200, 404, 503].includes(answer.status), `${path.slice(0, 60)}: ${answer.status}`);
      assert.ok(!answer.text.includes('"devDependencies"') && !answer.text.includes('root:'), `${path.slice(0, 60)} served a file outside the build`);
      if (answer.status === 200) assert.match(String(answer.headers['content-type']), /^text\/html/, path);
      if (answer.status === 404) assert.ok(answer.text.length < 1_000, path.slice(0, 60));
    }
  });

  it('serves the same index.html whatever the Host and forwarding headers say, revalidated and without cookies', async () => {
    const plain = await rawGet(stack, '/ui/');
    const poisoned = await rawGet(stack, '/ui/?x=<script>', {
      host: 'evil.example',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
      'x-original-url': '/admin/keys',
      'x-rewrite-url': '/admin/keys',
      cookie: 'crossway_session=AAAA',
    });
    assert.equal(poisoned.status, plain.status);
    assert.equal(poisoned.text, plain.text);
    assert.ok(!poisoned.text.includes('evil.example') && !poisoned.text.includes('<script>'));
    for (const answer of [plain, poisoned]) {
      if (answer.status !== 200) continue;
      assert.equal(answer.headers['cache-control'], 'no-cache');
      assert.equal(answer.headers['set-cookie'], undefined);
      assert.match(String(answer.headers['content-security-policy']), /frame-ancestors 'none'/);
    }
  });

  it('keeps /metrics series fixed however many unknown models, paths and methods clients send', async () => {
    const master = { authorization: `Bearer ${stack.masterKey}` };
    const seriesCount = async (): Promise<number> => {
      const text = (await call(stack, 'GET', '/metrics', master)).text;
      // Crossway's own series: Node's default metrics gain series by themselves (a first major GC adds its kind).
      return text.split('\n').filter((line) => line.startsWith('crossway_')).length;
    };
    const send = async (round: number) => {
      for (let index = 0; index < 10; index += 1) {
        const tag = `zz${round}x${index}${'q'.repeat(40)}`;
        await call(
          stack,
          'POST',
          '/v1/chat/completions',
          { ...master, 'content-type': 'application/json' },
          JSON.stringify({ model: `model-${tag}`, messages: [{ role: 'user', content: 'hi' }] }),
        );
        await call(stack, 'GET', `/nowhere/${tag}`, master);
        await rawGet(stack, `/v1/models/${tag}`, master, `M${tag.slice(0, 8).toUpperCase()}`);
        await call(stack, 'GET', `/v1/models/${tag}`, master);
      }
    };
    await send(0);
    // A first scrape adds the scrape's own series (GET /metrics 200); the count is taken after it.
    await seriesCount();
    const first = await seriesCount();
    await send(1);
    await send(2);
    const later = await seriesCount();
    assert.equal(later, first, 'new series appeared for client-chosen names');
    const text = (await call(stack, 'GET', '/metrics', master)).text;
    assert.ok(!text.includes('zz1x'), 'a client-chosen name became a label value');
  });
});

describe('the sign-in rate', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ ui: { sign_in_rate_per_minute: 3 } });
  });
  after(() => stack.close());

  it('answers 429 once an address used its attempts, before reading the body or checking a key', async () => {
    const json = { 'content-type': 'application/json' };
    for (let attempt = 0; attempt < 3; attempt += 1) {
      assert.equal((await call(stack, 'POST', '/ui/api/session', json, JSON.stringify({ key: 'sk-cw-wrong-key-0000000000' }))).status, 401);
    }
    const limited = await call(stack, 'POST', '/ui/api/session', json, JSON.stringify({ key: stack.masterKey, pad: 'p'.repeat(1024 * 1024) }));
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(limited.headers.get('set-cookie'), null);
  });
});
