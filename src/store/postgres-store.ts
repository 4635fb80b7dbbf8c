// The shared Store for several replicas: PostgreSQL through Kysely's PostgresDialect on a bounded pg.Pool.
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { KyselyStore, migrateStoreDatabase } from './kysely-store.ts';
import { createPostgresDialect } from './postgres-dialect.ts';
import { PostgresTextPlugin } from './postgres-text-plugin.ts';
import { scrubDatabaseUrl } from './scrub-database-url.ts';
import type { StoreDatabase } from './store-database.ts';

/** How openPostgresStore sizes and bounds its pool. */
export interface PostgresStoreOptions {
  /** Most connections this process opens (the configuration's `store.pool_size`); 10 when absent. */
  poolSize?: number;
  /**
   * Hears an idle connection's failure (the server restarted, a proxy cut it): pg.Pool drops that connection and
   * opens another at the next query; without a listener the pool's `error` event would end the process.
   */
  onConnectionError?: (error: Error) => void;
  /** How long `ping()` waits for `select 1` before the store counts as unreachable; 1500 ms when absent. */
  pingTimeoutMs?: number;
  /** Longest a statement of the store's pool runs on the server; 30 s when absent. */
  statementTimeoutMs?: number;
  /**
   * Longest a statement of `migrate()` runs, the wait for another replica's migration included: a migration of a large
   * table may take minutes, and a replica starting meanwhile waits for it; 10 minutes when absent.
   */
  migrationTimeoutMs?: number;
}

// Every wait on the server is bounded. A new connection must be up within 5 s (pool.connect also waits this long at
// most for a free one); a statement runs at most statementTimeoutMs on the server, and the client gives up 5 s later if
// the server stops answering altogether (a cut network delivers no error); a transaction left idle is ended by the server.
const CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
const DEFAULT_MIGRATION_TIMEOUT_MS = 10 * 60_000;
const CLIENT_GRACE_MS = 5_000;
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;
const IDLE_CONNECTION_MS = 30_000;
const DEFAULT_POOL_SIZE = 10;
const DEFAULT_PING_TIMEOUT_MS = 1_500;

/** Where a PostgresStore connects and how long its waits are, as openPostgresStore resolved them. */
interface PostgresConnection {
  url: string;
  schema: string;
  pingTimeoutMs: number;
  migrationTimeoutMs: number;
  onConnectionError: (error: Error) => void;
}

/**
 * The Store in a PostgreSQL schema (the connection's `search_path`, `public` by default), shared by any number of
 * replicas. Every query is KyselyStore's; this class only connects, bounds the waits and scrubs connection errors.
 */
export class PostgresStore extends KyselyStore {
  readonly #pool: pg.Pool;
  readonly #connection: PostgresConnection;

  constructor(db: Kysely<StoreDatabase>, pool: pg.Pool, connection: PostgresConnection) {
    // The migration tables live in the store's own schema: left unqualified, Kysely's Migrator would look for them in
    // every schema of the database and take another installation's for ours.
    super(db, { migrationTableSchema: connection.schema });
    this.#pool = pool;
    this.#connection = connection;
  }

  /**
   * Migrates on a connection of its own whose statements may run migrationTimeoutMs: the pool's statement timeout
   * would cancel a long migration, or a replica's wait for another one's advisory lock, half way.
   */
  override async migrate(): Promise<void> {
    const { url, schema, migrationTimeoutMs, onConnectionError } = this.#connection;
    if (this.#pool.ending || this.#pool.ended) throw new Error('the store is closed');
    const pool = createPool(url, { max: 1, statementTimeoutMs: migrationTimeoutMs, onConnectionError });
    const db = new Kysely<StoreDatabase>({ dialect: createPostgresDialect(pool) });
    try {
      await migrateStoreDatabase(db, { migrationTableSchema: schema });
    } catch (error) {
      throw new Error(scrubDatabaseUrl(`migrating PostgreSQL failed: ${(error as Error).message}`, url), { cause: error });
    } finally {
      await db.destroy();
    }
  }

  /** Answers within pingTimeoutMs: /readyz must fail fast when the server is cut, not wait for a TCP timeout. */
  override async ping(): Promise<void> {
    const { pingTimeoutMs, url } = this.#connection;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`PostgreSQL did not answer within ${pingTimeoutMs} ms`)), pingTimeoutMs);
    });
    try {
      // Through the pool itself: a query that fails (here, at its read timeout) takes its connection out of the pool,
      // so that a probe during an outage leaves no connection stuck behind an answer that never comes.
      // pg reads a query's own query_timeout (Client.query); @types/pg does not list it.
      const ping = { text: 'select 1', query_timeout: pingTimeoutMs } as pg.QueryConfig;
      await Promise.race([this.#pool.query(ping), timeout]);
    } catch (error) {
      throw new Error(scrubDatabaseUrl(`PostgreSQL unreachable: ${(error as Error).message}`, url));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for the queries under way, then closes every connection. */
  override async close(): Promise<void> {
    // Kysely's PostgresDriver ends the pool on destroy.
    await super.close();
    if (!this.#pool.ended) await this.#pool.end();
  }
}

/**
 * Connects to the PostgreSQL server at `url` (`postgres://user:password@host:5432/db`, perhaps with
 * `?options=-c search_path=...`) and resolves once one query answered; call `migrate()` before use. Rejects with a
 * message that never holds the URL or its password when the server cannot be reached or the schema does not exist.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const onConnectionError = options.onConnectionError ?? (() => {});
  const pool = createPool(url, {
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    statementTimeoutMs: options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    onConnectionError,
  });
  // PostgresTextPlugin: a NUL in a client's string is a miss or a stored U+FFFD, never a failed statement.
  const db = new Kysely<StoreDatabase>({ dialect: createPostgresDialect(pool), plugins: [new PostgresTextPlugin()] });
  let schema: string | null;
  try {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    schema = rows[0]?.schema ?? null;
  } catch (error) {
    await db.destroy().catch(() => {});
    throw new Error(scrubDatabaseUrl(`cannot connect to PostgreSQL: ${(error as Error).message}`, url));
  }
  if (schema === null) {
    await db.destroy().catch(() => {});
    throw new Error('cannot use PostgreSQL: no schema of the search_path exists (create it first, or fix the options=-c search_path=... of the URL)');
  }
  return new PostgresStore(db, pool, {
    url,
    schema,
    pingTimeoutMs: options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS,
    migrationTimeoutMs: options.migrationTimeoutMs ?? DEFAULT_MIGRATION_TIMEOUT_MS,
    onConnectionError,
  });
}

function createPool(url: string, options: { max: number; statementTimeoutMs: number; onConnectionError: (error: Error) => void }): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: IDLE_CONNECTION_MS,
    statement_timeout: options.statementTimeoutMs,
    query_timeout: options.statementTimeoutMs + CLIENT_GRACE_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    // TCP keep-alive probes from 10 s of silence on: an idle connection to a vanished server is found and dropped.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: 'crossway',
  });
  const report = (error: Error) => options.onConnectionError(new Error(scrubDatabaseUrl(error.message, url)));
  // The pool listens on idle connections only: a connection checked out (a query or transaction under way) that the
  // server drops emits 'error' on its client, which would end the process unheard. The query itself still fails.
  pool.on('connect', (client) => client.on('error', report));
  pool.on('error', report);
  return pool;
}
