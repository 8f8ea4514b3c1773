import type { Validators } from '../sources/source-client.js';
import { DAY_MS } from './facts-index.js';
import type { FxRate } from './fx-rates.js';
import { metricsRow, type CloseRange, type MetricsRow } from './metrics-row.js';
import type { DailyClose } from './spark.js';
import { applySplits } from './split-adjust.js';
import type { StockUpdate } from './stock-update.js';
import type { EarningsRow, FilingRow, SplitEvent } from './types.js';

export type { StockUpdate } from './stock-update.js';
export { metricsRow, type CloseRange, type MetricsInput, type MetricsRow } from './metrics-row.js';

/*
 * The pure step of storing a stock: (stored state + fetched data) -> rows. The store
 * (db/stock-store.ts) reads what storedStockQuery names, calls planStockWrite, and writes the rows it
 * returns, in one transaction; every decision (splits, the 52-week range, whether the metrics are
 * computed again, what is kept of the price history) is taken here.
 */

/** Closes older than this before a symbol's newest one are dropped: a year's range plus slack. */
export const HISTORY_KEPT_DAYS = 400;
/**
 * The 52-week range is taken over this many days ending at the newest stored close, not today: a
 * stock whose prices stopped coming keeps the range of its last year instead of a shrinking one.
 */
export const RANGE_WINDOW_DAYS = 365;

/** What of the stored state planStockWrite needs for an update; the store reads that and no more. */
export interface StoredStockQuery {
  /** The stored shares outstanding and price: the metrics may be computed again. */
  metricInputs: boolean;
  earnings: boolean;
  splits: boolean;
  /**
   * The stored closes from `from` on (the dates the update may overwrite) and, with `range`, the
   * highest and lowest older close within `windowDays` of the newest close after the write (the
   * later of `newest`, the update's, and the stored newest).
   */
  closes: { from: string; newest: string; windowDays: number; range: boolean } | null;
}

/** The stored state of one stock, as far as storedStockQuery asked for it (the rest empty). */
export interface StoredStock {
  sharesOutstanding: number | null;
  /** The price of the stored stock_metrics row, and its currency. */
  price: number | null;
  currency: string | null;
  /** The exchange rate stored with that price (stock_metrics.fx_pair, fx_rate, fx_rate_date). @default null */
  fxRate?: FxRate | null;
  earnings: EarningsRow[];
  splits: SplitEvent[];
  /** Stored closes dated on or after the update's earliest close. */
  recentCloses: DailyClose[];
  /** Highest and lowest stored close before those, in the 52-week window (StoredStockQuery.closes). */
  olderCloseRange: CloseRange;
}

/** The parts of the stored state an update needs. */
export function storedStockQuery(update: StockUpdate): StoredStockQuery {
  let [from, newest]: (string | undefined)[] = [];
  for (const { date } of update.closes ?? []) {
    if (from === undefined || date < from) from = date;
    if (newest === undefined || date > newest) newest = date;
  }
  const keepsEarnings = update.earnings === undefined;
  return {
    metricInputs: update.quote !== undefined || !keepsEarnings || update.splits !== undefined,
    earnings: keepsEarnings && (update.quote !== undefined || update.splits !== undefined),
    splits: !keepsEarnings && update.splits === undefined,
    closes: from === undefined || newest === undefined ? null : { from, newest, windowDays: RANGE_WINDOW_DAYS, range: update.quote !== undefined },
  };
}

/** The stocks row: a null column keeps the stored value (the store's upsert coalesces). */
export interface StockRow {
  symbol: string;
  cik: number | null;
  name: string | null;
  exchange: string | null;
  sic: string | null;
  industry: string | null;
  fiscal_year_end: string | null;
  last_filing_accession: string | null;
  fundamentals_updated_at: string | null;
  shares_outstanding: number | null;
  shares_outstanding_date: string | null;
  shares_outstanding_source: string | null;
}

/** The price_history rows of an update. */
export interface CloseRows {
  /** A split seen in the closes: the stored closes dated before `before` are multiplied by `factor`. */
  rescale: { factor: number; before: string } | null;
  /** Upserted in order (a date given twice: the last wins). */
  closes: DailyClose[];
  /** Closes dated before this are deleted; null deletes none. */
  pruneBefore: string | null;
}

/** Every row one update writes; null and empty parts write nothing. */
export interface StockWrite {
  stock: StockRow;
  /** Replace the stock's earnings, on the share basis of its splits. */
  earnings: EarningsRow[] | null;
  /** Stored earnings rows put on the basis of new splits: their adjusted columns are updated. */
  readjusted: EarningsRow[];
  /** Replace the stock's splits. */
  splits: SplitEvent[] | null;
  closes: CloseRows | null;
  filings: FilingRow[];
  sections: { accession: string; section: string; content: string }[];
  /** Validators worth keeping (one of the two is set). */
  validators: ({ url: string } & Validators)[];
  /** The stock_metrics row, when the price or the earnings changed; null keeps the stored one. */
  metrics: MetricsRow | null;
  /** The night's exchange rate the metrics were converted with, for fx_rates; null writes none. */
  fxRate: FxRate | null;
}

/**
 * The rows of one update from the stored state it needs ({@link storedStockQuery}). Per-share
 * values are put on today's share basis here and only here: new earnings with the update's splits
 * (else the stored ones), stored earnings with new splits that came without earnings. The
 * stock_metrics row is computed from what is stored after the write when the price, the earnings
 * or their adjustment changed.
 */
