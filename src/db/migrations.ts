/**
 * Schema migrations, applied in order; the schema version is how many have run (SQLite: `PRAGMA
 * user_version`; PostgreSQL: the `schema_migrations` table). Never edit a released entry: add a new
 * one. One list for both stores: each entry is written as SQLite runs it, in the small vocabulary
 * `renderMigration` carries to PostgreSQL (TEXT, INTEGER, REAL, `INTEGER PRIMARY KEY`, `WITHOUT
 * ROWID`, CREATE TABLE/INDEX, ALTER TABLE … ADD COLUMN, plain UPDATE and DELETE).
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE stocks (
    symbol TEXT PRIMARY KEY,
    cik INTEGER,
    name TEXT,
    exchange TEXT,
    sic TEXT,
    industry TEXT,
    fiscal_year_end TEXT,
    shares_outstanding REAL,
    shares_outstanding_date TEXT,
    last_filing_accession TEXT,
    fundamentals_updated_at TEXT,
    last_refreshed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX stocks_cik ON stocks(cik);

  CREATE TABLE stock_metrics (
    symbol TEXT PRIMARY KEY REFERENCES stocks(symbol) ON DELETE CASCADE,
    price REAL,
    market_cap REAL,
    pe_ratio REAL,
    fifty_two_week_high REAL,
    fifty_two_week_low REAL,
    ttm_eps REAL,
    eps_growth_rate REAL,
    peg_ratio REAL,
    dividend_yield REAL,
    debt_to_equity REAL,
    lynch_category TEXT,
    currency TEXT,
    price_time TEXT,
    updated_at TEXT NOT NULL
  );

  CREATE TABLE stock_splits (
    symbol TEXT NOT NULL REFERENCES stocks(symbol) ON DELETE CASCADE,
    date TEXT NOT NULL,
    ratio REAL NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (symbol, date)
  );

  CREATE TABLE earnings_history (
    id INTEGER PRIMARY KEY,
    symbol TEXT NOT NULL REFERENCES stocks(symbol) ON DELETE CASCADE,
    fiscal_year INTEGER NOT NULL,
    period TEXT NOT NULL CHECK (period IN ('FY', 'Q1', 'Q2', 'Q3', 'Q4')),
    eps_diluted REAL,
    eps_diluted_adjusted REAL,
    revenue REAL,
    net_income REAL,
    operating_cash_flow REAL,
    dividends_per_share REAL,
    dividends_per_share_as_filed REAL,
    shares_diluted REAL,
    total_liabilities REAL,
    stockholders_equity REAL,
    period_start TEXT,
    period_end TEXT,
    form TEXT,
    filed TEXT,
    accession_number TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (symbol, fiscal_year, period)
  );

  CREATE TABLE sec_filings (
    accession_number TEXT PRIMARY KEY,
    symbol TEXT,
    cik INTEGER NOT NULL,
    form TEXT NOT NULL,
    filing_date TEXT NOT NULL,
    report_date TEXT,
    acceptance_datetime TEXT,
    primary_document TEXT,
    primary_doc_description TEXT,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX sec_filings_cik ON sec_filings(cik, filing_date);
  CREATE INDEX sec_filings_symbol ON sec_filings(symbol, filing_date);

  CREATE TABLE filing_sections (
    accession_number TEXT NOT NULL,
    section TEXT NOT NULL,
    content TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (accession_number, section)
  );

  CREATE TABLE http_validators (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    updated_at TEXT NOT NULL
  );

  CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    completed_at TEXT,
    status TEXT NOT NULL,
    total_stocks INTEGER NOT NULL DEFAULT 0,
    successful INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    duration_seconds REAL,
    report_path TEXT,
    error_message TEXT,
    universe_size INTEGER,
    pid INTEGER,
    host TEXT
  );
  `,
  // 2: daily closes from Yahoo's spark endpoint; the 52-week range is computed from them.
  `
  CREATE TABLE price_history (
    symbol TEXT NOT NULL REFERENCES stocks(symbol) ON DELETE CASCADE,
    date TEXT NOT NULL,
    close REAL NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (symbol, date)
  ) WITHOUT ROWID;
  `,
  // 3: the business days whose daily index a completed run found not yet published (a JSON array
  // of YYYY-MM-DD), which the next night reads again.
  `
  ALTER TABLE sync_runs ADD COLUMN index_missing_days TEXT;
  `,
  // 4: the sources a run degraded (a JSON object, source -> what happened), for `status`.
  `
  ALTER TABLE sync_runs ADD COLUMN degraded_sources TEXT;
  `,
  // 5: what a figure is (issue 15): the concept an earnings row's revenue was read from and the
  // currency of its figures; where shares outstanding were read (cover, balance_sheet,
  // weighted_diluted); why metrics whose inputs exist are NULL. Rows stored before keep NULL here
  // until their company is read again (migration 6).
  `
  ALTER TABLE earnings_history ADD COLUMN revenue_concept TEXT;
  ALTER TABLE earnings_history ADD COLUMN reporting_currency TEXT;
  ALTER TABLE stocks ADD COLUMN shares_outstanding_source TEXT;
  ALTER TABLE stock_metrics ADD COLUMN metrics_note TEXT;
  UPDATE stocks SET shares_outstanding_source = 'cover' WHERE shares_outstanding IS NOT NULL;
  `,
  // 6: the extraction rules changed (total revenue, mentions, the company's own fiscal years, shares
  // outstanding, currencies), and what is stored cannot be relabelled without the filings' own
  // fiscal years: every company's fundamentals are read again on the next night. The stored rows
  // stay until then; the companyfacts validators go, so no 304 keeps an old extraction.
  `
  UPDATE stocks SET fundamentals_updated_at = NULL;
  DELETE FROM http_validators WHERE url LIKE '%/api/xbrl/companyfacts/%';
  `,
  // 7: exchange rates (issue 15): the rate of each pair (`TWDUSD=X`, quote currency per unit of the
  // reporting currency) fetched each night with the prices, and in stock_metrics the pair, rate and
  // date the ratios of a company reporting in another currency than its price's were converted with.
  `
  CREATE TABLE fx_rates (
    pair TEXT NOT NULL,
    date TEXT NOT NULL,
    rate REAL NOT NULL,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (pair, date)
  );
  ALTER TABLE stock_metrics ADD COLUMN fx_pair TEXT;
  ALTER TABLE stock_metrics ADD COLUMN fx_rate REAL;
  ALTER TABLE stock_metrics ADD COLUMN fx_rate_date TEXT;
  `,
];

/** The SQL dialects a migration is rendered for. */
export type Dialect = 'sqlite' | 'postgres';

