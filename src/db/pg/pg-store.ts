import pg from 'pg';
import type { DailyClose } from '../../extract/spark.js';
import { splitShiftOfCloses } from '../../extract/stock-rows.js';
import type { StockUpdate } from '../../extract/stock-update.js';
import type { SplitEvent } from '../../extract/types.js';
import type { Validators } from '../../sources/source-client.js';
import type { StorageFailureKind, Store, StoredStockState, SyncRunRow } from '../store.js';
import { parseDays, type SyncRunResult } from '../sync-runs.js';
import { databaseSecrets, pgClientConfig, redactDatabaseUrl, type DatabaseConfig, type PgEnv } from './pg-connect.js';
import { explainPgError, hideSecrets, isConflict, isConnectionLost, pgFailureKind } from './pg-errors.js';
import { migratePostgres, schemaVersion } from './pg-migrate.js';
import * as sql from './pg-sql.js';
import { saveStock } from './pg-stock-writer.js';

/** Attempts of one stock's transaction when its connection is lost or it loses a deadlock. */
const SAVE_ATTEMPTS = 3;
const RUN_PAGE = 50;
const RECONNECT_DELAY_MS = 250;
const READ_CONNECTIONS = 2;

/**
 * The PostgreSQL store: a pool of `database.pool_size` connections; each stock's rows in one
 * transaction on one connection (BEGIN … COMMIT), several stocks at once on the pool's connections,
 * a stock's saves one after another. A lost connection is replaced and the stock's transaction run
 * again from its start (the rolled-back one left nothing), so no stock is ever half written.
 */
export class PgStore implements Store {
  readonly dialect = 'postgres';
  readonly location: string;
  /** The save in flight per symbol: the next save of a symbol reads what the one before wrote. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Whether batch-refresh's tables are there: a read-only open of a database no run has written yet finds none, and reads nothing. */
  initialized = true;

  private constructor(
    private readonly pool: pg.Pool,
    /** Reads and the sync_runs rows on connections of their own: a price's one-row read never queues behind a rebuild's writes. */
    private readonly reads: pg.Pool,
    url: string,
    /** The password and URL, never to be shown (hideSecrets). */
    private readonly secrets: readonly string[],
  ) {
    this.location = redactDatabaseUrl(url);
    // An idle connection the server drops (a restart, pg_terminate_backend) must not crash the process.
    pool.on('error', () => undefined);
    reads.on('error', () => undefined);
  }

  /** Connects (failing fast when the server cannot be reached) and, unless `readonly`, brings the schema up to date. */
  static async open(database: DatabaseConfig, env: PgEnv, options: { readonly?: boolean } = {}): Promise<PgStore> {
    const settings = pgClientConfig(database, env);
    const pool = new pg.Pool({ ...settings, max: database.pool_size });
    const store = new PgStore(pool, new pg.Pool({ ...settings, max: READ_CONNECTIONS }), database.url ?? '', databaseSecrets(database, env));
    try {
      const client = await pool.connect();
      try {
        if (options.readonly !== true) await migratePostgres(client);
        else store.initialized = (await schemaVersion(client)) > 0;
      } finally {
        client.release();
      }
      return store;
    } catch (error) {
      await store.endPools();
      throw error;
    }
  }

  save(update: StockUpdate, nowIso: string): Promise<void> {
    const before = this.queues.get(update.symbol) ?? Promise.resolve();
    const saved = before.catch(() => undefined).then(() => this.saveNow(update, nowIso));
    const tail = saved.catch(() => undefined);
    this.queues.set(update.symbol, tail);
    void tail.then(() => {
      if (this.queues.get(update.symbol) === tail) this.queues.delete(update.symbol);
    });
    return saved;
  }

