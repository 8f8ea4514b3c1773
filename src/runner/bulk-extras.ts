import type { StockUpdate } from '../db/stock-store.js';
import type { SourceError } from '../errors.js';
import { companyCurrency } from '../extract/metric-currency.js';
import { mergeSplits } from '../extract/split-adjust.js';
import type { CompanyFactsExtract, FilingRow, SplitEvent } from '../extract/types.js';
import type { UniverseEntry } from '../extract/universe.js';
import type { SecSource } from '../sources/sec.js';
import { fetchLatestSections, type CompanyData } from './company-data.js';
import type { Outcome } from './outcome.js';
import type { PriceBook } from './prices/price-book.js';
import { listingCurrency } from './process-stock.js';
import type { RunControl } from './run-control.js';

/*
 * What a rebuild from the bulk archives does after reading them (the 10-K sections, split events)
 * and how it judges each stock: the archives carry neither filing documents nor split dates.
 */

/** What a stock's price request came to in a rebuild. */
export type PricePart = { kind: 'data' } | { kind: 'no_data'; reason: string } | { kind: 'error'; error: SourceError };

/** What these steps may do to the rebuild: store a stock's part, fail it, abort the run. */
export interface RebuildSink {
  control: RunControl;
  save: (entry: UniverseEntry, company: Partial<CompanyData>, primary: boolean) => Promise<void>;
  write: (update: StockUpdate) => Promise<void>;
  fail: (outcome: Outcome) => void;
}

/**
 * The latest 10-K's Items 1, 1A, 7, 7A for each company, as a per-company night fetches them
 * (once per 10-K). Four at a time under SEC's ceiling.
 */
export async function fetchBulkSections(
  sec: SecSource,
  filingsForSections: Map<number, FilingRow[]>,
  listings: Map<number, UniverseEntry[]>,
  stored: { has: (accession: string) => boolean },
  sink: RebuildSink,
): Promise<void> {
  const queue = [...filingsForSections];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined && !sink.control.stopped(); next = queue.shift()) {
      const [cik, filings] = next;
      const owner = listings.get(cik)?.[0];
      if (owner === undefined) continue;
      let found: Awaited<ReturnType<typeof fetchLatestSections>>;
      try {
        found = await fetchLatestSections(sec, cik, filings, stored);
      } catch (error) {
        // Only a fatal error (SEC 403) gets here: the run aborts.
        sink.control.abort((error as Error).message);
        return;
      }
      if (found.sections !== undefined) await sink.save(owner, { sections: found.sections }, true);
      if (found.sectionsError !== undefined) {
        const error = found.sectionsError;
        sink.fail({ status: 'failed', symbol: owner.symbol, errorType: error.type, message: `sec: ${error.message}`, attempts: error.attempts, source: 'sec' });
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

/**
 * Where the filings show a split no stored split accounts for, Yahoo's split events date and size
 * it; the stock's stored per-share values are adjusted again with it in the same transaction.
 */
export async function fetchSplitEvents(prices: PriceBook, entries: readonly UniverseEntry[], needsSplitChart: Map<string, SplitEvent[]>, sink: RebuildSink): Promise<void> {
  for (const entry of entries) {
    const inferred = needsSplitChart.get(entry.symbol);
    if (inferred === undefined || sink.control.stopped()) continue;
    let splits: SplitEvent[];
    try {
      splits = await prices.splitEvents(entry.symbol);
    } catch (error) {
      sink.control.abort((error as Error).message);
      return;
    }
    if (splits.length === 0) continue;
    // Only the splits: the price stays spark's, as on a per-company night.
    await sink.write({ symbol: entry.symbol, cik: entry.cik, name: entry.name, exchange: entry.exchange, fundamentalsRefreshed: false, splits: mergeSplits(splits, inferred) });
  }
}

/**
 * A rebuilt stock's outcome: its failure, else successful or skipped by what the archives had. Its
 * price's outcome is recorded apart (a price that failed fails the stock only when SEC had nothing).
 */
export function bulkOutcome(entry: UniverseEntry, failure: Outcome | undefined, seen: Set<string> | undefined, price: PricePart | undefined): Outcome {
  if (failure !== undefined) return failure;
  const hasSec = seen !== undefined && seen.size > 0;
  if (price?.kind === 'error' && !hasSec) {
    return { status: 'failed', symbol: entry.symbol, errorType: price.error.type, message: `yahoo: ${price.error.message}`, attempts: price.error.attempts, source: 'yahoo' };
  }
  const notes: string[] = [];
  if (!hasSec) notes.push(entry.cik === null ? 'sec: no CIK for this symbol' : 'sec: not in the bulk archives');
  if (price?.kind === 'no_data') notes.push(price.reason);
  if (price?.kind === 'error') notes.push(`yahoo: price not refreshed (${price.error.message})`);
  if (!hasSec && price?.kind !== 'data') return { status: 'skipped', symbol: entry.symbol, reason: notes.join('; ') || 'no source has data' };
  return { status: 'successful', symbol: entry.symbol, unchanged: false, notes };
}

/**
 * A company reporting in another currency than its listing's: its pair is asked for now (once a
 * night), and its filings are to be stored when the rate came (or Yahoo paused), so a price stored
 * before them is converted with it. Null when no rate is needed.
 */
export function rateBeforeFacts(prices: PriceBook, entry: UniverseEntry, facts: CompanyFactsExtract): Promise<unknown> | null {
  const reported = companyCurrency(facts.earnings);
  const quote = listingCurrency(entry, null);
  if (reported === null || quote === null || reported === quote) return null;
  return Promise.race([prices.fx.rate(reported, quote), prices.whenStalled()]);
}
