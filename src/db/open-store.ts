import type { ResolvedConfig } from '../config/load-config.js';
import { PgStore } from './pg/pg-store.js';
import type { PgEnv } from './pg/pg-connect.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** `database.url` (or DATABASE_URL, resolved into it by loadConfig) selects PostgreSQL; else the SQLite file `database.path`. */
export function usesPostgres(database: ResolvedConfig['database']): boolean {
  return database.url !== undefined;
}

/**
 * Opens the configured store: migrations included unless `readonly` (a dry run, `status`), which
 * never writes. Throws as the store's driver throws; callers say what failed (setupStep).
 */
export async function openStore(database: ResolvedConfig['database'], options: { readonly?: boolean; env?: PgEnv } = {}): Promise<Store> {
  if (usesPostgres(database)) return PgStore.open(database, options.env ?? {}, { readonly: options.readonly === true });
  return SqliteStore.open(database.path, { busyTimeoutMs: database.busy_timeout_ms, readonly: options.readonly === true });
}
