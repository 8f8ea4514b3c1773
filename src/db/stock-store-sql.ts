import { METRIC_COLUMNS } from '../extract/lynch-metrics.js';
import type { EarningsRow } from '../extract/types.js';

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

/** Closes older than this before a symbol's newest one are dropped: a year's range plus slack. */
const HISTORY_KEPT_DAYS = 400;
/** The 52-week range is taken over this many days ending at the newest close. */
const RANGE_WINDOW_DAYS = 365;

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
export const SELECT_METRIC_INPUTS = 'SELECT s.shares_outstanding, m.price, m.currency FROM stocks s LEFT JOIN stock_metrics m ON m.symbol = s.symbol WHERE s.symbol = ?';
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
export const PRUNE_CLOSES = `
      DELETE FROM price_history
      WHERE symbol = @symbol AND date < date((SELECT MAX(date) FROM price_history WHERE symbol = @symbol), '-${HISTORY_KEPT_DAYS} days')`;
export const SELECT_CLOSE_ON = 'SELECT close FROM price_history WHERE symbol = ? AND date = ?';
export const RESCALE_CLOSES = 'UPDATE price_history SET close = close * @ratio, updated_at = @now WHERE symbol = @symbol AND date < @before';
/*
 * The window is the 365 days ending at the newest stored close, not today: a stock whose
 * prices stopped coming keeps the range of its last year instead of a shrinking one.
 */
export const SELECT_CLOSE_RANGE = `
      SELECT MAX(close) AS high, MIN(close) AS low FROM price_history
      WHERE symbol = @symbol AND date > date((SELECT MAX(date) FROM price_history WHERE symbol = @symbol), '-${RANGE_WINDOW_DAYS} days')`;
export const SELECT_LATEST_CLOSE_DATES = 'SELECT symbol, MAX(date) AS date FROM price_history GROUP BY symbol';
export const SELECT_SPLITS = 'SELECT symbol, date, ratio, source FROM stock_splits ORDER BY symbol, date';
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
                                 ${METRIC_COLUMNS.join(', ')}, updated_at)
      VALUES (@symbol, @price, @fifty_two_week_high, @fifty_two_week_low, @currency, @price_time,
              ${METRIC_COLUMNS.map((column) => `@${column}`).join(', ')}, @now)
      ON CONFLICT(symbol) DO UPDATE SET
        price = COALESCE(excluded.price, price), fifty_two_week_high = COALESCE(excluded.fifty_two_week_high, fifty_two_week_high),
        fifty_two_week_low = COALESCE(excluded.fifty_two_week_low, fifty_two_week_low), currency = COALESCE(excluded.currency, currency),
        price_time = COALESCE(excluded.price_time, price_time),
        ${METRIC_COLUMNS.map((column) => `${column} = excluded.${column}`).join(', ')}, updated_at = excluded.updated_at`;
export const SELECT_STATE = 'SELECT symbol, last_filing_accession, fundamentals_updated_at, last_refreshed_at FROM stocks';
