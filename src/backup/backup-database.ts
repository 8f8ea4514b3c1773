import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { pruneFiles } from '../report/summary-report.js';

const BACKUP_PATTERN = /^stocks_backup_\d{8}_\d{6}(?:_\d+)?\.db$/;

export interface BackupResult {
  path: string;
  bytes: number;
}

/**
 * Copies the database with SQLite's online backup API (consistent while other programs read or
 * write it), checks the copy with `PRAGMA integrity_check`, and keeps the newest `keep` backups.
 * Returns null when there is no database yet (first run).
 */
export async function backupDatabase(databaseFile: string, directory: string, stamp: string, keep: number): Promise<BackupResult | null> {
  if (!existsSync(databaseFile)) return null;
  mkdirSync(directory, { recursive: true, mode: 0o750 });
  let target = path.join(directory, `stocks_backup_${stamp}.db`);
  for (let n = 1; existsSync(target); n += 1) target = path.join(directory, `stocks_backup_${stamp}_${n}.db`);
  const source = new Database(databaseFile, { readonly: true, fileMustExist: true });
  try {
    await source.backup(target);
  } catch (error) {
    rmSync(target, { force: true });
    throw new Error(`backup to ${target} failed: ${(error as Error).message}`);
  } finally {
    source.close();
  }
  // The copy inherits WAL mode; switch it to a plain rollback journal so the backup is one
  // self-contained file (no -wal/-shm beside it), then check it.
  const copy = new Database(target, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
    const result = copy.pragma('integrity_check', { simple: true });
    if (result !== 'ok') throw new Error(`backup ${target} failed its integrity check: ${String(result)}`);
  } catch (error) {
    copy.close();
    rmSync(target, { force: true });
    throw error;
  }
  copy.close();
  pruneFiles(directory, BACKUP_PATTERN, keep, path.basename(target));
  return { path: target, bytes: statSync(target).size };
}
