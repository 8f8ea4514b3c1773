import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';

/** Who holds the lock, as written next to it for the message a second run prints. */
export interface LockHolder {
  pid: number;
  started_at: string;
  host: string;
}

export class LockHeldError extends Error {
  override readonly name = 'LockHeldError';
  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder | null,
  ) {
    super(
      holder === null
        ? `another batch-refresh run holds the lock ${lockPath}`
        : `another batch-refresh run holds the lock ${lockPath}: PID ${holder.pid} on ${holder.host}, started ${holder.started_at}`,
    );
  }
}

export interface RunLock {
  /** The previous holder, when its lock was left behind by a process that is gone. */
  tookOverFrom: LockHolder | null;
  release(): void;
}

/**
 * One run per database. The lock is an exclusive transaction on a small SQLite file next to the
 * database: the operating system drops it when the holding process dies, however it dies (kill -9
 * included), so a lock left by a dead process is taken over without guessing from PIDs, and two
 * runs starting at the same instant cannot both win. Who holds it is written to `<lock>.json`.
 */
export function acquireRunLock(databasePath: string, startedAt: Date): RunLock {
  const lockPath = `${databasePath}.lock`;
  const infoPath = `${lockPath}.json`;
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
  const holder: LockHolder = { pid: process.pid, started_at: startedAt.toISOString(), host: hostname() };
  try {
    writeFileSync(infoPath, `${JSON.stringify(holder)}\n`, { mode: 0o640 });
  } catch {
    // Only the message of a second run loses the holder's name (a full disk): the lock holds.
    rmSync(infoPath, { force: true });
  }
  return {
    tookOverFrom: previous !== null && previous.pid !== process.pid ? previous : null,
    release: () => {
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
    return { pid: parsed.pid, started_at: parsed.started_at, host: typeof parsed.host === 'string' ? parsed.host : 'unknown' };
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
