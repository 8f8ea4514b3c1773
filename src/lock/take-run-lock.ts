import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedConfig } from '../config/load-config.js';
import { usesPostgres } from '../db/open-store.js';
import { redactDatabaseUrl, type PgEnv } from '../db/pg/pg-connect.js';
import { describePgFailure } from '../db/pg/pg-errors.js';
import { LockHeldError, SetupError } from '../errors.js';
import { acquirePgRunLock } from './pg-run-lock.js';
import { acquireRunLock, type RunLock, type RunLockOptions } from './run-lock.js';

/**
 * The run lock of the configured database: the lock file next to an SQLite database, the advisory
 * lock of a PostgreSQL one. LockHeldError (EXIT.LOCKED) when another run holds it; SetupError
 * (EXIT.ABORTED) when it cannot be taken at all (a folder that cannot be made, a server down).
 */
export async function takeRunLock(config: ResolvedConfig, startedAt: Date, options: RunLockOptions & { env?: PgEnv } = {}): Promise<RunLock> {
  const { database } = config;
  if (usesPostgres(database)) {
    try {
      return await acquirePgRunLock(database, options.env ?? {}, startedAt, options);
    } catch (error) {
      if (error instanceof LockHeldError) throw error;
      throw new SetupError(`cannot take the run lock on ${redactDatabaseUrl(database.url ?? '')}: ${describePgFailure(error, 'the server', database, options.env ?? {})}; nothing was refreshed`);
    }
  }
  try {
    mkdirSync(path.dirname(database.path), { recursive: true, mode: 0o750 });
    return acquireRunLock(database.path, startedAt, options);
  } catch (error) {
    if (error instanceof LockHeldError) throw error;
    throw new SetupError(`cannot take the run lock ${database.path}.lock: ${(error as Error).message}; nothing was refreshed`);
  }
}
