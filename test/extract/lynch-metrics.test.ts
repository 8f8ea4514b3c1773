import { describe, it, expect } from 'vitest';
import { computeLynchMetrics, type LynchInput, type LynchMetrics } from '../../src/extract/lynch-metrics.js';
import type { EarningsRow, PeriodName } from '../../src/extract/types.js';

/** A row with every column null but the ones given. */
function row(fiscal_year: number, period: PeriodName, period_end: string, values: Partial<EarningsRow> = {}): EarningsRow {
  return {
    fiscal_year,
    period,
    eps_diluted: null,
    eps_diluted_adjusted: null,
    revenue: null,
    revenue_concept: null,
    net_income: null,
    operating_cash_flow: null,
    dividends_per_share_as_filed: null,
    dividends_per_share: null,
    shares_diluted: null,
    total_liabilities: null,
    stockholders_equity: null,
    reporting_currency: null,
    period_start: null,
    period_end,
    form: null,
    filed: null,
    accession_number: null,
    ...values,
  };
}

/** A calendar fiscal year; `eps` fills both EPS columns (no split). */
const fy = (year: number, eps: number | null, values: Partial<EarningsRow> = {}) => row(year, 'FY', `${year}-12-31`, { eps_diluted: eps, eps_diluted_adjusted: eps, ...values });

const QUARTER_END = { Q1: '03-31', Q2: '06-30', Q3: '09-30', Q4: '12-31' } as const;
const q = (year: number, period: keyof typeof QUARTER_END, eps: number | null, values: Partial<EarningsRow> = {}) =>
  row(year, period, `${year}-${QUARTER_END[period]}`, { eps_diluted: eps, eps_diluted_adjusted: eps, ...values });

/** FY rows for consecutive years from `first`; null leaves the year without EPS. */
const years = (first: number, eps: readonly (number | null)[]) => eps.map((v, i) => fy(first + i, v));

/** FY rows for the given years only (gaps in between). */
const sparse = (eps: Record<number, number>) => Object.entries(eps).map(([year, v]) => fy(Number(year), v));

const metrics = (input: Partial<LynchInput>) => computeLynchMetrics({ price: 50, sharesOutstanding: 1e6, earnings: [], ...input });

interface Case {
  name: string;
  input: Partial<LynchInput>;
  expected: Partial<LynchMetrics>;
}

const FULL_YEAR_2024 = [fy(2024, 4), q(2024, 'Q1', 1), q(2024, 'Q2', 1), q(2024, 'Q3', 1), q(2024, 'Q4', 1.5)];
const GROWING_10_PCT = years(2020, [1, 1.1, 1.21, 1.331, 1.4641]);

const marketCapCases: Case[] = [
  { name: 'is price × shares outstanding', input: {}, expected: { market_cap: 50_000_000 } },
  { name: 'rounds to a whole currency unit', input: { price: 12.345, sharesOutstanding: 1000.5 }, expected: { market_cap: 12_351 } },
  { name: 'is null without a price', input: { price: null }, expected: { market_cap: null } },
  { name: 'is null without shares', input: { sharesOutstanding: null }, expected: { market_cap: null } },
  { name: 'is null with zero shares', input: { sharesOutstanding: 0 }, expected: { market_cap: null } },
  { name: 'is null with a negative price', input: { price: -5 }, expected: { market_cap: null } },
];

