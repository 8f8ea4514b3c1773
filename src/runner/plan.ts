import type { StoredStockState } from '../db/stock-store.js';
import type { UniverseEntry } from '../extract/universe.js';

export interface PlanOptions {
  limit: number | undefined;
  forceRefresh: boolean;
  batchSize: number;
  /** Stored state per symbol; only read when `forceRefresh` is false. */
  states: Map<string, StoredStockState>;
  edgarEnabled: boolean;
  yahooEnabled: boolean;
  edgarRequestsPerSecond: number;
  yahooDelaySeconds: number;
  /** Symbols per batched price request (spark): a batch of stocks costs ceil(size / this) Yahoo requests. */
  symbolsPerRequest: number;
  delayBetweenBatchesSeconds: number;
  /** Keep only stocks never refreshed or last refreshed before this time (continuous mode). */
  dueBefore?: Date;
}

export interface RefreshPlan {
  entries: UniverseEntry[];
  batches: UniverseEntry[][];
  /** Distinct companies among the entries: SEC is asked once per CIK. */
  companies: number;
  /** The rate-limit floor of the run plus the pauses between batches. */
  estimatedSeconds: number;
  /** The rate-limit floor of the prices alone (spark requests): what bounds a rebuild from the bulk archives. */
  pricesSeconds: number;
}

/**
 * Orders and cuts the universe. A full refresh keeps the source file's order; an incremental one
 * (force_refresh false) puts never-refreshed stocks first, then the stalest, so a run cut short by
 * --limit or a time budget always spends itself where data is oldest.
 */
export function buildPlan(universe: UniverseEntry[], options: PlanOptions): RefreshPlan {
  const due = options.dueBefore === undefined ? universe : universe.filter((entry) => refreshedAt(entry, options.states) < (options.dueBefore as Date).getTime());
  const ordered = options.forceRefresh ? due : orderByStaleness(due, options.states);
  const entries = options.limit === undefined ? ordered : ordered.slice(0, options.limit);
  const batches: UniverseEntry[][] = [];
  for (let start = 0; start < entries.length; start += options.batchSize) {
    batches.push(entries.slice(start, start + options.batchSize));
  }
  const companies = companiesOf(entries).size;
  const secSeconds = options.edgarEnabled ? (2 * companies) / options.edgarRequestsPerSecond : 0;
  const yahooRequests = batches.reduce((sum, batch) => sum + Math.ceil(batch.length / options.symbolsPerRequest), 0);
  const yahooSeconds = options.yahooEnabled ? yahooRequests * options.yahooDelaySeconds : 0;
  const pauses = Math.max(0, batches.length - 1) * options.delayBetweenBatchesSeconds;
  return { entries, batches, companies, estimatedSeconds: Math.ceil(Math.max(secSeconds, yahooSeconds) + pauses), pricesSeconds: Math.ceil(yahooSeconds) };
}

/** When the stock was last refreshed, in ms; never refreshed sorts before everything. */
function refreshedAt(entry: UniverseEntry, states: Map<string, StoredStockState>): number {
  const value = states.get(entry.symbol)?.last_refreshed_at;
  const time = value === null || value === undefined ? Number.NaN : Date.parse(value);
  return Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time;
}

function orderByStaleness(universe: UniverseEntry[], states: Map<string, StoredStockState>): UniverseEntry[] {
  // Array.prototype.sort is stable: equal staleness keeps the universe order.
  return [...universe].sort((a, b) => refreshedAt(a, states) - refreshedAt(b, states));
}

/** The distinct companies (CIKs) of `entries`, those in `among` only when given. */
export function companiesOf(entries: readonly UniverseEntry[], among?: ReadonlySet<number>): Set<number> {
  return new Set(entries.flatMap((entry) => (entry.cik !== null && (among === undefined || among.has(entry.cik)) ? [entry.cik] : [])));
}

/** The first listing of each CIK in plan order: the one that owns the company's filings rows. */
export function filingsOwners(entries: UniverseEntry[]): Map<number, string> {
  const owners = new Map<number, string>();
  for (const entry of entries) if (entry.cik !== null && !owners.has(entry.cik)) owners.set(entry.cik, entry.symbol);
  return owners;
}
