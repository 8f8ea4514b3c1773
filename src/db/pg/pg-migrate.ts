import type pg from 'pg';
import { MIGRATIONS, renderMigration } from '../migrations.js';

/*
 * The schema on PostgreSQL: the one migration list (migrations.ts) rendered for PostgreSQL, each
 * entry in its own transaction with its row in `schema_migrations` (the schema version is the
 * highest row). Hosts that start at once take turns on an advisory lock: the second finds the
 * work done. The run lock's holder table (`runs`, pg-run-lock.ts) is made here too.
 */

/** The advisory lock keys of batch-refresh ('brfr' and a number): 1 the run lock, 2 migrating. */
export const LOCK_CLASS = 0x62726672;
export const RUN_LOCK_KEY = 1;
const MIGRATE_LOCK_KEY = 2;

const BOOKKEEPING = `
  CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS runs (
    lock TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at TEXT NOT NULL,
    mode TEXT NOT NULL,
    backend_pid INTEGER NOT NULL
  );`;

/** The schema version stored in the database: 0 when batch-refresh never ran there. */
export async function schemaVersion(client: pg.ClientBase): Promise<number> {
  const exists = await client.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  if (!(exists.rows[0] as { present: boolean }).present) return 0;
  const row = (await client.query('SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations')).rows[0] as { version: number };
  return row.version;
}

/** Brings the schema up to date; throws, changing nothing, when the database is newer than this build. */
export async function migratePostgres(client: pg.ClientBase, now: () => Date = () => new Date()): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1, $2)', [LOCK_CLASS, MIGRATE_LOCK_KEY]);
  try {
    await client.query(BOOKKEEPING);
    const current = await schemaVersion(client);
    if (current > MIGRATIONS.length) {
      throw new Error(`the database schema is version ${current}, newer than this batch-refresh knows (${MIGRATIONS.length}); upgrade batch-refresh`);
    }
    for (let version = current; version < MIGRATIONS.length; version += 1) {
      await client.query('BEGIN');
      try {
        await client.query(renderMigration(MIGRATIONS[version] as string, 'postgres'));
        await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [version + 1, now().toISOString()]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_CLASS, MIGRATE_LOCK_KEY]).catch(() => undefined);
  }
}
