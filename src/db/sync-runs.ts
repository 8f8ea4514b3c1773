import type { Db } from './open-database.js';

export type RunStatus = 'running' | 'completed' | 'aborted' | 'interrupted';

export interface SyncRunResult {
  completed_at: string;
  status: Exclude<RunStatus, 'running'>;
  total_stocks: number;
  successful: number;
  failed: number;
  skipped: number;
  unchanged: number;
  duration_seconds: number;
  report_path: string | null;
  error_message: string | null;
  universe_size: number;
}

/** Opens the run's `sync_runs` row; it says `running` until `finishSyncRun`. */
export function startSyncRun(db: Db, startedAt: string, totalStocks: number, pid: number, host: string): number {
  const info = db.prepare('INSERT INTO sync_runs (started_at, status, total_stocks, pid, host) VALUES (?, ?, ?, ?, ?)').run(startedAt, 'running', totalStocks, pid, host);
  return Number(info.lastInsertRowid);
}

export function finishSyncRun(db: Db, id: number, result: SyncRunResult): void {
  db.prepare(
    `UPDATE sync_runs SET completed_at = @completed_at, status = @status, total_stocks = @total_stocks,
       successful = @successful, failed = @failed, skipped = @skipped, unchanged = @unchanged,
       duration_seconds = @duration_seconds, report_path = @report_path, error_message = @error_message,
       universe_size = @universe_size
     WHERE id = @id`,
  ).run({ ...result, id });
}
