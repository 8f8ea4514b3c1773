import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type cliProgress from 'cli-progress';
import { isDisabledByConfig, loadConfig, requireUserAgent, type ResolvedConfig } from '../config/load-config.js';
import { EXIT, ExitError, LockHeldError, SetupError, UniverseError, type ExitCode } from '../errors.js';
import { normalizeSymbol } from '../extract/universe.js';
import { acquireRunLock, type RunLock } from '../lock/run-lock.js';
import { createLogger, type Logger, type LogLevel } from '../logging/logger.js';
import type { SummaryReport } from '../report/summary-report.js';
import type { JobDeps, JobOptions } from '../runner/job.js';
import { runJob } from '../runner/run-job.js';
import type { FetchFn } from '../sources/http.js';
import { createProxiedFetch, describeProxies, readProxySettings } from '../sources/proxy-fetch.js';
import { plural } from '../util/text.js';
import { createClock } from '../util/time.js';
import { readVersion } from '../util/version.js';
import { abortableSleep, handleSignals } from './interrupt.js';
import { createConsoleSink, createProgressReporter, formatDuration, isInteractive, type ProgressReporter } from './terminal.js';

/** Options of a refresh run, as commander parses them. */
export interface RunCommandOptions {
  config: string;
  dryRun?: boolean;
  limit?: number;
  verbose?: boolean;
  json?: boolean;
  symbols?: string[];
  continuous?: boolean;
  bulk?: boolean;
  /** Unknown config keys are errors (exit 2) instead of warnings. @default false */
  strict?: boolean;
}

interface Session {
  config: ResolvedConfig;
  log: Logger;
  progress: ProgressReporter;
  now: () => Date;
  signal: AbortSignal;
  sleep: (ms: number) => Promise<void>;
  jobOptions: JobOptions;
  env: NodeJS.ProcessEnv;
  /** Node's fetch, or undici's through the proxy the environment names. */
  fetch: FetchFn;
}

/** Runs one refresh, a dry run, or the continuous loop, and returns the exit code. */
export async function runCommand(options: RunCommandOptions, env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  const now = readClock(env);
  if (isDisabledByConfig(options.config)) {
    // No log file, database, report or request: a disabled job only says so.
    process.stderr.write(`batch-refresh: the job is disabled ("enabled": false in ${options.config}); nothing to do\n`);
    return EXIT.OK;
  }
  const { config, warnings, userAgent } = readRunConfig(options, env);
  const proxies = readProxySettings(env);
  if (!proxies.ok) throw new ExitError(EXIT.USAGE, `invalid proxy setting: ${proxies.issue}`);
  const runFetch = proxies.settings === null ? fetch : await createProxiedFetch(proxies.settings);
  const holder: { current: cliProgress.MultiBar | null } = { current: null };
  const log = openRunLog(options, config, { now, holder, env });
  for (const warning of warnings) log.warn(warning);
  if (proxies.settings !== null) log.info(describeProxies(proxies.settings));

  const controller = new AbortController();
  const removeHandlers = handleSignals(controller, log);
  const progress = createProgressReporter(
    log,
    { bar: isInteractive(process.stderr, env) && options.json !== true && options.verbose !== true, intervalMs: config.logging.progress_interval_seconds * 1000, now },
    holder,
  );
  const session: Session = {
    config,
    log,
    progress,
    now,
    signal: controller.signal,
    sleep: (ms) => abortableSleep(ms, controller.signal),
    env,
    fetch: runFetch,
    jobOptions: {
      config,
      dryRun: options.dryRun === true,
      userAgent,
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      ...(options.symbols ? { symbols: options.symbols } : {}),
      ...(options.bulk === true ? { bulk: true } : {}),
    },
  };
  try {
    return options.continuous === true ? await runContinuously(session) : await runOnce(session, options);
  } catch (error) {
    progress.stop();
    // The universe is needed even for a dry run; without it nothing can be planned. Logged here
    // (file and console, with the run id); main exits with the code of its kind and prints nothing more.
    if (error instanceof UniverseError || error instanceof SetupError) {
      log.error(error.message);
      error.logged = true;
    }
    throw error;
  } finally {
    removeHandlers();
    await log.close();
  }
}

/** The clock of the run: the real one, or the fixed time BATCH_REFRESH_NOW names (a usage error when malformed). */
function readClock(env: NodeJS.ProcessEnv): () => Date {
  try {
    return createClock(env.BATCH_REFRESH_NOW);
  } catch (error) {
    throw new ExitError(EXIT.USAGE, (error as Error).message);
  }
}

