import { SourceError } from '../../errors.js';
import { isFxPair } from '../../extract/fx-rates.js';
import { extractSpark, sparkQuote, type SparkSeries } from '../../extract/spark.js';
import type { PriceLookup, PriceProvider, PriceProviderContext } from './provider.js';

/** The spark ranges asked for, by how much history a symbol already has. */
export type SparkRange = '5d' | '1mo' | '1y';

const DAY_MS = 86_400_000;

/** The history a symbol needs: a year for a new one, the last days for one refreshed lately, a month after a gap. */
export function sparkRange(latestClose: string | undefined, now: Date): SparkRange {
  const age = latestClose === undefined ? Number.POSITIVE_INFINITY : now.getTime() - Date.parse(`${latestClose}T00:00:00Z`);
  // Five trading days span at least a week of calendar days: a missed night or a long weekend is covered.
  if (age <= 6 * DAY_MS) return '5d';
  if (age <= 25 * DAY_MS) return '1mo';
  return '1y';
}

/**
 * Yahoo's spark endpoint: one request answers up to `symbols_per_request` (20) symbols with their
 * daily closes, no split events. `prefetch` starts the requests for a batch of stocks at once (the
 * source's ceiling spaces them), so the stocks' other work overlaps with the price requests.
 */
export function sparkProvider(context: PriceProviderContext): PriceProvider {
  const answers = new Map<string, Promise<PriceLookup>>();
  // Aborted by `close`: batches asked ahead for stocks that will not start are not sent.
  const cancel = new AbortController();

  const requestGroup = async (symbols: string[], range: SparkRange): Promise<Map<string, SparkSeries> | SourceError> => {
    try {
      const response = await context.yahoo.fetchSpark(symbols, range, cancel.signal);
      const series = response.kind === 'data' ? extractSpark(response.body) : new Map<string, SparkSeries>();
      return checkedForSoftBlock(symbols, series, context);
    } catch (error) {
      if (error instanceof SourceError) {
        if (error.fatal) throw error;
        return error;
      }
      return new SourceError('unexpected_response', (error as Error).message);
    }
  };

  const prefetch = (symbols: readonly string[]): void => {
    const byRange = new Map<SparkRange, string[]>();
    const pairs: string[] = [];
    for (const symbol of new Set(symbols)) {
      if (answers.has(symbol)) continue;
      if (isFxPair(symbol)) pairs.push(symbol);
      else {
        const range = sparkRange(context.latestCloseDates.get(symbol), context.now());
        byRange.set(range, [...(byRange.get(range) ?? []), symbol]);
      }
    }
    if (pairs.length > 0) {
      // Only an exchange rate's last close is read: any range will do, so the pairs fill a request that has room.
      const range = [...byRange].find(([, list]) => list.length % context.symbolsPerRequest !== 0)?.[0] ?? [...byRange.keys()][0] ?? '5d';
      byRange.set(range, [...(byRange.get(range) ?? []), ...pairs]);
    }
    for (const [range, list] of byRange) {
      for (let start = 0; start < list.length; start += context.symbolsPerRequest) {
        const group = list.slice(start, start + context.symbolsPerRequest);
        const request = requestGroup(group, range);
        for (const symbol of group) {
          const answer = request.then((series) => lookup(series, symbol));
          // Only a fatal error rejects; the stock that takes the answer handles it, others must not crash the process.
          answer.catch(() => undefined);
          answers.set(symbol, answer);
        }
      }
    }
  };

  return {
    name: 'spark',
    carriesSplits: false,
    prefetch,
    async quote(symbol) {
      if (!answers.has(symbol)) prefetch([symbol]);
      const found = await (answers.get(symbol) as Promise<PriceLookup>);
      // The answer is forgotten once taken: memory holds only the batches in flight.
      answers.delete(symbol);
      return found;
    },
    close() {
      cancel.abort();
      answers.clear();
    },
  };
}

/** Symbols whose stored closes are this recent had prices "yesterday": Yahoo answering nothing for them is not a delisting. */
const RECENT_CLOSE_MS = 10 * DAY_MS;
/** A whole batch of this many symbols (a full spark request) with no data at all is not a set of delistings either. */
const IMPLAUSIBLY_EMPTY_BATCH = 20;

/**
 * A batch with data tells the circuit Yahoo answers; one that is empty for symbols that had prices
 * (or for a batch too large to be all delisted) is soft-block evidence: its symbols' prices are not
 * refreshed (an error, never "missing", so no chart request per symbol), and the circuit counts it.
 */
function checkedForSoftBlock(symbols: readonly string[], series: Map<string, SparkSeries>, context: PriceProviderContext): Map<string, SparkSeries> | SourceError {
  if (series.size > 0) {
    context.yahoo.client.healthyAnswer();
    return series;
  }
  const now = context.now().getTime();
  const hadPrices = symbols.filter((symbol) => {
    const latest = context.latestCloseDates.get(symbol);
    return latest !== undefined && now - Date.parse(`${latest}T00:00:00Z`) <= RECENT_CLOSE_MS;
  });
  if (hadPrices.length === 0 && symbols.length < IMPLAUSIBLY_EMPTY_BATCH) return series;
  const message = `yahoo: spark answered no data for any of ${symbols.length} symbols${hadPrices.length > 0 ? `, ${hadPrices.length} with prices in the last days` : ''} (a soft block?)`;
  context.yahoo.client.suspectAnswer(message);
  return new SourceError('unexpected_response', message);
}

function lookup(answer: Map<string, SparkSeries> | SourceError, symbol: string): PriceLookup {
  if (answer instanceof SourceError) return { kind: 'failed', error: answer };
  const series = answer.get(symbol);
  return series === undefined ? { kind: 'missing', reason: 'yahoo: no spark data' } : { kind: 'data', quote: sparkQuote(series), closes: series.closes };
}
