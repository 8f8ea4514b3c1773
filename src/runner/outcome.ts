import type { ErrorType, SourceError } from '../errors.js';

/** What became of one stock. A failure is data, not an exception. */
export type Outcome =
  | { status: 'successful'; symbol: string; unchanged: boolean; notes: string[] }
  | { status: 'failed'; symbol: string; errorType: ErrorType; message: string; attempts: number; source: string }
  | { status: 'skipped'; symbol: string; reason: string };

/**
 * What became of one stock's price, apart from its fundamentals (README, "Outcomes"): refreshed, no
 * data at Yahoo (delisted, unknown), failed, or still on its way when the run ended.
 */
export type PriceOutcome = { status: 'refreshed' } | { status: 'no_data'; reason: string } | { status: 'failed'; errorType: ErrorType; message: string; attempts: number } | { status: 'pending' };

/** A price lookup's result (a stock's price part, a rebuild's) as the night's price outcome. */
export function priceOutcomeOf(price: { kind: 'data' } | { kind: 'no_data'; reason: string } | { kind: 'error'; error: SourceError }): PriceOutcome {
  if (price.kind === 'data') return { status: 'refreshed' };
  if (price.kind === 'no_data') return { status: 'no_data', reason: price.reason };
  return { status: 'failed', errorType: price.error.type, message: `yahoo: ${price.error.message}`, attempts: price.error.attempts };
}

export interface OutcomeCounts {
  successful: number;
  failed: number;
  skipped: number;
  unchanged: number;
}

export function countOutcomes(outcomes: Iterable<Outcome>): OutcomeCounts {
  const counts: OutcomeCounts = { successful: 0, failed: 0, skipped: 0, unchanged: 0 };
  for (const outcome of outcomes) {
    counts[outcome.status] += 1;
    if (outcome.status === 'successful' && outcome.unchanged) counts.unchanged += 1;
  }
  return counts;
}

/** successful / (successful + failed): skipped stocks have no data anywhere and do not count. */
export function successRate(counts: OutcomeCounts): number {
  const attempted = counts.successful + counts.failed;
  return attempted === 0 ? 1 : counts.successful / attempted;
}
