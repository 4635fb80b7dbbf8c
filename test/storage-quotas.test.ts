// Storage a tenant cannot overfill: per-tenant byte quotas on stored responses and conversations, a per-conversation
// item limit, bytes given back by deletes, bounded request-log rows, and housekeeping that prunes the request log
// and (when configured) old conversations. Issue 13, item 6.
import assert from 'node:assert/strict';
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startStack, type Stack } from './support/start-stack.ts';
import { waitFor } from './support/wait-for.ts';

const MODEL = 'via-azure-v1';
const QUOTA = 300_000;

// A user message of about `size` bytes once stored.
const bigMessage = (size: number, tag = 'x') => ({ type: 'message' as const, role: 'user' as const, content: tag.repeat(size) });

const isQuotaError = (code: string) => (error: unknown) =>
  error instanceof OpenAI.BadRequestError && error.status === 400 && error.code === code && error.type === 'invalid_request_error';

describe('tenant storage quotas', () => {
  let stack: Stack;
  let acme: OpenAI;
  let beta: OpenAI;
  before(async () => {
    stack = await startStack({ runtime: { tenant_storage_bytes: QUOTA, conversation_max_items: 25 } });
    for (const id of ['acme', 'beta']) assert.equal((await stack.api('POST', '/admin/tenants', { id, name: id })).status, 201);
    const keyFor = async (tenant: string) => (await stack.api('POST', '/admin/keys', { tenant })).body.key as string;
    acme = stack.clientFor(await keyFor('acme'));
    beta = stack.clientFor(await keyFor('beta'));
  });
  after(() => stack.close());

  const used = (tenant: string) => stack.gateway.store.getTenantStorage(tenant);

  it('refuses conversation items past the byte quota with a 400, stores nothing, and takes them again once bytes are freed', async () => {
    const conversation = await acme.conversations.create({});
    const appended: string[] = [];
    let refused: unknown;
    // 60 KB a call: the fifth or sixth passes 300 KB.
    for (let call = 0; call < 8 && refused === undefined; call++) {
      try {
        const added = await acme.conversations.items.create(conversation.id, { items: [bigMessage(30_000), bigMessage(30_000)] });
        appended.push(...added.data.map((item) => item.id!));
      } catch (error) {
        refused = error;
      }
    }
    assert.ok(isQuotaError('storage_quota_exceeded')(refused), String(refused));
    assert.ok(appended.length >= 8 && appended.length <= 10, `${appended.length} items appended`);
    const before = await used('acme');
    assert.ok(before <= QUOTA, `${before} bytes stored`);
    const listed = await acme.conversations.items.list(conversation.id, { limit: 100 });
    assert.equal(listed.data.length, appended.length);
    await assert.rejects(acme.conversations.create({ items: [bigMessage(QUOTA - before + 1)] }), isQuotaError('storage_quota_exceeded'));
    assert.equal(await used('acme'), before);

    // Another tenant has its own quota.
    const theirs = await beta.conversations.create({ items: [bigMessage(30_000)] });
    assert.ok((await used('beta')) > 30_000);

    // Deleting an item, then the conversation, gives the bytes back.
    await acme.conversations.items.delete(appended[0]!, { conversation_id: conversation.id });
    assert.ok((await used('acme')) < before - 30_000);
    await acme.conversations.items.create(conversation.id, { items: [bigMessage(20_000)] });
    await acme.conversations.delete(conversation.id);
    assert.equal(await used('acme'), 0);
    await beta.conversations.delete(theirs.id);
    assert.equal(await used('beta'), 0);
  });

  it('refuses items past the per-conversation item limit, and takes one again after a delete', async () => {
    const twenty = Array.from({ length: 20 }, (_, index) => ({ type: 'message' as const, role: 'user' as const, content: `item ${index}` }));
    const conversation = await acme.conversations.create({ items: twenty });
    const five = await acme.conversations.items.create(conversation.id, { items: twenty.slice(0, 5) });
    await assert.rejects(acme.conversations.items.create(conversation.id, { items: [twenty[0]!] }), isQuotaError('conversation_item_limit_exceeded'));
    assert.equal((await acme.conversations.items.list(conversation.id, { limit: 100 })).data.length, 25);
    // A response that would add its input to the full conversation is refused before the model runs.
    const calls = (await stack.journal('azure')).length;
    await assert.rejects(
      acme.responses.create({ model: MODEL, conversation: conversation.id, input: 'one more' }),
      isQuotaError('conversation_item_limit_exceeded'),
    );
    assert.equal((await stack.journal('azure')).length, calls);
    await acme.conversations.items.delete(five.data[0]!.id!, { conversation_id: conversation.id });
    await acme.conversations.items.create(conversation.id, { items: [twenty[0]!] });
    await acme.conversations.delete(conversation.id);
  });

  it('counts stored responses against the quota: refuses one past it before the model runs, store: false still answers, a delete frees it', async () => {
    // Text with spaces: counting its tokens stays cheap. (The emulator echoes the input in its reply.)
    const text = (bytes: number) => 'lorem '.repeat(Math.ceil(bytes / 6));
    const stored = await acme.responses.create({ model: MODEL, input: text(40_000) });
    const afterOne = await used('acme');
    assert.ok(afterOne > 40_000 && afterOne < QUOTA, `${afterOne} bytes stored`);
    const calls = (await stack.journal('azure')).length;
    const tooBig = text(QUOTA - afterOne + 6);
    await assert.rejects(acme.responses.create({ model: MODEL, input: tooBig }), isQuotaError('storage_quota_exceeded'));
    assert.equal((await stack.journal('azure')).length, calls, 'the model was not called');
    assert.equal(await used('acme'), afterOne);
    const unstored = await acme.responses.create({ model: MODEL, input: tooBig, store: false });
    assert.equal(unstored.status, 'completed');
    assert.equal(await used('acme'), afterOne);

    await acme.responses.delete(stored.id);
    assert.equal(await used('acme'), 0);
    const again = await acme.responses.create({ model: MODEL, input: tooBig });
    assert.equal((await acme.responses.retrieve(again.id)).id, again.id);
    await acme.responses.delete(again.id);
    assert.equal(await used('acme'), 0);
  });

  it('stores nothing unbounded for a 100 KB model name (refused at validation) or a 250-character one (logged)', async () => {
    const huge = `no-such-model-${'m'.repeat(100_000)}`;
    await assert.rejects(
      acme.chat.completions.create({ model: huge, messages: [{ role: 'user', content: 'hi' }] }),
      (error: { status?: number }) => error.status === 400,
    );
    const model = `no-such-model-${'m'.repeat(236)}`;
    await assert.rejects(
      acme.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }),
      (error: { status?: number }) => error.status === 404,
    );
    await stack.gateway.requestLog.flush();
    const rows = await stack.gateway.store.listRequestLogs({ limit: 10 });
    assert.ok(rows.length > 0);
    for (const row of rows) assert.ok(row.model.length <= 256, `${row.model.length} characters stored`);
    assert.ok(rows.some((row) => row.model.startsWith('no-such-model-mmm')));
  });
});

