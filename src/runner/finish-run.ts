import type { BackupRecord } from '../backup/backup-before-run.js';
import type { ResolvedConfig } from '../config/load-config.js';
import type { Store } from '../db/store.js';
import { EXIT, type ExitCode } from '../errors.js';
import { sendNotifications } from '../notify/notify.js';
import { degradedSources } from '../report/degraded.js';
import { writeMetricsTextfile } from '../report/metrics-textfile.js';
import { formatRate, sourceFigures, sourcesSection, summarizeFailures, writeReport, type DailyIndexFigures, type SummaryReport } from '../report/summary-report.js';
import type { SourceHealthFigures } from '../sources/source-health.js';
import type { SourceStats } from '../sources/source-client.js';
import { formatLocalIso } from '../util/time.js';
import type { ChangeDetection } from './changes.js';
import { countOutcomes, successRate, type OutcomeCounts } from './outcome.js';
import { companiesOf, type RefreshPlan } from './plan.js';
import type { BulkFigures } from './bulk-archives.js';
import type { JobDeps, JobResult } from './job.js';
import type { RefreshResult } from './engine.js';
import type { Universe } from './universe.js';

/*
 * The end of a run: the summary report (also on aborts), the sync_runs row, the exit code, then
 * the metrics textfile and the notifications.
 */

export interface FinishInput {
  store: Store;
  runId: number;
  config: ResolvedConfig;
  startedAt: Date;
  stamp: string;
  universe: Universe;
  plan: RefreshPlan;
  result: RefreshResult;
  stats: Record<string, SourceStats>;
  /** Each source's state and trouble (SourceClient.healthFigures). */
  health: Record<string, SourceHealthFigures>;
  /** Answers per Yahoo host (YahooSource.served); empty without Yahoo. */
  yahooHosts: Record<string, number>;
  backup: BackupRecord | null;
  detection: ChangeDetection | null;
  /** Set when the night rebuilt from the bulk archives. */
  bulk: BulkFigures | null;
  deps: JobDeps;
}

/** The report (also on aborts), the sync_runs row and the exit code. */
export async function finish(input: FinishInput): Promise<Extract<JobResult, { kind: 'run' }>> {
  const endedAt = input.deps.now();
  const counts = countOutcomes(input.result.outcomes);
  const rate = successRate(counts);
  let exitCode = exitCodeOf(input, rate);
  const report = buildReport(input, { endedAt, counts, rate, exitCode });
  const { reportPath, reportError } = saveReport(input, report);
  const recorded = await recordSyncRun(input, { endedAt, counts, report, reportPath, reportError });
  // A report or a sync_runs row that could not be written fails a run that was otherwise fine.
  if (reportError !== null || !recorded) {
    if (exitCode === EXIT.OK) exitCode = EXIT.FAILED;
    report.exit_code = exitCode;
  }
  return { kind: 'run', report, reportPath, exitCode };
}

/** ABORTED or the signal's code when the run did not end, else OK or FAILED by the success rate. */
function exitCodeOf(input: FinishInput, rate: number): ExitCode {
  const { config, result, deps } = input;
  const interruptedCode = deps.signal?.reason === 'SIGTERM' ? EXIT.SIGTERM : EXIT.SIGINT;
  return result.status === 'aborted' ? EXIT.ABORTED : result.status === 'interrupted' ? interruptedCode : rate >= config.error_handling.min_success_rate ? EXIT.OK : EXIT.FAILED;
}

function buildReport(input: FinishInput, end: { endedAt: Date; counts: OutcomeCounts; rate: number; exitCode: ExitCode }): SummaryReport {
  const { config, result } = input;
  const { endedAt, counts, rate } = end;
  return {
    start_time: formatLocalIso(input.startedAt),
    end_time: formatLocalIso(endedAt),
    duration_seconds: Math.round((endedAt.getTime() - input.startedAt.getTime()) / 10) / 100,
    total_stocks: input.plan.entries.length,
    successful: counts.successful,
    failed: counts.failed,
    skipped: counts.skipped,
    success_rate: formatRate(rate),
    success_ratio: Math.round(rate * 10_000) / 10_000,
    ...summarizeFailures(result.outcomes),
    status: result.status,
    unchanged: counts.unchanged,
    not_started: result.notStarted,
    error_message: result.abortReason,
    time_budget_exhausted: result.budgetExhausted,
    retried_symbols: result.retried,
    symbols_not_found: input.universe.notFound,
    ...sourceFigures(input.stats),
    sources: sourcesSection(input.stats, input.health, input.config.sources.yahoo.enabled ? result.prices : null),
    yahoo_hosts: { ...input.yahooHosts },
    universe_size: input.universe.size,
    change_detection: config.processing.force_refresh ? 'full-refresh' : (input.detection?.path ?? 'per-company'),
    change_detection_note: input.detection?.reason ?? null,
    index_days: input.detection?.days ?? 0,
    companies_changed: changedInPlan(input.plan, input.detection),
    daily_index: dailyIndexFigures(input.detection),
    refresh_path: refreshPath(input),
    bulk: input.bulk,
    backup: input.backup,
    database: input.store.location,
    config: config.configPath,
    exit_code: end.exitCode,
  };
}

