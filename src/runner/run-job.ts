import { hostname } from 'node:os';
import { backupBeforeRun, type BackupRecord } from '../backup/backup-before-run.js';
import type { ResolvedConfig } from '../config/load-config.js';
import { openStore, usesPostgres } from '../db/open-store.js';
import { redactDatabaseUrl } from '../db/pg/pg-connect.js';
import { describePgFailure } from '../db/pg/pg-errors.js';
import { explainStorageError } from '../db/storage-errors.js';
import type { Store, StoredStockState } from '../db/store.js';
import { SourceError, UniverseError } from '../errors.js';
import type { RunLock } from '../lock/run-lock.js';
import { takeRunLock } from '../lock/take-run-lock.js';
import type { SecSource } from '../sources/sec.js';
import type { SourceStats } from '../sources/source-client.js';
import type { SourceHealthFigures } from '../sources/source-health.js';
import { plural } from '../util/text.js';
import { fileStamp } from '../util/time.js';
import type { BulkFigures } from './bulk-archives.js';
import { detectChanges, type ChangeDetection } from './changes.js';
import { runNight, type RefreshResult } from './engine.js';
import { finish, publish } from './finish-run.js';
import type { JobDeps, JobOptions, JobResult } from './job.js';
import { openSources } from './open-sources.js';
import type { RefreshPlan } from './plan.js';
import { chooseBulk, describePlan, dryRun, makePlan, reportRejected } from './planning.js';
import { setupStep } from './setup-step.js';
import { loadUniverse, type Universe } from './universe.js';

/*
 * One job, start to finish: the lock, the backup, the database, then the night (plan → detect
 * changes → the engine: fetch, build rows, store) and its end (report, sync_runs, metrics,
 * notifications). Returns the exit code for the shell instead of exiting.
 */

type Sources = Awaited<ReturnType<typeof openSources>>;

/** What a night did, for its report. */
interface NightOutcome {
  universe: Universe;
  plan: RefreshPlan;
  result: RefreshResult;
  detection: ChangeDetection | null;
  bulk: BulkFigures | null;
}

export async function runJob(options: JobOptions, deps: JobDeps): Promise<JobResult> {
  const { config } = options;
  if (!config.enabled) return { kind: 'disabled' };
  const sources = await openSources(options, deps);
  if (options.dryRun) return { kind: 'dry-run', plan: await dryRun(options, sources.sec, deps) };

  const startedAt = deps.now();
  const stamp = fileStamp((deps.wallClock ?? (() => new Date()))());
  const lock = await takeLock(config, startedAt, deps);
  let store: Store | null = null;
  try {
    const backup = await backUp(options, stamp, deps);
    const opened = await openForRun(config, startedAt, deps);
    store = opened.store;
    const night = await planAndRun(options, deps, sources, store, lock.lost);
    const stats: Record<string, SourceStats> = {};
    if (sources.sec !== null) stats.sec = sources.sec.client.stats;
    if (sources.yahoo !== null) stats.yahoo = sources.yahoo.client.stats;
    const health: Record<string, SourceHealthFigures> = {};
    if (sources.sec !== null) health.sec = sources.sec.client.healthFigures();
    if (sources.yahoo !== null) health.yahoo = sources.yahoo.client.healthFigures();
    const finished = await finish({ store, runId: opened.runId, config, startedAt, stamp, stats, health, yahooHosts: sources.yahoo?.served ?? {}, backup, deps, ...night });
    await publish(config, finished, deps);
    return finished;
  } finally {
    await store?.close();
    await lock.release();
  }
}

/** The run lock; LockHeldError (EXIT.LOCKED) before anything is touched when another run is active. */
async function takeLock(config: ResolvedConfig, startedAt: Date, deps: JobDeps): Promise<RunLock> {
  const lock = await takeRunLock(config, startedAt, { env: deps.env ?? {} });
  if (lock.tookOverFrom !== null) {
    const { pid, started_at } = lock.tookOverFrom;
    deps.log.warn(`took over the lock left by PID ${pid} (started ${started_at}), which is no longer running`);
  }
  return lock;
}

async function backUp(options: JobOptions, stamp: string, deps: JobDeps): Promise<BackupRecord | null> {
  const { database } = options.config;
  if (!database.backup_before_run || !(options.backup?.(options.config) ?? true)) return null;
  const { record, line } = await setupStep('the backup before the run failed', () => backupBeforeRun(database, stamp, deps.env ?? {}));
  deps.log.info(line);
  return record;
}