const peCases: Case[] = [
  { name: 'sums four consecutive quarters rather than the FY row', input: { price: 45, earnings: FULL_YEAR_2024 }, expected: { ttm_eps: 4.5, pe_ratio: 10 } },
  {
    name: 'takes quarters of the current year that run past the latest FY',
    input: { price: 45, earnings: [fy(2023, 4), q(2023, 'Q2', 1), q(2023, 'Q3', 1), q(2023, 'Q4', 1.5), q(2024, 'Q1', 1.25)] },
    expected: { ttm_eps: 4.75, pe_ratio: 9.4737 },
  },
  { name: 'falls back to the FY row with three quarters', input: { price: 45, earnings: FULL_YEAR_2024.slice(0, 4) }, expected: { ttm_eps: 4, pe_ratio: 11.25 } },
  {
    name: 'falls back to the FY row when a quarter is missing in between',
    input: { price: 45, earnings: [fy(2024, 4), q(2023, 'Q4', 1), q(2024, 'Q1', 1), q(2024, 'Q3', 1), q(2024, 'Q4', 1.5)] },
    expected: { ttm_eps: 4, pe_ratio: 11.25 },
  },
  {
    name: 'falls back to the FY row when the last quarter ends 101 days after the previous',
    input: { price: 45, earnings: [...FULL_YEAR_2024.slice(0, 4), row(2024, 'Q4', '2025-01-09', { eps_diluted_adjusted: 1.5 })] },
    expected: { ttm_eps: 4 },
  },
  {
    name: 'falls back to the FY row when a quarter has no EPS',
    input: { price: 45, earnings: [...FULL_YEAR_2024.slice(0, 4), q(2024, 'Q4', null)] },
    expected: { ttm_eps: 4 },
  },
  {
    name: 'does not sum quarters on two share bases (one quarter not yet adjusted)',
    input: { price: 45, earnings: [...FULL_YEAR_2024.slice(0, 4), q(2024, 'Q4', null, { eps_diluted: 1.5 })] },
    expected: { ttm_eps: 4 },
  },
  {
    name: 'prefers a newer FY row to four older quarters',
    input: { price: 45, earnings: [...FULL_YEAR_2024.slice(1).map((r) => ({ ...r, fiscal_year: 2023, period_end: r.period_end.replace('2024', '2023') })), fy(2024, 5)] },
    expected: { ttm_eps: 5, pe_ratio: 9 },
  },
  { name: 'uses adjusted EPS over as-filed (a later split)', input: { price: 45, earnings: [fy(2024, 2, { eps_diluted: 8 })] }, expected: { ttm_eps: 2, pe_ratio: 22.5 } },
  {
    name: 'sums as-filed quarters when none is adjusted yet',
    input: { price: 45, earnings: FULL_YEAR_2024.map((r) => ({ ...r, eps_diluted_adjusted: null })) },
    expected: { ttm_eps: 4.5 },
  },
  { name: 'uses as-filed EPS when adjusted is null', input: { price: 45, earnings: [fy(2024, null, { eps_diluted: 3 })] }, expected: { ttm_eps: 3, pe_ratio: 15 } },
  { name: 'is null with negative EPS, which stays visible', input: { earnings: [fy(2024, -1.5)] }, expected: { ttm_eps: -1.5, pe_ratio: null } },
  { name: 'is null with zero EPS', input: { earnings: [fy(2024, 0)] }, expected: { ttm_eps: 0, pe_ratio: null } },
  { name: 'is null without earnings', input: { earnings: [] }, expected: { ttm_eps: null, pe_ratio: null } },
  { name: 'is null without a price', input: { price: null, earnings: FULL_YEAR_2024 }, expected: { ttm_eps: 4.5, pe_ratio: null } },
  { name: 'is null with a zero price', input: { price: 0, earnings: FULL_YEAR_2024 }, expected: { pe_ratio: null } },
  {
    name: 'is null when the latest FY has no EPS, rather than an older year',
    input: { earnings: years(2020, [1, 1.1, 1.21, 1.331, null]) },
    expected: { ttm_eps: null, pe_ratio: null, eps_growth_rate: 10 },
  },
];

