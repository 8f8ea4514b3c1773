import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBulkArchives } from '../../dev/stand-in/bulk-archives.js';
import { flatSparkHistory, loadSampleDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn, type StandInData } from '../../dev/stand-in/server.js';
import { FIXTURES, tempDir, writeTestConfig } from '../helpers/cli.js';
import { explain, runInProcess, type InProcessRun } from '../helpers/in-process.js';
import { query } from '../helpers/run-output.js';

/*
 * Issue 15, point 5 through whole nights (in-process, the stand-in on 127.0.0.1): TSMC (20-F, TWD)
 * and ASML (20-F, EUR) with `adr_ratios`, and Apple (10-K, USD), their real companyfacts; prices
 * and the exchange-rate pairs from the stand-in's spark endpoint (flat synthetic closes, stand-in
 * rates). Expected ratios are computed by hand from the filings' figures: TSMC NT$44.67 diluted
 * EPS for 2024 (20-F 0001193125-25-083423), ASML €24.71 for 2025 (20-F 0001628280-26-011378).
 */

let standIn: StandIn;
let data: StandInData;
let dir: string;
let first: InProcessRun;
let second: InProcessRun;
let secondNightSparks: string[][];
/** What the first night stored, read before the second. */
let firstNight: { metrics: Record<string, Metrics | undefined>; rates: { pair: string; date: string; rate: number }[] };

interface Metrics {
  price: number | null;
  pe_ratio: number | null;
  market_cap: number | null;
  metrics_note: string | null;
  fx_pair: string | null;
  fx_rate: number | null;
  fx_rate_date: string | null;
}

const metrics = (symbol: string): Metrics | undefined =>
  query<Metrics>(dir, 'SELECT price, pe_ratio, market_cap, metrics_note, fx_pair, fx_rate, fx_rate_date FROM stock_metrics WHERE symbol = ?', symbol)[0];
const rates = (): { pair: string; date: string; rate: number }[] => query(dir, 'SELECT pair, date, rate FROM fx_rates ORDER BY pair, date');

/** The symbols of each spark request since `from`. */
function sparkRequests(from: number): string[][] {
  return standIn.requests
    .slice(from)
    .filter((request) => request.path.startsWith('/v8/finance/spark'))
    .map((request) => (new URL(request.path, 'http://stand-in').searchParams.get('symbols') ?? '').split(','));
}

beforeAll(async () => {
  data = loadSampleDataset(FIXTURES);
  data.sparks?.set('TSM', flatSparkHistory(190, '2026-11-27'));
  data.sparks?.set('ASML', flatSparkHistory(700, '2026-11-27'));
  data.sparks?.set('TWDUSD=X', flatSparkHistory(0.0305, '2026-11-27'));
  data.sparks?.set('EURUSD=X', flatSparkHistory(1.08, '2026-11-27'));
  standIn = await startStandIn({ data });
  dir = tempDir();
  const config = writeTestConfig(dir, standIn.url, { adr_ratios: { TSM: 5, ASML: 1 } });
  first = await runInProcess(config, { now: '2026-11-28T02:00:00Z', flags: { symbols: 'TSM,ASML,AAPL' } });
  firstNight = { metrics: { TSM: metrics('TSM'), ASML: metrics('ASML'), AAPL: metrics('AAPL') }, rates: rates() };
  // The next night: a new TWD rate; Yahoo has no EURUSD=X any more.
  data.sparks?.set('TSM', flatSparkHistory(195, '2026-11-30'));
  data.sparks?.set('ASML', flatSparkHistory(710, '2026-11-30'));
  data.sparks?.set('TWDUSD=X', flatSparkHistory(0.031, '2026-11-30'));
  data.sparks?.delete('EURUSD=X');
  const before = standIn.requests.length;
  second = await runInProcess(config, { now: '2026-12-01T02:00:00Z', flags: { symbols: 'TSM,ASML,AAPL' } });
  secondNightSparks = sparkRequests(before);
}, 90_000);

afterAll(async () => {
  await standIn.close();
});

describe('a night with the exchange rates', () => {
  it('completes', () => {
    expect(first.code, explain(first)).toBe(0);
  });

  it('TSMC: P/E on EPS per ADS in USD, 190 ÷ (44.67 × 5 × 0.0305) = 27.8912; market cap 25,932,733,242 × 190 ÷ 5', () => {
    expect(firstNight.metrics.TSM).toEqual({
      price: 190,
      pe_ratio: 27.8912,
      market_cap: 985_443_863_196,
      metrics_note: null,
      fx_pair: 'TWDUSD=X',
      fx_rate: 0.0305,
      fx_rate_date: '2026-11-27',
    });
  });

  it('ASML: 700 ÷ (24.71 × 1.08) = 26.2302; market cap 385,417,665 × 700', () => {
    expect(firstNight.metrics.ASML).toMatchObject({ pe_ratio: 26.2302, market_cap: 269_792_365_500, metrics_note: null, fx_pair: 'EURUSD=X', fx_rate: 1.08 });
  });

  it('Apple, in USD: no rate', () => {
    expect(firstNight.metrics.AAPL).toMatchObject({ fx_pair: null, fx_rate: null, metrics_note: null });
    expect(metrics('AAPL')).toMatchObject({ fx_pair: null, fx_rate: null, metrics_note: null });
  });

  it('the report lists the night’s pairs', () => {
    expect(first.report?.sources.yahoo?.fx_rates).toEqual(
      expect.arrayContaining([
        { pair: 'TWDUSD=X', rate: 0.0305, date: '2026-11-27' },
        { pair: 'EURUSD=X', rate: 1.08, date: '2026-11-27' },
      ]),
    );
    expect(first.report?.sources.yahoo?.fx_rates).toHaveLength(2);
  });

  it('stores each pair’s rate and date once', () => {
    expect(firstNight.rates).toEqual([
      { pair: 'EURUSD=X', date: '2026-11-27', rate: 1.08 },
      { pair: 'TWDUSD=X', date: '2026-11-27', rate: 0.0305 },
    ]);
  });
});

