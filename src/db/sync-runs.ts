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
  /** Business days (YYYY-MM-DD) whose daily index was not published yet: the next night reads them again. */
  index_missing_days?: string[];
  /** Sources the run degraded (degradedSources): source -> what happened. */
  degraded_sources?: Record<string, string>;
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
       universe_size = @universe_size, index_missing_days = @index_missing_days, degraded_sources = @degraded_sources
     WHERE id = @id`,
  ).run({
    ...result,
    index_missing_days: result.index_missing_days?.length ? JSON.stringify(result.index_missing_days) : null,
    degraded_sources: result.degraded_sources !== undefined && Object.keys(result.degraded_sources).length > 0 ? JSON.stringify(result.degraded_sources) : null,
    id,
  });
}

/** The last completed run: when it started, and the days whose daily index it found not yet published. */
export function lastCompletedRun(db: Db): { startedAt: Date; indexMissingDays: string[] } | null {
  const row = db.prepare("SELECT started_at, index_missing_days FROM sync_runs WHERE status = 'completed' ORDER BY id DESC LIMIT 1").get() as
    { started_at: string; index_missing_days: string | null } | undefined;
  if (row === undefined) return null;
  return { startedAt: new Date(row.started_at), indexMissingDays: parseDays(row.index_missing_days) };
}

/** A stored JSON array of days; anything else (a hand-edited row) reads as none. */
export function parseDays(value: string | null): string[] {
  if (value === null) return [];
  try {
    const days: unknown = JSON.parse(value);
    return Array.isArray(days) ? days.filter((day): day is string => typeof day === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(day)) : [];
  } catch {
    return [];
  }
}
