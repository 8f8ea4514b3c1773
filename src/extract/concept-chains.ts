/*
 * The concept chains extraction reads from companyfacts, in order of preference: which XBRL
 * concepts give each column. A concept is chosen per period (facts-index.ts: chooseByChain), so a
 * company that moved between concepts keeps a complete history, and each row can say which concept
 * gave its revenue.
 */

export type Taxonomy = 'us-gaap' | 'ifrs-full' | 'dei';
/**
 * A concept; with `parts`, the sum of those concepts as filed for the same period in the same
 * filing (banks' interest and dividend income plus noninterest income), named `A+B`.
 */
export interface ConceptRef {
  taxonomy: Taxonomy;
  name: string;
  parts?: readonly ConceptRef[];
}
/** `<currency>` for money, `<currency>/shares` for per-share values, `shares` for share counts. */
export type UnitKind = 'money' | 'perShare' | 'shares';

/** Duration columns of an earnings row, read from income and cash-flow statements. */
export type DurationMetric = 'eps_diluted' | 'revenue' | 'net_income' | 'operating_cash_flow' | 'dividends_per_share_as_filed' | 'shares_diluted';

/**
 * How quarters of a metric are completed: `flow` values add up over a year (Q2 from year-to-date
 * differences, Q4 = FY − Q1..Q3); `eps` only gets Q4 as that remainder; `average` (weighted share
 * counts) is never derived.
 */
export type Derivation = 'flow' | 'eps' | 'average';

export interface MetricSpec<K extends string = DurationMetric> {
  key: K;
  unit: UnitKind;
  derive: Derivation;
  /** Preference order, tried for each period separately; ifrs-full after all us-gaap concepts. */
  concepts: readonly ConceptRef[];
}

const refs = (taxonomy: Taxonomy, ...names: string[]): ConceptRef[] => names.map((name) => ({ taxonomy, name }));
const sumOf = (taxonomy: Taxonomy, ...names: string[]): ConceptRef => ({ taxonomy, name: names.join('+'), parts: refs(taxonomy, ...names) });

/** `us-gaap:Revenues`: how a concept is named in rows (`revenue_concept`). */
export const qualifiedName = (ref: ConceptRef): string => `${ref.taxonomy}:${ref.name}`;

/** The duration concept chains, in order of preference. */
export const EARNINGS_CONCEPTS: readonly MetricSpec[] = [
  {
    key: 'revenue',
    unit: 'money',
    derive: 'flow',
    concepts: [
      // Total revenue first: where a period has both, the ASC 606 concept is often only the part
      // from contracts with customers (leases, interest and insurance premiums are outside it).
      ...refs('us-gaap', 'Revenues'),
      // Banks: revenue net of interest expense, else gross interest and dividend income plus
      // noninterest income. Before the 606 concepts, which banks tag for their fee income only.
      ...refs('us-gaap', 'RevenuesNetOfInterestExpense'),
      sumOf('us-gaap', 'InterestAndDividendIncomeOperating', 'NoninterestIncome'),
      // Utilities: total operating revenues, regulated and not (NextEra tags only this after 2013;
      // its 606 concept is the part from contracts with customers, rounded to 100 M).
      ...refs('us-gaap', 'RegulatedAndUnregulatedOperatingRevenue'),
      ...refs(
        'us-gaap',
        'RevenueFromContractWithCustomerExcludingAssessedTax',
        'RevenueFromContractWithCustomerIncludingAssessedTax',
        'SalesRevenueNet',
        'SalesRevenueGoodsNet',
        'SalesRevenueServicesNet',
      ),
      // Celestica's IFRS years after 2017 tag revenue only with the IFRS 15 concept.
      ...refs('ifrs-full', 'Revenue', 'RevenueFromContractsWithCustomers'),
    ],
  },
  {
    key: 'eps_diluted',
    unit: 'perShare',
    derive: 'eps',
    concepts: [...refs('us-gaap', 'EarningsPerShareDiluted', 'EarningsPerShareBasicAndDiluted'), ...refs('ifrs-full', 'DilutedEarningsLossPerShare', 'BasicAndDilutedEarningsLossPerShare')],
  },
  {
    key: 'net_income',
    unit: 'money',
    derive: 'flow',
    concepts: [
      ...refs('us-gaap', 'NetIncomeLoss', 'ProfitLoss', 'NetIncomeLossAvailableToCommonStockholdersBasic'),
      // Owners of the parent first, as NetIncomeLoss before ProfitLoss: the base of EPS.
      ...refs('ifrs-full', 'ProfitLossAttributableToOwnersOfParent', 'ProfitLoss'),
    ],
  },
  {
    key: 'operating_cash_flow',
    unit: 'money',
    derive: 'flow',
    concepts: [
      ...refs('us-gaap', 'NetCashProvidedByUsedInOperatingActivities', 'NetCashProvidedByUsedInOperatingActivitiesContinuingOperations'),
      ...refs('ifrs-full', 'CashFlowsFromUsedInOperatingActivities'),
    ],
  },
  {
    key: 'dividends_per_share_as_filed',
    unit: 'perShare',
    derive: 'flow',
    concepts: [...refs('us-gaap', 'CommonStockDividendsPerShareDeclared', 'CommonStockDividendsPerShareCashPaid'), ...refs('ifrs-full', 'DividendsRecognisedAsDistributionsToOwnersPerShare')],
  },
  {
    key: 'shares_diluted',
    unit: 'shares',
    derive: 'average',
    // IFRS "adjusted" weighted average shares are the diluted count; the plain one is basic.
    concepts: [...refs('us-gaap', 'WeightedAverageNumberOfDilutedSharesOutstanding'), ...refs('ifrs-full', 'AdjustedWeightedAverageShares', 'WeightedAverageShares')],
  },
];

/** The chain of one duration metric. */
export function conceptChain(key: DurationMetric): MetricSpec {
  return EARNINGS_CONCEPTS.find((spec) => spec.key === key) as MetricSpec;
}

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

/** Shares outstanding: the cover page, else the balance sheet (instants); else the diluted weighted average. */
export const SHARES_OUTSTANDING_CONCEPTS = {
  cover: { taxonomy: 'dei', name: 'EntityCommonStockSharesOutstanding' },
  balance_sheet: us('CommonStockSharesOutstanding'),
} as const satisfies Record<string, ConceptRef>;

/**
 * Every concept extraction reads, by taxonomy: the concepts of every chain above, the parts of a
 * sum instead of the sum. The companyfacts reader keeps only these (schemas/companyfacts.ts), and
 * asking a body for another concept is a programming error, so a concept added to a chain is read.
 */
export const READ_CONCEPTS: ReadonlyMap<Taxonomy, ReadonlySet<string>> = conceptsByTaxonomy([
  ...EARNINGS_CONCEPTS.flatMap((spec) => spec.concepts),
  ...Object.values(BALANCE_SHEET_CONCEPTS).flatMap((spec) => spec.concepts),
  ...Object.values(SHARES_OUTSTANDING_CONCEPTS),
]);

function conceptsByTaxonomy(refs: readonly ConceptRef[]): Map<Taxonomy, Set<string>> {
  const byTaxonomy = new Map<Taxonomy, Set<string>>();
  const read = (ref: ConceptRef): ConceptRef[] => (ref.parts === undefined ? [ref] : ref.parts.flatMap(read));
  for (const ref of refs.flatMap(read)) {
    const names = byTaxonomy.get(ref.taxonomy) ?? new Set<string>();
    byTaxonomy.set(ref.taxonomy, names.add(ref.name));
  }
  return byTaxonomy;
}
