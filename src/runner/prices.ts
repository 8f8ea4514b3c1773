import { extractChartQuote } from '../extract/chart.js';
import { extractSpark, sparkQuote, type DailyClose, type SparkSeries } from '../extract/spark.js';
import type { QuoteRow } from '../extract/types.js';
import { SourceError } from '../sources/http.js';
import type { YahooSource } from '../sources/yahoo.js';

/** The spark ranges asked for, by how much history a symbol already has. */
export type SparkRange = '5d' | '1mo' | '1y';

const DAY_MS = 86_400_000;

/** What Yahoo gave for one symbol: the price, and the daily closes to add to price_history. */
export type PriceAnswer =
  | { kind: 'data'; quote: QuoteRow; closes: DailyClose[]; via: 'spark' | 'chart' }
  | { kind: 'no_data'; reason: string }
  | { kind: 'error'; error: SourceError };

/**
 * Prices in batches: one spark request answers up to `symbols_per_request` (20) symbols, where a
 * chart request answers one. A symbol spark does not answer (delisted, or the batch failed after
 * its retries) is asked for on its own through the chart endpoint, which also carries split events.
 *
 * `prefetch` starts the requests for a batch of stocks at once (the source's ceiling spaces them),
 * so the stocks' other work overlaps with the price requests; `get` waits for a symbol's answer.
 */
export class PriceBook {
  private readonly answers = new Map<string, Promise<SparkLookup>>();
  /** Aborted by `close`: batches asked ahead for stocks that will not start are not sent. */
  private readonly cancel = new AbortController();

  constructor(
    private readonly yahoo: YahooSource,
    private readonly options: {
      symbolsPerRequest: number;
      now: () => Date;
      /** Newest stored close per symbol: a symbol with recent history needs only the last days. */
      latestCloseDates: Map<string, string>;
      /** Whether spark's closes moved against the stored ones by a split's factor (StockStore.closeShift). */
      closeShift?: (symbol: string, closes: readonly DailyClose[]) => number | null;
    },
  ) {}

  /** The history a symbol needs: a year for a new one, the last days for one refreshed lately, a month after a gap. */
  rangeFor(symbol: string): SparkRange {
    const latest = this.options.latestCloseDates.get(symbol);
    const age = latest === undefined ? Number.POSITIVE_INFINITY : this.options.now().getTime() - Date.parse(`${latest}T00:00:00Z`);
    // Five trading days span at least a week of calendar days: a missed night or a long weekend is covered.
    if (age <= 6 * DAY_MS) return '5d';
    if (age <= 25 * DAY_MS) return '1mo';
    return '1y';
  }

  /** Starts the spark requests for `symbols` not asked for yet, grouped by range, N to a request. */
  prefetch(symbols: readonly string[]): void {
    const byRange = new Map<SparkRange, string[]>();
    for (const symbol of new Set(symbols)) {
      if (this.answers.has(symbol)) continue;
      const range = this.rangeFor(symbol);
      const list = byRange.get(range) ?? [];
      list.push(symbol);
      byRange.set(range, list);
    }
    for (const [range, list] of byRange) {
      for (let start = 0; start < list.length; start += this.options.symbolsPerRequest) {
        const group = list.slice(start, start + this.options.symbolsPerRequest);
        const request = this.requestGroup(group, range);
        for (const symbol of group) {
          const answer = request.then((series) => lookup(series, symbol));
          // Only a fatal error rejects; the stock that takes the answer handles it, others must not crash the process.
          answer.catch(() => undefined);
          this.answers.set(symbol, answer);
        }
      }
    }
  }

  /**
   * The price of one symbol: from its spark batch, else from the chart endpoint. `withSplits`
   * asks the chart even when spark answered, for its split events (the filings show a split).
   * The answer is forgotten once taken: memory holds only the batches in flight.
   */
  async get(symbol: string, withSplits = false): Promise<PriceAnswer> {
    if (!this.answers.has(symbol)) this.prefetch([symbol]);
    const found = await (this.answers.get(symbol) as Promise<SparkLookup>);
    this.answers.delete(symbol);
    // Closes that moved by a split's factor overnight: the chart's split events date and size it.
    const splitInCloses = found.kind === 'series' && (this.options.closeShift?.(symbol, found.series.closes) ?? null) !== null;
    if (found.kind === 'series' && !withSplits && !splitInCloses) return { kind: 'data', quote: sparkQuote(found.series), closes: found.series.closes, via: 'spark' };
    // Yahoo limiting our rate: twenty chart requests in place of the batch would only make it worse.
    if (found.kind === 'failed' && found.error.type === 'rate_limited') return { kind: 'error', error: found.error };
    const chart = await this.chartQuote(symbol);
    if (found.kind !== 'series') return chart;
    // Spark's price and closes, with the chart's split events.
    const splits = chart.kind === 'data' ? chart.quote.splits : [];
    return { kind: 'data', quote: { ...sparkQuote(found.series), splits }, closes: found.series.closes, via: 'spark' };
  }

  private async requestGroup(symbols: string[], range: SparkRange): Promise<Map<string, SparkSeries> | SourceError> {
    try {
      const response = await this.yahoo.fetchSpark(symbols, range, this.cancel.signal);
      return response.kind === 'data' ? extractSpark(response.body) : new Map();
    } catch (error) {
      if (error instanceof SourceError) {
        if (error.fatal) throw error;
        return error;
      }
      return new SourceError('unexpected_response', (error as Error).message);
    }
  }


  /** The run is over (or stopped): requests still queued for symbols nobody will take are dropped. */
  close(): void {
    this.cancel.abort();
    this.answers.clear();
  }

  /** One symbol through the chart endpoint: price, 52-week range from its meta, split events. */
  async chartQuote(symbol: string): Promise<PriceAnswer> {
    try {
      const response = await this.yahoo.fetchChart(symbol);
      if (response.kind !== 'data') return { kind: 'no_data', reason: 'yahoo: symbol not found (404)' };
      const chart = extractChartQuote(response.body);
      return chart.kind === 'quote' ? { kind: 'data', quote: chart.quote, closes: [], via: 'chart' } : { kind: 'no_data', reason: `yahoo: ${chart.reason}` };
    } catch (error) {
      if (error instanceof SourceError) {
        if (error.fatal) throw error;
        return { kind: 'error', error };
      }
      return { kind: 'error', error: new SourceError('unexpected_response', (error as Error).message) };
    }
  }
}

type SparkLookup = { kind: 'series'; series: SparkSeries } | { kind: 'missing' } | { kind: 'failed'; error: SourceError };

function lookup(answer: Map<string, SparkSeries> | SourceError, symbol: string): SparkLookup {
  if (answer instanceof SourceError) return { kind: 'failed', error: answer };
  const series = answer.get(symbol);
  return series === undefined ? { kind: 'missing' } : { kind: 'series', series };
}
