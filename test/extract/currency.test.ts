import { describe, expect, it } from 'vitest';
import { extractCompanyFacts } from '../../src/extract/companyfacts.js';
import { computeLynchMetrics } from '../../src/extract/lynch-metrics.js';
import { metricsRow } from '../../src/extract/stock-rows.js';
import type { EarningsRow, PeriodName } from '../../src/extract/types.js';
import { loadFacts } from '../helpers/companyfacts.js';

/*
 * Issue 15, point 5: one currency, one share basis, or NULL. The filers' figures stay in their
 * reporting currency (`reporting_currency` per row); a ratio against the price is computed only
 * on the price's terms: converted with the night's rate, per listed share with the stated shares
 * per ADS (test/extract/fx-conversion.test.ts); without them NULL, noted.
 */

const tsmc = extractCompanyFacts(loadFacts('0001046179'));
/** A 20-F filer without adr_ratios and without a rate, quoted in USD: both notes. */
const BLOCKED_NOTE = (symbol: string, reported: string) =>
  `shares per ADS unknown (20-F filer): set adr_ratios.${symbol}: market_cap, pe_ratio, peg_ratio and dividend_yield not computed; ` +
  `reported in ${reported}, quoted in USD, no ${reported}USD=X rate: pe_ratio, peg_ratio and dividend_yield not computed`;

describe('the reporting currency of each row (real bodies)', () => {
  it('TSMC: every row in TWD, the unit its 20-Fs report in (NT$), not the USD convenience translation', () => {
    expect(new Set(tsmc.earnings.map((r) => r.reporting_currency))).toEqual(new Set(['TWD']));
    // 20-F 0001193125-25-083423: diluted EPS NT$44.67 for 2024.
    expect(tsmc.earnings.find((r) => r.fiscal_year === 2024 && r.period === 'FY')).toMatchObject({ eps_diluted: 44.67, reporting_currency: 'TWD' });
  });

  it('ASML in EUR, Apple in USD', () => {
    const currencies = (cik: string) => new Set(extractCompanyFacts(loadFacts(cik)).earnings.map((r) => r.reporting_currency));
    expect([currencies('0000937966'), currencies('0000320193')]).toEqual([new Set(['EUR']), new Set(['USD'])]);
  });
});

describe('ratios against the price only in one currency (real bodies)', () => {
  // TSMC's NYSE listing: an ADS of five ordinary shares, in USD (the price is an example).
  const tsmcMetrics = computeLynchMetrics({ price: 190, sharesOutstanding: tsmc.sharesOutstanding?.value ?? null, earnings: tsmc.earnings, quoteCurrency: 'USD', symbol: 'TSM' });

  it('TSMC quoted in USD, no shares per ADS and no rate: market cap, P/E, PEG and yield NULL, and the note says why', () => {
    expect(tsmcMetrics).toMatchObject({ market_cap: null, pe_ratio: null, peg_ratio: null, dividend_yield: null, metrics_note: BLOCKED_NOTE('TSM', 'TWD') });
  });

  it('TSMC: what does not involve the price stays, in TWD', () => {
    // 20-F 0001193125-25-083423: liabilities NT$2,412,493.1 million, equity attributable to owners NT$4,244,266.5 million.
    expect(tsmcMetrics).toMatchObject({ ttm_eps: 44.67, debt_to_equity: 0.5684 });
    expect(tsmcMetrics.eps_growth_rate).not.toBeNull();
  });

  it('ASML quoted in USD: the same, reported in EUR', () => {
    const asml = extractCompanyFacts(loadFacts('0000937966'));
    const metrics = computeLynchMetrics({ price: 700, sharesOutstanding: asml.sharesOutstanding?.value ?? null, earnings: asml.earnings, quoteCurrency: 'USD', symbol: 'ASML' });
    expect(metrics).toMatchObject({ market_cap: null, pe_ratio: null, metrics_note: BLOCKED_NOTE('ASML', 'EUR') });
  });

  it('Apple quoted in USD: everything computed, no note', () => {
    const apple = extractCompanyFacts(loadFacts('0000320193'));
    const metrics = computeLynchMetrics({ price: 230, sharesOutstanding: apple.sharesOutstanding?.value ?? null, earnings: apple.earnings, quoteCurrency: 'USD' });
    // FY2024 (10-K 0000320193-24-000123): EPS 6.08 = the four quarters 2.18 + 1.53 + 1.40 + 0.97.
    expect(metrics).toMatchObject({ market_cap: 3_476_639_290_000, ttm_eps: 6.08, pe_ratio: 37.8289, metrics_note: null });
  });

  it('a price of unknown currency is not held against the filings (the share basis still is)', () => {
    // 190 ÷ (44.67 × 5) = 0.8507: no conversion, the currency being unknown.
    expect(computeLynchMetrics({ price: 190, sharesOutstanding: 1e9, earnings: tsmc.earnings, quoteCurrency: null, adsRatio: 5 })).toMatchObject({ pe_ratio: 0.8507, metrics_note: null });
    expect(computeLynchMetrics({ price: 190, sharesOutstanding: 1e9, earnings: tsmc.earnings, quoteCurrency: null })).toMatchObject({ pe_ratio: null, market_cap: null });
  });

  it('metricsRow compares with the stored price currency when no quote came', () => {
    const row = metricsRow({ symbol: 'TSM', quote: undefined, withCloses: false, storedPrice: 190, storedCurrency: 'USD', sharesOutstanding: 1e9, earnings: tsmc.earnings, closeRange: undefined });
    expect(row).toMatchObject({ pe_ratio: null, market_cap: null, metrics_note: BLOCKED_NOTE('TSM', 'TWD').replace('rate:', 'rate stored with the price:') });
  });
});

