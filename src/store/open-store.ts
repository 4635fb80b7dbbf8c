// Opens the store the configuration names: PostgreSQL when `store.postgres` is set, else the SQLite file.
import { existsSync } from 'node:fs';
import { openPostgresStore, type PostgresStoreOptions } from './postgres-store.ts';
import { scrubDatabaseUrl } from './scrub-database-url.ts';
import { openSqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';

/** The configuration's `store` section, as openStore reads it (the catalog's `Secret` fits `postgres`). */
export interface StoreConfig {
  /** The SQLite file, used when `postgres` is unset. */
  sqlite: string;
  /** The PostgreSQL URL, revealed only to connect. */
  postgres?: { reveal(): string } | undefined;
  /** Most PostgreSQL connections of this process. */
  pool_size?: number;
}

/** Where a store lives, for messages: the SQLite path, or "PostgreSQL at host:port/database" (never the credentials). */
export function describeStoreLocation(config: StoreConfig): string {
  if (config.postgres === undefined) return `the SQLite file ${config.sqlite}`;
  try {
    const url = new URL(config.postgres.reveal());
    const schema = /search_path\s*=\s*([^\s&]+)/.exec(url.searchParams.get('options') ?? '')?.[1];
    return `PostgreSQL at ${url.host}${url.pathname}${schema === undefined ? '' : ` (schema ${schema})`}`;
  } catch {
    return 'PostgreSQL (store.postgres)';
  }
}

/**
 * Opens (not yet migrated) the store `config` names: PostgreSQL when `config.postgres` is set (`options` size its pool
 * and hear its dropped connections), else the SQLite file, created if missing.
 */
export function openStore(config: StoreConfig, options: Omit<PostgresStoreOptions, 'poolSize'> = {}): Promise<Store> {
  if (config.postgres !== undefined) return openPostgresStore(config.postgres.reveal(), { ...options, poolSize: config.pool_size });
  return openSqliteStore(config.sqlite);
}

/** The store a command needs is not there: it cannot be reached, does not exist, or holds no Crossway schema. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  readonly code = 'CROSSWAY_STORE_UNAVAILABLE';
}

/**
 * Opens the store `config` names only if it already holds Crossway's schema, and brings an older schema to the current
 * one as the gateway would at start. A SQLite file that does not exist is not created, and an empty PostgreSQL schema
 * is not migrated: for a reader such as `crossway ledger verify` either means "no ledger here", never "an empty one".
 * Rejects with StoreUnavailableError naming where it looked (never with credentials).
 */
export async function openExistingStore(config: StoreConfig): Promise<Store> {
  const location = describeStoreLocation(config);
  if (config.postgres === undefined && config.sqlite !== ':memory:' && !existsSync(config.sqlite)) {
    throw new StoreUnavailableError(`no store at ${location}: the file does not exist`);
  }
  let store: Store;
  try {
    store = await openStore(config);
  } catch (error) {
    throw new StoreUnavailableError(scrubStoreMessage(`cannot open ${location}: ${(error as Error).message}`, config));
  }
  try {
    if ((await store.schemaVersion()) === null) throw new StoreUnavailableError(`no store at ${location}: it holds no Crossway schema`);
    await store.migrate();
    return store;
  } catch (error) {
    await store.close().catch(() => {});
    if (error instanceof StoreUnavailableError) throw error;
    throw new StoreUnavailableError(scrubStoreMessage(`cannot read ${location}: ${(error as Error).message}`, config));
  }
}

/** `message` without the configuration's PostgreSQL URL or its password. */
export function scrubStoreMessage(message: string, config: StoreConfig): string {
  return config.postgres === undefined ? message : scrubDatabaseUrl(message, config.postgres.reveal());
}
