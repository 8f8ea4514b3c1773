import type { Statement } from 'better-sqlite3';
import type { FilingSection } from '../extract/filing-sections.js';
import type { DailyClose } from '../extract/spark.js';
import { metricsRow, readjustedEarnings, splitShiftOfCloses } from '../extract/stock-rows.js';
import type { CompanyProfile, EarningsRow, FilingRow, QuoteRow, SharesOutstanding, SplitEvent } from '../extract/types.js';
import type { Validators } from '../sources/source-client.js';
import type { Db } from './open-database.js';
import * as SQL from './stock-store-sql.js';
import { EARNINGS_COLUMNS } from './stock-store-sql.js';

/** Everything one stock's refresh produced. `undefined` parts were not fetched and stay as stored. */
export interface StockUpdate {
  symbol: string;
  cik: number | null;
  name: string | null;
  exchange: string | null;
  profile?: CompanyProfile;
  /** The complete annual/quarterly history from companyfacts: replaces what is stored. */
  earnings?: EarningsRow[];
  /** Periodic filings; written under this symbol only for the company's primary listing. */
  filings?: FilingRow[];
  /** Newest accession in the submissions, to tell next time whether anything was filed since. */
  latestAccession?: string | null;
  fundamentalsRefreshed: boolean;
  quote?: QuoteRow;
  /** Latest shares outstanding and their source, for the market cap. */
  sharesOutstanding?: SharesOutstanding | null;
  /**
   * The splits the adjusted per-share columns were computed with (replaces the stored list). Without
   * `earnings`, the stored earnings are re-adjusted with them (a split seen after they were stored).
   */
  splits?: SplitEvent[];
  /** Daily closes (Yahoo spark) for `price_history`: a stored date gets the new close; closes over 400 days older than the newest go. */
  closes?: DailyClose[];
  /** Sections of the latest 10-K, stored under its accession. */
  sections?: { accession: string; sections: FilingSection[] };
  /** ETag / Last-Modified of what was fetched, for conditional requests next time. */
  validators?: ({ url: string } & Validators)[];
}

/** What the store remembers of a stock between runs, for incremental nights and ordering. */
export interface StoredStockState {
  symbol: string;
  last_filing_accession: string | null;
  fundamentals_updated_at: string | null;
  last_refreshed_at: string | null;
}

/** Writes a stock's data in one transaction: a stock is stored whole or not at all. */
export class StockStore {
  private readonly upsertStock: Statement;
  private readonly deleteEarnings: Statement;
  private readonly insertEarnings: Statement;
  private readonly upsertFiling: Statement;
  private readonly upsertMetrics: Statement;
  private readonly selectState: Statement;
  private readonly selectEarnings: Statement;
  private readonly selectMetricInputs: Statement;
  private readonly deleteSplits: Statement;
  private readonly insertSplit: Statement;
  private readonly upsertSection: Statement;
  private readonly selectSectionAccessions: Statement;
  private readonly upsertValidators: Statement;
  private readonly selectValidators: Statement;
  private readonly updateAdjusted: Statement;
  private readonly upsertClose: Statement;
  private readonly pruneCloses: Statement;
  private readonly selectCloseRange: Statement;
  private readonly selectCloseOn: Statement;
  private readonly rescaleCloses: Statement;
  private readonly selectLatestCloseDates: Statement;
  private readonly selectSplits: Statement;
  private readonly saveTransaction: (update: StockUpdate, nowIso: string) => void;
  /** The database file and its busy timeout, for messages about a failed write. */
  readonly file: string;
  readonly busyTimeoutMs: number;

