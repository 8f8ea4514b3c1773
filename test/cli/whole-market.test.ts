import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonBody, startStandIn, type StandIn, type StandInData } from '../../dev/stand-in/server.js';
import { loadSampleDataset, syntheticCompanies, syntheticDataset, syntheticSubmissions, type SyntheticCompany } from '../../dev/stand-in/datasets.js';
import { writeBulkArchives } from '../../dev/stand-in/bulk-archives.js';
import type { SummaryReport } from '../../src/report/summary-report.js';
import { FIXTURES, tempDir, waitFor, writeTestConfig } from '../helpers/cli.js';
import { explain, reportOf, runInProcess, type InProcessFlags } from '../helpers/in-process.js';
import { query as queryDb } from '../helpers/run-output.js';

/*
 * The whole-market night: prices in spark batches of 20 symbols, the daily index naming the
 * companies that filed (also over a missed week), and rebuilds from SEC's bulk archives, run
 * in-process against the stand-in over 127.0.0.1.
 */

let standIn: StandIn | null = null;
let dir: string;

beforeEach(() => {
  dir = tempDir();
});

afterEach(async () => {
  await standIn?.close();
  standIn = null;
});

const query = <T>(sql: string, ...params: unknown[]): T[] => queryDb<T>(dir, sql, ...params);

async function night(now: string, overrides: Record<string, unknown> = {}, flags: InProcessFlags = {}): Promise<SummaryReport> {
  const config = writeTestConfig(dir, (standIn as StandIn).url, overrides);
  const run = await runInProcess(config, { now, flags: { json: true, ...flags } });
  expect(run.code, explain(run)).toBe(0);
  return reportOf(run);
}

const yahooPaths = (): string[] => (standIn as StandIn).requests.filter((r) => r.source === 'yahoo').map((r) => r.path);
const secPaths = (): string[] => (standIn as StandIn).requests.filter((r) => r.source === 'sec').map((r) => r.path);
const sparkSymbols = (p: string): string[] => (new URL(p, 'http://x').searchParams.get('symbols') ?? '').split(',');
const sparkRange = (p: string): string | null => new URL(p, 'http://x').searchParams.get('range');

