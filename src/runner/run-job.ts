import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { acquireRunLock, LockHeldError, type RunLock } from '../lock/run-lock.js';
import { backupDatabase, type BackupResult } from '../backup/backup-database.js';
import type { ResolvedConfig } from '../config/load-config.js';
import { openDatabase, type Db } from '../db/open-database.js';
import { StockStore, type StoredStockState } from '../db/stock-store.js';
import { startSyncRun } from '../db/sync-runs.js';
import type { Logger } from '../logging/logger.js';
import type { SummaryReport } from '../report/summary-report.js';
import { SourceError, type FetchFn } from '../sources/http.js';
import { SecSource } from '../sources/sec.js';
import type { SourceDeps, SourceStats } from '../sources/source-client.js';
import { YahooSource } from '../sources/yahoo.js';
import { explainStorageError } from '../db/storage-errors.js';
import { plural } from '../util/text.js';
import { fileStamp } from '../util/time.js';
import { detectChanges, type ChangeDetection } from './changes.js';
import type { SplitEvent } from '../extract/types.js';
import type { UniverseEntry } from '../extract/universe.js';
import { ArchiveUnavailableError, runBulk, type BulkFigures } from './bulk.js';
import { CompanyCache, fetchCompanyData } from './company-data.js';
import { finish, publish } from './finish-run.js';
import type { Outcome } from './outcome.js';
import { buildPlan, companiesOf, filingsOwners, type RefreshPlan } from './plan.js';
import { PriceBook } from './prices.js';
import { runRefresh, type RefreshEvents, type RefreshResult } from './run-refresh.js';
import { loadUniverse, UniverseError, type Universe } from './universe.js';

export interface JobOptions {
  config: ResolvedConfig;
  dryRun: boolean;
  limit?: number;
  /** Only these symbols of the universe (--symbols). */
  symbols?: string[];
  userAgent: string;
  /** Whether this run backs up first (continuous mode backs up once a day); default yes. */
  backup?: (config: ResolvedConfig) => boolean;
  /** Only stocks last refreshed before this time, or never (continuous mode). */
  dueBefore?: Date;
  /** --bulk: rebuild from SEC's bulk archives whatever changed. */
  bulk?: boolean;
}

/** Everything with a side effect, injected (tests pass a local fetch target and an instant sleep). */
export interface JobDeps {
  fetch: FetchFn;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  log: Logger;
  events?: RefreshEvents & { onPlan?: (plan: RefreshPlan) => void };
  signal?: AbortSignal;
  /** Where secrets named in the config (SMTP password) are read from. */
  env?: NodeJS.ProcessEnv;
  /**
   * The real time, for the names of backups and reports: they sort by when they were written, so
   * a missed night re-run with `BATCH_REFRESH_NOW` is the newest report, never the pruned backup.
   * Default: the system clock.
   */
  wallClock?: () => Date;
}

/**
 * The run could not start (backup failed, database cannot be opened or written): nothing was
 * refreshed, the database is as it was. The shell exits 3 with the message.
 */
export class SetupError extends Error {
  override readonly name = 'SetupError';
}

async function setupStep<T>(what: string, step: () => Promise<T> | T, explain: (error: unknown) => string = (error) => (error as Error).message): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new SetupError(`${what}: ${explain(error)}; nothing was refreshed`);
  }
}

/** The dry run's answer: what a run would do. */
export interface DryRunPlan {
  total_stocks: number;
  batches: number;
  symbols: string[];
  /** The rate-limit floor of the way the run would take (a bulk rebuild: the prices; the archives' download is not counted). */
  estimated_seconds: number;
  /** `bulk` when the run would rebuild from SEC's bulk archives, else `per-company` (an upper bound on an incremental night, which asks SEC only about the companies that filed). */
  refresh_path: 'bulk' | 'per-company';
  /** Why the run would rebuild from the archives. */
  bulk_reason: string | null;
}

export type JobResult =
  | { kind: 'disabled' }
  | { kind: 'dry-run'; plan: DryRunPlan }
  | { kind: 'run'; report: SummaryReport; reportPath: string | null; exitCode: number };

/**
 * One refresh, start to finish: backup, universe, plan, the batch loop, the report and the
 * sync_runs row. Returns the exit code for the shell instead of exiting.
 */
