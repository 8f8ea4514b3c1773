import type { CompanyFactsExtract, EarningsRow, PeriodName, SharesOutstanding } from './types.js';
import type { CompanyFacts } from '../sources/schemas/companyfacts.js';
import { BALANCE_SHEET_CONCEPTS, SHARES_OUTSTANDING_CONCEPTS, conceptChain } from './concept-chains.js';
import { DAY_MS, FactsIndex, chooseByChain, filedLater, newestFact, type ConceptRef, type Fact } from './facts-index.js';
import { annualRows, quarterRows } from './earnings-periods.js';
import { inferSplitsFromRestatements } from './split-adjust.js';

/*
 * Everything batch-refresh keeps from SEC's companyfacts JSON: FY and quarterly earnings rows,
 * balance-sheet values at each period end, shares outstanding, and splits inferred from restated
 * per-share values. The reading rules (periods by start/end, last filed wins, mentions, concept
 * chains per period) live in facts-index.ts and concept-chains.ts; quarters in earnings-periods.ts;
 * fiscal-year labels in fiscal-years.ts; splits in split-adjust.ts.
 */

export { EARNINGS_CONCEPTS, FactsIndex, durationDays, fiscalYearOfEnd, isAnnualPeriod } from './facts-index.js';

type BalanceSheet = Pick<EarningsRow, 'total_liabilities' | 'stockholders_equity'>;

/**
 * The balance sheet at a date: instants matched to the row's `period_end`, last filed wins, a
 * concept chosen per date. Amazon never tags `Liabilities`, NVIDIA and Microsoft skip it in some
 * years; then total liabilities = LiabilitiesAndStockholdersEquity − total equity at that date
 * (noncontrolling interest included), which counts temporary (mezzanine) equity as a liability.
 */
function balanceSheetAt(index: FactsIndex): (end: string) => BalanceSheet {
  const chosen = (spec: (typeof BALANCE_SHEET_CONCEPTS)[keyof typeof BALANCE_SHEET_CONCEPTS]) => chooseByChain(index, spec, (f) => f.start === null);
  const { total_liabilities, stockholders_equity, total_equity, liabilities_and_equity } = BALANCE_SHEET_CONCEPTS;
  const [liabilities, equity, totalEquity, both] = [total_liabilities, stockholders_equity, total_equity, liabilities_and_equity].map(chosen);
  return (end) => {
    const at = (instants: Map<string, { val: number }> | undefined): number | null => instants?.get(`/${end}`)?.val ?? null;
    const [sum, whole] = [at(both), at(totalEquity)];
    return { total_liabilities: at(liabilities) ?? (sum !== null && whole !== null ? sum - whole : null), stockholders_equity: at(equity) };
  };
}

/**
 * The latest value of an instant concept: the latest `end`, then the filing filed last for it.
 * Multi-class issuers that tag one undimensioned fact per class at the same date in the same filing
 * get those summed. Only one filing's facts are summed, so a 10-K/A repeating the 10-K's figure is
 * not counted twice (Apple 2009, Tesla 2021).
 */
function latestInstant(index: FactsIndex, ref: ConceptRef): { value: number; date: string } | null {
  const facts = index.facts(ref, 'shares').filter((f) => f.start === null);
  const date = facts.reduce<string | null>((latest, f) => (latest === null || f.end > latest ? f.end : latest), null);
  const filing = newestFact(facts.filter((f) => f.end === date));
  if (date === null || filing === undefined) return null;
  return { value: facts.filter((f) => f.end === date && f.accn === filing.accn).reduce((sum, f) => sum + f.val, 0), date };
}

/** The diluted weighted average of the latest period (the shortest ending then: the quarter's over the year-to-date's), of the first concept of the chain that has one. */
function latestDilutedAverage(index: FactsIndex): { value: number; date: string } | null {
  // A later end, then a later start (the shorter period), then the later filing.
  const later = (a: Fact, b: Fact): boolean => (a.end !== b.end ? a.end > b.end : a.start !== b.start ? (a.start ?? '') > (b.start ?? '') : filedLater(a, b));
  const chain = conceptChain('shares_diluted');
  for (const ref of chain.concepts) {
    let newest: Fact | undefined;
    for (const fact of index.facts(ref, chain.unit)) if (fact.start !== null && (newest === undefined || later(fact, newest))) newest = fact;
    if (newest !== undefined) return { value: newest.val, date: newest.end };
  }
  return null;
}

