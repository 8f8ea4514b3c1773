import type { UniverseEntry } from '../extract/universe.js';
import { countOutcomes, type Outcome, type OutcomeCounts } from './outcome.js';
import { FatalSourceError } from '../errors.js';
import { processStock, type StockPipeline } from './process-stock.js';
import { plural } from '../util/text.js';

/** Progress callbacks: the terminal layer attaches a bar or log lines; the runner prints nothing. */
export interface RefreshEvents {
  onStockStart?: (symbol: string) => void;
  onStockDone?: (outcome: Outcome, progress: { done: number; total: number; counts: OutcomeCounts }) => void;
  onBatchStart?: (index: number, batchCount: number, size: number) => void;
  onRetryPass?: (symbols: string[]) => void;
}

export interface RefreshOptions {
  maxWorkers: number;
  delayBetweenBatchesMs: number;
  maxConsecutiveFailures: number;
  continueOnError: boolean;
  retryFailedStocks: boolean;
  /** No stock is started after this time (processing.max_runtime_minutes). */
  deadline: Date | null;
}

export interface RefreshDeps {
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** Aborted on SIGINT/SIGTERM: no new stock starts, those in flight finish. */
  signal?: AbortSignal;
}

export interface RefreshResult {
  /** One outcome per stock that was started, in plan order. */
  outcomes: Outcome[];
  status: 'completed' | 'aborted' | 'interrupted';
  /** Why the run was aborted (status "aborted"). */
  abortReason: string | null;
  /** Set when the time budget stopped the run early. */
  budgetExhausted: boolean;
  /** Stocks of the plan that were never started (abort, interruption, time budget). */
  notStarted: number;
  /** Symbols that failed in the main pass and were tried again. */
  retried: string[];
}

/**
 * The batch loop: batches in order, up to `maxWorkers` stocks at once within a batch (the
 * sources' ceilings hold across workers), a pause between batches, a second pass for failures.
 */
export async function runRefresh(
  batches: UniverseEntry[][],
  pipeline: StockPipeline,
  options: RefreshOptions,
  deps: RefreshDeps,
  events: RefreshEvents = {},
): Promise<RefreshResult> {
  const total = batches.reduce((sum, batch) => sum + batch.length, 0);
  const outcomes = new Map<string, Outcome>();
  const state = { consecutiveFailures: 0, abortReason: null as string | null, budgetExhausted: false };
  const stopped = (): boolean => state.abortReason !== null || deps.signal?.aborted === true || state.budgetExhausted;

  const runOne = async (entry: UniverseEntry, countFailures: boolean): Promise<void> => {
    if (stopped()) return;
    if (options.deadline !== null && deps.now() >= options.deadline) {
      state.budgetExhausted = true;
      return;
    }
    events.onStockStart?.(entry.symbol);
    let outcome: Outcome;
    try {
      outcome = await processStock(entry, pipeline);
    } catch (error) {
      if (!(error instanceof FatalSourceError)) throw error;
      state.abortReason ??= error.message;
      outcome = { status: 'failed', symbol: entry.symbol, errorType: error.sourceError.type, message: error.message, attempts: error.sourceError.attempts, source: error.source };
    }
    outcomes.set(entry.symbol, outcome);
    if (countFailures) checkFailureLimits(outcome);
    events.onStockDone?.(outcome, { done: outcomes.size, total, counts: countOutcomes(outcomes.values()) });
  };

  const checkFailureLimits = (outcome: Outcome): void => {
    if (outcome.status !== 'failed') {
      state.consecutiveFailures = 0;
      return;
    }
    state.consecutiveFailures += 1;
    if (state.abortReason !== null) return;
    if (!options.continueOnError) {
      state.abortReason = `continue_on_error is false: stopped at the first failure (${outcome.symbol}: ${outcome.message})`;
    } else if (state.consecutiveFailures >= options.maxConsecutiveFailures) {
      state.abortReason = `${plural(state.consecutiveFailures, 'consecutive failure', 'consecutive failures')} (error_handling.max_consecutive_failures); last: ${outcome.symbol}: ${outcome.message}`;
    }
  };

  for (const [index, batch] of batches.entries()) {
    if (stopped()) break;
    events.onBatchStart?.(index, batches.length, batch.length);
    pipeline.companies?.expect(ciksOf(batch));
    pipeline.prices?.prefetch(batch.map((entry) => entry.symbol));
    await runPool(batch, options.maxWorkers, (entry) => runOne(entry, true));
    if (index < batches.length - 1 && !stopped() && options.delayBetweenBatchesMs > 0) {
      await deps.sleep(options.delayBetweenBatchesMs);
    }
  }

  const failedEntries = batches.flat().filter((entry) => outcomes.get(entry.symbol)?.status === 'failed');
  const retried: string[] = [];
  if (options.retryFailedStocks && failedEntries.length > 0 && !stopped()) {
    retried.push(...failedEntries.map((entry) => entry.symbol));
    events.onRetryPass?.(retried);
    for (const entry of failedEntries) outcomes.delete(entry.symbol);
    pipeline.companies?.expect(ciksOf(failedEntries));
    pipeline.prices?.prefetch(failedEntries.map((entry) => entry.symbol));
    // The second pass is a last chance for transient trouble; it does not count toward the abort limits.
    await runPool(failedEntries, options.maxWorkers, (entry) => runOne(entry, false));
    for (const entry of failedEntries) {
      if (!outcomes.has(entry.symbol)) outcomes.set(entry.symbol, { status: 'failed', symbol: entry.symbol, errorType: 'internal', message: 'retry pass stopped before this stock', attempts: 0, source: 'runner' });
    }
  }

  pipeline.prices?.close();
  const ordered = batches.flat().flatMap((entry) => {
    const outcome = outcomes.get(entry.symbol);
    return outcome === undefined ? [] : [outcome];
  });
  const status = state.abortReason !== null ? 'aborted' : deps.signal?.aborted === true ? 'interrupted' : 'completed';
  return {
    outcomes: ordered,
    status,
    abortReason: state.abortReason,
    budgetExhausted: state.budgetExhausted,
    notStarted: total - ordered.length,
    retried,
  };
}

function ciksOf(entries: UniverseEntry[]): number[] {
  return entries.flatMap((entry) => (entry.cik === null ? [] : [entry.cik]));
}

/** Runs `task` over `items` with at most `workers` at once, in order of start. */
async function runPool<T>(items: T[], workers: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, items.length) }, worker));
}
