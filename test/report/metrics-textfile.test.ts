import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { escapeLabelValue, parseLastSuccess, readLastSuccess, renderMetrics, writeMetricsTextfile } from '../../src/report/metrics-textfile.js';
import type { SourceSection, SummaryReport } from '../../src/report/summary-report.js';
import { sampleReport } from '../helpers/sample-report.js';

// 2026-11-25T07:02:06.620Z
const END_SECONDS = 1795590126.62;
/** error_handling.min_success_rate's default. */
const MIN_RATE = 0.9;

function report(overrides: Partial<SummaryReport> = {}): SummaryReport {
  return sampleReport({
    end_time: '2026-11-25T02:02:06.620-05:00',
    duration_seconds: 123.5,
    successful: 90,
    failed: 3,
    skipped: 2,
    success_rate: '96.77%',
    failed_symbols: ['AAA', 'BBB', 'CCC'],
    error_types: { timeout: 2, http_5xx: 1 },
    unchanged: 40,
    not_started: 5,
    requests: { yahoo: 5, sec: 300 },
    ...overrides,
  });
}

describe('renderMetrics', () => {
  it('renders every gauge of a successful run in the exposition format', () => {
    expect(Date.parse('2026-11-25T02:02:06.620-05:00') / 1000).toBe(END_SECONDS);
    expect(renderMetrics(report(), null, MIN_RATE)).toBe(
      [
        '# HELP batch_refresh_last_run_timestamp_seconds Unix time the last run ended.',
        '# TYPE batch_refresh_last_run_timestamp_seconds gauge',
        'batch_refresh_last_run_timestamp_seconds 1795590126.62',
        '# HELP batch_refresh_last_success_timestamp_seconds Unix time the last successful run ended (completed, at least one stock refreshed, success rate at or above min_success_rate).',
        '# TYPE batch_refresh_last_success_timestamp_seconds gauge',
        'batch_refresh_last_success_timestamp_seconds 1795590126.62',
        '# HELP batch_refresh_duration_seconds Duration of the last run.',
        '# TYPE batch_refresh_duration_seconds gauge',
        'batch_refresh_duration_seconds 123.5',
        '# HELP batch_refresh_exit_code Exit code of the last run.',
        '# TYPE batch_refresh_exit_code gauge',
        'batch_refresh_exit_code 0',
        '# HELP batch_refresh_last_run_status Status the last run ended with (1 for that status, 0 for the others).',
        '# TYPE batch_refresh_last_run_status gauge',
        'batch_refresh_last_run_status{status="completed"} 1',
        'batch_refresh_last_run_status{status="aborted"} 0',
        'batch_refresh_last_run_status{status="interrupted"} 0',
        '# HELP batch_refresh_stocks Stocks of the last run, by outcome.',
        '# TYPE batch_refresh_stocks gauge',
        'batch_refresh_stocks{outcome="successful"} 90',
        'batch_refresh_stocks{outcome="failed"} 3',
        'batch_refresh_stocks{outcome="skipped"} 2',
        'batch_refresh_stocks{outcome="not_started"} 5',
        '# HELP batch_refresh_stocks_unchanged Successful stocks of the last run whose data had not changed.',
        '# TYPE batch_refresh_stocks_unchanged gauge',
        'batch_refresh_stocks_unchanged 40',
        '# HELP batch_refresh_errors Failed stocks of the last run, by error type.',
        '# TYPE batch_refresh_errors gauge',
        'batch_refresh_errors{type="http_5xx"} 1',
        'batch_refresh_errors{type="timeout"} 2',
        '# HELP batch_refresh_requests HTTP requests of the last run, by source.',
        '# TYPE batch_refresh_requests gauge',
        'batch_refresh_requests{source="sec"} 300',
        'batch_refresh_requests{source="yahoo"} 5',
        '# HELP batch_refresh_source_state State each source ended the last run in (1 for that state, 0 for the others): ok, throttled, circuit_open, blocked.',
        '# TYPE batch_refresh_source_state gauge',
        'batch_refresh_source_state{source="sec",state="ok"} 1',
        'batch_refresh_source_state{source="sec",state="throttled"} 0',
        'batch_refresh_source_state{source="sec",state="circuit_open"} 0',
        'batch_refresh_source_state{source="sec",state="blocked"} 0',
        'batch_refresh_source_state{source="yahoo",state="ok"} 1',
        'batch_refresh_source_state{source="yahoo",state="throttled"} 0',
        'batch_refresh_source_state{source="yahoo",state="circuit_open"} 0',
        'batch_refresh_source_state{source="yahoo",state="blocked"} 0',
        '# HELP batch_refresh_prices_not_refreshed Prices the last run did not refresh (failed, refused by an open circuit, or still on their way at its end).',
        '# TYPE batch_refresh_prices_not_refreshed gauge',
        'batch_refresh_prices_not_refreshed 0',
        '',
      ].join('\n'),
    );
  });

  it('exports the state of a degraded source and the prices it did not refresh', () => {
    const yahoo = { ...(sampleReport().sources.yahoo as SourceSection), state: 'blocked' as const, state_reason: 'blocked: HTTP 403 Forbidden', prices_refreshed: 0, prices_not_refreshed: 100 };
    const text = renderMetrics(report({ sources: { ...sampleReport().sources, yahoo } }), null, MIN_RATE);
    expect(text).toContain('\nbatch_refresh_source_state{source="yahoo",state="blocked"} 1\n');
    expect(text).toContain('\nbatch_refresh_source_state{source="yahoo",state="ok"} 0\n');
    expect(text).toContain('\nbatch_refresh_prices_not_refreshed 100\n');
  });

  it('uses the given last success for a run that did not succeed, and leaves the gauge out when there was none', () => {
    const aborted = report({ status: 'aborted', exit_code: 3 });
    expect(renderMetrics(aborted, 1700000000, MIN_RATE)).toContain('\nbatch_refresh_last_success_timestamp_seconds 1700000000\n');
    expect(renderMetrics(aborted, 1700000000, MIN_RATE)).toContain('\nbatch_refresh_last_run_status{status="aborted"} 1\n');
    expect(renderMetrics(report({ successful: 80, failed: 13, exit_code: 1 }), null, MIN_RATE)).not.toContain('batch_refresh_last_success_timestamp_seconds');
  });

  it.each([
    ['completed with every stock skipped (exit 0, nothing refreshed)', { successful: 0, failed: 0, skipped: 100, exit_code: 0 }, false],
    ['completed, success rate below min_success_rate', { successful: 89, failed: 11, exit_code: 1 }, false],
    ['completed, success rate exactly min_success_rate', { successful: 90, failed: 10, exit_code: 0 }, true],
    ['interrupted with every stock it did successful', { status: 'interrupted', successful: 50, failed: 0, exit_code: 143 }, false],
  ] as [string, Partial<SummaryReport>, boolean][])('judges a run by the success rules: %s', (_label, overrides, succeeded) => {
    const text = renderMetrics(report(overrides), 1700000000, MIN_RATE);
    expect(parseLastSuccess(text)).toBe(succeeded ? END_SECONDS : 1700000000);
  });

  it('leaves out a family with no samples (a run without errors)', () => {
    const text = renderMetrics(report({ failed: 0, error_types: {} }), null, MIN_RATE);
    expect(text).not.toContain('batch_refresh_errors');
  });

  it('escapes backslash, double quote and newline in label values', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const text = renderMetrics(report({ requests: { 'we\\ird"\nsource': 1 } }), null, MIN_RATE);
    expect(text).toContain('batch_refresh_requests{source="we\\\\ird\\"\\nsource"} 1\n');
  });
});