export function planStockWrite(stored: StoredStock, update: StockUpdate, now: string): StockWrite {
  const earnings = update.earnings === undefined ? null : applySplits(update.earnings, update.splits ?? stored.splits);
  const restated = earnings === null && update.splits !== undefined ? applySplits(stored.earnings, update.splits) : stored.earnings;
  const readjusted =
    restated === stored.earnings
      ? []
      : restated.filter((row, index) => {
          const before = stored.earnings[index];
          return before?.eps_diluted_adjusted !== row.eps_diluted_adjusted || before.dividends_per_share !== row.dividends_per_share;
        });
  const prices = closeRows(stored, update.closes ?? []);
  const recompute = update.quote !== undefined || earnings !== null || readjusted.length > 0;
  const sections = update.sections;
  const metrics = !recompute
    ? null
    : metricsRow({
        symbol: update.symbol,
        quote: update.quote,
        withCloses: prices !== null,
        storedPrice: stored.price,
        storedCurrency: stored.currency,
        storedFxRate: stored.fxRate ?? null,
        fxRates: update.fxRates,
        adsRatio: update.adsRatio ?? null,
        sharesOutstanding: update.sharesOutstanding?.value ?? stored.sharesOutstanding,
        earnings: earnings ?? restated,
        closeRange: prices?.range,
      });
  return {
    stock: stockRow(update, now),
    earnings,
    readjusted,
    splits: update.splits ?? null,
    closes: prices?.rows ?? null,
    filings: update.filings ?? [],
    sections: sections?.sections.map(({ section, content }) => ({ accession: sections.accession, section, content })) ?? [],
    validators: (update.validators ?? []).filter(({ etag, last_modified }) => etag !== null || last_modified !== null),
    metrics,
    fxRate: tonightsRate(metrics, update),
  };
}

function stockRow(update: StockUpdate, now: string): StockRow {
  const { profile } = update;
  return {
    symbol: update.symbol,
    cik: update.cik ?? profile?.cik ?? null,
    name: profile?.name ?? update.name ?? update.quote?.long_name ?? null,
    exchange: update.exchange ?? profile?.exchanges[0] ?? null,
    sic: profile?.sic ?? null,
    industry: profile?.industry ?? null,
    fiscal_year_end: profile?.fiscal_year_end ?? null,
    last_filing_accession: update.latestAccession ?? null,
    fundamentals_updated_at: update.fundamentalsRefreshed ? now : null,
    shares_outstanding: update.sharesOutstanding?.value ?? null,
    shares_outstanding_date: update.sharesOutstanding?.date ?? null,
    shares_outstanding_source: update.sharesOutstanding?.source ?? null,
  };
}

/** The date `days` days before an ISO date, as SQLite's date(d, '-N days'); null for an unreadable date. */
function daysBefore(date: string, days: number): string | null {
  const time = Date.parse(date);
  if (Number.isNaN(time)) return null;
  // Not toISOString: this runs for every stock every night, and the fields are 4x cheaper.
  const day = new Date(time - days * DAY_MS);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${String(day.getUTCFullYear()).padStart(4, '0')}-${two(day.getUTCMonth() + 1)}-${two(day.getUTCDate())}`;
}

/**
 * The closes to write and the 52-week range of the price history after writing them: stored closes
 * on the update's dates are replaced, the older ones rescaled by a split seen in the closes (Yahoo
 * puts its past closes on the new basis after a split; the stored ones follow). Written as loops:
 * it runs for every stock every night.
 */
function closeRows(stored: StoredStock, closes: readonly DailyClose[]): { rows: CloseRows; range: CloseRange } | null {
  const first = closes[0];
  if (first === undefined) return null;
  const fresh = new Map<string, number>();
  for (const { date, close } of closes) fresh.set(date, close);
  const { recentCloses } = stored;
  const storedOn = recentCloses.length === 0 ? null : new Map(recentCloses.map(({ date, close }) => [date, close]));
  const factor = storedOn === null ? null : splitShiftOfCloses(closes, (date) => storedOn.get(date));
  const rescaled = (close: number): number => (factor === null ? close : close * factor);
  let newest = first.date;
  for (const date of fresh.keys()) if (date > newest) newest = date;
  for (const { date } of recentCloses) if (date > newest) newest = date;
  const windowStart = daysBefore(newest, RANGE_WINDOW_DAYS);
  // The older stored closes lie before the update's earliest date: all rescaled, none replaced.
  const older = stored.olderCloseRange;
  const range: CloseRange = { high: older.high === null ? null : rescaled(older.high), low: older.low === null ? null : rescaled(older.low) };
  const take = (date: string, close: number): void => {
    if (windowStart === null || date <= windowStart) return;
    if (range.high === null || close > range.high) range.high = close;
    if (range.low === null || close < range.low) range.low = close;
  };
  for (const [date, close] of fresh) take(date, close);
  for (const { date, close } of recentCloses) if (!fresh.has(date)) take(date, date < first.date ? rescaled(close) : close);
  return { rows: { rescale: factor === null ? null : { factor, before: first.date }, closes: [...closes], pruneBefore: daysBefore(newest, HISTORY_KEPT_DAYS) }, range };
}

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

/** The night's rate of the pair the metrics needed, for the fx_rates record of the pair. */
function tonightsRate(metrics: MetricsRow | null, update: StockUpdate): FxRate | null {
  const answer = metrics?.fx_pair == null ? undefined : update.fxRates?.get(metrics.fx_pair);
  return answer?.kind === 'rate' ? { pair: answer.pair, rate: answer.rate, date: answer.date } : null;
}
