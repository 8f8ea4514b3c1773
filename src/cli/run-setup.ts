import { randomBytes } from 'node:crypto';
import type cliProgress from 'cli-progress';
import { loadConfig, requireUserAgent, type ResolvedConfig } from '../config/load-config.js';
import { EXIT, ExitError, SetupError, UniverseError } from '../errors.js';
import { normalizeSymbol } from '../extract/universe.js';
import { createLogger, type ConsoleSink, type Logger, type LogLevel } from '../logging/logger.js';
import type { JobDeps, JobOptions } from '../runner/job.js';
import type { FetchFn } from '../sources/http.js';
import { createProxiedFetch, describeProxies, readProxySettings, type ProxySettings } from '../sources/proxy-fetch.js';
import { createClock } from '../util/time.js';
import { readVersion } from '../util/version.js';
import { abortableSleep } from './interrupt.js';
import { createProgressReporter, type ProgressReporter } from './terminal.js';

/*
 * What a refresh run is made of before the job starts, from the flags and the environment: the
 * clock, the checked config and the job's options, the proxy, the logger, the progress lines, the
 * job's effects. The shell (run-command.ts) adds the process around it (stderr, signals, stdout); the
 * in-process tests (test/helpers/in-process.ts) build the same session with a console of their own.
 */

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

/** The checked config of a run, its warnings, what the job is asked to do, and the proxy the environment names. */
export interface RunSetup {
  config: ResolvedConfig;
  warnings: string[];
  jobOptions: JobOptions;
  proxies: ProxySettings | null;
}

/** A run ready to start: its config, logger, progress, clock, signal and the job's options. */
export interface RunSession {
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

/** Where the session's console lines go, and whether a progress bar is drawn there. */
export interface RunTerminal {
  console: ConsoleSink;
  /** The bar being drawn, if any: console lines are printed above it. */
  holder: { current: cliProgress.MultiBar | null };
  bar: boolean;
  now: () => Date;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
}

/** The clock of the run: the real one, or the fixed time BATCH_REFRESH_NOW names (a usage error when malformed). */
export function readRunClock(env: NodeJS.ProcessEnv): () => Date {
  try {
    return createClock(env.BATCH_REFRESH_NOW);
  } catch (error) {
    throw new ExitError(EXIT.USAGE, (error as Error).message);
  }
}

/** The config, its warnings, the job's options and the proxy; a bad config, proxy setting or combination of flags is a usage error. */
export function readRunSetup(options: RunCommandOptions, env: NodeJS.ProcessEnv): RunSetup {
  const loaded = loadConfig(options.config, { SEC_USER_AGENT: env.SEC_USER_AGENT, DATABASE_URL: env.DATABASE_URL }, { strict: options.strict === true });
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
  const jobOptions: JobOptions = {
    config,
    dryRun: options.dryRun === true,
    userAgent,
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.symbols ? { symbols: options.symbols } : {}),
    ...(options.bulk === true ? { bulk: true } : {}),
  };
  const proxies = readProxySettings(env);
  if (!proxies.ok) throw new ExitError(EXIT.USAGE, `invalid proxy setting: ${proxies.issue}`);
  return { config, warnings, jobOptions, proxies: proxies.settings };
}

/** The run's fetch (through the proxy, if any), logger (the config's warnings and the proxy first) and progress lines, its sleep ended by the signal. */
export async function openRunSession(options: RunCommandOptions, setup: RunSetup, terminal: RunTerminal): Promise<RunSession> {
  const { config, proxies } = setup;
  const runFetch = proxies === null ? fetch : await createProxiedFetch(proxies);
  const log = openRunLog(options, config, terminal);
  for (const warning of setup.warnings) log.warn(warning);
  if (proxies !== null) log.info(describeProxies(proxies));
  const progress = createProgressReporter(log, { bar: terminal.bar, intervalMs: config.logging.progress_interval_seconds * 1000, now: terminal.now }, terminal.holder);
  return {
    config,
    log,
    progress,
    now: terminal.now,
    signal: terminal.signal,
    sleep: (ms) => abortableSleep(ms, terminal.signal),
    jobOptions: setup.jobOptions,
    env: terminal.env,
    fetch: runFetch,
  };
}

/** The run's logger: the log file (none for a dry run) and the console. */
function openRunLog(options: RunCommandOptions, config: ResolvedConfig, terminal: RunTerminal): Logger {
  const consoleLevel: LogLevel = options.verbose === true ? 'DEBUG' : config.logging.console_output ? 'INFO' : 'ERROR';
  const runId = randomBytes(4).toString('hex');
  return createLogger({
    // A dry run writes nothing, not even a log file.
    file:
      options.dryRun === true ? null : { directory: config.logging.log_directory, name: config.logging.log_file, maxSizeMb: config.logging.max_log_size_mb, backupCount: config.logging.backup_count },
    fileLevel: config.logging.log_level,
    consoleLevel,
    console: terminal.console,
    now: terminal.now,
    runId,
    header: `batch-refresh ${readVersion()}, PID ${process.pid}, config ${config.configPath}`,
  });
}

/**
 * A run that threw: the progress stops, and a universe or setup failure is logged (file and
 * console, with the run id), so main exits with the code of its kind and prints nothing more.
 * (The universe is needed even for a dry run; without it nothing can be planned.)
 */
export function logRunFailure(session: RunSession, error: unknown): void {
  session.progress.stop();
  if (error instanceof UniverseError || error instanceof SetupError) {
    session.log.error(error.message);
    error.logged = true;
  }
}

/** The job's effects in a session: its fetch, clock, sleep, logger, progress, signal and environment. */
export function jobDeps(session: RunSession): JobDeps {
  return { fetch: session.fetch, now: session.now, sleep: session.sleep, log: session.log, events: session.progress.events, signal: session.signal, env: session.env };
}

/** Parses --symbols A,B,C into normalised symbols; a bad one is a usage error naming it. */
export function parseSymbolsOption(value: string): string[] {
  const symbols = value
    .split(',')
    .filter((item) => item.trim() !== '')
    .map((item) => {
      const normalized = normalizeSymbol(item);
      if (!normalized.ok) throw new ExitError(EXIT.USAGE, `--symbols: ${JSON.stringify(item)} is ${normalized.reason}`);
      return normalized.symbol;
    });
  if (symbols.length === 0) throw new ExitError(EXIT.USAGE, `--symbols: no symbol given (expected a comma-separated list such as AAPL,MSFT)`);
  return symbols;
}
