import type { EarningsRow, PeriodName } from './types.js';

/*
 * Earnings history from SEC's companyfacts JSON (`/api/xbrl/companyfacts/CIK##########.json`).
 * Pitfalls of the real data this module is built around:
 * - `fy`/`fp` describe the *filing*, not the fact: a 10-K carries two prior years under the same
 *   `fy`. A period is identified by its own `start`/`end` dates instead.
 * - Later filings report the same period again (comparatives, restatements, 10-K/A, split
 *   adjustments): the last-filed value wins.
 * - Companies move between concepts (Apple: SalesRevenueNet until 2018, then
 *   RevenueFromContractWithCustomerExcludingAssessedTax), so a concept is chosen per period.
 * - 10-Qs carry 3-month and year-to-date durations with the same `end`, and no Q4 at all;
 *   some carry trailing-twelve-month figures too (Amazon), so years come from annual reports only.
 */

type MetricKey = 'eps_diluted' | 'revenue' | 'net_income';
type Taxonomy = 'us-gaap' | 'ifrs-full';
type ConceptRef = { taxonomy: Taxonomy; name: string };

interface MetricSpec {
  key: MetricKey;
  /** Per-share values come in `<currency>/shares` units, money in bare `<currency>` units. */
  perShare: boolean;
  /** Preference order, tried for each period separately; ifrs-full after all us-gaap concepts. */
  concepts: readonly ConceptRef[];
}

const refs = (taxonomy: Taxonomy, ...names: string[]): ConceptRef[] => names.map((name) => ({ taxonomy, name }));

/** The concept chains, in order of preference. */
export const EARNINGS_CONCEPTS: readonly MetricSpec[] = [
  {
    key: 'revenue',
    perShare: false,
    concepts: [
      ...refs('us-gaap', 'RevenueFromContractWithCustomerExcludingAssessedTax', 'RevenueFromContractWithCustomerIncludingAssessedTax',
        'Revenues', 'SalesRevenueNet', 'SalesRevenueGoodsNet', 'SalesRevenueServicesNet'),
      // Celestica's IFRS years after 2017 tag revenue only with the IFRS 15 concept.
      ...refs('ifrs-full', 'Revenue', 'RevenueFromContractsWithCustomers'),
    ],
  },
  {
    key: 'eps_diluted',
    perShare: true,
    concepts: [
      ...refs('us-gaap', 'EarningsPerShareDiluted', 'EarningsPerShareBasicAndDiluted'),
      ...refs('ifrs-full', 'DilutedEarningsLossPerShare', 'BasicAndDilutedEarningsLossPerShare'),
    ],
  },
  {
    key: 'net_income',
    perShare: false,
    concepts: [
      ...refs('us-gaap', 'NetIncomeLoss', 'ProfitLoss', 'NetIncomeLossAvailableToCommonStockholdersBasic'),
      // Owners of the parent first, as NetIncomeLoss before ProfitLoss: the base of EPS.
      ...refs('ifrs-full', 'ProfitLossAttributableToOwnersOfParent', 'ProfitLoss'),
    ],
  },
];

/** One readable fact of a concept, in the unit chosen for that concept. */
interface Fact {
  start: string;
  end: string;
  val: number;
  form: string;
  filed: string;
  accn: string;
}

/** A period with the fact chosen for each metric it has. */
interface PeriodFacts {
  start: string;
  end: string;
  values: Partial<Record<MetricKey, Fact>>;
}

/** Annual and quarterly reports; 8-K, S-1, 6-K, DEF 14A (pay-versus-performance) are ignored. */
const PERIODIC_FORMS: ReadonlySet<string> = new Set(['10-K', '10-KT', '20-F', '40-F', '10-Q', '10-QT']);
const ANNUAL_FORMS: ReadonlySet<string> = new Set(['10-K', '10-KT', '20-F', '40-F']);
const baseForm = (form: string): string => form.replace(/\/A$/, '');

const DAY_MS = 86_400_000;

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
function isQuarterPeriod(start: string, end: string): boolean {
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

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asText(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function asDate(value: unknown): string | null {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value)) ? value : null;
}

/** A duration fact from a periodic report, or null when any part of it is unreadable. */
function readFact(raw: unknown): Fact | null {
  const node = asRecord(raw);
  const [start, end, filed] = [asDate(node.start), asDate(node.end), asDate(node.filed)];
  const [form, accn, val] = [asText(node.form), asText(node.accn), node.val];
  if (start === null || end === null || filed === null || form === null || accn === null) return null;
  if (typeof val !== 'number' || !Number.isFinite(val) || !PERIODIC_FORMS.has(baseForm(form))) return null;
  return { start, end, val, form, filed, accn };
}

