import type { EarningsRow, PeriodName, SplitEvent } from './types.js';
import {
  DAY_MS,
  EARNINGS_CONCEPTS,
  chooseByChain,
  collectPeriods,
  conceptChain,
  filedLater,
  isAnnualForm,
  isAnnualLength,
  isQuarterLength,
  newestFact,
  type DurationMetric,
  type Fact,
  type FactsIndex,
  type PeriodFacts,
} from './facts-index.js';
import { qualifiedName } from './concept-chains.js';
import { fiscalYearLabeler } from './fiscal-years.js';
import { onSameShareBasis, rebase } from './split-adjust.js';

/*
 * FY and Q1..Q4 rows of the duration metrics (income and cash-flow statements, per-share values).
 * 10-Qs carry 3-month and year-to-date durations with the same `end`, and no Q4 at all; some carry
 * trailing-twelve-month figures too (Amazon), so years come from annual reports only.
 */

/**
 * A row from a period's duration facts; balance-sheet and split-adjusted columns are filled later.
 * The row's filing is the one its diluted EPS was last filed in (else its dividends, else the
 * newest fact): `filed` must tell the share basis of the per-share values, and revenue or net
 * income are often re-reported after a split in a filing that left EPS alone (Tesla Q1 2019:
 * EPS −4.10 last filed 2020-04-30, revenue 2021-02-08). Dividends filed on the other side of a
 * known split from the EPS are converted to the EPS's basis (Apple Q1 FY2019: 0.73 → 0.1825).
 */
export function periodRow(period: PeriodFacts, fiscalYear: number, name: PeriodName, splits: readonly SplitEvent[]): EarningsRow {
  const { eps_diluted: eps, dividends_per_share_as_filed: dividends } = period.values;
  const source = eps ?? dividends ?? newestFact(Object.values<Fact | undefined>(period.values).filter((fact) => fact !== undefined));
  const value = (key: DurationMetric): number | null => period.values[key]?.val ?? null;
  return {
    fiscal_year: fiscalYear,
    period: name,
    eps_diluted: value('eps_diluted'),
    eps_diluted_adjusted: null,
    revenue: value('revenue'),
    revenue_concept: period.values.revenue?.concept ?? null,
    net_income: value('net_income'),
    operating_cash_flow: value('operating_cash_flow'),
    dividends_per_share_as_filed: dividends && source ? rebase(dividends.val, dividends.filed, source.filed, splits) : null,
    dividends_per_share: null,
    shares_diluted: value('shares_diluted'),
    total_liabilities: null,
    stockholders_equity: null,
    reporting_currency: reportingCurrency(period),
    period_start: period.start,
    period_end: period.end,
    form: source?.form ?? null,
    filed: source?.filed ?? null,
    accession_number: source?.accn ?? null,
  };
}

/** The money and per-share values of a row, the per-share value (what P/E is computed from) first. */
const CURRENCY_SOURCES: readonly DurationMetric[] = ['eps_diluted', 'net_income', 'revenue', 'operating_cash_flow', 'dividends_per_share_as_filed'];