const growthCases: Case[] = [
  { name: 'is null from two years', input: { earnings: years(2023, [1, 1.1]) }, expected: { eps_growth_rate: null, peg_ratio: null } },
  { name: 'is the CAGR from three years', input: { earnings: years(2022, [1, 1.05, 1.1025]) }, expected: { eps_growth_rate: 5 } },
  { name: 'is the CAGR over five years', input: { earnings: years(2020, [1, 1.2, 1.4, 1.7, 2]) }, expected: { eps_growth_rate: 18.9207 } },
  { name: 'is 0 (not null) for flat EPS, with a null PEG', input: { earnings: years(2022, [2, 2, 2]) }, expected: { eps_growth_rate: 0, pe_ratio: 25, peg_ratio: null } },
  { name: 'is null from a negative first year', input: { earnings: years(2020, [-1, 1, 2, 3]) }, expected: { eps_growth_rate: null, peg_ratio: null } },
  { name: 'is null at a loss in the last year', input: { earnings: years(2022, [2, 2.2, -0.5]) }, expected: { eps_growth_rate: null } },
  { name: 'spans the real years across a gap', input: { earnings: sparse({ 2020: 1, 2022: 1.1, 2024: 1.21 }) }, expected: { eps_growth_rate: 4.8809 } },
  { name: 'ignores years before the five-year window', input: { earnings: [fy(2018, 0.1), fy(2019, 0.2), ...GROWING_10_PCT] }, expected: { eps_growth_rate: 10 } },
  {
    name: 'is null when only two years fall in the window, whatever is older',
    input: { earnings: sparse({ 2017: 1, 2018: 1.1, 2019: 1.2, 2023: 1.5, 2024: 1.6 }) },
    expected: { eps_growth_rate: null, lynch_category: null },
  },
  {
    name: 'reads adjusted EPS so a split is not a collapse',
    input: { earnings: [fy(2022, 1, { eps_diluted: 4 }), fy(2023, 1.1, { eps_diluted: 4.4 }), fy(2024, 1.21)] },
    expected: { eps_growth_rate: 10 },
  },
  {
    name: 'reads as-filed EPS when no year is adjusted yet',
    input: { earnings: years(2022, [1, 1.1, 1.21]).map((r) => ({ ...r, eps_diluted_adjusted: null })) },
    expected: { eps_growth_rate: 10 },
  },
  { name: 'gives PEG = P/E ÷ growth', input: { price: 14.641, earnings: GROWING_10_PCT }, expected: { pe_ratio: 10, peg_ratio: 1 } },
  { name: 'gives a null PEG for shrinking EPS', input: { earnings: years(2022, [4, 2, 1]) }, expected: { eps_growth_rate: -50, peg_ratio: null } },
];

const dividendCases: Case[] = [
  { name: 'is the FY dividend over price, in %', input: { earnings: [fy(2024, 4, { dividends_per_share: 2 })] }, expected: { dividend_yield: 4 } },
  {
    name: 'sums four quarters when the FY row has none',
    input: { earnings: FULL_YEAR_2024.map((r) => (r.period === 'FY' ? r : { ...r, dividends_per_share: 0.5 })) },
    expected: { dividend_yield: 4 },
  },
  {
    name: 'is null when a quarter of the four lacks a dividend',
    input: { earnings: FULL_YEAR_2024.map((r) => (r.period === 'FY' || r.period === 'Q2' ? r : { ...r, dividends_per_share: 0.5 })) },
    expected: { dividend_yield: null },
  },
  { name: 'uses the as-filed dividend when adjusted is null', input: { earnings: [fy(2024, 4, { dividends_per_share_as_filed: 1 })] }, expected: { dividend_yield: 2 } },
  { name: 'is null without any dividend figure, not 0', input: { earnings: FULL_YEAR_2024 }, expected: { dividend_yield: null } },
  { name: 'is 0 for a reported zero dividend', input: { earnings: [fy(2024, 4, { dividends_per_share: 0 })] }, expected: { dividend_yield: 0 } },
  { name: 'is null for a negative dividend', input: { earnings: [fy(2024, 4, { dividends_per_share: -1 })] }, expected: { dividend_yield: null } },
  { name: 'is null without a price', input: { price: null, earnings: [fy(2024, 4, { dividends_per_share: 2 })] }, expected: { dividend_yield: null } },
];

