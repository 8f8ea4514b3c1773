import { chooseRate, fxPair, type FxRate, type FxRates } from './fx-rates.js';
import { computeLynchMetrics, type LynchMetrics } from './lynch-metrics.js';
import { companyCurrency } from './metric-currency.js';
import type { EarningsRow, QuoteRow } from './types.js';

/** Highest and lowest close of a stretch of the price history. */
export interface CloseRange {
  high: number | null;
  low: number | null;
}

/** The stock_metrics row: the price part, the exchange rate the figures were converted with, the metrics. */
export type MetricsRow = LynchMetrics & {
  price: number | null;
  fifty_two_week_high: number | null;
  fifty_two_week_low: number | null;
  currency: string | null;
  price_time: string | null;
  /** The pair (`TWDUSD=X`), its rate and date, when the reporting currency is not the price's and a rate was had. */
  fx_pair: string | null;
  fx_rate: number | null;
  fx_rate_date: string | null;
};

/** What the stock_metrics row is computed from, as stored after the update's other rows are written. */
export interface MetricsInput {
  /** The listing, named in a note. @default null */
  symbol?: string | null;
  /** The quote fetched now, if any. */
  quote: QuoteRow | undefined;
  /** Whether daily closes came with the quote (spark): then the 52-week range is the closes'. */
  withCloses: boolean;
  storedPrice: number | null;
  /** The stored price's currency, compared with the filings' when no quote came. */
  storedCurrency: string | null;
  /** The exchange rate stored with the stored price. @default null */
  storedFxRate?: FxRate | null;
  /** The night's exchange rates (StockUpdate.fxRates). @default none */
  fxRates?: FxRates;
  /** Ordinary shares per listed share, from the config's adr_ratios. @default null */
  adsRatio?: number | null;
  sharesOutstanding: number | null;
  earnings: EarningsRow[];
  /** Highest and lowest close of the 365 days up to the newest stored one. */
  closeRange: CloseRange | undefined;
}

/**
 * Metrics from what is stored after this update: a night that fetched only the price still gets a
 * P/E from the stored earnings, and one that fetched only earnings keeps the stored price (and the
 * rate stored with it).
 */
export function metricsRow(input: MetricsInput): MetricsRow {
  const { quote } = input;
  const quoteCurrency = quote?.currency ?? input.storedCurrency;
  const reported = companyCurrency(input.earnings);
  const pair = reported === null || quoteCurrency === null || reported === quoteCurrency ? null : fxPair(reported, quoteCurrency);
  const fx = pair === null ? null : chooseRate(pair, quote !== undefined, input.fxRates, input.storedFxRate ?? null);
  const metrics = computeLynchMetrics({
    price: quote?.price ?? input.storedPrice,
    sharesOutstanding: input.sharesOutstanding,
    earnings: input.earnings,
    quoteCurrency,
    adsRatio: input.adsRatio ?? null,
    fx,
    symbol: input.symbol ?? null,
  });
  // Closing highs and lows from price_history, not intraday ones like the chart meta's: spark has
  // no range, and one kind of value for every stock beats a mix. A quote without closes (the chart
  // endpoint's) keeps its own range: the stored closes may have stopped.
  const range = quote === undefined || !input.withCloses ? undefined : input.closeRange;
  const rate = fx !== null && 'rate' in fx ? fx.rate : null;
  return {
    price: quote?.price ?? null,
    fifty_two_week_high: range?.high ?? quote?.fifty_two_week_high ?? null,
    fifty_two_week_low: range?.low ?? quote?.fifty_two_week_low ?? null,
    currency: quote?.currency ?? null,
    price_time: quote?.price_time ?? null,
    fx_pair: rate?.pair ?? null,
    fx_rate: rate?.rate ?? null,
    fx_rate_date: rate?.date ?? null,
    ...metrics,
  };
}
