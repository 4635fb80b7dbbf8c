// The stateful runtime part of the Store contract (stored responses, chains, stream events, conversations); run by runStoreTests.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ConversationItemRecord, ConversationRecord, ResponseItemRecord, StoredResponseRecord } from './runtime-records.ts';
import { StorageLimitError } from './storage-limits.ts';
import type { Store } from './store.ts';

/** Builds a stored response of tenant `acme` with defaults for whatever the test does not care about. */
export function makeStoredResponse(overrides: Partial<StoredResponseRecord> & Pick<StoredResponseRecord, 'id'>): StoredResponseRecord {
  return {
    tenant: 'acme',
    created_at: '2026-06-01T12:00:00.000Z',
    updated_at: '2026-06-01T12:00:00.000Z',
    status: 'completed',
    model: 'gpt-5.5',
    route: 'azure-swedencentral-gpt-5.5',
    previous_response_id: null,
    conversation_id: null,
    background: false,
    request: { model: 'gpt-5.5', store: true, metadata: { topic: 'ünïcödé' } },
    response: { id: overrides.id, object: 'response', status: overrides.status ?? 'completed', output: [] },
    usage_event_id: null,
    expires_at: null,
    ...overrides,
  };
}

/** Builds an item of a response; its id names the response, kind and position, so tests can tell items apart. */
export function makeResponseItem(responseId: string, kind: ResponseItemRecord['kind'], position: number): ResponseItemRecord {
  const itemId = `${kind === 'input' ? 'msg_in' : 'msg_out'}_${responseId}_${position}`;
  const role = kind === 'input' ? 'user' : 'assistant';
  return {
    response_id: responseId,
    kind,
    position,
    item_id: itemId,
    item: { id: itemId, type: 'message', role, content: [{ type: 'input_text', text: itemId }] },
  };
}

/** Builds a conversation of tenant `acme`. */
export function makeConversation(overrides: Partial<ConversationRecord> & Pick<ConversationRecord, 'id'>): ConversationRecord {
  return { tenant: 'acme', created_at: '2026-06-01T12:00:00.000Z', metadata: { topic: 'demo' }, ...overrides };
}

/** Builds a new item of a conversation (the store assigns the position). */
export function makeConversationItem(conversationId: string, itemId: string): Omit<ConversationItemRecord, 'position'> {
  return {
    conversation_id: conversationId,
    item_id: itemId,
    item: { id: itemId, type: 'message', role: 'user', content: [{ type: 'input_text', text: itemId }] },
    created_at: '2026-06-01T12:00:01.000Z',
  };
}

const ids = (items: readonly { item_id: string }[]) => items.map((item) => item.item_id);

