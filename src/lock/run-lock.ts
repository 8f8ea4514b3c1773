import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import { LockHeldError } from '../errors.js';

/** Who holds the lock, as written next to it for the message a second run prints. */
export interface LockHolder {
  pid: number;
  started_at: string;
  host: string;
  /** `continuous`: a `--continuous` process, holding the lock between its cycles too. @default 'run' */
  mode?: LockMode;
}

/** A single run, or a `--continuous` process (which holds the lock while it waits between cycles). */
export type LockMode = 'run' | 'continuous';

export interface RunLock {
  /** The previous holder, when its lock was left behind by a process that is gone. */
  tookOverFrom: LockHolder | null;
  /** Frees the lock (a PostgreSQL lock's connection closes: hence a promise there). */
  release(): void | Promise<void>;
  /** Settles with the reason when the lock is lost before release (a PostgreSQL lock's connection closed); never for a file lock. */
  lost?: Promise<string>;
}

export interface RunLockOptions {
  /**
   * `continuous`: the lock is this process's until released, and every run the process starts on
   * the same database nests inside it (its acquire and release change nothing) instead of failing.
   * `status` then shows the process as running while it waits between cycles, and no other run
   * can slip in between two cycles. @default 'run'
   */
  mode?: LockMode;
}

/** Lock files this process holds in continuous mode. */
const heldForProcess = new Set<string>();

/**
 * One run per database. The lock is an exclusive transaction on a small SQLite file next to the
 * database: the operating system drops it when the holding process dies, however it dies (kill -9
 * included), so a lock left by a dead process is taken over without guessing from PIDs, and two
 * runs starting at the same instant cannot both win. Who holds it is written to `<lock>.json`.
 */
export function acquireRunLock(databasePath: string, startedAt: Date, options: RunLockOptions = {}): RunLock {
  const lockPath = `${databasePath}.lock`;
  const infoPath = `${lockPath}.json`;
  // A run inside a continuous process: the process's lock covers it. (A second connection would
  // be refused: SQLite's locks are per connection, even within one process.)
  if (heldForProcess.has(lockPath)) return { tookOverFrom: null, release: () => undefined };
  const db = new Database(lockPath);
  try {
    db.pragma('busy_timeout = 0');
    // Nothing is ever written in the lock file: no journal, so taking the lock needs no disk space.
    db.pragma('journal_mode = MEMORY');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new LockHeldError(lockPath, readLockHolder(databasePath));
    throw error;
  }
  const previous = readLockHolder(databasePath);
  const holder: LockHolder = { pid: process.pid, started_at: startedAt.toISOString(), host: hostname(), ...(options.mode === 'continuous' ? { mode: 'continuous' as const } : {}) };
  try {
    writeFileSync(infoPath, `${JSON.stringify(holder)}\n`, { mode: 0o640 });
  } catch {
    // Only the message of a second run loses the holder's name (a full disk): the lock holds.
    rmSync(infoPath, { force: true });
  }
  if (options.mode === 'continuous') heldForProcess.add(lockPath);
  return {
    tookOverFrom: previous !== null && previous.pid !== process.pid ? previous : null,
    release: () => {
      heldForProcess.delete(lockPath);
      rmSync(infoPath, { force: true });
      try {
        db.exec('ROLLBACK');
      } finally {
        db.close();
      }
    },
  };
}

/** The holder named in `<database>.lock.json`, if any (it may be stale: see `isProcessAlive`). */
export function readLockHolder(databasePath: string): LockHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(`${databasePath}.lock.json`, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.started_at !== 'string') return null;
    return {
      pid: parsed.pid,
      started_at: parsed.started_at,
      host: typeof parsed.host === 'string' ? parsed.host : 'unknown',
      ...(parsed.mode === 'continuous' ? { mode: 'continuous' as const } : {}),
    };
  } catch {
    return null;
  }
}

/** Whether a process with this PID exists on this machine (EPERM: it exists, owned by another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
