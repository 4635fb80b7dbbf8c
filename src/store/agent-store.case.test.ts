// The Agents API part of the Store contract (agents, sessions, turns, items, events, step leases); run by runStoreTests.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import type { AgentRecord, AgentSessionRecord } from './agent-records.ts';
import { isStorageLimitError } from './storage-limits.ts';
import type { Store } from './store.ts';

function makeAgent(id: string, tenant = 'acme', createdAt = '2026-06-01T12:00:00.000Z'): AgentRecord {
  return { id, tenant, created_at: createdAt, updated_at: createdAt, config: { model: 'gpt-5.5', name: `agent ${id}`, tools: [] } };
}

function makeSession(id: string, overrides: Partial<AgentSessionRecord> = {}): Omit<AgentSessionRecord, 'event_seq' | 'item_count' | 'version'> {
  return {
    id,
    tenant: 'acme',
    agent_id: 'agent_1',
    created_at: '2026-06-01T12:00:00.000Z',
    updated_at: '2026-06-01T12:00:00.000Z',
    last_active_at: '2026-06-01T12:00:00.000Z',
    status: 'idle',
    state: { metadata: { topic: 'ünïcödé' } },
    active_turn_id: null,
    owner: null,
    lease_expires_at: null,
    ...overrides,
  };
}

