import type { DailyClose } from '../extract/spark.js';
import { planStockWrite, splitShiftOfCloses, storedStockQuery, type StockWrite, type StoredStock } from '../extract/stock-rows.js';
import type { StockUpdate } from '../extract/stock-update.js';
import type { EarningsRow, SplitEvent } from '../extract/types.js';
import type { Validators } from '../sources/source-client.js';
import type { Db } from './open-database.js';
import { EARNINGS_COLUMNS, prepareStatements, type Statements } from './stock-store-sql.js';
import { storedMetricInputs, type MetricInputsRow, type StoredStockState } from './store.js';

export type { StockUpdate } from '../extract/stock-update.js';
export type { StoredStockState } from './store.js';

const NO_RANGE = { high: null, low: null };

/**
 * Writes a stock's data in one transaction: a stock is stored whole or not at all. The store only
 * reads and writes rows: what to read, and the rows that follow from it and the update, come from
 * the pure step (extract/stock-rows.ts).
 */
export class StockStore {
  private readonly sql: Statements;
  private readonly saveTransaction: (update: StockUpdate, nowIso: string) => void;
  /** The database file and its busy timeout, for messages about a failed write. */
  readonly file: string;
  readonly busyTimeoutMs: number;

  constructor(db: Db) {
    this.file = db.name;
    this.busyTimeoutMs = db.pragma('busy_timeout', { simple: true }) as number;
    this.sql = prepareStatements(db);
    this.saveTransaction = db.transaction((update: StockUpdate, now: string) => {
      this.write(planStockWrite(this.readStored(update), update, now), update.symbol, now);
    });
  }

  /** Stores one stock's update atomically (BEGIN IMMEDIATE: waits for other writers within the busy timeout). */
  save(update: StockUpdate, nowIso: string): void {
    (this.saveTransaction as unknown as { immediate: (u: StockUpdate, n: string) => void }).immediate(update, nowIso);
  }

  /** Accessions whose 10-K sections are stored (so a 10-K is fetched once, not every night). */
  sectionAccessions(): Set<string> {
    return new Set((this.sql.selectSectionAccessions.all() as { accession_number: string }[]).map((row) => row.accession_number));
  }

  /** Validators of every URL fetched before, for conditional requests. */
  loadValidators(): Map<string, Validators> {
    const rows = this.sql.selectValidators.all() as ({ url: string } & Validators)[];
    return new Map(rows.map(({ url, etag, last_modified }) => [url, { etag, last_modified }]));
  }

  /** The newest stored close date (YYYY-MM-DD) of every symbol with price history. */
  loadLatestCloseDates(): Map<string, string> {
    const rows = this.sql.selectLatestCloseDates.all() as { symbol: string; date: string }[];
    return new Map(rows.map((row) => [row.symbol, row.date]));
  }

  /** The stored splits of every symbol that has any, oldest first. */
  loadSplits(): Map<string, SplitEvent[]> {
    const splits = new Map<string, SplitEvent[]>();
    for (const { symbol, ...split } of this.sql.selectSplits.all() as ({ symbol: string } & SplitEvent)[]) {
      splits.set(symbol, [...(splits.get(symbol) ?? []), split]);
    }
    return splits;
  }

  /** The currencies the stored companies report in (the night asks for their exchange rates with the first prices). */
  loadReportingCurrencies(): string[] {
    return (this.sql.selectReportingCurrencies.all() as { reporting_currency: string }[]).map((row) => row.reporting_currency);
  }

  /** The stored state of every stock, keyed by symbol. */
  loadStates(): Map<string, StoredStockState> {
    const rows = this.sql.selectState.all() as StoredStockState[];
    return new Map(rows.map((row) => [row.symbol, row]));
  }

  /** The split factor by which Yahoo's closes moved against the stored ones (splitShiftOfCloses), or null. */
  closeShift(symbol: string, closes: readonly DailyClose[]): number | null {
    return splitShiftOfCloses(closes, (date) => (this.sql.selectCloseOn.get(symbol, date) as { close: number } | undefined)?.close);
  }

  /** The stored state the update needs (storedStockQuery), read in the update's transaction. */
  private readStored(update: StockUpdate): StoredStock {
    const { symbol } = update;
    const query = storedStockQuery(update);
    const inputs = query.metricInputs ? (this.sql.selectMetricInputs.get(symbol) as MetricInputsRow | undefined) : undefined;
    const closes = query.closes;
    return {
      ...storedMetricInputs(inputs),
      earnings: query.earnings ? (this.sql.selectEarnings.all(symbol) as EarningsRow[]) : [],
      splits: query.splits ? (this.sql.selectSplitsOf.all(symbol) as SplitEvent[]) : [],
      recentCloses: closes === null ? [] : (this.sql.selectClosesFrom.all(symbol, closes.from) as DailyClose[]),
      olderCloseRange:
        closes?.range === true
          ? (this.sql.selectOlderCloseRange.get({ symbol, before: closes.from, newest: closes.newest, window: `-${closes.windowDays} days` }) as StoredStock['olderCloseRange'])
          : NO_RANGE,
    };
  }

  /** Writes exactly the rows of the plan. */
  private write(plan: StockWrite, symbol: string, now: string): void {
    const { sql } = this;
    sql.upsertStock.run({ ...plan.stock, now });
    if (plan.earnings !== null) {
      sql.deleteEarnings.run(symbol);
      for (const row of plan.earnings) {
        sql.insertEarnings.run({ symbol, fiscal_year: row.fiscal_year, period: row.period, ...Object.fromEntries(EARNINGS_COLUMNS.map((column) => [column, row[column]])), now });
      }
    }
    for (const { fiscal_year, period, eps_diluted_adjusted, dividends_per_share } of plan.readjusted) {
      sql.updateAdjusted.run({ symbol, fiscal_year, period, eps_diluted_adjusted, dividends_per_share, now });
    }
    for (const row of plan.filings) sql.upsertFiling.run({ ...row, symbol, now });
    if (plan.splits !== null) {
      sql.deleteSplits.run(symbol);
      for (const split of plan.splits) sql.insertSplit.run(symbol, split.date, split.ratio, split.source);
    }
    if (plan.closes !== null) {
      const { rescale, closes, pruneBefore } = plan.closes;
      if (rescale !== null) sql.rescaleCloses.run({ symbol, ratio: rescale.factor, before: rescale.before, now });
      for (const { date, close } of closes) sql.upsertClose.run(symbol, date, close, now);
      sql.pruneCloses.run({ symbol, before: pruneBefore });
    }
    for (const { url, etag, last_modified } of plan.validators) sql.upsertValidators.run(url, etag, last_modified, now);
    for (const { accession, section, content } of plan.sections) sql.upsertSection.run(accession, section, content, now);
    if (plan.metrics !== null) sql.upsertMetrics.run({ symbol, ...plan.metrics, now });
    if (plan.fxRate !== null) sql.upsertFxRate.run({ ...plan.fxRate, now });
  }
}
