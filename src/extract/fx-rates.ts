/*
 * Exchange rates for the ratios of a filer that reports in another currency than its listing is
 * quoted in (TSMC: TWD per ordinary share against USD per ADS). Yahoo's pair `<FROM><TO>=X`
 * (`TWDUSD=X`) quotes TO per one FROM; the night asks for it through the same spark requests as
 * the prices and takes the pair's last close and its date. A rate is used with the price of its
 * own night: a price fetched tonight with tonight's rate, a stored price with the rate stored
 * beside it (stock_metrics.fx_rate).
 */

/** One pair's rate: `rate` units of the quote currency per unit of the reporting currency, at the close of `date`. */
export interface FxRate {
  pair: string;
  rate: number;
  /** YYYY-MM-DD: the trading day of the close (New York calendar, as spark's closes). */
  date: string;
}

/** What the night got for one pair: its rate, or why there is none. */
export type FxAnswer = ({ kind: 'rate' } & FxRate) | { kind: 'failed'; pair: string; reason: string };

/** The pairs the night has answered so far, by pair. */
export type FxRates = ReadonlyMap<string, FxAnswer>;

/** Yahoo's symbol of the pair quoting `to` per one `from`. */
export function fxPair(from: string, to: string): string {
  return `${from}${to}=X`;
}

/** Whether a symbol is an exchange-rate pair and not a listing. */
export function isFxPair(symbol: string): boolean {
  return /^[A-Z]{6}=X$/.test(symbol);
}

/** The rate to convert with, or why none may be used. */
export type RateChoice = { rate: FxRate } | { missing: string };

/**
 * The rate for `pair` to set against a price: a price fetched tonight takes tonight's rate only
 * (a pair that failed costs the ratios, it does not fall back on an older rate); a stored price
 * takes the rate stored with it, else tonight's.
 */
export function chooseRate(pair: string, priceTonight: boolean, tonight: FxRates | undefined, stored: FxRate | null): RateChoice {
  const answer = tonight?.get(pair);
  if (!priceTonight && stored !== null && stored.pair === pair) return { rate: stored };
  if (answer?.kind === 'rate') return { rate: { pair, rate: answer.rate, date: answer.date } };
  if (answer?.kind === 'failed') return { missing: `no ${pair} rate (${answer.reason})` };
  return { missing: priceTonight ? `no ${pair} rate fetched` : `no ${pair} rate stored with the price` };
}