export function runAgentStoreTests(open: () => Promise<Store>): void {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
  });

  it('stores, pages, updates and deletes agents, scoped by tenant', async () => {
    for (let index = 1; index <= 5; index += 1) await store.insertAgent(makeAgent(`agent_${index}`, 'acme', `2026-06-01T12:00:0${index}.000Z`));
    await store.insertAgent(makeAgent('agent_other', 'globex'));
    assert.deepEqual(await store.getAgent('acme', 'agent_2'), makeAgent('agent_2', 'acme', '2026-06-01T12:00:02.000Z'));
    assert.equal(await store.getAgent('globex', 'agent_2'), null);
    const first = await store.listAgents('acme', { limit: 2, order: 'desc' });
    assert.deepEqual(
      first.map((agent) => agent.id),
      ['agent_5', 'agent_4'],
    );
    const next = await store.listAgents('acme', { limit: 10, order: 'desc', after: 'agent_4' });
    assert.deepEqual(
      next.map((agent) => agent.id),
      ['agent_3', 'agent_2', 'agent_1'],
    );
    assert.deepEqual(
      (await store.listAgents('acme', { limit: 2, order: 'asc', after: 'agent_1' })).map((agent) => agent.id),
      ['agent_2', 'agent_3'],
    );
    // Another tenant's agent is no cursor.
    assert.deepEqual(await store.listAgents('acme', { limit: 10, order: 'asc', after: 'agent_other' }), []);
    assert.equal(await store.updateAgent('globex', 'agent_1', { model: 'x' }, '2026-06-02T00:00:00.000Z'), null);
    const updated = await store.updateAgent('acme', 'agent_1', { model: 'gpt-5.5-mini' }, '2026-06-02T00:00:00.000Z');
    assert.deepEqual(updated?.config, { model: 'gpt-5.5-mini' });
    assert.equal(updated?.updated_at, '2026-06-02T00:00:00.000Z');
    assert.equal(await store.deleteAgent('globex', 'agent_1'), false);
    assert.equal(await store.deleteAgent('acme', 'agent_1'), true);
    assert.equal(await store.getAgent('acme', 'agent_1'), null);
  });

  it('stores a session with its first events and numbers later events, items and turns in one write', async () => {
    await store.insertAgentSession(makeSession('sess_1'), [{ type: 'agent.session.created' }, { type: 'agent.session.idle' }]);
    assert.equal(await store.getAgentSession('globex', 'sess_1'), null);
    const stored = await store.getAgentSession('acme', 'sess_1');
    assert.equal(stored?.event_seq, 2);
    assert.deepEqual(stored?.state, { metadata: { topic: 'ünïcödé' } });
    const turn = { id: 'turn_1', created_at: '2026-06-01T12:00:01.000Z', status: 'in_progress', turn: { id: 'turn_1', status: 'in_progress' } };
    const wrote = await store.writeAgentSession('acme', 'sess_1', {
      patch: { status: 'in_progress', active_turn_id: 'turn_1', owner: 'replica-a', lease_expires_at: '2026-06-01T12:00:30.000Z' },
      condition: { statuses: ['idle'] },
      turns: [turn],
      items: [
        { id: 'msg_1', turn_id: 'turn_1', item: { type: 'message', role: 'user' } },
        { id: 'fc_1', turn_id: 'turn_1', item: { type: 'function_call', status: 'in_progress' } },
      ],
      events: [{ type: 'agent.session.in_progress' }, { type: 'agent.session.turn.created' }],
    });
    assert.equal(wrote, true);
    // The condition no longer holds: nothing of this write is stored.
    const refused = await store.writeAgentSession('acme', 'sess_1', {
      patch: { status: 'failed' },
      condition: { statuses: ['idle'] },
      items: [{ id: 'msg_x', turn_id: 'turn_1', item: {} }],
      events: [{ type: 'never' }],
    });
    assert.equal(refused, false);
    assert.equal(await store.writeAgentSession('globex', 'sess_1', { patch: { status: 'failed' } }), false);
    // A read-modify-write names the version it read: a write in between makes it fail.
    const read = await store.getAgentSession('acme', 'sess_1');
    assert.equal(await store.writeAgentSession('acme', 'sess_1', { patch: {}, condition: { version: 'stale' } }), false);
    assert.equal(await store.writeAgentSession('acme', 'sess_1', { patch: {}, condition: { version: read?.version ?? null } }), true);
    assert.equal(await store.writeAgentSession('acme', 'sess_1', { patch: {}, condition: { version: read?.version ?? null } }), false);
    const events = await store.listAgentEvents('acme', 'sess_1', 0, 100);
    assert.deepEqual(
      events.map((event) => [event.seq, event.event.type]),
      [
        [1, 'agent.session.created'],
        [2, 'agent.session.idle'],
        [3, 'agent.session.in_progress'],
        [4, 'agent.session.turn.created'],
      ],
    );
    assert.deepEqual(
      (await store.listAgentEvents('acme', 'sess_1', 3, 100)).map((event) => event.seq),
      [4],
    );
    assert.deepEqual(await store.listAgentEvents('globex', 'sess_1', 0, 100), []);
    // The turn is replaced by a later write of the same id, and an item in place.
    await store.writeAgentSession('acme', 'sess_1', {
      patch: { status: 'requires_action' },
      condition: { activeTurnId: 'turn_1', owner: 'replica-a' },
      turns: [{ ...turn, status: 'waiting', turn: { id: 'turn_1', status: 'waiting' } }],
      updatedItems: [{ id: 'fc_1', item: { type: 'function_call', status: 'completed' } }],
      items: [{ id: 'msg_2', turn_id: 'turn_1', item: { type: 'message', role: 'assistant' } }],
    });
    const turns = await store.listAgentTurns('acme', 'sess_1', { limit: 10, order: 'asc' });
    assert.deepEqual(
      turns?.map((row) => [row.id, row.status, row.turn.status]),
      [['turn_1', 'waiting', 'waiting']],
    );
    assert.equal(await store.listAgentTurns('globex', 'sess_1', { limit: 10, order: 'asc' }), null);
    assert.equal((await store.getAgentTurn('acme', 'sess_1', 'turn_1'))?.status, 'waiting');
    assert.equal(await store.getAgentTurn('globex', 'sess_1', 'turn_1'), null);
    const items = await store.listAgentItems('acme', 'sess_1', { limit: 10, order: 'asc' });
    assert.deepEqual(
      items?.map((row) => [row.id, row.position]),
      [
        ['msg_1', 1],
        ['fc_1', 2],
        ['msg_2', 3],
      ],
    );
    assert.deepEqual(items?.[1]?.item, { type: 'function_call', status: 'completed' });
    assert.deepEqual(
      (await store.listAgentItems('acme', 'sess_1', { limit: 1, order: 'desc', after: 'msg_2' }))?.map((row) => row.id),
      ['fc_1'],
    );
    assert.equal(await store.listAgentItems('globex', 'sess_1', { limit: 10, order: 'asc' }), null);
    assert.deepEqual(await store.listAgentItems('acme', 'sess_1', { limit: 10, order: 'asc', turnId: 'turn_other' }), []);
    assert.equal((await store.listAgentItems('acme', 'sess_1', { limit: 10, order: 'asc', turnId: 'turn_1' }))?.length, 3);
    assert.equal((await store.getAgentSession('acme', 'sess_1'))?.status, 'requires_action');
    assert.equal((await store.getAgentSession('acme', 'sess_1'))?.item_count, 3);
  });

  it('numbers the events of concurrent writers without a gap or a repeat', async () => {
    await store.insertAgentSession(makeSession('sess_c'), []);
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        store.writeAgentSession('acme', 'sess_c', {
          patch: {},
          events: [
            { writer: index, part: 0 },
            { writer: index, part: 1 },
          ],
        }),
      ),
    );
    const events = await store.listAgentEvents('acme', 'sess_c', 0, 1000);
    assert.deepEqual(
      events.map((event) => event.seq),
      Array.from({ length: 40 }, (_, index) => index + 1),
    );
    // Each writer's events are consecutive.
    for (let index = 0; index < 40; index += 2) assert.equal(events[index]?.event.writer, events[index + 1]?.event.writer);
  });

  it('lists sessions by agent, finds orphaned steps, renews leases and deletes a session whole', async () => {
    await store.insertAgentSession(makeSession('sess_a', { created_at: '2026-06-01T12:00:01.000Z' }), [{ type: 'x' }]);
    await store.insertAgentSession(makeSession('sess_b', { agent_id: 'agent_2', created_at: '2026-06-01T12:00:02.000Z' }), []);
    await store.insertAgentSession(makeSession('sess_g', { tenant: 'globex' }), []);
    assert.deepEqual(
      (await store.listAgentSessions('acme', { limit: 10, order: 'desc' })).map((session) => session.id),
      ['sess_b', 'sess_a'],
    );
    assert.deepEqual(
      (await store.listAgentSessions('acme', { limit: 10, order: 'desc', agentId: 'agent_2' })).map((session) => session.id),
      ['sess_b'],
    );
    await store.writeAgentSession('acme', 'sess_a', { patch: { owner: 'dead', lease_expires_at: '2026-06-01T12:00:05.000Z' } });
    await store.writeAgentSession('acme', 'sess_b', { patch: { owner: 'live', lease_expires_at: '2026-06-01T12:10:00.000Z' } });
    assert.deepEqual(
      (await store.listOrphanedAgentSessions('2026-06-01T12:01:00.000Z', 10)).map((session) => session.id),
      ['sess_a'],
    );
    assert.deepEqual(await store.renewAgentSessionLeases('live', ['sess_a', 'sess_b'], '2026-06-01T13:00:00.000Z'), ['sess_b']);
    assert.equal((await store.getAgentSession('acme', 'sess_b'))?.lease_expires_at, '2026-06-01T13:00:00.000Z');
    assert.equal(await store.deleteAgentSession('globex', 'sess_a'), false);
    assert.equal(await store.deleteAgentSession('acme', 'sess_a'), true);
    assert.equal(await store.getAgentSession('acme', 'sess_a'), null);
    assert.deepEqual(await store.listAgentEvents('acme', 'sess_a', 0, 10), []);
  });

  it('lists sessions by metadata pairs (every pair must match, exact text), with the agent filter and cursors', async () => {
    const at = (second: number) => `2026-06-01T12:00:0${second}.000Z`;
    const metadata = [{ team: 'a', stage: 'x' }, { team: 'a', stage: 'y' }, { team: 'b' }, { team: 'a', stage: 'x', 'odd "key"': 'ünï' }, { team: 'A' }];
    for (const [index, pairs] of metadata.entries())
      await store.insertAgentSession(
        makeSession(`sess_${index}`, { created_at: at(index), agent_id: index === 1 ? 'agent_2' : 'agent_1', state: { metadata: pairs } }),
        [],
      );
    await store.insertAgentSession(makeSession('sess_other', { tenant: 'globex', state: { metadata: { team: 'a' } } }), []);
    const ids = async (page: Parameters<Store['listAgentSessions']>[1]) => (await store.listAgentSessions('acme', page)).map((session) => session.id);
    assert.deepEqual(await ids({ limit: 10, order: 'asc', metadata: { team: 'a' } }), ['sess_0', 'sess_1', 'sess_3']);
    assert.deepEqual(await ids({ limit: 10, order: 'desc', metadata: { team: 'a', stage: 'x' } }), ['sess_3', 'sess_0']);
    assert.deepEqual(await ids({ limit: 10, order: 'asc', metadata: { 'odd "key"': 'ünï' } }), ['sess_3']);
    assert.deepEqual(await ids({ limit: 10, order: 'asc', metadata: { team: 'a' }, agentId: 'agent_2' }), ['sess_1']);
    assert.deepEqual(await ids({ limit: 1, order: 'asc', metadata: { team: 'a' }, after: 'sess_0' }), ['sess_1']);
    assert.deepEqual(await ids({ limit: 10, order: 'asc', metadata: { team: "a' or 1=1 --" } }), []);
    assert.deepEqual(await ids({ limit: 10, order: 'asc', metadata: { nothing: 'a' } }), []);
  });

  it("counts session items in the tenant's storage, refuses a write past a given limit, and gives bytes back on delete", async () => {
    const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
    await store.insertAgentSession(makeSession('sess_a'), []);
    await store.insertAgentSession(makeSession('sess_g', { tenant: 'globex' }), []);
    const first = { text: 'héllo'.repeat(20) };
    assert.equal(await store.writeAgentSession('acme', 'sess_a', { patch: {}, items: [{ id: 'i1', turn_id: 't', item: first }] }), true);
    assert.equal(await store.getTenantStorage('acme'), bytes(first));
    // A replaced item counts its new text instead of its old.
    const done = { text: 'done' };
    await store.writeAgentSession('acme', 'sess_a', { patch: {}, updatedItems: [{ id: 'i1', item: done }] });
    assert.equal(await store.getTenantStorage('acme'), bytes(done));
    // Past the limit: refused, nothing written; within it: written.
    const big = { text: 'x'.repeat(1_000) };
    await assert.rejects(
      store.writeAgentSession('acme', 'sess_a', {
        patch: { status: 'in_progress' },
        items: [{ id: 'i2', turn_id: 't', item: big }],
        limits: { tenantBytes: 500 },
      }),
      (error: unknown) => isStorageLimitError(error) && error.limit === 'tenant_storage_bytes',
    );
    assert.equal((await store.getAgentSession('acme', 'sess_a'))?.status, 'idle');
    assert.equal((await store.listAgentItems('acme', 'sess_a', { limit: 10, order: 'asc' }))?.length, 1);
    assert.equal(await store.getTenantStorage('acme'), bytes(done));
    assert.equal(
      await store.writeAgentSession('acme', 'sess_a', { patch: {}, items: [{ id: 'i2', turn_id: 't', item: big }], limits: { tenantBytes: 5_000 } }),
      true,
    );
    assert.equal(await store.getTenantStorage('acme'), bytes(done) + bytes(big));
    // A write whose condition fails counts nothing.
    assert.equal(
      await store.writeAgentSession('acme', 'sess_a', { patch: {}, condition: { statuses: ['failed'] }, items: [{ id: 'i3', turn_id: 't', item: big }] }),
      false,
    );
    assert.equal(await store.getTenantStorage('acme'), bytes(done) + bytes(big));
    // Another tenant's session is not written, nor counted.
    assert.equal(await store.writeAgentSession('acme', 'sess_g', { patch: {}, items: [{ id: 'i4', turn_id: 't', item: big }] }), false);
    assert.equal(await store.getTenantStorage('globex'), 0);
    assert.equal(await store.deleteAgentSession('acme', 'sess_a'), true);
    assert.equal(await store.getTenantStorage('acme'), 0);
  });

  it("erases a tenant's agents and sessions with the rest of its data, and no other tenant's", async () => {
    await store.insertAgent(makeAgent('agent_a'));
    await store.insertAgent(makeAgent('agent_g', 'globex'));
    await store.insertAgentSession(makeSession('sess_a'), [{ type: 'x' }]);
    await store.writeAgentSession('acme', 'sess_a', { patch: {}, items: [{ id: 'msg_a', turn_id: 't', item: {} }] });
    await store.insertAgentSession(makeSession('sess_g', { tenant: 'globex' }), [{ type: 'x' }]);
    await store.eraseTenantData('acme');
    assert.equal(await store.getAgent('acme', 'agent_a'), null);
    assert.equal(await store.getAgentSession('acme', 'sess_a'), null);
    assert.ok((await store.getAgent('globex', 'agent_g')) !== null);
    assert.equal((await store.listAgentEvents('globex', 'sess_g', 0, 10)).length, 1);
  });
}