export async function runJob(options: JobOptions, deps: JobDeps): Promise<JobResult> {
  const { config } = options;
  if (!config.enabled) return { kind: 'disabled' };
  const sourceDeps: SourceDeps = {
    fetch: deps.fetch,
    now: deps.now,
    sleep: deps.sleep,
    log: (level, message) => (level === 'warn' ? deps.log.warn(message) : deps.log.debug(message)),
  };
  // Node compiles its fetch implementation on first use (tens of ms). Doing that before the first
  // rate-limited request keeps that request's real send time inside the slot the throttle gave it.
  await deps.fetch('data:application/json,{}').catch(() => undefined);
  const sec = createSec(options, sourceDeps);
  const yahoo = config.sources.yahoo.enabled ? createYahoo(config, sourceDeps) : null;

  if (options.dryRun) return { kind: 'dry-run', plan: await dryRun(options, sec, deps) };

  const startedAt = deps.now();
  const stamp = fileStamp((deps.wallClock ?? (() => new Date()))());
  mkdirSync(path.dirname(config.database.path), { recursive: true, mode: 0o750 });
  // Throws LockHeldError (exit 75) before anything is touched when another run is active.
  let lock: RunLock;
  try {
    lock = acquireRunLock(config.database.path, startedAt);
  } catch (error) {
    if (error instanceof LockHeldError) throw error;
    throw new SetupError(`cannot take the run lock ${config.database.path}.lock: ${(error as Error).message}; nothing was refreshed`);
  }
  if (lock.tookOverFrom !== null) {
    const { pid, started_at } = lock.tookOverFrom;
    deps.log.warn(`took over the lock left by PID ${pid} (started ${started_at}), which is no longer running`);
  }
  let db: Db | null = null;
  try {
    let backup: BackupResult | null = null;
    if (config.database.backup_before_run && (options.backup?.(config) ?? true)) {
      backup = await setupStep('the backup before the run failed', () =>
        backupDatabase(config.database.path, config.database.backup_directory, stamp, config.database.keep_last_n_backups),
      );
      deps.log.info(backup === null ? 'no database yet: nothing to back up' : `backup: ${backup.path} (${backup.bytes} bytes, integrity ok)`);
    }
    const opened = await setupStep(
      `cannot open the database ${config.database.path}`,
      () => {
        const handle = openDatabase(config.database.path, { busyTimeoutMs: config.database.busy_timeout_ms });
        try {
          return { handle, runId: startSyncRun(handle, startedAt.toISOString(), 0, process.pid, hostname()) };
        } catch (error) {
          handle.close();
          throw error;
        }
      },
      (error) => explainStorageError(error, config.database.path, config.database.busy_timeout_ms),
    );
    db = opened.handle;
    const { runId } = opened;
    const store = new StockStore(db);
    // What is stored: incremental nights order and skip by it; every night uses it to tell a company
    // new to the database (its older filing pages are fetched once).
    const states = store.loadStates();
    let universe: Universe | undefined;
    let plan: RefreshPlan | undefined;
    let result: RefreshResult;
    let detection: ChangeDetection | null = null;
    let bulk: BulkFigures | null = null;
    try {
      universe = await loadUniverse(config, sec, options.symbols);
      reportRejected(universe, deps.log);
      plan = makePlan(universe, options, config.processing.force_refresh ? new Map<string, StoredStockState>() : states);
      deps.log.begin(`plan: ${describePlan(plan)}`);
      deps.log.info(
        `universe: ${plural(universe.entries.length, 'stock', 'stocks')} from ${universe.origin}; this run: ${plural(plan.entries.length, 'stock', 'stocks')}, ${plural(plan.companies, 'company', 'companies')}, ${plural(plan.batches.length, 'batch', 'batches')}`,
      );
      if (!config.processing.force_refresh && sec !== null && config.sources.edgar.enabled && plan.entries.length > 0) {
        detection = await detectChanges(sec, db, deps.now(), (message) => deps.log.warn(message));
        deps.log.info(
          detection.path === 'daily-index'
            ? `daily index: ${plural(detection.changed.size, 'company', 'companies')} filed in ${plural(detection.days, 'business day', 'business days')}`
            : `checking every company's filings (${detection.reason})`,
        );
      }
      const parts: RefreshParts = {
        store,
        states,
        sec,
        yahoo,
        changed: detection?.changed ?? null,
        storedSplits: store.loadSplits(),
        latestCloseDates: store.loadLatestCloseDates(),
      };
      const bulkReason = sec !== null && config.sources.edgar.enabled ? chooseBulk(options, universe, plan, states, detection) : null;
      // A bulk rebuild knows its stocks' outcomes only at its end: its progress is in bytes and companies until then.
      if (bulkReason === null) deps.events?.onPlan?.(plan);
      if (bulkReason !== null && sec !== null) {
        deps.log.info(`rebuilding from SEC's bulk archives: ${bulkReason}`);
        const rebuilt = await rebuild(plan, parts, sec, options, deps);
        bulk = { reason: bulkReason, ...rebuilt.figures };
        result = rebuilt.result;
      } else {
        result = await refresh(plan, parts, options, deps);
      }
    } catch (error) {
      // No universe, or SEC refusing us before any stock (403 on the daily index): an abort with a report.
      if (!(error instanceof UniverseError) && !(error instanceof SourceError && error.fatal)) throw error;
      deps.log.error(error.message);
      universe ??= { entries: [], rejected: [], origin: 'unavailable', size: 0, notFound: [] };
      plan ??= { entries: [], batches: [], companies: 0, estimatedSeconds: 0, pricesSeconds: 0 };
      result = { outcomes: [], status: 'aborted', abortReason: error.message, abortKind: 'fatal', budgetExhausted: false, notStarted: plan.entries.length, retried: [] };
    }
    const stats: Record<string, SourceStats> = {};
    if (sec !== null) stats.sec = sec.client.stats;
    if (yahoo !== null) stats.yahoo = yahoo.client.stats;
    const finished = finish({ db, runId, config, startedAt, stamp, universe, plan, result, stats, backup, detection, bulk, deps });
    await publish(config, finished, deps);
    return finished;
  } finally {
    db?.close();
    lock.release();
  }
}

