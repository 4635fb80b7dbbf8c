// One replica's membership of a gateway cluster: the peers each part is given (route health, tenancy, the chain cache,
// decisions), built on a bus and a probe lock, and the subscriptions that apply the other replicas' changes to this
// replica's parts. The parts own their peer interfaces; they are matched here by shape, so that cluster/ imports none.
import type { DecisionRecord } from '../store/index.ts';
import type { ClusterBus } from './cluster-bus.ts';
import type { ClusterChannels } from './cluster-messages.ts';
import type { ProbeLock } from './redis-probe-lock.ts';

/** Route health's peers (execute/'s RouteHealthPeers). */
export interface ClusterRouteHealthPeers {
  announce(change: ClusterChannels['health']): void;
  claimProbe(routeId: string, leaseMs: number): Promise<boolean>;
}

/** Tenancy's and the chain cache's peers (TenancyPeers, ChainCachePeers). */
export interface ClusterAnnouncer<T> {
  announce(change: T): void;
}

/** Decisions shared between replicas until they are stored (calls/'s SharedDecisions). */
export interface ClusterSharedDecisions {
  put(record: DecisionRecord): void;
  get(id: string): Promise<DecisionRecord | null>;
}

/** The parts of one replica that apply the other replicas' changes. */
export interface ClusterMembers {
  health: { applyPeerChange(change: ClusterChannels['health']): void };
  tenancy: { applyPeerChange(change: ClusterChannels['tenancy']): void; clearCache(): void };
  chainCache: { applyPeerChange(change: ClusterChannels['responses']): void };
  /** Drops the cached master tenant: any tenant change may be the master key's (`default`), and it is cheap to reread. */
  forgetMasterTenant(): void;
}

export interface ClusterParts {
  bus: ClusterBus;
  probeLock: ProbeLock;
  /** Absent: decisions are readable on the replica that queued them (and everywhere once stored). */
  decisions?: ClusterSharedDecisions;
  /** Closes what the parts hold (connections), after the bus. */
  release?: () => Promise<void>;
}

/** A replica's membership: give the peers to the parts as they are built, then join() with the parts. */
export class Cluster {
  readonly bus: ClusterBus;
  readonly routeHealthPeers: ClusterRouteHealthPeers;
  readonly tenancyPeers: ClusterAnnouncer<ClusterChannels['tenancy']>;
  readonly chainCachePeers: ClusterAnnouncer<ClusterChannels['responses']>;
  readonly decisions: ClusterSharedDecisions | undefined;
  readonly #release: (() => Promise<void>) | undefined;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(parts: ClusterParts) {
    const { bus, probeLock } = parts;
    this.bus = bus;
    this.decisions = parts.decisions;
    this.#release = parts.release;
    this.routeHealthPeers = {
      announce: (change) => bus.publish('health', change),
      claimProbe: (routeId, leaseMs) => probeLock.claim(routeId, leaseMs),
    };
    this.tenancyPeers = { announce: (change) => bus.publish('tenancy', change) };
    this.chainCachePeers = { announce: (change) => bus.publish('responses', change) };
  }

  /**
   * Applies the other replicas' changes to this replica's parts from now on, and drops caches after an interruption;
   * the returned function stops it (close() does too).
   */
  join(members: ClusterMembers): () => void {
    const subscriptions = [
      this.bus.subscribe('health', (change) => members.health.applyPeerChange(change)),
      this.bus.subscribe('tenancy', (change) => {
        members.tenancy.applyPeerChange(change);
        if (change.kind === 'tenant') members.forgetMasterTenant();
      }),
      this.bus.subscribe('responses', (change) => members.chainCache.applyPeerChange(change)),
      // Invalidations published while this replica did not hear are lost: what they would have dropped goes now. Route
      // health needs nothing: missed ejections only mean this replica finds the failing route itself.
      this.bus.onResync(() => {
        members.tenancy.clearCache();
        members.chainCache.applyPeerChange({ kind: 'cleared' });
        members.forgetMasterTenant();
      }),
    ];
    this.#unsubscribe.push(...subscriptions);
    return () => {
      for (const unsubscribe of subscriptions) unsubscribe();
    };
  }

  async close(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    await this.bus.close();
    await this.#release?.();
  }
}