/** The config, its warnings and the SEC User-Agent; a bad config or a bad combination of flags is a usage error. */
function readRunConfig(options: RunCommandOptions, env: NodeJS.ProcessEnv): { config: ResolvedConfig; warnings: string[]; userAgent: string } {
  const loaded = loadConfig(options.config, { SEC_USER_AGENT: env.SEC_USER_AGENT }, { strict: options.strict === true });
  if (!loaded.ok) {
    throw new ExitError(EXIT.USAGE, `invalid config ${options.config}:\n${loaded.issues.map((issue) => `  - ${issue}`).join('\n')}`);
  }
  const { config, warnings } = loaded;
  const userAgent = requireUserAgent(config);
  if (typeof userAgent !== 'string') throw new ExitError(EXIT.USAGE, `invalid config ${options.config}:\n  - ${userAgent.issue}`);
  if (options.continuous === true && (options.dryRun === true || options.limit !== undefined)) {
    throw new ExitError(EXIT.USAGE, '--continuous cannot be combined with --dry-run or --limit');
  }
  if (options.continuous === true && options.bulk === true) {
    throw new ExitError(EXIT.USAGE, '--continuous cannot be combined with --bulk (run the rebuild once, then continuous mode)');
  }
  return { config, warnings, userAgent };
}

/** The run's logger: the log file (none for a dry run) and the console, which prints above a progress bar while one is drawn. */
function openRunLog(options: RunCommandOptions, config: ResolvedConfig, terminal: { now: () => Date; holder: { current: cliProgress.MultiBar | null }; env: NodeJS.ProcessEnv }): Logger {
  const consoleLevel: LogLevel = options.verbose === true ? 'DEBUG' : config.logging.console_output ? 'INFO' : 'ERROR';
  const runId = randomBytes(4).toString('hex');
  return createLogger({
    // A dry run writes nothing, not even a log file.
    file:
      options.dryRun === true ? null : { directory: config.logging.log_directory, name: config.logging.log_file, maxSizeMb: config.logging.max_log_size_mb, backupCount: config.logging.backup_count },
    fileLevel: config.logging.log_level,
    consoleLevel,
    console: createConsoleSink(terminal.holder, terminal.env),
    now: terminal.now,
    runId,
    header: `batch-refresh ${readVersion()}, PID ${process.pid}, config ${config.configPath}`,
  });
}

function jobDeps(session: Session): JobDeps {
  return { fetch: session.fetch, now: session.now, sleep: session.sleep, log: session.log, events: session.progress.events, signal: session.signal, env: session.env };
}

async function runOnce(session: Session, options: RunCommandOptions): Promise<ExitCode> {
  const { log, progress } = session;
  const result = await runJob(session.jobOptions, jobDeps(session));
  progress.stop();
  if (result.kind === 'disabled') return EXIT.OK;
  if (result.kind === 'dry-run') {
    const { plan } = result;
    if (options.json === true) process.stdout.write(`${JSON.stringify(plan)}\n`);
    else {
      const how =
        plan.refresh_path === 'bulk'
          ? `a rebuild from SEC's bulk archives (${plan.bulk_reason ?? ''}): about ${formatDuration(plan.estimated_seconds)} at the configured rate limits, plus the archives' download (about 3 GB)`
          : `about ${formatDuration(plan.estimated_seconds)} at the configured rate limits${session.config.processing.force_refresh ? '' : ' at most (a night that reads the daily index asks SEC only about the companies that filed)'}`;
      log.info(`dry run: ${plural(plan.total_stocks, 'stock', 'stocks')} in ${plural(plan.batches, 'batch', 'batches')}; ${how}`);
      log.info(`symbols: ${plan.symbols.slice(0, 50).join(' ')}${plan.symbols.length > 50 ? ` … (${plan.symbols.length - 50} more)` : ''}`);
    }
    return EXIT.OK;
  }
  printSummary(result.report, result.reportPath, log);
  if (options.json === true) process.stdout.write(`${JSON.stringify(result.report)}\n`);
  return result.exitCode;
}

/**
 * --continuous: the data always fresh. Each cycle refreshes the stocks that are due (never
 * refreshed first, then the stalest; incremental, so unchanged filings cost one request), backs
 * up at most once a day, and sleeps when nothing is due. Ends on SIGINT/SIGTERM.
 */
async function runContinuously(session: Session): Promise<ExitCode> {
  const lock = holdLockForProcess(session);
  try {
    return await runCycles(session);
  } finally {
    lock.release();
  }
}

/**
 * Continuous mode takes the run lock once, for the whole process, rather than once per cycle: so
 * `status` shows it running while it sleeps between cycles (the lock file names it, mode
 * "continuous"), and no nightly run slips in between two cycles. Each cycle's run nests inside.
 */
