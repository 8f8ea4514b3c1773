import type { Statement } from 'better-sqlite3';
import type { CompanyProfile, EarningsRow, FilingRow, QuoteRow } from '../extract/types.js';
import type { Db } from './open-database.js';

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
  private readonly saveTransaction: (update: StockUpdate, nowIso: string) => void;

  constructor(private readonly db: Db) {
    this.upsertStock = db.prepare(`
      INSERT INTO stocks (symbol, cik, name, exchange, sic, industry, fiscal_year_end, last_filing_accession,
                          fundamentals_updated_at, last_refreshed_at, created_at, updated_at)
      VALUES (@symbol, @cik, @name, @exchange, @sic, @industry, @fiscal_year_end, @last_filing_accession,
              @fundamentals_updated_at, @now, @now, @now)
      ON CONFLICT(symbol) DO UPDATE SET
        cik = COALESCE(excluded.cik, cik),
        name = COALESCE(excluded.name, name),
        exchange = COALESCE(excluded.exchange, exchange),
        sic = COALESCE(excluded.sic, sic),
        industry = COALESCE(excluded.industry, industry),
        fiscal_year_end = COALESCE(excluded.fiscal_year_end, fiscal_year_end),
        last_filing_accession = COALESCE(excluded.last_filing_accession, last_filing_accession),
        fundamentals_updated_at = COALESCE(excluded.fundamentals_updated_at, fundamentals_updated_at),
        last_refreshed_at = excluded.last_refreshed_at,
        updated_at = excluded.updated_at`);
    this.deleteEarnings = db.prepare('DELETE FROM earnings_history WHERE symbol = ?');
    this.insertEarnings = db.prepare(`
      INSERT INTO earnings_history (symbol, fiscal_year, period, eps_diluted, revenue, net_income, period_start,
                                    period_end, form, filed, accession_number, updated_at)
      VALUES (@symbol, @fiscal_year, @period, @eps_diluted, @revenue, @net_income, @period_start,
              @period_end, @form, @filed, @accession_number, @now)`);
    this.upsertFiling = db.prepare(`
      INSERT INTO sec_filings (accession_number, symbol, cik, form, filing_date, report_date, acceptance_datetime,
                               primary_document, primary_doc_description, updated_at)
      VALUES (@accession_number, @symbol, @cik, @form, @filing_date, @report_date, @acceptance_datetime,
              @primary_document, @primary_doc_description, @now)
      ON CONFLICT(accession_number) DO UPDATE SET
        symbol = excluded.symbol, cik = excluded.cik, form = excluded.form, filing_date = excluded.filing_date,
        report_date = excluded.report_date, acceptance_datetime = excluded.acceptance_datetime,
        primary_document = excluded.primary_document, primary_doc_description = excluded.primary_doc_description,
        updated_at = excluded.updated_at`);
    this.upsertMetrics = db.prepare(`
      INSERT INTO stock_metrics (symbol, price, fifty_two_week_high, fifty_two_week_low, currency, price_time, updated_at)
      VALUES (@symbol, @price, @fifty_two_week_high, @fifty_two_week_low, @currency, @price_time, @now)
      ON CONFLICT(symbol) DO UPDATE SET
        price = excluded.price, fifty_two_week_high = excluded.fifty_two_week_high,
        fifty_two_week_low = excluded.fifty_two_week_low, currency = excluded.currency,
        price_time = excluded.price_time, updated_at = excluded.updated_at`);
    this.selectState = db.prepare(
      'SELECT symbol, last_filing_accession, fundamentals_updated_at, last_refreshed_at FROM stocks',
    );
    this.saveTransaction = db.transaction((update: StockUpdate, now: string) => this.write(update, now));
  }

  /** Stores one stock's update atomically (BEGIN IMMEDIATE: waits for other writers within the busy timeout). */
  save(update: StockUpdate, nowIso: string): void {
    (this.saveTransaction as unknown as { immediate: (u: StockUpdate, n: string) => void }).immediate(update, nowIso);
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
      now,
    });
    if (update.earnings !== undefined) {
      this.deleteEarnings.run(symbol);
      for (const row of update.earnings) this.insertEarnings.run({ ...row, symbol, now });
    }
    if (update.filings !== undefined) {
      for (const row of update.filings) this.upsertFiling.run({ ...row, symbol, now });
    }
    if (update.quote !== undefined) {
      const { price, fifty_two_week_high, fifty_two_week_low, currency, price_time } = update.quote;
      this.upsertMetrics.run({ symbol, price, fifty_two_week_high, fifty_two_week_low, currency, price_time, now });
    }
  }
}
