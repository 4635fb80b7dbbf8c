// Two replicas (two BackgroundResponses, each with its own services and its own store connection) over one database:
// a SQLite file (two writer threads, serialised by SQLite's file lock), and PostgreSQL when CROSSWAY_TEST_DATABASE_URL
// is set. A job runs on exactly one replica; a replica that dies leaves its job to the other after the lease (run
// again when nothing was billed, failed when something was); a cancel on the other replica stops the owner's job and
// stays; a follower on the other replica sees the owner's events live, to the end.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { waitFor } from '../../test/support/wait-for.ts';
import type { Principal } from '../calls/index.ts';
import { createTestServices, emulatorRoute, type TestServices } from '../calls/test-call-services.ts';
import { OPENAI_EMULATOR_API_KEY, OpenAIEmulator } from '../emulators/index.ts';
import { openPostgresStore, openSqliteStore, type Store } from '../store/index.ts';
import { createTestSchema, skipWithoutPostgres } from '../store/test-backends.ts';
import { parseRequest, type ResponseStreamEvent, responseCreateRequestSchema } from '../wire/index.ts';
import { BackgroundResponses } from './background-responses.ts';
import { toItemRecords, toStoredResponse } from './persist-turn.ts';
import { prepareTurn } from './prepare-turn.ts';
import { pendingResponse } from './run-response-turn.ts';
import { storageLimitsOf } from './storage-quota.ts';

/** Long enough that a held request never gets its answer while a test runs. */
const HELD_MS = 600_000;
/** Short leases, so that a takeover after a "crash" comes within a second or two. */
const LEASE_MS = 1_500;

/** Two connections to one fresh database, and how to drop it. */
interface SharedDatabase {
  stores: [Store, Store];
  drop(): Promise<void>;
}

interface Replica {
  services: TestServices;
  background: BackgroundResponses;
}

