import type { QuoteRow, SplitEvent } from './types.js';

export type ChartExtract = { kind: 'quote'; quote: QuoteRow } | { kind: 'no_data'; reason: string };

/**
 * Reads Yahoo's v8 chart body. The price and the 52-week range come from `meta`; any of them may
 * be missing (new listings, funds), which gives nulls rather than a failure. `chart.error` or an
 * empty result means Yahoo has nothing for the symbol.
 */
export function extractChartQuote(chart: unknown): ChartExtract {
  const root = record(record(chart).chart);
  const error = record(root.error);
  if (typeof error.code === 'string') {
    return { kind: 'no_data', reason: `${error.code}: ${typeof error.description === 'string' ? error.description : ''}`.trim() };
  }
  const result: unknown = Array.isArray(root.result) ? root.result[0] : undefined;
  if (result === undefined || result === null) return { kind: 'no_data', reason: 'empty chart result' };
  const metaNode = record(result).meta;
  // A result without a meta object is not a quote: an all-null quote would overwrite the stored price.
  if (typeof metaNode !== 'object' || metaNode === null || Array.isArray(metaNode)) return { kind: 'no_data', reason: 'chart result has no meta' };
  const meta = record(metaNode);
  const marketTime = finite(meta.regularMarketTime);
  return {
    kind: 'quote',
    quote: {
      price: positive(meta.regularMarketPrice),
      fifty_two_week_high: positive(meta.fiftyTwoWeekHigh),
      fifty_two_week_low: positive(meta.fiftyTwoWeekLow),
      currency: typeof meta.currency === 'string' ? meta.currency : null,
      price_time: marketTime === null ? null : new Date(marketTime * 1000).toISOString(),
      long_name: typeof meta.longName === 'string' ? meta.longName : typeof meta.shortName === 'string' ? meta.shortName : null,
      exchange_name: typeof meta.fullExchangeName === 'string' ? meta.fullExchangeName : null,
      splits: extractSplits(record(record(result).events).splits),
    },
  };
}

/**
 * `events.splits` is keyed by timestamp: `{"1626787800": {date, numerator: 4, denominator: 1}}`.
 * The ratio is new shares per old (4 for a 4:1 split, 0.1 for a 1:10 reverse split).
 */
function extractSplits(node: unknown): SplitEvent[] {
  const splits: SplitEvent[] = [];
  for (const value of Object.values(record(node))) {
    const split = record(value);
    const date = finite(split.date);
    const numerator = finite(split.numerator);
    const denominator = finite(split.denominator);
    if (date === null || numerator === null || denominator === null || numerator <= 0 || denominator <= 0 || numerator === denominator) continue;
    splits.push({ date: new Date(date * 1000).toISOString().slice(0, 10), ratio: numerator / denominator, source: 'yahoo' });
  }
  return splits.sort((a, b) => a.date.localeCompare(b.date));
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function finite(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A price of zero or below is a placeholder, not a price. */
function positive(value: unknown): number | null {
  const number = finite(value);
  return number !== null && number > 0 ? number : null;
}