describe('parseLastSuccess', () => {
  it.each<[string, string, number | null]>([
    ['a file this module wrote', renderMetrics(report(), null, MIN_RATE), END_SECONDS],
    ['scientific notation and empty braces', 'batch_refresh_last_success_timestamp_seconds{} 1.7e+09\n', 1.7e9],
    ['no such gauge', '# HELP batch_refresh_last_success_timestamp_seconds x\nbatch_refresh_duration_seconds 3\n', null],
    ['a value that is not a number', 'batch_refresh_last_success_timestamp_seconds NaN\n', null],
    ['a similarly named gauge', 'batch_refresh_last_success_timestamp_seconds_old 5\n', null],
  ])('%s', (_name, text, expected) => {
    expect(parseLastSuccess(text)).toBe(expected);
  });
});

describe('writeMetricsTextfile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'metrics-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the folder 0750 and the file 0640, leaving no temp file behind', () => {
    const file = path.join(dir, 'textfile', 'batch_refresh.prom');
    writeMetricsTextfile(file, report(), MIN_RATE);
    expect(readFileSync(file, 'utf8')).toBe(renderMetrics(report(), null, MIN_RATE));
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o750);
    expect(readdirSync(path.dirname(file))).toEqual(['batch_refresh.prom']);
  });

  it('makes the file 0640 even when it replaces a world-readable one or the umask is stricter', () => {
    const file = path.join(dir, 'batch_refresh.prom');
    writeFileSync(file, 'old\n', { mode: 0o666 });
    const previous = process.umask(0o077);
    try {
      writeMetricsTextfile(file, report(), MIN_RATE);
    } finally {
      process.umask(previous);
    }
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  it('carries the last success over failed, aborted and interrupted runs', () => {
    const file = path.join(dir, 'batch_refresh.prom');
    writeMetricsTextfile(file, report(), MIN_RATE);
    writeMetricsTextfile(file, report({ end_time: '2026-11-26T02:02:06.620-05:00', successful: 80, failed: 13, exit_code: 1 }), MIN_RATE);
    writeMetricsTextfile(file, report({ end_time: '2026-11-27T02:02:06.620-05:00', status: 'aborted', exit_code: 3 }), MIN_RATE);
    writeMetricsTextfile(file, report({ end_time: '2026-11-28T02:02:06.620-05:00', status: 'interrupted', exit_code: 130 }), MIN_RATE);
    const text = readFileSync(file, 'utf8');
    expect(readLastSuccess(file)).toBe(END_SECONDS);
    expect(text).toContain(`\nbatch_refresh_last_run_timestamp_seconds ${END_SECONDS + 3 * 86400}\n`);

    writeMetricsTextfile(file, report({ end_time: '2026-11-29T02:02:06.620-05:00' }), MIN_RATE);
    expect(readLastSuccess(file)).toBe(END_SECONDS + 4 * 86400);
  });

  it('has no last success when no run ever succeeded', () => {
    const file = path.join(dir, 'batch_refresh.prom');
    writeMetricsTextfile(file, report({ status: 'aborted', exit_code: 3 }), MIN_RATE);
    expect(readFileSync(file, 'utf8')).not.toContain('batch_refresh_last_success_timestamp_seconds');
    expect(readLastSuccess(file)).toBeNull();
  });

  it('throws when the file cannot be replaced, and leaves no temp file', () => {
    const file = path.join(dir, 'batch_refresh.prom');
    mkdirSync(file);
    writeFileSync(path.join(file, 'keep'), '');
    expect(() => writeMetricsTextfile(file, report(), MIN_RATE)).toThrow();
    expect(readdirSync(dir)).toEqual(['batch_refresh.prom']);
  });
});
