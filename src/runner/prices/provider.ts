import type { SourceError } from '../../errors.js';
import type { DailyClose } from '../../extract/spark.js';
import type { QuoteRow } from '../../extract/types.js';
import type { YahooSource } from '../../sources/yahoo.js';

/*
 * A source of prices. The PriceBook asks the registered providers (index.ts) in order for each
 * symbol: the first with data answers; a symbol one does not have goes to the next.
 */

/** One provider's answer for one symbol. */
export type PriceLookup =
  | { kind: 'data'; quote: QuoteRow; closes: DailyClose[] }
  /** It has nothing for this symbol (delisted, unknown): the next provider is asked. */
  | { kind: 'missing'; reason: string }
  | { kind: 'failed'; error: SourceError };

export interface PriceProvider {
  readonly name: string;
  /** Whether its quotes carry split events: asked for them when the filings or the closes show a split. */
  readonly carriesSplits: boolean;
  /** Starts the requests for these symbols ahead, so a batched provider can group them (optional). */
  prefetch?(symbols: readonly string[]): void;
  /** One symbol's price. Rejects only on a fatal error (the run aborts). */
  quote(symbol: string): Promise<PriceLookup>;
  /** The run is over: requests still queued are dropped. */
  close?(): void;
}

/** What a provider is made from. */
export interface PriceProviderContext {
  yahoo: YahooSource;
  symbolsPerRequest: number;
  now: () => Date;
  /** Newest stored close per symbol: a symbol with recent history needs only the last days. */
  latestCloseDates: Map<string, string>;
}

export type PriceProviderFactory = (context: PriceProviderContext) => PriceProvider;
