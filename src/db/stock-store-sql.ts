import type { Statement } from 'better-sqlite3';
import { METRIC_COLUMNS } from '../extract/lynch-metrics.js';
import type { EarningsRow } from '../extract/types.js';
import type { Db } from './open-database.js';

/*
 * The SQL of StockStore, one statement a constant, prepared once when the store opens. The column
 * lists below are shared with the code that fills the statements' parameters.
 */

/** earnings_history columns written from an EarningsRow (besides symbol, fiscal_year, period). */
export const EARNINGS_COLUMNS = [
  'eps_diluted',
  'eps_diluted_adjusted',
  'revenue',
  'revenue_concept',
  'net_income',
  'operating_cash_flow',
  'dividends_per_share',
  'dividends_per_share_as_filed',
  'shares_diluted',
  'total_liabilities',
  'stockholders_equity',
  'reporting_currency',
  'period_start',
  'period_end',
  'form',
  'filed',
  'accession_number',
] as const satisfies readonly (keyof EarningsRow)[];

export const UPSERT_STOCK = `
      INSERT INTO stocks (symbol, cik, name, exchange, sic, industry, fiscal_year_end, last_filing_accession,
                          fundamentals_updated_at, shares_outstanding, shares_outstanding_date, shares_outstanding_source,
                          last_refreshed_at, created_at, updated_at)
      VALUES (@symbol, @cik, @name, @exchange, @sic, @industry, @fiscal_year_end, @last_filing_accession,
              @fundamentals_updated_at, @shares_outstanding, @shares_outstanding_date, @shares_outstanding_source, @now, @now, @now)
      ON CONFLICT(symbol) DO UPDATE SET
        cik = COALESCE(excluded.cik, cik),
        name = COALESCE(excluded.name, name),
        exchange = COALESCE(excluded.exchange, exchange),
        sic = COALESCE(excluded.sic, sic),
        industry = COALESCE(excluded.industry, industry),
        fiscal_year_end = COALESCE(excluded.fiscal_year_end, fiscal_year_end),
        last_filing_accession = COALESCE(excluded.last_filing_accession, last_filing_accession),
        fundamentals_updated_at = COALESCE(excluded.fundamentals_updated_at, fundamentals_updated_at),
        shares_outstanding = COALESCE(excluded.shares_outstanding, shares_outstanding),
        shares_outstanding_date = COALESCE(excluded.shares_outstanding_date, shares_outstanding_date),
        shares_outstanding_source = COALESCE(excluded.shares_outstanding_source, shares_outstanding_source),
        last_refreshed_at = excluded.last_refreshed_at,
        updated_at = excluded.updated_at`;
export const DELETE_EARNINGS = 'DELETE FROM earnings_history WHERE symbol = ?';
export const INSERT_EARNINGS = `
      INSERT INTO earnings_history (symbol, fiscal_year, period, ${EARNINGS_COLUMNS.join(', ')}, updated_at)
      VALUES (@symbol, @fiscal_year, @period, ${EARNINGS_COLUMNS.map((column) => `@${column}`).join(', ')}, @now)`;
export const SELECT_EARNINGS = `SELECT fiscal_year, period, ${EARNINGS_COLUMNS.join(', ')} FROM earnings_history WHERE symbol = ?`;
export const SELECT_METRIC_INPUTS =
  'SELECT s.shares_outstanding, m.price, m.currency, m.fx_pair, m.fx_rate, m.fx_rate_date FROM stocks s LEFT JOIN stock_metrics m ON m.symbol = s.symbol WHERE s.symbol = ?';
export const DELETE_SPLITS = 'DELETE FROM stock_splits WHERE symbol = ?';
export const INSERT_SPLIT = 'INSERT OR REPLACE INTO stock_splits (symbol, date, ratio, source) VALUES (?, ?, ?, ?)';
export const UPSERT_SECTION = `
      INSERT INTO filing_sections (accession_number, section, content, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT(accession_number, section) DO UPDATE SET content = excluded.content, updated_at = excluded.updated_at`;
export const SELECT_SECTION_ACCESSIONS = 'SELECT DISTINCT accession_number FROM filing_sections';
export const UPSERT_VALIDATORS = `
      INSERT INTO http_validators (url, etag, last_modified, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, updated_at = excluded.updated_at`;
export const SELECT_VALIDATORS = 'SELECT url, etag, last_modified FROM http_validators';
export const UPDATE_ADJUSTED = `
      UPDATE earnings_history SET eps_diluted_adjusted = @eps_diluted_adjusted, dividends_per_share = @dividends_per_share, updated_at = @now
      WHERE symbol = @symbol AND fiscal_year = @fiscal_year AND period = @period`;
export const UPSERT_CLOSE = `
      INSERT INTO price_history (symbol, date, close, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT(symbol, date) DO UPDATE SET close = excluded.close, updated_at = excluded.updated_at`;
export const PRUNE_CLOSES = 'DELETE FROM price_history WHERE symbol = @symbol AND date < @before';
export const SELECT_CLOSE_ON = 'SELECT close FROM price_history WHERE symbol = ? AND date = ?';
export const SELECT_CLOSES_FROM = 'SELECT date, close FROM price_history WHERE symbol = ? AND date >= ? ORDER BY date';
export const RESCALE_CLOSES = 'UPDATE price_history SET close = close * @ratio, updated_at = @now WHERE symbol = @symbol AND date < @before';
/*
 * One aggregate instead of a year of rows: the highest and lowest close before @before within the
 * window (@window, '-365 days') ending at the newest close after the write, @newest's or the stored
 * one. Without stored closes MAX(…) is NULL, as is the range: there is nothing older.
 */