/*
 * SQLite text -> PostgreSQL text. SQLite's `INTEGER PRIMARY KEY` is the rowid (numbered by the
 * database): an identity column in PostgreSQL. REAL is SQLite's 8-byte float: DOUBLE PRECISION (a
 * PostgreSQL REAL has 4 bytes). INTEGER stays INTEGER (4 bytes: CIKs, years, counts and PIDs fit,
 * and pg reads it as a number where BIGINT would come back as a string). TEXT stays TEXT, dates
 * included, so a screener reads the same strings from either store.
 */
const POSTGRES_RULES: readonly [RegExp, string][] = [
  [/\bINTEGER PRIMARY KEY\b/g, 'INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY'],
  [/\bREAL\b/g, 'DOUBLE PRECISION'],
  [/\)\s*WITHOUT ROWID/g, ')'],
];

/** A migration's text for a dialect: SQLite's as written (what existing databases ran), PostgreSQL's rendered. */
export function renderMigration(sql: string, dialect: Dialect): string {
  if (dialect === 'sqlite') return sql;
  return POSTGRES_RULES.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), sql);
}

/** The whole list for a dialect, in order. */
export function renderMigrations(dialect: Dialect): string[] {
  return MIGRATIONS.map((sql) => renderMigration(sql, dialect));
}