/** A row of one currency with EPS only; `eps` fills both EPS columns. */
function row(fiscal_year: number, period: PeriodName, period_end: string, eps: number, reporting_currency: string): EarningsRow {
  const none = { revenue: null, revenue_concept: null, net_income: null, operating_cash_flow: null, shares_diluted: null, total_liabilities: null, stockholders_equity: null };
  const dividends = { dividends_per_share_as_filed: null, dividends_per_share: null };
  return {
    fiscal_year,
    period,
    eps_diluted: eps,
    eps_diluted_adjusted: eps,
    ...none,
    ...dividends,
    reporting_currency,
    period_start: null,
    period_end,
    form: null,
    filed: null,
    accession_number: null,
  };
}

describe('sets of rows in one currency (hand-made rows: no real body at hand changed its reporting currency)', () => {
  // A filer that reported in CNY until 2021 and in USD from 2022, quoted in USD.
  const switched = [2019, 2020, 2021].map((y) => row(y, 'FY', `${y}-12-31`, 7 * (y - 2017), 'CNY')).concat([2022, 2023, 2024].map((y) => row(y, 'FY', `${y}-12-31`, y - 2019, 'USD')));

  it('annual EPS across the change give no growth, PEG or category; P/E from the USD year stays', () => {
    const metrics = computeLynchMetrics({ price: 50, sharesOutstanding: 1e6, earnings: switched, quoteCurrency: 'USD' });
    expect(metrics).toMatchObject({ ttm_eps: 5, pe_ratio: 10, eps_growth_rate: null, peg_ratio: null, lynch_category: null, market_cap: 50_000_000 });
    expect(metrics.metrics_note).toBe('annual EPS in CNY and USD: eps_growth_rate, peg_ratio and lynch_category not computed');
  });

  it('four quarters in two currencies give way to the fiscal year', () => {
    const quarters = [row(2024, 'Q1', '2024-03-31', 7, 'CNY'), row(2024, 'Q2', '2024-06-30', 1, 'USD'), row(2024, 'Q3', '2024-09-30', 1, 'USD'), row(2024, 'Q4', '2024-12-31', 1, 'USD')];
    expect(computeLynchMetrics({ price: 50, sharesOutstanding: 1e6, earnings: [...switched, ...quarters], quoteCurrency: 'USD' })).toMatchObject({ ttm_eps: 5, pe_ratio: 10 });
  });

  it('an older fiscal year in another currency than the price blocks only the P/E it would give', () => {
    const metrics = computeLynchMetrics({ price: 50, sharesOutstanding: 1e6, earnings: [row(2023, 'FY', '2023-12-31', 7, 'CNY'), row(2024, 'Q1', '2024-03-31', 1, 'USD')], quoteCurrency: 'USD' });
    expect(metrics).toMatchObject({ ttm_eps: 7, pe_ratio: null, market_cap: 50_000_000, metrics_note: 'ttm_eps in CNY, quoted in USD: pe_ratio and peg_ratio not computed' });
  });
});
