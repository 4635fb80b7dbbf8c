// Crossway's MCP engine: lists a server's tools and calls them over Streamable HTTP with the official client, every
// wait bounded, every answer size-bounded, every failure a typed error. Tool lists are cached per (tenant, server).
// Work done for a scope (an agent session, a Responses turn) reuses one initialized connection per server across the
// scope's steps (mcp-connections.ts); a connection whose MCP session the server dropped (404) is re-opened once.
import { createHash } from 'node:crypto';
import { Client, ProtocolError, SdkError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { LRUCache } from 'lru-cache';
import { Agent, fetch as undiciFetch } from 'undici';
import { isIP } from 'node:net';
import { createGuardedLookup, isForbiddenAddress } from './check-mcp-address.ts';
import { McpConnectionPool } from './mcp-connections.ts';
import { McpError, McpProtocolError, McpServerUnreachableError, McpTimeoutError, McpToolError } from './mcp-errors.ts';

/** One server as the engine reaches it; `headers` carry its credentials and never leave the engine. */
export interface McpServerTarget {
  tenant: string;
  /** The label the request and its items name the server by. */
  label: string;
  url: string;
  headers: Readonly<Record<string, string>>;
  /** An admin registered this server: it may be on a private or loopback address. Inline URLs never may. */
  allowPrivateAddress: boolean;
}

/** A tool as `mcp_list_tools` carries it. */
export interface McpToolDescription {
  name: string;
  description: string | null;
  input_schema: unknown;
  annotations: unknown | null;
}

/** Bounds of the engine; each has a default (see DEFAULT_MCP_ENGINE_OPTIONS). */
export interface McpEngineOptions {
  /** How long one tools/list or tools/call may take, connection included. */
  timeoutMs: number;
  /** How long a server's tool list is reused. */
  listCacheTtlMs: number;
  /** Byte bound of the tool-list cache (JSON of the lists). */
  listCacheMaxBytes: number;
  /** Most tools one server may list; more is a protocol error. */
  maxTools: number;
  /** Most bytes of one tool list (JSON). */
  maxListBytes: number;
  /** Most bytes of one tool result (the output text). */
  maxResultBytes: number;
  /** Connections kept open across a scope's steps, in the process and per tenant, and how long one may stay unused. */
  maxConnections: number;
  maxConnectionsPerTenant: number;
  connectionIdleMs: number;
}

export const DEFAULT_MCP_ENGINE_OPTIONS: McpEngineOptions = {
  timeoutMs: 30_000,
  listCacheTtlMs: 5 * 60_000,
  listCacheMaxBytes: 8 * 1024 ** 2,
  maxTools: 256,
  maxListBytes: 1024 ** 2,
  maxResultBytes: 1024 ** 2,
  maxConnections: 256,
  maxConnectionsPerTenant: 32,
  connectionIdleMs: 5 * 60_000,
};

/** Lists and calls MCP tools; one per gateway. */
export class McpEngine {
  readonly options: McpEngineOptions;
  readonly #cache: LRUCache<string, McpToolDescription[]>;
  // Connections to inline servers go through the guarded lookup (pinned to checked addresses); registered ones may not.
  readonly #guarded: Agent;
  readonly #open: Agent;
  readonly #connections: McpConnectionPool;

  constructor(options: Partial<McpEngineOptions> = {}) {
    this.options = { ...DEFAULT_MCP_ENGINE_OPTIONS, ...options };
    this.#cache = new LRUCache({
      maxSize: this.options.listCacheMaxBytes,
      sizeCalculation: (tools) => Math.max(1, Buffer.byteLength(JSON.stringify(tools))),
      ttl: this.options.listCacheTtlMs,
    });
    this.#guarded = new Agent({ connect: { lookup: createGuardedLookup() as never } });
    this.#open = new Agent();
    this.#connections = new McpConnectionPool({
      max: this.options.maxConnections,
      maxPerTenant: this.options.maxConnectionsPerTenant,
      idleMs: this.options.connectionIdleMs,
    });
  }

  /**
   * The server's tools (cached for listCacheTtlMs per tenant, server and credentials). With a `scope`, the scope's
   * connection to the server is used (opened if needed) and kept for its later steps.
   */
  async listTools(target: McpServerTarget, signal: AbortSignal, scope?: string): Promise<McpToolDescription[]> {
    const key = cacheKey(target);
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const tools = await this.#withClient(target, signal, scope, async (client, options) => {
      const listed: McpToolDescription[] = [];
      let cursor: string | undefined;
      // Pages are followed up to the tool bound: a server cannot make the engine read forever.
      for (let page = 0; page < 64; page++) {
        const result = await client.listTools(cursor === undefined ? undefined : { cursor }, options);
        for (const tool of result.tools) {
          listed.push({ name: tool.name, description: tool.description ?? null, input_schema: tool.inputSchema, annotations: tool.annotations ?? null });
        }
        if (listed.length > this.options.maxTools) throw new McpProtocolError(`The MCP server lists more than ${this.options.maxTools} tools.`, -32603);
        cursor = result.nextCursor;
        if (cursor === undefined) break;
      }
      return listed;
    });
    if (Buffer.byteLength(JSON.stringify(tools)) > this.options.maxListBytes) {
      throw new McpProtocolError(`The MCP server's tool list is larger than ${this.options.maxListBytes} bytes.`, -32603);
    }
    this.#cache.set(key, tools);
    return tools;
  }

  /**
   * Calls a tool; resolves with its output text, or throws McpToolError (the tool failed) or another McpError. With a
   * `scope`, over the scope's connection to the server (see listTools).
   */
  async callTool(target: McpServerTarget, name: string, args: Record<string, unknown>, signal: AbortSignal, scope?: string): Promise<string> {
    const result = await this.#withClient(target, signal, scope, (client, options) => client.callTool({ name, arguments: args }, options));
    const output = readToolOutput(result as { content?: unknown; structuredContent?: unknown });
    if (Buffer.byteLength(output) > this.options.maxResultBytes) {
      throw new McpProtocolError(`The MCP tool's result is larger than ${this.options.maxResultBytes} bytes.`, -32603);
    }
    if ((result as { isError?: boolean }).isError === true) throw new McpToolError(`The MCP tool ${name} reported an error.`, result.content ?? output);
    return output;
  }

  /** Drops the cached tool lists and open connections of a tenant's server (after an admin changed or removed it). */
  forget(tenant: string, label: string): void {
    const prefix = JSON.stringify([tenant, label]).slice(0, -1);
    for (const key of [...this.#cache.keys()]) if (key.startsWith(prefix)) this.#cache.delete(key);
    this.#connections.closeWhere((key) => key.startsWith(prefix));
  }

  /** Closes the connections kept for a scope (its agent session was deleted, its turn ended). */
  closeScope(scope: string): void {
    this.#connections.closeScope(scope);
  }

  /** Connections kept open now (across every scope). */
  get openConnections(): number {
    return this.#connections.size;
  }

  /** Closes the kept connections and the engine's connection pools. */
  async close(): Promise<void> {
    await this.#connections.close();
    await Promise.all([this.#guarded.close(), this.#open.close()]);
  }

  /**
   * Runs `work` with a client, under one timeout and aborted with `signal`: without a scope on a connection of its own
   * (connected, then closed); with one on the scope's kept connection, re-opened once if the server expired its session.
   */
  async #withClient<T>(
    target: McpServerTarget,
    signal: AbortSignal,
    scope: string | undefined,
    work: (client: Client, options: { signal: AbortSignal; timeout: number }) => Promise<T>,
  ): Promise<T> {
    // A literal address is connected to without a lookup, so the guard checks it here (names are checked on resolution).
    const host = new URL(target.url).hostname.replace(/^\[|\]$/g, '');
    if (!target.allowPrivateAddress && isIP(host) !== 0 && isForbiddenAddress(host)) {
      throw new McpServerUnreachableError(`The MCP server ${target.label} is on a forbidden address.`);
    }
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const combined = AbortSignal.any([signal, timeout]);
    const dispatcher = target.allowPrivateAddress ? this.#open : this.#guarded;
    if (scope !== undefined) {
      return this.#bounded(target, signal, timeout, combined, () => this.#withScopedClient(target, scope, dispatcher, combined, work));
    }
    const transport = new StreamableHTTPClientTransport(new URL(target.url), {
      requestInit: { headers: { ...target.headers }, redirect: 'error' },
      // The transport's own signal (aborted by close()) and the bound both end every request, the GET stream included.
      fetch: ((url: string | URL, init?: RequestInit) =>
        undiciFetch(url, { ...(init as object), dispatcher, signal: init?.signal ? AbortSignal.any([init.signal, combined]) : combined } as never)) as never,
    });
    const client = new Client({ name: 'crossway', version: '1' });
    const options = { signal: combined, timeout: this.options.timeoutMs };
    let aborted: (() => void) | undefined;
    const abortedPromise = new Promise<never>((_, reject) => {
      aborted = () =>
        reject(timeout.aborted ? new McpTimeoutError(`The MCP server ${target.label} did not answer within ${this.options.timeoutMs} ms.`) : signal.reason);
      combined.addEventListener('abort', aborted, { once: true });
    });
    try {
      return await Promise.race([
        (async () => {
          await client.connect(transport, { signal: combined, timeout: this.options.timeoutMs } as never);
          return work(client, options);
        })(),
        abortedPromise,
      ]);
    } catch (error) {
      throw toMcpError(error, target, timeout.aborted, this.options.timeoutMs);
    } finally {
      if (aborted !== undefined) combined.removeEventListener('abort', aborted);
      abortedPromise.catch(() => null);
      await client.close().catch(() => null);
    }
  }

  /** `run` raced against the bound and `signal`, its failures typed (as #withClient's own path does). */
  async #bounded<T>(target: McpServerTarget, signal: AbortSignal, timeout: AbortSignal, combined: AbortSignal, run: () => Promise<T>): Promise<T> {
    let aborted: (() => void) | undefined;
    const abortedPromise = new Promise<never>((_, reject) => {
      aborted = () =>
        reject(timeout.aborted ? new McpTimeoutError(`The MCP server ${target.label} did not answer within ${this.options.timeoutMs} ms.`) : signal.reason);
      combined.addEventListener('abort', aborted, { once: true });
    });
    try {
      return await Promise.race([run(), abortedPromise]);
    } catch (error) {
      throw toMcpError(error, target, timeout.aborted, this.options.timeoutMs);
    } finally {
      if (aborted !== undefined) combined.removeEventListener('abort', aborted);
      abortedPromise.catch(() => null);
    }
  }

  /** `work` on the scope's connection to the server; a connection whose session expired is re-opened and tried once more. */
  async #withScopedClient<T>(
    target: McpServerTarget,
    scope: string,
    dispatcher: Agent,
    combined: AbortSignal,
    work: (client: Client, options: { signal: AbortSignal; timeout: number }) => Promise<T>,
  ): Promise<T> {
    const key = cacheKey(target);
    const options = { signal: combined, timeout: this.options.timeoutMs };
    for (let attempt = 0; ; attempt++) {
      const connection = await this.#connections.open(key, target, scope, dispatcher, combined, this.options.timeoutMs);
      try {
        return await work(connection.client, options);
      } catch (error) {
        const expired = connection.hasSession && isExpiredSession(error);
        // A JSON-RPC error or a bound reached leaves the connection usable; anything else (expired, broken) closes it.
        if (expired || !(error instanceof ProtocolError || combined.aborted)) this.#connections.drop(this.#connections.keyOf(key, scope), connection);
        if (expired && attempt === 0) continue;
        throw error;
      }
    }
  }
}

