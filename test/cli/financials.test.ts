import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSampleDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn, type StandInData } from '../../dev/stand-in/server.js';
import { FIXTURES, tempDir, writeTestConfig } from '../helpers/cli.js';
import { explain, runInProcess, type InProcessRun } from '../helpers/in-process.js';

/**
 * The real sample data through a whole run (in-process): Apple's complete companyfacts and
 * submissions and its recorded Yahoo chart, and NVIDIA's, stored and turned into the screener's numbers.
 */
let standIn: StandIn;
let data: StandInData;
let dir: string;
let db: Database.Database;
let firstRun: InProcessRun;

const APPLE_10K = '320193/000032019325000079/aapl-20250927.htm';

beforeAll(async () => {
  data = loadSampleDataset(FIXTURES);
  // Apple's latest 10-K (per its real submissions) served as a 10-K document in iXBRL form.
  data.documents = new Map([[APPLE_10K, { data: readFileSync(path.join(FIXTURES, 'sec', '10k', 'handmade-ixbrl-10k.htm')), gzipped: false }]]);
  standIn = await startStandIn({ data });
  dir = tempDir();
  const config = writeTestConfig(dir, standIn.url, { processing: { fetch_filing_sections: true } });
  firstRun = await runInProcess(config, { now: '2026-11-30T02:00:00Z', flags: { symbols: 'AAPL,NVDA,TSLA' } });
  db = new Database(path.join(dir, 'stocks.db'), { readonly: true });
}, 60_000);

afterAll(async () => {
  (db as Database.Database | undefined)?.close();
  await standIn.close();
});

const row = (symbol: string, year: number, period: string): Record<string, number | string | null> =>
  db.prepare('SELECT * FROM earnings_history WHERE symbol = ? AND fiscal_year = ? AND period = ?').get(symbol, year, period) as Record<string, number | string | null>;

describe('financial data a screener can trust, through a real run', () => {
  it('completes', () => {
    expect(firstRun.code, explain(firstRun)).toBe(0);
  });

  it("stores Apple's annual figures as its 10-Ks state them", () => {
    const fy2024 = row('AAPL', 2024, 'FY');
    expect(fy2024).toMatchObject({ eps_diluted: 6.08, eps_diluted_adjusted: 6.08, revenue: 391_035_000_000, net_income: 93_736_000_000, period_end: '2024-09-28', form: '10-K' });
    expect(fy2024.operating_cash_flow).toBe(118_254_000_000);
    expect(fy2024.total_liabilities).toBe(308_030_000_000);
    expect(fy2024.stockholders_equity).toBe(56_950_000_000);
  });

  it('puts per-share values filed before the 2020 and 2014 splits on the post-2020 basis', () => {
    expect(row('AAPL', 2017, 'FY')).toMatchObject({ eps_diluted: 9.21, eps_diluted_adjusted: 2.3025 });
    // FY2013 was restated for the 2014 7:1 split in later 10-Ks (39.75 -> 5.68); FY2011 was last
    // filed in 2013, before it, so both splits apply to it.
    expect(row('AAPL', 2013, 'FY')).toMatchObject({ eps_diluted: 5.68, eps_diluted_adjusted: 1.42 });
    const fy2011 = row('AAPL', 2011, 'FY');
    expect(fy2011.eps_diluted).toBe(27.68);
    expect(fy2011.eps_diluted_adjusted as number).toBeCloseTo(27.68 / 28, 4);
    const splits = db.prepare("SELECT date, ratio, source FROM stock_splits WHERE symbol = 'AAPL' ORDER BY date").all() as { date: string; ratio: number; source: string }[];
    // The recorded chart carries the 2020 split; the 2014 one is seen in the restated filings.
    expect(splits.map((split) => [split.ratio, split.source])).toEqual([
      [7, 'restatement'],
      [4, 'yahoo'],
    ]);
    expect(splits[1]?.date).toBe('2020-08-31');
  });

  it("stores Apple's FY2024 quarters, which add up to the year", () => {
    const quarters = ['Q1', 'Q2', 'Q3', 'Q4'].map((q) => row('AAPL', 2024, q));
    expect(quarters).not.toContain(undefined);
    expect(quarters.reduce((sum, quarter) => sum + (quarter.revenue as number), 0)).toBe(391_035_000_000);
    expect(quarters.reduce((sum, quarter) => sum + (quarter.net_income as number), 0)).toBe(93_736_000_000);
    expect(quarters.reduce((sum, quarter) => sum + (quarter.eps_diluted as number), 0)).toBeCloseTo(6.08, 1);
  });

  it('computes the Lynch metrics from the stored earnings and the price', () => {
    const metrics = db.prepare("SELECT * FROM stock_metrics WHERE symbol = 'AAPL'").get() as Record<string, number | string | null>;
    const shares = (db.prepare("SELECT shares_outstanding FROM stocks WHERE symbol = 'AAPL'").get() as { shares_outstanding: number }).shares_outstanding;
    expect(shares).toBeGreaterThan(14e9);
    // The price is the last close of the recorded spark year (2022-05-27).
    expect(metrics.price).toBe(149.64);
    expect(metrics.market_cap).toBe(Math.round(149.64 * shares));
    expect(metrics.ttm_eps).toBeCloseTo(6.08, 1);
    expect(metrics.pe_ratio as number).toBeCloseTo(149.64 / (metrics.ttm_eps as number), 3);
    expect(metrics.eps_growth_rate).not.toBeNull();
    expect(metrics.peg_ratio as number).toBeCloseTo((metrics.pe_ratio as number) / (metrics.eps_growth_rate as number), 2);
    expect(metrics.debt_to_equity as number).toBeCloseTo(308_030_000_000 / 56_950_000_000, 3);
    expect(['slow_grower', 'stalwart', 'fast_grower', 'turnaround', 'cyclical']).toContain(metrics.lynch_category);
    // Tesla has no recorded price: no P/E, no market cap, but its growth is still computed.
    const tesla = db.prepare("SELECT price, pe_ratio, market_cap FROM stock_metrics WHERE symbol = 'TSLA'").get() as Record<string, unknown> | undefined;
    expect(tesla === undefined || (tesla.price === null && tesla.pe_ratio === null && tesla.market_cap === null)).toBe(true);
  });

  it("stores the latest 10-K's Items 1, 1A, 7 and 7A under its accession", () => {
    const sections = db.prepare('SELECT accession_number, section, length(content) AS n FROM filing_sections ORDER BY section').all() as { accession_number: string; section: string; n: number }[];
    expect(sections.map((section) => section.section)).toEqual(['1', '1A', '7', '7A']);
    expect(new Set(sections.map((section) => section.accession_number))).toEqual(new Set(['0000320193-25-000079']));
    expect(sections.every((section) => section.n > 200)).toBe(true);
  });

  it('fetches the 10-K again only when a newer one exists', async () => {
    const appleDocument = (): number => standIn.requests.filter((r) => r.path.endsWith(APPLE_10K)).length;
    const before = appleDocument();
    expect(before).toBe(1);
    const config = path.join(dir, 'batch_config.json');
    const again = await runInProcess(config, { now: '2026-12-01T02:00:00Z', flags: { symbols: 'AAPL' } });
    expect(again.code, explain(again)).toBe(0);
    expect(appleDocument()).toBe(before);
  });
});
