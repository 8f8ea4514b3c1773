import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ResolvedConfig } from '../config/load-config.js';
import { openStore, usesPostgres } from '../db/open-store.js';
import { redactDatabaseUrl } from '../db/pg/pg-connect.js';
import { describePgFailure } from '../db/pg/pg-errors.js';
import { SetupError } from '../errors.js';
import { readPgRunHolder } from '../lock/pg-run-lock.js';
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
  /** The environment a PostgreSQL connection reads (PGPASSWORD). @default {} */
  env?: NodeJS.ProcessEnv;
}

const RECENT_RUNS = 5;

/**
 * Reads the state of the job from the database and the lock, without writing either: it is safe
 * to call while a run is going on.
 */
export async function readStatus(config: ResolvedConfig, deps: StatusDeps): Promise<StatusReport> {
  const { database } = config;
  const postgres = usesPostgres(database);
  const file = postgres ? redactDatabaseUrl(database.url ?? '') : database.path;
  // A nightly job is stale when it missed a night: half an interval of grace for the timer's jitter.
  const staleAfterHours = config.continuous.refresh_interval_hours * 1.5;
  const running = postgres ? await readFromServer(config, () => readPgRunHolder(database, deps.env ?? {}), deps.env) : runningFromLockFile(file);
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
  if (!postgres && !existsSync(file)) return empty;
  const store = await readFromServer(config, () => openStore(database, { readonly: true, env: deps.env ?? {} }), deps.env);
  try {
    if (!store.initialized) return empty;
    const rows = await store.recentRuns(RECENT_RUNS);
    const recent = rows.map((row) => toSummary(row, running));
    // The SQL only narrows; isSuccessfulRun decides (the same rules as the metrics textfile's last success).
    const lastSuccess = await store.findCompletedRun((row) => isSuccessfulRun(row, config.error_handling.min_success_rate));
    const cutoff = new Date(deps.now().getTime() - staleAfterHours * 3_600_000).toISOString();
    const counts = await store.freshness(cutoff);
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
        fresh: counts.fresh,
        stale: counts.stocks - counts.fresh,
        stale_after_hours: staleAfterHours,
      },
    };
  } finally {
    await store.close();
  }
}

/** A PostgreSQL server that cannot be read (down, a wrong password): SetupError saying which, never a stack. */
async function readFromServer<T>(config: ResolvedConfig, read: () => Promise<T>, env: NodeJS.ProcessEnv = {}): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!usesPostgres(config.database)) throw error;
    throw new SetupError(`cannot read the database ${redactDatabaseUrl(config.database.url ?? '')}: ${describePgFailure(error, 'the server', config.database, env)}`);
  }
}

/** The lock file's holder while its process lives (on another host it cannot be checked: taken as alive). */
function runningFromLockFile(file: string): LockHolder | null {
  const holder = readLockHolder(file);
  return holder !== null && (holder.host !== hostname() || isProcessAlive(holder.pid)) ? holder : null;
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