/** A figure dated this long before the company's newest report's period is passed over: a cover page the company stopped tagging. */
const STALE_SHARES_DAYS = 365;

/**
 * Shares outstanding: the cover page (dei:EntityCommonStockSharesOutstanding), else the balance
 * sheet (CommonStockSharesOutstanding), else the latest diluted weighted average. companyfacts
 * leaves out dimensioned facts, and multi-class issuers tag their cover per class (Alphabet and
 * Meta have no cover figure at all; Alphabet's balance sheet gives all classes together). A figure
 * more than a year older than the company's newest report's own period is passed over; when every
 * figure is, the newest of them. Each source is read only when those before it fail.
 */
function sharesOutstanding(index: FactsIndex): SharesOutstanding | null {
  const newestReport = Math.max(...[...index.filings().values()].map((filing) => Date.parse(filing.end)));
  const sources = [
    ['cover', () => latestInstant(index, SHARES_OUTSTANDING_CONCEPTS.cover)],
    ['balance_sheet', () => latestInstant(index, SHARES_OUTSTANDING_CONCEPTS.balance_sheet)],
    ['weighted_diluted', () => latestDilutedAverage(index)],
  ] as const;
  const stale: SharesOutstanding[] = [];
  for (const [source, read] of sources) {
    const figure = read();
    if (figure === null || figure.value <= 0) continue;
    // No report with an income statement (-Infinity): nothing to be stale against.
    if (!(newestReport - Date.parse(figure.date) > STALE_SHARES_DAYS * DAY_MS)) return { ...figure, source };
    stale.push({ ...figure, source });
  }
  return stale.reduce<SharesOutstanding | null>((newest, figure) => (newest === null || figure.date > newest.date ? figure : newest), null);
}

const PERIOD_ORDER: Record<PeriodName, number> = { Q1: 1, Q2: 2, Q3: 3, Q4: 4, FY: 5 };

/**
 * Everything kept from a companyfacts body (checked by the COMPANYFACTS kind where it arrived),
 * indexed once and then only queried:
 * - `earnings`: FY and Q1..Q4 rows, oldest first (Q1..Q4 before the FY of the same year).
 *   `fiscal_year` is the company's own label (extract/fiscal-years.ts); quarters take the fiscal
 *   year they fall in; Q4 is derived (FY − Q1..Q3). Balance-sheet columns are the instants at
 *   `period_end`. Per-share values as filed: `eps_diluted_adjusted` and `dividends_per_share` stay
 *   null until the store's pure step (stock-rows.ts) puts them on today's share basis, with these
 *   `splits` and Yahoo's merged in (once, for every way the rows arrive).
 * - `sharesOutstanding`: the latest figure and its source (cover, balance sheet, diluted average).
 * - `splits`: splits inferred from restated per-share values ({@link inferSplitsFromRestatements}).
 * Facts of other forms than periodic reports (8-K, S-1, proxies) are left out; a company without
 * facts gives no rows, no shares and no splits. Throws `SourceError` `malformed` when a fact of a
 * concept it reads breaks the schema (those are checked as they are read).
 */
export function extractCompanyFacts(companyfacts: CompanyFacts): CompanyFactsExtract {
  const index = new FactsIndex(companyfacts);
  const splits = inferSplitsFromRestatements(index);
  const years = annualRows(index, splits);
  const balanceSheet = balanceSheetAt(index);
  const rows = [...years, ...quarterRows(index, years, splits)]
    .map((row) => ({ ...row, ...balanceSheet(row.period_end) }))
    .sort((a, b) => a.fiscal_year - b.fiscal_year || PERIOD_ORDER[a.period] - PERIOD_ORDER[b.period]);
  return { earnings: rows, sharesOutstanding: sharesOutstanding(index), splits };
}
