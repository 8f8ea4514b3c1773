import type { Validators } from '../sources/source-client.js';
import type { FilingSection } from './filing-sections.js';
import type { FxRates } from './fx-rates.js';
import type { DailyClose } from './spark.js';
import type { CompanyProfile, EarningsRow, FilingRow, QuoteRow, SharesOutstanding, SplitEvent } from './types.js';

/** Everything one stock's refresh produced. `undefined` parts were not fetched and stay as stored. */
export interface StockUpdate {
  symbol: string;
  cik: number | null;
  name: string | null;
  exchange: string | null;
  profile?: CompanyProfile;
  /**
   * The complete annual/quarterly history from companyfacts: replaces what is stored. Stored on
   * today's share basis: the adjusted columns are computed from the as-filed ones with `splits`
   * (the stored splits without them); what they hold here is not read.
   */
  earnings?: EarningsRow[];
  /** Periodic filings; written under this symbol only for the company's primary listing. */
  filings?: FilingRow[];
  /** Newest accession in the submissions, to tell next time whether anything was filed since. */
  latestAccession?: string | null;
  fundamentalsRefreshed: boolean;
  quote?: QuoteRow;
  /** Latest cover-page shares outstanding, for the market cap. */
  sharesOutstanding?: SharesOutstanding | null;
  /**
   * The stock's splits (replaces the stored list). Without `earnings`, the stored earnings are
   * re-adjusted with them (a split seen after they were stored).
   */
  splits?: SplitEvent[];
  /** Daily closes (Yahoo spark) for `price_history`: a stored date gets the new close; closes over 400 days older than the newest go. */
  closes?: DailyClose[];
  /** Sections of the latest 10-K, stored under its accession. */
  sections?: { accession: string; sections: FilingSection[] };
  /** ETag / Last-Modified of what was fetched, for conditional requests next time. */
  validators?: ({ url: string } & Validators)[];
  /**
   * The night's exchange rates so far (pair -> rate or failure): a company reporting in another
   * currency than its price's has its ratios converted with its pair's (fx-rates.ts).
   */
  fxRates?: FxRates;
  /** Ordinary shares per listed share (the config's `adr_ratios`): the share basis of a 20-F/40-F filer's listing. */
  adsRatio?: number | null;
}