/** Writes the summary report when configured; a failure is logged and returned, not thrown. */
function saveReport(input: FinishInput, report: SummaryReport): { reportPath: string | null; reportError: string | null } {
  const { reporting } = input.config;
  if (!reporting.generate_summary) return { reportPath: null, reportError: null };
  try {
    return { reportPath: writeReport(reporting.summary_directory, input.stamp, report, reporting.keep_last_n_reports), reportError: null };
  } catch (error) {
    const reportError = `cannot write the summary report to ${reporting.summary_directory}: ${(error as Error).message}`;
    input.deps.log.error(reportError);
    return { reportPath: null, reportError };
  }
}

/** Completes the run's sync_runs row; false (and logged) when the database refused the write. */
async function recordSyncRun(input: FinishInput, end: { endedAt: Date; counts: OutcomeCounts; report: SummaryReport; reportPath: string | null; reportError: string | null }): Promise<boolean> {
  const { counts, report } = end;
  try {
    await input.store.finishSyncRun(input.runId, {
      completed_at: end.endedAt.toISOString(),
      status: input.result.status,
      total_stocks: report.total_stocks,
      successful: counts.successful,
      failed: counts.failed,
      skipped: counts.skipped,
      unchanged: counts.unchanged,
      duration_seconds: report.duration_seconds,
      report_path: end.reportPath,
      error_message: input.result.abortReason ?? end.reportError,
      universe_size: input.universe.size,
      // Only a night that used the daily index leaves days to read again; a per-company one checked them all.
      index_missing_days: input.detection?.path === 'daily-index' ? input.detection.index.missing : [],
      degraded_sources: degradedSources(report.sources),
    });
    return true;
  } catch (error) {
    // A full disk at the very end: the stocks are stored; say so rather than crash.
    input.deps.log.error(`cannot record the end of the run in sync_runs: ${(error as Error).message}`);
    return false;
  }
}

/**
 * After the report: the metrics textfile and the notifications. Neither can fail the run; a
 * problem is logged (and a notification's secrets never are).
 */
export async function publish(config: ResolvedConfig, finished: Extract<JobResult, { kind: 'run' }>, deps: JobDeps): Promise<void> {
  if (config.metrics.textfile_path !== null) {
    try {
      writeMetricsTextfile(config.metrics.textfile_path, finished.report, config.error_handling.min_success_rate);
    } catch (error) {
      deps.log.error(`cannot write the metrics textfile ${config.metrics.textfile_path}: ${(error as Error).message}`);
    }
  }
  await sendNotifications(config.notifications, finished.report, finished.reportPath, { env: deps.env ?? {}, fetch: deps.fetch, log: deps.log });
}

/**
 * Which way the fundamentals came: `bulk` (the archives), `daily-index` (only the companies the
 * index names), or `per-company` (each company's submissions checked, or everything fetched).
 */
function refreshPath(input: FinishInput): SummaryReport['refresh_path'] {
  if (input.bulk !== null && input.bulk.archives.length > 0) return 'bulk';
  if (!input.config.processing.force_refresh && input.detection?.path === 'daily-index') return 'daily-index';
  return 'per-company';
}

function dailyIndexFigures(detection: ChangeDetection | null): DailyIndexFigures | null {
  const index = detection?.index;
  if (index === null || index === undefined) return null;
  return { days_read: index.read, no_file_days: index.noFile, missing_days: index.missing, damaged_days: index.damaged };
}

/** Companies of this run that the daily index names (the index covers the whole market). */
function changedInPlan(plan: RefreshPlan, detection: ChangeDetection | null): number | null {
  const changed = detection?.changed;
  return changed === null || changed === undefined ? null : companiesOf(plan.entries, changed).size;
}