  constructor(db: Db) {
    this.file = db.name;
    this.busyTimeoutMs = db.pragma('busy_timeout', { simple: true }) as number;
    this.upsertStock = db.prepare(SQL.UPSERT_STOCK);
    this.deleteEarnings = db.prepare(SQL.DELETE_EARNINGS);
    this.insertEarnings = db.prepare(SQL.INSERT_EARNINGS);
    this.selectEarnings = db.prepare(SQL.SELECT_EARNINGS);
    this.selectMetricInputs = db.prepare(SQL.SELECT_METRIC_INPUTS);
    this.deleteSplits = db.prepare(SQL.DELETE_SPLITS);
    this.insertSplit = db.prepare(SQL.INSERT_SPLIT);
    this.upsertSection = db.prepare(SQL.UPSERT_SECTION);
    this.selectSectionAccessions = db.prepare(SQL.SELECT_SECTION_ACCESSIONS);
    this.upsertValidators = db.prepare(SQL.UPSERT_VALIDATORS);
    this.selectValidators = db.prepare(SQL.SELECT_VALIDATORS);
    this.updateAdjusted = db.prepare(SQL.UPDATE_ADJUSTED);
    this.upsertClose = db.prepare(SQL.UPSERT_CLOSE);
    this.pruneCloses = db.prepare(SQL.PRUNE_CLOSES);
    this.selectCloseOn = db.prepare(SQL.SELECT_CLOSE_ON);
    this.rescaleCloses = db.prepare(SQL.RESCALE_CLOSES);
    this.selectCloseRange = db.prepare(SQL.SELECT_CLOSE_RANGE);
    this.selectLatestCloseDates = db.prepare(SQL.SELECT_LATEST_CLOSE_DATES);
    this.selectSplits = db.prepare(SQL.SELECT_SPLITS);
    this.upsertFiling = db.prepare(SQL.UPSERT_FILING);
    this.upsertMetrics = db.prepare(SQL.UPSERT_METRICS);
    this.selectState = db.prepare(SQL.SELECT_STATE);
    this.saveTransaction = db.transaction((update: StockUpdate, now: string) => this.write(update, now));
  }

  /** Stores one stock's update atomically (BEGIN IMMEDIATE: waits for other writers within the busy timeout). */
  save(update: StockUpdate, nowIso: string): void {
    (this.saveTransaction as unknown as { immediate: (u: StockUpdate, n: string) => void }).immediate(update, nowIso);
  }

  /** Accessions whose 10-K sections are stored (so a 10-K is fetched once, not every night). */
  sectionAccessions(): Set<string> {
    return new Set((this.selectSectionAccessions.all() as { accession_number: string }[]).map((row) => row.accession_number));
  }

  /** Validators of every URL fetched before, for conditional requests. */
  loadValidators(): Map<string, Validators> {
    const rows = this.selectValidators.all() as ({ url: string } & Validators)[];
    return new Map(rows.map(({ url, etag, last_modified }) => [url, { etag, last_modified }]));
  }

  /** The newest stored close date (YYYY-MM-DD) of every symbol with price history. */
  loadLatestCloseDates(): Map<string, string> {
    const rows = this.selectLatestCloseDates.all() as { symbol: string; date: string }[];
    return new Map(rows.map((row) => [row.symbol, row.date]));
  }

  /** The stored splits of every symbol that has any, oldest first. */
  loadSplits(): Map<string, SplitEvent[]> {
    const splits = new Map<string, SplitEvent[]>();
    for (const { symbol, ...split } of this.selectSplits.all() as ({ symbol: string } & SplitEvent)[]) {
      splits.set(symbol, [...(splits.get(symbol) ?? []), split]);
    }
    return splits;
  }

  /** The stored state of every stock, keyed by symbol. */
  loadStates(): Map<string, StoredStockState> {
    const rows = this.selectState.all() as StoredStockState[];
    return new Map(rows.map((row) => [row.symbol, row]));
  }

