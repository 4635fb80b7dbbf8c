// Idempotency-Key on POST /v1/* end to end (Stripe's semantics): replay without a second upstream call, 409 on a
// different body or while the first request runs, per-tenant keys, and failures that leave the key free.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startHeldUpstream, type HeldUpstream } from './support/start-held-upstream.ts';
import { AZURE_KEY, DEFAULT_MODELS, OPENAI_KEY, defaultRoutes, startStack, type Stack } from './support/start-stack.ts';

describe('Idempotency-Key', () => {
  let stack: Stack;
  // The upstream of model 'via-held': it answers only when the test says so.
  let held: HeldUpstream;
  before(async () => {
    held = await startHeldUpstream();
    stack = await startStack({
      routes: (urls) => [
        ...defaultRoutes(urls, { openai: OPENAI_KEY, azure: AZURE_KEY }),
        // Its attempts may wait as long as the test holds them (the stack's 5 s default could cut a slow run short).
        { id: 'held', model: 'via-held', provider: 'openai', endpoint: held.url, auth: { type: 'bearer', key: 'sk-held' }, timeout_ms: 600_000 },
      ],
      models: [...DEFAULT_MODELS, { id: 'via-held' }],
    });
  });
  beforeEach(() => stack.clearFaults());
  after(async () => {
    await stack.close();
    await held.close();
  });

  const upstreamCalls = async (): Promise<number> => (await stack.journal('azure')).filter((entry) => entry.path.includes('chat/completions')).length;

  function post(key: string, body: Record<string, unknown>, apiKey = stack.masterKey, path = '/v1/chat/completions'): Promise<Response> {
    return fetch(`${stack.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });
  }

  const request = (content: string) => ({ model: 'via-azure-v1', messages: [{ role: 'user', content }] });

  it('replays the stored response for the same key and body, without a second upstream call', async () => {
    const key = randomUUID();
    const first = await post(key, request('replay me'));
    assert.equal(first.status, 200);
    const firstBody = await first.text();
    const callsAfterFirst = await upstreamCalls();
    const second = await post(key, request('replay me'));
    assert.equal(second.status, 200);
    assert.equal(await second.text(), firstBody);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.equal(second.headers.get('x-crossway-route'), first.headers.get('x-crossway-route'));
    assert.equal(await upstreamCalls(), callsAfterFirst);
  });

  it('works through the official client with the header as a request option', async () => {
    const key = randomUUID();
    const options = { headers: { 'Idempotency-Key': key } };
    const first = await stack.client.chat.completions.create({ model: 'via-azure-v1', messages: [{ role: 'user', content: 'sdk' }] }, options);
    const second = await stack.client.chat.completions.create({ model: 'via-azure-v1', messages: [{ role: 'user', content: 'sdk' }] }, options);
    assert.equal(second.id, first.id);
  });

  it('replays a streamed response byte for byte', async () => {
    const key = randomUUID();
    const body = { ...request('stream me'), stream: true };
    const first = await (await post(key, body)).text();
    assert.match(first, /data: \[DONE\]/);
    const calls = await upstreamCalls();
    const second = await post(key, body);
    assert.match(second.headers.get('content-type') ?? '', /text\/event-stream/);
    assert.equal(await second.text(), first);
    assert.equal(await upstreamCalls(), calls);
  });

  it('answers 409 idempotency_error for the same key with a different body', async () => {
    const key = randomUUID();
    assert.equal((await post(key, request('one'))).status, 200);
    const other = await post(key, request('two'));
    assert.equal(other.status, 409);
    const body = (await other.json()) as { error: { code: string; type: string } };
    assert.equal(body.error.code, 'idempotency_error');
    assert.equal(body.error.type, 'invalid_request_error');
  });

  // The timeout only ends a run that went wrong (a held call nobody releases); a passing run never nears it.
  it('answers 409 while the first request with the key is still in flight', { timeout: 60_000 }, async () => {
    const key = randomUUID();
    const slow = { model: 'via-held', messages: [{ role: 'user', content: 'slow' }] };
    // The first request is in flight once its upstream call arrived, and stays so until released.
    const arrived = held.arrival();
    const first = post(key, slow);
    await arrived;
    // A second upstream arrival would mean the key did not hold the second request back: fail rather than wait.
    const upstreamAgain = held.arrival().then(() => assert.fail('the second request reached the upstream'));
    const second = await Promise.race([post(key, slow), upstreamAgain]);
    assert.equal(second.status, 409);
    assert.match(((await second.json()) as { error: { message: string } }).error.message, /in progress/);
    held.release();
    assert.equal((await first).status, 200);
    assert.equal((await post(key, slow)).headers.get('idempotent-replayed'), 'true');
  });

  it('keeps keys per tenant: the same key in another tenant runs its own request', async () => {
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'idem-tenant', name: 'Idem' })).status, 201);
    const virtual = (await stack.api('POST', '/admin/keys', { tenant: 'idem-tenant' })).body.key as string;
    const key = randomUUID();
    assert.equal((await post(key, request('tenant A'))).status, 200);
    const other = await post(key, request('tenant B'), virtual);
    assert.equal(other.status, 200);
    assert.equal(other.headers.get('idempotent-replayed'), null);
  });

  it("checks the asking key's model scope before replaying: a narrower key of the same tenant gets 403 model_not_allowed", async () => {
    assert.equal((await stack.api('POST', '/admin/tenants', { id: 'idem-scope', name: 'Idem scope' })).status, 201);
    const wide = (await stack.api('POST', '/admin/keys', { tenant: 'idem-scope' })).body.key as string;
    const narrow = (await stack.api('POST', '/admin/keys', { tenant: 'idem-scope', models: ['via-openai'] })).body.key as string;
    const key = randomUUID();
    const first = await post(key, request('scoped'), wide);
    assert.equal(first.status, 200);
    const calls = await upstreamCalls();
    const replay = await post(key, request('scoped'), narrow);
    assert.equal(replay.status, 403);
    assert.equal(replay.headers.get('idempotent-replayed'), null);
    const body = (await replay.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'model_not_allowed');
    // Exactly the answer the narrow key gets without the header; the wide key still gets its replay.
    const plain = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${narrow}`, 'content-type': 'application/json' },
      body: JSON.stringify(request('scoped')),
    });
    assert.equal(plain.status, 403);
    assert.equal(((await plain.json()) as { error: { code: string } }).error.code, 'model_not_allowed');
    assert.equal((await post(key, request('scoped'), wide)).headers.get('idempotent-replayed'), 'true');
    assert.equal(await upstreamCalls(), calls);
  });

  it('does not keep a failed request: a retry with the same key runs again', async () => {
    const key = randomUUID();
    await stack.fault('azure', { status: 500, count: 4 });
    const failed = await post(key, request('fails first'));
    assert.ok(failed.status >= 500);
    await stack.clearFaults();
    const retried = await post(key, request('fails first'));
    assert.equal(retried.status, 200);
    assert.equal(retried.headers.get('idempotent-replayed'), null);
  });

  it('covers embeddings too, and rejects a malformed key with 400', async () => {
    const key = randomUUID();
    const body = { model: 'text-embedding-3-small', input: 'idempotent embeddings' };
    const first = await (await post(key, body, stack.masterKey, '/v1/embeddings')).text();
    const second = await post(key, body, stack.masterKey, '/v1/embeddings');
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.equal(await second.text(), first);
    const bad = await post('x'.repeat(300), request('bad key'));
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'invalid_idempotency_key');
  });

  it('is still a client error the openai client reports as a ConflictError', async () => {
    const key = randomUUID();
    const options = { headers: { 'Idempotency-Key': key } };
    await stack.client.chat.completions.create({ model: 'via-azure-v1', messages: [{ role: 'user', content: 'a' }] }, options);
    await assert.rejects(
      stack.client.chat.completions.create({ model: 'via-azure-v1', messages: [{ role: 'user', content: 'b' }] }, options),
      (error: unknown) => error instanceof OpenAI.ConflictError,
    );
  });
});
