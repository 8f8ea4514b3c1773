import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ErrorType } from '../errors.js';
import type { SourceStats } from '../sources/source-client.js';
import type { SourceHealthFigures } from '../sources/source-health.js';
import type { PriceCounts } from '../runner/run-control.js';
import type { BulkFigures } from '../runner/bulk-archives.js';
import type { Outcome } from '../runner/outcome.js';

const REPORT_PATTERN = /^batch_summary_\d{8}_\d{6}(?:_\d+)?\.json$/;

/** The summary report (README.md, "Summary reports"): the original fields first, then the detail that explains them. */
export interface SummaryReport {
  start_time: string;
  end_time: string;
  duration_seconds: number;
  total_stocks: number;
  successful: number;
  failed: number;
  skipped: number;
  success_rate: string;
  failed_symbols: string[];
  error_types: Partial<Record<ErrorType, number>>;
  status: 'completed' | 'aborted' | 'interrupted';
  /** `success_rate` as a number from 0 to 1 (4 decimals), for scripts: `jq '.success_ratio < 0.95'`. */
  success_ratio: number;
  unchanged: number;
  not_started: number;
  error_message: string | null;
  time_budget_exhausted: boolean;
  failures: { symbol: string; error_type: ErrorType; source: string; message: string; attempts: number }[];
  skipped_symbols: string[];
  retried_symbols: string[];
  /** Symbols named by --symbols that the universe does not hold. */
  symbols_not_found: string[];
  requests: Record<string, number>;
  retries: Record<string, number>;
  bytes_downloaded: Record<string, number>;
  /** Conditional requests answered "not modified" (304), per source. */
  not_modified: Record<string, number>;
  /** How each source did (README, "Summary reports"): `sources.sec`, `sources.yahoo`; the price counts under the price source. */
  sources: Record<string, SourceSection>;
  /** Answers (data, 404 or 304) each Yahoo host gave, in the order of `sources.yahoo.base_url`; `{}` without Yahoo. */
  yahoo_hosts: Record<string, number>;
  universe_size: number;
  /** How an incremental night found the companies that filed: `full-refresh` (force_refresh), `daily-index`, or `per-company`. */
  change_detection: 'full-refresh' | 'daily-index' | 'per-company';
  /** Why a night checked every company instead of reading the daily index. */
  change_detection_note: string | null;
  index_days: number;
  companies_changed: number | null;
  /**
   * Each business day's daily index on a night that read them (null otherwise), days as YYYY-MM-DD:
   * read whole; no file before a day read (a holiday); not published yet, so read again the next
   * night; damaged after the retries, so every company's filings were checked instead.
   */
  daily_index: DailyIndexFigures | null;
  /** Which way the fundamentals came: SEC's bulk archives, the daily index's changed companies, or every company asked. */
  refresh_path: 'bulk' | 'daily-index' | 'per-company';
  /** The bulk rebuild: why, each archive's bytes, resumes and companies used, extraction time. */
  bulk: BulkFigures | null;
  /** The backup before the run; on PostgreSQL without pg_dump, `path` null and `note` saying backups are the server's job. */
  backup: { path: string | null; bytes: number; note?: string } | null;
  database: string;
  config: string;
  exit_code: number;
}

/** One source's part of the report: its requests, its state and trouble, and for Yahoo the night's prices. */
export type SourceSection = { requests: number } & SourceHealthFigures & Partial<PriceCounts>;

/** The `sources` section: every source's requests and health; the price counts go under `yahoo`. */
export function sourcesSection(stats: Record<string, SourceStats>, health: Record<string, SourceHealthFigures>, prices: PriceCounts | null): Record<string, SourceSection> {
  return Object.fromEntries(Object.entries(health).map(([name, figures]) => [name, { requests: stats[name]?.requests ?? 0, ...figures, ...(name === 'yahoo' && prices !== null ? prices : {}) }]));
}

/** The report's `daily_index`. */
export interface DailyIndexFigures {
  days_read: string[];
  no_file_days: string[];
  missing_days: string[];
  damaged_days: string[];
}

/** `failed_symbols`, `error_types` and `failures` from the outcomes. */
export function summarizeFailures(outcomes: Outcome[]): Pick<SummaryReport, 'failed_symbols' | 'error_types' | 'failures' | 'skipped_symbols'> {
  const failures: SummaryReport['failures'] = [];
  const errorTypes: Partial<Record<ErrorType, number>> = {};
  const skipped: string[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === 'skipped') skipped.push(outcome.symbol);
    if (outcome.status !== 'failed') continue;
    errorTypes[outcome.errorType] = (errorTypes[outcome.errorType] ?? 0) + 1;
    failures.push({ symbol: outcome.symbol, error_type: outcome.errorType, source: outcome.source, message: outcome.message, attempts: outcome.attempts });
  }
  return { failed_symbols: failures.map((failure) => failure.symbol), error_types: errorTypes, failures, skipped_symbols: skipped };
}

/** Requests, retries and bytes per source, as the report shows them. */
export function sourceFigures(stats: Record<string, SourceStats>): Pick<SummaryReport, 'requests' | 'retries' | 'bytes_downloaded' | 'not_modified'> {
  const pick = (key: keyof SourceStats): Record<string, number> => Object.fromEntries(Object.entries(stats).map(([name, value]) => [name, value[key]]));
  return { requests: pick('requests'), retries: pick('retries'), bytes_downloaded: pick('bytes'), not_modified: pick('not_modified') };
}

/** "98.97%": README.md's string form of successful / (successful + failed). */
export function formatRate(rate: number): string {
  return `${(rate * 100).toFixed(2)}%`;
}

/**
 * Writes the report as one line of JSON, atomically (a temp file renamed over the final name, so
 * `tail -1 | jq` never sees half a report), then prunes the oldest beyond `keep`.
 */
export function writeReport(directory: string, stamp: string, report: SummaryReport, keep: number): string {
  mkdirSync(directory, { recursive: true, mode: 0o750 });
  let target = path.join(directory, `batch_summary_${stamp}.json`);
  for (let n = 1; existsIn(directory, path.basename(target)); n += 1) target = path.join(directory, `batch_summary_${stamp}_${n}.json`);
  const temp = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(report)}\n`, { mode: 0o640 });
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  pruneFiles(directory, REPORT_PATTERN, keep, path.basename(target));
  return target;
}

function existsIn(directory: string, name: string): boolean {
  return readdirSync(directory).includes(name);
}

/**
 * Deletes the oldest files matching `pattern` beyond the newest `keep`, oldest by when they were
 * written (modification time, then name), never `justWritten`: a run re-doing a missed night
 * (`BATCH_REFRESH_NOW` in the past) must not delete its own fresh file.
 */
export function pruneFiles(directory: string, pattern: RegExp, keep: number, justWritten?: string): void {
  const files = readdirSync(directory)
    .filter((name) => pattern.test(name) && name !== justWritten)
    .map((name) => ({ name, written: statSync(path.join(directory, name)).mtimeMs }))
    .sort((a, b) => a.written - b.written || compareStamped(a.name, b.name));
  const kept = justWritten === undefined ? keep : keep - 1;
  for (const file of files.slice(0, Math.max(0, files.length - kept))) rmSync(path.join(directory, file.name), { force: true });
}

/** Name order, with `_N` suffixes of same-second files after the plain name. */
function compareStamped(a: string, b: string): number {
  const key = (name: string): string => name.replace(/(\d{8}_\d{6})(?:_(\d+))?/, (_m, stamp: string, n?: string) => `${stamp}_${(n ?? '0').padStart(6, '0')}`);
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}