/** The currency of a period's values: the ISO code their unit starts with (`TWD` of `TWD/shares`). */
function reportingCurrency(period: PeriodFacts): string | null {
  const fact = CURRENCY_SOURCES.map((key) => period.values[key]).find((value) => value !== undefined);
  return fact?.unit.slice(0, 3) ?? null;
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

/**
 * Annual rows: 350–380 day periods from annual reports (Amazon's 10-Qs tag trailing-12-month net
 * income), labelled with the company's own fiscal years ({@link fiscalYearLabeler}).
 */
export function annualRows(index: FactsIndex, splits: readonly SplitEvent[]): EarningsRow[] {
  const periods = collectPeriods(index, (f) => isAnnualForm(f.form) && isAnnualLength(f.days));
  const label = fiscalYearLabeler(index);
  return [...keepLastFiled(periods.map((p) => periodRow(p, label(p.end), 'FY', splits))).values()];
}

/** Quarter `n` (1..3) of a fiscal year, keyed `${fiscalYear}Q${n}`, last filed wins. */
type PlacedPeriods = Map<string, PeriodFacts>;

/**
 * Places periods in the fiscal year whose start they follow (an annual period's start, or the day
 * after the last one: the year in progress); `n` counts the quarters from that start to the end.
 */
function placePeriods(periods: readonly PeriodFacts[], years: readonly EarningsRow[], fromYearStart: boolean): PlacedPeriods {
  const starts = new Map<number, number>(); // start time -> fiscal year
  for (const fy of years) {
    starts.set(Date.parse(fy.period_end) + DAY_MS, fy.fiscal_year + 1);
    if (fy.period_start !== null) starts.set(Date.parse(fy.period_start), fy.fiscal_year);
  }
  const placed: PlacedPeriods = new Map();
  const newest = (p: PeriodFacts) => newestFact(Object.values<Fact | undefined>(p.values).filter((f) => f !== undefined)) ?? { filed: '', accn: '' };
  for (const period of periods) {
    const yearStart = Math.max(...[...starts.keys()].filter((start) => start <= Date.parse(period.start)));
    // Year-to-date facts start on the first day of the fiscal year (a few days' slack for re-tagging).
    if (fromYearStart && Date.parse(period.start) - yearStart > 7 * DAY_MS) continue;
    const n = Math.round((Date.parse(period.end) - yearStart) / DAY_MS / 91);
    const fiscalYear = starts.get(yearStart);
    const key = `${String(fiscalYear)}Q${n}`;
    const other = placed.get(key);
    if (fiscalYear !== undefined && n >= 1 && n <= 3 && (other === undefined || filedLater(newest(period), newest(other)))) placed.set(key, period);
  }
  return placed;
}

/** `total` minus `parts`, rounded to the precision of its inputs (no 0.30000000000000004). */
function subtract(total: number, parts: readonly number[]): number {
  const decimals = Math.max(...[total, ...parts].map((v) => (String(v).split('.')[1] ?? '').length));
  return Number((total - parts.reduce((sum, v) => sum + v, 0)).toFixed(Math.min(decimals, 10)));
}

/**
 * Fills a quarter's missing flow values from year-to-date differences: cash flow is usually
 * reported only year-to-date in 10-Qs (Apple), so Q2 = 6M − Q1 and Q3 = 9M − 6M, in one currency
 * (revenue: of one concept). Per-share differences are taken only when both facts are on the same
 * share basis.
 */
function fillFromYearToDate(quarters: PlacedPeriods, yearToDate: PlacedPeriods, splits: readonly SplitEvent[]): void {
  for (const [key, quarter] of quarters) {
    const [fiscalYear, n] = [key.slice(0, -2), Number(key.slice(-1))];
    const upTo = yearToDate.get(key);
    const before = n === 2 ? quarters.get(`${fiscalYear}Q1`) : yearToDate.get(`${fiscalYear}Q2`);
    if (n === 1 || upTo === undefined || before === undefined) continue;
    for (const spec of EARNINGS_CONCEPTS) {
      const [total, part] = [upTo.values[spec.key], before.values[spec.key]];
      if (spec.derive !== 'flow' || quarter.values[spec.key] !== undefined || total === undefined || part === undefined) continue;
      // Total revenue less revenue from contracts with customers is no figure at all; the other
      // chains hold variants of one figure (operating cash flow with or without "continuing").
      if (total.unit !== part.unit || (spec.key === 'revenue' && total.concept !== part.concept)) continue;
      if (spec.unit === 'perShare' && !onSameShareBasis([total.filed, part.filed], splits)) continue;
      const source = filedLater(total, part) ? total : part;
      quarter.values[spec.key] = { ...source, start: quarter.start, end: quarter.end, val: subtract(total.val, [part.val]) };
    }
  }
}

/**
 * Q1..Q3 as filed (3-month facts, last filed wins, flow values completed from year-to-date
 * differences), Q4 as FY minus Q1..Q3: 10-Qs have no Q4, and deriving it keeps the four quarters
 * summing to the year. `splits` keep per-share values of different share bases apart.
 */
export function quarterRows(index: FactsIndex, years: readonly EarningsRow[], splits: readonly SplitEvent[]): EarningsRow[] {
  const quarters = placePeriods(
    collectPeriods(index, (f) => isQuarterLength(f.days)),
    years,
    false,
  );
  const yearToDate = placePeriods(
    collectPeriods(index, (f) => f.days >= 150 && f.days <= 300),
    years,
    true,
  );
  fillFromYearToDate(quarters, yearToDate, splits);
  const rows = [...quarters].map(([key, period]) => periodRow(period, Number(key.slice(0, -2)), key.slice(-2) as PeriodName, splits));
  const kept = keepLastFiled(rows);
  let byConcept: RevenueByConcept | undefined;
  const revenues = () => (byConcept ??= revenueByConcept(index));
  for (const fy of years) {
    const [q1, q2, q3] = [1, 2, 3].map((n) => kept.get(`${fy.fiscal_year}Q${n}`));
    if (q1 && q2 && q3) kept.set(`${fy.fiscal_year}Q4`, deriveQ4(fy, [q1, q2, q3], yearToDate.get(`${fy.fiscal_year}Q3`), splits, revenues));
  }
  return [...kept.values()];
}

/** Per revenue concept, its reported value of each period (`start/end`). */
type RevenueByConcept = ReadonlyMap<string, ReadonlyMap<string, Fact>>;

function revenueByConcept(index: FactsIndex): RevenueByConcept {
  const chain = conceptChain('revenue');
  return new Map(chain.concepts.map((ref) => [qualifiedName(ref), chooseByChain(index, { unit: chain.unit, concepts: [ref] }, (f) => f.start !== null)]));
}

/**
 * Q4 revenue of one concept: the first concept of the chain that reported the year and Q1..Q3 (or
 * the nine months) in the year's currency. Companies tag a quarter `Revenues` in one filing and
 * the ASC 606 concept in the next (Alphabet), and restate a year without its quarters (Microsoft's
 * fiscal 2016 under ASC 606: 91,154 against quarters of the old 85,320 as SalesRevenueNet).
 */
function q4Revenue(fy: EarningsRow, quarters: readonly EarningsRow[], nineMonths: PeriodFacts | undefined, byConcept: () => RevenueByConcept): { value: number; concept: string } | null {
  // Mostly the rows agree already; the facts of each concept are looked at only when they do not.
  const parts = quarters.map((q) => (q.revenue_concept === fy.revenue_concept ? q.revenue : null));
  if (fy.revenue !== null && fy.revenue_concept !== null && parts.every((part) => part !== null)) return { value: subtract(fy.revenue, parts), concept: fy.revenue_concept };
  const keyOf = (start: string | null, end: string) => `${start ?? ''}/${end}`;
  for (const [concept, values] of byConcept()) {
    const total = values.get(keyOf(fy.period_start, fy.period_end));
    if (total?.unit !== fy.reporting_currency) continue;
    const parts = quarters.map((q) => values.get(keyOf(q.period_start, q.period_end))).filter((part) => part?.unit === total.unit);
    if (parts.length === quarters.length)
      return {
        value: subtract(
          total.val,
          parts.map((part) => part?.val ?? 0),
        ),
        concept,
      };
    const nine = nineMonths && values.get(keyOf(nineMonths.start, nineMonths.end));
    if (nine?.unit === total.unit) return { value: subtract(total.val, [nine.val]), concept };
  }
  return null;
}

/**
 * Q4 as the remainder of the year: FY − (Q1+Q2+Q3), which is FY − 9M year-to-date when the
 * quarters came from year-to-date differences; FY − 9M directly when a quarter lacks the value.
 * Only values of one currency subtract, and revenue only of one concept ({@link q4Revenue}).
 * Weighted-average share counts do not subtract: Q4 `shares_diluted` stays null.
 */
function deriveQ4(fy: EarningsRow, quarters: readonly EarningsRow[], nineMonths: PeriodFacts | undefined, splits: readonly SplitEvent[], byConcept: () => RevenueByConcept): EarningsRow {
  const filedDates = [fy, ...quarters].map((row) => row.filed);
  const oneCurrency = quarters.every((q) => q.reporting_currency === fy.reporting_currency);
  const remainder = (key: DurationMetric): number | null => {
    const [total, parts] = [fy[key], quarters.map((q) => q[key])];
    if (total === null || !oneCurrency) return null;
    if (parts.every((v) => v !== null)) return subtract(total, parts);
    const nine = nineMonths?.values[key];
    return nine === undefined || key === 'eps_diluted' || nine.unit.slice(0, 3) !== fy.reporting_currency ? null : subtract(total, [nine.val]);
  };
  const perShare = (key: DurationMetric): number | null => {
    const nine = nineMonths?.values[key]?.filed ?? null;
    return onSameShareBasis([...filedDates, nine], splits) ? remainder(key) : null;
  };
  const source = [fy, ...quarters].reduce((newest, row) => (filedLater(rowFiling(row), rowFiling(newest)) ? row : newest));
  const revenue = oneCurrency ? q4Revenue(fy, quarters, nineMonths, byConcept) : null;
  const q3End = quarters.at(-1)?.period_end ?? fy.period_end;
  return {
    ...source,
    fiscal_year: fy.fiscal_year,
    period: 'Q4',
    // Quarters last filed before a split and a year filed after it do not subtract (Tesla 2021).
    eps_diluted: sameShareBasis(fy, quarters) ? perShare('eps_diluted') : null,
    eps_diluted_adjusted: null,
    revenue: revenue?.value ?? null,
    revenue_concept: revenue?.concept ?? null,
    net_income: remainder('net_income'),
    operating_cash_flow: remainder('operating_cash_flow'),
    dividends_per_share_as_filed: perShare('dividends_per_share_as_filed'),
    dividends_per_share: null,
    shares_diluted: null,
    total_liabilities: null,
    stockholders_equity: null,
    reporting_currency: fy.reporting_currency,
    period_start: new Date(Date.parse(q3End) + DAY_MS).toISOString().slice(0, 10),
    period_end: fy.period_end,
  };
}

/**
 * True when each quarter's EPS is its net income at the year's EPS per unit of net income, within
 * half (share counts drift within a year, a split multiplies by 2 or more) plus 0.02 of rounding.
 * Catches splits that no restatement in the data reveals.
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
