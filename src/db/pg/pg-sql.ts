import { METRIC_COLUMNS } from '../../extract/lynch-metrics.js';
import { EARNINGS_COLUMNS } from '../stock-store-sql.js';

/*
 * The statements of the PostgreSQL store: the same rows as SQLite's (stock-store-sql.ts), in
 * PostgreSQL's words. Many rows go in one statement: each column is one array parameter, and
 * `unnest` turns the arrays back into rows (one round trip for a stock's 250 closes, not 250).
 */

/** earnings_history's columns that hold numbers; the others of EARNINGS_COLUMNS are text. */
const EARNINGS_NUMBERS = new Set<string>([
  'eps_diluted',
  'eps_diluted_adjusted',
  'revenue',
  'net_income',
  'operating_cash_flow',
  'dividends_per_share',
  'dividends_per_share_as_filed',
  'shares_diluted',
  'total_liabilities',
  'stockholders_equity',
]);

export const SELECT_METRIC_INPUTS =
  'SELECT s.shares_outstanding, m.price, m.currency, m.fx_pair, m.fx_rate, m.fx_rate_date FROM stocks s LEFT JOIN stock_metrics m ON m.symbol = s.symbol WHERE s.symbol = $1';
// SQLite reads them through the (symbol, fiscal_year, period) index: the same order here.
export const SELECT_EARNINGS = `SELECT fiscal_year, period, ${EARNINGS_COLUMNS.join(', ')} FROM earnings_history WHERE symbol = $1 ORDER BY fiscal_year, period`;
export const SELECT_SPLITS_OF = 'SELECT date, ratio, source FROM stock_splits WHERE symbol = $1 ORDER BY date';
export const SELECT_CLOSES_FROM = 'SELECT date, close FROM price_history WHERE symbol = $1 AND date >= $2 ORDER BY date';
export const SELECT_CLOSE_ON = 'SELECT close FROM price_history WHERE symbol = $1 AND date = $2';
/* As SQLite's SELECT_OLDER_CLOSE_RANGE: dates are YYYY-MM-DD text, the window counted back from the later of $3 and the stored newest. */
export const SELECT_OLDER_CLOSE_RANGE = `
      SELECT MAX(close) AS high, MIN(close) AS low FROM price_history
      WHERE symbol = $1 AND date < $2
        AND date > to_char(GREATEST($3::text, (SELECT MAX(date) FROM price_history WHERE symbol = $1))::date - $4::int, 'YYYY-MM-DD')`;

export const UPSERT_STOCK = `
      INSERT INTO stocks (symbol, cik, name, exchange, sic, industry, fiscal_year_end, last_filing_accession,
                          fundamentals_updated_at, shares_outstanding, shares_outstanding_date, shares_outstanding_source,
                          last_refreshed_at, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $13)
      ON CONFLICT (symbol) DO UPDATE SET
        cik = COALESCE(EXCLUDED.cik, stocks.cik),
        name = COALESCE(EXCLUDED.name, stocks.name),
        exchange = COALESCE(EXCLUDED.exchange, stocks.exchange),
        sic = COALESCE(EXCLUDED.sic, stocks.sic),
        industry = COALESCE(EXCLUDED.industry, stocks.industry),
        fiscal_year_end = COALESCE(EXCLUDED.fiscal_year_end, stocks.fiscal_year_end),
        last_filing_accession = COALESCE(EXCLUDED.last_filing_accession, stocks.last_filing_accession),
        fundamentals_updated_at = COALESCE(EXCLUDED.fundamentals_updated_at, stocks.fundamentals_updated_at),
        shares_outstanding = COALESCE(EXCLUDED.shares_outstanding, stocks.shares_outstanding),
        shares_outstanding_date = COALESCE(EXCLUDED.shares_outstanding_date, stocks.shares_outstanding_date),
        shares_outstanding_source = COALESCE(EXCLUDED.shares_outstanding_source, stocks.shares_outstanding_source),
        last_refreshed_at = EXCLUDED.last_refreshed_at,
        updated_at = EXCLUDED.updated_at`;
export const STOCK_PARAMS = [
  'symbol',
  'cik',
  'name',
  'exchange',
  'sic',
  'industry',
  'fiscal_year_end',
  'last_filing_accession',
  'fundamentals_updated_at',
  'shares_outstanding',
  'shares_outstanding_date',
  'shares_outstanding_source',
] as const;

export const DELETE_EARNINGS = 'DELETE FROM earnings_history WHERE symbol = $1';
export const INSERT_EARNINGS = `
      INSERT INTO earnings_history (symbol, fiscal_year, period, ${EARNINGS_COLUMNS.join(', ')}, updated_at)
      SELECT $1, * , $2 FROM unnest($3::int[], $4::text[], ${EARNINGS_COLUMNS.map((column, index) => `$${index + 5}::${EARNINGS_NUMBERS.has(column) ? 'float8' : 'text'}[]`).join(', ')})`;
export const UPDATE_ADJUSTED = `
      UPDATE earnings_history e SET eps_diluted_adjusted = u.adjusted, dividends_per_share = u.dividends, updated_at = $2
      FROM unnest($3::int[], $4::text[], $5::float8[], $6::float8[]) AS u(fiscal_year, period, adjusted, dividends)
      WHERE e.symbol = $1 AND e.fiscal_year = u.fiscal_year AND e.period = u.period`;