export function runRuntimeStoreTests(open: () => Promise<Store>): void {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
  });

  // Stores responses r1..rN of `tenant`, each chained to the one before, each with one input and one output item.
  async function insertChain(prefix: string, length: number, tenant = 'acme', first: string | null = null): Promise<string[]> {
    const chain: string[] = [];
    for (let index = 1; index <= length; index += 1) {
      const id = `${prefix}${index}`;
      const previous = index === 1 ? first : chain.at(-1)!;
      await store.insertResponse(makeStoredResponse({ id, tenant, previous_response_id: previous }), [
        makeResponseItem(id, 'input', 0),
        makeResponseItem(id, 'output', 0),
      ]);
      chain.push(id);
    }
    return chain;
  }

  describe('responses', () => {
    it('stores a response with its items and reads it back as given', async () => {
      const response = makeStoredResponse({
        id: 'resp_1',
        background: true,
        status: 'queued',
        route: null,
        expires_at: '2026-07-01T00:00:00.000Z',
        usage_event_id: 'evt_1',
      });
      await store.insertResponse(response, [
        makeResponseItem('resp_1', 'input', 0),
        makeResponseItem('resp_1', 'input', 1),
        makeResponseItem('resp_1', 'output', 0),
      ]);
      assert.deepEqual(await store.getResponse('acme', 'resp_1'), response);
      assert.equal(await store.getResponse('acme', 'resp_missing'), null);
      const page = { limit: 10, order: 'asc' } as const;
      assert.deepEqual(await store.listResponseItems('acme', 'resp_1', 'input', page), [
        makeResponseItem('resp_1', 'input', 0),
        makeResponseItem('resp_1', 'input', 1),
      ]);
      assert.deepEqual(await store.listResponseItems('acme', 'resp_1', 'output', page), [makeResponseItem('resp_1', 'output', 0)]);
    });

    it('refuses a taken id without writing any of the second insert', async () => {
      await store.insertResponse(makeStoredResponse({ id: 'resp_1' }), [makeResponseItem('resp_1', 'input', 0)]);
      await assert.rejects(store.insertResponse(makeStoredResponse({ id: 'resp_1', model: 'other' }), [makeResponseItem('resp_1', 'input', 1)]));
      assert.equal((await store.getResponse('acme', 'resp_1'))?.model, 'gpt-5.5');
      assert.deepEqual(ids(await store.listResponseItems('acme', 'resp_1', 'input', { limit: 10, order: 'asc' })), ['msg_in_resp_1_0']);
    });

    it('refuses items filed under another response', async () => {
      await assert.rejects(store.insertResponse(makeStoredResponse({ id: 'resp_1' }), [makeResponseItem('resp_2', 'input', 0)]), /resp_2/);
      assert.equal(await store.getResponse('acme', 'resp_1'), null);
    });

    it('applies a patch and appends output items in one call', async () => {
      await store.insertResponse(makeStoredResponse({ id: 'resp_1', status: 'in_progress', route: null }), [makeResponseItem('resp_1', 'input', 0)]);
      const patch = {
        status: 'completed',
        route: 'bedrock-us-east-2-gpt-5.5',
        response: { id: 'resp_1', object: 'response', status: 'completed', output: [{ type: 'message' }] },
        usage_event_id: 'evt_9',
        updated_at: '2026-06-01T12:00:05.000Z',
      } as const;
      assert.equal(
        await store.updateResponse('acme', 'resp_1', patch, [makeResponseItem('resp_1', 'output', 0), makeResponseItem('resp_1', 'output', 1)]),
        true,
      );
      assert.deepEqual(await store.getResponse('acme', 'resp_1'), makeStoredResponse({ id: 'resp_1', ...patch }));
      // An empty patch still appends.
      assert.equal(await store.updateResponse('acme', 'resp_1', {}, [makeResponseItem('resp_1', 'output', 2)]), true);
      assert.deepEqual(ids(await store.listResponseItems('acme', 'resp_1', 'output', { limit: 10, order: 'asc' })), [
        'msg_out_resp_1_0',
        'msg_out_resp_1_1',
        'msg_out_resp_1_2',
      ]);
      assert.equal(await store.updateResponse('acme', 'resp_missing', { status: 'failed' }, [makeResponseItem('resp_missing', 'output', 0)]), false);
      assert.equal(await store.updateResponse('acme', 'resp_missing', {}), false);
    });

    it('deletes a response with its items and events, leaving nothing behind for a reused id', async () => {
      await store.insertResponse(makeStoredResponse({ id: 'resp_1' }), [makeResponseItem('resp_1', 'input', 0), makeResponseItem('resp_1', 'output', 0)]);
      await store.appendResponseEvents([{ response_id: 'resp_1', sequence_number: 0, event: { type: 'response.created', sequence_number: 0 } }]);
      assert.equal(await store.deleteResponse('acme', 'resp_1'), true);
      assert.equal(await store.deleteResponse('acme', 'resp_1'), false);
      assert.equal(await store.getResponse('acme', 'resp_1'), null);
      assert.equal(await store.readResponseChain('acme', 'resp_1'), null);
      // Listings check the parent, so insert it again to see whether any child row stayed.
      await store.insertResponse(makeStoredResponse({ id: 'resp_1' }), []);
      assert.deepEqual(await store.listResponseItems('acme', 'resp_1', 'input', { limit: 10, order: 'asc' }), []);
      assert.deepEqual(await store.listResponseItems('acme', 'resp_1', 'output', { limit: 10, order: 'asc' }), []);
      assert.deepEqual(await store.listResponseEvents('acme', 'resp_1', -1), []);
    });

    it('pages input items by position, ascending and descending, after an item id', async () => {
      const items = Array.from({ length: 7 }, (_, position) => makeResponseItem('resp_1', 'input', position));
      await store.insertResponse(makeStoredResponse({ id: 'resp_1' }), [...items, makeResponseItem('resp_1', 'output', 0)]);
      const list = (page: { after?: string; limit: number; order: 'asc' | 'desc' }) => store.listResponseItems('acme', 'resp_1', 'input', page).then(ids);
      assert.deepEqual(await list({ limit: 3, order: 'asc' }), ['msg_in_resp_1_0', 'msg_in_resp_1_1', 'msg_in_resp_1_2']);
      assert.deepEqual(await list({ after: 'msg_in_resp_1_2', limit: 3, order: 'asc' }), ['msg_in_resp_1_3', 'msg_in_resp_1_4', 'msg_in_resp_1_5']);
      assert.deepEqual(await list({ after: 'msg_in_resp_1_5', limit: 3, order: 'asc' }), ['msg_in_resp_1_6']);
      assert.deepEqual(await list({ limit: 2, order: 'desc' }), ['msg_in_resp_1_6', 'msg_in_resp_1_5']);
      assert.deepEqual(await list({ after: 'msg_in_resp_1_5', limit: 2, order: 'desc' }), ['msg_in_resp_1_4', 'msg_in_resp_1_3']);
      assert.deepEqual(await list({ after: 'msg_in_resp_1_1', limit: 5, order: 'desc' }), ['msg_in_resp_1_0']);
      // An unknown `after`, or one naming an item of the other kind, gives an empty page.
      assert.deepEqual(await list({ after: 'msg_nowhere', limit: 3, order: 'asc' }), []);
      assert.deepEqual(await list({ after: 'msg_out_resp_1_0', limit: 3, order: 'asc' }), []);
    });

    it('lists responses in the given statuses, of every tenant, oldest first', async () => {
      await store.insertResponse(makeStoredResponse({ id: 'resp_c', status: 'queued', created_at: '2026-06-01T12:00:03.000Z' }), []);
      await store.insertResponse(makeStoredResponse({ id: 'resp_a', status: 'in_progress', tenant: 'globex', created_at: '2026-06-01T12:00:01.000Z' }), []);
      await store.insertResponse(makeStoredResponse({ id: 'resp_b', status: 'completed', created_at: '2026-06-01T12:00:02.000Z' }), []);
      await store.insertResponse(makeStoredResponse({ id: 'resp_d', status: 'queued', created_at: '2026-06-01T12:00:00.000Z' }), []);
      const listed = await store.listResponsesByStatus(['queued', 'in_progress']);
      assert.deepEqual(
        listed.map((response) => [response.id, response.tenant]),
        [
          ['resp_d', 'acme'],
          ['resp_a', 'globex'],
          ['resp_c', 'acme'],
        ],
      );
      assert.deepEqual(
        (await store.listResponsesByStatus(['completed'])).map((response) => response.id),
        ['resp_b'],
      );
      assert.deepEqual(await store.listResponsesByStatus([]), []);
    });

    it('prunes responses that expired before the cutoff, with their items and events', async () => {
      await store.insertResponse(makeStoredResponse({ id: 'resp_old', expires_at: '2026-06-01T00:00:00.000Z' }), [makeResponseItem('resp_old', 'input', 0)]);
      await store.insertResponse(makeStoredResponse({ id: 'resp_old2', tenant: 'globex', expires_at: '2026-06-01T23:59:59.999Z' }), []);
      await store.insertResponse(makeStoredResponse({ id: 'resp_new', expires_at: '2026-06-02T00:00:00.000Z' }), [makeResponseItem('resp_new', 'input', 0)]);
      await store.insertResponse(makeStoredResponse({ id: 'resp_kept' }), []);
      await store.appendResponseEvents([{ response_id: 'resp_old', sequence_number: 0, event: { type: 'response.created' } }]);
      assert.equal(await store.pruneResponses('2026-06-02T00:00:00.000Z'), 2);
      assert.equal(await store.getResponse('acme', 'resp_old'), null);
      assert.equal(await store.getResponse('globex', 'resp_old2'), null);
      assert.equal((await store.getResponse('acme', 'resp_new'))?.id, 'resp_new');
      assert.equal((await store.getResponse('acme', 'resp_kept'))?.id, 'resp_kept');
      assert.deepEqual(ids(await store.listResponseItems('acme', 'resp_new', 'input', { limit: 10, order: 'asc' })), ['msg_in_resp_new_0']);
      await store.insertResponse(makeStoredResponse({ id: 'resp_old' }), []);
      assert.deepEqual(await store.listResponseItems('acme', 'resp_old', 'input', { limit: 10, order: 'asc' }), []);
      assert.deepEqual(await store.listResponseEvents('acme', 'resp_old', -1), []);
      assert.equal(await store.pruneResponses('2026-06-02T00:00:00.000Z'), 0);
    });

    it('appends stream events, skipping stored sequence numbers, and lists those after a number', async () => {
      await store.insertResponse(makeStoredResponse({ id: 'resp_1', background: true, status: 'in_progress' }), []);
      const event = (sequence: number, text: string) => ({
        response_id: 'resp_1',
        sequence_number: sequence,
        event: { type: 'response.output_text.delta', sequence_number: sequence, delta: text },
      });
      await store.appendResponseEvents([event(0, 'a'), event(1, 'b')]);
      await store.appendResponseEvents([event(1, 'B'), event(2, 'c'), event(2, 'C'), event(3, 'd')]);
      await store.appendResponseEvents([]);
      assert.deepEqual(await store.listResponseEvents('acme', 'resp_1', -1), [event(0, 'a'), event(1, 'b'), event(2, 'c'), event(3, 'd')]);
      assert.deepEqual(await store.listResponseEvents('acme', 'resp_1', 1), [event(2, 'c'), event(3, 'd')]);
      assert.deepEqual(await store.listResponseEvents('acme', 'resp_1', 3), []);
      // Events of a response that is not stored are dropped (they would otherwise outlive it).
      await store.appendResponseEvents([{ response_id: 'resp_gone', sequence_number: 0, event: { type: 'response.created' } }]);
      await store.insertResponse(makeStoredResponse({ id: 'resp_gone' }), []);
      assert.deepEqual(await store.listResponseEvents('acme', 'resp_gone', -1), []);
    });

    it('appends many events in one call', async () => {
      await store.insertResponse(makeStoredResponse({ id: 'resp_1', background: true }), []);
      const events = Array.from({ length: 2_500 }, (_, sequence) => ({
        response_id: 'resp_1',
        sequence_number: sequence,
        event: { type: 'delta', sequence_number: sequence },
      }));
      await store.appendResponseEvents(events);
      const listed = await store.listResponseEvents('acme', 'resp_1', 2_400);
      assert.deepEqual(
        listed.map((event) => event.sequence_number),
        Array.from({ length: 99 }, (_, index) => 2_401 + index),
      );
    });
  });

  describe('response chains', () => {
    it('reads a chain of five with every item in order, inputs before outputs', async () => {
      const chain = await insertChain('resp_', 5);
      // A second input item on the third response, inserted out of order on purpose.
      await store.updateResponse('acme', 'resp_3', {}, [makeResponseItem('resp_3', 'input', 1)]);
      const read = await store.readResponseChain('acme', 'resp_5');
      assert.deepEqual(
        read?.responses.map((response) => response.id),
        chain,
      );
      assert.deepEqual(read?.responses[2], makeStoredResponse({ id: 'resp_3', previous_response_id: 'resp_2' }));
      const expected = chain.flatMap((id) =>
        id === 'resp_3'
          ? [makeResponseItem(id, 'input', 0), makeResponseItem(id, 'input', 1), makeResponseItem(id, 'output', 0)]
          : [makeResponseItem(id, 'input', 0), makeResponseItem(id, 'output', 0)],
      );
      assert.deepEqual(read?.items, expected);
      const middle = await store.readResponseChain('acme', 'resp_2');
      assert.deepEqual(
        middle?.responses.map((response) => response.id),
        ['resp_1', 'resp_2'],
      );
    });

    it('reads a response without items as a chain of one', async () => {
      await store.insertResponse(makeStoredResponse({ id: 'resp_1' }), []);
      assert.deepEqual(await store.readResponseChain('acme', 'resp_1'), { responses: [makeStoredResponse({ id: 'resp_1' })], items: [] });
      assert.equal(await store.readResponseChain('acme', 'resp_missing'), null);
    });

    it('gives each branch its own chain', async () => {
      await insertChain('resp_', 2);
      await insertChain('left_', 2, 'acme', 'resp_2');
      await insertChain('right_', 1, 'acme', 'resp_2');
      const left = await store.readResponseChain('acme', 'left_2');
      const right = await store.readResponseChain('acme', 'right_1');
      assert.deepEqual(
        left?.responses.map((response) => response.id),
        ['resp_1', 'resp_2', 'left_1', 'left_2'],
      );
      assert.deepEqual(
        right?.responses.map((response) => response.id),
        ['resp_1', 'resp_2', 'right_1'],
      );
      assert.deepEqual(ids(right?.items ?? []), [
        'msg_in_resp_1_0',
        'msg_out_resp_1_0',
        'msg_in_resp_2_0',
        'msg_out_resp_2_0',
        'msg_in_right_1_0',
        'msg_out_right_1_0',
      ]);
    });

    it('ends a chain where a response was deleted', async () => {
      await insertChain('resp_', 5);
      assert.equal(await store.deleteResponse('acme', 'resp_3'), true);
      const read = await store.readResponseChain('acme', 'resp_5');
      assert.deepEqual(
        read?.responses.map((response) => response.id),
        ['resp_4', 'resp_5'],
      );
      assert.deepEqual(ids(read?.items ?? []), ['msg_in_resp_4_0', 'msg_out_resp_4_0', 'msg_in_resp_5_0', 'msg_out_resp_5_0']);
      assert.deepEqual(
        (await store.readResponseChain('acme', 'resp_2'))?.responses.map((response) => response.id),
        ['resp_1', 'resp_2'],
      );
    });

    it('reads a chain of 200 responses in one call', async () => {
      const chain = await insertChain('resp_', 200);
      const read = await store.readResponseChain('acme', 'resp_200');
      assert.deepEqual(
        read?.responses.map((response) => response.id),
        chain,
      );
      assert.deepEqual(
        ids(read?.items ?? []),
        chain.flatMap((id) => [`msg_in_${id}_0`, `msg_out_${id}_0`]),
      );
    });
  });

  describe('conversations', () => {
    it('stores a conversation with its items at positions from 0, and reads them back', async () => {
      const conversation = makeConversation({ id: 'conv_1' });
      const items = await store.insertConversation(conversation, [makeConversationItem('conv_1', 'msg_a'), makeConversationItem('conv_1', 'msg_b')]);
      assert.deepEqual(items, [
        { ...makeConversationItem('conv_1', 'msg_a'), position: 0 },
        { ...makeConversationItem('conv_1', 'msg_b'), position: 1 },
      ]);
      assert.deepEqual(await store.getConversation('acme', 'conv_1'), conversation);
      assert.deepEqual(await store.readConversationItems('acme', 'conv_1'), items);
      assert.equal(await store.getConversation('acme', 'conv_missing'), null);
      await assert.rejects(store.insertConversation(makeConversation({ id: 'conv_1' }), []));
      await store.insertConversation(makeConversation({ id: 'conv_empty' }), []);
      assert.deepEqual(await store.readConversationItems('acme', 'conv_empty'), []);
      assert.deepEqual(await store.listConversationItems('acme', 'conv_empty', { limit: 10, order: 'asc' }), []);
    });

    it('replaces metadata', async () => {
      await store.insertConversation(makeConversation({ id: 'conv_1' }), []);
      assert.deepEqual(
        await store.updateConversation('acme', 'conv_1', { topic: 'changed', lang: 'fr' }),
        makeConversation({ id: 'conv_1', metadata: { topic: 'changed', lang: 'fr' } }),
      );
      assert.deepEqual((await store.getConversation('acme', 'conv_1'))?.metadata, { topic: 'changed', lang: 'fr' });
      assert.equal(await store.updateConversation('acme', 'conv_missing', {}), null);
    });

    it('deletes a conversation with its items, leaving nothing behind for a reused id', async () => {
      await store.insertConversation(makeConversation({ id: 'conv_1' }), [makeConversationItem('conv_1', 'msg_a')]);
      assert.equal(await store.deleteConversation('acme', 'conv_1'), true);
      assert.equal(await store.deleteConversation('acme', 'conv_1'), false);
      assert.equal(await store.getConversation('acme', 'conv_1'), null);
      assert.equal(await store.readConversationItems('acme', 'conv_1'), null);
      await store.insertConversation(makeConversation({ id: 'conv_1' }), []);
      assert.deepEqual(await store.readConversationItems('acme', 'conv_1'), []);
    });

    it('appends after the last item, and keeps counting after the last one is deleted', async () => {
      await store.insertConversation(makeConversation({ id: 'conv_1' }), [makeConversationItem('conv_1', 'msg_a')]);
      const appended = await store.appendConversationItems('acme', 'conv_1', [
        makeConversationItem('conv_1', 'msg_b'),
        makeConversationItem('conv_1', 'msg_c'),
      ]);
      assert.deepEqual(appended, [
        { ...makeConversationItem('conv_1', 'msg_b'), position: 1 },
        { ...makeConversationItem('conv_1', 'msg_c'), position: 2 },
      ]);
      assert.equal(await store.deleteConversationItem('acme', 'conv_1', 'msg_b'), true);
      assert.deepEqual(
        (await store.appendConversationItems('acme', 'conv_1', [makeConversationItem('conv_1', 'msg_d')]))?.map((item) => item.position),
        [3],
      );
      assert.deepEqual(await store.appendConversationItems('acme', 'conv_1', []), []);
      assert.equal(await store.appendConversationItems('acme', 'conv_missing', [makeConversationItem('conv_missing', 'msg_x')]), null);
      assert.equal(await store.appendConversationItems('acme', 'conv_missing', []), null);
      const read = await store.readConversationItems('acme', 'conv_1');
      assert.deepEqual(
        read?.map((item) => [item.item_id, item.position]),
        [
          ['msg_a', 0],
          ['msg_c', 2],
          ['msg_d', 3],
        ],
      );
    });

    it('appends all or nothing: a duplicate item id fails the whole append', async () => {
      await store.insertConversation(makeConversation({ id: 'conv_1' }), [makeConversationItem('conv_1', 'msg_a')]);
      await assert.rejects(store.appendConversationItems('acme', 'conv_1', [makeConversationItem('conv_1', 'msg_b'), makeConversationItem('conv_1', 'msg_a')]));
      assert.deepEqual(ids((await store.readConversationItems('acme', 'conv_1')) ?? []), ['msg_a']);
    });

    it('serialises 20 concurrent appends: every item lands, at distinct positions', async () => {
      await store.insertConversation(makeConversation({ id: 'conv_1' }), []);
      const appends = Array.from({ length: 20 }, (_, index) =>
        store.appendConversationItems('acme', 'conv_1', [makeConversationItem('conv_1', `msg_${index}_a`), makeConversationItem('conv_1', `msg_${index}_b`)]),
      );
      const results = await Promise.all(appends);
      for (const result of results) {
        // Each append's own items are consecutive: no other append interleaved with it.
        assert.equal(result?.length, 2);
        assert.equal(result[1]!.position, result[0]!.position + 1);
      }
      const read = (await store.readConversationItems('acme', 'conv_1')) ?? [];
      assert.deepEqual(
        read.map((item) => item.position),
        Array.from({ length: 40 }, (_, index) => index),
      );
      assert.equal(new Set(ids(read)).size, 40);
    });

    it('pages items ascending and descending after an item id', async () => {
      await store.insertConversation(
        makeConversation({ id: 'conv_1' }),
        ['a', 'b', 'c', 'd', 'e'].map((letter) => makeConversationItem('conv_1', `msg_${letter}`)),
      );
      await store.insertConversation(makeConversation({ id: 'conv_2' }), [makeConversationItem('conv_2', 'msg_z')]);
      const list = (page: { after?: string; limit: number; order: 'asc' | 'desc' }) =>
        store.listConversationItems('acme', 'conv_1', page).then((items) => items && ids(items));
      assert.deepEqual(await list({ limit: 2, order: 'asc' }), ['msg_a', 'msg_b']);
      assert.deepEqual(await list({ after: 'msg_b', limit: 2, order: 'asc' }), ['msg_c', 'msg_d']);
      assert.deepEqual(await list({ after: 'msg_d', limit: 2, order: 'asc' }), ['msg_e']);
      assert.deepEqual(await list({ after: 'msg_e', limit: 2, order: 'asc' }), []);
      assert.deepEqual(await list({ limit: 3, order: 'desc' }), ['msg_e', 'msg_d', 'msg_c']);
      assert.deepEqual(await list({ after: 'msg_c', limit: 3, order: 'desc' }), ['msg_b', 'msg_a']);
      // An `after` unknown here (or another conversation's) gives an empty page.
      assert.deepEqual(await list({ after: 'msg_nowhere', limit: 3, order: 'asc' }), []);
      assert.deepEqual(await list({ after: 'msg_z', limit: 3, order: 'asc' }), []);
      assert.equal(await store.listConversationItems('acme', 'conv_missing', { limit: 3, order: 'asc' }), null);
    });

    it('gets and deletes one item', async () => {
      const [first] = await store.insertConversation(makeConversation({ id: 'conv_1' }), [
        makeConversationItem('conv_1', 'msg_a'),
        makeConversationItem('conv_1', 'msg_b'),
      ]);
      assert.deepEqual(await store.getConversationItem('acme', 'conv_1', 'msg_a'), first);
      assert.equal(await store.getConversationItem('acme', 'conv_1', 'msg_missing'), null);
      assert.equal(await store.deleteConversationItem('acme', 'conv_1', 'msg_a'), true);
      assert.equal(await store.deleteConversationItem('acme', 'conv_1', 'msg_a'), false);
      assert.equal(await store.getConversationItem('acme', 'conv_1', 'msg_a'), null);
      assert.deepEqual(ids((await store.readConversationItems('acme', 'conv_1')) ?? []), ['msg_b']);
    });
  });

  describe('tenant isolation', () => {
    it("treats another tenant's response exactly like a missing one", async () => {
      await insertChain('resp_', 2);
      await store.appendResponseEvents([{ response_id: 'resp_2', sequence_number: 0, event: { type: 'response.created' } }]);
      const before = await store.getResponse('acme', 'resp_2');
      assert.equal(await store.getResponse('globex', 'resp_2'), null);
      assert.equal(await store.updateResponse('globex', 'resp_2', { status: 'failed' }, [makeResponseItem('resp_2', 'output', 1)]), false);
      assert.equal(await store.updateResponse('globex', 'resp_2', {}, [makeResponseItem('resp_2', 'output', 2)]), false);
      assert.deepEqual(await store.listResponseItems('globex', 'resp_2', 'input', { limit: 10, order: 'asc' }), []);
      assert.equal(await store.readResponseChain('globex', 'resp_2'), null);
      assert.deepEqual(await store.listResponseEvents('globex', 'resp_2', -1), []);
      assert.equal(await store.deleteResponse('globex', 'resp_2'), false);
      // Nothing changed for its owner.
      assert.deepEqual(await store.getResponse('acme', 'resp_2'), before);
      assert.deepEqual(ids(await store.listResponseItems('acme', 'resp_2', 'output', { limit: 10, order: 'asc' })), ['msg_out_resp_2_0']);
      assert.equal((await store.readResponseChain('acme', 'resp_2'))?.items.length, 4);
      assert.equal((await store.listResponseEvents('acme', 'resp_2', -1)).length, 1);
    });

    it("does not follow previous_response_id into another tenant's response", async () => {
      await insertChain('theirs_', 2, 'globex');
      await insertChain('mine_', 2, 'acme', 'theirs_2');
      const read = await store.readResponseChain('acme', 'mine_2');
      assert.deepEqual(
        read?.responses.map((response) => response.id),
        ['mine_1', 'mine_2'],
      );
      assert.deepEqual(ids(read?.items ?? []), ['msg_in_mine_1_0', 'msg_out_mine_1_0', 'msg_in_mine_2_0', 'msg_out_mine_2_0']);
    });

    it("treats another tenant's conversation exactly like a missing one", async () => {
      const [item] = await store.insertConversation(makeConversation({ id: 'conv_1' }), [makeConversationItem('conv_1', 'msg_a')]);
      assert.equal(await store.getConversation('globex', 'conv_1'), null);
      assert.equal(await store.updateConversation('globex', 'conv_1', { topic: 'stolen' }), null);
      assert.equal(await store.appendConversationItems('globex', 'conv_1', [makeConversationItem('conv_1', 'msg_b')]), null);
      assert.equal(await store.listConversationItems('globex', 'conv_1', { limit: 10, order: 'asc' }), null);
      assert.equal(await store.readConversationItems('globex', 'conv_1'), null);
      assert.equal(await store.getConversationItem('globex', 'conv_1', 'msg_a'), null);
      assert.equal(await store.deleteConversationItem('globex', 'conv_1', 'msg_a'), false);
      assert.equal(await store.deleteConversation('globex', 'conv_1'), false);
      // Nothing changed for its owner.
      assert.deepEqual(await store.getConversation('acme', 'conv_1'), makeConversation({ id: 'conv_1' }));
      assert.deepEqual(await store.readConversationItems('acme', 'conv_1'), [item]);
    });
  });

  describe('tenant storage quotas', () => {
    // What the store counts for a value: the UTF-8 bytes of its JSON, as stored.
    const bytesOf = (...values: unknown[]) => values.reduce<number>((sum, value) => sum + Buffer.byteLength(JSON.stringify(value)), 0);
    const responseBytes = (response: StoredResponseRecord, items: readonly ResponseItemRecord[]) =>
      bytesOf(response.request, response.response, ...items.map((item) => item.item));
    const bigItem = (conversationId: string, itemId: string, size: number) => {
      const item = makeConversationItem(conversationId, itemId);
      return { ...item, item: { ...item.item, content: [{ type: 'input_text', text: 'é'.repeat(size / 2) }] } };
    };
    const isLimit = (limit: string) => (error: unknown) => error instanceof StorageLimitError && error.limit === limit;

    it("counts a response's bytes against its tenant, and gives them back when it is deleted", async () => {
      assert.equal(await store.getTenantStorage('acme'), 0);
      const response = makeStoredResponse({ id: 'resp_1' });
      const items = [makeResponseItem('resp_1', 'input', 0), makeResponseItem('resp_1', 'output', 0)];
      await store.insertResponse(response, items);
      assert.equal(await store.getTenantStorage('acme'), responseBytes(response, items));
      assert.equal(await store.getTenantStorage('globex'), 0);

      // A patch replaces the response object's bytes and adds the appended items'.
      const patched = { ...response.response, status: 'completed', output: [{ type: 'message', text: 'ünïcödé answer' }] };
      const more = [makeResponseItem('resp_1', 'output', 1)];
      assert.equal(await store.updateResponse('acme', 'resp_1', { response: patched }, more), true);
      assert.equal(await store.getTenantStorage('acme'), responseBytes({ ...response, response: patched }, [...items, ...more]));
      assert.equal(await store.updateResponse('globex', 'resp_1', { response: patched }, []), false);

      assert.equal(await store.deleteResponse('globex', 'resp_1'), false);
      assert.equal(await store.deleteResponse('acme', 'resp_1'), true);
      assert.equal(await store.getTenantStorage('acme'), 0);
    });

    it('refuses a response past the tenant quota, storing nothing, and stores it again once bytes are freed', async () => {
      const first = makeStoredResponse({ id: 'resp_1' });
      const items = [makeResponseItem('resp_1', 'input', 0)];
      const size = responseBytes(first, items);
      await store.insertResponse(first, items, { tenantBytes: size * 3 });
      const second = makeStoredResponse({ id: 'resp_2', request: { ...first.request, instructions: 'x'.repeat(size) } });
      await assert.rejects(store.insertResponse(second, [makeResponseItem('resp_2', 'input', 0)], { tenantBytes: size * 3 }), isLimit('tenant_storage_bytes'));
      assert.equal(await store.getResponse('acme', 'resp_2'), null);
      assert.deepEqual(await store.listResponseItems('acme', 'resp_2', 'input', { limit: 10, order: 'asc' }), []);
      assert.equal(await store.getTenantStorage('acme'), size);
      // Another tenant has its own quota.
      await store.insertResponse({ ...second, id: 'resp_globex', tenant: 'globex' }, [], { tenantBytes: size * 3 });
      assert.equal(await store.deleteResponse('acme', 'resp_1'), true);
      await store.insertResponse(second, [makeResponseItem('resp_2', 'input', 0)], { tenantBytes: size * 3 });
      assert.ok((await store.getResponse('acme', 'resp_2')) !== null);
    });

    it("counts a conversation's metadata and items, and gives them back on every kind of delete", async () => {
      const conversation = makeConversation({ id: 'conv_1' });
      const first = [makeConversationItem('conv_1', 'msg_a')];
      await store.insertConversation(conversation, first);
      let expected = bytesOf(conversation.metadata, ...first.map((item) => item.item));
      assert.equal(await store.getTenantStorage('acme'), expected);
      const appended = [makeConversationItem('conv_1', 'msg_b'), bigItem('conv_1', 'msg_c', 1_000)];
      await store.appendConversationItems('acme', 'conv_1', appended);
      expected += bytesOf(...appended.map((item) => item.item));
      assert.equal(await store.getTenantStorage('acme'), expected);
      await store.updateConversation('acme', 'conv_1', { topic: 'a longer topic', lang: 'fr' });
      expected += bytesOf({ topic: 'a longer topic', lang: 'fr' }) - bytesOf(conversation.metadata);
      assert.equal(await store.getTenantStorage('acme'), expected);
      assert.equal(await store.deleteConversationItem('acme', 'conv_1', 'msg_c'), true);
      expected -= bytesOf(appended[1]?.item);
      assert.equal(await store.getTenantStorage('acme'), expected);
      // Another tenant's attempts neither count nor free anything.
      assert.equal(await store.appendConversationItems('globex', 'conv_1', [makeConversationItem('conv_1', 'msg_x')]), null);
      assert.equal(await store.deleteConversationItem('globex', 'conv_1', 'msg_a'), false);
      assert.equal(await store.deleteConversation('globex', 'conv_1'), false);
      assert.equal(await store.getTenantStorage('acme'), expected);
      assert.equal(await store.getTenantStorage('globex'), 0);
      assert.equal(await store.deleteConversation('acme', 'conv_1'), true);
      assert.equal(await store.getTenantStorage('acme'), 0);
    });

    it("refuses items past the conversation's item limit or the tenant's bytes, storing nothing", async () => {
      await store.insertConversation(makeConversation({ id: 'conv_1' }), [makeConversationItem('conv_1', 'msg_0')], { conversationItems: 3 });
      await assert.rejects(
        store.insertConversation(
          makeConversation({ id: 'conv_2' }),
          ['a', 'b', 'c', 'd'].map((id) => makeConversationItem('conv_2', id)),
          { conversationItems: 3 },
        ),
        isLimit('conversation_max_items'),
      );
      assert.equal(await store.getConversation('acme', 'conv_2'), null);
      const used = await store.getTenantStorage('acme');
      const limits = { conversationItems: 3, tenantBytes: used + 5_000 };
      await store.appendConversationItems('acme', 'conv_1', [makeConversationItem('conv_1', 'msg_1'), makeConversationItem('conv_1', 'msg_2')], limits);
      await assert.rejects(
        store.appendConversationItems('acme', 'conv_1', [makeConversationItem('conv_1', 'msg_3')], limits),
        isLimit('conversation_max_items'),
      );
      assert.deepEqual(ids((await store.readConversationItems('acme', 'conv_1')) ?? []), ['msg_0', 'msg_1', 'msg_2']);
      assert.equal(await store.deleteConversationItem('acme', 'conv_1', 'msg_2'), true);
      const afterDelete = await store.getTenantStorage('acme');
      await assert.rejects(store.appendConversationItems('acme', 'conv_1', [bigItem('conv_1', 'msg_big', 10_000)], limits), isLimit('tenant_storage_bytes'));
      assert.deepEqual(ids((await store.readConversationItems('acme', 'conv_1')) ?? []), ['msg_0', 'msg_1']);
      assert.equal(await store.getTenantStorage('acme'), afterDelete);
      await assert.rejects(
        store.insertConversation(makeConversation({ id: 'conv_3' }), [bigItem('conv_3', 'msg_big', 10_000)], limits),
        isLimit('tenant_storage_bytes'),
      );
      assert.equal(await store.getConversation('acme', 'conv_3'), null);
      // An unknown conversation is still unknown, whatever the limits.
      assert.equal(await store.appendConversationItems('acme', 'conv_missing', [bigItem('conv_missing', 'msg_big', 10_000)], limits), null);
      assert.equal(await store.getTenantStorage('acme'), afterDelete);
    });

    it('lets concurrent appends past the quota by none: exactly those that fit land', async () => {
      await store.insertConversation(makeConversation({ id: 'conv_1' }), []);
      const base = await store.getTenantStorage('acme');
      const one = bytesOf(bigItem('conv_1', 'msg_00', 2_000).item);
      const limits = { tenantBytes: base + one * 5 + one / 2 };
      const appends = Array.from({ length: 12 }, (_, index) =>
        store.appendConversationItems('acme', 'conv_1', [bigItem('conv_1', `msg_${String(index).padStart(2, '0')}`, 2_000)], limits),
      );
      const settled = await Promise.allSettled(appends);
      assert.equal(settled.filter((result) => result.status === 'fulfilled').length, 5);
      assert.ok(settled.every((result) => result.status === 'fulfilled' || isLimit('tenant_storage_bytes')(result.reason)));
      assert.equal((await store.readConversationItems('acme', 'conv_1'))?.length, 5);
      assert.equal(await store.getTenantStorage('acme'), base + one * 5);
    });

    it('gives pruned responses and conversations their bytes back, per tenant', async () => {
      await store.insertResponse(makeStoredResponse({ id: 'old', expires_at: '2026-06-01T00:00:00.000Z' }), [makeResponseItem('old', 'input', 0)]);
      const kept = makeStoredResponse({ id: 'kept', expires_at: '2026-09-01T00:00:00.000Z' });
      await store.insertResponse(kept, [makeResponseItem('kept', 'input', 0)]);
      await store.insertResponse(makeStoredResponse({ id: 'other', tenant: 'globex', expires_at: '2026-06-01T00:00:00.000Z' }), []);
      await store.insertConversation(makeConversation({ id: 'conv_old', created_at: '2026-05-01T00:00:00.000Z' }), [makeConversationItem('conv_old', 'msg_a')]);
      const recent = makeConversation({ id: 'conv_new', created_at: '2026-07-01T00:00:00.000Z' });
      await store.insertConversation(recent, [makeConversationItem('conv_new', 'msg_a')]);
      assert.equal(await store.pruneResponses('2026-07-01T00:00:00.000Z'), 2);
      assert.equal(await store.pruneConversations('2026-06-15T00:00:00.000Z'), 1);
      assert.equal(await store.getConversation('acme', 'conv_old'), null);
      assert.equal(await store.readConversationItems('acme', 'conv_old'), null);
      assert.ok((await store.getConversation('acme', 'conv_new')) !== null);
      assert.equal(
        await store.getTenantStorage('acme'),
        responseBytes(kept, [makeResponseItem('kept', 'input', 0)]) + bytesOf(recent.metadata, makeConversationItem('conv_new', 'msg_a').item),
      );
      assert.equal(await store.getTenantStorage('globex'), 0);
      assert.equal(await store.pruneConversations('2026-06-15T00:00:00.000Z'), 0);
    });
  });

  describe('background leases', () => {
    const t0 = '2026-06-01T12:00:00.000Z';
    const t1 = '2026-06-01T12:00:15.000Z';
    const t2 = '2026-06-01T12:00:30.000Z';
    const t3 = '2026-06-01T12:00:45.000Z';
    // A background job of tenant acme, created `second` seconds after 12:00.
    const job = (id: string, second: number, status: StoredResponseRecord['status'] = 'queued') =>
      makeStoredResponse({ id, background: true, status, route: null, created_at: `2026-06-01T12:00:0${second}.000Z` });
    const claimedIds = (claims: readonly { response: StoredResponseRecord }[]) => claims.map((claim) => claim.response.id);

    it('claims the jobs nobody holds, oldest first, up to the limit, as they were before the claim', async () => {
      await store.insertResponse(job('resp_q2', 2), []);
      await store.insertResponse(job('resp_q1', 1), []);
      await store.insertResponse(job('resp_run', 3, 'in_progress'), [], {}, { owner: 'dead', until: t1 });
      await store.insertResponse(job('resp_held', 4), [], {}, { owner: 'alive', until: t3 });
      await store.insertResponse(job('resp_done', 0, 'completed'), []);
      const first = await store.claimBackgroundResponses({ owner: 'a', until: t3 }, t2, 2);
      assert.deepEqual(claimedIds(first), ['resp_q1', 'resp_q2']);
      assert.deepEqual(first[0]?.response, job('resp_q1', 1));
      assert.equal(first[0]?.run_request_id, null);
      // The lease of `dead` expired at t1: taken over; `alive` holds its own until t3; a finished job is nobody's work.
      const second = await store.claimBackgroundResponses({ owner: 'a', until: t3 }, t2, 10);
      assert.deepEqual(claimedIds(second), ['resp_run']);
      assert.equal(second[0]?.response.status, 'in_progress');
      assert.deepEqual(await store.claimBackgroundResponses({ owner: 'b', until: t3 }, t2, 10), []);
      assert.deepEqual(await store.claimBackgroundResponses({ owner: 'b', until: t3 }, t2, 0), []);
    });

    it('never gives one job to two claims made at once', async () => {
      for (let index = 0; index < 30; index += 1)
        await store.insertResponse(makeStoredResponse({ id: `resp_${index}`, background: true, status: 'queued' }), []);
      const claims = await Promise.all(['a', 'b', 'c', 'd'].map((owner) => store.claimBackgroundResponses({ owner, until: t3 }, t0, 10)));
      const all = claims.flatMap(claimedIds);
      assert.equal(all.length, 30);
      assert.equal(new Set(all).size, 30);
      assert.deepEqual(await store.claimBackgroundResponses({ owner: 'e', until: t3 }, t0, 10), []);
    });

    it('renews only the leases the owner still holds, and reports a cancel made elsewhere', async () => {
      await store.insertResponse(job('resp_1', 1), [], {}, { owner: 'a', until: t1 });
      await store.insertResponse(job('resp_2', 2), [], {}, { owner: 'a', until: t1 });
      await store.insertResponse(job('resp_3', 3), [], {}, { owner: 'a', until: t1 });
      assert.deepEqual(await store.renewBackgroundLeases('a', ['resp_1', 'resp_2', 'resp_3', 'resp_missing'], t2), [
        { id: 'resp_1', status: 'queued' },
        { id: 'resp_2', status: 'queued' },
        { id: 'resp_3', status: 'queued' },
      ]);
      // Renewed to t2: not claimable at t1 any more.
      assert.deepEqual(await store.claimBackgroundResponses({ owner: 'b', until: t3 }, t1, 10), []);
      assert.equal(await store.updateResponse('acme', 'resp_2', { status: 'cancelled' }, [], { active: true }), true);
      // resp_3's lease expires and b takes it over.
      assert.deepEqual(await store.renewBackgroundLeases('a', ['resp_1', 'resp_2'], t2), [
        { id: 'resp_1', status: 'queued' },
        { id: 'resp_2', status: 'cancelled' },
      ]);
      assert.deepEqual(claimedIds(await store.claimBackgroundResponses({ owner: 'b', until: t3 }, t2, 10)), ['resp_1', 'resp_3']);
      assert.deepEqual(await store.renewBackgroundLeases('a', ['resp_1', 'resp_3'], t3), []);
      assert.deepEqual(await store.renewBackgroundLeases('a', [], t3), []);
    });

    it('lets another replica claim a released job at once', async () => {
      await store.insertResponse(job('resp_1', 1), [], {}, { owner: 'a', until: t3 });
      await store.insertResponse(job('resp_2', 2), [], {}, { owner: 'c', until: t3 });
      assert.deepEqual(await store.claimBackgroundResponses({ owner: 'b', until: t3 }, t0, 10), []);
      // Only a's own lease goes back.
      await store.releaseBackgroundLeases('a', ['resp_1', 'resp_2']);
      assert.deepEqual(claimedIds(await store.claimBackgroundResponses({ owner: 'b', until: t3 }, t0, 10)), ['resp_1']);
    });

    it("writes a job's own changes only while its owner holds it and it is not over, the storage counter included", async () => {
      const record = job('resp_1', 1, 'in_progress');
      await store.insertResponse(record, [], {}, { owner: 'a', until: t1 });
      const stored = await store.getTenantStorage('acme');
      const output = makeResponseItem('resp_1', 'output', 0);
      const completed = { ...record.response, status: 'completed', output: [output.item] };
      // b took the job over: a's late completion writes nothing, and counts nothing.
      assert.deepEqual(claimedIds(await store.claimBackgroundResponses({ owner: 'b', until: t3 }, t2, 10)), ['resp_1']);
      assert.equal(await store.updateResponse('acme', 'resp_1', { status: 'completed', response: completed }, [output], { owner: 'a' }), false);
      assert.equal((await store.getResponse('acme', 'resp_1'))?.status, 'in_progress');
      assert.deepEqual(await store.listResponseItems('acme', 'resp_1', 'output', { limit: 10, order: 'asc' }), []);
      assert.equal(await store.getTenantStorage('acme'), stored);
      // b's completion lands, with its item and bytes.
      assert.equal(await store.updateResponse('acme', 'resp_1', { status: 'completed', response: completed }, [output], { owner: 'b' }), true);
      assert.equal((await store.getResponse('acme', 'resp_1'))?.status, 'completed');
      assert.deepEqual(await store.listResponseItems('acme', 'resp_1', 'output', { limit: 10, order: 'asc' }), [output]);
      assert.equal(
        await store.getTenantStorage('acme'),
        stored +
          Buffer.byteLength(JSON.stringify(completed)) -
          Buffer.byteLength(JSON.stringify(record.response)) +
          Buffer.byteLength(JSON.stringify(output.item)),
      );
      // A job that is over is not cancelled, nor written by its owner again.
      assert.equal(await store.updateResponse('acme', 'resp_1', { status: 'cancelled' }, [], { active: true }), false);
      assert.equal(await store.updateResponse('acme', 'resp_1', { status: 'failed' }, [], { owner: 'b' }), false);
      assert.equal((await store.getResponse('acme', 'resp_1'))?.status, 'completed');
      // Another tenant's id is not found whatever the condition.
      assert.equal(await store.updateResponse('globex', 'resp_1', { status: 'cancelled' }, [], { active: true }), false);
    });

    it('starts a run: the lease extended, its request id recorded, the events of an earlier run removed', async () => {
      await store.insertResponse(job('resp_1', 1), [], {}, { owner: 'a', until: t1 });
      const pending = { ...job('resp_1', 1).response, status: 'in_progress' };
      assert.deepEqual(
        await store.startBackgroundRun('acme', 'resp_1', { owner: 'a', until: t1, request_id: 'req_1' }, { status: 'in_progress', response: pending }),
        {
          first_sequence_number: 0,
        },
      );
      assert.deepEqual((await store.getResponse('acme', 'resp_1'))?.response, pending);
      const events = [0, 1, 2].map((sequence) => ({ response_id: 'resp_1', sequence_number: sequence, event: { type: 'x', sequence_number: sequence } }));
      await store.appendResponseEvents(events);
      // a dies; b takes over after the lease and learns which run held the job (to look it up in the ledger).
      assert.equal(await store.startBackgroundRun('acme', 'resp_1', { owner: 'b', until: t3, request_id: 'req_2' }, { status: 'in_progress' }), null);
      const [claim] = await store.claimBackgroundResponses({ owner: 'b', until: t2 }, t1, 10);
      assert.equal(claim?.run_request_id, 'req_1');
      assert.equal(claim?.response.status, 'in_progress');
      // a's late start writes nothing and removes nothing.
      assert.equal(await store.startBackgroundRun('acme', 'resp_1', { owner: 'a', until: t3, request_id: 'req_x' }, { status: 'in_progress' }), null);
      assert.equal((await store.listResponseEvents('acme', 'resp_1', -1)).length, 3);
      assert.deepEqual(await store.startBackgroundRun('acme', 'resp_1', { owner: 'b', until: t3, request_id: 'req_2' }, { status: 'in_progress' }), {
        first_sequence_number: 3,
      });
      assert.deepEqual(await store.listResponseEvents('acme', 'resp_1', -1), []);
      // Held to t3 now.
      assert.deepEqual(await store.claimBackgroundResponses({ owner: 'c', until: t3 }, t2, 10), []);
      assert.equal(await store.startBackgroundRun('globex', 'resp_1', { owner: 'b', until: t3, request_id: 'req_3' }, { status: 'in_progress' }), null);
    });

    it('gives a named lease to one owner at a time, renews it for its holder only, and frees it on release or expiry', async () => {
      assert.equal(await store.acquireLease('housekeeping', 'a', t1, t0), true);
      assert.equal(await store.acquireLease('housekeeping', 'b', t1, t0), false);
      assert.equal(await store.acquireLease('other', 'b', t1, t0), true);
      // Its holder takes it again (extending it); renewal is for the holder only.
      assert.equal(await store.acquireLease('housekeeping', 'a', t2, t1), true);
      assert.equal(await store.renewLease('housekeeping', 'b', t3), false);
      assert.equal(await store.acquireLease('housekeeping', 'b', t3, t1), false);
      // Expired at t2: b takes it, and a's renewal fails from then on.
      assert.equal(await store.acquireLease('housekeeping', 'b', t3, t2), true);
      assert.equal(await store.renewLease('housekeeping', 'a', t3), false);
      assert.equal(await store.renewLease('housekeeping', 'b', t3), true);
      await store.releaseLease('housekeeping', 'a');
      assert.equal(await store.acquireLease('housekeeping', 'c', t3, t2), false);
      await store.releaseLease('housekeeping', 'b');
      assert.equal(await store.acquireLease('housekeeping', 'c', t3, t2), true);
    });

    it('serialises concurrent takes of a named lease: exactly one wins', async () => {
      const taken = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((owner) => store.acquireLease('housekeeping', owner, t1, t0)));
      assert.equal(taken.filter(Boolean).length, 1);
    });
  });
}
