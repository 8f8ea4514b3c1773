import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ResolvedConfig } from '../config/load-config.js';
import { openDatabase, type Db } from '../db/open-database.js';
import { isProcessAlive, readLockHolder, type LockHolder } from '../lock/run-lock.js';
import { isSuccessfulRun } from '../report/run-success.js';
import { UNIT_NAMES } from '../schedule/render-systemd.js';

/** One `sync_runs` row as `status` shows it. */
export interface RunSummary {
  id: number;
  /** `abandoned`: the row says running but its process is gone (killed, machine rebooted). */
  status: 'running' | 'completed' | 'aborted' | 'interrupted' | 'abandoned';
  started_at: string;
  completed_at: string | null;
  duration_seconds: number | null;
  total_stocks: number;
  successful: number;
  failed: number;
  skipped: number;
  unchanged: number;
  report_path: string | null;
  error_message: string | null;
  /** Sources the run degraded (a circuit open, a block, prices not refreshed): source -> what happened; null when none. */
  degraded_sources: Record<string, string> | null;
}

/** What `batch-refresh status --json` prints; its shape is kept stable for scripts. */
export interface StatusReport {
  database: string;
  database_exists: boolean;
  running: LockHolder | null;
  last_run: RunSummary | null;
  last_success: RunSummary | null;
  recent_runs: RunSummary[];
  freshness: {
    /** Stocks in the database. */
    stocks: number;
    /** The universe of the last run less the stocks in the database. */
    never_refreshed: number | null;
    fresh: number;
    stale: number;
    /** A stock is stale once its last refresh is older than this. */
    stale_after_hours: number;
  };
  schedule: {
    run_time: string;
    timezone: string;
    /** The nightly timer's next elapse (ISO 8601), when the user manager knows the timer. */
    next_run: string | null;
    /** `systemd continuous service`, `systemd user timer` or `none found`. */
    source: string;
    continuous: ContinuousServiceState;
  };
}

/** What `status` knows of `batch-refresh-continuous.service`. */
export interface ContinuousServiceState {
  unit: string;
  /** `schedule install --continuous` wrote the unit file. */
  installed: boolean;
  /** systemd's ActiveState (active, activating, failed, inactive, …); null when not installed or the user manager did not answer. */
  active_state: string | null;
}

export interface StatusDeps {
  now: () => Date;
  /** The timer's next elapse from systemd, or null where systemd (or the timer) is absent. */
  nextTimerElapse: () => Promise<string | null>;
  /** Whether the continuous unit is installed and its state; the default says not installed. */
  continuousService?: () => Promise<Omit<ContinuousServiceState, 'unit'>>;
}

const RECENT_RUNS = 5;

/**
 * Reads the state of the job from the database and the lock, without writing either: it is safe
 * to call while a run is going on.
 */
export async function readStatus(config: ResolvedConfig, deps: StatusDeps): Promise<StatusReport> {
  const file = config.database.path;
  // A nightly job is stale when it missed a night: half an interval of grace for the timer's jitter.
  const staleAfterHours = config.continuous.refresh_interval_hours * 1.5;
  const holder = readLockHolder(file);
  const running = holder !== null && (holder.host !== hostname() || isProcessAlive(holder.pid)) ? holder : null;
  const nextRun = await deps.nextTimerElapse().catch(() => null);
  const notInstalled = { installed: false, active_state: null };
  const probe = deps.continuousService ?? (() => Promise.resolve(notInstalled));
  const continuous: ContinuousServiceState = { unit: UNIT_NAMES.continuous, ...(await probe().catch(() => notInstalled)) };
  // Installing one kind removes the other, so at most one of them is there.
  const source = continuous.installed ? 'systemd continuous service' : nextRun === null ? 'none found' : 'systemd user timer';
  const schedule = { run_time: config.scheduling.run_time, timezone: config.scheduling.timezone, next_run: nextRun, source, continuous };
  const empty: StatusReport = {
    database: file,
    database_exists: false,
    running,
    last_run: null,
    last_success: null,
    recent_runs: [],
    freshness: { stocks: 0, never_refreshed: null, fresh: 0, stale: 0, stale_after_hours: staleAfterHours },
    schedule,
  };
  if (!existsSync(file)) return empty;
  const db = openDatabase(file, { busyTimeoutMs: config.database.busy_timeout_ms, readonly: true });
  try {
    const rows = db.prepare('SELECT * FROM sync_runs ORDER BY id DESC LIMIT ?').all(RECENT_RUNS) as (RunSummary & { pid: number | null; host: string | null; universe_size: number | null })[];
    const recent = rows.map((row) => toSummary(row, running));
    const lastSuccess = findLastSuccess(db, config.error_handling.min_success_rate);
    const cutoff = new Date(deps.now().getTime() - staleAfterHours * 3_600_000).toISOString();
    const counts = db.prepare('SELECT COUNT(*) AS stocks, SUM(CASE WHEN last_refreshed_at >= ? THEN 1 ELSE 0 END) AS fresh FROM stocks').get(cutoff) as { stocks: number; fresh: number | null };
    const universe = rows.find((row) => row.universe_size !== null && row.universe_size > 0)?.universe_size ?? null;
    return {
      ...empty,
      database_exists: true,
      last_run: recent[0] ?? null,
      last_success: lastSuccess === undefined ? null : toSummary(lastSuccess, running),
      recent_runs: recent,
      freshness: {
        stocks: counts.stocks,
        never_refreshed: universe === null ? null : Math.max(0, universe - counts.stocks),
        fresh: counts.fresh ?? 0,
        stale: counts.stocks - (counts.fresh ?? 0),
        stale_after_hours: staleAfterHours,
      },
    };
  } finally {
    db.close();
  }
}

/** The newest run that met the success rules (the same rules as the metrics textfile's last success). */
function findLastSuccess(db: Db, minSuccessRate: number): (RunSummary & { pid: number | null }) | undefined {
  // The SQL only narrows; isSuccessfulRun decides. Newest first, stopping at the first that passes.
  const rows = db.prepare("SELECT * FROM sync_runs WHERE status = 'completed' AND successful > 0 ORDER BY id DESC").iterate() as IterableIterator<RunSummary & { pid: number | null }>;
  for (const row of rows) {
    if (isSuccessfulRun(row, minSuccessRate)) return row;
  }
  return undefined;
}

/** A stored JSON object of source -> text; anything else (an older or hand-edited row) reads as none. */
function parseDegraded(value: unknown): Record<string, string> | null {
  if (typeof value !== 'string') return null;
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
    const entries = Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
    return entries.length === 0 ? null : Object.fromEntries(entries);
  } catch {
    return null;
  }
}

function toSummary(row: Omit<RunSummary, 'degraded_sources'> & { pid?: number | null; degraded_sources?: unknown }, running: LockHolder | null): RunSummary {
  const abandoned = row.status === 'running' && (running === null || running.pid !== row.pid);
  return {
    id: row.id,
    status: abandoned ? 'abandoned' : row.status,
    started_at: row.started_at,
    completed_at: row.completed_at,
    duration_seconds: row.duration_seconds,
    total_stocks: row.total_stocks,
    successful: row.successful,
    failed: row.failed,
    skipped: row.skipped,
    unchanged: row.unchanged,
    report_path: row.report_path,
    error_message: row.error_message,
    degraded_sources: parseDegraded(row.degraded_sources),
  };
}
