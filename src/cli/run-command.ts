import type cliProgress from 'cli-progress';
import { isDisabledByConfig, type ResolvedConfig } from '../config/load-config.js';
import { EXIT, type ExitCode } from '../errors.js';
import type { RunLock } from '../lock/run-lock.js';
import { takeRunLock } from '../lock/take-run-lock.js';
import type { Logger } from '../logging/logger.js';
import type { SummaryReport } from '../report/summary-report.js';
import { exitCodeOfResult } from '../runner/job.js';
import { runJob } from '../runner/run-job.js';
import { plural } from '../util/text.js';
import { handleSignals } from './interrupt.js';
import { jobDeps, logRunFailure, openRunSession, readRunClock, readRunSetup, type RunCommandOptions, type RunSession } from './run-setup.js';
import { createConsoleSink, formatDuration, isInteractive } from './terminal.js';

/** Runs one refresh, a dry run, or the continuous loop, and returns the exit code. */
export async function runCommand(options: RunCommandOptions, env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  const now = readRunClock(env);
  if (isDisabledByConfig(options.config)) {
    // No log file, database, report or request: a disabled job only says so.
    process.stderr.write(`batch-refresh: the job is disabled ("enabled": false in ${options.config}); nothing to do\n`);
    return EXIT.OK;
  }
  const setup = readRunSetup(options, env);
  const holder: { current: cliProgress.MultiBar | null } = { current: null };
  const controller = new AbortController();
  const session = await openRunSession(options, setup, {
    console: createConsoleSink(holder, env),
    holder,
    bar: isInteractive(process.stderr, env) && options.json !== true && options.verbose !== true,
    now,
    signal: controller.signal,
    env,
  });
  const removeHandlers = handleSignals(controller, session.log);
  try {
    return options.continuous === true ? await runContinuously(session) : await runOnce(session, options);
  } catch (error) {
    logRunFailure(session, error);
    throw error;
  } finally {
    removeHandlers();
    await session.log.close();
  }
}

async function runOnce(session: RunSession, options: RunCommandOptions): Promise<ExitCode> {
  const { log, progress } = session;
  const result = await runJob(session.jobOptions, jobDeps(session));
  progress.stop();
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
  }
  if (result.kind === 'run') {
    printSummary(result.report, result.reportPath, log);
    if (options.json === true) process.stdout.write(`${JSON.stringify(result.report)}\n`);
  }
  return exitCodeOfResult(result);
}

/**
 * --continuous: the data always fresh. Each cycle refreshes the stocks that are due (never
 * refreshed first, then the stalest; incremental, so unchanged filings cost one request), backs
 * up at most once a day, and sleeps when nothing is due. Ends on SIGINT/SIGTERM.
 */
async function runContinuously(session: RunSession): Promise<ExitCode> {
  const lock = await holdLockForProcess(session);
  try {
    return await runCycles(session);
  } finally {
    await lock.release();
  }
}

/**
 * Continuous mode takes the run lock once, for the whole process, rather than once per cycle: so
 * `status` shows it running while it sleeps between cycles (the lock file names it, mode
 * "continuous"), and no nightly run slips in between two cycles. Each cycle's run nests inside.
 */
async function holdLockForProcess(session: RunSession): Promise<RunLock> {
  const lock = await takeRunLock(session.config, session.now(), { mode: 'continuous', env: session.env });
  if (lock.tookOverFrom !== null) session.log.warn(`took over the lock left by PID ${lock.tookOverFrom.pid} (started ${lock.tookOverFrom.started_at}), which is no longer running`);
  return lock;
}

async function runCycles(session: RunSession): Promise<ExitCode> {
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
