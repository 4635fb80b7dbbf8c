// The Conversations API end to end with the official openai client (CRUD, items, pagination, OpenAI's limits), responses
// that read from and append to a conversation, and tenant isolation (BOLA) on every response and conversation endpoint.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startStack, type Stack } from './support/start-stack.ts';

const MODEL = 'via-azure-v1';

describe('conversations', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('creates, retrieves, updates and deletes a conversation with its items', async () => {
    const created = await stack.client.conversations.create({
      metadata: { topic: 'demo' },
      items: [
        { type: 'message', role: 'user', content: 'Hello!' },
        { type: 'message', role: 'user', content: 'How are you?' },
      ],
    });
    assert.match(created.id, /^conv_[0-9a-f]{32,}$/);
    assert.equal(created.object, 'conversation');
    assert.deepEqual(created.metadata, { topic: 'demo' });
    assert.equal((await stack.client.conversations.retrieve(created.id)).id, created.id);
    const updated = await stack.client.conversations.update(created.id, { metadata: { topic: 'changed' } });
    assert.deepEqual(updated.metadata, { topic: 'changed' });

    const added = await stack.client.conversations.items.create(created.id, { items: [{ type: 'message', role: 'user', content: 'Third' }] });
    assert.equal(added.data.length, 1);
    const ascending = await stack.client.conversations.items.list(created.id, { order: 'asc' });
    assert.deepEqual(
      ascending.data.map((item) => JSON.stringify(item).match(/Hello!|How are you\?|Third/)?.[0]),
      ['Hello!', 'How are you?', 'Third'],
    );
    const firstPage = await stack.client.conversations.items.list(created.id, { order: 'asc', limit: 2 });
    assert.equal(firstPage.data.length, 2);
    assert.equal(firstPage.has_more, true);
    const secondPage = await stack.client.conversations.items.list(created.id, { order: 'asc', limit: 2, after: firstPage.data[1]!.id! });
    assert.equal(secondPage.data.length, 1);
    assert.equal(secondPage.has_more, false);
    const descending = await stack.client.conversations.items.list(created.id);
    assert.match(JSON.stringify(descending.data[0]), /Third/);

    const itemId = ascending.data[0]!.id!;
    assert.equal((await stack.client.conversations.items.retrieve(itemId, { conversation_id: created.id })).id, itemId);
    await stack.client.conversations.items.delete(itemId, { conversation_id: created.id });
    await assert.rejects(
      stack.client.conversations.items.retrieve(itemId, { conversation_id: created.id }),
      (error: unknown) => error instanceof OpenAI.NotFoundError,
    );

    const deleted = await stack.client.conversations.delete(created.id);
    assert.equal(deleted.deleted, true);
    await assert.rejects(stack.client.conversations.retrieve(created.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
    await assert.rejects(stack.client.conversations.items.list(created.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
  });

  it("answers OpenAI's limits with 400s: more than 20 items per call, more than 16 metadata pairs, long keys and values", async () => {
    const conversation = await stack.client.conversations.create({});
    const items = Array.from({ length: 21 }, (_, index) => ({ type: 'message' as const, role: 'user' as const, content: `item ${index}` }));
    await assert.rejects(stack.client.conversations.items.create(conversation.id, { items }), (error: unknown) => error instanceof OpenAI.BadRequestError);
    await assert.rejects(stack.client.conversations.create({ items }), (error: unknown) => error instanceof OpenAI.BadRequestError);
    const metadata = Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`k${index}`, 'v']));
    await assert.rejects(
      stack.client.conversations.create({ metadata }),
      (error: unknown) => error instanceof OpenAI.BadRequestError && error.param?.startsWith('metadata') === true,
    );
    await assert.rejects(
      stack.client.conversations.update(conversation.id, { metadata: { ['k'.repeat(65)]: 'v' } }),
      (error: unknown) => error instanceof OpenAI.BadRequestError,
    );
    await assert.rejects(
      stack.client.conversations.update(conversation.id, { metadata: { k: 'v'.repeat(513) } }),
      (error: unknown) => error instanceof OpenAI.BadRequestError,
    );
  });

  it('feeds a conversation to responses and appends every turn to it', async () => {
    const conversation = await stack.client.conversations.create({
      items: [{ type: 'message', role: 'user', content: 'Remember: the code word is heliotrope.' }],
    });
    const first = await stack.client.responses.create({ model: MODEL, conversation: conversation.id, input: 'What is the code word?' });
    assert.match(first.output_text, /to 2 messages/);
    const second = await stack.client.responses.create({ model: MODEL, conversation: { id: conversation.id }, input: 'Say it again.' });
    assert.match(second.output_text, /to 4 messages/);
    const items = await stack.client.conversations.items.list(conversation.id, { order: 'asc' });
    assert.equal(items.data.length, 5);
    assert.deepEqual(
      items.data.map((item) => (item as { role?: string }).role),
      ['user', 'user', 'assistant', 'user', 'assistant'],
    );
  });

  it('serialises concurrent appends to one conversation without losing an item', async () => {
    const conversation = await stack.client.conversations.create({});
    await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        stack.client.conversations.items.create(conversation.id, { items: [{ type: 'message', role: 'user', content: `concurrent ${index}` }] }),
      ),
    );
    const items = await stack.client.conversations.items.list(conversation.id, { limit: 100 });
    assert.equal(items.data.length, 10);
    assert.equal(new Set(items.data.map((item) => item.id)).size, 10);
  });

  it("keeps each tenant's responses and conversations from every other tenant (404 exactly like a missing id)", async () => {
    for (const id of ['tenant-a', 'tenant-b']) assert.equal((await stack.api('POST', '/admin/tenants', { id, name: id })).status, 201);
    const keyOf = async (tenant: string) => (await stack.api('POST', '/admin/keys', { tenant })).body.key as string;
    const a = stack.clientFor(await keyOf('tenant-a'));
    const b = stack.clientFor(await keyOf('tenant-b'));
    const response = await a.responses.create({ model: MODEL, input: 'tenant A secret' });
    const background = await a.responses.create({ model: MODEL, input: 'tenant A background', background: true });
    const conversation = await a.conversations.create({ items: [{ type: 'message', role: 'user', content: 'tenant A conversation' }] });
    const item = (await a.conversations.items.list(conversation.id)).data[0]!;
    const notFound = (error: unknown) => error instanceof OpenAI.NotFoundError;
    await assert.rejects(b.responses.retrieve(response.id), notFound);
    await assert.rejects(b.responses.inputItems.list(response.id), notFound);
    await assert.rejects(b.responses.cancel(background.id), notFound);
    await assert.rejects(b.responses.delete(response.id), notFound);
    await assert.rejects(b.responses.create({ model: MODEL, previous_response_id: response.id, input: 'continue A' }), notFound);
    await assert.rejects(b.responses.create({ model: MODEL, conversation: conversation.id, input: 'join A' }), notFound);
    await assert.rejects(b.conversations.retrieve(conversation.id), notFound);
    await assert.rejects(b.conversations.update(conversation.id, { metadata: { x: 'y' } }), notFound);
    await assert.rejects(b.conversations.items.list(conversation.id), notFound);
    await assert.rejects(b.conversations.items.create(conversation.id, { items: [{ type: 'message', role: 'user', content: 'intrude' }] }), notFound);
    await assert.rejects(b.conversations.items.retrieve(item.id!, { conversation_id: conversation.id }), notFound);
    await assert.rejects(b.conversations.items.delete(item.id!, { conversation_id: conversation.id }), notFound);
    await assert.rejects(b.conversations.delete(conversation.id), notFound);
    // Tenant A still has everything.
    assert.equal((await a.responses.retrieve(response.id)).id, response.id);
    assert.equal((await a.conversations.items.list(conversation.id)).data.length, 1);
  });
});
