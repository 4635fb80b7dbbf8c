// Opens the store the configuration names: PostgreSQL when `store.postgres` is set, else the SQLite file.
import { openPostgresStore, type PostgresStoreOptions } from './postgres-store.ts';
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
