import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonBody, startStandIn, type StandIn, type StandInData } from '../../dev/stand-in/server.js';
import { syntheticCompanies, syntheticDataset, syntheticSubmissions, type SyntheticCompany } from '../../dev/stand-in/datasets.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { SummaryReport } from '../../src/report/summary-report.js';
import { readStatus } from '../../src/status/read-status.js';
import { createClock } from '../../src/util/time.js';
import { ROOT, runCli, tempDir, writeTestConfig } from '../helpers/cli.js';
import { explain, planOf, reportOf, runInProcess } from '../helpers/in-process.js';
import { lastReport as lastReportIn, query as queryIn, readReports as readReportsIn } from '../helpers/run-output.js';

/*
 * Refresh runs against the stand-in, in-process through the job's injected effects (the night's
 * behaviour: what is stored, the report, failure limits, retries, backups, incremental nights).
 * Two stay on the built CLI: the clean night, whose --json output is checked against the report
 * file, and the SEC ceiling measured at arrival, which needs the client in a process of its own.
 */

let standIn: StandIn;
let data: StandInData;
let companies: SyntheticCompany[];
let dir: string;

beforeEach(async () => {
  companies = syntheticCompanies(12);
  data = syntheticDataset(companies);
  standIn = await startStandIn({ data });
  dir = tempDir();
});

afterEach(async () => {
  await standIn.close();
});

const sym = (index: number): string => (companies[index] as SyntheticCompany).symbol;
const cik = (index: number): string => String((companies[index] as SyntheticCompany).cik).padStart(10, '0');

const readReports = (): { name: string; text: string }[] => readReportsIn(dir);
// One line of JSON, so `cat … | tail -1 | jq .` works (lastReport checks it).
const lastReport = (): SummaryReport => lastReportIn(dir);
const query = <T>(sql: string, ...params: unknown[]): T[] => queryIn<T>(dir, sql, ...params);

/** Most SEC requests that arrived within any window of `windowMs`. */
function peakInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start += 1;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