export const UPSERT_FILINGS = `
      INSERT INTO sec_filings (accession_number, symbol, cik, form, filing_date, report_date, acceptance_datetime,
                               primary_document, primary_doc_description, updated_at)
      SELECT u.accession_number, $1, u.cik, u.form, u.filing_date, u.report_date, u.acceptance_datetime, u.primary_document, u.primary_doc_description, $2
      FROM unnest($3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
        AS u(accession_number, cik, form, filing_date, report_date, acceptance_datetime, primary_document, primary_doc_description)
      ON CONFLICT (accession_number) DO UPDATE SET
        symbol = EXCLUDED.symbol, cik = EXCLUDED.cik, form = EXCLUDED.form, filing_date = EXCLUDED.filing_date,
        report_date = EXCLUDED.report_date, acceptance_datetime = EXCLUDED.acceptance_datetime,
        primary_document = EXCLUDED.primary_document, primary_doc_description = EXCLUDED.primary_doc_description,
        updated_at = EXCLUDED.updated_at`;
export const DELETE_SPLITS = 'DELETE FROM stock_splits WHERE symbol = $1';
export const INSERT_SPLITS = 'INSERT INTO stock_splits (symbol, date, ratio, source) SELECT $1, * FROM unnest($2::text[], $3::float8[], $4::text[])';
export const RESCALE_CLOSES = 'UPDATE price_history SET close = close * $2, updated_at = $3 WHERE symbol = $1 AND date < $4';
export const UPSERT_CLOSES = `
      INSERT INTO price_history (symbol, date, close, updated_at) SELECT $1, *, $2 FROM unnest($3::text[], $4::float8[])
      ON CONFLICT (symbol, date) DO UPDATE SET close = EXCLUDED.close, updated_at = EXCLUDED.updated_at`;
export const PRUNE_CLOSES = 'DELETE FROM price_history WHERE symbol = $1 AND date < $2';
export const UPSERT_VALIDATORS = `
      INSERT INTO http_validators (url, etag, last_modified, updated_at) SELECT *, $1 FROM unnest($2::text[], $3::text[], $4::text[])
      ON CONFLICT (url) DO UPDATE SET etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified, updated_at = EXCLUDED.updated_at`;
export const UPSERT_SECTIONS = `
      INSERT INTO filing_sections (accession_number, section, content, updated_at) SELECT *, $1 FROM unnest($2::text[], $3::text[], $4::text[])
      ON CONFLICT (accession_number, section) DO UPDATE SET content = EXCLUDED.content, updated_at = EXCLUDED.updated_at`;
const METRICS_FIRST = ['price', 'fifty_two_week_high', 'fifty_two_week_low', 'currency', 'price_time'] as const;
/** The exchange rate the ratios were converted with: replaced with the ratios, as SQLite's. */
const METRICS_FX = ['fx_pair', 'fx_rate', 'fx_rate_date'] as const;
export const METRICS_PARAMS = [...METRICS_FIRST, ...METRICS_FX, ...METRIC_COLUMNS] as const;
export const UPSERT_METRICS = `
      INSERT INTO stock_metrics (symbol, ${METRICS_PARAMS.join(', ')}, updated_at)
      VALUES ($1, ${METRICS_PARAMS.map((_, index) => `$${index + 2}`).join(', ')}, $${METRICS_PARAMS.length + 2})
      ON CONFLICT (symbol) DO UPDATE SET
        ${METRICS_FIRST.map((column) => `${column} = COALESCE(EXCLUDED.${column}, stock_metrics.${column})`).join(', ')},
        ${[...METRICS_FX, ...METRIC_COLUMNS].map((column) => `${column} = EXCLUDED.${column}`).join(', ')}, updated_at = EXCLUDED.updated_at`;
export const UPSERT_FX_RATE = `
      INSERT INTO fx_rates (pair, date, rate, fetched_at) VALUES ($1, $2, $3, $4)
      ON CONFLICT (pair, date) DO UPDATE SET rate = EXCLUDED.rate, fetched_at = EXCLUDED.fetched_at`;
/** The currencies the stored companies report in, for the night's exchange-rate pairs. */
export const SELECT_REPORTING_CURRENCIES = 'SELECT DISTINCT reporting_currency FROM earnings_history WHERE reporting_currency IS NOT NULL';

export const SELECT_SECTION_ACCESSIONS = 'SELECT DISTINCT accession_number FROM filing_sections';
export const SELECT_VALIDATORS = 'SELECT url, etag, last_modified FROM http_validators';
export const SELECT_LATEST_CLOSE_DATES = 'SELECT symbol, MAX(date) AS date FROM price_history GROUP BY symbol';
export const SELECT_SPLITS = 'SELECT symbol, date, ratio, source FROM stock_splits ORDER BY symbol, date';
export const SELECT_STATE = 'SELECT symbol, last_filing_accession, fundamentals_updated_at, last_refreshed_at FROM stocks';

/**
 * Rows with one key each, the last of a key kept (as SQLite's row-by-row upserts leave it), in key
 * order: an upsert may not touch a row twice, and two transactions taking row locks in one order
 * cannot deadlock.
 */
export function lastByKey<Row>(rows: readonly Row[], keyOf: (row: Row) => string): Row[] {
  const byKey = new Map<string, Row>();
  for (const row of rows) byKey.set(keyOf(row), row);
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

/** The columns of `rows` as arrays, one per name: the parameters of an unnest statement. */
export function columnsOf<Row>(rows: readonly Row[], names: readonly (keyof Row)[]): unknown[][] {
  return names.map((name) => rows.map((row) => row[name] ?? null));
}