/** Opens the database (migrations included) and records the run in sync_runs. */
function openForRun(config: ResolvedConfig, startedAt: Date, deps: JobDeps): Promise<{ store: Store; runId: number }> {
  const { database } = config;
  const postgres = usesPostgres(database);
  return setupStep(
    `cannot open the database ${postgres ? redactDatabaseUrl(database.url ?? '') : database.path}`,
    async () => {
      const store = await openStore(database, { env: deps.env ?? {} });
      try {
        return { store, runId: await store.startSyncRun(startedAt.toISOString(), 0, process.pid, hostname()) };
      } catch (error) {
        await store.close();
        throw error;
      }
    },
    (error) => (postgres ? describePgFailure(error, 'the server', database, deps.env ?? {}) : explainStorageError(error, database.path, database.busy_timeout_ms)),
  );
}

/** Plan, detect changes, run the engine. No universe, or SEC refusing us before any stock: an aborted night, still reported. */
async function planAndRun(options: JobOptions, deps: JobDeps, sources: Sources, store: Store, lockLost: Promise<string> | undefined): Promise<NightOutcome> {
  const { config } = options;
  const { sec, yahoo } = sources;
  // What is stored: incremental nights order and skip by it; every night uses it to tell a company
  // new to the database (its older filing pages are fetched once).
  const states = await store.loadStates();
  let universe: Universe | undefined;
  let plan: RefreshPlan | undefined;
  try {
    universe = await loadUniverse(config, sec, options.symbols);
    reportRejected(universe, deps.log);
    plan = makePlan(universe, options, config.processing.force_refresh ? new Map<string, StoredStockState>() : states);
    deps.log.begin(`plan: ${describePlan(plan)}`);
    deps.log.info(`universe: ${plural(universe.entries.length, 'stock', 'stocks')} from ${universe.origin}; this run: ${describePlan(plan)}`);
    const detection = await detect(options, deps, sec, store, plan);
    const parts = {
      store,
      states,
      sec,
      yahoo,
      changed: detection?.changed ?? null,
      storedSplits: await store.loadSplits(),
      latestCloseDates: await store.loadLatestCloseDates(),
      reportingCurrencies: await store.loadReportingCurrencies(),
      lockLost,
    };
    const bulkReason = sec !== null && config.sources.edgar.enabled ? chooseBulk(options, universe, plan, states, detection) : null;
    const { result, bulk } = await runNight(plan, parts, options, deps, bulkReason);
    return { universe, plan, result, detection, bulk };
  } catch (error) {
    if (!(error instanceof UniverseError) && !(error instanceof SourceError && error.fatal)) throw error;
    deps.log.error(error.message);
    universe ??= { entries: [], rejected: [], origin: 'unavailable', size: 0, notFound: [] };
    plan ??= { entries: [], batches: [], companies: 0, estimatedSeconds: 0, pricesSeconds: 0 };
    const result: RefreshResult = {
      outcomes: [],
      status: 'aborted',
      abortReason: error.message,
      budgetExhausted: false,
      notStarted: plan.entries.length,
      retried: [],
      prices: { prices_refreshed: 0, prices_no_data: 0, prices_not_refreshed: 0, price_error_types: {}, price_failures: [] },
    };
    return { universe, plan, result, detection: null, bulk: null };
  }
}

/** On an incremental night, which companies filed (the daily index), or why every company is checked. */
async function detect(options: JobOptions, deps: JobDeps, sec: SecSource | null, store: Store, plan: RefreshPlan): Promise<ChangeDetection | null> {
  const { config } = options;
  if (config.processing.force_refresh || sec === null || !config.sources.edgar.enabled || plan.entries.length === 0) return null;
  const detection = await detectChanges(sec, store, deps.now(), (message) => deps.log.warn(message));
  const missing = detection.path === 'daily-index' && detection.index.missing.length > 0 ? `; not published yet, read again next night: ${detection.index.missing.join(', ')}` : '';
  deps.log.info(
    detection.path === 'daily-index'
      ? `daily index: ${plural(detection.changed.size, 'company', 'companies')} filed in ${plural(detection.index.read.length, 'business day', 'business days')} read${missing}`
      : `checking every company's filings (${detection.reason})`,
  );
  return detection;
}
