// The cluster bus over Redis pub/sub: one channel per message kind under the key prefix (`<prefix>cluster:<channel>`),
// a dedicated subscriber connection, messages in an envelope naming the sender (Redis delivers a replica's own
// messages back to it), bounded in size and validated with zod on receipt.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../observe/index.ts';
import type { ClusterBus, ClusterHandler } from './cluster-bus.ts';
import { CLUSTER_CHANNELS, MAX_CLUSTER_MESSAGE_BYTES, clusterMessageSchemas, type ClusterChannel, type ClusterChannels } from './cluster-messages.ts';

export interface RedisClusterBusOptions {
  /** Sends PUBLISH (and may serve other commands). */
  publisher: Redis;
  /** Used for nothing else: a connection in subscriber mode cannot send other commands. */
  subscriber: Redis;
  /** The configuration's `redis.key_prefix`: installations sharing one Redis do not hear each other. */
  keyPrefix: string;
  logger: Pick<Logger, 'warn' | 'info' | 'debug'>;
}

/** What a replica sends: its id, so that it can ignore its own messages, and the message. */
const envelopeSchema = z.strictObject({ from: z.string().min(1).max(64), message: z.unknown() });

/** Counters for tests and metrics. */
export interface ClusterBusStats {
  published: number;
  received: number;
  /** Messages dropped on receipt: too large, not JSON, or not of their channel's schema. */
  rejected: number;
}

/** One replica's end of the bus. Owns neither connection: the caller closes them after close(). */
export class RedisClusterBus implements ClusterBus {
  readonly replicaId = randomBytes(8).toString('hex');
  readonly stats: ClusterBusStats = { published: 0, received: 0, rejected: 0 };
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #logger: RedisClusterBusOptions['logger'];
  readonly #channelNames: Map<ClusterChannel, string>;
  readonly #channelsByName: Map<string, ClusterChannel>;
  readonly #handlers = new Map<ClusterChannel, Set<(message: unknown) => void>>();
  readonly #resyncHandlers = new Set<() => void>();
  #subscribed = false;
  /** Set once the subscription was lost; the next subscription resyncs. */
  #interrupted = false;
  /** Set when a message could not be sent; once Redis answers again, the other replicas are told to resync. */
  #missed = false;
  #closed = false;

  constructor(options: RedisClusterBusOptions) {
    this.#publisher = options.publisher;
    this.#subscriber = options.subscriber;
    this.#logger = options.logger;
    this.#channelNames = new Map(CLUSTER_CHANNELS.map((channel) => [channel, `${options.keyPrefix}cluster:${channel}`]));
    this.#channelsByName = new Map([...this.#channelNames].map(([channel, name]) => [name, channel]));
    this.#subscriber.on('message', this.#onMessage);
    this.#subscriber.on('ready', this.#subscribe);
    this.#subscriber.on('close', this.#onClose);
    this.#publisher.on('ready', this.#announceMissed);
    if (this.#subscriber.status === 'ready') this.#subscribe();
    // Messages from another replica that could not announce its changes: as if this replica had been cut off.
    this.subscribe('resync', () => this.#resync());
  }

  get connected(): boolean {
    return this.#subscribed && this.#publisher.status === 'ready';
  }

  publish<C extends ClusterChannel>(channel: C, message: ClusterChannels[C]): void {
    const name = this.#channelNames.get(channel);
    if (name === undefined || this.#closed) return;
    const text = JSON.stringify({ from: this.replicaId, message });
    if (Buffer.byteLength(text) > MAX_CLUSTER_MESSAGE_BYTES) {
      this.#logger.warn({ channel, bytes: Buffer.byteLength(text) }, 'cluster message too large; not sent');
      return;
    }
    // Best effort: while Redis is unreachable the message is lost, and the peers are told to resync when it returns.
    if (this.#publisher.status !== 'ready') {
      this.#missed = true;
      return;
    }
    this.stats.published += 1;
    this.#publisher.publish(name, text).catch(() => {
      this.#missed = true;
    });
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

  onResync(handler: () => void): () => void {
    this.#resyncHandlers.add(handler);
    return () => this.#resyncHandlers.delete(handler);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#subscriber.off('message', this.#onMessage);
    this.#subscriber.off('ready', this.#subscribe);
    this.#subscriber.off('close', this.#onClose);
    this.#publisher.off('ready', this.#announceMissed);
    this.#handlers.clear();
    this.#resyncHandlers.clear();
    if (this.#subscriber.status === 'ready') await this.#subscriber.unsubscribe(...this.#channelNames.values()).catch(() => {});
  }

  /** (Re)subscribes on every connection; after an interruption, the handlers resync once the subscription is back. */
  readonly #subscribe = (): void => {
    if (this.#closed) return;
    this.#subscriber.subscribe(...this.#channelNames.values()).then(
      () => {
        this.#subscribed = true;
        this.#announceMissed();
        if (!this.#interrupted) return;
        this.#interrupted = false;
        this.#logger.info('cluster bus: Redis is back; caches dropped, as changes may have been missed meanwhile');
        this.#resync();
      },
      // The connection went away again before answering: its next 'ready' subscribes.
      () => {},
    );
  };

  /** Tells the other replicas to resync when this one could not announce something and can now. */
  readonly #announceMissed = (): void => {
    if (!this.#missed || this.#closed || this.#publisher.status !== 'ready') return;
    this.#missed = false;
    this.publish('resync', {});
  };

  #resync(): void {
    for (const handler of this.#resyncHandlers) runHandler(handler, undefined, this.#logger);
  }

  readonly #onClose = (): void => {
    if (this.#closed) return;
    if (this.#subscribed) {
      this.#logger.warn('cluster bus: Redis unreachable; this replica goes on alone (local route health, local caches)');
    }
    this.#subscribed = false;
    this.#interrupted = true;
  };

  readonly #onMessage = (name: string, text: string): void => {
    const channel = this.#channelsByName.get(name);
    if (channel === undefined) return;
    const message = this.#read(channel, text);
    if (message === undefined) {
      this.stats.rejected += 1;
      this.#logger.debug({ channel }, 'cluster message rejected');
      return;
    }
    if (message === null) return;
    this.stats.received += 1;
    for (const handler of this.#handlers.get(channel) ?? []) runHandler(handler, message, this.#logger);
  };

  /** The message, null for this replica's own, undefined for anything invalid. */
  #read(channel: ClusterChannel, text: string): unknown {
    // A string's length bounds its UTF-8 bytes from below: cheap first, exact second.
    if (text.length > MAX_CLUSTER_MESSAGE_BYTES || Buffer.byteLength(text) > MAX_CLUSTER_MESSAGE_BYTES) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    const envelope = envelopeSchema.safeParse(parsed);
    if (!envelope.success) return undefined;
    if (envelope.data.from === this.replicaId) return null;
    const message = clusterMessageSchemas[channel].safeParse(envelope.data.message);
    return message.success ? message.data : undefined;
  }
}

/** A handler that throws must not stop the others nor the connection's event loop. */
function runHandler(handler: (message: unknown) => void, message: unknown, logger: Pick<Logger, 'warn'>): void {
  try {
    handler(message);
  } catch (error) {
    logger.warn({ err: error }, 'cluster message handler failed');
  }
}