function runReplicaTests(name: string, openShared: () => Promise<SharedDatabase>, skip: string | false = false): void {
  describe(`two replicas of BackgroundResponses on ${name}`, { skip }, () => {
    const upstream = new OpenAIEmulator();
    let shared: SharedDatabase;
    let a: Replica;
    let b: Replica;
    // Who a claimed job runs as, by tenant: what the gateway reads from its tenants and keys.
    const principals = new Map<string, Principal>();

    before(() => upstream.start());
    after(() => upstream.close());
    beforeEach(async () => {
      shared = await openShared();
      const open = async (store: Store, replicaId: string, renewMs = 100): Promise<Replica> => {
        const services = await createTestServices({
          execute: { max_attempts: 1 },
          models: [{ id: 'gpt-5.5' }],
          routes: [emulatorRoute({ url: upstream.url, apiKey: OPENAI_EMULATOR_API_KEY }, 'openai-gpt')],
          store,
        });
        const background = new BackgroundResponses(() => services, services.logger, { replicaId, leaseMs: LEASE_MS, renewMs, followPollMs: 50 });
        return { services, background };
      };
      // Replica A renews every second, as in production: the cancel test measures what a client waits.
      a = await open(shared.stores[0], 'replica-a', 1_000);
      b = await open(shared.stores[1], 'replica-b');
    });
    afterEach(async () => {
      for (const replica of [a, b]) {
        await replica.background.close();
        await replica.services.close();
      }
      for (const store of shared.stores) await store.close();
      await shared.drop();
      upstream.clearFaults();
      upstream.clearRequests();
      principals.clear();
    });

    const resume = (replica: Replica) => replica.background.resume(async (tenant) => principals.get(tenant) ?? null);

    /** A new tenant's principal (with a budget, so that metering is visible), known to both replicas. */
    async function tenantPrincipal(): Promise<Principal> {
      const principal = await a.services.keyPrincipal({ budget: { limit: '10.00', period: 'total' } });
      principals.set(principal.tenant.id, principal);
      return principal;
    }

    /**
     * Stores a background turn as POST /v1/responses does on `owner` (held by it, and started there); with no owner,
     * as a crash between accepting and starting leaves it (queued, held by nobody).
     */
    async function createJob(principal: Principal, input: string, owner?: Replica): Promise<string> {
      const services = owner?.services ?? a.services;
      const tenant = principal.tenant.id;
      const turn = await prepareTurn(services, tenant, parseRequest(responseCreateRequestSchema, { model: 'gpt-5.5', input, background: true }));
      const record = toStoredResponse(
        services,
        tenant,
        turn,
        { response: pendingResponse(turn, 'queued'), route: null, usageEventId: null },
        principal.key?.id,
      );
      const items = toItemRecords(turn.id, 'input', turn.inputItems);
      await services.store.insertResponse(record, items, storageLimitsOf(services), owner?.background.lease());
      owner?.background.start(turn, principal, {});
      return turn.id;
    }

    async function follow(
      replica: Replica,
      tenant: string,
      id: string,
      onEvent: (event: ResponseStreamEvent) => void = () => {},
    ): Promise<ResponseStreamEvent[]> {
      const events: ResponseStreamEvent[] = [];
      const signal = AbortSignal.timeout(60_000);
      await replica.background.follow(
        tenant,
        id,
        -1,
        async (event) => {
          events.push(event);
          onEvent(event);
        },
        signal,
      );
      return events;
    }

    const usageOf = async (store: Store, tenant: string) => (await store.listUsageEvents({ limit: 1_000 })).filter((event) => event.tenant === tenant);

    it('runs every job on exactly one replica: those it accepted, and those left queued, claimed by either', async () => {
      await resume(a);
      await resume(b);
      const principal = await tenantPrincipal();
      const tenant = principal.tenant.id;
      const accepted = await createJob(principal, 'Accepted by A.', a);
      const orphans = [];
      for (let index = 0; index < 6; index += 1) orphans.push(await createJob(principal, `Left queued ${index}.`));
      for (const id of [accepted, ...orphans]) {
        const events = await follow(b, tenant, id);
        assert.equal(events.at(-1)?.type, 'response.completed', id);
        assert.equal((await b.services.store.getResponse(tenant, id))?.status, 'completed');
      }
      assert.equal(upstream.requests().length, 7, 'one upstream call per job');
      const usage = await usageOf(a.services.store, tenant);
      assert.equal(usage.length, 7, 'one usage event per job');
    });

    it('takes over the job of a replica that died after its lease, and runs it again since nothing was billed', async () => {
      await resume(a);
      upstream.setFaults({ latency_ms: HELD_MS, count: 1 });
      const principal = await tenantPrincipal();
      const tenant = principal.tenant.id;
      const id = await createJob(principal, 'Held, then orphaned.', a);
      await waitFor('the job to reach its upstream', () => upstream.requests().length === 1);
      // A dies: its job stops, its lease stays until it expires.
      await a.background.close({ release: false });
      assert.equal((await b.services.store.getResponse(tenant, id))?.status, 'in_progress');
      await resume(b);
      const events = await follow(b, tenant, id);
      assert.equal(events[0]?.type, 'response.created');
      assert.equal(events.at(-1)?.type, 'response.completed');
      assert.equal((await b.services.store.getResponse(tenant, id))?.status, 'completed');
      assert.equal(upstream.requests().length, 2);
      assert.equal((await usageOf(b.services.store, tenant)).length, 1, 'billed once: the dead run produced nothing');
    });

    it('fails the job of a replica that died after billing part of it, instead of running it again', async () => {
      await resume(a);
      // The first chunk comes, the rest is held: A has streamed (and meters what it produced when it stops).
      upstream.setFaults({ chunk_delay_ms: HELD_MS, count: 1 });
      const principal = await tenantPrincipal();
      const tenant = principal.tenant.id;
      const id = await createJob(principal, 'Streaming, then orphaned.', a);
      let streaming: () => void = () => {};
      const streamed = new Promise<void>((resolve) => (streaming = resolve));
      // Its first event comes once the upstream answered: from then on, stopping meters what was produced.
      const watched = follow(a, tenant, id, () => streaming());
      await streamed;
      await a.background.close({ release: false });
      await resume(b);
      const events = await follow(b, tenant, id);
      assert.equal(events.at(-1)?.type, 'response.failed');
      // A follower that was watching A's run reads on from the store, to B's verdict.
      assert.equal((await watched).at(-1)?.type, 'response.failed');
      const stored = await b.services.store.getResponse(tenant, id);
      assert.equal(stored?.status, 'failed');
      assert.equal((stored?.response as { error?: { code?: string } } | undefined)?.error?.code, 'interrupted');
      assert.equal(upstream.requests().length, 1, 'not run again');
      assert.equal((await usageOf(b.services.store, tenant)).length, 1, 'billed once, for what the dead run produced');
    });

    it("cancels on the other replica: the owner's job stops within a couple of seconds and stays cancelled", async () => {
      await resume(a);
      await resume(b);
      upstream.setFaults({ latency_ms: HELD_MS, count: 1 });
      const principal = await tenantPrincipal();
      const tenant = principal.tenant.id;
      const id = await createJob(principal, 'Cancel me from afar.', a);
      await waitFor('the job to reach its upstream', () => upstream.requests().length === 1);
      const cancelled = await b.background.cancel(tenant, id);
      assert.equal(cancelled?.status, 'cancelled');
      // A renews every second: it learns of the cancel at its next renewal (the bound leaves room for a loaded machine).
      const entry = await waitFor('the upstream call to end', () => upstream.requests().find((request) => request.outcome !== null), { timeoutMs: 10_000 });
      assert.equal(entry.outcome, 'aborted');
      const events = await follow(a, tenant, id);
      assert.ok(!events.some((event) => event.type === 'response.completed' || event.type === 'response.failed'));
      assert.equal((await a.services.store.getResponse(tenant, id))?.status, 'cancelled');
      assert.equal(upstream.requests().length, 1, 'nobody runs it again');
      assert.deepEqual(await usageOf(a.services.store, tenant), []);
    });

    it("follows on the other replica: the owner's events as they come, to the last", async () => {
      await resume(a);
      upstream.setFaults({ chunk_delay_ms: 40, count: 1 });
      const principal = await tenantPrincipal();
      const tenant = principal.tenant.id;
      const id = await createJob(principal, 'Tell me a story, slowly.', a);
      let statusAtFirstEvent: string | undefined;
      const events = await follow(b, tenant, id, (event) => {
        if (statusAtFirstEvent === undefined) statusAtFirstEvent = 'pending';
        if (event.type === 'response.created') void b.services.store.getResponse(tenant, id).then((record) => (statusAtFirstEvent = record?.status));
      });
      assert.equal(events[0]?.type, 'response.created');
      assert.equal(events.at(-1)?.type, 'response.completed');
      assert.equal(statusAtFirstEvent, 'in_progress', 'the follower saw the job while it ran');
      assert.deepEqual(
        events.map((event) => event.sequence_number),
        events.map((_event, index) => index),
      );
      assert.deepEqual(
        (await b.services.store.listResponseEvents(tenant, id, -1)).map((record) => record.event),
        events,
      );
    });
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'crossway-replicas-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;

runReplicaTests('one SQLite file', async () => {
  const path = join(scratch, `replicas-${files++}.db`);
  return { stores: [await openSqliteStore(path), await openSqliteStore(path)], drop: async () => {} };
});

runReplicaTests(
  'PostgreSQL',
  async () => {
    const schema = await createTestSchema('bg-replicas');
    return { stores: [await openPostgresStore(schema.url, { poolSize: 4 }), await openPostgresStore(schema.url, { poolSize: 4 })], drop: () => schema.drop() };
  },
  skipWithoutPostgres,
);