describe('a refresh against the stand-in', () => {
  it("stores every source's data for a clean universe, exits 0 and writes a one-line report", async () => {
    // Through the CLI: --json prints on stdout what the report file holds.
    const config = writeTestConfig(dir, standIn.url);
    const result = await runCli(['--config', config, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = lastReport();
    expect(JSON.parse(result.stdout)).toEqual(report);
    expect(report).toMatchObject({ total_stocks: 12, successful: 12, failed: 0, skipped: 0, success_rate: '100.00%', status: 'completed', failed_symbols: [], error_types: {} });
    expect(report.start_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
    expect(report.end_time).toMatch(/[+-]\d\d:\d\d$/);
    expect(typeof report.duration_seconds).toBe('number');
    // One ticker file, then submissions + companyfacts per company; prices in one spark request
    // per batch of 10 (up to 20 symbols a request).
    expect(report.requests).toEqual({ sec: 1 + 2 * 12, yahoo: 2 });

    expect(query('SELECT COUNT(*) AS n FROM stocks')).toEqual([{ n: 12 }]);
    expect(query('SELECT COUNT(*) AS n FROM earnings_history WHERE period = ?', 'FY')).toEqual([{ n: 48 }]);
    expect(query('SELECT COUNT(*) AS n FROM sec_filings')).toEqual([{ n: 36 }]);
    const [metrics] = query<{ price: number; fifty_two_week_high: number }>('SELECT price, fifty_two_week_high FROM stock_metrics WHERE symbol = ?', sym(0));
    // The last spark close, and the highest close of the year of closes stored with it.
    const closes = (data.sparks?.get(sym(0))?.close ?? []).slice(-252).filter((close): close is number => close !== null);
    expect(metrics?.price).toBe(20);
    expect(metrics?.fifty_two_week_high).toBe(Math.max(...closes));
    expect(Math.max(...closes)).toBeGreaterThan(20);
    expect(query('SELECT industry, sic FROM stocks WHERE symbol = ?', sym(1))).toEqual([{ industry: 'Computer & Office Equipment', sic: '3571' }]);
    expect(query<{ journal_mode: string }>('PRAGMA journal_mode')[0]?.journal_mode).toBe('wal');
    const runs = query<Record<string, unknown>>('SELECT status, total_stocks, successful, failed, skipped, report_path FROM sync_runs');
    expect(runs).toEqual([{ status: 'completed', total_stocks: 12, successful: 12, failed: 0, skipped: 0, report_path: path.join(dir, 'reports', (readReports()[0] as { name: string }).name) }]);
    // Every SEC request declared the configured User-Agent.
    expect(standIn.requests.filter((r) => r.source === 'sec').every((r) => r.userAgent === 'batch-refresh tests tests@example.com')).toBe(true);
  });

  it('classifies injected faults per stock: retried 5xx and 429 succeed, persistent faults fail with their class, a price that fails leaves its stock successful', async () => {
    // These stocks get their price from the chart endpoint (spark does not answer them), where the faults are.
    for (const index of [0, 1, 2, 5, 6]) data.sparks?.delete(sym(index));
    data.charts.delete(sym(1)); // Yahoo 404: SEC still covers it -> successful
    data.charts.delete(sym(2)); // and no SEC data either -> skipped
    data.companyFacts.delete(Number(cik(2)));
    data.submissions.delete(Number(cik(2)));
    standIn.addFault(`/chart/${sym(0)}`, { kind: 'status', status: 503 }, 1);
    standIn.addFault(`/submissions/CIK${cik(3)}`, { kind: 'status', status: 500 }, 1000);
    standIn.addFault(`/companyfacts/CIK${cik(4)}`, { kind: 'malformed' }, 1000);
    standIn.addFault(`/chart/${sym(5)}`, { kind: 'hang' }, 1000);
    standIn.addFault(`/chart/${sym(6)}`, { kind: 'status', status: 429, headers: { 'retry-after': '1' } }, 1);
    const config = writeTestConfig(dir, standIn.url, { sources: { yahoo: { timeout_seconds: 0.4 } } });

    const run = await runInProcess(config);

    // 9 successful of 11 attempted = 81.82% < 90%: exit 1. The hung chart costs sym(5) its price, not its fundamentals.
    expect(run.code, explain(run)).toBe(1);
    const report = lastReport();
    expect(report).toMatchObject({ total_stocks: 12, successful: 9, failed: 2, skipped: 1, success_rate: '81.82%', status: 'completed' });
    expect(report.failed_symbols).toEqual([sym(3), sym(4)]);
    expect(report.skipped_symbols).toEqual([sym(2)]);
    expect(report.error_types).toEqual({ http_5xx: 1, invalid_json: 1 });
    expect(report.retried_symbols).toEqual([sym(3), sym(4)]);
    expect(report.sources.yahoo).toMatchObject({ state: 'throttled', prices_not_refreshed: 1, price_error_types: { timeout: 1 } });
    expect(report.sources.yahoo?.price_failures).toEqual([{ symbol: sym(5), error_type: 'timeout', message: expect.stringMatching(/^yahoo: no complete answer/) as string, attempts: 3 }]);
    expect(query("SELECT COUNT(*) AS n FROM earnings_history WHERE symbol = ? AND period = 'FY'", sym(5))).toEqual([{ n: 4 }]);
    const failure = report.failures.find((f) => f.symbol === sym(3));
    expect(failure).toMatchObject({ error_type: 'http_5xx', source: 'sec', attempts: 3 });
    expect(failure?.message).toContain('HTTP 500');

    // The failed stock with a good price still has its price stored; the skipped one has nothing.
    expect(query('SELECT symbol FROM stock_metrics WHERE symbol = ?', sym(3))).toHaveLength(1);
    expect(query('SELECT symbol FROM stocks WHERE symbol = ?', sym(2))).toHaveLength(0);
    // The 429's Retry-After paused Yahoo for every worker: no Yahoo request in the second after it.
    const yahoo = standIn.requests.filter((r) => r.source === 'yahoo');
    const limited = yahoo.find((r) => r.status === 429) as { at: number };
    // (Requests already admitted when the 429 arrived may land within a few ms of it.)
    const inPause = yahoo.filter((r) => r.at > limited.at + 50 && r.at < limited.at + 990);
    expect(inPause).toEqual([]);
    expect(report.retries.yahoo).toBeGreaterThanOrEqual(2);
    expect(run.console).toContain('rate limited (HTTP 429)');
    expect(query('SELECT status, failed FROM sync_runs')).toEqual([{ status: 'completed', failed: 2 }]);
  }, 30_000);

  it('keeps SEC under its ceiling across workers, in every sliding second', async () => {
    // Through the CLI: in-process the client would share the stand-in's event loop, and arrival
    // times would measure the loop as much as the sending.
    const config = writeTestConfig(dir, standIn.url, { processing: { max_workers: 8 }, rate_limiting: { edgar_requests_per_second: 5 } });
    const result = await runCli(['--config', config]);
    expect(result.code, result.stderr).toBe(0);
    const sec = standIn.requests.filter((r) => r.source === 'sec').map((r) => r.at);
    expect(sec).toHaveLength(25);
    // Measured where SEC would measure it, at arrival. A request reaches the server a little after
    // the client sends it, and the first one of a process (new connection) up to ~30 ms later than
    // the rest; the window is 950 ms to allow for that. The exact check on send times is in
    // test/sources/source-client.test.ts.
    expect(peakInWindow(sec, 950)).toBeLessThanOrEqual(5);
    // And the ceiling is used, not replaced by sleeps: 25 requests at 5/s take about 4 s, not 10.
    expect((sec.at(-1) as number) - (sec[0] as number)).toBeLessThan(7000);
  }, 30_000);

  it("fetches a company's older filing pages once, when it is new to the database", async () => {
    const company = companies[0] as SyntheticCompany;
    const submissions = syntheticSubmissions(company, 0) as { filings: { files: { name: string }[] } };
    const pageName = `CIK${cik(0)}-submissions-001.json`;
    submissions.filings.files = [{ name: pageName }];
    data.submissions.set(company.cik, jsonBody(submissions));
    data.submissionPages = new Map([
      [
        pageName,
        jsonBody({
          accessionNumber: ['0009000001-09-000001', '0009000001-09-000002'],
          filingDate: ['2009-02-10', '2009-01-05'],
          reportDate: ['2008-12-31', ''],
          form: ['10-K', '8-K'],
          primaryDocument: ['old10k.htm', 'old8k.htm'],
        }),
      ],
    ]);
    const config = writeTestConfig(dir, standIn.url);
    expect((await runInProcess(config, { now: '2026-11-30T02:00:00Z' })).code).toBe(0);
    expect(query('SELECT accession_number, form, report_date FROM sec_filings WHERE filing_date < ?', '2010-01-01')).toEqual([
      { accession_number: '0009000001-09-000001', form: '10-K', report_date: '2008-12-31' },
    ]);
    expect(standIn.requests.filter((r) => r.path.endsWith(pageName))).toHaveLength(1);
    // The next night knows the company: the page is not fetched again.
    expect((await runInProcess(config, { now: '2026-12-01T02:00:00Z' })).code).toBe(0);
    expect(standIn.requests.filter((r) => r.path.endsWith(pageName))).toHaveLength(1);
  });

  it('fetches a company once when several listings share its CIK', async () => {
    const shared = companies[0] as SyntheticCompany;
    const tickers = {
      fields: ['cik', 'name', 'ticker', 'exchange'],
      data: [
        [shared.cik, shared.name, 'BRK-A', 'NYSE'],
        [shared.cik, shared.name, 'BRK-B', 'NYSE'],
      ],
    };
    data.tickerFile = jsonBody(tickers);
    data.charts.set('BRK-A', data.charts.get(shared.symbol) as never);
    data.charts.set('BRK-B', data.charts.get(shared.symbol) as never);
    data.sparks?.set('BRK-A', data.sparks.get(shared.symbol) as never);
    data.sparks?.set('BRK-B', data.sparks.get(shared.symbol) as never);
    const config = writeTestConfig(dir, standIn.url);
    const run = await runInProcess(config);
    expect(run.code, explain(run)).toBe(0);
    expect(standIn.requests.filter((r) => r.path.includes('/companyfacts/')).length).toBe(1);
    expect(standIn.requests.filter((r) => r.path.includes('/submissions/')).length).toBe(1);
    expect(query('SELECT symbol, COUNT(*) AS n FROM earnings_history GROUP BY symbol ORDER BY symbol')).toEqual([
      { symbol: 'BRK-A', n: 4 },
      { symbol: 'BRK-B', n: 4 },
    ]);
    // Filings are the company's: stored once, under its first listing.
    expect(query('SELECT DISTINCT symbol FROM sec_filings')).toEqual([{ symbol: 'BRK-A' }]);
  });

  it('exits 3 with a User-Agent message when SEC answers 403, and still writes the report', async () => {
    const config = writeTestConfig(dir, standIn.url, { sources: { edgar: { user_agent: 'curl' } } });
    const run = await runInProcess(config);
    expect(run.code).toBe(3);
    expect(run.console).toMatch(/User-Agent/);
    const report = lastReport();
    expect(report.status).toBe('aborted');
    expect(report.error_message).toMatch(/403.*User-Agent/);
    expect(query('SELECT status FROM sync_runs')).toEqual([{ status: 'aborted' }]);
  });

  it('aborts with exit 3 after max_consecutive_failures failed stocks in a row', async () => {
    standIn.addFault('/submissions/', { kind: 'status', status: 502 }, 10_000);
    const config = writeTestConfig(dir, standIn.url, {
      processing: { max_workers: 1 },
      error_handling: { max_consecutive_failures: 3, max_retries_per_stock: 0 },
    });
    const run = await runInProcess(config);
    expect(run.code).toBe(3);
    const report = lastReport();
    expect(report).toMatchObject({ status: 'aborted', failed: 3, not_started: 9 });
    expect(report.error_message).toContain('3 consecutive failures');
    // No second pass after an abort.
    expect(report.retried_symbols).toEqual([]);
  });

  it('counts failures as consecutive only when nothing succeeded in between', async () => {
    // Every other company fails: 6 failures in all, never 2 in a row.
    for (let i = 0; i < 12; i += 2) standIn.addFault(`/submissions/CIK${cik(i)}`, { kind: 'status', status: 500 }, 1000);
    const config = writeTestConfig(dir, standIn.url, {
      processing: { max_workers: 1 },
      error_handling: { max_consecutive_failures: 2, max_retries_per_stock: 0, retry_failed_stocks: false, min_success_rate: 0.5 },
    });
    const run = await runInProcess(config);
    expect(run.code, explain(run)).toBe(0);
    expect(lastReport()).toMatchObject({ status: 'completed', failed: 6, successful: 6, success_rate: '50.00%' });
  });

  it('stops at the first failure with continue_on_error false', async () => {
    standIn.addFault(`/companyfacts/CIK${cik(2)}`, { kind: 'status', status: 500 }, 1000);
    const config = writeTestConfig(dir, standIn.url, { processing: { max_workers: 1 }, error_handling: { continue_on_error: false, max_retries_per_stock: 0 } });
    const run = await runInProcess(config);
    expect(run.code).toBe(3);
    expect(lastReport()).toMatchObject({ status: 'aborted', successful: 2, failed: 1, failed_symbols: [sym(2)], not_started: 9 });
    expect(lastReport().error_message).toContain('continue_on_error');
  });

  it('gives failed stocks a second pass at the end with retry_failed_stocks', async () => {
    // Fails all three attempts of the main pass, then recovers.
    standIn.addFault(`/companyfacts/CIK${cik(7)}`, { kind: 'status', status: 503 }, 3);
    const config = writeTestConfig(dir, standIn.url);
    const run = await runInProcess(config);
    expect(run.code, explain(run)).toBe(0);
    expect(lastReport()).toMatchObject({ successful: 12, failed: 0, retried_symbols: [sym(7)] });
  });

  it('leaves a failure failed without retry_failed_stocks', async () => {
    standIn.addFault(`/companyfacts/CIK${cik(7)}`, { kind: 'status', status: 503 }, 3);
    const config = writeTestConfig(dir, standIn.url, { error_handling: { retry_failed_stocks: false, min_success_rate: 0.5 } });
    const run = await runInProcess(config);
    expect(run.code, explain(run)).toBe(0);
    expect(lastReport()).toMatchObject({ successful: 11, failed: 1, failed_symbols: [sym(7)], retried_symbols: [] });
  });

  it('backs up the database before a run; the backup restores to the previous night', async () => {
    const config = writeTestConfig(dir, standIn.url, { database: { keep_last_n_backups: 2 } });
    expect((await runInProcess(config, { now: '2026-11-25T02:00:00Z' })).code).toBe(0);
    expect(existsSync(path.join(dir, 'backups'))).toBe(false); // nothing to back up on the first night
    const firstPrice = query<{ price: number }>('SELECT price FROM stock_metrics WHERE symbol = ?', sym(0))[0]?.price;

    // Prices move; three more nights, each backing up the one before.
    const history = data.sparks?.get(sym(0)) as { timestamp: number[]; close: (number | null)[] };
    data.sparks?.set(sym(0), { timestamp: history.timestamp, close: [...history.close.slice(0, -1), 99.5] });
    for (const night of ['2026-11-26T02:00:00Z', '2026-11-27T02:00:00Z', '2026-11-28T02:00:00Z']) {
      const run = await runInProcess(config, { now: night });
      expect(run.code, explain(run)).toBe(0);
    }
    const backups = readdirSync(path.join(dir, 'backups')).sort();
    expect(backups).toHaveLength(2); // keep_last_n_backups
    // Named by when they were written (a same-second name gets _1, _2).
    expect(backups.every((name) => /^stocks_backup_\d{8}_\d{6}(?:_\d+)?\.db$/.test(name))).toBe(true);
    expect(lastReport().backup?.path).toBe(path.join(dir, 'backups', backups.at(-1) as string));

    const oldest = new Database(path.join(dir, 'backups', backups[0] as string), { readonly: true });
    expect(oldest.pragma('integrity_check', { simple: true })).toBe('ok');
    oldest.close();
    // Restore the older kept backup (taken before the third night): it holds the second night's data.
    copyFileSync(path.join(dir, 'backups', backups[0] as string), path.join(dir, 'stocks.db'));
    // A restore replaces the database file and drops the old write-ahead log with it.
    for (const suffix of ['-wal', '-shm']) rmSync(path.join(dir, `stocks.db${suffix}`), { force: true });
    expect(query('SELECT COUNT(*) AS n FROM stocks')).toEqual([{ n: 12 }]);
    expect(query<{ price: number }>('SELECT price FROM stock_metrics WHERE symbol = ?', sym(0))[0]?.price).toBe(99.5);
    expect(firstPrice).toBe(20);
    expect(query('SELECT COUNT(*) AS n FROM sync_runs')).toEqual([{ n: 2 }]);
  }, 30_000);

  it('re-runs a missed night (BATCH_REFRESH_NOW in the past): keeps its fresh backup, and its report is the newest', async () => {
    const config = writeTestConfig(dir, standIn.url, { database: { keep_last_n_backups: 1 }, reporting: { keep_last_n_reports: 2 } });
    for (const night of ['2026-11-27T02:00:00Z', '2026-11-28T02:00:00Z']) {
      const run = await runInProcess(config, { now: night });
      expect(run.code, explain(run)).toBe(0);
    }
    const before = readdirSync(path.join(dir, 'backups'));
    expect(before).toHaveLength(1);
    // The operator re-runs the night of the 26th, which the machine slept through.
    const rerun = await runInProcess(config, { now: '2026-11-26T02:00:00Z', flags: { json: true } });
    expect(rerun.code, explain(rerun)).toBe(0);
    const report = reportOf(rerun);
    const backups = readdirSync(path.join(dir, 'backups'));
    expect(backups).toHaveLength(1);
    expect(backups).not.toEqual(before); // the older backup went, the fresh one stayed
    expect(report.backup?.path).toBe(path.join(dir, 'backups', backups[0] as string));
    // `cat reports/batch_summary_*.json | tail -1` is the run that just ran, and pruning kept it.
    const reports = readReports();
    expect(reports).toHaveLength(2);
    expect(lastReport().start_time).toBe(report.start_time);
    expect(new Date(report.start_time).toISOString()).toMatch(/^2026-11-26T02:00:0/);
  }, 30_000);

  it('starts no stock after processing.max_runtime_minutes and says so in the report', async () => {
    // A 0.3 s budget with Yahoo spaced 0.2 s apart and one worker: a few stocks, not twelve.
    const config = writeTestConfig(dir, standIn.url, { processing: { max_workers: 1, max_runtime_minutes: 0.005 }, rate_limiting: { yfinance_delay_seconds: 0.2 } });
    const run = await runInProcess(config, { flags: { json: true } });
    expect(run.code, explain(run)).toBe(0);
    const report = reportOf(run);
    expect(report).toMatchObject({ status: 'completed', time_budget_exhausted: true, failed: 0, total_stocks: 12 });
    expect(report.successful).toBeGreaterThan(0);
    expect(report.successful).toBeLessThan(12);
    expect(report.not_started).toBe(12 - report.successful);
  });

  it('pauses delay_between_batches_seconds between batches, and only between them', async () => {
    const config = writeTestConfig(dir, standIn.url, { processing: { batch_size: 5, delay_between_batches_seconds: 1.2, max_workers: 5 } });
    const run = await runInProcess(config);
    expect(run.code, explain(run)).toBe(0);
    // 12 stocks in batches of 5, 5, 2: two pauses, the only silences of 1.2 s between any two
    // requests (SEC's one-second window can leave gaps just under 1 s inside a batch).
    const times = standIn.requests.map((r) => r.at).sort((a, b) => a - b);
    const gaps = times.slice(1).map((time, i) => time - (times[i] as number));
    expect(gaps.filter((gap) => gap >= 1200)).toHaveLength(2);
  });

  it('rotates the log file at max_log_size_mb and keeps backup_count files', async () => {
    const config = writeTestConfig(dir, standIn.url, { logging: { max_log_size_mb: 0.001, backup_count: 2, log_level: 'DEBUG' } });
    expect((await runInProcess(config, { flags: { verbose: true } })).code).toBe(0);
    const files = readdirSync(path.join(dir, 'logs'));
    expect(files).toContain('batch_refresh.log');
    // 12 per-stock debug lines and the rest are over 1 KiB: rotated files exist, at most two kept.
    const rotated = files.filter((name) => /^\d{8}-\d{4}-\d{2}-batch_refresh\.log$/.test(name));
    expect(rotated.length).toBeGreaterThanOrEqual(1);
    expect(rotated.length).toBeLessThanOrEqual(2);
    expect(readFileSync(path.join(dir, 'logs', 'batch_refresh.log'), 'utf8').length).toBeLessThanOrEqual(1024 + 200);
  });

  it('starts each run in the log file with one line (version, run id, PID, config, plan); every line of the run carries its id', async () => {
    const config = writeTestConfig(dir, standIn.url, { logging: { log_level: 'DEBUG' } });
    for (const night of ['2026-11-25T02:00:00Z', '2026-11-26T02:00:00Z']) {
      expect((await runInProcess(config, { now: night })).code).toBe(0);
    }
    const lines = readFileSync(path.join(dir, 'logs', 'batch_refresh.log'), 'utf8')
      .trimEnd()
      .split('\n');
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const header = new RegExp(
      `^\\S+ INFO    \\[([0-9a-f]{8})\\] run \\1: batch-refresh ${version.replace(/\./g, '\\.')}, PID \\d+, config ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; plan: 12 stocks, 12 companies, 2 batches$`,
    );
    const first = header.exec(lines[0] as string);
    expect(first, lines[0]).not.toBeNull();
    const secondStart = lines.findIndex((line, index) => index > 0 && header.test(line));
    expect(secondStart).toBeGreaterThan(1);
    const second = header.exec(lines[secondStart] as string) as RegExpExecArray;
    expect(second[1]).not.toBe(first?.[1]);
    // Everything before the second header is the first run's, everything after it the second's.
    expect(lines.slice(0, secondStart).every((line) => line.includes(`[${String(first?.[1])}] `))).toBe(true);
    expect(lines.slice(secondStart).every((line) => line.includes(`[${String(second[1])}] `))).toBe(true);
    // Lines logged before the plan was known (the backup) come after the header, not before it.
    expect(lines.slice(secondStart).some((line) => line.includes('backup: '))).toBe(true);
  });

  it('--symbols refreshes only the named symbols of the universe and names those it could not find', async () => {
    const config = writeTestConfig(dir, standIn.url);
    const now = '2026-11-25T02:00:00Z';
    const run = await runInProcess(config, { now, flags: { json: true, symbols: `${sym(3).toLowerCase()},NOPE,${sym(9)},ZZZZ` } });
    expect(run.code, explain(run)).toBe(0);
    expect(run.report).toMatchObject({ total_stocks: 2, successful: 2, success_ratio: 1, symbols_not_found: ['NOPE', 'ZZZZ'], universe_size: 12 });
    expect(run.console).toMatch(/--symbols: 2 symbols are not in the universe \(SEC company_tickers_exchange\.json.*\): NOPE, ZZZZ/);
    expect(readFileSync(path.join(dir, 'logs', 'batch_refresh.log'), 'utf8')).toMatch(/not in the universe.*NOPE, ZZZZ/);
    expect(query('SELECT symbol FROM stocks ORDER BY symbol')).toEqual([{ symbol: sym(3) }, { symbol: sym(9) }]);
    // The run's universe is the whole market's twelve, not the two asked for: status counts ten never refreshed.
    const loaded = loadConfig(config);
    if (!loaded.ok) throw new Error(loaded.issues.join('; '));
    const status = await readStatus(loaded.config, { now: createClock(now), nextTimerElapse: () => Promise.resolve(null) });
    expect(status.freshness).toMatchObject({ stocks: 2, never_refreshed: 10 });
  });

  it('prunes reports beyond keep_last_n_reports', async () => {
    const config = writeTestConfig(dir, standIn.url, { reporting: { keep_last_n_reports: 2 }, database: { backup_before_run: false } });
    for (const night of ['2026-11-26T02:00:00Z', '2026-11-27T02:00:00Z', '2026-11-28T02:00:00Z']) {
      expect((await runInProcess(config, { now: night })).code).toBe(0);
    }
    const names = readReports().map((report) => report.name);
    expect(names).toHaveLength(2);
    // The two written last are kept: the nights of the 27th and the 28th.
    const nights = readReports().map((report) => new Date((JSON.parse(report.text) as SummaryReport).start_time).toISOString().slice(0, 10));
    expect(nights).toEqual(['2026-11-27', '2026-11-28']);
  });
});

describe('incremental nights (force_refresh false)', () => {
  /** A first full night, then company 5 files a 10-Q on 2026-11-24. */
  async function fullNightThenAFiling(): Promise<void> {
    const full = writeTestConfig(dir, standIn.url);
    expect((await runInProcess(full, { now: '2026-11-24T07:00:00Z' })).code).toBe(0);
    standIn.requests.splice(0);
    const changed = companies[5] as SyntheticCompany;
    const submissions = syntheticSubmissions(changed, 5) as { filings: { recent: Record<string, string[]> } };
    for (const [key, values] of Object.entries({
      accessionNumber: '0009000006-26-000099',
      filingDate: '2026-11-24',
      reportDate: '2026-09-30',
      acceptanceDateTime: '2026-11-24T16:00:00.000Z',
      form: '10-Q',
      primaryDocument: 'q3.htm',
      primaryDocDescription: '10-Q',
    })) {
      submissions.filings.recent[key]?.unshift(values);
    }
    data.submissions.set(changed.cik, jsonBody(submissions));
  }

  const incrementalConfig = (): string => writeTestConfig(dir, standIn.url, { processing: { force_refresh: false } });
  const secPaths = (): string[] => standIn.requests.filter((r) => r.source === 'sec').map((r) => r.path);

  it('reads the daily index to find who filed: SEC is asked only about them, prices are all refreshed', async () => {
    await fullNightThenAFiling();
    const header = 'Description:           Daily Index of EDGAR Dissemination Feed\nLast Data Received:    Nov 24, 2026\n \nCIK|Company Name|Form Type|Date Filed|File Name\n' + '-'.repeat(80) + '\n';
    const lines = [
      `${Number(cik(5))}|Test Company 6 Inc.|10-Q|20261124|edgar/data/${Number(cik(5))}/0009000006-26-000099.txt`,
      `${Number(cik(7))}|Test Company 8 Inc.|4|20261124|edgar/data/${Number(cik(7))}/0001209191-26-000001.txt`,
      '320193|APPLE INC|10-K|20261124|edgar/data/320193/0000320193-26-000001.txt',
    ];
    // CRLF, as some copies of the index come.
    data.dailyIndexes = new Map([['2026/QTR4/master.20261124.idx', { data: Buffer.from((header + lines.join('\n') + '\n').replace(/\n/g, '\r\n')), gzipped: false }]]);

    const run = await runInProcess(incrementalConfig(), { now: '2026-11-25T07:00:00Z', flags: { json: true } });
    expect(run.code, explain(run)).toBe(0);
    const report = reportOf(run);
    expect(report).toMatchObject({ successful: 12, unchanged: 11, failed: 0, change_detection: 'daily-index', index_days: 2, companies_changed: 1 });
    // Monday has no file and Tuesday's was read: Monday was a day without filings, not one to read again.
    expect(report.daily_index).toEqual({ days_read: ['2026-11-24'], no_file_days: ['2026-11-23'], missing_days: [], damaged_days: [] });
    // The ticker file, Monday's index (none: 404) and Tuesday's, then the one company that filed.
    expect(secPaths()).toEqual([
      '/files/company_tickers_exchange.json',
      '/Archives/edgar/daily-index/2026/QTR4/master.20261123.idx',
      '/Archives/edgar/daily-index/2026/QTR4/master.20261124.idx',
      `/submissions/CIK${cik(5)}.json`,
      `/api/xbrl/companyfacts/CIK${cik(5)}.json`,
    ]);
    expect(report.requests.sec).toBe(5);
    // Every price, 20 symbols a request: the 12 stocks in their two batches.
    expect(standIn.requests.filter((r) => r.source === 'yahoo').map((r) => r.path.split('?')[0])).toEqual(['/v8/finance/spark', '/v8/finance/spark']);
    expect(query('SELECT form FROM sec_filings WHERE accession_number = ?', '0009000006-26-000099')).toEqual([{ form: '10-Q' }]);
  });

  it('falls back to checking every company when a daily index is no index (a page served with 200), naming why', async () => {
    await fullNightThenAFiling();
    // Read as an index, such a page would say "nobody filed" and the filer would be missed.
    data.dailyIndexes = new Map([['2026/QTR4/master.20261124.idx', { data: Buffer.from('<html><body>Please slow down</body></html>'), gzipped: false }]]);
    const run = await runInProcess(incrementalConfig(), { now: '2026-11-25T07:00:00Z', flags: { json: true } });
    expect(run.code, explain(run)).toBe(0);
    const report = reportOf(run);
    expect(report).toMatchObject({ successful: 12, unchanged: 11, change_detection: 'per-company', companies_changed: null });
    expect(report.change_detection_note).toBe(
      'daily index 2026/QTR4/master.20261124.idx damaged (daily index: header: no "CIK|Company Name|Form Type|Date Filed|File Name" line: not an EDGAR index, 3 attempts)',
    );
    // Monday had no file (404) and Tuesday came damaged.
    expect(report.daily_index).toEqual({ days_read: [], no_file_days: [], missing_days: [], damaged_days: ['2026-11-24'] });
    // A damaged index may be whole on the next try: asked once and retried twice (max_retries_per_stock).
    expect(secPaths().filter((p) => p.endsWith('master.20261124.idx'))).toHaveLength(3);
    expect(query('SELECT form FROM sec_filings WHERE accession_number = ?', '0009000006-26-000099')).toEqual([{ form: '10-Q' }]);
  });

  it('falls back to checking every company when the daily index cannot be had, and says so', async () => {
    await fullNightThenAFiling();
    standIn.addFault('/daily-index/', { kind: 'status', status: 503 }, 1000);
    const run = await runInProcess(incrementalConfig(), { now: '2026-11-25T07:00:00Z', flags: { json: true } });
    expect(run.code, explain(run)).toBe(0);
    const report = reportOf(run);
    expect(report).toMatchObject({ successful: 12, unchanged: 11, change_detection: 'per-company', companies_changed: null });
    // Asked conditionally: the eleven unchanged submissions came back 304 without a body, and so
    // did the filer's companyfacts (the synthetic facts do not change with its new 10-Q).
    expect(report.not_modified).toEqual({ sec: 12, yahoo: 0 });
    expect(report.change_detection_note).toMatch(/daily index 2026\/QTR4\/master\.20261123\.idx unavailable/);
    // Every company's submissions, companyfacts only for the one whose newest filing changed.
    expect(secPaths().filter((p) => p.startsWith('/submissions/'))).toHaveLength(12);
    expect(secPaths().filter((p) => p.includes('/companyfacts/'))).toEqual([`/api/xbrl/companyfacts/CIK${cik(5)}.json`]);

    // Past refetch_threshold_days every company's facts are asked for again, conditionally: the
    // server says none changed (304), so nothing is downloaded or rewritten.
    standIn.clearFaults();
    standIn.requests.splice(0);
    const late = await runInProcess(incrementalConfig(), { now: '2026-12-30T07:00:00Z', flags: { json: true } });
    const lateReport = reportOf(late);
    expect(lateReport).toMatchObject({ successful: 12, unchanged: 12, not_modified: { sec: 24 } });
    expect(secPaths().filter((p) => p.includes('/companyfacts/'))).toHaveLength(12);
    // A changed body is downloaded again in full.
    data.companyFacts.set(Number(cik(3)), jsonBody({ facts: {} }));
    standIn.requests.splice(0);
    const changedFacts = await runInProcess(incrementalConfig(), { now: '2027-02-15T07:00:00Z', flags: { json: true } });
    expect(changedFacts.report).toMatchObject({ successful: 12, unchanged: 11, not_modified: { sec: 23 } });
  });

  it('--limit takes never-refreshed stocks first, then the stalest', async () => {
    const incremental = writeTestConfig(dir, standIn.url, { processing: { force_refresh: false } });
    const first = await runInProcess(incremental, { now: '2026-11-20T02:00:00Z', flags: { limit: 4, json: true } });
    expect(reportOf(first).total_stocks).toBe(4);
    const second = await runInProcess(incremental, { now: '2026-11-21T02:00:00Z', flags: { dryRun: true, json: true, limit: 6 } });
    // Eight never refreshed come first (universe order), so the limit of 6 takes the next six of them.
    expect(planOf(second).symbols).toEqual([4, 5, 6, 7, 8, 9].map(sym));
    await runInProcess(incremental, { now: '2026-11-22T02:00:00Z', flags: { limit: 8 } });
    // Now all have data; the four refreshed on the 20th are the stalest.
    const third = await runInProcess(incremental, { now: '2026-11-23T02:00:00Z', flags: { dryRun: true, json: true, limit: 4 } });
    const stalest: string[] = planOf(third).symbols;
    expect([...stalest].sort()).toEqual([0, 1, 2, 3].map(sym));
    // Among them, the order is that of their refresh times (workers finish in any order).
    const times = stalest.map((symbol) => query<{ t: string }>('SELECT last_refreshed_at AS t FROM stocks WHERE symbol = ?', symbol)[0]?.t as string);
    expect(times).toEqual([...times].sort());
    expect(times.every((time) => time.startsWith('2026-11-20'))).toBe(true);
  }, 30_000);
});
