// Three `crossway serve` processes on one PostgreSQL schema and one Redis prefix behave as one gateway: a key's rate
// and budget hold across them, stored state moves between them, and a revocation, an ejection or a deletion on one
// reaches the others within a second. Needs CROSSWAY_TEST_DATABASE_URL and CROSSWAY_TEST_REDIS_URL (CI sets both).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import { skipWithoutPostgres, skipWithoutRedis, testDatabaseUrl } from '../src/store/test-backends.ts';
import { startPostgresProxy, type PostgresProxy } from '../src/store/test-postgres-proxy.ts';
import { runCrossway } from './support/run-crossway.ts';
import { eventually, REPLICA_MASTER_KEY, startReplicas, type Replica, type ReplicaSet } from './support/start-replicas.ts';

const skip = skipWithoutPostgres || skipWithoutRedis;
const hello = [{ role: 'user', content: 'hello from a replica test' }];

function chat(replica: Replica, key: string, body: Record<string, unknown> = {}): Promise<Response> {
  return fetch(`${replica.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5.5', messages: hello, max_completion_tokens: 100, ...body }),
  });
}

function clientOf(replica: Replica, key = REPLICA_MASTER_KEY): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${replica.url}/v1`, maxRetries: 0 });
}

describe('three replicas on one PostgreSQL and one Redis', { skip }, () => {
  let set: ReplicaSet;
  let tenants = 0;

  before(async () => {
    // Two failures in a row eject a route, so that the ejection case needs few requests.
    set = await startReplicas({ count: 3, config: { execute: { outlier: { consecutive_failures: 2, base_ejection_ms: 30_000 } } } });
  });
  after(async () => {
    await set?.close();
  });
  beforeEach(() => {
    for (const emulator of Object.values(set.emulators.emulators)) emulator?.clearFaults();
  });

  async function keyWith(limits: Record<string, unknown>): Promise<{ tenant: string; key: string; id: string }> {
    const tenant = `replicas-${++tenants}`;
    const [a] = set.replicas;
    assert.equal((await set.admin(a!, 'POST', '/admin/tenants', { id: tenant, name: tenant })).status, 201);
    const created = await set.admin(a!, 'POST', '/admin/keys', { tenant, ...limits });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return { tenant, key: created.body.key as string, id: created.body.id as string };
  }

  it("holds a key's RPM across the replicas: the requests admitted in a window never exceed the limit", async () => {
    const { key } = await keyWith({ rpm: 6 });
    const started = Date.now();
    const statuses = await Promise.all(Array.from({ length: 24 }, (_, index) => chat(set.replicas[index % 3]!, key).then((response) => response.status)));
    const elapsedMinutes = (Date.now() - started) / 60_000;
    const admitted = statuses.filter((status) => status === 200).length;
    // The bucket refills continuously (6 a minute): what the test's own duration refilled may be admitted too.
    assert.ok(admitted <= 6 + Math.ceil(6 * elapsedMinutes), `${admitted} admitted against an RPM of 6 (${statuses.join(',')})`);
    assert.ok(admitted >= 6, `the limit's worth is admitted (${statuses.join(',')})`);
    assert.ok(
      statuses.every((status) => status === 200 || status === 429),
      statuses.join(','),
    );
  });

  it('keeps 60 parallel requests spread over three replicas within a small budget, but for one worst case', async () => {
    const { id, key } = await keyWith({ budget: { limit: '0.10', currency: 'USD', period: 'day' } });
    // Every reply is longer than 20 tokens, so each call spends its whole worst case: 20 output tokens at 1000 USD per
    // 1M (0.02 USD) plus a few input tokens. Limits per process would let each replica spend the whole budget.
    const statuses = await Promise.all(
      Array.from({ length: 60 }, (_, index) => chat(set.replicas[index % 3]!, key, { max_completion_tokens: 20 }).then((response) => response.status)),
    );
    assert.ok(statuses.includes(200), 'some requests fit the budget');
    assert.ok(statuses.includes(429), 'the budget refused the rest');
    const [spent] = await set.query<{ charged: string | null }>('select sum(charged)::text as charged from usage_events where key_id = $1', [id]);
    const worstCase = 20_000n + 1_000n;
    const charged = BigInt(spent?.charged ?? '0');
    assert.ok(charged <= 100_000n + worstCase, `spent ${charged} micro-USD of a 0.10 USD budget`);
    assert.ok(charged >= 60_000n, `spent ${charged} micro-USD: the budget was used, not refused early`);
  });

  it('continues a previous_response_id chain and a conversation begun on one replica on the others', async () => {
    const [a, b, c] = set.replicas as [Replica, Replica, Replica];
    const first = await clientOf(a).responses.create({ model: 'gpt-5.5', input: 'My name is Ada. Remember it.', store: true });
    const second = await clientOf(b).responses.create({ model: 'gpt-5.5', input: 'And my city is Turin.', previous_response_id: first.id });
    const third = await clientOf(c).responses.create({ model: 'gpt-5.5', input: 'What do you know about me?', previous_response_id: second.id });
    assert.equal(third.status, 'completed');
    // The whole chain went upstream from the third replica: its input is the three turns, more than the first's.
    assert.ok((third.usage?.input_tokens ?? 0) > (second.usage?.input_tokens ?? 0), 'the third turn carried the earlier ones');
    assert.ok((second.usage?.input_tokens ?? 0) > (first.usage?.input_tokens ?? 0), 'the second turn carried the first');

    const conversation = await clientOf(b).conversations.create({ metadata: { topic: 'replicas' } });
    await clientOf(a).responses.create({ model: 'gpt-5.5', input: 'first turn on a', conversation: conversation.id });
    await clientOf(c).responses.create({ model: 'gpt-5.5', input: 'second turn on c', conversation: conversation.id });
    const items = await clientOf(b).conversations.items.list(conversation.id, { order: 'asc' });
    const texts = items.data.map((item) => JSON.stringify(item));
    assert.equal(items.data.length, 4, texts.join('\n'));
    assert.match(texts[0]!, /first turn on a/);
    assert.match(texts[2]!, /second turn on c/);
  });

  it('refuses a key revoked on one replica on every replica within a second', async () => {
    const { key, id } = await keyWith({});
    for (const replica of set.replicas) assert.equal((await chat(replica, key)).status, 200, 'the key works everywhere (and is cached)');
    const [a, b, c] = set.replicas as [Replica, Replica, Replica];
    assert.equal((await set.admin(a, 'DELETE', `/admin/keys/${id}`)).status, 200);
    for (const replica of [b, c]) {
      const waited = await eventually('the revocation reached the replica', 3_000, async () => (await chat(replica, key)).status === 401);
      assert.ok(waited <= 1_000, `refused after ${waited} ms`);
    }
  });

  it('skips a route ejected on one replica on the others within a second', async () => {
    const [a, b, c] = set.replicas as [Replica, Replica, Replica];
    set.emulators.emulators.azure!.setFaults({ status: 500 });
    // Azure is first in catalog order: each request on `a` fails there, then fails over to OpenAI, until it is ejected.
    await eventually('the failing route was ejected on the first replica', 10_000, async () => {
      const response = await chat(a, REPLICA_MASTER_KEY);
      assert.equal(response.status, 200);
      return response.headers.get('x-crossway-attempts') === '1';
    });
    const ejectedAt = Date.now();
    // The others never saw Azure fail: only the shared health can make them skip it on their first try.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1_000 - (Date.now() - ejectedAt))));
    for (const replica of [b, c]) {
      const response = await chat(replica, REPLICA_MASTER_KEY);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-crossway-attempts'), '1', 'the ejected route was not tried');
      assert.equal(response.headers.get('x-crossway-route'), 'openai-gpt-5.5');
    }
  });

  it('forgets a response deleted on one replica on every replica', async () => {
    const [a, b, c] = set.replicas as [Replica, Replica, Replica];
    const created = await clientOf(a).responses.create({ model: 'gpt-5.5', input: 'to be deleted', store: true });
    // Warm every replica's chain cache with it.
    await clientOf(b).responses.create({ model: 'gpt-5.5', input: 'next', previous_response_id: created.id, store: false });
    await clientOf(c).responses.create({ model: 'gpt-5.5', input: 'next', previous_response_id: created.id, store: false });
    await clientOf(b).responses.delete(created.id);
    for (const replica of [a, c]) {
      await eventually('the deletion reached the replica', 1_000, async () => {
        try {
          await clientOf(replica).responses.create({ model: 'gpt-5.5', input: 'again', previous_response_id: created.id, store: false });
          return false;
        } catch (error) {
          return error instanceof OpenAI.NotFoundError;
        }
      });
      await assert.rejects(clientOf(replica).responses.retrieve(created.id), OpenAI.NotFoundError);
    }
  });
});

