import { fxPair, type FxAnswer, type FxRates } from '../../extract/fx-rates.js';

/*
 * The night's exchange rates. A company reporting in another currency than its listing's price
 * has its ratios converted with the pair `<REPORTED><QUOTE>=X`, asked of Yahoo once a night
 * through the same spark requests as the prices: the pairs of the currencies already stored ride
 * with the first batch's requests, a currency met for the first time (a new company's filings)
 * is asked for when it is met. A pair that fails costs only the ratios of its companies.
 */

/** What the book asks the price providers: one symbol's last close and its date, or why none. */
export type FxLookup = (pair: string) => Promise<{ kind: 'data'; price: number | null; date: string | null } | { kind: 'none'; reason: string }>;

export class FxBook {
  private readonly settled = new Map<string, FxAnswer>();
  private readonly pending = new Map<string, Promise<FxAnswer>>();
  private queued: string[] = [];

  /**
   * @param lookup asks the price providers for one pair (its spark request started by `prefetch`)
   * @param prefetch starts the providers' requests for some symbols
   * @param storedCurrencies the reporting currencies of the stored companies: their pairs go with the first batch
   * @param quoteCurrency the currency of the listings' prices (US listings: USD)
   * @param record where each answer is also recorded (the night's, for the report)
   */
  constructor(
    private readonly lookup: FxLookup,
    private readonly prefetch: (symbols: readonly string[]) => void,
    storedCurrencies: readonly string[],
    readonly quoteCurrency: string,
    private readonly record?: Map<string, FxAnswer>,
  ) {
    this.queued = [...new Set(storedCurrencies)].filter((currency) => currency !== quoteCurrency).map((currency) => fxPair(currency, quoteCurrency));
  }

  /** The night's answers so far, by pair (read when a stock's rows are planned). */
  get rates(): FxRates {
    return this.settled;
  }

  /** Starts a batch's price requests with the pairs not asked for yet added to them: each pair once a night. */
  prefetchWith(symbols: readonly string[]): void {
    const pairs = this.queued.filter((pair) => !this.pending.has(pair));
    this.queued = [];
    this.prefetch(pairs.length === 0 ? symbols : [...symbols, ...pairs]);
    for (const pair of pairs) void this.track(pair);
  }

  /** The rate from `currency` to `quote`, asked for now unless it was already (a request of its own). */
  rate(currency: string, quote: string = this.quoteCurrency): Promise<FxAnswer> {
    const pair = fxPair(currency, quote);
    const known = this.pending.get(pair);
    if (known !== undefined) return known;
    this.prefetch([pair]);
    return this.track(pair);
  }

  /** Every pair asked for so far has its answer. */
  async allSettled(): Promise<void> {
    await Promise.all(this.pending.values());
  }

  private track(pair: string): Promise<FxAnswer> {
    const answer = this.lookup(pair)
      .then(
        (found): FxAnswer => {
          if (found.kind === 'none') return { kind: 'failed', pair, reason: found.reason };
          if (found.price === null || !(found.price > 0) || !Number.isFinite(found.price) || found.date === null) return { kind: 'failed', pair, reason: 'yahoo: no usable close' };
          return { kind: 'rate', pair, rate: found.price, date: found.date };
        },
        (error: unknown): FxAnswer => ({ kind: 'failed', pair, reason: `yahoo: ${(error as Error | null)?.message ?? String(error)}` }),
      )
      .then((settled) => {
        this.settled.set(pair, settled);
        this.record?.set(pair, settled);
        return settled;
      });
    this.pending.set(pair, answer);
    return answer;
  }
}
