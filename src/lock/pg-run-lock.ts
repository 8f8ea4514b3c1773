import { hostname } from 'node:os';
import pg from 'pg';
import { pgClientConfig, redactDatabaseUrl, type DatabaseConfig, type PgEnv } from '../db/pg/pg-connect.js';
import { LOCK_CLASS, RUN_LOCK_KEY } from '../db/pg/pg-migrate.js';
import { LockHeldError } from '../errors.js';
import type { LockHolder, RunLock, RunLockOptions } from './run-lock.js';

/*
 * One run per PostgreSQL database, whichever host it starts on: a session advisory lock
 * (pg_try_advisory_lock) held on a connection of its own for the whole run. The server drops it
 * with the connection, however the holder ends (kill -9, a host that died), so a crashed run's
 * lock frees itself; two runs asking at the same instant cannot both win. Who holds it is a row
 * of `runs`, written once the lock is taken, for the message a second run prints and for `status`.
 */

const RUNS_TABLE = `CREATE TABLE IF NOT EXISTS runs (
  lock TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, started_at TEXT NOT NULL, mode TEXT NOT NULL, backend_pid INTEGER NOT NULL)`;
const HOLDER = "SELECT pid, host, started_at, mode FROM runs WHERE lock = 'run'";
/** The holder row only while its connection still holds the lock in this database (a crashed holder's row stays until the next run). */
const LIVE_HOLDER = `${HOLDER} AND EXISTS (
  SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 2 AND l.granted
    AND l.pid = runs.backend_pid AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))`;

/** How long a refused run waits for the holder's row: HOLDER_POLLS × HOLDER_POLL_MS. */
const HOLDER_POLLS = 40;
const HOLDER_POLL_MS = 50;

/** Databases whose lock this process holds for a `--continuous` process: the runs it starts nest inside. */
const heldForProcess = new Set<string>();

/** Takes the run lock of the configured database; LockHeldError naming the holder when another run has it. */
export async function acquirePgRunLock(database: DatabaseConfig, env: PgEnv, startedAt: Date, options: RunLockOptions = {}): Promise<RunLock> {
  const where = redactDatabaseUrl(database.url ?? '');
  if (heldForProcess.has(where)) return { tookOverFrom: null, release: () => undefined };
  const client = new pg.Client(pgClientConfig(database, env));
  // The lock's connection dropping mid-run frees the lock: another host may take it, so the run
  // must stop (RunControl aborts on `lost`) rather than write next to a second run.
  let released = false;
  let markLost: (reason: string) => void = () => undefined;
  const lost = new Promise<string>((resolve) => {
    markLost = resolve;
  });
  const onLost = (cause: string): void => {
    if (!released) markLost(`lost the run lock on ${where}: its connection to the server closed (${cause}); stopped so that no other run writes at the same time`);
  };
  client.on('error', (error) => onLost(error.message));
  client.on('end', () => onLost('connection ended'));
  await client.connect();
  try {
    const taken = (await client.query('SELECT pg_try_advisory_lock($1, $2) AS taken', [LOCK_CLASS, RUN_LOCK_KEY])).rows[0] as { taken: boolean };
    await createRunsTable(client);
    if (!taken.taken) throw new LockHeldError(`${where} (advisory lock)`, await liveHolder(client));
    const previous = holderOf((await client.query(HOLDER)).rows[0]);
    const holder: LockHolder = { pid: process.pid, started_at: startedAt.toISOString(), host: hostname(), ...(options.mode === 'continuous' ? { mode: 'continuous' as const } : {}) };
    await client.query(
      `INSERT INTO runs (lock, pid, host, started_at, mode, backend_pid) VALUES ('run', $1, $2, $3, $4, pg_backend_pid())
       ON CONFLICT (lock) DO UPDATE SET pid = EXCLUDED.pid, host = EXCLUDED.host, started_at = EXCLUDED.started_at, mode = EXCLUDED.mode, backend_pid = EXCLUDED.backend_pid`,
      [holder.pid, holder.host, holder.started_at, holder.mode ?? 'run'],
    );
    if (options.mode === 'continuous') heldForProcess.add(where);
    return {
      tookOverFrom: previous !== null && !(previous.pid === process.pid && previous.host === holder.host) ? previous : null,
      lost,
      release: async () => {
        released = true;
        heldForProcess.delete(where);
        await client.query("DELETE FROM runs WHERE lock = 'run' AND backend_pid = pg_backend_pid()").catch(() => undefined);
        await client.end().catch(() => undefined);
      },
    };
  } catch (error) {
    released = true;
    await client.end().catch(() => undefined);
    throw error;
  }
}

/**
 * Who holds the lock, read by a run that was refused it: the holder writes its row just after
 * taking the lock, so a run refused in between waits a moment for the row (never for the lock).
 */
async function liveHolder(client: pg.Client): Promise<LockHolder | null> {
  for (let attempt = 0; ; attempt += 1) {
    const holder = holderOf((await client.query(LIVE_HOLDER, [LOCK_CLASS, RUN_LOCK_KEY])).rows[0]);
    if (holder !== null || attempt >= HOLDER_POLLS) return holder;
    await new Promise((resolve) => setTimeout(resolve, HOLDER_POLL_MS));
  }
}

/** The run holding the lock of the configured database now, if any (for `status`); null also before any run made the table. */
export async function readPgRunHolder(database: DatabaseConfig, env: PgEnv): Promise<LockHolder | null> {
  const client = new pg.Client(pgClientConfig(database, env));
  client.on('error', () => undefined);
  await client.connect();
  try {
    const present = (await client.query("SELECT to_regclass('runs') IS NOT NULL AS present")).rows[0] as { present: boolean };
    if (!present.present) return null;
    return holderOf((await client.query(LIVE_HOLDER, [LOCK_CLASS, RUN_LOCK_KEY])).rows[0]);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The holders' table; two hosts making it at the same instant: one of them is told it exists, which is as good. */
async function createRunsTable(client: pg.Client): Promise<void> {
  try {
    await client.query(RUNS_TABLE);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== '23505' && code !== '42P07') throw error;
  }
}

function holderOf(row: unknown): LockHolder | null {
  if (row === undefined || row === null) return null;
  const { pid, host, started_at, mode } = row as { pid: number; host: string; started_at: string; mode: string };
  return { pid, host, started_at, ...(mode === 'continuous' ? { mode: 'continuous' as const } : {}) };
}
