import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isSuccessfulRun } from './run-success.js';
import type { SourceState } from '../sources/source-health.js';
import type { SummaryReport } from './summary-report.js';

/*
 * Gauges for node_exporter's textfile collector (Prometheus text exposition format 0.0.4). The
 * collector reads `*.prom` files whenever it is scraped, so the file is replaced by a rename and
 * never seen half-written; the temp name does not end in `.prom` for the same reason.
 */

const LAST_SUCCESS = 'batch_refresh_last_success_timestamp_seconds';
const STATUSES: readonly SummaryReport['status'][] = ['completed', 'aborted', 'interrupted'];
const SOURCE_STATES: readonly SourceState[] = ['ok', 'throttled', 'circuit_open', 'blocked'];

interface Sample {
  labels?: Record<string, string>;
  value: number;
}

/**
 * The textfile for one run. `lastSuccessTimestampSeconds` is used when this run did not succeed by
 * the success rules (`isSuccessfulRun`, with the run's `error_handling.min_success_rate`); null: no
 * run ever did, and the gauge is left out rather than reported as 1970.
 */
export function renderMetrics(report: SummaryReport, lastSuccessTimestampSeconds: number | null, minSuccessRate: number): string {
  const endSeconds = Date.parse(report.end_time) / 1000;
  const lastSuccess = isSuccessfulRun(report, minSuccessRate) ? endSeconds : lastSuccessTimestampSeconds;
  const out: string[] = [];
  const gauge = (name: string, help: string, samples: Sample[]): void => {
    // A family without samples (no errors this run) is left out whole: nothing to read, nothing to trip a parser.
    if (samples.length === 0) return;
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const sample of samples) out.push(`${name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
  };
  gauge('batch_refresh_last_run_timestamp_seconds', 'Unix time the last run ended.', [{ value: endSeconds }]);
  if (lastSuccess !== null) {
    gauge(LAST_SUCCESS, 'Unix time the last successful run ended (completed, at least one stock refreshed, success rate at or above min_success_rate).', [{ value: lastSuccess }]);
  }
  gauge('batch_refresh_duration_seconds', 'Duration of the last run.', [{ value: report.duration_seconds }]);
  gauge('batch_refresh_exit_code', 'Exit code of the last run.', [{ value: report.exit_code }]);
  gauge(
    'batch_refresh_last_run_status',
    'Status the last run ended with (1 for that status, 0 for the others).',
    STATUSES.map((status) => ({ labels: { status }, value: status === report.status ? 1 : 0 })),
  );
  // Disjoint outcomes that add up to the stocks planned; "unchanged" is a part of "successful", so it has a gauge of its own.
  gauge('batch_refresh_stocks', 'Stocks of the last run, by outcome.', [
    { labels: { outcome: 'successful' }, value: report.successful },
    { labels: { outcome: 'failed' }, value: report.failed },
    { labels: { outcome: 'skipped' }, value: report.skipped },
    { labels: { outcome: 'not_started' }, value: report.not_started },
  ]);
  gauge('batch_refresh_stocks_unchanged', 'Successful stocks of the last run whose data had not changed.', [{ value: report.unchanged }]);
  gauge('batch_refresh_errors', 'Failed stocks of the last run, by error type.', labelled('type', report.error_types));
  gauge('batch_refresh_requests', 'HTTP requests of the last run, by source.', labelled('source', report.requests));
  gauge(
    'batch_refresh_source_state',
    'State each source ended the last run in (1 for that state, 0 for the others): ok, throttled, circuit_open, blocked.',
    Object.entries(report.sources).flatMap(([source, section]) => SOURCE_STATES.map((state) => ({ labels: { source, state }, value: state === section.state ? 1 : 0 }))),
  );
  gauge('batch_refresh_prices_not_refreshed', 'Prices the last run did not refresh (failed, refused by an open circuit, or still on their way at its end).', [
    { value: report.sources.yahoo?.prices_not_refreshed ?? 0 },
  ]);
  return `${out.join('\n')}\n`;
}

/**
 * Writes the textfile atomically (temp file in the same folder, then rename), mode 0640 in a
 * folder made 0750. When this run did not succeed (`minSuccessRate`: the run's
 * `error_handling.min_success_rate`), the last success is carried over from the file being replaced. Throws on a write failure (the caller logs it), leaving no temp file.
 */
export function writeMetricsTextfile(file: string, report: SummaryReport, minSuccessRate: number): void {
  const directory = path.dirname(file);
  mkdirSync(directory, { recursive: true, mode: 0o750 });
  const text = renderMetrics(report, readLastSuccess(file), minSuccessRate);
  const temp = path.join(directory, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, text, { mode: 0o640 });
    // writeFileSync's mode is filtered by the umask and ignored for an existing file.
    chmodSync(temp, 0o640);
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** The last-success gauge of an existing textfile; null when there is no file or no usable value. */
export function readLastSuccess(file: string): number | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  return parseLastSuccess(text);
}

/** The value of `batch_refresh_last_success_timestamp_seconds` in a textfile's text, if any. */
export function parseLastSuccess(text: string): number | null {
  for (const line of text.split('\n')) {
    const match = /^batch_refresh_last_success_timestamp_seconds(?:\{\})?\s+(\S+)/.exec(line.trim());
    if (match?.[1] === undefined) continue;
    const value = Number(match[1]);
    return Number.isFinite(value) && value > 0 ? value : null;
  }
  return null;
}

function labelled(name: string, values: Record<string, number | undefined>): Sample[] {
  return Object.entries(values)
    .filter((entry): entry is [string, number] => entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, value]) => ({ labels: { [name]: label }, value }));
}

function formatLabels(labels: Record<string, string> | undefined): string {
  if (labels === undefined) return '';
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return `{${pairs.join(',')}}`;
}

/** The exposition format escapes exactly these three in label values. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