/**
 * The unit a concept is read in. Foreign filers tag some facts twice, in their own currency and as
 * a USD convenience translation (TSMC: TWD and USD); the unit with the most facts keeps the
 * history in the company's reporting currency. Ties go to USD.
 */
function chooseUnit(units: Record<string, unknown>, perShare: boolean): string | null {
  const pattern = perShare ? /^[A-Z]{3}\/shares$/ : /^[A-Z]{3}$/;
  let [best, bestCount]: [string | null, number] = [null, 0];
  for (const [unit, facts] of Object.entries(units)) {
    if (!pattern.test(unit) || !Array.isArray(facts)) continue;
    const count = facts.filter((fact) => readFact(fact) !== null).length;
    if (count > bestCount || (count > 0 && count === bestCount && unit.startsWith('USD'))) [best, bestCount] = [unit, count];
  }
  return best;
}

/** The readable facts of one concept in its chosen unit; [] when the concept is absent. */
function readConcept(root: Record<string, unknown>, ref: ConceptRef, perShare: boolean): Fact[] {
  const units = asRecord(asRecord(asRecord(root[ref.taxonomy])[ref.name]).units);
  const unit = chooseUnit(units, perShare);
  const facts = unit === null ? [] : units[unit];
  return Array.isArray(facts) ? facts.map(readFact).filter((fact): fact is Fact => fact !== null) : [];
}

/** True when `a` was filed after `b`; the accession number breaks same-day ties. */
function filedLater(a: { filed: string; accn: string }, b: { filed: string; accn: string }): boolean {
  return a.filed !== b.filed ? a.filed > b.filed : a.accn > b.accn;
}

/**
 * Every period `accept` lets through, with the chosen fact per metric: per concept the last-filed
 * value of the period, then per period the first concept of the chain that has one.
 */
function collectPeriods(companyfacts: unknown, accept: (fact: Fact) => boolean): PeriodFacts[] {
  const root = asRecord(asRecord(companyfacts).facts);
  const periods = new Map<string, PeriodFacts>();
  for (const spec of EARNINGS_CONCEPTS) {
    const chosen = new Set<string>();
    for (const ref of spec.concepts) {
      const latest = new Map<string, Fact>();
      for (const fact of readConcept(root, ref, spec.perShare).filter(accept)) {
        const key = `${fact.start}/${fact.end}`;
        const current = latest.get(key);
        if (!chosen.has(key) && (current === undefined || filedLater(fact, current))) latest.set(key, fact);
      }
      for (const [key, fact] of latest) {
        const period = periods.get(key) ?? { start: fact.start, end: fact.end, values: {} };
        period.values[spec.key] = fact;
        periods.set(key, period);
        chosen.add(key);
      }
    }
  }
  return [...periods.values()];
}

/** A row from a period's facts; form/filed/accession come from the newest-filed chosen fact. */
function toRow(period: PeriodFacts, fiscalYear: number, name: PeriodName): EarningsRow {
  const facts = Object.values(period.values);
  const source = facts.reduce<Fact | undefined>((newest, fact) => (newest && !filedLater(fact, newest) ? newest : fact), undefined);
  return {
    fiscal_year: fiscalYear,
    period: name,
    eps_diluted: period.values.eps_diluted?.val ?? null,
    revenue: period.values.revenue?.val ?? null,
    net_income: period.values.net_income?.val ?? null,
    period_start: period.start,
    period_end: period.end,
    form: source?.form ?? null,
    filed: source?.filed ?? null,
    accession_number: source?.accn ?? null,
  };
}

const rowFiling = (row: EarningsRow) => ({ filed: row.filed ?? '', accn: row.accession_number ?? '' });

/** One row per fiscal year and period name: two periods colliding (a re-tagged start date, a
 *  fiscal-year change) keep the one filed last. */
function keepLastFiled(rows: readonly EarningsRow[]): Map<string, EarningsRow> {
  const kept = new Map<string, EarningsRow>();
  for (const row of rows) {
    const key = `${row.fiscal_year}${row.period}`;
    const other = kept.get(key);
    if (other === undefined || filedLater(rowFiling(row), rowFiling(other))) kept.set(key, row);
  }
  return kept;
}

/** Annual rows: 350–380 day periods from annual reports (Amazon's 10-Qs tag trailing-12-month net income). */
function annualRows(companyfacts: unknown): EarningsRow[] {
  const periods = collectPeriods(companyfacts, (f) => ANNUAL_FORMS.has(baseForm(f.form)) && isAnnualPeriod(f.start, f.end));
  return [...keepLastFiled(periods.map((p) => toRow(p, fiscalYearOfEnd(p.end), 'FY'))).values()];
}