describe('prices in spark batches', () => {
  let companies: SyntheticCompany[];
  let data: StandInData;

  beforeEach(async () => {
    companies = syntheticCompanies(25);
    data = syntheticDataset(companies);
    standIn = await startStandIn({ data });
  });

  it('asks for 20 symbols a request, seeds a year of closes, then only the last days', async () => {
    const report = await night('2026-11-25T07:00:00Z', { processing: { batch_size: 100 } });
    expect(report).toMatchObject({ successful: 25, failed: 0 });
    const sparks = yahooPaths().filter((p) => p.startsWith('/v8/finance/spark'));
    // 25 symbols: 20 + 5 (in either order: both are in flight at once), and not one chart request
    // (no filing shows a split).
    expect(sparks.map((p) => sparkSymbols(p).length).sort((a, b) => b - a)).toEqual([20, 5]);
    expect(new Set(sparks.flatMap(sparkSymbols))).toEqual(new Set(companies.map((c) => c.symbol)));
    expect(sparks.every((p) => sparkRange(p) === '1y')).toBe(true);
    expect(yahooPaths().filter((p) => p.startsWith('/v8/finance/chart'))).toEqual([]);
    expect(report.requests.yahoo).toBe(2);

    // The 52-week range is the highest and lowest close of the year stored in price_history.
    const symbol = (companies[7] as SyntheticCompany).symbol;
    const history = data.sparks?.get(symbol) as { timestamp: number[]; close: (number | null)[] };
    const closes = history.close.slice(-252).filter((c): c is number => c !== null);
    const [stored] = query<{ n: number; high: number; low: number }>('SELECT COUNT(*) AS n, MAX(close) AS high, MIN(close) AS low FROM price_history WHERE symbol = ?', symbol);
    expect(stored?.n).toBe(closes.length);
    const [metrics] = query<{ price: number; fifty_two_week_high: number; fifty_two_week_low: number }>(
      'SELECT price, fifty_two_week_high, fifty_two_week_low FROM stock_metrics WHERE symbol = ?',
      symbol,
    );
    expect(metrics).toEqual({ price: closes.at(-1), fifty_two_week_high: Math.max(...closes), fifty_two_week_low: Math.min(...closes) });

    // The next night each symbol has history up to yesterday: five days are enough.
    (standIn as StandIn).requests.splice(0);
    await night('2026-11-26T07:00:00Z', { processing: { batch_size: 100 } });
    const next = yahooPaths().filter((p) => p.startsWith('/v8/finance/spark'));
    expect(next).toHaveLength(2);
    expect(next.every((p) => sparkRange(p) === '5d')).toBe(true);
  });

  it('asks the chart endpoint for a symbol spark answers empty (delisted), and for nothing else', async () => {
    const delisted = (companies[3] as SyntheticCompany).symbol;
    data.sparks?.delete(delisted);
    const report = await night('2026-11-25T07:00:00Z', { processing: { batch_size: 100 } });
    expect(report).toMatchObject({ successful: 25, failed: 0 });
    expect(yahooPaths().filter((p) => p.startsWith('/v8/finance/chart'))).toEqual([`/v8/finance/chart/${delisted}?range=max&interval=3mo&events=split`]);
    // Its price is the chart's.
    const chart = JSON.parse((data.charts.get(delisted) as { data: Buffer }).data.toString()) as { chart: { result: { meta: { regularMarketPrice: number } }[] } };
    expect(query('SELECT price FROM stock_metrics WHERE symbol = ?', delisted)).toEqual([{ price: chart.chart.result[0]?.meta.regularMarketPrice }]);
  });

  it('falls back to one chart request a symbol when spark keeps failing', async () => {
    (standIn as StandIn).addFault('/v8/finance/spark', { kind: 'status', status: 503 }, 1000);
    const report = await night('2026-11-25T07:00:00Z', { processing: { batch_size: 100 } });
    expect(report).toMatchObject({ successful: 25, failed: 0 });
    expect(yahooPaths().filter((p) => p.startsWith('/v8/finance/chart'))).toHaveLength(25);
    expect(query<{ n: number }>('SELECT COUNT(*) AS n FROM stock_metrics WHERE price IS NOT NULL')[0]?.n).toBe(25);
  });

  it('does not turn a rate-limited batch into twenty chart requests: its prices are not refreshed, its stocks are', async () => {
    (standIn as StandIn).addFault('/v8/finance/spark', { kind: 'status', status: 429, headers: { 'retry-after': '0' } }, 1000);
    const config = writeTestConfig(dir, (standIn as StandIn).url, { processing: { batch_size: 100 }, error_handling: { retry_failed_stocks: false } });
    const run = await runInProcess(config, { now: '2026-11-25T07:00:00Z', flags: { json: true } });
    expect(run.code, explain(run)).toBe(0);
    const report = reportOf(run);
    expect(report).toMatchObject({ successful: 25, failed: 0, error_types: {} });
    expect(report.sources.yahoo).toMatchObject({ state: 'throttled', prices_refreshed: 0, prices_not_refreshed: 25, price_error_types: { rate_limited: 25 } });
    expect(yahooPaths().filter((p) => p.startsWith('/v8/finance/chart'))).toEqual([]);
    // The SEC data of every stock is stored all the same.
    expect(query<{ n: number }>("SELECT COUNT(DISTINCT symbol) AS n FROM earnings_history WHERE period = 'FY'")[0]?.n).toBe(25);
  });

  it('sees a split in the closes: the stored year goes on the new basis, the chart dates the split, per-share values follow', async () => {
    await night('2026-11-25T07:00:00Z', { processing: { batch_size: 100 } });
    const victim = companies[4] as SyntheticCompany;
    const history = data.sparks?.get(victim.symbol) as { timestamp: number[]; close: (number | null)[] };
    const before = history.close.slice(-252).filter((c): c is number => c !== null);
    const eps = query<{ fiscal_year: number; eps_diluted: number }>("SELECT fiscal_year, eps_diluted FROM earnings_history WHERE symbol = ? AND period = 'FY' ORDER BY fiscal_year", victim.symbol);
    // A 4:1 split on the last day: Yahoo answers every close on the new basis, and the chart has the event.
    const splitAt = history.timestamp.at(-1) as number;
    data.sparks?.set(victim.symbol, { timestamp: history.timestamp, close: history.close.map((c) => (c === null ? null : c / 4)) });
    const chart = JSON.parse((data.charts.get(victim.symbol) as { data: Buffer }).data.toString()) as { chart: { result: [Record<string, unknown>] } };
    chart.chart.result[0].events = { splits: { [splitAt]: { date: splitAt, numerator: 4, denominator: 1, splitRatio: '4:1' } } };
    data.charts.set(victim.symbol, jsonBody(chart));
    (standIn as StandIn).requests.splice(0);

    await night('2026-11-26T07:00:00Z', { processing: { batch_size: 100, force_refresh: false } });
    expect(yahooPaths().filter((p) => p.startsWith('/v8/finance/chart'))).toEqual([`/v8/finance/chart/${victim.symbol}?range=max&interval=3mo&events=split`]);
    expect(query('SELECT ratio, source FROM stock_splits WHERE symbol = ?', victim.symbol)).toEqual([{ ratio: 4, source: 'yahoo' }]);
    const [range] = query<{ n: number; high: number; low: number }>('SELECT COUNT(*) AS n, MAX(close) AS high, MIN(close) AS low FROM price_history WHERE symbol = ?', victim.symbol);
    expect(range?.n).toBe(before.length);
    expect(range?.high).toBeCloseTo(Math.max(...before) / 4, 6);
    expect(range?.low).toBeCloseTo(Math.min(...before) / 4, 6);
    expect(query<{ fifty_two_week_high: number }>('SELECT fifty_two_week_high FROM stock_metrics WHERE symbol = ?', victim.symbol)[0]?.fifty_two_week_high).toBeCloseTo(Math.max(...before) / 4, 6);
    // Every year was filed before the split: on today's basis, a quarter of the EPS as filed.
    const adjusted = query<{ fiscal_year: number; eps_diluted: number; eps_diluted_adjusted: number }>(
      "SELECT fiscal_year, eps_diluted, eps_diluted_adjusted FROM earnings_history WHERE symbol = ? AND period = 'FY' ORDER BY fiscal_year",
      victim.symbol,
    );
    expect(adjusted.map((row) => row.eps_diluted)).toEqual(eps.map((row) => row.eps_diluted));
    expect(adjusted.map((row) => row.eps_diluted_adjusted)).toEqual(eps.map((row) => Math.round((row.eps_diluted / 4) * 10_000) / 10_000));
    // The other symbols' closes did not move: nothing else was asked of the chart.
    expect(query<{ n: number }>('SELECT COUNT(*) AS n FROM stock_splits')[0]?.n).toBe(1);
  });

  it('asks the chart for split events only where the filings show a split not yet stored', async () => {
    // Apple's real companyfacts restate per-share values for the 2014 7:1 and 2020 4:1 splits.
    const sample = loadSampleDataset(FIXTURES);
    data.companyFacts.set(320193, sample.companyFacts.get(320193) as never);
    data.submissions.set(320193, sample.submissions.get(320193) as never);
    data.charts.set('AAPL', sample.charts.get('AAPL') as never);
    data.sparks?.set('AAPL', sample.sparks?.get('AAPL') as never);
    const tickers = JSON.parse((data.tickerFile as { data: Buffer }).data.toString()) as { fields: string[]; data: unknown[][] };
    tickers.data.push([320193, 'Apple Inc.', 'AAPL', 'Nasdaq']);
    data.tickerFile = jsonBody(tickers);
    await night('2026-11-25T07:00:00Z', { processing: { batch_size: 100 } });
    expect(yahooPaths().filter((p) => p.startsWith('/v8/finance/chart'))).toEqual(['/v8/finance/chart/AAPL?range=max&interval=3mo&events=split']);
    const splits = query<{ date: string; ratio: number }>('SELECT date, ratio FROM stock_splits WHERE symbol = ? ORDER BY date', 'AAPL');
    expect(splits.map((s) => s.ratio)).toEqual([7, 4]);
    // FY2017 EPS 9.21 as filed, 2.3025 on today's basis.
    expect(query('SELECT eps_diluted, eps_diluted_adjusted FROM earnings_history WHERE symbol = ? AND fiscal_year = 2017 AND period = ?', 'AAPL', 'FY')).toEqual([
      { eps_diluted: 9.21, eps_diluted_adjusted: 2.3025 },
    ]);

    // The splits are stored now: a later full night does not ask again.
    (standIn as StandIn).requests.splice(0);
    await night('2026-11-26T07:00:00Z', { processing: { batch_size: 100 } });
    expect(yahooPaths().filter((p) => p.startsWith('/v8/finance/chart'))).toEqual([]);
  });
});