  /** One transaction; again on a new connection when the connection was lost, or after losing a deadlock. */
  private async saveNow(update: StockUpdate, nowIso: string): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        // The server restarting: a moment later it may take connections again.
        if (attempt >= SAVE_ATTEMPTS || !isConnectionLost(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS * attempt));
        continue;
      }
      try {
        await saveStock(client, update, nowIso);
        client.release();
        return;
      } catch (error) {
        const lost = isConnectionLost(error);
        if (lost) client.release(error as Error);
        else {
          await client.query('ROLLBACK').catch(() => undefined);
          client.release();
        }
        if (attempt >= SAVE_ATTEMPTS || !(lost || isConflict(error))) throw error;
      }
    }
  }

  async sectionAccessions(): Promise<Set<string>> {
    return new Set((await this.rows<{ accession_number: string }>(sql.SELECT_SECTION_ACCESSIONS)).map((row) => row.accession_number));
  }
  async loadValidators(): Promise<Map<string, Validators>> {
    const rows = await this.rows<{ url: string } & Validators>(sql.SELECT_VALIDATORS);
    return new Map(rows.map(({ url, etag, last_modified }) => [url, { etag, last_modified }]));
  }
  async loadLatestCloseDates(): Promise<Map<string, string>> {
    return new Map((await this.rows<{ symbol: string; date: string }>(sql.SELECT_LATEST_CLOSE_DATES)).map((row) => [row.symbol, row.date]));
  }
  async loadSplits(): Promise<Map<string, SplitEvent[]>> {
    const splits = new Map<string, SplitEvent[]>();
    for (const { symbol, ...split } of await this.rows<{ symbol: string } & SplitEvent>(sql.SELECT_SPLITS)) splits.set(symbol, [...(splits.get(symbol) ?? []), split]);
    return splits;
  }
  async loadReportingCurrencies(): Promise<string[]> {
    return (await this.rows<{ reporting_currency: string }>(sql.SELECT_REPORTING_CURRENCIES)).map((row) => row.reporting_currency);
  }
  async loadStates(): Promise<Map<string, StoredStockState>> {
    if (!this.initialized) return new Map();
    return new Map((await this.rows<StoredStockState>(sql.SELECT_STATE)).map((row) => [row.symbol, row]));
  }
  async closeShift(symbol: string, closes: readonly DailyClose[]): Promise<number | null> {
    // The few dates splitShiftOfCloses looks up, read in one query.
    const stored = new Map(
      (await this.rows<DailyClose>('SELECT date, close FROM price_history WHERE symbol = $1 AND date = ANY($2::text[])', [symbol, closes.map((close) => close.date)])).map((row) => [
        row.date,
        row.close,
      ]),
    );
    return splitShiftOfCloses(closes, (date) => stored.get(date));
  }

  async startSyncRun(startedAt: string, totalStocks: number, pid: number, host: string): Promise<number> {
    const rows = await this.rows<{ id: number }>('INSERT INTO sync_runs (started_at, status, total_stocks, pid, host) VALUES ($1, $2, $3, $4, $5) RETURNING id', [
      startedAt,
      'running',
      totalStocks,
      pid,
      host,
    ]);
    return (rows[0] as { id: number }).id;
  }
  async finishSyncRun(id: number, result: SyncRunResult): Promise<void> {
    await this.reads.query(
      `UPDATE sync_runs SET completed_at = $2, status = $3, total_stocks = $4, successful = $5, failed = $6, skipped = $7, unchanged = $8,
         duration_seconds = $9, report_path = $10, error_message = $11, universe_size = $12, index_missing_days = $13, degraded_sources = $14
       WHERE id = $1`,
      [
        id,
        result.completed_at,
        result.status,
        result.total_stocks,
        result.successful,
        result.failed,
        result.skipped,
        result.unchanged,
        result.duration_seconds,
        result.report_path,
        result.error_message,
        result.universe_size,
        result.index_missing_days?.length ? JSON.stringify(result.index_missing_days) : null,
        result.degraded_sources !== undefined && Object.keys(result.degraded_sources).length > 0 ? JSON.stringify(result.degraded_sources) : null,
      ],
    );
  }
  async lastCompletedRun(): Promise<{ startedAt: Date; indexMissingDays: string[] } | null> {
    const row = (
      await this.rows<{ started_at: string; index_missing_days: string | null }>("SELECT started_at, index_missing_days FROM sync_runs WHERE status = 'completed' ORDER BY id DESC LIMIT 1")
    )[0];
    if (row === undefined) return null;
    return { startedAt: new Date(row.started_at), indexMissingDays: parseDays(row.index_missing_days) };
  }
  async recentRuns(limit: number): Promise<SyncRunRow[]> {
    if (!this.initialized) return [];
    return this.rows<SyncRunRow>('SELECT * FROM sync_runs ORDER BY id DESC LIMIT $1', [limit]);
  }
  async findCompletedRun(accept: (row: SyncRunRow) => boolean): Promise<SyncRunRow | undefined> {
    if (!this.initialized) return undefined;
    for (let before: number | null = null; ;) {
      const rows: SyncRunRow[] = await this.rows<SyncRunRow>("SELECT * FROM sync_runs WHERE status = 'completed' AND successful > 0 AND ($1::int IS NULL OR id < $1) ORDER BY id DESC LIMIT $2", [
        before,
        RUN_PAGE,
      ]);
      const found = rows.find(accept);
      if (found !== undefined || rows.length < RUN_PAGE) return found;
      before = (rows[rows.length - 1] as SyncRunRow).id;
    }
  }
  async freshness(cutoffIso: string): Promise<{ stocks: number; fresh: number }> {
    if (!this.initialized) return { stocks: 0, fresh: 0 };
    const row = (
      await this.rows<{ stocks: number; fresh: number | null }>('SELECT COUNT(*)::int AS stocks, SUM(CASE WHEN last_refreshed_at >= $1 THEN 1 ELSE 0 END)::int AS fresh FROM stocks', [cutoffIso])
    )[0];
    return { stocks: row?.stocks ?? 0, fresh: row?.fresh ?? 0 };
  }

  explainError(error: unknown): string {
    return hideSecrets(explainPgError(error, this.location), this.secrets);
  }
  failureKind(error: unknown): StorageFailureKind {
    return pgFailureKind(error);
  }
  async close(): Promise<void> {
    await Promise.all(this.queues.values());
    await this.endPools();
  }

  private async endPools(): Promise<void> {
    await Promise.all([this.pool.end().catch(() => undefined), this.reads.end().catch(() => undefined)]);
  }

  private async rows<Row>(text: string, values: unknown[] = []): Promise<Row[]> {
    return (await this.reads.query(text, values)).rows as Row[];
  }
}