/** A failure that means the server no longer knows the connection's MCP session (HTTP 404 to a request that named it). */
function isExpiredSession(error: unknown): boolean {
  return error instanceof SdkError && (error as { data?: { status?: unknown } }).data?.status === 404;
}

/** The key of a server's tool list: tenant, label, URL and a hash of the credentials (other credentials may see other tools). */
function cacheKey(target: McpServerTarget): string {
  const credentials = createHash('sha256')
    .update(JSON.stringify(Object.entries(target.headers).sort()))
    .digest('hex');
  return JSON.stringify([target.tenant, target.label, target.url, credentials]);
}

/** A tool result as the `output` string of an `mcp_call`: its text blocks joined, else its structured content or blocks as JSON. */
function readToolOutput(result: { content?: unknown; structuredContent?: unknown }): string {
  const blocks = Array.isArray(result.content) ? (result.content as { type?: unknown; text?: unknown }[]) : [];
  const texts = blocks.filter((block) => block.type === 'text' && typeof block.text === 'string').map((block) => block.text as string);
  if (texts.length === blocks.length && texts.length > 0) return texts.join('\n');
  if (result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  return JSON.stringify(blocks);
}

/** Any failure of the client as a typed McpError; messages name the server's label only (its URL and headers stay inside). */
function toMcpError(error: unknown, target: McpServerTarget, timedOut: boolean, timeoutMs: number): McpError {
  if (error instanceof McpError) return error;
  if (timedOut) return new McpTimeoutError(`The MCP server ${target.label} did not answer within ${timeoutMs} ms.`, error);
  if (error instanceof ProtocolError) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number' && code === -32001) return new McpTimeoutError(`The MCP server ${target.label} did not answer in time.`, error);
    return new McpProtocolError(
      `The MCP server ${target.label} answered with a protocol error: ${excerpt(error.message)}`,
      typeof code === 'number' ? code : -32603,
      error,
    );
  }
  if (error instanceof SdkError) {
    const status = (error as { data?: { status?: unknown } }).data?.status;
    if (typeof status === 'number') return new McpServerUnreachableError(`The MCP server ${target.label} answered HTTP ${status}.`, status, error);
    if (/timed? ?out/i.test(error.message)) return new McpTimeoutError(`The MCP server ${target.label} did not answer in time.`, error);
  }
  return new McpServerUnreachableError(`The MCP server ${target.label} could not be reached.`, 0, error);
}

function excerpt(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
