// The contract between the replicas of one gateway: small typed messages published on named channels, delivered to
// every other replica (never back to the sender), best effort. Implemented in one process (LocalClusterBus) and over
// Redis pub/sub (RedisClusterBus); both pass cluster-bus.case.test.ts.
import type { ClusterChannel, ClusterChannels } from './cluster-messages.ts';

/** Called with each valid message another replica published on the channel. */
export type ClusterHandler<C extends ClusterChannel> = (message: ClusterChannels[C]) => void;

/** Publish/subscribe between the replicas of a gateway. */
export interface ClusterBus {
  /** This replica's id on the bus (random per process). */
  readonly replicaId: string;
  /** Sends to every other replica; never throws and never waits (a message that cannot be sent is lost). */
  publish<C extends ClusterChannel>(channel: C, message: ClusterChannels[C]): void;
  /** Handles the channel's messages from other replicas; the returned function stops it. */
  subscribe<C extends ClusterChannel>(channel: C, handler: ClusterHandler<C>): () => void;
  /**
   * Called when the bus is back after an interruption: messages published meanwhile were lost, so that whatever they
   * would have invalidated must be dropped wholesale. The returned function stops it.
   */
  onResync(handler: () => void): () => void;
  /** Whether messages are flowing now (false while Redis is unreachable). */
  readonly connected: boolean;
  close(): Promise<void>;
}
