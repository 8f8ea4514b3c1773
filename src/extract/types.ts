/**
 * Rows produced by the pure extractors. Every way data arrives (per company, bulk, demo) goes
 * through these shapes and the same storage code.
 */

/** A fiscal period: `FY` for the year, `Q1`..`Q4` for quarters. */
export type PeriodName = 'FY' | 'Q1' | 'Q2' | 'Q3' | 'Q4';

/** One row of `earnings_history`. Money in the filing's currency, per-share values as filed. */
export interface EarningsRow {
  /** The fiscal year the period belongs to (Apple's year ending 2024-09-28 is 2024), never the filing's `fy`. */
  fiscal_year: number;
  period: PeriodName;
  eps_diluted: number | null;
  revenue: number | null;
  net_income: number | null;
  /** ISO dates (YYYY-MM-DD) identifying the period. */
  period_start: string | null;
  period_end: string;
  /** The filing that last reported the figures of this period (last-filed wins). */
  form: string | null;
  filed: string | null;
  accession_number: string | null;
}

/** One row of `sec_filings`. */
export interface FilingRow {
  accession_number: string;
  cik: number;
  form: string;
  filing_date: string;
  report_date: string | null;
  acceptance_datetime: string | null;
  primary_document: string | null;
  primary_doc_description: string | null;
}

/** What SEC's submissions file says about the company itself. */
export interface CompanyProfile {
  cik: number;
  name: string | null;
  sic: string | null;
  industry: string | null;
  fiscal_year_end: string | null;
  tickers: string[];
  exchanges: string[];
}

/** The price part of `stock_metrics`, from Yahoo's chart meta. */
export interface QuoteRow {
  price: number | null;
  fifty_two_week_high: number | null;
  fifty_two_week_low: number | null;
  currency: string | null;
  /** ISO 8601 time of the last regular-market price. */
  price_time: string | null;
  long_name: string | null;
  exchange_name: string | null;
}