const debtCases: Case[] = [
  { name: 'is liabilities over equity', input: { earnings: [fy(2024, 1, { total_liabilities: 300, stockholders_equity: 100 })] }, expected: { debt_to_equity: 3 } },
  { name: 'is null with negative equity', input: { earnings: [fy(2024, 1, { total_liabilities: 300, stockholders_equity: -100 })] }, expected: { debt_to_equity: null } },
  { name: 'is null with zero equity', input: { earnings: [fy(2024, 1, { total_liabilities: 300, stockholders_equity: 0 })] }, expected: { debt_to_equity: null } },
  {
    name: 'takes the latest row with both values',
    input: { earnings: [fy(2023, 1, { total_liabilities: 200, stockholders_equity: 100 }), fy(2024, 1, { stockholders_equity: 100 })] },
    expected: { debt_to_equity: 2 },
  },
  {
    name: 'takes a quarter newer than the FY row',
    input: { earnings: [fy(2023, 1, { total_liabilities: 300, stockholders_equity: 100 }), q(2024, 'Q1', 1, { total_liabilities: 400, stockholders_equity: 100 })] },
    expected: { debt_to_equity: 4 },
  },
  {
    name: 'does not go back past a latest negative equity',
    input: { earnings: [fy(2023, 1, { total_liabilities: 300, stockholders_equity: 100 }), fy(2024, 1, { total_liabilities: 300, stockholders_equity: -1 })] },
    expected: { debt_to_equity: null },
  },
  { name: 'is null without a balance sheet', input: { earnings: FULL_YEAR_2024 }, expected: { debt_to_equity: null } },
];

const categoryCases: Case[] = [
  { name: 'slow_grower below 5 %', input: { earnings: years(2020, [1, 1.02, 1.04, 1.06, 1.08]) }, expected: { eps_growth_rate: 1.9427, lynch_category: 'slow_grower' } },
  { name: 'slow_grower for flat EPS', input: { earnings: years(2022, [2, 2, 2]) }, expected: { lynch_category: 'slow_grower' } },
  { name: 'slow_grower for steadily shrinking EPS (falls alone are not cyclical)', input: { earnings: years(2022, [4, 2, 1]) }, expected: { lynch_category: 'slow_grower' } },
  { name: 'stalwart at exactly 5 %', input: { earnings: years(2022, [1, 1.05, 1.1025]) }, expected: { lynch_category: 'stalwart' } },
  { name: 'stalwart at 10 %', input: { earnings: GROWING_10_PCT }, expected: { lynch_category: 'stalwart' } },
  { name: 'stalwart at exactly 20 %', input: { earnings: years(2022, [1, 1.2, 1.44]) }, expected: { eps_growth_rate: 20, lynch_category: 'stalwart' } },
  { name: 'fast_grower above 20 %', input: { earnings: years(2022, [1, 1.21, 1.4641]) }, expected: { eps_growth_rate: 21, lynch_category: 'fast_grower' } },
  { name: 'fast_grower with 50 % rises and no fall (not cyclical)', input: { earnings: years(2021, [1, 1.5, 2.25, 3.375]) }, expected: { lynch_category: 'fast_grower' } },
  { name: 'turnaround from losses to a profit', input: { earnings: years(2022, [-0.5, -0.2, 0.3]) }, expected: { lynch_category: 'turnaround' } },
  { name: 'turnaround beats cyclical after a one-year loss', input: { earnings: years(2021, [2, 2.2, -1, 1.5]) }, expected: { lynch_category: 'turnaround' } },
  { name: 'turnaround with the loss exactly three years back', input: { earnings: years(2021, [-1, 1, 1.1, 1.2]) }, expected: { lynch_category: 'turnaround' } },
  {
    name: 'no turnaround nor cyclical for a loss five years back followed by profits',
    input: { earnings: years(2019, [-1, 1, 1.1, 1.2, 1.3, 1.4]) },
    expected: { eps_growth_rate: 8.7757, lynch_category: 'stalwart' },
  },
  {
    name: 'no cyclical for a fall into loss six years back (out of the window)',
    input: { earnings: years(2018, [2, -1, 1, 1.1, 1.2, 1.3, 1.4]) },
    expected: { lynch_category: 'stalwart' },
  },
  { name: 'cyclical for ±50 % swings', input: { earnings: years(2019, [2, 3, 1.5, 2.5, 1.2, 2]) }, expected: { lynch_category: 'cyclical' } },
  { name: 'cyclical for a fall into loss four years back', input: { earnings: years(2019, [2, -1, 1, 2, 3, 4]) }, expected: { lynch_category: 'cyclical' } },
  { name: 'cyclical for a fall into loss this year', input: { earnings: years(2022, [2, 2.2, -0.5]) }, expected: { lynch_category: 'cyclical' } },
  {
    name: 'not cyclical when the only big rise spans a missing year',
    input: { earnings: sparse({ 2020: 2, 2022: 3.2, 2023: 1.5, 2024: 1.6 }) },
    expected: { eps_growth_rate: -5.4258, lynch_category: 'slow_grower' },
  },
  { name: 'null with two years', input: { earnings: years(2023, [1, 1.1]) }, expected: { lynch_category: null } },
  { name: 'null for losses every year', input: { earnings: years(2022, [-1, -2, -3]) }, expected: { lynch_category: null } },
  { name: 'null from quarters alone', input: { earnings: FULL_YEAR_2024.slice(1) }, expected: { eps_growth_rate: null, lynch_category: null } },
];

