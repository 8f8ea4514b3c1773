import type { ErrorType, SourceError } from '../../errors.js';
import type { DailyClose } from '../../extract/spark.js';
import type { QuoteRow, SplitEvent } from '../../extract/types.js';
import type { YahooSource } from '../../sources/yahoo.js';
import type { FxAnswer } from '../../extract/fx-rates.js';
import { FxBook } from './fx-book.js';
import { PRICE_PROVIDERS } from './index.js';
import type { PriceLookup, PriceProvider, PriceProviderFactory } from './provider.js';

/** Failures that are the source's, not the symbol's: never sent on to the next provider symbol by symbol. */
const SOURCE_WIDE: ReadonlySet<ErrorType> = new Set(['rate_limited', 'forbidden', 'source_unavailable', 'unexpected_response']);

/** What the price providers gave for one symbol: the price, and the daily closes to add to price_history. */
export type PriceAnswer = { kind: 'data'; quote: QuoteRow; closes: DailyClose[] } | { kind: 'no_data'; reason: string } | { kind: 'error'; error: SourceError };

export interface PriceBookOptions {
  symbolsPerRequest: number;
  now: () => Date;
  /** Newest stored close per symbol: a symbol with recent history needs only the last days. */
  latestCloseDates: Map<string, string>;
  /** Whether the closes moved against the stored ones by a split's factor (StockStore.closeShift). */
  closeShift?: (symbol: string, closes: readonly DailyClose[]) => Promise<number | null>;
  /** The stored companies' reporting currencies: their exchange rates ride with the first batch. @default [] */
  reportingCurrencies?: readonly string[];
  /** Where the night records each pair's answer, for the report. @default none */
  fxRecord?: Map<string, FxAnswer>;
}

/** The currency the listings of the universe (NYSE, Nasdaq) are quoted in. */
export const LISTING_CURRENCY = 'USD';

/**
 * A night's prices from the registered providers (prices/index.ts), asked in order for each
 * symbol: spark in batches of 20, then the chart endpoint for what spark does not have. A symbol
 * that needs split events (its filings or its closes show a split) gets them from a provider that
 * carries them, its price staying the first provider's.
 */
export class PriceBook {
  private readonly providers: PriceProvider[];
  /** The night's exchange rates, asked through the same providers (fx-book.ts). */
  readonly fx: FxBook;

  constructor(
    private readonly yahoo: YahooSource,
    private readonly options: PriceBookOptions,
    factories: readonly PriceProviderFactory[] = PRICE_PROVIDERS,
  ) {
    const context = { yahoo, symbolsPerRequest: options.symbolsPerRequest, now: options.now, latestCloseDates: options.latestCloseDates };
    this.providers = factories.map((make) => make(context));
    this.fx = new FxBook(
      async (pair) => {
        const found = await this.get(pair);
        if (found.kind === 'data') return { kind: 'data', price: found.quote.price, date: found.closes.at(-1)?.date ?? found.quote.price_time?.slice(0, 10) ?? null };
        return { kind: 'none', reason: found.kind === 'no_data' ? found.reason : `yahoo: ${found.error.message}` };
      },
      (symbols) => this.startRequests(symbols),
      options.reportingCurrencies ?? [],
      LISTING_CURRENCY,
      options.fxRecord,
    );
  }

  /** Resolves when Yahoo pauses (a 429's Retry-After): a stock waiting for its price then goes on without it. */
  whenStalled(): Promise<void> {
    return this.yahoo.client.whenPaused();
  }

  /** Starts the requests for a batch of stocks ahead, in every provider that batches; the exchange rates not asked for yet ride with them. */
  prefetch(symbols: readonly string[]): void {
    this.fx.prefetchWith(symbols);
  }

  private startRequests(symbols: readonly string[]): void {
    for (const provider of this.providers) provider.prefetch?.(symbols);
  }

  /** The price of one symbol; `withSplits` also asks for its split events (the filings show a split). */
  async get(symbol: string, withSplits = false): Promise<PriceAnswer> {
    let last: Exclude<PriceLookup, { kind: 'data' }> | undefined;
    for (const [index, provider] of this.providers.entries()) {
      const found = await provider.quote(symbol);
      if (found.kind === 'data') {
        // Closes that moved by a split's factor overnight: the split events date and size it.
        const splitInCloses = ((await this.options.closeShift?.(symbol, found.closes)) ?? null) !== null;
        if (provider.carriesSplits || (!withSplits && !splitInCloses)) return found;
        return { ...found, quote: { ...found.quote, splits: await this.splitsFrom(this.providers.slice(index + 1), symbol) } };
      }
      // Yahoo limiting, blocking or soft-blocking us: single requests in place of a batch would only make it worse.
      if (found.kind === 'failed' && SOURCE_WIDE.has(found.error.type)) return { kind: 'error', error: found.error };
      last = found;
    }
    if (last === undefined || last.kind === 'missing') return { kind: 'no_data', reason: last?.reason ?? 'yahoo: no price provider' };
    return { kind: 'error', error: last.error };
  }

  /** The split events of one symbol, from the first provider that carries them; none when it has none. */
  splitEvents(symbol: string): Promise<SplitEvent[]> {
    return this.splitsFrom(this.providers, symbol);
  }

  /** The run is over (or stopped): requests still queued for symbols nobody will take are dropped. */
  close(): void {
    for (const provider of this.providers) provider.close?.();
  }

  private async splitsFrom(providers: readonly PriceProvider[], symbol: string): Promise<SplitEvent[]> {
    const carrier = providers.find((provider) => provider.carriesSplits);
    const found = await carrier?.quote(symbol);
    return found?.kind === 'data' ? found.quote.splits : [];
  }
}
