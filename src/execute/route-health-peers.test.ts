// Route health with peers: ejections and closings announced and applied, and one half-open probe among the replicas.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RouteHealth } from './route-health.ts';
import type { RouteHealthChange, RouteHealthPeers } from './route-health-peers.ts';

/** Peers a test answers by hand: the announcements they heard and the claims waiting for an answer. */
function fakePeers() {
  const announced: RouteHealthChange[] = [];
  const claims: Array<{ routeId: string; leaseMs: number; answer: (granted: boolean | Error) => void }> = [];
  const peers: RouteHealthPeers = {
    announce: (change) => announced.push(change),
    claimProbe: (routeId, leaseMs) =>
      new Promise<boolean>((resolve, reject) => {
        claims.push({ routeId, leaseMs, answer: (granted) => (granted instanceof Error ? reject(granted) : resolve(granted)) });
      }),
  };
  return { peers, announced, claims };
}

const ROUTES = [
  { id: 'a', model: 'm' },
  { id: 'b', model: 'm' },
];

function fail(health: RouteHealth, routeId: string, times: number): void {
  for (let i = 0; i < times; i += 1) health.recordFailure(routeId, health.admit(routeId) ?? 'pass');
}

/** Lets the claim's promise callbacks run. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('RouteHealth with peers', () => {
  it('announces an ejection with the time it has left and its count, and a probe that closes the route', async () => {
    const clock = { now: 1_000 };
    const { peers, announced, claims } = fakePeers();
    const health = new RouteHealth({ now: () => clock.now, routes: ROUTES, peers, probeLeaseMs: 5_000 });
    fail(health, 'a', 5);
    assert.deepEqual(announced, [{ route: 'a', state: 'open', ejectedForMs: 30_000, ejections: 1 }]);
    clock.now += 30_000;
    assert.equal(health.admit('a'), null, 'the request that finds it half-open starts the claim');
    assert.deepEqual(
      claims.map(({ routeId, leaseMs }) => ({ routeId, leaseMs })),
      [{ routeId: 'a', leaseMs: 5_000 }],
    );
    assert.equal(health.admit('a'), null, 'no second claim while the first is out');
    assert.equal(claims.length, 1);
    claims[0]?.answer(true);
    await settled();
    assert.equal(health.admit('a'), 'probe');
    health.recordSuccess('a', 'probe');
    assert.deepEqual(announced.at(-1), { route: 'a', state: 'closed', ejections: 1 });
  });

  it('a failed probe announces the longer ejection', async () => {
    const clock = { now: 0 };
    const { peers, announced, claims } = fakePeers();
    const health = new RouteHealth({ now: () => clock.now, routes: ROUTES, peers });
    fail(health, 'a', 5);
    clock.now = 30_000;
    health.admit('a');
    claims[0]?.answer(true);
    await settled();
    health.recordFailure('a', health.admit('a') ?? 'pass');
    assert.deepEqual(announced.at(-1), { route: 'a', state: 'open', ejectedForMs: 60_000, ejections: 2 });
  });

  it('while another replica holds the probe the route stays ejected here, until the lease ends', async () => {
    const clock = { now: 0 };
    const { peers, claims } = fakePeers();
    const health = new RouteHealth({ now: () => clock.now, routes: ROUTES, peers, probeLeaseMs: 5_000 });
    fail(health, 'a', 5);
    clock.now = 30_000;
    assert.equal(health.admit('a'), null);
    claims[0]?.answer(false);
    await settled();
    for (let i = 0; i < 3; i += 1) assert.equal(health.admit('a'), null);
    assert.equal(claims.length, 1, 'denied: no new claim within the lease');
    clock.now += 5_000;
    assert.equal(health.admit('a'), null);
    assert.equal(claims.length, 2, 'the lease ran out without an outcome: claimed again');
    claims[1]?.answer(true);
    await settled();
    assert.equal(health.admit('a'), 'probe');
  });

  it('peers that cannot answer leave the replica alone: it probes', async () => {
    const clock = { now: 0 };
    const { peers, claims } = fakePeers();
    const health = new RouteHealth({ now: () => clock.now, routes: ROUTES, peers });
    fail(health, 'a', 5);
    clock.now = 30_000;
    health.admit('a');
    claims[0]?.answer(new Error('redis down'));
    await settled();
    assert.equal(health.admit('a'), 'probe');
  });

  it("applies a peer's ejection and closing without announcing them again", () => {
    const clock = { now: 0 };
    const { peers, announced } = fakePeers();
    const health = new RouteHealth({ now: () => clock.now, routes: ROUTES, peers });
    const epoch = health.epoch;
    health.applyPeerChange({ route: 'a', state: 'open', ejectedForMs: 10_000, ejections: 2 });
    assert.equal(health.state('a'), 'open');
    assert.equal(health.admit('a'), null);
    assert.equal(health.epoch, epoch + 1, 'the planner sees the change');
    assert.equal(health.snapshot(['a'])[0]?.ejected_until, new Date(10_000).toISOString());
    assert.equal(health.snapshot(['a'])[0]?.ejections, 2);
    fail(health, 'b', 5);
    assert.equal(health.state('b'), 'closed', "the peer's ejection counts against the model's ejection cap");
    clock.now = 10_000;
    assert.equal(health.state('a'), 'half_open');
    health.applyPeerChange({ route: 'a', state: 'closed', ejections: 2 });
    assert.equal(health.state('a'), 'closed');
    assert.equal(health.admit('a'), 'pass');
    assert.deepEqual(announced, [], 'applied changes are not echoed');
    fail(health, 'b', 1);
    assert.equal(health.state('b'), 'open', 'the slot is free again');
  });

  it('a peer closing a route voids a denied claim; a later half-open period claims again', async () => {
    const clock = { now: 0 };
    const { peers, claims } = fakePeers();
    const health = new RouteHealth({ now: () => clock.now, routes: ROUTES, peers, probeLeaseMs: 120_000 });
    fail(health, 'a', 5);
    clock.now = 30_000;
    health.admit('a');
    claims[0]?.answer(false);
    await settled();
    health.applyPeerChange({ route: 'a', state: 'closed', ejections: 1 });
    fail(health, 'a', 5);
    clock.now += 60_000;
    assert.equal(health.admit('a'), null);
    assert.equal(claims.length, 2);
  });

  it('bounds what a peer sends: unknown routes are ignored, times and counts capped', () => {
    const { peers } = fakePeers();
    const health = new RouteHealth({ now: () => 0, routes: ROUTES, peers, outlier: { maxEjectionMs: 300_000 } });
    health.applyPeerChange({ route: 'unknown', state: 'open', ejectedForMs: 1_000, ejections: 1 });
    assert.deepEqual(health.snapshot(), [], 'no record made for a route the catalog does not have');
    health.applyPeerChange({ route: 'a', state: 'open', ejectedForMs: Number.MAX_SAFE_INTEGER, ejections: 1e9 });
    const snapshot = health.snapshot(['a'])[0];
    assert.equal(snapshot?.ejected_until, new Date(300_000).toISOString());
    assert.equal(snapshot?.ejections, 10);
    health.applyPeerChange({ route: 'b', state: 'open', ejectedForMs: Number.NaN, ejections: -5 });
    assert.equal(health.snapshot(['b'])[0]?.ejections, 1);
    assert.equal(health.state('b'), 'half_open', 'an ejection of no time is over at once');
  });
});