/** One chat call; resolves with its request id when the client received the whole answer, else null. */
async function completedCall(replica: Replica, index: number): Promise<string | null> {
  try {
    const response = await chat(replica, REPLICA_MASTER_KEY, { messages: [{ role: 'user', content: `load ${index}` }], stream: index % 2 === 1 });
    const text = await response.text();
    if (response.status !== 200) return null;
    if (index % 2 === 1 ? !text.includes('data: [DONE]') : !text.includes('"usage"')) return null;
    return response.headers.get('x-request-id');
  } catch {
    return null;
  }
}

async function assertEachOnceInLedger(set: ReplicaSet, requestIds: readonly string[]): Promise<void> {
  const rows = await set.query<{ request_id: string; events: string }>(
    'select request_id, count(*)::text as events from usage_events where request_id = any($1) group by request_id',
    [requestIds],
  );
  const counts = new Map(rows.map((row) => [row.request_id, Number(row.events)]));
  const missing = requestIds.filter((id) => counts.get(id) !== 1);
  assert.deepEqual(missing, [], `calls a client saw complete and not in the ledger exactly once: ${missing.slice(0, 5).join(', ')}`);
}

describe('kill -9 of one of three replicas under load', { skip }, () => {
  let set: ReplicaSet;
  before(async () => {
    set = await startReplicas({ count: 3, config: { runtime: { background_lease_ms: 3_000 } } });
  });
  after(async () => {
    await set?.close();
  });

  it("loses no completed call, finishes the dead replica's background job on another, and the ledger verifies", async () => {
    const [doomed, b, c] = set.replicas as [Replica, Replica, Replica];
    // Streams from Azure crawl (200 ms a chunk): the background job is still running when its replica dies.
    set.emulators.emulators.azure!.setFaults({ chunk_delay_ms: 200 });
    const job = await clientOf(doomed).responses.create({ model: 'gpt-5.5', input: 'a long background task', background: true });
    const completed: string[] = [];
    let sent = 0;
    let killed = false;
    const exited = new Promise((resolve) => doomed.child.once('exit', resolve));
    const worker = async (): Promise<void> => {
      while (sent < 240) {
        const index = sent++;
        const id = await completedCall(set.replicas[index % 3]!, index);
        if (id !== null) completed.push(id);
        if (!killed && completed.length >= 40) {
          killed = true;
          // kill -9: no shutdown hook runs; its in-flight calls and commits are cut wherever they are.
          doomed.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    await exited;
    assert.ok(killed, 'the replica was killed mid-load');
    assert.ok(completed.length > 100, `${completed.length} calls completed: the survivors kept serving`);
    await assertEachOnceInLedger(set, completed);

    // The job's lease runs out (3 s) and a survivor takes it over: unbilled, it runs again from the start.
    let status = '';
    await eventually('a surviving replica finished the background job', 60_000, async () => {
      status = (await clientOf(b).responses.retrieve(job.id)).status ?? '';
      return status === 'completed' || status === 'failed';
    });
    assert.equal(status, 'completed');
    const finished = await clientOf(c).responses.retrieve(job.id);
    assert.ok((finished.output_text ?? '').length > 0, 'the job answered');
    const [events] = await set.query<{ count: string }>("select count(*)::text as count from usage_events where endpoint = 'responses'");
    assert.equal(events?.count, '1', 'the background job was billed once');
    set.emulators.emulators.azure!.clearFaults();

    const verify = await runCrossway(['ledger', 'verify', '--config', set.config]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
});

describe('PostgreSQL cut under two replicas', { skip }, () => {
  let set: ReplicaSet;
  let proxy: PostgresProxy;
  before(async () => {
    proxy = await startPostgresProxy(testDatabaseUrl!);
    set = await startReplicas({
      count: 2,
      databaseUrl: (schema) => {
        const url = new URL(schema.url);
        const through = new URL(proxy.url);
        url.host = through.host;
        return url.toString();
      },
    });
  });
  after(async () => {
    await set?.close();
    await proxy?.close();
  });

  it('fails /readyz and the calls that need the store cleanly, loses no acknowledged call, and serves again after', async () => {
    const acknowledged: string[] = [];
    for (let index = 0; index < 4; index++) {
      const id = await completedCall(set.replicas[index % 2]!, index * 2);
      assert.notEqual(id, null);
      acknowledged.push(id!);
    }
    proxy.cut();
    for (const replica of set.replicas) assert.equal((await fetch(`${replica.url}/readyz`)).status, 503);
    const during = await Promise.all(
      Array.from({ length: 6 }, async (_, index) => {
        const response = await chat(set.replicas[index % 2]!, REPLICA_MASTER_KEY, { messages: [{ role: 'user', content: `cut ${index}` }] });
        const body = (await response.json()) as { error?: { message?: string; type?: string } };
        return { status: response.status, id: response.headers.get('x-request-id'), body };
      }),
    );
    for (const answer of during) {
      if (answer.status === 200) acknowledged.push(answer.id!);
      else {
        assert.ok(answer.status >= 500, `status ${answer.status}`);
        assert.equal(typeof answer.body.error?.message, 'string', "an error in OpenAI's shape");
      }
    }
    assert.ok(
      during.some((answer) => answer.status !== 200),
      'calls whose usage cannot be recorded are not acknowledged',
    );
    proxy.resume();
    for (const replica of set.replicas) {
      await eventually('the replica is ready again', 20_000, async () => (await fetch(`${replica.url}/readyz`)).status === 200);
      const id = await completedCall(replica, 100);
      assert.notEqual(id, null, 'the replica serves again');
      acknowledged.push(id!);
    }
    await assertEachOnceInLedger(set, acknowledged);
  });
});
