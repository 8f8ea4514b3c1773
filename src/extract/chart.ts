import type { ChartBody } from '../sources/schemas/chart.js';
import type { QuoteRow, SplitEvent } from './types.js';

export type ChartExtract = { kind: 'quote'; quote: QuoteRow } | { kind: 'no_data'; reason: string };

type ChartResult = NonNullable<ChartBody['chart']['result']>[number];

/**
 * Reads a v8 chart body (checked by the CHART kind). The price and the 52-week range come from
 * `meta`; any of them may be missing or null (new listings, funds), which gives nulls rather than a
 * failure, and so does a price of zero or below (a placeholder). `chart.error` or an empty result
 * means Yahoo has nothing for the symbol.
 */
export function extractChartQuote(body: ChartBody): ChartExtract {
  const { error, result } = body.chart;
  if (error !== null && error !== undefined) return { kind: 'no_data', reason: `${error.code}: ${error.description ?? ''}`.trim() };
  const first = result?.[0];
  if (first === undefined) return { kind: 'no_data', reason: 'empty chart result' };
  const { meta } = first;
  const marketTime = finite(meta.regularMarketTime);
  return {
    kind: 'quote',
    quote: {
      price: positive(meta.regularMarketPrice),
      fifty_two_week_high: positive(meta.fiftyTwoWeekHigh),
      fifty_two_week_low: positive(meta.fiftyTwoWeekLow),
      currency: meta.currency ?? null,
      price_time: marketTime === null ? null : new Date(marketTime * 1000).toISOString(),
      long_name: meta.longName ?? meta.shortName ?? null,
      exchange_name: meta.fullExchangeName ?? null,
      splits: extractSplits(first.events?.splits ?? {}),
    },
  };
}

/**
 * `events.splits` is keyed by timestamp: `{"1626787800": {date, numerator: 4, denominator: 1}}`.
 * The ratio is new shares per old (4 for a 4:1 split, 0.1 for a 1:10 reverse split); an event
 * without a usable ratio (zero, or equal parts) is no split.
 */
function extractSplits(events: NonNullable<NonNullable<ChartResult['events']>['splits']>): SplitEvent[] {
  const splits: SplitEvent[] = [];
  for (const split of Object.values(events)) {
    const { date, numerator, denominator } = split;
    if (![date, numerator, denominator].every(Number.isFinite) || numerator <= 0 || denominator <= 0 || numerator === denominator) continue;
    splits.push({ date: new Date(date * 1000).toISOString().slice(0, 10), ratio: numerator / denominator, source: 'yahoo' });
  }
  return splits.sort((a, b) => a.date.localeCompare(b.date));
}

function finite(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A price of zero or below is a placeholder, not a price. */
function positive(value: number | null | undefined): number | null {
  const number = finite(value);
  return number !== null && number > 0 ? number : null;
}
