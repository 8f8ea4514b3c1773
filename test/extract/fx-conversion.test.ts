import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { extractCompanyFacts } from '../../src/extract/companyfacts.js';
import { chooseRate, type FxAnswer } from '../../src/extract/fx-rates.js';
import { computeLynchMetrics } from '../../src/extract/lynch-metrics.js';
import { planStockWrite, type StockUpdate, type StoredStock } from '../../src/extract/stock-rows.js';
import type { QuoteRow } from '../../src/extract/types.js';
import { COMPANYFACTS } from '../../src/sources/schemas/companyfacts.js';
import { loadFacts } from '../helpers/companyfacts.js';

/*
 * Issue 15, point 5 with the rate and the share basis known: ratios of a foreign filer's ADS on
 * the price's terms. Expected values are computed by hand from the filings' figures
 * (test/fixtures/sec/classes/expected-figures.json, PROVENANCE): TSMC 20-F 0001193125-25-083423,
 * diluted EPS NT$44.67 for 2024, 25,932,733,242 shares at 2024-12-31, one ADS = five shares;
 * ASML 20-F 0001628280-26-011378, diluted EPS €24.71 for 2025, 385,417,665 shares at
 * 2025-12-31, one New York registry share = one share. The rates are stand-in rates.
 */

const tsmc = extractCompanyFacts(loadFacts('0001046179'));
const asml = extractCompanyFacts(loadFacts('0000937966'));
const TWDUSD = { pair: 'TWDUSD=X', rate: 0.0305, date: '2026-11-27' };
const EURUSD = { pair: 'EURUSD=X', rate: 1.08, date: '2026-11-27' };

const tsmcAt = (over: Parameters<typeof computeLynchMetrics>[0] extends infer I ? Partial<I> : never) =>
  computeLynchMetrics({ price: 190, sharesOutstanding: tsmc.sharesOutstanding?.value ?? null, earnings: tsmc.earnings, quoteCurrency: 'USD', symbol: 'TSM', ...over });

describe('TSMC (TWD, ADS of five shares) with adr_ratios and the night’s rate', () => {
  const metrics = tsmcAt({ adsRatio: 5, fx: { rate: TWDUSD } });

  it('P/E from EPS per ADS in USD: 190 ÷ (44.67 × 5 × 0.0305) = 27.8912', () => {
    // 44.67 × 5 = 223.35 TWD per ADS; × 0.0305 = 6.812175 USD; 190 ÷ 6.812175 = 27.89124…
    expect(metrics).toMatchObject({ pe_ratio: 27.8912, metrics_note: null });
  });

  it('market cap = ordinary shares × (price ÷ 5): 25,932,733,242 × 38 USD', () => {
    expect(metrics.market_cap).toBe(985_443_863_196);
  });

  it('ttm_eps stays as filed (TWD per share); growth is computed in TWD and PEG divides the converted P/E by it', () => {
    const unconverted = tsmcAt({});
    expect(metrics.ttm_eps).toBe(44.67);
    expect(metrics.eps_growth_rate).not.toBeNull();
    expect(metrics.eps_growth_rate).toBe(unconverted.eps_growth_rate);
    expect(metrics.peg_ratio).toBe(Math.round((27.8912 / (metrics.eps_growth_rate as number)) * 10_000) / 10_000);
  });

  it('without adr_ratios: market cap, P/E, PEG and yield NULL, the note names the key', () => {
    const unknown = tsmcAt({ fx: { rate: TWDUSD } });
    expect(unknown).toMatchObject({ market_cap: null, pe_ratio: null, peg_ratio: null, dividend_yield: null, ttm_eps: 44.67 });
    expect(unknown.metrics_note).toBe('shares per ADS unknown (20-F filer): set adr_ratios.TSM: market_cap, pe_ratio, peg_ratio and dividend_yield not computed');
  });

  it('a pair that failed: P/E, PEG and yield NULL with the reason; the market cap needs no rate', () => {
    const failed = tsmcAt({ adsRatio: 5, fx: { missing: 'no TWDUSD=X rate (yahoo: no spark data)' } });
    expect(failed).toMatchObject({ pe_ratio: null, peg_ratio: null, dividend_yield: null, market_cap: 985_443_863_196 });
    expect(failed.metrics_note).toBe('reported in TWD, quoted in USD, no TWDUSD=X rate (yahoo: no spark data): pe_ratio, peg_ratio and dividend_yield not computed');
  });
});

describe('ASML (EUR, New York registry shares) with adr_ratios 1 and the night’s rate', () => {
  const metrics = computeLynchMetrics({ price: 700, sharesOutstanding: asml.sharesOutstanding?.value ?? null, earnings: asml.earnings, quoteCurrency: 'USD', adsRatio: 1, fx: { rate: EURUSD } });

  it('P/E = 700 ÷ (24.71 × 1.08) = 26.2302; market cap = 385,417,665 × 700', () => {
    // 24.71 × 1.08 = 26.6868 USD; 700 ÷ 26.6868 = 26.23019…
    expect(metrics).toMatchObject({ pe_ratio: 26.2302, market_cap: 269_792_365_500, ttm_eps: 24.71, metrics_note: null });
  });

  it('dividend yield converted too: FY2024 €6.40 × 1.08 ÷ 700 × 100 = 0.9874 %', () => {
    const through2024 = asml.earnings.filter((row) => row.fiscal_year <= 2024);
    expect(through2024.find((row) => row.period === 'FY' && row.fiscal_year === 2024)).toMatchObject({ dividends_per_share_as_filed: 6.4, reporting_currency: 'EUR' });
    const yielded = computeLynchMetrics({ price: 700, sharesOutstanding: 1, earnings: through2024, quoteCurrency: 'USD', adsRatio: 1, fx: { rate: EURUSD } });
    expect(yielded.dividend_yield).toBe(0.9874);
  });
});

