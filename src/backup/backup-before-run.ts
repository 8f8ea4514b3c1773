import type { ResolvedConfig } from '../config/load-config.js';
import { usesPostgres } from '../db/open-store.js';
import { pgClientConfig } from '../db/pg/pg-connect.js';
import { backupDatabase } from './backup-database.js';
import { backupPostgres, describePostgresBackup } from './pg-dump.js';

/**
 * What the backup before the run left, as the report's `backup` field says it: the file and its
 * size; on PostgreSQL without pg_dump, no file (`path` null) and a note saying backups are the
 * server's job. Null: no backup asked for, or no database yet.
 */
export interface BackupRecord {
  path: string | null;
  bytes: number;
  note?: string;
}

/**
 * The backup `database.backup_before_run` asks for, on whichever store the config names, and its log
 * line. `env`: the run's environment (PGPASSWORD; PATH, where pg_dump is looked for).
 */
export async function backupBeforeRun(database: ResolvedConfig['database'], stamp: string, env: NodeJS.ProcessEnv): Promise<{ record: BackupRecord | null; line: string }> {
  if (!usesPostgres(database)) {
    const backup = await backupDatabase(database.path, database.backup_directory, stamp, database.keep_last_n_backups);
    return { record: backup, line: backup === null ? 'no database yet: nothing to back up' : `backup: ${backup.path} (${backup.bytes} bytes, integrity ok)` };
  }
  // The connection string carries the password however it was given (file, URL, PGPASSWORD); pg_dump gets it through a passfile.
  const { connectionString } = pgClientConfig(database, env);
  const result = await backupPostgres({
    url: connectionString as string,
    ...(database.ssl === undefined ? {} : { ssl: database.ssl }),
    ...(database.ssl_ca_file === undefined ? {} : { sslRootCert: database.ssl_ca_file }),
    directory: database.backup_directory,
    stamp,
    keep: database.keep_last_n_backups,
    ...(env.PATH === undefined ? {} : { searchPath: env.PATH }),
  });
  const record = result.kind === 'pg_dump' ? { path: result.path, bytes: result.bytes } : { path: null, bytes: 0, note: result.note };
  return { record, line: describePostgresBackup(result) };
}
