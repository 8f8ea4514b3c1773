import type { CompanyFacts, RawFact } from '../sources/schemas/companyfacts.js';

/*
 * Reading SEC's companyfacts JSON (`/api/xbrl/companyfacts/CIK##########.json`): concept chains,
 * facts, periods. Pitfalls of the real data this is built around:
 * - `fy`/`fp` describe the *filing*, not the fact: a 10-K carries two prior years under the same
 *   `fy`. A period is identified by its own `start`/`end` dates instead.
 * - Later filings report the same period again (comparatives, restatements, 10-K/A, split
 *   adjustments): the last-filed value wins.
 * - Companies move between concepts (Apple: SalesRevenueNet until 2018, then
 *   RevenueFromContractWithCustomerExcludingAssessedTax), so a concept is chosen per period.
 */

export type Taxonomy = 'us-gaap' | 'ifrs-full' | 'dei';
export interface ConceptRef {
  taxonomy: Taxonomy;
  name: string;
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

/** The duration concept chains, in order of preference. */
export const EARNINGS_CONCEPTS: readonly MetricSpec[] = [
  {
    key: 'revenue',
    unit: 'money',
    derive: 'flow',
    concepts: [
      ...refs(
        'us-gaap',
        'RevenueFromContractWithCustomerExcludingAssessedTax',
        'RevenueFromContractWithCustomerIncludingAssessedTax',
        'Revenues',
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

/** One readable fact of a concept, in the unit chosen for that concept; `start` is null for instants. */
export interface Fact {
  start: string | null;
  end: string;
  val: number;
  form: string;
  filed: string;
  accn: string;
}

/** Annual and quarterly reports; 8-K, S-1, 6-K, DEF 14A (pay-versus-performance) are ignored. */
const PERIODIC_FORMS: ReadonlySet<string> = new Set(['10-K', '10-KT', '20-F', '40-F', '10-Q', '10-QT']);
const ANNUAL_FORMS: ReadonlySet<string> = new Set(['10-K', '10-KT', '20-F', '40-F']);
export const isAnnualForm = (form: string): boolean => ANNUAL_FORMS.has(form.replace(/\/A$/, ''));

export const DAY_MS = 86_400_000;

/** Days from `start` to `end`; SEC's `start` is the first day, so Apple's FY2024 lasts 363. */
export function durationDays(start: string, end: string): number {
  return Math.round((Date.parse(end) - Date.parse(start)) / DAY_MS);
}

/** 52/53-week years (363 or 370 days) as well as calendar years; nothing shorter or longer. */
export function isAnnualPeriod(start: string, end: string): boolean {
  const days = durationDays(start, end);
  return days >= 350 && days <= 380;
}

/** 13- and 14-week quarters as well as calendar quarters. */
export function isQuarterPeriod(start: string, end: string): boolean {
  const days = durationDays(start, end);
  return days >= 80 && days <= 100;
}

/**
 * The fiscal year a period ending on `end` belongs to: the calendar year of `end`, except that a
 * 52/53-week year ending in the first 7 days of January is named after the previous year.
 */
export function fiscalYearOfEnd(end: string): number {
  const year = Number(end.slice(0, 4));
  return end.slice(5, 7) === '01' && Number(end.slice(8, 10)) <= 7 ? year - 1 : year;
}

/** A fact of a periodic report, in the shape extraction uses (`start` null for instants). */
function toFact(raw: RawFact): Fact {
  return { start: raw.start ?? null, end: raw.end, val: raw.val, form: raw.form, filed: raw.filed, accn: raw.accn };
}

const UNIT_PATTERNS: Record<UnitKind, RegExp> = { money: /^[A-Z]{3}$/, perShare: /^[A-Z]{3}\/shares$/, shares: /^shares$/ };

/**
 * A companyfacts body indexed for extraction, as edgartools' entity facts: built once per body, and
 * queried by concept and unit kind. Each concept is read once, in its chosen unit, whatever asks.
 */
export class FactsIndex {
  private readonly read = new Map<string, readonly Fact[]>();

  constructor(private readonly body: CompanyFacts) {}

  /**
   * The facts of periodic reports of a concept in its chosen unit; [] when the concept is absent.
   * Foreign filers tag some facts twice, in their own currency and as a USD convenience
   * translation (TSMC: TWD and USD); the unit with the most facts keeps the history in the
   * company's reporting currency. Ties go to USD.
   */
  facts(ref: ConceptRef, kind: UnitKind): readonly Fact[] {
    const key = `${ref.taxonomy}:${ref.name}:${kind}`;
    let facts = this.read.get(key);
    if (facts === undefined) {
      facts = [];
      for (const unit of this.body.units(ref.taxonomy, ref.name)) {
        if (!UNIT_PATTERNS[kind].test(unit)) continue;
        const periodic = this.body.facts(ref.taxonomy, ref.name, unit).filter((raw) => PERIODIC_FORMS.has(raw.form.replace(/\/A$/, '')));
        if (periodic.length > facts.length || (periodic.length > 0 && periodic.length === facts.length && unit.startsWith('USD'))) facts = periodic.map(toFact);
      }
      this.read.set(key, facts);
    }
    return facts;
  }
}

/** True when `a` was filed after `b`; the accession number breaks same-day ties. */
export function filedLater(a: { filed: string; accn: string }, b: { filed: string; accn: string }): boolean {
  return a.filed !== b.filed ? a.filed > b.filed : a.accn > b.accn;
}

/** The newest-filed of some facts. */
export function newestFact<F extends { filed: string; accn: string }>(facts: readonly F[]): F | undefined {
  return facts.reduce<F | undefined>((newest, fact) => (newest && !filedLater(fact, newest) ? newest : fact), undefined);
}

/** A period with the fact chosen for each metric it has. */
export interface PeriodFacts<K extends string = DurationMetric> {
  start: string;
  end: string;
  values: Partial<Record<K, Fact>>;
}

/**
 * Every duration period `accept` lets through, with the chosen fact per metric: per concept the
 * last-filed value of the period, then per period the first concept of the chain that has one.
 */
export function collectPeriods(index: FactsIndex, accept: (fact: Fact & { start: string }) => boolean): PeriodFacts[] {
  const periods = new Map<string, PeriodFacts>();
  for (const spec of EARNINGS_CONCEPTS) {
    for (const [key, fact] of chooseByChain(index, spec, (f) => f.start !== null && accept(f as Fact & { start: string }))) {
      const period = periods.get(key) ?? { start: fact.start ?? '', end: fact.end, values: {} };
      period.values[spec.key] = fact;
      periods.set(key, period);
    }
  }
  return [...periods.values()];
}

/** Per period key (`start/end`, or `/end` for instants): the last-filed fact of the first concept of the chain that has one. */
export function chooseByChain(index: FactsIndex, spec: Pick<MetricSpec<string>, 'unit' | 'concepts'>, accept: (fact: Fact) => boolean): Map<string, Fact> {
  const chosen = new Map<string, Fact>();
  for (const ref of spec.concepts) {
    const latest = new Map<string, Fact>();
    for (const fact of index.facts(ref, spec.unit).filter(accept)) {
      const key = `${fact.start ?? ''}/${fact.end}`;
      const current = latest.get(key);
      if (!chosen.has(key) && (current === undefined || filedLater(fact, current))) latest.set(key, fact);
    }
    for (const [key, fact] of latest) chosen.set(key, fact);
  }
  return chosen;
}