export const SELECT_OLDER_CLOSE_RANGE = `
      SELECT MAX(close) AS high, MIN(close) AS low FROM price_history
      WHERE symbol = @symbol AND date < @before
        AND date > date(MAX(@newest, (SELECT MAX(date) FROM price_history WHERE symbol = @symbol)), @window)`;
export const SELECT_LATEST_CLOSE_DATES = 'SELECT symbol, MAX(date) AS date FROM price_history GROUP BY symbol';
export const SELECT_SPLITS = 'SELECT symbol, date, ratio, source FROM stock_splits ORDER BY symbol, date';
export const SELECT_SPLITS_OF = 'SELECT date, ratio, source FROM stock_splits WHERE symbol = ? ORDER BY date';
export const UPSERT_FILING = `
      INSERT INTO sec_filings (accession_number, symbol, cik, form, filing_date, report_date, acceptance_datetime,
                               primary_document, primary_doc_description, updated_at)
      VALUES (@accession_number, @symbol, @cik, @form, @filing_date, @report_date, @acceptance_datetime,
              @primary_document, @primary_doc_description, @now)
      ON CONFLICT(accession_number) DO UPDATE SET
        symbol = excluded.symbol, cik = excluded.cik, form = excluded.form, filing_date = excluded.filing_date,
        report_date = excluded.report_date, acceptance_datetime = excluded.acceptance_datetime,
        primary_document = excluded.primary_document, primary_doc_description = excluded.primary_doc_description,
        updated_at = excluded.updated_at`;
export const UPSERT_METRICS = `
      INSERT INTO stock_metrics (symbol, price, fifty_two_week_high, fifty_two_week_low, currency, price_time,
                                 fx_pair, fx_rate, fx_rate_date, ${METRIC_COLUMNS.join(', ')}, updated_at)
      VALUES (@symbol, @price, @fifty_two_week_high, @fifty_two_week_low, @currency, @price_time,
              @fx_pair, @fx_rate, @fx_rate_date, ${METRIC_COLUMNS.map((column) => `@${column}`).join(', ')}, @now)
      ON CONFLICT(symbol) DO UPDATE SET
        price = COALESCE(excluded.price, price), fifty_two_week_high = COALESCE(excluded.fifty_two_week_high, fifty_two_week_high),
        fifty_two_week_low = COALESCE(excluded.fifty_two_week_low, fifty_two_week_low), currency = COALESCE(excluded.currency, currency),
        price_time = COALESCE(excluded.price_time, price_time),
        fx_pair = excluded.fx_pair, fx_rate = excluded.fx_rate, fx_rate_date = excluded.fx_rate_date,
        ${METRIC_COLUMNS.map((column) => `${column} = excluded.${column}`).join(', ')}, updated_at = excluded.updated_at`;
export const UPSERT_FX_RATE = `
      INSERT INTO fx_rates (pair, date, rate, fetched_at) VALUES (@pair, @date, @rate, @now)
      ON CONFLICT(pair, date) DO UPDATE SET rate = excluded.rate, fetched_at = excluded.fetched_at`;
/** The currencies the stored companies report in, for the night's exchange-rate pairs. */
export const SELECT_REPORTING_CURRENCIES = 'SELECT DISTINCT reporting_currency FROM earnings_history WHERE reporting_currency IS NOT NULL';
export const SELECT_STATE = 'SELECT symbol, last_filing_accession, fundamentals_updated_at, last_refreshed_at FROM stocks';

const STATEMENTS = {
  upsertStock: UPSERT_STOCK,
  deleteEarnings: DELETE_EARNINGS,
  insertEarnings: INSERT_EARNINGS,
  selectEarnings: SELECT_EARNINGS,
  selectMetricInputs: SELECT_METRIC_INPUTS,
  updateAdjusted: UPDATE_ADJUSTED,
  deleteSplits: DELETE_SPLITS,
  insertSplit: INSERT_SPLIT,
  selectSplits: SELECT_SPLITS,
  selectSplitsOf: SELECT_SPLITS_OF,
  upsertSection: UPSERT_SECTION,
  selectSectionAccessions: SELECT_SECTION_ACCESSIONS,
  upsertValidators: UPSERT_VALIDATORS,
  selectValidators: SELECT_VALIDATORS,
  upsertClose: UPSERT_CLOSE,
  pruneCloses: PRUNE_CLOSES,
  selectCloseOn: SELECT_CLOSE_ON,
  selectClosesFrom: SELECT_CLOSES_FROM,
  rescaleCloses: RESCALE_CLOSES,
  selectOlderCloseRange: SELECT_OLDER_CLOSE_RANGE,
  selectLatestCloseDates: SELECT_LATEST_CLOSE_DATES,
  upsertFiling: UPSERT_FILING,
  upsertMetrics: UPSERT_METRICS,
  upsertFxRate: UPSERT_FX_RATE,
  selectReportingCurrencies: SELECT_REPORTING_CURRENCIES,
  selectState: SELECT_STATE,
} as const;

/** The store's statements, prepared once when it opens. */
export type Statements = { readonly [Name in keyof typeof STATEMENTS]: Statement };

export function prepareStatements(db: Db): Statements {
  return Object.fromEntries(Object.entries(STATEMENTS).map(([name, sql]) => [name, db.prepare(sql)])) as Statements;
}