describe('the next night: the stored currencies’ pairs ride with the prices; one pair fails', () => {
  it('completes, every stock successful', () => {
    expect(second.code, explain(second)).toBe(0);
    expect(second.report).toMatchObject({ total_stocks: 3, successful: 3, failed: 0, skipped: 0 });
  });

  it('asks for the pairs in the same spark request as stocks, once each, in no request of their own', () => {
    const pairs = ['EURUSD=X', 'TWDUSD=X'];
    const withPairs = secondNightSparks.filter((symbols) => symbols.some((symbol) => pairs.includes(symbol)));
    expect(withPairs).toHaveLength(1);
    expect(withPairs[0]).toEqual(expect.arrayContaining(pairs));
    expect(withPairs[0]?.some((symbol) => ['TSM', 'ASML', 'AAPL'].includes(symbol))).toBe(true);
    expect(
      secondNightSparks
        .flat()
        .filter((symbol) => pairs.includes(symbol))
        .sort(),
    ).toEqual(pairs);
  });

  it('TSMC with the refreshed rate: 195 ÷ (44.67 × 5 × 0.031) = 28.1635, and the new rate stored beside the old', () => {
    expect(metrics('TSM')).toMatchObject({ price: 195, pe_ratio: 28.1635, fx_rate: 0.031, fx_rate_date: '2026-11-30', metrics_note: null });
    expect(rates().filter((rate) => rate.pair === 'TWDUSD=X')).toEqual([
      { pair: 'TWDUSD=X', date: '2026-11-27', rate: 0.0305 },
      { pair: 'TWDUSD=X', date: '2026-11-30', rate: 0.031 },
    ]);
  });

  it('ASML without its pair: the price is stored, P/E NULL with the reason, the market cap stays (it needs no rate)', () => {
    const asml = metrics('ASML');
    expect(asml).toMatchObject({ price: 710, pe_ratio: null, market_cap: 273_646_542_150, fx_pair: null, fx_rate: null });
    expect(asml?.metrics_note).toMatch(/^reported in EUR, quoted in USD, no EURUSD=X rate \(yahoo: .+\): pe_ratio, peg_ratio and dividend_yield not computed$/);
    expect(second.report?.sources.yahoo?.fx_rates).toContainEqual({ pair: 'EURUSD=X', error: expect.stringMatching(/^yahoo: /) as string });
    expect(second.report?.sources.yahoo?.fx_rates).toContainEqual({ pair: 'TWDUSD=X', rate: 0.031, date: '2026-11-30' });
  });
});

describe('a rebuild from the bulk archives with the exchange rates', () => {
  let bulkStandIn: StandIn;
  let bulkDir: string;
  let run: InProcessRun;

  beforeAll(async () => {
    const bulkData = loadSampleDataset(FIXTURES);
    bulkData.sparks?.set('TSM', flatSparkHistory(190, '2026-11-27'));
    bulkData.sparks?.set('ASML', flatSparkHistory(700, '2026-11-27'));
    bulkData.sparks?.set('TWDUSD=X', flatSparkHistory(0.0305, '2026-11-27'));
    bulkData.sparks?.set('EURUSD=X', flatSparkHistory(1.08, '2026-11-27'));
    bulkDir = tempDir();
    bulkData.archives = await writeBulkArchives(bulkData, bulkDir, [1046179, 937966, 320193]);
    bulkStandIn = await startStandIn({ data: bulkData });
    const config = writeTestConfig(bulkDir, bulkStandIn.url, { adr_ratios: { TSM: 5, ASML: 1 } });
    run = await runInProcess(config, { now: '2026-11-28T02:00:00Z', flags: { symbols: 'TSM,ASML,AAPL', bulk: true } });
  }, 90_000);

  afterAll(async () => {
    await bulkStandIn.close();
  });

  it('converts with the night’s rates whichever came first, the price or the filings', () => {
    expect(run.code, explain(run)).toBe(0);
    expect(run.report?.refresh_path).toBe('bulk');
    const stored = (symbol: string) => query<Metrics>(bulkDir, 'SELECT pe_ratio, market_cap, metrics_note, fx_rate FROM stock_metrics WHERE symbol = ?', symbol)[0];
    expect(stored('TSM')).toEqual({ pe_ratio: 27.8912, market_cap: 985_443_863_196, metrics_note: null, fx_rate: 0.0305 });
    expect(stored('ASML')).toEqual({ pe_ratio: 26.2302, market_cap: 269_792_365_500, metrics_note: null, fx_rate: 1.08 });
  });
});