describe('the share basis from the filer’s forms (real bodies)', () => {
  const at100 = (earnings: Parameters<typeof computeLynchMetrics>[0]['earnings'], adsRatio: number | null = null) =>
    computeLynchMetrics({ price: 100, sharesOutstanding: 1e6, earnings, quoteCurrency: 'USD', adsRatio, symbol: 'NICE' });

  it('Celestica and IREN filed 20-Fs, now 10-K/10-Q: their shares trade directly, ratios computed without adr_ratios', () => {
    for (const cik of ['0001030894', '0001878848']) {
      const metrics = at100(extractCompanyFacts(loadFacts(cik)).earnings);
      expect(metrics.market_cap).toBe(100_000_000);
      expect(metrics.metrics_note).toBeNull();
    }
  });

  it('NICE (20-F, USD, one ADS = one share): NULL without adr_ratios, 100 ÷ 9.67 = 10.3413 with NICE: 1', () => {
    const body = gunzipSync(readFileSync(new URL('../fixtures/sec/classes/companyfacts_CIK0001003935.json.gz', import.meta.url)));
    const nice = extractCompanyFacts(COMPANYFACTS.decode(body, 'companyfacts_CIK0001003935.json')).earnings;
    expect(at100(nice)).toMatchObject({ pe_ratio: null, market_cap: null });
    // 20-F 0001003935-26-000010: diluted EPS 9.67 USD for 2025.
    expect(at100(nice, 1)).toMatchObject({ pe_ratio: 10.3413, market_cap: 100_000_000, metrics_note: null });
  });
});

describe('which rate goes with which price', () => {
  const stored = { pair: 'TWDUSD=X', rate: 0.031, date: '2026-11-20' };
  const tonight = new Map<string, FxAnswer>([['TWDUSD=X', { kind: 'rate', ...TWDUSD }]]);
  const failed = new Map<string, FxAnswer>([['TWDUSD=X', { kind: 'failed', pair: 'TWDUSD=X', reason: 'yahoo: no spark data' }]]);

  it("a price fetched tonight takes tonight's rate, never an older one", () => {
    expect(chooseRate('TWDUSD=X', true, tonight, stored)).toEqual({ rate: TWDUSD });
    expect(chooseRate('TWDUSD=X', true, failed, stored)).toEqual({ missing: 'no TWDUSD=X rate (yahoo: no spark data)' });
    expect(chooseRate('TWDUSD=X', true, undefined, stored)).toEqual({ missing: 'no TWDUSD=X rate fetched' });
  });

  it('a stored price keeps the rate stored with it, else takes tonight’s', () => {
    expect(chooseRate('TWDUSD=X', false, tonight, stored)).toEqual({ rate: stored });
    expect(chooseRate('TWDUSD=X', false, tonight, null)).toEqual({ rate: TWDUSD });
    expect(chooseRate('EURUSD=X', false, undefined, stored)).toEqual({ missing: 'no EURUSD=X rate stored with the price' });
  });
});

describe('planStockWrite: the rate stored with the metrics and in fx_rates', () => {
  const nothing: StoredStock = { sharesOutstanding: null, price: null, currency: null, earnings: [], splits: [], recentCloses: [], olderCloseRange: { high: null, low: null } };
  const quote: QuoteRow = {
    price: 190,
    fifty_two_week_high: null,
    fifty_two_week_low: null,
    currency: 'USD',
    price_time: '2026-11-27T21:00:00.000Z',
    long_name: null,
    exchange_name: null,
    splits: [],
  };
  const base: StockUpdate = {
    symbol: 'TSM',
    cik: 1046179,
    name: null,
    exchange: 'NYSE',
    fundamentalsRefreshed: true,
    earnings: tsmc.earnings,
    sharesOutstanding: tsmc.sharesOutstanding,
    splits: [],
    adsRatio: 5,
  };

  it("tonight's price with tonight's rate: P/E converted, the pair, rate and date stored, and the rate for fx_rates", () => {
    const plan = planStockWrite(nothing, { ...base, quote, fxRates: new Map([['TWDUSD=X', { kind: 'rate', ...TWDUSD }]]) }, '2026-11-28T07:00:00Z');
    expect(plan.metrics).toMatchObject({ pe_ratio: 27.8912, fx_pair: 'TWDUSD=X', fx_rate: 0.0305, fx_rate_date: '2026-11-27' });
    expect(plan.fxRate).toEqual(TWDUSD);
  });

  it('a later night with new filings and no price reuses the rate stored with the stored price', () => {
    const stored: StoredStock = { ...nothing, price: 190, currency: 'USD', sharesOutstanding: tsmc.sharesOutstanding?.value ?? null, fxRate: TWDUSD };
    const plan = planStockWrite(stored, base, '2026-11-29T07:00:00Z');
    expect(plan.metrics).toMatchObject({ pe_ratio: 27.8912, fx_rate: 0.0305, fx_rate_date: '2026-11-27', metrics_note: null });
    expect(plan.fxRate).toBeNull();
  });

  it('a company in the price’s currency stores no rate', () => {
    const apple = extractCompanyFacts(loadFacts('0000320193'));
    const plan = planStockWrite(nothing, { ...base, symbol: 'AAPL', earnings: apple.earnings, adsRatio: null, quote, fxRates: new Map() }, '2026-11-28T07:00:00Z');
    expect(plan.metrics).toMatchObject({ fx_pair: null, fx_rate: null, fx_rate_date: null, metrics_note: null });
    expect(plan.fxRate).toBeNull();
  });
});