describe('storage housekeeping', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'crossway-housekeeping-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prunes request-log rows past request_log.retention_days, and conversations past runtime.conversation_retention_days', async () => {
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    const row = (id: string, created_at: string) => ({
      id,
      created_at,
      endpoint: 'chat.completions',
      model: 'm',
      route: null,
      attempts: 0,
      status: 404,
      error_code: 'model_not_found',
      stream: false,
      prompt_tokens: null,
      completion_tokens: null,
      cached_tokens: null,
      duration_ms: 1,
      ttfb_ms: null,
    });
    const conversation = (id: string, created_at: string) => ({ id, tenant: 'default', created_at, metadata: {} });
    const first = await startStack({ dataDir });
    await first.gateway.store.insertRequestLogs([row('req_old', daysAgo(8)), row('req_recent', daysAgo(6))]);
    await first.gateway.store.insertConversation(conversation('conv_old', daysAgo(3)), [
      { conversation_id: 'conv_old', item_id: 'msg_1', item: { type: 'message', role: 'user', content: 'old' }, created_at: daysAgo(3) },
    ]);
    await first.gateway.store.insertConversation(conversation('conv_recent', daysAgo(1)), []);
    await first.close();

    // Housekeeping runs as a gateway starts (and every 10 minutes after).
    const second = await startStack({ dataDir, runtime: { conversation_retention_days: 2 } });
    try {
      await waitFor('housekeeping to delete conv_old', async () => (await second.gateway.store.getConversation('default', 'conv_old')) === null);
      assert.ok((await second.gateway.store.getConversation('default', 'conv_recent')) !== null);
      assert.equal(await second.gateway.store.getTenantStorage('default'), Buffer.byteLength('{}'));
      // The default retention (30 days) keeps both rows.
      assert.deepEqual((await second.gateway.store.listRequestLogs({ limit: 10 })).map((logged) => logged.id).sort(), ['req_old', 'req_recent']);
    } finally {
      await second.close();
    }
    const third = await startStack({ dataDir, requestLog: { retention_days: 7 } });
    try {
      await waitFor('housekeeping to delete req_old', async () =>
        (await third.gateway.store.listRequestLogs({ limit: 10 })).every((logged) => logged.id !== 'req_old'),
      );
      assert.deepEqual(
        (await third.gateway.store.listRequestLogs({ limit: 10 })).map((logged) => logged.id),
        ['req_recent'],
      );
    } finally {
      await third.close();
    }
  });
});
