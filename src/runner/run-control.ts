import type { ErrorType } from '../errors.js';
import type { Outcome, OutcomeCounts, PriceOutcome } from './outcome.js';
import { countOutcomes } from './outcome.js';
import { plural } from '../util/text.js';

/*
 * What every way of refreshing shares, written once: when to stop (a signal, the time budget, a
 * fatal error, the failure limits) and the outcomes of the stocks, in the order they finish.
 */

export interface RunControlOptions {
  now: () => Date;
  /** No stock starts after this time (processing.max_runtime_minutes). */
  deadline: Date | null;
  /** Aborted on SIGINT/SIGTERM: no new stock starts, those in flight finish. */
  signal?: AbortSignal | undefined;
  /** Settles when the run lock is lost (RunLock.lost): the run aborts with that reason, downloads end at once. */
  lockLost?: Promise<string> | undefined;
}

/** Whether the night may go on, and why not. */
export class RunControl {
  /** Why the run was aborted (a fatal error, the failure limits); null while it was not. */
  abortReason: string | null = null;
  /** Set once the time budget stopped the run. */
  budgetExhausted = false;
  private readonly stopping = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onStop = (): void => this.stopping.abort();

  constructor(private readonly options: RunControlOptions) {
    options.signal?.addEventListener('abort', this.onStop, { once: true });
    void options.lockLost?.then((reason) => {
      this.abort(reason);
      this.stopping.abort();
    });
    if (options.deadline !== null) {
      this.timer = setTimeout(this.onStop, Math.max(0, options.deadline.getTime() - options.now().getTime()));
      this.timer.unref();
    }
  }

  /** Whether no new stock may start: aborted, interrupted, or past the time budget (checked now). */
  stopped(): boolean {
    const { deadline, now, signal } = this.options;
    if (deadline !== null && !this.budgetExhausted && now() >= deadline) this.budgetExhausted = true;
    return this.abortReason !== null || signal?.aborted === true || this.budgetExhausted;
  }

  /** Aborts the run; the first reason stands. */
  abort(reason: string): void {
    this.abortReason ??= reason;
  }

  /** Aborted on SIGINT/SIGTERM or when the time budget runs out: ends a download at once, not between entries. */
  get stopSignal(): AbortSignal {
    return this.stopping.signal;
  }

  status(): 'completed' | 'aborted' | 'interrupted' {
    return this.abortReason !== null ? 'aborted' : this.options.signal?.aborted === true ? 'interrupted' : 'completed';
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.onStop);
  }
}

/** error_handling's limits: a run of failures means something is wrong with the run, not the stocks. */
export interface FailureLimits {
  maxConsecutiveFailures: number;
  continueOnError: boolean;
}

export type StockDone = (outcome: Outcome, progress: { done: number; total: number; counts: OutcomeCounts }) => void;

/** The night's prices apart from the stocks' outcomes: the report's `sources.yahoo` counts. */
export interface PriceCounts {
  prices_refreshed: number;
  prices_no_data: number;
  /** Failed, or still on their way when the run ended. */
  prices_not_refreshed: number;
  price_error_types: Partial<Record<ErrorType | 'still_waiting', number>>;
  /** Each price that failed on its own (not those an open circuit stopped, nor those still waiting: the counts have them). */
  price_failures: { symbol: string; error_type: ErrorType; message: string; attempts: number }[];
  /** The night's exchange-rate pairs: each one's rate and date, or why it has none (the engine adds them). */
  fx_rates?: ({ pair: string; rate: number; date: string } | { pair: string; error: string })[];
}

/** The outcome of each stock, the failure limits applied as they come in, progress reported. */
export class OutcomeLedger {
  private readonly outcomes = new Map<string, Outcome>();
  private readonly prices = new Map<string, PriceOutcome>();
  private consecutiveFailures = 0;

  constructor(
    private readonly total: number,
    private readonly control: RunControl,
    private readonly options: { limits: FailureLimits; onStockDone?: StockDone | undefined },
  ) {}

  /** Records a stock's outcome; `countFailures` false for a second pass or a rebuild (no abort limits there). */
  record(outcome: Outcome, countFailures: boolean): void {
    this.outcomes.set(outcome.symbol, outcome);
    if (countFailures) this.checkFailureLimits(outcome);
    this.options.onStockDone?.(outcome, { done: this.outcomes.size, total: this.total, counts: countOutcomes(this.outcomes.values()) });
  }

  /** Records a stock's price outcome (the last one stands: a price retried in the second pass). */
  recordPrice(symbol: string, outcome: PriceOutcome): void {
    this.prices.set(symbol, outcome);
  }

  priceCounts(): PriceCounts {
    const counts: PriceCounts = { prices_refreshed: 0, prices_no_data: 0, prices_not_refreshed: 0, price_error_types: {}, price_failures: [] };
    for (const [symbol, outcome] of this.prices) {
      if (outcome.status === 'refreshed') counts.prices_refreshed += 1;
      else if (outcome.status === 'no_data') counts.prices_no_data += 1;
      else {
        counts.prices_not_refreshed += 1;
        const type = outcome.status === 'pending' ? 'still_waiting' : outcome.errorType;
        counts.price_error_types[type] = (counts.price_error_types[type] ?? 0) + 1;
        if (outcome.status === 'failed' && outcome.errorType !== 'source_unavailable') {
          counts.price_failures.push({ symbol, error_type: outcome.errorType, message: outcome.message, attempts: outcome.attempts });
        }
      }
    }
    return counts;
  }

  get(symbol: string): Outcome | undefined {
    return this.outcomes.get(symbol);
  }

  /** Forgets outcomes about to be tried again. */
  forget(symbols: readonly string[]): void {
    for (const symbol of symbols) this.outcomes.delete(symbol);
  }

  /** The outcomes of `entries` that have one, in their order. */
  ordered(entries: readonly { symbol: string }[]): Outcome[] {
    return entries.flatMap((entry) => {
      const outcome = this.outcomes.get(entry.symbol);
      return outcome === undefined ? [] : [outcome];
    });
  }

  private checkFailureLimits(outcome: Outcome): void {
    // Price trouble never aborts the night; nor does a source whose circuit is open (it stopped its own requests).
    if (outcome.status === 'failed' && (outcome.source === 'yahoo' || outcome.errorType === 'source_unavailable')) return;
    if (outcome.status !== 'failed') {
      this.consecutiveFailures = 0;
      return;
    }
    this.consecutiveFailures += 1;
    const { continueOnError, maxConsecutiveFailures } = this.options.limits;
    if (!continueOnError) {
      this.control.abort(`continue_on_error is false: stopped at the first failure (${outcome.symbol}: ${outcome.message})`);
    } else if (this.consecutiveFailures >= maxConsecutiveFailures) {
      this.control.abort(`${plural(this.consecutiveFailures, 'consecutive failure', 'consecutive failures')} (error_handling.max_consecutive_failures); last: ${outcome.symbol}: ${outcome.message}`);
    }
  }
}
