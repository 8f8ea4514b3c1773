import { describe, expect, it } from 'vitest';
import { metricsRow, planStockWrite, splitShiftOfCloses, storedStockQuery, type StockUpdate, type StoredStock } from '../../src/extract/stock-rows.js';
import type { DailyClose } from '../../src/extract/spark.js';
import type { EarningsRow, QuoteRow, SplitEvent } from '../../src/extract/types.js';

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

const NOW = '2026-11-25T07:00:00Z';
const APPLE_SPLIT: SplitEvent = { date: '2020-08-31', ratio: 4, source: 'yahoo' };
const NOTHING_STORED: StoredStock = { sharesOutstanding: null, price: null, currency: null, earnings: [], splits: [], recentCloses: [], olderCloseRange: { high: null, low: null } };
const update = (parts: Partial<StockUpdate> = {}): StockUpdate => ({ symbol: 'AAPL', cik: 320193, name: 'Apple Inc.', exchange: 'Nasdaq', fundamentalsRefreshed: false, ...parts });
const closes = (entries: Record<string, number>): DailyClose[] => Object.entries(entries).map(([date, close]) => ({ date, close }));
/** As extraction gives them: as filed, the adjusted columns not filled. */
const asFiled = (row: EarningsRow): EarningsRow => ({ ...row, eps_diluted_adjusted: null });

describe('storedStockQuery', () => {
  it('names only the stored state an update needs', () => {
    const nightly = storedStockQuery(update({ quote: quote(100), closes: closes({ '2026-11-24': 1, '2026-11-20': 2 }) }));
    expect(nightly).toEqual({ metricInputs: true, earnings: true, splits: false, closes: { from: '2026-11-20', newest: '2026-11-24', windowDays: 365, range: true } });
    expect(storedStockQuery(update({ earnings: [], splits: [] }))).toEqual({ metricInputs: true, earnings: false, splits: false, closes: null });
    expect(storedStockQuery(update({ earnings: [] }))).toMatchObject({ earnings: false, splits: true });
    expect(storedStockQuery(update({ splits: [APPLE_SPLIT] }))).toMatchObject({ metricInputs: true, earnings: true, splits: false });
    expect(storedStockQuery(update({ closes: closes({ '2026-11-24': 1 }) }))).toMatchObject({ metricInputs: false, earnings: false, closes: { range: false } });
    expect(storedStockQuery(update({ filings: [] }))).toEqual({ metricInputs: false, earnings: false, splits: false, closes: null });
  });
});

