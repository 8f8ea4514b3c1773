import type { SparkBody } from '../sources/schemas/spark.js';
import type { QuoteRow } from './types.js';

/** One daily close of `price_history`. */
export interface DailyClose {
  /** YYYY-MM-DD: the trading day in America/New_York. */
  date: string;
  close: number;
}

/** One symbol's answer in a v8 spark body. */
export interface SparkSeries {
  symbol: string;
  /** Oldest first; null, non-positive and non-finite closes dropped; one per date (the last wins). */
  closes: DailyClose[];
  /** ISO 8601 time of the last close's timestamp. */
  time: string | null;
}

/**
 * Yahoo stamps a daily point with the session's opening time (09:30 in New York) and the still-open day
 * with the time of its last trade: the New York calendar date is the trading day for both, where
 * the UTC date of an after-hours stamp would be the next day.
 */
const NEW_YORK_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * The series of a spark body (checked by the SPARK kind), keyed by symbol: symbols answered with
 * at least one usable close; delisted ones (`timestamp: []`, `close: null`) are absent. Null,
 * non-positive and non-finite closes are dropped, and points beyond the shorter of the two arrays.
 */
export function extractSpark(body: SparkBody): Map<string, SparkSeries> {
  const series = new Map<string, SparkSeries>();
  for (const [symbol, entry] of Object.entries(body)) {
    const closes = entry.close ?? [];
    const byDate = new Map<string, { close: number; at: number }>();
    entry.timestamp.forEach((at, index) => {
      const close = closes[index];
      if (!Number.isFinite(at) || close === undefined || close === null || !Number.isFinite(close) || close <= 0) return;
      const date = newYorkDate(at);
      if (date === null) return;
      // A later point of the same day (the live one appended to the daily ones) replaces it.
      const known = byDate.get(date);
      if (known === undefined || at >= known.at) byDate.set(date, { close, at });
    });
    if (byDate.size === 0) continue;
    const points = [...byDate].sort(([a], [b]) => a.localeCompare(b));
    const last = points.at(-1)?.[1];
    series.set(symbol, {
      symbol,
      closes: points.map(([date, { close }]) => ({ date, close })),
      time: last === undefined ? null : new Date(last.at * 1000).toISOString(),
    });
  }
  return series;
}

/**
 * The price part of `stock_metrics` from a spark series. Spark has no meta: no currency, name,
 * exchange or splits, and the 52-week range comes from the stored closes (stock-rows.ts).
 */
export function sparkQuote(series: SparkSeries): QuoteRow {
  return {
    price: series.closes.at(-1)?.close ?? null,
    fifty_two_week_high: null,
    fifty_two_week_low: null,
    currency: null,
    price_time: series.time,
    long_name: null,
    exchange_name: null,
    splits: [],
  };
}

function newYorkDate(epochSeconds: number): string | null {
  const time = new Date(epochSeconds * 1000);
  return Number.isNaN(time.getTime()) ? null : NEW_YORK_DATE.format(time);
}