  private write(update: StockUpdate, now: string): void {
    const { symbol, profile } = update;
    this.upsertStock.run({
      symbol,
      cik: update.cik ?? profile?.cik ?? null,
      name: profile?.name ?? update.name ?? update.quote?.long_name ?? null,
      exchange: update.exchange ?? profile?.exchanges[0] ?? null,
      sic: profile?.sic ?? null,
      industry: profile?.industry ?? null,
      fiscal_year_end: profile?.fiscal_year_end ?? null,
      last_filing_accession: update.latestAccession ?? null,
      fundamentals_updated_at: update.fundamentalsRefreshed ? now : null,
      shares_outstanding: update.sharesOutstanding?.value ?? null,
      shares_outstanding_date: update.sharesOutstanding?.date ?? null,
      shares_outstanding_source: update.sharesOutstanding?.source ?? null,
      now,
    });
    if (update.earnings !== undefined) {
      this.deleteEarnings.run(symbol);
      for (const row of update.earnings) {
        this.insertEarnings.run({ symbol, fiscal_year: row.fiscal_year, period: row.period, ...Object.fromEntries(EARNINGS_COLUMNS.map((column) => [column, row[column]])), now });
      }
    }
    if (update.filings !== undefined) {
      for (const row of update.filings) this.upsertFiling.run({ ...row, symbol, now });
    }
    if (update.splits !== undefined) {
      this.deleteSplits.run(symbol);
      for (const split of update.splits) this.insertSplit.run(symbol, split.date, split.ratio, split.source);
    }
    const readjusted = update.splits !== undefined && update.earnings === undefined && this.readjustEarnings(symbol, update.splits, now);
    if (update.closes !== undefined && update.closes.length > 0) {
      // Yahoo puts its past closes on the new basis after a split; the stored ones follow.
      const shift = this.closeShift(symbol, update.closes);
      if (shift !== null) this.rescaleCloses.run({ symbol, ratio: shift, before: update.closes[0]?.date, now });
      for (const { date, close } of update.closes) this.upsertClose.run(symbol, date, close, now);
      this.pruneCloses.run({ symbol });
    }
    for (const { url, etag, last_modified } of update.validators ?? []) {
      if (etag !== null || last_modified !== null) this.upsertValidators.run(url, etag, last_modified, now);
    }
    if (update.sections !== undefined) {
      for (const section of update.sections.sections) this.upsertSection.run(update.sections.accession, section.section, section.content, now);
    }
    if (update.quote !== undefined || update.earnings !== undefined || readjusted) this.writeMetrics(update, now);
  }

  /** The split factor by which Yahoo's closes moved against the stored ones (splitShiftOfCloses), or null. */
  closeShift(symbol: string, closes: readonly DailyClose[]): number | null {
    return splitShiftOfCloses(closes, (date) => (this.selectCloseOn.get(symbol, date) as { close: number } | undefined)?.close);
  }

  /** Puts the stored earnings on the share basis of `splits` (readjustedEarnings). True when a row changed. */
  private readjustEarnings(symbol: string, splits: SplitEvent[], now: string): boolean {
    const changed = readjustedEarnings(this.selectEarnings.all(symbol) as EarningsRow[], splits);
    for (const { fiscal_year, period, eps_diluted_adjusted, dividends_per_share } of changed) {
      this.updateAdjusted.run({ symbol, fiscal_year, period, eps_diluted_adjusted, dividends_per_share, now });
    }
    return changed.length > 0;
  }

  /** The stock_metrics row (metricsRow) from what is stored after this update. */
  private writeMetrics(update: StockUpdate, now: string): void {
    const stored = this.selectMetricInputs.get(update.symbol) as { shares_outstanding: number | null; price: number | null; currency: string | null } | undefined;
    const withCloses = (update.closes?.length ?? 0) > 0;
    const row = metricsRow({
      quote: update.quote,
      withCloses,
      storedPrice: stored?.price ?? null,
      storedCurrency: stored?.currency ?? null,
      sharesOutstanding: stored?.shares_outstanding ?? null,
      earnings: this.selectEarnings.all(update.symbol) as EarningsRow[],
      closeRange: update.quote !== undefined && withCloses ? (this.selectCloseRange.get({ symbol: update.symbol }) as { high: number | null; low: number | null }) : undefined,
    });
    this.upsertMetrics.run({ symbol: update.symbol, ...row, now });
  }
}
