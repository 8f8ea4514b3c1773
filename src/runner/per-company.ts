import { FatalSourceError } from '../errors.js';
import type { UniverseEntry } from '../extract/universe.js';
import type { Outcome } from './outcome.js';
import { processStock, type StockPipeline } from './process-stock.js';
import type { OutcomeLedger, RunControl } from './run-control.js';

/*
 * Fundamentals company by company: two SEC requests per company (one per CIK, however many
 * listings share it), in batches, up to `max_workers` stocks at once within a batch (the sources'
 * ceilings hold across workers), a pause between batches.
 */

export interface PerCompanyOptions {
  batchSize: number;
  maxWorkers: number;
  delayBetweenBatchesMs: number;
}

export interface PerCompanyRun {
  control: RunControl;
  ledger: OutcomeLedger;
  sleep: (ms: number) => Promise<void>;
  onStockStart?: ((symbol: string) => void) | undefined;
  onBatchStart?: ((index: number, batchCount: number, size: number) => void) | undefined;
}

/** Cuts `entries` into batches of `size`, in order. */
export function batchesOf<T>(entries: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < entries.length; start += size) batches.push(entries.slice(start, start + size));
  return batches;
}

/**
 * Refreshes `entries` batch by batch, recording each outcome. `countFailures` false for the second
 * pass, a last chance for transient trouble that does not count toward the abort limits.
 */
export async function refreshCompanies(entries: readonly UniverseEntry[], pipeline: StockPipeline, options: PerCompanyOptions, run: PerCompanyRun, countFailures = true): Promise<void> {
  const batches = batchesOf(entries, options.batchSize);
  for (const [index, batch] of batches.entries()) {
    if (run.control.stopped()) break;
    run.onBatchStart?.(index, batches.length, batch.length);
    pipeline.companies?.expect(batch.flatMap((entry) => (entry.cik === null ? [] : [entry.cik])));
    pipeline.prices?.prefetch(batch.map((entry) => entry.symbol));
    await runPool(batch, options.maxWorkers, (entry) => refreshOne(entry, pipeline, run, countFailures));
    if (index < batches.length - 1 && !run.control.stopped() && options.delayBetweenBatchesMs > 0) {
      await run.sleep(options.delayBetweenBatchesMs);
    }
  }
}

async function refreshOne(entry: UniverseEntry, pipeline: StockPipeline, run: PerCompanyRun, countFailures: boolean): Promise<void> {
  if (run.control.stopped()) return;
  run.onStockStart?.(entry.symbol);
  let outcome: Outcome;
  try {
    outcome = await processStock(entry, pipeline);
  } catch (error) {
    if (!(error instanceof FatalSourceError)) throw error;
    run.control.abort(error.message);
    outcome = { status: 'failed', symbol: entry.symbol, errorType: error.sourceError.type, message: error.message, attempts: error.sourceError.attempts, source: error.source };
  }
  run.ledger.record(outcome, countFailures);
}

/** Runs `task` over `items` with at most `workers` at once, in order of start. */
async function runPool<T>(items: readonly T[], workers: number, task: (item: T) => Promise<void>): Promise<void> {
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
