import type cliProgress from 'cli-progress';
import { loadConfig, requireUserAgent } from '../config/load-config.js';
import { createLogger, type LogLevel } from '../logging/logger.js';
import type { SummaryReport } from '../report/summary-report.js';
import { runJob } from '../runner/run-job.js';
import { normalizeSymbol } from '../extract/universe.js';
import { createClock } from '../util/time.js';
import { ExitError, EXIT } from './exit-error.js';
import { createConsoleSink, createProgressReporter, formatDuration, isInteractive } from './terminal.js';

/** Options of a refresh run, as commander parses them. */
export interface RunCommandOptions {
  config: string;
  dryRun?: boolean;
  limit?: number;
  verbose?: boolean;
  json?: boolean;
  symbols?: string[];
}

/** Runs one refresh (or a dry run) and returns the exit code. */
export async function runCommand(options: RunCommandOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let now: () => Date;
  try {
    now = createClock(env.BATCH_REFRESH_NOW);
  } catch (error) {
    throw new ExitError(EXIT.USAGE, (error as Error).message);
  }
  const loaded = loadConfig(options.config, { SEC_USER_AGENT: env.SEC_USER_AGENT });
  if (!loaded.ok) {
    throw new ExitError(EXIT.USAGE, `invalid config ${options.config}:\n${loaded.issues.map((issue) => `  - ${issue}`).join('\n')}`);
  }
  const { config, warnings } = loaded;
  const userAgent = requireUserAgent(config);
  if (typeof userAgent !== 'string') throw new ExitError(EXIT.USAGE, `invalid config ${options.config}:\n  - ${userAgent.issue}`);

  const holder: { current: cliProgress.MultiBar | null } = { current: null };
  const consoleLevel: LogLevel = options.verbose === true ? 'DEBUG' : config.logging.console_output ? 'INFO' : 'ERROR';
  const dryRun = options.dryRun === true;
  const log = createLogger({
    // A dry run writes nothing, not even a log file.
    file: dryRun
      ? null
      : { directory: config.logging.log_directory, name: config.logging.log_file, maxSizeMb: config.logging.max_log_size_mb, backupCount: config.logging.backup_count },
    fileLevel: config.logging.log_level as LogLevel,
    consoleLevel,
    console: createConsoleSink(holder),
    now,
  });
  for (const warning of warnings) log.warn(warning);
  if (!config.enabled) {
    log.info(`the job is disabled ("enabled": false in ${config.configPath}); nothing to do`);
    await log.close();
    return EXIT.OK;
  }

  const progress = createProgressReporter(
    log,
    { bar: isInteractive() && options.json !== true && options.verbose !== true, intervalMs: config.logging.progress_interval_seconds * 1000, now },
    holder,
  );
  const controller = new AbortController();
  try {
    const result = await runJob(
      { config, dryRun, userAgent, ...(options.limit !== undefined ? { limit: options.limit } : {}), ...(options.symbols ? { symbols: options.symbols } : {}) },
      { fetch, now, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), log, events: progress.events, signal: controller.signal },
    );
    progress.stop();
    if (result.kind === 'disabled') return EXIT.OK;
    if (result.kind === 'dry-run') {
      const { plan } = result;
      if (options.json === true) process.stdout.write(`${JSON.stringify(plan)}\n`);
      else {
        log.info(`dry run: ${plan.total_stocks} stocks in ${plan.batches} batches, about ${formatDuration(plan.estimated_seconds)} at the configured rate limits`);
        log.info(`symbols: ${plan.symbols.slice(0, 50).join(' ')}${plan.symbols.length > 50 ? ` … (${plan.symbols.length - 50} more)` : ''}`);
      }
      return EXIT.OK;
    }
    printSummary(result.report, result.reportPath, log);
    if (options.json === true) process.stdout.write(`${JSON.stringify(result.report)}\n`);
    return result.exitCode;
  } catch (error) {
    progress.stop();
    if (error instanceof ExitError) throw error;
    const message = (error as Error).message;
    log.error(message);
    // The universe is needed even for a dry run; without it nothing can be planned.
    if ((error as Error).name === 'UniverseError') throw new ExitError(EXIT.ABORTED, message);
    throw error;
  } finally {
    await log.close();
  }
}

function printSummary(report: SummaryReport, reportPath: string | null, log: ReturnType<typeof createLogger>): void {
  const line = `${report.status === 'completed' ? 'refresh completed' : `refresh ${report.status}`} in ${formatDuration(report.duration_seconds)}: ${report.successful} successful, ${report.failed} failed, ${report.skipped} skipped of ${report.total_stocks} (${report.success_rate})`;
  if (report.status === 'completed' && report.exit_code === 0) log.info(line);
  else log.error(line);
  if (report.error_message !== null) log.error(report.error_message);
  if (report.failed_symbols.length > 0) {
    const shown = report.failures.slice(0, 20).map((failure) => `${failure.symbol} (${failure.error_type})`);
    log.warn(`failed: ${shown.join(', ')}${report.failures.length > 20 ? `, … ${report.failures.length - 20} more` : ''}`);
  }
  const requests = Object.entries(report.requests).map(([source, count]) => `${source} ${count}`).join(', ');
  log.info(`requests: ${requests || 'none'}${reportPath === null ? '' : `; report: ${reportPath}`}`);
}

/** Parses --symbols A,B,C into normalised symbols; a bad one is a usage error naming it. */
export function parseSymbolsOption(value: string): string[] {
  return value
    .split(',')
    .filter((item) => item.trim() !== '')
    .map((item) => {
      const normalized = normalizeSymbol(item);
      if (!normalized.ok) throw new Error(`--symbols: ${JSON.stringify(item)} is ${normalized.reason}`);
      return normalized.symbol;
    });
}
