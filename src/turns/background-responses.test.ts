// BackgroundResponses with no gateway in front: a job runs to `completed` with its events stored and replayable, and
// a job held at its upstream is cancelled: stored `cancelled`, the upstream call aborted, the reservation released.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { waitFor } from '../../test/support/wait-for.ts';
import type { Principal } from '../calls/index.ts';
import { createTestServices, emulatorRoute, type TestServices } from '../calls/test-call-services.ts';
import { OPENAI_EMULATOR_API_KEY, OpenAIEmulator } from '../emulators/index.ts';
import { parseRequest, type ResponseStreamEvent, responseCreateRequestSchema } from '../wire/index.ts';
import { BackgroundResponses } from './background-responses.ts';
import { toItemRecords, toStoredResponse } from './persist-turn.ts';
import { prepareTurn } from './prepare-turn.ts';
import { pendingResponse } from './run-response-turn.ts';
import { storageLimitsOf } from './storage-quota.ts';

/** Long enough that a held request never gets its answer while a test runs: it is cancelled first. */
const HELD_MS = 600_000;

describe('BackgroundResponses', () => {
  const upstream = new OpenAIEmulator();
  let services: TestServices;
  let background: BackgroundResponses;

  before(() => upstream.start());
  after(() => upstream.close());
  beforeEach(async () => {
    services = await createTestServices({
      // One pass over the one route: a job whose upstream fails ends at once.
      execute: { max_attempts: 1 },
      models: [{ id: 'gpt-5.5' }],
      routes: [emulatorRoute({ url: upstream.url, apiKey: OPENAI_EMULATOR_API_KEY }, 'openai-gpt')],
    });
    background = new BackgroundResponses(() => services, services.logger);
  });
  afterEach(async () => {
    await background.close();
    await services.close();
    upstream.clearFaults();
    upstream.clearRequests();
  });

  /** Stores a queued background turn and starts it, as POST /v1/responses with background: true does. */
  async function startJob(principal: Principal, input: string): Promise<string> {
    const tenant = principal.tenant.id;
    const turn = await prepareTurn(services, tenant, parseRequest(responseCreateRequestSchema, { model: 'gpt-5.5', input, background: true }));
    const record = toStoredResponse(
      services,
      tenant,
      turn,
      { response: pendingResponse(turn, 'queued'), route: null, usageEventId: null },
      principal.key?.id ?? null,
    );
    await services.store.insertResponse(record, toItemRecords(turn.id, 'input', turn.inputItems), storageLimitsOf(services), background.lease());
    background.start(turn, principal, {});
    return turn.id;
  }

  /** Every event of a response after `after`, live while its job runs, stored once it is over. */
  async function follow(tenant: string, id: string, after = -1): Promise<ResponseStreamEvent[]> {
    const events: ResponseStreamEvent[] = [];
    await background.follow(tenant, id, after, async (event) => void events.push(event), new AbortController().signal);
    return events;
  }

  it('runs a job to completed, stores its events, and replays them to a later follower', async () => {
    const principal = await services.masterPrincipal();
    const tenant = principal.tenant.id;
    const id = await startJob(principal, 'Write one line about the sea.');

    const live = await follow(tenant, id);
    assert.equal(live[0]?.type, 'response.created');
    assert.equal(live.at(-1)?.type, 'response.completed');

    const stored = await services.store.getResponse(tenant, id);
    assert.equal(stored?.status, 'completed');
    assert.equal(stored?.route, 'openai-gpt');
    assert.ok(stored?.usage_event_id);
    const output = await services.store.listResponseItems(tenant, id, 'output', { limit: 10, order: 'asc' });
    assert.ok(output !== null && output.length > 0);
    assert.deepEqual(
      (await services.store.listResponseEvents(tenant, id, -1)).map((row) => row.event),
      live,
    );

    // The job is over: a follower now reads the stored events, from any point.
    assert.deepEqual(await follow(tenant, id), live);
    assert.deepEqual(await follow(tenant, id, 1), live.slice(2));
    // Another tenant sees nothing of it.
    assert.deepEqual(await follow('another-tenant', id), []);
  });

  it('cancels a job held at its upstream: stored cancelled, the upstream call aborted, the reservation released', async () => {
    upstream.setFaults({ latency_ms: HELD_MS, count: 1 });
    const principal = await services.keyPrincipal({ tpm: 100_000, budget: { limit: '10.00', period: 'total' } });
    const tenant = principal.tenant.id;
    const id = await startJob(principal, 'Take your time.');
    await waitFor('the job to reach its upstream', () => upstream.requests().length === 1);
    assert.equal((await services.store.getResponse(tenant, id))?.status, 'in_progress');

    const cancelled = await background.cancel(tenant, id);
    assert.equal(cancelled?.status, 'cancelled');
    assert.equal((cancelled?.response as { status?: string } | undefined)?.status, 'cancelled');
    const entry = await waitFor('the upstream call to end', () => upstream.requests().find((request) => request.outcome !== null));
    assert.equal(entry.outcome, 'aborted');

    // The job is over (cancel waits for it), and it stays cancelled: not failed, not completed.
    assert.equal((await services.store.getResponse(tenant, id))?.status, 'cancelled');
    assert.ok(!(await follow(tenant, id)).some((event) => event.type === 'response.failed' || event.type === 'response.completed'));
    assert.deepEqual(await services.store.sumUsage({ tenant }), [], 'no usage event');
    const budget = services.counters.operations.filter((operation) => operation.key.startsWith('budget:'));
    const reserve = budget[0];
    assert.ok(reserve?.op === 'reserve' && reserve.ok);
    assert.deepEqual(budget.slice(1), [{ op: 'release', key: reserve.key, reserved: reserve.amount }]);
    assert.deepEqual(await services.counters.budget(reserve.key), { spent: 0n, reserved: 0n });
  });

  it('cancels a job mid-stream: stored cancelled, metered with status 499 for what it produced, the budget settled', async () => {
    // The first chunk comes, the rest is held: the job has started streaming when it is cancelled.
    upstream.setFaults({ chunk_delay_ms: HELD_MS, count: 1 });
    const principal = await services.keyPrincipal({ budget: { limit: '10.00', period: 'total' } });
    const tenant = principal.tenant.id;
    const id = await startJob(principal, 'Tell me a long story.');
    let firstEvent: () => void = () => {};
    const streaming = new Promise<void>((resolve) => (firstEvent = resolve));
    const followed = background.follow(tenant, id, -1, async () => firstEvent(), new AbortController().signal);
    await streaming;

    assert.equal((await background.cancel(tenant, id))?.status, 'cancelled');
    await followed;
    const entry = await waitFor('the upstream call to end', () => upstream.requests().find((request) => request.outcome !== null));
    assert.equal(entry.outcome, 'aborted');
    assert.equal((await services.store.getResponse(tenant, id))?.status, 'cancelled');

    const events = (await services.store.listUsageEvents({ limit: 100 })).filter((event) => event.tenant === tenant);
    assert.deepEqual(
      events.map((event) => [event.status, event.estimated]),
      [[499, true]],
    );
    const budget = services.counters.operations.filter((operation) => operation.key.startsWith('budget:'));
    const reserve = budget[0];
    assert.ok(reserve?.op === 'reserve' && reserve.ok);
    assert.deepEqual(budget.slice(1), [{ op: 'settle', key: reserve.key, reserved: reserve.amount, actual: events[0]?.charged }]);
    assert.deepEqual(await services.counters.budget(reserve.key), { spent: events[0]?.charged, reserved: 0n });
  });

  it('keeps the event stream of a job cancelled while its usage commits in agreement with its stored status', async () => {
    // The job's usage commit waits at this gate: the stream is over, the final event not yet emitted.
    const commitLedger = services.store.commitLedger.bind(services.store);
    let committing: () => void = () => {};
    const arrived = new Promise<void>((resolve) => (committing = resolve));
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    services.store.commitLedger = async (entries) => {
      committing();
      await gate;
      return commitLedger(entries);
    };
    const principal = await services.masterPrincipal();
    const tenant = principal.tenant.id;
    const id = await startJob(principal, 'Almost done.');
    await arrived;

    const cancelled = background.cancel(tenant, id);
    await waitFor('the cancel to be stored', async () => (await services.store.getResponse(tenant, id))?.status === 'cancelled');
    open();
    assert.equal((await cancelled)?.status, 'cancelled');
    assert.equal((await services.store.getResponse(tenant, id))?.status, 'cancelled');
    const events = await follow(tenant, id);
    assert.ok(!events.some((event) => event.type === 'response.completed'), `a cancelled response's events end with ${events.at(-1)?.type}`);
  });

  it('marks a job whose every attempt fails as failed with the reason, ends its events with response.failed and releases its budget', async () => {
    upstream.setFaults({ status: 500 });
    const principal = await services.keyPrincipal({ budget: { limit: '10.00', period: 'total' } });
    const tenant = principal.tenant.id;
    const id = await startJob(principal, 'This will not work.');

    const events = await follow(tenant, id);
    assert.equal(events.at(-1)?.type, 'response.failed');
    const stored = await services.store.getResponse(tenant, id);
    assert.equal(stored?.status, 'failed');
    assert.ok((stored?.response as { error?: { message?: string } } | undefined)?.error?.message, 'the stored response says why');
    assert.deepEqual(await follow(tenant, id), events, 'the failure is stored with the events');
    assert.deepEqual(await services.store.sumUsage({ tenant }), []);
    const budget = services.counters.operations.filter((operation) => operation.key.startsWith('budget:'));
    assert.deepEqual(
      budget.map((operation) => operation.op),
      ['reserve', 'release'],
    );
  });

  it('gives the lease of a job still running at close back, aborting its upstream call: the next replica runs it at once', async () => {
    upstream.setFaults({ latency_ms: HELD_MS, count: 1 });
    const principal = await services.masterPrincipal();
    const tenant = principal.tenant.id;
    const id = await startJob(principal, 'Still thinking.');
    await waitFor('the job to reach its upstream', () => upstream.requests().length === 1);

    await background.close();
    const entry = await waitFor('the upstream call to end', () => upstream.requests().find((request) => request.outcome !== null));
    assert.equal(entry.outcome, 'aborted');
    // Not failed: nothing was billed, so the next replica (or this one restarted) runs it again from the start.
    assert.equal((await services.store.getResponse(tenant, id))?.status, 'in_progress');
    assert.deepEqual(await services.store.sumUsage({ tenant }), []);
    const next = new BackgroundResponses(() => services, services.logger, { leaseMs: 60_000 });
    try {
      await next.resume(async () => principal);
      const events = await follow(tenant, id);
      assert.equal(events[0]?.type, 'response.created');
      assert.equal(events.at(-1)?.type, 'response.completed');
      assert.equal((await services.store.getResponse(tenant, id))?.status, 'completed');
      assert.equal((await services.store.listUsageEvents({ limit: 10 })).filter((event) => event.tenant === tenant).length, 1);
    } finally {
      await next.close();
    }
  });

  it('answers a cancel of a finished job with its record, unchanged', async () => {
    const principal = await services.masterPrincipal();
    const tenant = principal.tenant.id;
    const id = await startJob(principal, 'Quick one.');
    await follow(tenant, id);
    assert.equal((await background.cancel(tenant, id))?.status, 'completed');
    assert.equal(await background.cancel('another-tenant', id), null);
  });
});