/**
 * Q1..Q3 as filed (3-month facts, last filed wins), Q4 as FY minus Q1..Q3: 10-Qs have no Q4, and
 * deriving it keeps the four quarters summing to the year. Quarters are placed by the fiscal year
 * start they follow: an annual period's start, or the day after the last one (the current year).
 */
function quarterRows(companyfacts: unknown, years: readonly EarningsRow[]): EarningsRow[] {
  const starts = new Map<number, number>(); // start time -> fiscal year
  for (const fy of years) {
    starts.set(Date.parse(fy.period_end) + DAY_MS, fy.fiscal_year + 1);
    if (fy.period_start !== null) starts.set(Date.parse(fy.period_start), fy.fiscal_year);
  }
  const rows: EarningsRow[] = [];
  for (const period of collectPeriods(companyfacts, (f) => isQuarterPeriod(f.start, f.end))) {
    const yearStart = Math.max(...[...starts.keys()].filter((start) => start <= Date.parse(period.start)));
    const quarter = Math.round((Date.parse(period.end) - yearStart) / DAY_MS / 91);
    const fiscalYear = starts.get(yearStart);
    if (fiscalYear !== undefined && quarter >= 1 && quarter <= 3) rows.push(toRow(period, fiscalYear, `Q${quarter}` as PeriodName));
  }
  const kept = keepLastFiled(rows);
  for (const fy of years) {
    const [q1, q2, q3] = [1, 2, 3].map((n) => kept.get(`${fy.fiscal_year}Q${n}`));
    if (q1 && q2 && q3) kept.set(`${fy.fiscal_year}Q4`, deriveQ4(fy, [q1, q2, q3]));
  }
  return [...kept.values()];
}

/** Q4 as the remainder of the year, rounded to the precision of its inputs. */
function deriveQ4(fy: EarningsRow, quarters: readonly EarningsRow[]): EarningsRow {
  const all = [fy, ...quarters];
  const remainder = (key: MetricKey): number | null => {
    const values = all.map((row) => row[key]);
    if (values.some((v) => v === null)) return null;
    const [total = 0, ...parts] = values as number[];
    const decimals = Math.max(...values.map((v) => (String(v).split('.')[1] ?? '').length));
    return Number((total - parts.reduce((sum, v) => sum + v, 0)).toFixed(Math.min(decimals, 10)));
  };
  const source = all.reduce((newest, row) => (filedLater(rowFiling(row), rowFiling(newest)) ? row : newest));
  const q3End = quarters.at(-1)?.period_end ?? fy.period_end;
  return {
    ...source,
    fiscal_year: fy.fiscal_year,
    period: 'Q4',
    // Quarters last filed before a split and a year filed after it do not subtract (Tesla 2021).
    eps_diluted: sameShareBasis(fy, quarters) ? remainder('eps_diluted') : null,
    revenue: remainder('revenue'),
    net_income: remainder('net_income'),
    period_start: new Date(Date.parse(q3End) + DAY_MS).toISOString().slice(0, 10),
    period_end: fy.period_end,
  };
}

/**
 * True when each quarter's EPS is its net income at the year's EPS per unit of net income, within
 * half (share counts drift within a year, a split multiplies by 2 or more) plus 0.02 of rounding.
 */
function sameShareBasis(fy: EarningsRow, quarters: readonly EarningsRow[]): boolean {
  if (fy.eps_diluted === null || !fy.net_income) return false;
  const perUnit = fy.eps_diluted / fy.net_income;
  return quarters.every((q) => {
    if (q.eps_diluted === null || q.net_income === null) return false;
    const expected = q.net_income * perUnit;
    return Math.abs(q.eps_diluted - expected) <= 0.5 * Math.abs(expected) + 0.02;
  });
}

const PERIOD_ORDER: Record<PeriodName, number> = { Q1: 1, Q2: 2, Q3: 3, Q4: 4, FY: 5 };

/**
 * Annual (`FY`) rows from a companyfacts body (already JSON.parse'd, typed unknown), oldest first;
 * with `{ quarters: true }` also Q1..Q4 rows. Returns [] when the company has no usable facts.
 * Never throws on odd input (missing facts, missing units, strings where numbers are expected):
 * it skips what it cannot read. `fiscal_year` comes from the period's end ({@link fiscalYearOfEnd}),
 * quarters take the fiscal year they fall in.
 */
export function extractEarningsHistory(companyfacts: unknown, options: { quarters?: boolean } = {}): EarningsRow[] {
  const years = annualRows(companyfacts).sort((a, b) => a.period_end.localeCompare(b.period_end));
  const rows = options.quarters === true ? [...years, ...quarterRows(companyfacts, years)] : years;
  return rows.sort((a, b) => a.fiscal_year - b.fiscal_year || PERIOD_ORDER[a.period] - PERIOD_ORDER[b.period]);
}
