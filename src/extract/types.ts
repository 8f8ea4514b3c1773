/**
 * Rows produced by the pure extractors. Every way data arrives (per company, bulk, demo) goes
 * through these shapes and the same storage code.
 */

/** A fiscal period: `FY` for the year, `Q1`..`Q4` for quarters. */
export type PeriodName = 'FY' | 'Q1' | 'Q2' | 'Q3' | 'Q4';

/** One row of `earnings_history`. Money in the filing's currency. */
export interface EarningsRow {
  /**
   * The company's own label of the fiscal year the period belongs to (Apple's year ending
   * 2024-09-28 is 2024, Target's ending 2025-02-01 is 2024): see extract/fiscal-years.ts.
   */
  fiscal_year: number;
  period: PeriodName;
  /** Diluted EPS as last filed (on the share basis of that filing). */
  eps_diluted: number | null;
  /** Diluted EPS on today's share basis (see `applySplits`); null until adjusted. */
  eps_diluted_adjusted: number | null;
  /** Total revenue (banks: net of interest expense, or interest and dividend income plus noninterest income). */
  revenue: number | null;
  /** The concept `revenue` was read from, qualified (`us-gaap:Revenues`); null without revenue. */
  revenue_concept: string | null;
  net_income: number | null;
  operating_cash_flow: number | null;
  /** Dividends declared per share as last filed. */
  dividends_per_share_as_filed: number | null;
  /** Dividends per share on today's share basis (see `applySplits`); null until adjusted. */
  dividends_per_share: number | null;
  /** Weighted average diluted shares of the period, as last filed. */
  shares_diluted: number | null;
  /** Balance-sheet values at `period_end` (instants). */
  total_liabilities: number | null;
  stockholders_equity: number | null;
  /** ISO 4217 currency of the row's money and per-share values as filed (`USD`, `TWD`); null when unknown. */
  reporting_currency: string | null;
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
  /** Splits in the chart's `events.splits` (requested with `events=split`). */
  splits: SplitEvent[];
}

/** A stock split: `ratio` new shares for one old (4 for Apple's 2020 4:1; 0.1 for a 1:10 reverse split). */
export interface SplitEvent {
  /** ISO date from which values are on the new basis: the split date (Yahoo) or the first filing restated for it. */
  date: string;
  ratio: number;
  source: 'yahoo' | 'restatement';
}

/**
 * Where shares outstanding were read: the cover page (dei:EntityCommonStockSharesOutstanding, all
 * classes), the balance sheet (us-gaap:CommonStockSharesOutstanding), or the latest diluted
 * weighted average (us-gaap:WeightedAverageNumberOfDilutedSharesOutstanding).
 */
export type SharesOutstandingSource = 'cover' | 'balance_sheet' | 'weighted_diluted';

/** Shares outstanding at a date (the cover's date, the balance sheet's, or the averaged period's end). */
export interface SharesOutstanding {
  value: number;
  date: string;
  source: SharesOutstandingSource;
}

/** What one companyfacts body gives. */
export interface CompanyFactsExtract {
  /** FY and Q1..Q4 rows, oldest first, as filed: the adjusted columns are filled when stored (stock-rows.ts). */
  earnings: EarningsRow[];
  /** Latest shares outstanding and where they were read (see {@link SharesOutstanding}). */
  sharesOutstanding: SharesOutstanding | null;
  /** Splits inferred from restated per-share values. */
  splits: SplitEvent[];
}
