import type { DailyClose } from '../extract/spark.js';
import type { StoredStock } from '../extract/stock-rows.js';
import type { StockUpdate } from '../extract/stock-update.js';
import type { SplitEvent } from '../extract/types.js';
import type { Validators } from '../sources/source-client.js';
import type { Dialect } from './migrations.js';
import type { SyncRunResult } from './sync-runs.js';

/*
 * Everything a night, a dry run and `status` do with the database, behind one interface: SQLite
 * (sqlite-store.ts, the default) and PostgreSQL (pg/pg-store.ts) implement it, and they are the only
 * code that knows a dialect. Both take a stock's rows from the same pure step
 * (extract/stock-rows.ts: storedStockQuery, then planStockWrite) and write them in one transaction.
 */

/** The row SELECT_METRIC_INPUTS reads (either dialect): shares outstanding, and the stored price with its currency and exchange rate. */
export interface MetricInputsRow {
  shares_outstanding: number | null;
  price: number | null;
  currency: string | null;
  fx_pair: string | null;
  fx_rate: number | null;
  fx_rate_date: string | null;
}

/** The part of StoredStock a metric-inputs row gives (none read: nothing stored); the rate only when all of it is there. */
export function storedMetricInputs(row: MetricInputsRow | null | undefined): Pick<StoredStock, 'sharesOutstanding' | 'price' | 'currency' | 'fxRate'> {
  const fxRate = row?.fx_pair == null || row.fx_rate === null || row.fx_rate_date === null ? null : { pair: row.fx_pair, rate: row.fx_rate, date: row.fx_rate_date };
  return { sharesOutstanding: row?.shares_outstanding ?? null, price: row?.price ?? null, currency: row?.currency ?? null, fxRate };
}

/** What the store remembers of a stock between runs, for incremental nights and ordering. */
export interface StoredStockState {
  symbol: string;
  last_filing_accession: string | null;
  fundamentals_updated_at: string | null;
  last_refreshed_at: string | null;
}

/** One `sync_runs` row as stored (JSON columns still text). */
export interface SyncRunRow {
  id: number;
  status: 'running' | 'completed' | 'aborted' | 'interrupted';
  started_at: string;
  completed_at: string | null;
  duration_seconds: number | null;
  total_stocks: number;
  successful: number;
  failed: number;
  skipped: number;
  unchanged: number;
  report_path: string | null;
  error_message: string | null;
  universe_size: number | null;
  index_missing_days: string | null;
  degraded_sources: string | null;
  pid: number | null;
  host: string | null;
}

/** How a failed write counts: `fatal` (a full disk, a read-only server: every stock would fail) aborts the run; `stock` fails that stock. */
export type StorageFailureKind = 'fatal' | 'stock';

export interface Store {
  readonly dialect: Dialect;
  /** Where the data is, safe to log and report: the SQLite file, or the PostgreSQL URL without its password. */
  readonly location: string;
  /** false: a read-only open found none of batch-refresh's tables (a PostgreSQL database no run has written yet); every read answers empty. */
  readonly initialized: boolean;

  /** Stores one stock's update atomically: every row of it, or (on any failure) none. */
  save(update: StockUpdate, nowIso: string): Promise<void>;
  /** Accessions whose 10-K sections are stored (so a 10-K is fetched once, not every night). */
  sectionAccessions(): Promise<Set<string>>;
  /** Validators of every URL fetched before, for conditional requests. */
  loadValidators(): Promise<Map<string, Validators>>;
  /** The newest stored close date (YYYY-MM-DD) of every symbol with price history. */
  loadLatestCloseDates(): Promise<Map<string, string>>;
  /** The stored splits of every symbol that has any, oldest first. */
  loadSplits(): Promise<Map<string, SplitEvent[]>>;
  /** The currencies the stored companies report in (the night asks for their exchange rates with the first prices). */
  loadReportingCurrencies(): Promise<string[]>;
  /** The stored state of every stock, keyed by symbol. */
  loadStates(): Promise<Map<string, StoredStockState>>;
  /** The split factor by which Yahoo's closes moved against the stored ones (splitShiftOfCloses), or null. */
  closeShift(symbol: string, closes: readonly DailyClose[]): Promise<number | null>;

  /** Opens the run's `sync_runs` row; it says `running` until `finishSyncRun`. */
  startSyncRun(startedAt: string, totalStocks: number, pid: number, host: string): Promise<number>;
  finishSyncRun(id: number, result: SyncRunResult): Promise<void>;
  /** The last completed run: when it started, and the days whose daily index it found not yet published. */
  lastCompletedRun(): Promise<{ startedAt: Date; indexMissingDays: string[] } | null>;
  /** The newest runs, newest first. */
  recentRuns(limit: number): Promise<SyncRunRow[]>;
  /** The newest completed run with successful stocks that `accept` takes (read newest first, stopping at the first). */
  findCompletedRun(accept: (row: SyncRunRow) => boolean): Promise<SyncRunRow | undefined>;
  /** Stocks stored, and those refreshed at or after `cutoffIso`. */
  freshness(cutoffIso: string): Promise<{ stocks: number; fresh: number }>;

  /** A storage error said so the reader knows what to do (which key to raise, which access to grant). */
  explainError(error: unknown): string;
  /** Whether a failed save stops the run or only fails its stock. */
  failureKind(error: unknown): StorageFailureKind;
  close(): Promise<void>;
}
