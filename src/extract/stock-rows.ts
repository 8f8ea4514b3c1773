import { computeLynchMetrics, type LynchMetrics } from './lynch-metrics.js';
import type { DailyClose } from './spark.js';
import { applySplits } from './split-adjust.js';
import type { EarningsRow, QuoteRow, SplitEvent } from './types.js';

/*
 * The pure part of storing a stock: from what is stored and what was fetched, the rows to write.
 * The store (db/stock-store.ts) reads the stored state, calls these, and writes what they return.
 */

/**
 * The factor by which Yahoo's closes moved against the stored ones on the first date both have
 * (new ÷ stored), when it is a split's and not a day's correction: outside 0.8–1.25 (the smallest
 * split, 3:2, moves closes by 1.5). Null otherwise, or without a common date.
 */
export function splitShiftOfCloses(closes: readonly DailyClose[], storedCloseOn: (date: string) => number | undefined): number | null {
  for (const { date, close } of closes) {
    const stored = storedCloseOn(date);
    if (stored === undefined) continue;
    const ratio = close / stored;
    return Number.isFinite(ratio) && ratio > 0 && (ratio < 0.8 || ratio > 1.25) ? ratio : null;
  }
  return null;
}

/**
 * The stored earnings put on the share basis of `splits`, from their as-filed columns (what
 * applySplits reads), as storing them with these splits would have: only the rows that change.
 */
export function readjustedEarnings(stored: readonly EarningsRow[], splits: readonly SplitEvent[]): EarningsRow[] {
  return applySplits(stored, splits).filter((row, index) => {
    const before = stored[index];
    return before?.eps_diluted_adjusted !== row.eps_diluted_adjusted || before.dividends_per_share !== row.dividends_per_share;
  });
}

/** What the stock_metrics row is computed from, as stored after the update's other rows are written. */
export interface MetricsInput {
  /** The quote fetched now, if any. */
  quote: QuoteRow | undefined;
  /** Whether daily closes came with the quote (spark): then the 52-week range is the closes'. */
  withCloses: boolean;
  storedPrice: number | null;
  /** The stored price's currency, compared with the filings' when no quote came. */
  storedCurrency: string | null;
  sharesOutstanding: number | null;
  earnings: EarningsRow[];
  /** Highest and lowest close of the 365 days up to the newest stored one. */
  closeRange: { high: number | null; low: number | null } | undefined;
}

export type MetricsRow = LynchMetrics & {
  price: number | null;
  fifty_two_week_high: number | null;
  fifty_two_week_low: number | null;
  currency: string | null;
  price_time: string | null;
};

/**
 * Metrics from what is stored after this update: a night that fetched only the price still gets a
 * P/E from the stored earnings, and one that fetched only earnings keeps the stored price.
 */
export function metricsRow(input: MetricsInput): MetricsRow {
  const { quote } = input;
  const metrics = computeLynchMetrics({
    price: quote?.price ?? input.storedPrice,
    sharesOutstanding: input.sharesOutstanding,
    earnings: input.earnings,
    quoteCurrency: quote?.currency ?? input.storedCurrency,
  });
  // Closing highs and lows from price_history, not intraday ones like the chart meta's: spark has
  // no range, and one kind of value for every stock beats a mix. A quote without closes (the chart
  // endpoint's) keeps its own range: the stored closes may have stopped.
  const range = quote === undefined || !input.withCloses ? undefined : input.closeRange;
  return {
    price: quote?.price ?? null,
    fifty_two_week_high: range?.high ?? quote?.fifty_two_week_high ?? null,
    fifty_two_week_low: range?.low ?? quote?.fifty_two_week_low ?? null,
    currency: quote?.currency ?? null,
    price_time: quote?.price_time ?? null,
    ...metrics,
  };
}
