import { describe, expect, it } from 'vitest';
import { metricsRow, readjustedEarnings, splitShiftOfCloses } from '../../src/extract/stock-rows.js';
import type { EarningsRow, QuoteRow } from '../../src/extract/types.js';

/** The pure step of storing a stock, in-process: stored state and fetched data in, rows out. */

const fy = (year: number, eps: number, filed: string): EarningsRow =>
  ({
    fiscal_year: year,
    period: 'FY',
    eps_diluted: eps,
    eps_diluted_adjusted: eps,
    dividends_per_share: null,
    dividends_per_share_as_filed: null,
    filed,
    period_end: `${String(year)}-09-30`,
  }) as EarningsRow;

const quote = (price: number, high: number | null = null, low: number | null = null): QuoteRow => ({
  price,
  fifty_two_week_high: high,
  fifty_two_week_low: low,
  currency: 'USD',
  price_time: null,
  long_name: null,
  exchange_name: null,
  splits: [],
});

describe('splitShiftOfCloses', () => {
  const stored: Record<string, number> = { '2026-11-23': 400, '2026-11-24': 404 };
  const on = (date: string): number | undefined => stored[date];

  it("finds a split's factor on the first date both have, and not a day's move", () => {
    expect(splitShiftOfCloses([{ date: '2026-11-24', close: 101 }], on)).toBe(0.25);
    expect(splitShiftOfCloses([{ date: '2026-11-24', close: 440 }], on)).toBeNull();
    expect(splitShiftOfCloses([{ date: '2026-11-25', close: 100 }], on)).toBeNull();
  });
});

describe('readjustedEarnings', () => {
  it('puts rows filed before a new split on its basis, and returns only the rows that change', () => {
    const stored = [fy(2019, 12, '2019-10-30'), fy(2021, 5, '2021-10-29')];
    const changed = readjustedEarnings(stored, [{ date: '2020-08-31', ratio: 4, source: 'yahoo' }]);
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ fiscal_year: 2019, eps_diluted: 12, eps_diluted_adjusted: 3 });
  });
});

describe('metricsRow', () => {
  const base = { storedPrice: null, storedCurrency: null, sharesOutstanding: 1000, earnings: [fy(2025, 5, '2025-10-30')], closeRange: { high: 120, low: 80 } };

  it("takes the 52-week range of the stored closes when closes came with the quote, else the quote's own", () => {
    expect(metricsRow({ ...base, quote: quote(100, 130, 70), withCloses: true })).toMatchObject({ price: 100, fifty_two_week_high: 120, fifty_two_week_low: 80, pe_ratio: 20, market_cap: 100_000 });
    expect(metricsRow({ ...base, quote: quote(100, 130, 70), withCloses: false })).toMatchObject({ fifty_two_week_high: 130, fifty_two_week_low: 70 });
  });

  it('computes the P/E from the stored price when no quote came, and writes no price of its own', () => {
    expect(metricsRow({ ...base, quote: undefined, withCloses: false, storedPrice: 50 })).toMatchObject({ price: null, pe_ratio: 10, fifty_two_week_high: null });
  });
});
