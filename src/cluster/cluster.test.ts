// Two replicas' parts joined through a cluster (in one process, and over Redis): a key revoked on one is refused by
// the other, a deleted response leaves the other's chain cache, an ejection is seen by the other, one probe between
// them; and after an interruption the caches are dropped. Tenancy replicas share one SQLite file, as replicas share a
// database (no gateway runs here, so that the file has one writer at a time).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { Secret } from '../catalog/index.ts';
import { RouteHealth } from '../execute/index.ts';
import { ResponseChainCache } from '../runtime/index.ts';
import { openSqliteStore, type Store } from '../store/index.ts';
import { createTestRedisPrefix, skipWithoutRedis, testRedisUrl } from '../store/test-backends.ts';
import { Tenancy, createKeyRequestSchema, createTenantRequestSchema } from '../tenancy/index.ts';
import type { ClusterBus } from './cluster-bus.ts';
import { Cluster } from './cluster.ts';
import { LocalClusterHub } from './local-cluster-bus.ts';
import { openCluster } from './open-cluster.ts';
import { freePort, startRedisServer, stopRedisServer } from './test-redis-server.ts';

const WAIT_MS = 10_000;

async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const ROUTES = [
  { id: 'azure', model: 'm' },
  { id: 'openai', model: 'm' },
];

/** One replica's parts, joined through its cluster membership. */
async function startReplica(cluster: Cluster, store: Store, clock: { now: number }) {
  const tenancy = await Tenancy.open(store, { cacheTtlMs: 3_600_000, peers: cluster.tenancyPeers });
  const health = new RouteHealth({ routes: ROUTES, now: () => clock.now, peers: cluster.routeHealthPeers, probeLeaseMs: 60_000 });
  const chainCache = new ResponseChainCache({ peers: cluster.chainCachePeers });
  let masterTenantDrops = 0;
  const leave = cluster.join({ health, tenancy, chainCache, forgetMasterTenant: () => (masterTenantDrops += 1) });
  return { tenancy, health, chainCache, leave, masterTenantDrops: () => masterTenantDrops };
}

function runReplicaCases(name: string, openMembers: () => Promise<[Cluster, Cluster]>, skip: string | false = false): void {
  describe(`two replicas joined ${name}`, { skip }, () => {
    let directory: string;
    let stores: Store[];
    let clusters: [Cluster, Cluster];
    let first: Awaited<ReturnType<typeof startReplica>>;
    let second: Awaited<ReturnType<typeof startReplica>>;
    const clock = { now: 1_000_000 };
    before(async () => {
      directory = mkdtempSync(join(tmpdir(), 'crossway-cluster-'));
      const path = join(directory, 'shared.db');
      stores = [await openSqliteStore(path), await openSqliteStore(path)];
      await stores[0]?.migrate();
      clusters = await openMembers();
      first = await startReplica(clusters[0], stores[0] as Store, clock);
      second = await startReplica(clusters[1], stores[1] as Store, clock);
    });
    after(async () => {
      await Promise.all(clusters.map((cluster) => cluster.close()));
      for (const store of stores) await store.close();
      rmSync(directory, { recursive: true, force: true });
    });

    it('a key revoked on one replica is refused by the other, whose cache would have kept it for an hour', async () => {
      await first.tenancy.createTenant(createTenantRequestSchema.parse({ id: 'acme' }));
      const key = await first.tenancy.createKey(createKeyRequestSchema.parse({ tenant: 'acme' }));
      assert.notEqual(await second.tenancy.authenticate(key.key), null, 'the other replica caches it');
      await first.tenancy.revokeKey(key.id);
      await waitFor('the other replica to refuse the key', async () => (await second.tenancy.authenticate(key.key)) === null);
    });

    it("a tenant change on one replica drops the other replica's cached master tenant", async () => {
      const before = second.masterTenantDrops();
      await first.tenancy.updateTenant('acme', { rpm: 10 });
      await waitFor('the master tenant to be dropped', () => second.masterTenantDrops() > before);
    });

    it("a response deleted on one replica leaves the other replica's chain cache; a prune clears it", async () => {
      second.chainCache.add('acme', 'resp_1', null, []);
      second.chainCache.add('acme', 'resp_2', 'resp_1', []);
      second.chainCache.add('acme', 'resp_other', null, []);
      first.chainCache.delete('acme', 'resp_1');
      await waitFor('the chain through the deleted response to miss', () => second.chainCache.get('acme', 'resp_2') === undefined);
      assert.notEqual(second.chainCache.get('acme', 'resp_other'), undefined, 'other chains stay');
      first.chainCache.clear();
      await waitFor('the prune to reach the other replica', () => second.chainCache.size === 0);
    });

    it('a route ejected on one replica is skipped by the other; the probe is sent by one of them only', async () => {
      for (let i = 0; i < 5; i += 1) first.health.recordFailure('azure', first.health.admit('azure') ?? 'pass');
      assert.equal(first.health.state('azure'), 'open');
      await waitFor('the other replica to eject the route', () => second.health.state('azure') === 'open');
      assert.equal(second.health.admit('azure'), null);

      clock.now += 30_000;
      const admissions: Array<string | null> = [];
      // Each replica keeps asking until one holds the probe; neither may probe while the other does.
      await waitFor('one replica to probe', async () => {
        admissions.push(first.health.admit('azure'), second.health.admit('azure'));
        await sleep(5);
        return admissions.includes('probe');
      });
      for (let i = 0; i < 5; i += 1) {
        admissions.push(first.health.admit('azure'), second.health.admit('azure'));
        await sleep(5);
      }
      assert.equal(admissions.filter((admission) => admission === 'probe').length, 1, admissions.join(','));
      assert.ok(!admissions.includes('pass'));

      // Admissions come in pairs, the first replica's first.
      const prober = admissions.indexOf('probe') % 2 === 0 ? first : second;
      const other = prober === first ? second : first;
      prober.health.recordSuccess('azure', 'probe');
      await waitFor('the other replica to close the route', () => other.health.state('azure') === 'closed');
      assert.equal(other.health.admit('azure'), 'pass');
    });
  });
}

