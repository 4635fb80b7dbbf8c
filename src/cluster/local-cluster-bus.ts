// The cluster bus inside one process: replicas that are gateways in the same process (tests, or several gateways
// embedded in one program) share a hub. Messages are copied and delivered on a later microtask, as a network would.
import { randomBytes } from 'node:crypto';
import type { ClusterBus, ClusterHandler } from './cluster-bus.ts';
import { Cluster } from './cluster.ts';
import type { ClusterChannel, ClusterChannels } from './cluster-messages.ts';

/** The replicas of one process that hear one another. */
export class LocalClusterHub {
  readonly #buses = new Set<LocalClusterBus>();
  /** Route id -> the replica holding its probe, until when (ms since the epoch). */
  readonly #probes = new Map<string, { holder: string; until: number }>();

  /** A bus for one more replica. */
  join(): LocalClusterBus {
    const bus = new LocalClusterBus(this.#buses);
    this.#buses.add(bus);
    return bus;
  }

  /** One more replica's membership: a bus and the hub's probe lock (decisions are not shared in one process). */
  joinCluster(): Cluster {
    const bus = this.join();
    const claim = async (routeId: string, leaseMs: number): Promise<boolean> => {
      const now = Date.now();
      const held = this.#probes.get(routeId);
      if (held !== undefined && held.until > now && held.holder !== bus.replicaId) return false;
      this.#probes.set(routeId, { holder: bus.replicaId, until: now + leaseMs });
      return true;
    };
    return new Cluster({ bus, probeLock: { claim } });
  }
}

/** One replica's end of a LocalClusterHub. */
export class LocalClusterBus implements ClusterBus {
  readonly replicaId = randomBytes(8).toString('hex');
  readonly connected = true;
  readonly #members: Set<LocalClusterBus>;
  readonly #handlers = new Map<ClusterChannel, Set<(message: unknown) => void>>();

  /** Use LocalClusterHub.join(). */
  constructor(members: Set<LocalClusterBus>) {
    this.#members = members;
  }

  publish<C extends ClusterChannel>(channel: C, message: ClusterChannels[C]): void {
    for (const member of this.#members) {
      if (member === this) continue;
      // A copy per receiver: no replica may see another's objects change under it.
      const copy = structuredClone(message);
      queueMicrotask(() => member.#deliver(channel, copy));
    }
  }

  subscribe<C extends ClusterChannel>(channel: C, handler: ClusterHandler<C>): () => void {
    let handlers = this.#handlers.get(channel);
    if (handlers === undefined) {
      handlers = new Set();
      this.#handlers.set(channel, handlers);
    }
    const registered = handler as (message: unknown) => void;
    handlers.add(registered);
    return () => handlers.delete(registered);
  }

  /** A bus in one process is never interrupted. */
  onResync(_handler: () => void): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    this.#members.delete(this);
    this.#handlers.clear();
  }

  #deliver(channel: ClusterChannel, message: unknown): void {
    for (const handler of this.#handlers.get(channel) ?? []) {
      // As over Redis, a handler that throws must not keep the message from the others; it is reported, not lost.
      try {
        handler(message);
      } catch (error) {
        process.emitWarning(`cluster message handler failed: ${String(error)}`);
      }
    }
  }
}