function createSec(options: JobOptions, deps: SourceDeps): SecSource | null {
  const { config } = options;
  if (!config.sources.edgar.enabled && config.universe.source !== 'sec') return null;
  const edgar = config.sources.edgar;
  return new SecSource(
    {
      wwwUrl: edgar.www_url,
      dataUrl: edgar.data_url,
      userAgent: options.userAgent,
      requestsPerSecond: config.rate_limiting.edgar_requests_per_second,
      ...requestLimits(config, edgar),
    },
    deps,
  );
}

/** Timeout, body cap and retries of one source's requests, from the config. */
function requestLimits(config: ResolvedConfig, source: { timeout_seconds: number; max_body_mb: number }) {
  return {
    timeoutMs: source.timeout_seconds * 1000,
    maxBytes: source.max_body_mb * 1048576,
    retries: config.error_handling.max_retries_per_stock,
    retryBaseDelayMs: config.error_handling.retry_base_delay_seconds * 1000,
  };
}

function createYahoo(config: ResolvedConfig, deps: SourceDeps): YahooSource {
  const yahoo = config.sources.yahoo;
  return new YahooSource(
    {
      baseUrl: yahoo.base_url,
      delaySeconds: config.rate_limiting.yfinance_delay_seconds,
      symbolsPerRequest: yahoo.symbols_per_request,
      ...requestLimits(config, yahoo),
    },
    deps,
  );
}

/** "7,360 stocks, 5,958 companies, 15 batches" (each noun agreeing with its count). */
function describePlan(plan: RefreshPlan): string {
  return [plural(plan.entries.length, 'stock', 'stocks'), plural(plan.companies, 'company', 'companies'), plural(plan.batches.length, 'batch', 'batches')].join(', ');
}

function makePlan(universe: Universe, options: JobOptions, states: Map<string, StoredStockState>): RefreshPlan {
  const { config } = options;
  return buildPlan(universe.entries, {
    limit: options.limit,
    forceRefresh: config.processing.force_refresh,
    batchSize: config.processing.batch_size,
    states,
    edgarEnabled: config.sources.edgar.enabled,
    yahooEnabled: config.sources.yahoo.enabled,
    edgarRequestsPerSecond: config.rate_limiting.edgar_requests_per_second,
    yahooDelaySeconds: config.rate_limiting.yfinance_delay_seconds,
    symbolsPerRequest: config.sources.yahoo.symbols_per_request,
    delayBetweenBatchesSeconds: config.processing.delay_between_batches_seconds,
    ...(options.dueBefore ? { dueBefore: options.dueBefore } : {}),
  });
}

