// The contract every cluster bus meets (in one process, over Redis): run by local-cluster-bus.test.ts and
// redis-cluster-bus.test.ts against their implementation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClusterBus } from './cluster-bus.ts';
import type { ClusterChannel, ClusterChannels } from './cluster-messages.ts';

/** How long a test waits for a message that must come; only a broken run reaches it. */
const WAIT_MS = 10_000;

export interface BusCaseSetup {
  /** Three replicas' buses, sharing one bus. */
  open(): Promise<ClusterBus[]>;
  close(): Promise<void>;
}

/** Records a bus's messages on a channel, and waits for the next ones. */
export function listen<C extends ClusterChannel>(bus: ClusterBus, channel: C) {
  const received: ClusterChannels[C][] = [];
  const waiting: Array<{ count: number; resolve: () => void }> = [];
  const stop = bus.subscribe(channel, (message) => {
    received.push(message);
    for (const waiter of waiting.filter((entry) => received.length >= entry.count)) {
      waiting.splice(waiting.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  return {
    received,
    stop,
    /** Resolves once `count` messages have arrived in all; rejects after WAIT_MS. */
    until(count: number): Promise<void> {
      if (received.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${count} ${channel} messages (got ${received.length})`)), WAIT_MS);
        waiting.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

export function runClusterBusCases(name: string, setup: BusCaseSetup, options: { skip?: string | false } = {}): void {
  describe(`${name}: the cluster bus contract`, { skip: options.skip }, () => {
    let buses: ClusterBus[];
    before(async () => {
      buses = await setup.open();
    });
    after(async () => {
      await setup.close();
    });

    it('delivers a message to every other replica, never back to its sender', async () => {
      const [a, b, c] = buses as [ClusterBus, ClusterBus, ClusterBus];
      const atA = listen(a, 'tenancy');
      const atB = listen(b, 'tenancy');
      const atC = listen(c, 'tenancy');
      a.publish('tenancy', { kind: 'key', id: 'key_1' });
      await Promise.all([atB.until(1), atC.until(1)]);
      // Once another replica's later message reached A, A's own earlier one would have too.
      b.publish('tenancy', { kind: 'tenant', id: 'acme' });
      await atA.until(1);
      assert.deepEqual(atA.received, [{ kind: 'tenant', id: 'acme' }]);
      assert.deepEqual(atB.received, [{ kind: 'key', id: 'key_1' }]);
      await atC.until(2);
      assert.deepEqual(atC.received, [
        { kind: 'key', id: 'key_1' },
        { kind: 'tenant', id: 'acme' },
      ]);
      for (const listener of [atA, atB, atC]) listener.stop();
    });

    it('keeps channels apart and delivers each message typed as sent', async () => {
      const [a, b] = buses as [ClusterBus, ClusterBus];
      const health = listen(b, 'health');
      const responses = listen(b, 'responses');
      a.publish('health', { route: 'azure-eastus2', state: 'open', ejectedForMs: 30_000, ejections: 1 });
      a.publish('responses', { kind: 'deleted', tenant: 'acme', id: 'resp_1' });
      a.publish('responses', { kind: 'cleared' });
      await Promise.all([health.until(1), responses.until(2)]);
      assert.deepEqual(health.received, [{ route: 'azure-eastus2', state: 'open', ejectedForMs: 30_000, ejections: 1 }]);
      assert.deepEqual(responses.received, [{ kind: 'deleted', tenant: 'acme', id: 'resp_1' }, { kind: 'cleared' }]);
      health.stop();
      responses.stop();
    });

    it('stops delivering to a handler once unsubscribed; other handlers still get it', async () => {
      const [a, b] = buses as [ClusterBus, ClusterBus];
      const stopped = listen(b, 'tenancy');
      const kept = listen(b, 'tenancy');
      stopped.stop();
      a.publish('tenancy', { kind: 'key', id: 'key_2' });
      await kept.until(1);
      assert.deepEqual(stopped.received, []);
      kept.stop();
    });

    it('a handler that throws does not keep the message from the others', async () => {
      const [a, b] = buses as [ClusterBus, ClusterBus];
      const stopThrowing = b.subscribe('tenancy', () => {
        throw new Error('broken handler');
      });
      const kept = listen(b, 'tenancy');
      a.publish('tenancy', { kind: 'key', id: 'key_3' });
      await kept.until(1);
      stopThrowing();
      kept.stop();
    });

    it('says it is connected, and gives each replica its own id', () => {
      assert.ok(buses.every((bus) => bus.connected));
      assert.equal(new Set(buses.map((bus) => bus.replicaId)).size, buses.length);
    });
  });
}
