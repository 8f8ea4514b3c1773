import type { CompanyFactsExtract, EarningsRow, PeriodName } from './types.js';
import type { CompanyFacts } from '../sources/schemas/companyfacts.js';
import { FactsIndex, chooseByChain, newestFact, type ConceptRef, type UnitKind } from './facts-index.js';
import { annualRows, quarterRows } from './earnings-periods.js';
import { inferSplitsFromRestatements } from './split-adjust.js';

/*
 * Everything batch-refresh keeps from SEC's companyfacts JSON: FY and quarterly earnings rows,
 * balance-sheet values at each period end, cover-page shares outstanding, and splits inferred from
 * restated per-share values. The reading rules (periods by start/end, last filed wins, concept
 * chains per period) live in facts-index.ts; quarters in earnings-periods.ts; splits in split-adjust.ts.
 */

export { EARNINGS_CONCEPTS, FactsIndex, durationDays, fiscalYearOfEnd, isAnnualPeriod } from './facts-index.js';

const us = (name: string): ConceptRef => ({ taxonomy: 'us-gaap', name });
const ifrs = (name: string): ConceptRef => ({ taxonomy: 'ifrs-full', name });
const money = (...concepts: ConceptRef[]) => ({ unit: 'money' as UnitKind, concepts });

/** Balance-sheet chains (instants), in order of preference. */
export const BALANCE_SHEET_CONCEPTS = {
  total_liabilities: money(us('Liabilities'), ifrs('Liabilities')),
  stockholders_equity: money(us('StockholdersEquity'), us('StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest'), ifrs('EquityAttributableToOwnersOfParent'), ifrs('Equity')),
  // For the liabilities fallback: total equity, the noncontrolling interest included (it is no liability).
  total_equity: money(us('StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest'), us('StockholdersEquity'), ifrs('Equity'), ifrs('EquityAttributableToOwnersOfParent')),
  liabilities_and_equity: money(us('LiabilitiesAndStockholdersEquity'), ifrs('EquityAndLiabilities')),
} as const;

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
 * The latest cover-page dei:EntityCommonStockSharesOutstanding: the latest `end`, then the filing
 * filed last for it. Multi-class issuers (Alphabet) tag one fact per class at the same date in the
 * same filing: those are summed. Only one filing's facts are summed, so a 10-K/A repeating the
 * 10-K's figure is not counted twice (Apple 2009, Tesla 2021).
 */
function latestSharesOutstanding(index: FactsIndex): CompanyFactsExtract['sharesOutstanding'] {
  const facts = index.facts({ taxonomy: 'dei', name: 'EntityCommonStockSharesOutstanding' }, 'shares').filter((f) => f.start === null);
  const date = facts.reduce<string | null>((latest, f) => (latest === null || f.end > latest ? f.end : latest), null);
  const filing = newestFact(facts.filter((f) => f.end === date));
  if (date === null || filing === undefined) return null;
  return { value: facts.filter((f) => f.end === date && f.accn === filing.accn).reduce((sum, f) => sum + f.val, 0), date };
}

const PERIOD_ORDER: Record<PeriodName, number> = { Q1: 1, Q2: 2, Q3: 3, Q4: 4, FY: 5 };

/**
 * Everything kept from a companyfacts body (checked by the COMPANYFACTS kind where it arrived),
 * indexed once and then only queried:
 * - `earnings`: FY and Q1..Q4 rows, oldest first (Q1..Q4 before the FY of the same year).
 *   `fiscal_year` comes from the period's end ({@link fiscalYearOfEnd}); quarters take the fiscal
 *   year they fall in; Q4 is derived (FY − Q1..Q3). Balance-sheet columns are the instants at
 *   `period_end`. Per-share values as filed: `eps_diluted_adjusted` and `dividends_per_share` stay
 *   null until the store's pure step (stock-rows.ts) puts them on today's share basis, with these
 *   `splits` and Yahoo's merged in (once, for every way the rows arrive).
 * - `sharesOutstanding`: the latest cover-page figure, all classes summed.
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
  return { earnings: rows, sharesOutstanding: latestSharesOutstanding(index), splits };
}