/** The plan without a single per-stock request; the database is read (for ordering) but never written. */
async function dryRun(options: JobOptions, sec: SecSource | null, deps: JobDeps): Promise<DryRunPlan> {
  const universe = await loadUniverse(options.config, sec, options.symbols);
  reportRejected(universe, deps.log);
  let states = new Map<string, StoredStockState>();
  const dbFile = options.config.database.path;
  // Read whatever the night: the order needs it on incremental nights, the choice of a bulk rebuild always.
  if (existsSync(dbFile)) {
    states = await setupStep(`cannot read the database ${dbFile}`, () => {
      const db = openDatabase(dbFile, { busyTimeoutMs: options.config.database.busy_timeout_ms, readonly: true });
      try {
        return new StockStore(db).loadStates();
      } finally {
        db.close();
      }
    });
  }
  const plan = makePlan(universe, options, options.config.processing.force_refresh ? new Map<string, StoredStockState>() : states);
  // As a run would choose, without the daily index (a dry run asks SEC for the universe only).
  const bulkReason = sec !== null && options.config.sources.edgar.enabled ? chooseBulk(options, universe, plan, states, null) : null;
  return {
    total_stocks: plan.entries.length,
    batches: plan.batches.length,
    symbols: plan.entries.map((entry) => entry.symbol),
    estimated_seconds: bulkReason === null ? plan.estimatedSeconds : plan.pricesSeconds,
    refresh_path: bulkReason === null ? 'per-company' : 'bulk',
    bulk_reason: bulkReason,
  };
}

interface RefreshParts {
  store: StockStore;
  states: Map<string, StoredStockState>;
  sec: SecSource | null;
  yahoo: YahooSource | null;
  changed: Set<number> | null;
  storedSplits: Map<string, SplitEvent[]>;
  latestCloseDates: Map<string, string>;
}

/** Below this many companies, two requests each cost less than two archives of 3 GB (processing.bulk_min_companies). */
function chooseBulk(options: JobOptions, universe: Universe, plan: RefreshPlan, states: Map<string, StoredStockState>, detection: ChangeDetection | null): string | null {
  const { config } = options;
  if (options.bulk === true) return 'requested (--bulk)';
  if (plan.companies < config.processing.bulk_min_companies || plan.companies === 0) return null;
  if (states.size === 0) return 'the database is empty';
  const universeCompanies = companiesOf(universe.entries).size;
  const changing = config.processing.force_refresh ? plan.companies : detection?.changed ? companiesOf(plan.entries, detection.changed).size : 0;
  const share = universeCompanies === 0 ? 0 : changing / universeCompanies;
  if (share > config.processing.bulk_threshold) {
    return `${changing} of the universe's ${plural(universeCompanies, 'company', 'companies')} to refresh (${(share * 100).toFixed(1)} %, over processing.bulk_threshold ${config.processing.bulk_threshold})`;
  }
  return null;
}

function newPriceBook(yahoo: YahooSource | null, parts: RefreshParts, options: JobOptions, deps: JobDeps): PriceBook | null {
  if (yahoo === null) return null;
  return new PriceBook(yahoo, {
    symbolsPerRequest: options.config.sources.yahoo.symbols_per_request,
    now: deps.now,
    latestCloseDates: parts.latestCloseDates,
    closeShift: (symbol, closes) => parts.store.closeShift(symbol, closes),
  });
}

function deadlineOf(options: JobOptions, deps: JobDeps): Date | null {
  const budgetMinutes = options.config.processing.max_runtime_minutes;
  return budgetMinutes === undefined ? null : new Date(deps.now().getTime() + budgetMinutes * 60_000);
}

/**
 * The bulk rebuild, then the per-company path for the stocks it could not serve (an archive that
 * failed part way); an archive SEC has not published sends the whole night per company.
 */
