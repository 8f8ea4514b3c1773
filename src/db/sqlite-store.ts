import { openDatabase, type Db } from './open-database.js';
import { StockStore } from './stock-store.js';
import { explainStorageError } from './storage-errors.js';
import type { Store, StorageFailureKind, SyncRunRow } from './store.js';
import { finishSyncRun, lastCompletedRun, startSyncRun } from './sync-runs.js';

/** SQLite and file-system codes that mean the disk is full or failing, not this stock's data. */
const FATAL_STORAGE_CODES = /^(SQLITE_FULL|SQLITE_IOERR|SQLITE_CANTOPEN|SQLITE_READONLY|ENOSPC|EIO|EROFS)/;

/** How many completed runs `findCompletedRun` reads at a time. */
const RUN_PAGE = 50;

/**
 * The SQLite store: better-sqlite3 is synchronous, so each call does its work at once and answers
 * a settled promise. A night is as fast as before: no thread, no queue, one transaction a stock
 * (StockStore.save, BEGIN IMMEDIATE).
 */
export class SqliteStore implements Store {
  readonly dialect = 'sqlite';
  readonly location: string;
  readonly initialized = true;
  private readonly stocks: StockStore;

  private constructor(
    private readonly db: Db,
    private readonly busyTimeoutMs: number,
  ) {
    this.location = db.name;
    this.stocks = new StockStore(db);
  }

  /** Opens the file (migrations included unless `readonly`). */
  static open(file: string, options: { busyTimeoutMs: number; readonly?: boolean }): SqliteStore {
    return new SqliteStore(openDatabase(file, options), options.busyTimeoutMs);
  }

  save(update: Parameters<Store['save']>[0], nowIso: string): Promise<void> {
    return settle(() => this.stocks.save(update, nowIso));
  }
  sectionAccessions(): ReturnType<Store['sectionAccessions']> {
    return settle(() => this.stocks.sectionAccessions());
  }
  loadValidators(): ReturnType<Store['loadValidators']> {
    return settle(() => this.stocks.loadValidators());
  }
  loadLatestCloseDates(): ReturnType<Store['loadLatestCloseDates']> {
    return settle(() => this.stocks.loadLatestCloseDates());
  }
  loadSplits(): ReturnType<Store['loadSplits']> {
    return settle(() => this.stocks.loadSplits());
  }
  loadReportingCurrencies(): ReturnType<Store['loadReportingCurrencies']> {
    return settle(() => this.stocks.loadReportingCurrencies());
  }
  loadStates(): ReturnType<Store['loadStates']> {
    return settle(() => this.stocks.loadStates());
  }
  closeShift(...args: Parameters<Store['closeShift']>): ReturnType<Store['closeShift']> {
    return settle(() => this.stocks.closeShift(...args));
  }
  startSyncRun(startedAt: string, totalStocks: number, pid: number, host: string): Promise<number> {
    return settle(() => startSyncRun(this.db, startedAt, totalStocks, pid, host));
  }
  finishSyncRun(...args: Parameters<Store['finishSyncRun']>): Promise<void> {
    return settle(() => finishSyncRun(this.db, ...args));
  }
  lastCompletedRun(): ReturnType<Store['lastCompletedRun']> {
    return settle(() => lastCompletedRun(this.db));
  }
  recentRuns(limit: number): Promise<SyncRunRow[]> {
    return settle(() => this.db.prepare('SELECT * FROM sync_runs ORDER BY id DESC LIMIT ?').all(limit) as SyncRunRow[]);
  }
  findCompletedRun(accept: (row: SyncRunRow) => boolean): Promise<SyncRunRow | undefined> {
    return settle(() => {
      // The SQL only narrows; `accept` decides. Newest first, stopping at the first it takes.
      const page = this.db.prepare("SELECT * FROM sync_runs WHERE status = 'completed' AND successful > 0 AND id < ? ORDER BY id DESC LIMIT ?");
      for (let before = Number.MAX_SAFE_INTEGER; ;) {
        const rows = page.all(before, RUN_PAGE) as SyncRunRow[];
        const found = rows.find(accept);
        if (found !== undefined || rows.length < RUN_PAGE) return found;
        before = (rows[rows.length - 1] as SyncRunRow).id;
      }
    });
  }
  freshness(cutoffIso: string): Promise<{ stocks: number; fresh: number }> {
    return settle(() => {
      const counts = this.db.prepare('SELECT COUNT(*) AS stocks, SUM(CASE WHEN last_refreshed_at >= ? THEN 1 ELSE 0 END) AS fresh FROM stocks').get(cutoffIso) as {
        stocks: number;
        fresh: number | null;
      };
      return { stocks: counts.stocks, fresh: counts.fresh ?? 0 };
    });
  }
  explainError(error: unknown): string {
    return explainStorageError(error, this.location, this.busyTimeoutMs);
  }
  failureKind(error: unknown): StorageFailureKind {
    return FATAL_STORAGE_CODES.test(String((error as { code?: string | number }).code ?? '')) ? 'fatal' : 'stock';
  }
  close(): Promise<void> {
    return settle(() => void this.db.close());
  }
}

/** The answer of synchronous work as a promise; what it throws, as a rejection. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