describe('a missed week, caught up through the daily indexes', () => {
  it('reads every business day since the last success (404 on a holiday), in any line ending', async () => {
    const companies = syntheticCompanies(20);
    const data = syntheticDataset(companies);
    standIn = await startStandIn({ data });
    // A full night on Monday 16 November, then nothing until Wednesday 25 November.
    await night('2026-11-16T07:00:00Z');
    const filers = [2, 9, 15].map((index) => companies[index] as SyntheticCompany);
    const header =
      'Description:           Daily Index of EDGAR Dissemination Feed\nLast Data Received:    Nov 17, 2026\nComments:              webmaster@sec.gov\n \nCIK|Company Name|Form Type|Date Filed|File Name\n' +
      '-'.repeat(80) +
      '\n';
    const line = (company: SyntheticCompany, form: string, day: string, n: number) =>
      `${company.cik}|${company.name.toUpperCase()}|${form}|${day}|edgar/data/${company.cik}/${String(company.cik).padStart(10, '0')}-26-${String(n).padStart(6, '0')}.txt`;
    const index = (lines: string[], eol: string) => ({ data: Buffer.from((header + lines.join('\n') + '\n').replace(/\n/g, eol)), gzipped: false });
    data.dailyIndexes = new Map([
      ['2026/QTR4/master.20261117.idx', index([line(filers[0] as SyntheticCompany, '10-Q', '20261117', 1), line(companies[4] as SyntheticCompany, '4', '20261117', 2)], '\n')],
      ['2026/QTR4/master.20261118.idx', index([line(filers[1] as SyntheticCompany, '10-K/A', '20261118', 3)], '\r\n')],
      // 19 November: no file (404), as on a holiday.
      ['2026/QTR4/master.20261120.idx', index([line(filers[2] as SyntheticCompany, '6-K', '20261120', 4), line(companies[5] as SyntheticCompany, 'SC 13G', '20261120', 5)], '\r')],
      ['2026/QTR4/master.20261123.idx', index([], '\n')],
      ['2026/QTR4/master.20261124.idx', index([line(companies[6] as SyntheticCompany, '8-K', '20261124', 6)], '\n')],
    ]);
    for (const [n, company] of filers.entries()) {
      const submissions = syntheticSubmissions(company, companies.indexOf(company)) as { filings: { recent: Record<string, string[]> } };
      for (const [key, value] of Object.entries({
        accessionNumber: `${String(company.cik).padStart(10, '0')}-26-00000${n + 1}`,
        filingDate: '2026-11-17',
        reportDate: '2026-09-30',
        acceptanceDateTime: '2026-11-17T16:00:00.000Z',
        form: '10-Q',
        primaryDocument: 'q.htm',
        primaryDocDescription: '10-Q',
      })) {
        submissions.filings.recent[key]?.unshift(value);
      }
      data.submissions.set(company.cik, jsonBody(submissions));
    }
    standIn.requests.splice(0);
    const report = await night('2026-11-25T07:00:00Z', { processing: { force_refresh: false } });
    expect(report).toMatchObject({ refresh_path: 'daily-index', change_detection: 'daily-index', index_days: 7, companies_changed: 3, successful: 20, unchanged: 17 });
    // The 16th (the last run's own day) and the 19th have no file, and days after them were read: no filings then.
    expect(report.daily_index).toEqual({
      days_read: ['2026-11-17', '2026-11-18', '2026-11-20', '2026-11-23', '2026-11-24'],
      no_file_days: ['2026-11-16', '2026-11-19'],
      missing_days: [],
      damaged_days: [],
    });
    const indexes = secPaths().filter((p) => p.includes('/daily-index/'));
    expect(indexes.map((p) => p.slice(-12, -4))).toEqual(['20261116', '20261117', '20261118', '20261119', '20261120', '20261123', '20261124']);
    // Beyond the ticker file and the indexes, only the three filers' submissions and facts.
    const perCompany = secPaths().filter((p) => !p.includes('/daily-index/') && !p.startsWith('/files/'));
    expect(perCompany.sort()).toEqual(filers.flatMap((c) => [`/api/xbrl/companyfacts/CIK${String(c.cik).padStart(10, '0')}.json`, `/submissions/CIK${String(c.cik).padStart(10, '0')}.json`]).sort());
  });
});

