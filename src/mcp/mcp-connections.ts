// MCP connections kept open across the steps of one scope (an agent session, a Responses turn): one initialized
// `@modelcontextprotocol/client` Client per (scope, server, credentials), reused for every tools/list and tools/call of
// the scope instead of a new MCP session each time. Bounded: at most `max` in the process and `maxPerTenant` per tenant
// (the least recently used goes first), each closed after `idleMs` unused, and all of a scope's closed with it.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { LRUCache } from 'lru-cache';
import { type Agent, fetch as undiciFetch } from 'undici';

/** What a connection is opened to; the engine's McpServerTarget. */
interface ConnectionTarget {
  tenant: string;
  url: string;
  headers: Readonly<Record<string, string>>;
}

/** One open, initialized MCP client; its requests end when it is closed. */
export class McpConnection {
  readonly tenant: string;
  readonly scope: string;
  readonly client: Client;
  readonly transport: StreamableHTTPClientTransport;
  /** Settles once initialized (rejects when the server could not be initialized). */
  ready: Promise<void> = Promise.resolve();
  readonly #closing = new AbortController();

  constructor(target: ConnectionTarget, scope: string, dispatcher: Agent) {
    this.tenant = target.tenant;
    this.scope = scope;
    const closing = this.#closing.signal;
    this.transport = new StreamableHTTPClientTransport(new URL(target.url), {
      requestInit: { headers: { ...target.headers }, redirect: 'error' },
      // Each request ends with its own signal (a call's bound) or when the connection closes, the GET stream included.
      fetch: ((url: string | URL, init?: RequestInit) =>
        undiciFetch(url, { ...(init as object), dispatcher, signal: init?.signal ? AbortSignal.any([init.signal, closing]) : closing } as never)) as never,
    });
    this.client = new Client({ name: 'crossway', version: '1' });
  }

  /** Connects and initializes, under `signal` and `timeout`. */
  connect(signal: AbortSignal, timeout: number): Promise<void> {
    this.ready = this.client.connect(this.transport, { signal, timeout } as never);
    return this.ready;
  }

  /** Whether the server gave this connection an MCP session (a 404 then means the session expired). */
  get hasSession(): boolean {
    return this.transport.sessionId !== undefined;
  }

  /** Ends its requests and closes the client (best effort: the server may be gone). */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.client.close().catch(() => null);
  }
}

/** Bounds of the pool. */
export interface McpConnectionLimits {
  /** Connections open in the process at most. */
  max: number;
  /** Connections one tenant holds at most. */
  maxPerTenant: number;
  /** A connection unused this long is closed. */
  idleMs: number;
}

/** The open connections, by (scope, server identity). */
export class McpConnectionPool {
  readonly #limits: McpConnectionLimits;
  readonly #connections: LRUCache<string, McpConnection>;
  /** Closes in flight, awaited by close(). */
  readonly #closing = new Set<Promise<void>>();

  constructor(limits: McpConnectionLimits) {
    this.#limits = limits;
    this.#connections = new LRUCache<string, McpConnection>({
      max: limits.max,
      ttl: limits.idleMs,
      updateAgeOnGet: true,
      ttlAutopurge: true,
      // Evicted, expired, deleted or replaced: closed.
      dispose: (connection) => {
        const closed = connection.close().finally(() => this.#closing.delete(closed));
        this.#closing.add(closed);
      },
    });
  }

  /** The scope's connection for `key`, opened (and initialized under `signal` and `timeout`) when there is none. */
  async open(key: string, target: ConnectionTarget, scope: string, dispatcher: Agent, signal: AbortSignal, timeout: number): Promise<McpConnection> {
    const poolKey = JSON.stringify([scope, key]);
    let connection = this.#connections.get(poolKey);
    if (connection === undefined) {
      this.#makeRoom(target.tenant);
      connection = new McpConnection(target, scope, dispatcher);
      this.#connections.set(poolKey, connection);
      connection.connect(signal, timeout).catch(() => null);
    }
    try {
      await connection.ready;
    } catch (error) {
      this.drop(poolKey, connection);
      throw error;
    }
    return connection;
  }

  /** The pool key of a scope's connection (for drop). */
  keyOf(key: string, scope: string): string {
    return JSON.stringify([scope, key]);
  }

  /** Closes the connection if it is still the one kept under `poolKey` (a broken or expired one). */
  drop(poolKey: string, connection: McpConnection): void {
    if (this.#connections.peek(poolKey) === connection) this.#connections.delete(poolKey);
  }

  /** Closes every connection of a scope (its session was deleted, its turn ended). */
  closeScope(scope: string): void {
    for (const [key, connection] of [...this.#connections.entries()]) if (connection.scope === scope) this.#connections.delete(key);
  }

  /** Closes the connections whose key matches (an admin changed or removed the server). */
  closeWhere(matches: (key: string) => boolean): void {
    for (const key of [...this.#connections.keys()]) if (matches(JSON.parse(key)[1] as string)) this.#connections.delete(key);
  }

  /** Connections open now. */
  get size(): number {
    return this.#connections.size;
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    this.#connections.clear();
    await Promise.all([...this.#closing]);
  }

  /** Below the tenant's bound: its least recently used connection is closed when it holds maxPerTenant. */
  #makeRoom(tenant: string): void {
    let held = 0;
    let oldest: string | undefined;
    // rkeys: least recently used first.
    for (const key of this.#connections.rkeys()) {
      if (this.#connections.peek(key)?.tenant !== tenant) continue;
      held += 1;
      oldest ??= key;
    }
    if (held >= this.#limits.maxPerTenant && oldest !== undefined) this.#connections.delete(oldest);
  }
}