async function rebuild(plan: RefreshPlan, parts: RefreshParts, sec: SecSource, options: JobOptions, deps: JobDeps): Promise<{ result: RefreshResult; figures: Omit<BulkFigures, 'reason'> }> {
  let bulk: Awaited<ReturnType<typeof runBulk>>;
  try {
    bulk = await runBulk({
      entries: plan.entries,
      sec,
      prices: newPriceBook(parts.yahoo, parts, options, deps),
      store: parts.store,
      storedSplits: parts.storedSplits,
      sections: options.config.processing.fetch_filing_sections ? parts.store.sectionAccessions() : null,
      now: deps.now,
      deadline: deadlineOf(options, deps),
      ...(deps.signal ? { signal: deps.signal } : {}),
      onProgress: (message) => deps.log.info(message),
      onOutcomes: () => deps.events?.onPlan?.(plan),
      ...(deps.events?.onStockDone ? { onStockDone: deps.events.onStockDone } : {}),
    });
  } catch (error) {
    if (!(error instanceof ArchiveUnavailableError)) throw error;
    deps.log.warn(`${error.message}: refreshing company by company instead`);
    deps.events?.onPlan?.(plan);
    const result = await refresh(plan, parts, options, deps);
    return { result, figures: { archives: [], extraction_seconds: 0, fallback_stocks: plan.entries.length, note: error.message } };
  }
  const broken = bulk.archives.filter((archive) => archive.error !== null).map((archive) => `${archive.name}: ${String(archive.error)}`);
  const figures = { archives: bulk.archives, extraction_seconds: bulk.extraction_seconds, fallback_stocks: bulk.fallback.length, note: broken.length > 0 ? broken.join('; ') : null };
  let rest: RefreshResult | null = null;
  if (bulk.fallback.length > 0 && bulk.abortReason === null && !bulk.budgetExhausted && deps.signal?.aborted !== true) {
    deps.log.info(`refreshing ${plural(bulk.fallback.length, 'stock', 'stocks')} company by company (an archive did not reach them)`);
    const batchSize = options.config.processing.batch_size;
    const batches: UniverseEntry[][] = [];
    for (let start = 0; start < bulk.fallback.length; start += batchSize) batches.push(bulk.fallback.slice(start, start + batchSize));
    rest = await refresh({ ...plan, entries: bulk.fallback, batches }, parts, options, deps);
  }
  const outcomes = new Map<string, Outcome>(bulk.outcomes);
  for (const outcome of rest?.outcomes ?? []) outcomes.set(outcome.symbol, outcome);
  const ordered = plan.entries.flatMap((entry) => {
    const outcome = outcomes.get(entry.symbol);
    return outcome === undefined ? [] : [outcome];
  });
  const abortReason = bulk.abortReason ?? rest?.abortReason ?? null;
  return {
    figures,
    result: {
      outcomes: ordered,
      status: abortReason !== null ? 'aborted' : deps.signal?.aborted === true ? 'interrupted' : 'completed',
      abortReason,
      abortKind: abortReason === null ? null : (rest?.abortKind ?? 'fatal'),
      budgetExhausted: bulk.budgetExhausted || (rest?.budgetExhausted ?? false),
      notStarted: plan.entries.length - ordered.length,
      retried: rest?.retried ?? [],
    },
  };
}

async function refresh(plan: RefreshPlan, parts: RefreshParts, options: JobOptions, deps: JobDeps): Promise<RefreshResult> {
  const { store, states, sec, yahoo, changed } = parts;
  const { config } = options;
  const owners = filingsOwners(plan.entries);
  const fetchOptions = {
    forceRefresh: config.processing.force_refresh,
    refetchThresholdMs: config.processing.refetch_threshold_days * 86_400_000,
    now: deps.now,
    sections: config.processing.fetch_filing_sections ? store.sectionAccessions() : null,
    changed,
    validators: config.processing.force_refresh ? new Map() : store.loadValidators(),
  };
  const companies =
    sec !== null && config.sources.edgar.enabled
      ? new CompanyCache((cik) => fetchCompanyData(sec, cik, states.get(owners.get(cik) ?? ''), fetchOptions))
      : null;
  return runRefresh(
    plan.batches,
    { companies, prices: newPriceBook(yahoo, parts, options, deps), storedSplits: parts.storedSplits, store, now: deps.now, filingsOwner: (cik) => owners.get(cik) },
    {
      maxWorkers: config.processing.max_workers,
      delayBetweenBatchesMs: config.processing.delay_between_batches_seconds * 1000,
      maxConsecutiveFailures: config.error_handling.max_consecutive_failures,
      continueOnError: config.error_handling.continue_on_error,
      retryFailedStocks: config.error_handling.retry_failed_stocks,
      deadline: deadlineOf(options, deps),
    },
    { now: deps.now, sleep: deps.sleep, ...(deps.signal ? { signal: deps.signal } : {}) },
    deps.events,
  );
}

function reportRejected(universe: Universe, log: Logger): void {
  if (universe.notFound.length > 0) {
    log.warn(`--symbols: ${universe.notFound.length === 1 ? '1 symbol is' : `${universe.notFound.length} symbols are`} not in the universe (${universe.origin}): ${universe.notFound.join(', ')}`);
  }
  if (universe.rejected.length === 0) return;
  const shown = universe.rejected.slice(0, 10).map((item) => `${JSON.stringify(item.value)} (${item.reason})`);
  log.warn(`${plural(universe.rejected.length, 'symbol', 'symbols')} rejected from ${universe.origin}: ${shown.join(', ')}${universe.rejected.length > 10 ? ', …' : ''}`);
}
