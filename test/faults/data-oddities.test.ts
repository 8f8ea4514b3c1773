import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSampleDataset, syntheticChart, syntheticSubmissions, type SyntheticCompany } from '../../dev/stand-in/datasets.js';
import { jsonBody, startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { FIXTURES, writeTestConfig } from '../helpers/cli.js';
import { explain, runInProcess, type InProcessRun } from '../helpers/in-process.js';
import { expectCleanEnd, lastReport, query, type Report } from '../helpers/run-output.js';
import { tempDirs } from '../helpers/temp-dirs.js';
import type { LynchMetrics } from '../../src/extract/lynch-metrics.js';

/*
 * Real-world data oddities, in one run over the real recorded companyfacts (Apple … Tesla, TSMC,
 * ASML, IREN) plus made-up companies for what the sample lacks: no XBRL facts at all, no
 * companyfacts (404), and Yahoo charts whose meta lacks the price or the 52-week high.
 */

const tempDir = tempDirs();
let standIn: StandIn;
let dir: string;
let result: InProcessRun;
let report: Report;

const NO_FACTS: SyntheticCompany = { cik: 9_100_001, symbol: 'NOXB', name: 'No XBRL Facts Corp', exchange: 'NYSE' };
const NO_COMPANYFACTS: SyntheticCompany = { cik: 9_100_002, symbol: 'NOFX', name: 'No Companyfacts Corp', exchange: 'Nasdaq' };

/** A stock_metrics row: the computed metrics, with the category as SQLite gives it back. */
interface MetricsRow extends Omit<LynchMetrics, 'lynch_category'> {
  symbol: string;
  price: number | null;
  fifty_two_week_high: number | null;
  fifty_two_week_low: number | null;
  lynch_category: string | null;
}

const metrics = (symbol: string): MetricsRow => {
  const [row] = query<MetricsRow>(dir, 'SELECT * FROM stock_metrics WHERE symbol = ?', symbol);
  if (row === undefined) throw new Error(`no stock_metrics row for ${symbol}`);
  return row;
};
const annual = (symbol: string) =>
  query<{ fiscal_year: number; form: string; eps_diluted: number | null; eps_diluted_adjusted: number | null; revenue: number | null; net_income: number | null }>(
    dir,
    "SELECT fiscal_year, form, eps_diluted, eps_diluted_adjusted, revenue, net_income FROM earnings_history WHERE symbol = ? AND period = 'FY' ORDER BY fiscal_year",
    symbol,
  );

/** A chart whose meta lacks `missing`, with the given price otherwise. */
function chartWithout(company: SyntheticCompany, price: number, missing: string[]): ReturnType<typeof jsonBody> {
  const chart = syntheticChart(company, 0) as { chart: { result: [{ meta: Record<string, unknown> }] } };
  const meta = chart.chart.result[0].meta;
  Object.assign(meta, { regularMarketPrice: price, fiftyTwoWeekHigh: price * 1.3, fiftyTwoWeekLow: price * 0.6 });
  for (const key of missing) Reflect.deleteProperty(meta, key);
  return jsonBody(chart);
}

const listing = (symbol: string, cik: number, exchange = 'Nasdaq'): SyntheticCompany => ({ cik, symbol, name: symbol, exchange });

beforeAll(async () => {
  const data = loadSampleDataset(FIXTURES);
  const tickers = JSON.parse((data.tickerFile as { data: Buffer }).data.toString()) as { fields: string[]; data: unknown[][] };
  for (const company of [NO_FACTS, NO_COMPANYFACTS]) {
    tickers.data.push([company.cik, company.name, company.symbol, company.exchange]);
    data.submissions.set(company.cik, jsonBody(syntheticSubmissions(company, 1)));
    data.charts.set(company.symbol, jsonBody(syntheticChart(company, 1)));
  }
  data.tickerFile = jsonBody(tickers);
  // XBRL with no facts at all, as SEC serves it for a company that never tagged anything.
  data.companyFacts.set(NO_FACTS.cik, jsonBody({ cik: NO_FACTS.cik, entityName: NO_FACTS.name, facts: {} }));
  // Prices where the sample has none: losses (Snowflake), a turnaround (Tesla).
  data.charts.set('SNOW', chartWithout(listing('SNOW', 1_640_147, 'NYSE'), 150, []));
  data.charts.set('TSLA', chartWithout(listing('TSLA', 1_318_605), 300, []));
  // Yahoo meta without the price and the 52-week high (new listings, funds): nulls, not a failure.
  data.charts.set('MSFT', chartWithout(listing('MSFT', 789_019), 400, ['regularMarketPrice', 'fiftyTwoWeekHigh']));
  data.charts.set('META', chartWithout(listing('META', 1_326_801), 600, ['regularMarketPrice', 'fiftyTwoWeekHigh', 'fiftyTwoWeekLow', 'currency', 'regularMarketTime', 'longName']));
  standIn = await startStandIn({ data });
  dir = tempDir('batch-refresh-oddities-');
  const config = writeTestConfig(dir, standIn.url);
  result = await runInProcess(config);
  report = lastReport(dir);
}, 60_000);

afterAll(async () => {
  await (standIn as StandIn | undefined)?.close();
});

describe('real-world data oddities', () => {
  it('the whole sample refreshes without a failure: exit 0, nothing on the console that only a crash prints', () => {
    expectCleanEnd(result);
    expect(result.code, explain(result)).toBe(0);
    // 15 NYSE/Nasdaq listings of the sample (GOOG and GOOGL share a CIK) and the two made-up companies.
    expect(report).toMatchObject({ status: 'completed', total_stocks: 17, successful: 17, failed: 0, skipped: 0, failures: [] });
  });

  it('a company with no XBRL facts ({"facts":{}}) is successful with no earnings rows', () => {
    expect(annual(NO_FACTS.symbol)).toEqual([]);
    expect(query(dir, 'SELECT name, cik FROM stocks WHERE symbol = ?', NO_FACTS.symbol)).toEqual([{ name: NO_FACTS.name, cik: NO_FACTS.cik }]);
    expect(query(dir, 'SELECT COUNT(*) AS n FROM sec_filings WHERE cik = ?', NO_FACTS.cik)).toEqual([{ n: 3 }]);
    expect(metrics(NO_FACTS.symbol)).toMatchObject({ price: 21, ttm_eps: null, pe_ratio: null, market_cap: null, lynch_category: null });
  });

  it('a company without companyfacts (404, no XBRL filer) is successful from its submissions and price', () => {
    expect(annual(NO_COMPANYFACTS.symbol)).toEqual([]);
    expect(query(dir, 'SELECT COUNT(*) AS n FROM sec_filings WHERE cik = ?', NO_COMPANYFACTS.cik)).toEqual([{ n: 3 }]);
    expect(metrics(NO_COMPANYFACTS.symbol)).toMatchObject({ price: 21, pe_ratio: null });
  });

  it('TSMC (20-F, ifrs-full, TWD) gets its annual rows with the IFRS values as filed', () => {
    const rows = annual('TSM');
    expect(rows.map((row) => row.fiscal_year)).toEqual([2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024]);
    expect(new Set(rows.map((row) => row.form))).toEqual(new Set(['20-F']));
    // FY2024 in TWD: revenue NT$2.894 trillion, profit attributable to owners NT$1.158 trillion, EPS NT$44.67.
    expect(rows.at(-1)).toEqual({ fiscal_year: 2024, form: '20-F', eps_diluted: 44.67, eps_diluted_adjusted: 44.67, revenue: 2_894_307_700_000, net_income: 1_158_380_200_000 });
  });

  it('ASML (20-F, IFRS, EUR) including its 2009 loss, and IREN across its move from IFRS 20-F to US-GAAP 10-K', () => {
    const asml = annual('ASML');
    expect(asml.find((row) => row.fiscal_year === 2009)).toMatchObject({ form: '20-F', eps_diluted: -0.35, net_income: -150_925_000 });
    expect(asml.find((row) => row.fiscal_year === 2023)).toMatchObject({ eps_diluted: 19.89, revenue: 27_558_500_000 });
    const iren = annual('IREN');
    expect(iren.map((row) => [row.fiscal_year, row.form, row.eps_diluted])).toEqual([
      [2020, '20-F', -0.1329],
      [2021, '20-F', -2.9274],
      [2022, '20-F/A', -10.25],
      [2023, '10-K', -3.14],
      [2024, '10-K', -0.29],
      [2025, '10-K', 0.39],
    ]);
    // Profit now after losses in the three years before.
    expect(metrics('IREN')).toMatchObject({ price: null, ttm_eps: expect.any(Number) as unknown, pe_ratio: null, lynch_category: 'turnaround' });
  });

  it("Tesla's loss years are negative EPS rows (as filed and split-adjusted); its metrics stay finite", () => {
    const losses = annual('TSLA').filter((row) => row.fiscal_year >= 2012 && row.fiscal_year <= 2019);
    expect(losses).toHaveLength(8);
    for (const row of losses) {
      expect(row.eps_diluted).toBeLessThan(0);
      expect(row.eps_diluted_adjusted).toBeLessThan(0);
      expect(row.net_income).toBeLessThan(0);
    }
    // FY2019: -0.98 as filed after the 2020 5:1 split; on today's basis also after the 2022 3:1.
    expect(annual('TSLA').find((row) => row.fiscal_year === 2019)).toMatchObject({ eps_diluted: -0.98, eps_diluted_adjusted: -0.3267 });
    const tesla = metrics('TSLA');
    expect(tesla.price).toBe(300);
    expect(tesla.ttm_eps).toBeGreaterThan(0);
    expect(tesla.pe_ratio).toBeCloseTo(300 / (tesla.ttm_eps as number), 2);
    // The five-year window starts in a loss year: no growth rate, no PEG; a loss in the three years
    // before a profit makes it a turnaround.
    expect(tesla).toMatchObject({ eps_growth_rate: null, peg_ratio: null, lynch_category: 'turnaround' });
  });

  it('negative TTM EPS (Snowflake, losses every year) gives a null P/E, growth and PEG, never a negative or infinite ratio', () => {
    const snow = metrics('SNOW');
    expect(snow.price).toBe(150);
    expect(snow.ttm_eps).toBeLessThan(0);
    expect(snow).toMatchObject({ pe_ratio: null, eps_growth_rate: null, peg_ratio: null, lynch_category: null });
    expect(snow.market_cap).toBeGreaterThan(0);
    expect(snow.debt_to_equity).toBeGreaterThan(0);
  });

  it('Yahoo meta without the price or the 52-week high stores nulls, and the stock is successful', () => {
    expect(metrics('MSFT')).toMatchObject({ price: null, fifty_two_week_high: null, fifty_two_week_low: 240, market_cap: null, pe_ratio: null, dividend_yield: null });
    // A bare meta: every quote field null, the fundamentals-only metrics still there.
    const meta = metrics('META');
    expect(meta).toMatchObject({ price: null, fifty_two_week_high: null, fifty_two_week_low: null, pe_ratio: null });
    expect(meta.ttm_eps).toBeGreaterThan(0);
    // No currency in the answer: a Nasdaq listing is quoted in US dollars.
    expect(query(dir, 'SELECT currency, price_time FROM stock_metrics WHERE symbol = ?', 'META')).toEqual([{ currency: 'USD', price_time: null }]);
    expect(report.failed_symbols).not.toContain('MSFT');
  });

  it('every stored metric and earnings figure is a finite number or NULL', () => {
    const numeric = ['price', 'fifty_two_week_high', 'fifty_two_week_low', 'market_cap', 'pe_ratio', 'ttm_eps', 'eps_growth_rate', 'peg_ratio', 'dividend_yield', 'debt_to_equity'] as const;
    const rows = query<MetricsRow>(dir, 'SELECT * FROM stock_metrics');
    expect(rows).toHaveLength(17);
    const bad = rows.flatMap((row) => numeric.filter((column) => row[column] !== null && !Number.isFinite(row[column])).map((column) => `${row.symbol}.${column}=${String(row[column])}`));
    expect(bad).toEqual([]);
    // SQLite keeps Infinity as a REAL; NaN becomes NULL. Neither may be in a ratio.
    for (const column of ['eps_diluted', 'eps_diluted_adjusted', 'revenue', 'net_income', 'operating_cash_flow', 'dividends_per_share', 'shares_diluted', 'total_liabilities', 'stockholders_equity']) {
      expect(query(dir, `SELECT COUNT(*) AS n FROM earnings_history WHERE ${column} IN (9e999, -9e999)`), column).toEqual([{ n: 0 }]);
    }
    expect(query<{ n: number }>(dir, 'SELECT COUNT(*) AS n FROM stock_metrics WHERE pe_ratio IS NOT NULL AND (ttm_eps IS NULL OR ttm_eps <= 0)')).toEqual([{ n: 0 }]);
  });
});