const tables: [string, Case[]][] = [
  ['market_cap', marketCapCases],
  ['pe_ratio and ttm_eps', peCases],
  ['eps_growth_rate and peg_ratio', growthCases],
  ['dividend_yield', dividendCases],
  ['debt_to_equity', debtCases],
  ['lynch_category', categoryCases],
];

for (const [metric, cases] of tables) {
  describe(metric, () => {
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, { input, expected }) => {
      expect(metrics(input)).toMatchObject(expected);
    });
  });
}

/** True when every output is a finite number, a category or null. */
function allFiniteOrNull(result: LynchMetrics): boolean {
  return Object.values(result).every((v) => v === null || typeof v === 'string' || Number.isFinite(v));
}

describe('outputs are finite numbers or null', () => {
  it.each(tables.flatMap(([, cases]) => cases.map((c) => [c.name, c.input] as const)))('%s', (_name, input) => {
    expect(allFiniteOrNull(metrics(input))).toBe(true);
  });

  it('gives null, not Infinity, when a product or quotient overflows', () => {
    const result = metrics({ price: 1e308, sharesOutstanding: 1e10, earnings: [fy(2024, 1e-300, { dividends_per_share: 1e300 })] });
    expect(result).toMatchObject({ market_cap: null, pe_ratio: null });
    expect(allFiniteOrNull(result)).toBe(true);
  });

  it('keeps a huge but finite ratio rather than losing it to rounding', () => {
    const result = metrics({ earnings: [fy(2024, 1, { total_liabilities: 1e306, stockholders_equity: 1 })] });
    expect(result.debt_to_equity).toBe(1e306);
  });

  it('treats NaN inputs as missing', () => {
    const result = metrics({ price: Number.NaN, sharesOutstanding: Number.NaN, earnings: [fy(2024, Number.NaN, { total_liabilities: Number.NaN, stockholders_equity: 1 })] });
    expect(result).toEqual({
      market_cap: null,
      pe_ratio: null,
      ttm_eps: null,
      eps_growth_rate: null,
      peg_ratio: null,
      dividend_yield: null,
      debt_to_equity: null,
      lynch_category: null,
      metrics_note: null,
    });
  });

  it('rounds a tiny decline to 0, never -0', () => {
    const { eps_growth_rate } = metrics({ earnings: years(2022, [1, 1, 0.9999999]) });
    expect(Object.is(eps_growth_rate, 0)).toBe(true);
  });
});