describe('rebuilds from the bulk archives', () => {
  /** The rows a screener reads, without the times they were written. */
  function snapshot(): Record<string, unknown[]> {
    return {
      stocks: query('SELECT symbol, cik, name, exchange, sic, industry, fiscal_year_end, last_filing_accession, shares_outstanding, shares_outstanding_date FROM stocks ORDER BY symbol'),
      earnings: query('SELECT * FROM earnings_history ORDER BY symbol, fiscal_year, period').map((row) => ({ ...(row as object), id: undefined, updated_at: undefined })),
      filings: query('SELECT accession_number, symbol, cik, form, filing_date, report_date, primary_document FROM sec_filings ORDER BY accession_number'),
      splits: query('SELECT * FROM stock_splits ORDER BY symbol, date'),
      metrics: query(
        'SELECT symbol, price, market_cap, pe_ratio, fifty_two_week_high, fifty_two_week_low, ttm_eps, eps_growth_rate, peg_ratio, dividend_yield, debt_to_equity, lynch_category FROM stock_metrics ORDER BY symbol',
      ),
      prices: query('SELECT symbol, date, close FROM price_history ORDER BY symbol, date'),
      sections: query('SELECT accession_number, section, content FROM filing_sections ORDER BY accession_number, section'),
    };
  }

  let data: StandInData;
  let archiveDir: string;
  let universeCiks: Set<number>;
  beforeEach(async () => {
    // Real companyfacts and submissions (Apple, Tesla, NVIDIA, TSMC, …) and synthetic companies.
    data = loadSampleDataset(FIXTURES);
    const synthetic = syntheticDataset(syntheticCompanies(6));
    for (const [cik, body] of synthetic.companyFacts) data.companyFacts.set(cik, body);
    for (const [cik, body] of synthetic.submissions) data.submissions.set(cik, body);
    for (const [symbol, body] of synthetic.charts) data.charts.set(symbol, body);
    for (const [symbol, history] of synthetic.sparks ?? []) data.sparks?.set(symbol, history);
    const tickers = JSON.parse((data.tickerFile as { data: Buffer }).data.toString()) as { fields: string[]; data: unknown[][] };
    const synthTickers = JSON.parse((synthetic.tickerFile as { data: Buffer }).data.toString()) as { data: unknown[][] };
    tickers.data.push(...synthTickers.data);
    data.tickerFile = jsonBody(tickers);
    universeCiks = new Set(tickers.data.map((row) => Number(row[0])));
    // Apple's latest 10-K (per its real submissions), for the sections: the archives carry no documents.
    data.documents = new Map([['320193/000032019325000079/aapl-20250927.htm', { data: readFileSync(path.join(FIXTURES, 'sec', '10k', 'handmade-ixbrl-10k.htm')), gzipped: false }]]);
    archiveDir = tempDir();
    data.archives = await writeBulkArchives(data, archiveDir, [...data.companyFacts.keys(), ...data.submissions.keys()]);
    standIn = await startStandIn({ data });
  });

  it('stores the same rows from the archives as company by company', async () => {
    const sections = { processing: { fetch_filing_sections: true } };
    const perCompany = await night('2026-11-25T07:00:00Z', sections);
    expect(perCompany.refresh_path).toBe('per-company');
    const expected = snapshot();
    expect((expected.earnings as unknown[]).length).toBeGreaterThan(500);
    expect((expected.sections as { section: string }[]).map((row) => row.section)).toEqual(['1', '1A', '7', '7A']);

    dir = tempDir();
    (standIn as StandIn).requests.splice(0);
    const bulk = await night('2026-11-25T07:00:00Z', sections, { bulk: true });
    expect(bulk).toMatchObject({ refresh_path: 'bulk', total_stocks: perCompany.total_stocks, successful: perCompany.successful, failed: 0 });
    expect(snapshot()).toEqual(expected);
    // Two archives instead of two requests per company, and the latest 10-K documents for the sections.
    const asked = secPaths().filter((p) => !p.startsWith('/files/'));
    expect(asked.slice(0, 2)).toEqual(['/Archives/edgar/daily-index/xbrl/companyfacts.zip', '/Archives/edgar/daily-index/bulkdata/submissions.zip']);
    expect(asked.slice(2).every((p) => /^\/Archives\/edgar\/data\/\d+\/\d{18}\/[^/]+$/.test(p))).toBe(true);
    expect(bulk.bulk?.reason).toBe('requested (--bulk)');
    const [facts, submissions] = bulk.bulk?.archives as { name: string; bytes: number; total_bytes: number; entries_used: number; resumes: number; error: string | null }[];
    const size = statSync(path.join(archiveDir, 'companyfacts.zip')).size;
    expect(facts).toMatchObject({ name: 'companyfacts.zip', bytes: size, total_bytes: size, resumes: 0, error: null });
    expect(facts?.entries_used).toBe(data.companyFacts.size);
    expect(submissions?.entries_used).toBeGreaterThanOrEqual(data.submissions.size);
    expect(bulk.bytes_downloaded.sec).toBeGreaterThanOrEqual((facts?.bytes ?? 0) + (submissions?.bytes ?? 0));
  });

  it('rebuilds by itself on an empty database, and resumes an archive whose connection drops', async () => {
    (standIn as StandIn).addFault('/companyfacts.zip', { kind: 'cut', afterBytes: 40_000 }, 2);
    const report = await night('2026-11-25T07:00:00Z', { processing: { bulk_min_companies: 0 } });
    expect(report).toMatchObject({ refresh_path: 'bulk', failed: 0 });
    expect(report.bulk?.reason).toBe('the database is empty');
    expect(report.bulk?.archives[0]).toMatchObject({ resumes: 2, error: null });
    expect(query<{ n: number }>('SELECT COUNT(DISTINCT s.cik) AS n FROM earnings_history e JOIN stocks s USING (symbol)')[0]?.n).toBe(data.companyFacts.size);
    const ranges = (standIn as StandIn).requests.filter((r) => r.path.endsWith('companyfacts.zip'));
    expect(ranges).toHaveLength(3);
  });

  it.for([
    { name: 'not published (404)', unavailable: () => data.archives?.delete('/Archives/edgar/daily-index/xbrl/companyfacts.zip'), note: /companyfacts\.zip is not published \(HTTP 404\)/ },
    { name: 'failing (503)', unavailable: () => (standIn as StandIn).addFault('/companyfacts.zip', { kind: 'status', status: 503 }, 1000), note: /companyfacts\.zip cannot be had \(HTTP 503/ },
  ])('goes company by company when the archive is $name, and says so', async ({ unavailable, note }) => {
    unavailable();
    const report = await night('2026-11-25T07:00:00Z', {}, { bulk: true });
    expect(report).toMatchObject({ refresh_path: 'per-company', failed: 0 });
    expect(report.bulk?.note).toMatch(note);
    expect(new Set(secPaths().filter((p) => p.startsWith('/api/xbrl/companyfacts/')))).toEqual(
      new Set([...universeCiks].map((cik) => `/api/xbrl/companyfacts/CIK${String(cik).padStart(10, '0')}.json`)),
    );
  });

  it("aborts cleanly (exit 3) when SEC keeps refusing the archive (403 after it answered): three rate blocks, then 'throttling'", async () => {
    (standIn as StandIn).addFault('/submissions.zip', { kind: 'status', status: 403 }, 1000);
    const config = writeTestConfig(dir, (standIn as StandIn).url, { rate_limiting: { edgar_block_cooldown_seconds: 0.2 } });
    const run = await runInProcess(config, { now: '2026-11-25T07:00:00Z', flags: { json: true, bulk: true } });
    expect(run.code, explain(run)).toBe(3);
    const report = reportOf(run);
    expect(report).toMatchObject({ status: 'aborted', refresh_path: 'bulk', exit_code: 3 });
    expect(report.error_message).toMatch(/^SEC is throttling this host: blocked \(HTTP 403\) 3 times in one run/);
    expect(report.sources.sec).toMatchObject({ state: 'blocked', cooldowns: 2 });
    expect(secPaths().filter((p) => p.endsWith('/submissions.zip'))).toHaveLength(3);
    // What companyfacts.zip gave is stored; nothing was asked company by company.
    expect(query<{ n: number }>('SELECT COUNT(DISTINCT symbol) AS n FROM earnings_history')[0]?.n).toBeGreaterThan(0);
    expect(secPaths().filter((p) => p.startsWith('/submissions/CIK') || p.startsWith('/api/'))).toEqual([]);
  });

  it('SIGINT during a rebuild: stops reading at once; stocks an archive did not reach are not started, nothing is lost', async () => {
    (standIn as StandIn).addFault('/submissions.zip', { kind: 'delay', ms: 1500 }, 1);
    const config = writeTestConfig(dir, (standIn as StandIn).url);
    // The signal as the CLI hands it to the job (the process's own handling: test/cli/unattended.test.ts).
    const interrupt = new AbortController();
    const running = runInProcess(config, { now: '2026-11-25T07:00:00Z', flags: { json: true, bulk: true }, deps: { signal: interrupt.signal } });
    await waitFor(() => secPaths().some((p) => p.endsWith('submissions.zip')), 20_000, 'the submissions.zip request');
    interrupt.abort('SIGINT');
    const sent = Date.now();
    const run = await running;
    expect(Date.now() - sent).toBeLessThan(5000);
    expect(run.code, explain(run)).toBe(130);
    const report = reportOf(run);
    expect(report).toMatchObject({ status: 'interrupted', refresh_path: 'bulk', successful: 0, failed: 0, not_started: report.total_stocks });
    expect(report.bulk?.archives[1]).toMatchObject({ name: 'submissions.zip', error: null });
    // What companyfacts.zip gave is stored, whole; no company was asked for on its own.
    expect(query<{ n: number }>('SELECT COUNT(DISTINCT s.cik) AS n FROM earnings_history e JOIN stocks s USING (symbol)')[0]?.n).toBe(data.companyFacts.size);
    expect(secPaths().filter((p) => p.startsWith('/submissions/CIK') || p.startsWith('/api/'))).toEqual([]);
    expect(query('SELECT status FROM sync_runs')).toEqual([{ status: 'interrupted' }]);
  });

  it('refreshes the companies a broken archive did not reach one by one', async () => {
    (standIn as StandIn).addFault('/submissions.zip', { kind: 'status', status: 503 }, 1000);
    const report = await night('2026-11-25T07:00:00Z', {}, { bulk: true });
    expect(report).toMatchObject({ refresh_path: 'bulk', failed: 0 });
    expect(report.bulk?.archives[1]?.error).toMatch(/503/);
    expect(report.bulk?.note).toMatch(/^submissions\.zip: .*503/);
    // Nothing of submissions.zip was read: every company is asked for its own, and its facts.
    expect(report.bulk?.fallback_stocks).toBe(report.total_stocks);
    expect(new Set(secPaths().filter((p) => /^\/submissions\/CIK\d{10}\.json$/.test(p)))).toEqual(new Set([...universeCiks].map((cik) => `/submissions/CIK${String(cik).padStart(10, '0')}.json`)));
    expect(query<{ n: number }>('SELECT COUNT(*) AS n FROM stocks WHERE last_filing_accession IS NOT NULL')[0]?.n).toBeGreaterThan(0);
  });
});