runReplicaCases('in one process', async () => {
  const hub = new LocalClusterHub();
  return [hub.joinCluster(), hub.joinCluster()];
});

runReplicaCases(
  'over Redis',
  async () => {
    const keyPrefix = createTestRedisPrefix('cluster');
    const logger = pino({ level: 'silent' });
    const open = () => openCluster({ url: new Secret(testRedisUrl ?? ''), keyPrefix, logger });
    const members: [Cluster, Cluster] = [await open(), await open()];
    await waitFor('both buses subscribed', () => members.every((member) => member.bus.connected));
    return members;
  },
  skipWithoutRedis,
);

describe('a cluster after an interruption', () => {
  it('drops the cached authentications, the chain cache and the master tenant, not the route health', async () => {
    let resync: () => void = () => assert.fail('not subscribed');
    const bus: ClusterBus = {
      replicaId: 'fake',
      connected: true,
      publish: () => {},
      subscribe: () => () => {},
      onResync: (handler) => {
        resync = handler;
        return () => {};
      },
      close: async () => {},
    };
    const cluster = new Cluster({ bus, probeLock: { claim: async () => true } });
    const store = await openSqliteStore(':memory:');
    await store.migrate();
    const replica = await startReplica(cluster, store, { now: 0 });
    await replica.tenancy.createTenant(createTenantRequestSchema.parse({ id: 'acme' }));
    const key = await replica.tenancy.createKey(createKeyRequestSchema.parse({ tenant: 'acme' }));
    await replica.tenancy.authenticate(key.key);
    await store.updateApiKey(key.id, { revoked_at: new Date().toISOString() });
    replica.chainCache.add('acme', 'resp_1', null, []);
    replica.health.applyPeerChange({ route: 'azure', state: 'open', ejectedForMs: 60_000, ejections: 1 });
    assert.notEqual(await replica.tenancy.authenticate(key.key), null, 'the revocation, made elsewhere, was missed');
    resync();
    assert.equal(await replica.tenancy.authenticate(key.key), null);
    assert.equal(replica.chainCache.size, 0);
    assert.equal(replica.masterTenantDrops(), 1);
    assert.equal(replica.health.state('azure'), 'open');
    await cluster.close();
    await store.close();
  });
});

describe('a replica whose Redis is unreachable', { skip: skipWithoutRedis }, () => {
  let server: ChildProcess | undefined;
  after(async () => {
    if (server !== undefined) await stopRedisServer(server);
  });

  it('starts alone within the wait, goes on alone (probes, decisions), and joins when Redis answers', async () => {
    const port = await freePort();
    const started = performance.now();
    const cluster = await openCluster({
      url: new Secret(`redis://127.0.0.1:${port}`),
      keyPrefix: 'cwtest:alone:',
      logger: pino({ level: 'silent' }),
      connectWaitMs: 200,
    });
    try {
      assert.ok(performance.now() - started < WAIT_MS);
      assert.equal(cluster.bus.connected, false);
      const health = new RouteHealth({ routes: ROUTES, now: () => 0, peers: cluster.routeHealthPeers });
      health.applyPeerChange({ route: 'azure', state: 'open', ejectedForMs: 0, ejections: 1 });
      assert.equal(health.admit('azure'), null, 'the claim goes to Redis');
      await waitFor('the replica to probe alone', () => health.admit('azure') === 'probe');
      cluster.routeHealthPeers.announce({ route: 'azure', state: 'closed', ejections: 1 });
      cluster.decisions?.put({ id: 'dec_1', model: 'm', at: '', constraints: {}, kept: [], rejected: [], attempts: [] });
      await assert.rejects(cluster.decisions?.get('dec_1') ?? Promise.resolve(), 'a lookup fails fast; DecisionLog then reads the store');

      server = await startRedisServer(port);
      await waitFor('the replica to join', () => cluster.bus.connected);
      assert.equal(await cluster.routeHealthPeers.claimProbe('azure', 1_000), true);
    } finally {
      await cluster.close();
    }
  });
});