describe('planStockWrite', () => {
  it('first store: every row from the update, per-share values put on the basis of its splits', () => {
    const plan = planStockWrite(
      NOTHING_STORED,
      update({
        fundamentalsRefreshed: true,
        latestAccession: '0000320193-24-000123',
        earnings: [asFiled(fy(2019, 12, '2019-10-30')), asFiled(fy(2025, 8, '2025-10-30'))],
        splits: [APPLE_SPLIT],
        sharesOutstanding: { value: 1000, date: '2025-10-18', source: 'cover' },
        quote: quote(160, 999, 1),
        closes: closes({ '2026-11-20': 150, '2026-11-23': 170, '2026-11-24': 160 }),
        sections: { accession: 'a-1', sections: [{ section: '1', title: 'Business', content: 'We make phones.' }] },
        validators: [
          { url: 'https://sec/facts', etag: '"x"', last_modified: null },
          { url: 'https://sec/submissions', etag: null, last_modified: null },
        ],
      }),
      NOW,
    );
    expect(plan.stock).toMatchObject({ symbol: 'AAPL', cik: 320193, name: 'Apple Inc.', last_filing_accession: '0000320193-24-000123', fundamentals_updated_at: NOW, shares_outstanding: 1000 });
    expect(plan.earnings?.map((row) => row.eps_diluted_adjusted)).toEqual([3, 8]);
    expect(plan.readjusted).toEqual([]);
    expect(plan.splits).toEqual([APPLE_SPLIT]);
    expect(plan.closes).toEqual({ rescale: null, closes: closes({ '2026-11-20': 150, '2026-11-23': 170, '2026-11-24': 160 }), pruneBefore: '2025-10-20' });
    expect(plan.sections).toEqual([{ accession: 'a-1', section: '1', content: 'We make phones.' }]);
    expect(plan.validators.map((v) => v.url)).toEqual(['https://sec/facts']);
    // The closes' range, not the quote's; P/E 160 / 8 on the latest FY; market cap from the update's shares.
    expect(plan.metrics).toMatchObject({ price: 160, fifty_two_week_high: 170, fifty_two_week_low: 150, pe_ratio: 20, market_cap: 160_000 });
  });

  it('price-only night: the metrics from the stored earnings and shares, nothing else rewritten', () => {
    const stored = { ...NOTHING_STORED, sharesOutstanding: 1000, price: 90, earnings: [fy(2025, 5, '2025-10-30')] };
    const plan = planStockWrite(stored, update({ quote: quote(100) }), NOW);
    expect(plan).toMatchObject({ earnings: null, readjusted: [], splits: null, closes: null });
    expect(plan.stock).toMatchObject({ fundamentals_updated_at: null, shares_outstanding: null });
    expect(plan.metrics).toMatchObject({ price: 100, pe_ratio: 20, market_cap: 100_000 });
  });

  it('earnings-only: the stored price gives the P/E, and no price of its own is written', () => {
    const stored = { ...NOTHING_STORED, sharesOutstanding: 1000, price: 50 };
    const plan = planStockWrite(stored, update({ earnings: [asFiled(fy(2025, 5, '2025-10-30'))], splits: [] }), NOW);
    expect(plan.earnings?.[0]?.eps_diluted_adjusted).toBe(5);
    expect(plan.metrics).toMatchObject({ price: null, pe_ratio: 10, market_cap: 50_000, fifty_two_week_high: null });
  });

  it('earnings without splits go on the basis of the stored ones', () => {
    const stored = { ...NOTHING_STORED, splits: [APPLE_SPLIT] };
    expect(planStockWrite(stored, update({ earnings: [asFiled(fy(2019, 12, '2019-10-30'))] }), NOW).earnings?.[0]?.eps_diluted_adjusted).toBe(3);
  });

  it("a new split in the chart's events: only the stored rows it changes are re-adjusted, and the metrics follow", () => {
    const stored = { ...NOTHING_STORED, sharesOutstanding: 1000, price: 30, earnings: [fy(2019, 12, '2019-10-30'), fy(2021, 5, '2021-10-29')] };
    const plan = planStockWrite(stored, update({ splits: [APPLE_SPLIT] }), NOW);
    expect(plan.earnings).toBeNull();
    expect(plan.readjusted).toHaveLength(1);
    expect(plan.readjusted[0]).toMatchObject({ fiscal_year: 2019, eps_diluted: 12, eps_diluted_adjusted: 3 });
    expect(plan.splits).toEqual([APPLE_SPLIT]);
    expect(plan.metrics).toMatchObject({ price: null, pe_ratio: 6 });
    // The metrics see the re-adjusted rows: FY2019's EPS 12 on today's basis is 3, a P/E of 10 at the stored 30.
    const latestRestated = planStockWrite({ ...stored, earnings: [fy(2019, 12, '2019-10-30')] }, update({ splits: [APPLE_SPLIT] }), NOW);
    expect(latestRestated.metrics).toMatchObject({ price: null, pe_ratio: 10, ttm_eps: 3 });
  });

  it('a split seen only in the closes: the older stored closes rescaled, and the range on the new basis', () => {
    const stored: StoredStock = {
      ...NOTHING_STORED,
      recentCloses: closes({ '2026-11-19': 404, '2026-11-20': 408 }),
      olderCloseRange: { high: 420, low: 380 },
    };
    const plan = planStockWrite(stored, update({ quote: quote(103), closes: closes({ '2026-11-19': 101, '2026-11-20': 102, '2026-11-23': 103 }) }), NOW);
    expect(plan.closes?.rescale).toEqual({ factor: 0.25, before: '2026-11-19' });
    expect(plan.metrics).toMatchObject({ fifty_two_week_high: 105, fifty_two_week_low: 95 });
  });

  it('52-week range of the closes after the write: older stored ones, stored ones not replaced, the new ones; the window ends at the newest', () => {
    const stored: StoredStock = {
      ...NOTHING_STORED,
      // 2026-11-20 is replaced by the update (its 125 is gone); 2026-11-25 is stored and newer than the update's.
      recentCloses: closes({ '2026-11-20': 125, '2026-11-21': 90, '2026-11-25': 95 }),
      olderCloseRange: { high: 115, low: 97 },
    };
    const plan = planStockWrite(stored, update({ quote: quote(100), closes: closes({ '2026-11-20': 110, '2026-11-24': 100 }) }), NOW);
    expect(plan.closes?.rescale).toBeNull();
    expect(plan.metrics).toMatchObject({ fifty_two_week_high: 115, fifty_two_week_low: 90 });
    // The prune and the window count from the stored 2026-11-25, not the update's 2026-11-24.
    expect(plan.closes?.pruneBefore).toBe('2025-10-21');
    const newer = planStockWrite({ ...stored, olderCloseRange: { high: null, low: null } }, update({ quote: quote(100), closes: closes({ '2026-11-20': 110, '2026-11-24': 100 }) }), NOW);
    expect(newer.metrics).toMatchObject({ fifty_two_week_high: 110, fifty_two_week_low: 90 });
    // A close just outside the window (365 days before the newest) is left out.
    const wide = planStockWrite(NOTHING_STORED, update({ quote: quote(1), closes: closes({ '2025-11-24': 999, '2025-11-25': 2, '2026-11-24': 1 }) }), NOW);
    expect(wide.metrics).toMatchObject({ fifty_two_week_high: 2, fifty_two_week_low: 1 });
  });

  it('nothing to recompute: filings, profile or unchanged splits leave the metrics row alone', () => {
    const filing = {
      accession_number: 'a-1',
      cik: 320193,
      form: '10-K',
      filing_date: '2024-11-01',
      report_date: null,
      acceptance_datetime: null,
      primary_document: null,
      primary_doc_description: null,
    };
    const filings = planStockWrite(NOTHING_STORED, update({ filings: [filing], latestAccession: 'a-1', fundamentalsRefreshed: true }), NOW);
    expect(filings).toMatchObject({ earnings: null, readjusted: [], splits: null, closes: null, filings: [filing], metrics: null });
    const stored = { ...NOTHING_STORED, earnings: [fy(2021, 5, '2021-10-29')] };
    expect(planStockWrite(stored, update({ splits: [APPLE_SPLIT] }), NOW)).toMatchObject({ readjusted: [], splits: [APPLE_SPLIT], metrics: null });
    expect(planStockWrite(NOTHING_STORED, update({ closes: closes({ '2026-11-24': 1 }) }), NOW).metrics).toBeNull();
  });
});