function holdLockForProcess(session: Session): RunLock {
  const { database } = session.config;
  let lock: RunLock;
  try {
    mkdirSync(path.dirname(database.path), { recursive: true, mode: 0o750 });
    lock = acquireRunLock(database.path, session.now(), { mode: 'continuous' });
  } catch (error) {
    if (error instanceof LockHeldError) throw error;
    throw new SetupError(`cannot take the run lock ${database.path}.lock: ${(error as Error).message}; nothing was refreshed`);
  }
  if (lock.tookOverFrom !== null) session.log.warn(`took over the lock left by PID ${lock.tookOverFrom.pid} (started ${lock.tookOverFrom.started_at}), which is no longer running`);
  return lock;
}

async function runCycles(session: Session): Promise<ExitCode> {
  const { config, log } = session;
  const intervalMs = config.continuous.refresh_interval_hours * 3_600_000;
  const idleMs = config.continuous.idle_sleep_minutes * 60_000;
  const incremental: ResolvedConfig = { ...config, processing: { ...config.processing, force_refresh: false } };
  let lastBackupAt = Number.NEGATIVE_INFINITY;
  let exitCode: ExitCode = EXIT.OK;
  log.begin(`plan: continuous, the stocks due each cycle`);
  log.info(`continuous mode: stocks are due ${config.continuous.refresh_interval_hours} h after their last refresh; idle sleep ${config.continuous.idle_sleep_minutes} min`);
  while (!session.signal.aborted) {
    const dueBefore = new Date(session.now().getTime() - intervalMs);
    const base = { ...session.jobOptions, config: incremental, dueBefore };
    const plan = await runJob({ ...base, dryRun: true }, jobDeps(session));
    if (plan.kind !== 'dry-run' || plan.plan.total_stocks === 0) {
      log.debug(`nothing due; sleeping ${config.continuous.idle_sleep_minutes} min`);
      await session.sleep(idleMs);
      continue;
    }
    log.info(`cycle: ${plural(plan.plan.total_stocks, 'stock', 'stocks')} due`);
    const backupDue = session.now().getTime() - lastBackupAt >= 86_400_000;
    const result = await runJob({ ...base, dryRun: false, backup: () => backupDue }, jobDeps(session));
    session.progress.stop();
    if (backupDue) lastBackupAt = session.now().getTime();
    if (result.kind !== 'run') continue;
    printSummary(result.report, result.reportPath, log);
    exitCode = result.exitCode;
    // An abort (SEC refusing us, a run of failures) would repeat at once: wait before trying again.
    if (result.report.status === 'aborted') await session.sleep(idleMs);
  }
  return session.signal.reason === 'SIGTERM' ? EXIT.SIGTERM : session.signal.reason === 'SIGINT' ? EXIT.SIGINT : exitCode;
}

function printSummary(report: SummaryReport, reportPath: string | null, log: Logger): void {
  const line = `${report.status === 'completed' ? 'refresh completed' : `refresh ${report.status}`} in ${formatDuration(report.duration_seconds)}: ${report.successful} successful, ${report.failed} failed, ${report.skipped} skipped of ${report.total_stocks} (${report.success_rate})`;
  if (report.status === 'completed' && report.exit_code === EXIT.OK) log.info(line);
  else log.error(line);
  if (report.error_message !== null) log.error(report.error_message);
  if (report.failed_symbols.length > 0) {
    const shown = report.failures.slice(0, 20).map((failure) => `${failure.symbol} (${failure.error_type})`);
    log.warn(`failed: ${shown.join(', ')}${report.failures.length > 20 ? `, … ${report.failures.length - 20} more` : ''}`);
  }
  const requests = Object.entries(report.requests)
    .map(([source, count]) => `${source} ${count}`)
    .join(', ');
  log.info(`requests: ${requests || 'none'}${reportPath === null ? '' : `; report: ${reportPath}`}`);
}

/** Parses --symbols A,B,C into normalised symbols; a bad one is a usage error naming it. */
export function parseSymbolsOption(value: string): string[] {
  const symbols = value
    .split(',')
    .filter((item) => item.trim() !== '')
    .map((item) => {
      const normalized = normalizeSymbol(item);
      if (!normalized.ok) throw new Error(`--symbols: ${JSON.stringify(item)} is ${normalized.reason}`);
      return normalized.symbol;
    });
  if (symbols.length === 0) throw new Error(`--symbols: no symbol given (expected a comma-separated list such as AAPL,MSFT)`);
  return symbols;
}
