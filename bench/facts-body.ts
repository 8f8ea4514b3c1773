import { hashOf } from './facts-words.js';

/**
 * The pieces of a generated companyfacts body: a company's filings (a 10-K and three 10-Qs a
 * year, December year end), and the facts one concept reports in each filing the way real
 * statements do: a 10-K repeats two prior years of a duration and the prior year end of an
 * instant, a 10-Q the same quarter (and year to date) of the prior year. Every value is a function
 * of its concept and period, so a period repeated by a later filing repeats its value, and a year
 * is the sum of its quarters: what the extraction reads back is what was meant (the test holds it).
 */

export interface Filing {
  accn: string;
  form: '10-K' | '10-Q';
  fy: number;
  /** 1–3 for the 10-Qs, 4 for the 10-K. */
  quarter: 1 | 2 | 3 | 4;
  filed: string;
}

/** How a concept is reported. */
export interface ConceptPlan {
  name: string;
  unit: string;
  instant: boolean;
  /** In the 10-Qs too, not only the 10-K. */
  quarterly: boolean;
  /** Prior periods repeated (statements); else the current period only (most notes). */
  comparatives: boolean;
  firstYear: number;
  lastYear: number;
  /** The value of one quarter (durations; a year sums four) or at a quarter's end (instants). */
  quarterValue: (year: number, quarter: number) => number;
  /** Values are summed over a duration (money, counts) rather than taken as a rate (per share, pure, averages). */
  additive: boolean;
  /** Digits kept after the decimal point. */
  decimals: number;
}

export interface Fact {
  start?: string;
  end: string;
  val: number;
  accn: string;
  fy: number;
  fp: string;
  form: string;
  filed: string;
  frame?: string;
}

const QUARTER_END = ['', '03-31', '06-30', '09-30', '12-31'] as const;
const QUARTER_START = ['', '01-01', '04-01', '07-01', '10-01'] as const;

const endOf = (year: number, quarter: number): string => `${year}-${QUARTER_END[quarter] as string}`;
const startOf = (year: number, quarter: number): string => `${year}-${QUARTER_START[quarter] as string}`;

/** A day `days` after an ISO date. */
export function daysAfter(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The filings of fiscal years `firstYear`..`lastYear`, then the 10-Qs of the year after up to `openQuarters`. */
export function filingsOf(cik: number, firstYear: number, lastYear: number, openQuarters: number, random: () => number): Filing[] {
  const agent = random() < 0.4 ? String(cik).padStart(10, '0') : (['0001628280', '0001193125', '0000950170', '0001558370'][Math.floor(random() * 4)] as string);
  const filings: Filing[] = [];
  for (let year = firstYear; year <= lastYear + 1; year += 1) {
    for (let quarter = 1 as Filing['quarter']; quarter <= 4; quarter = (quarter + 1) as Filing['quarter']) {
      if (year > lastYear && quarter > openQuarters) break;
      const filed = daysAfter(endOf(year, quarter), (quarter === 4 ? 28 : 25) + Math.floor(random() * 20));
      const accn = `${agent}-${filed.slice(2, 4)}-${String(Math.floor(random() * 999_999) + 1).padStart(6, '0')}`;
      filings.push({ accn, form: quarter === 4 ? '10-K' : '10-Q', fy: year, quarter, filed });
    }
  }
  return filings;
}

/** The periods one filing reports for a concept: [start year, start quarter, end year, end quarter] or an instant's [year, quarter]. */
function periodsIn(plan: ConceptPlan, filing: Filing): [number, number, number, number][] {
  const { fy: year, quarter } = filing;
  const years = plan.comparatives ? (filing.form === '10-K' && !plan.instant ? [year, year - 1, year - 2] : [year, year - 1]) : [year];
  if (plan.instant) {
    // A 10-Q's balance sheet sits beside the last year end, a 10-K's beside the year end before.
    return years.map((y, index) => (index === 0 ? [y, quarter, y, quarter] : [year - 1, 4, year - 1, 4]));
  }
  // A 10-K's statements of a quarterly concept give the fourth quarter too.
  if (filing.form === '10-K')
    return [...years.map((y): [number, number, number, number] => [y, 1, y, 4]), ...(plan.comparatives && plan.quarterly ? [[year, 4, year, 4] as [number, number, number, number]] : [])];
  const periods: [number, number, number, number][] = [];
  for (const y of years) {
    // Notes without comparatives give the year to date (cash flows); statements the quarter and the year to date.
    if (plan.comparatives || quarter === 1) periods.push([y, quarter, y, quarter]);
    if (quarter > 1) periods.push([y, 1, y, quarter]);
  }
  return periods;
}

/** A concept's value over a period: the sum of its quarters, or their mean for a rate. */
export function valueOf(plan: ConceptPlan, [startYear, startQuarter, endYear, endQuarter]: [number, number, number, number]): number {
  if (plan.instant) return round(plan.quarterValue(endYear, endQuarter), plan.decimals);
  let total = 0;
  let count = 0;
  for (let y = startYear, q = startQuarter; y < endYear || (y === endYear && q <= endQuarter); q === 4 ? ((y += 1), (q = 1)) : (q += 1)) {
    total += plan.quarterValue(y, q);
    count += 1;
  }
  return round(plan.additive ? total : total / count, plan.decimals);
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

/**
 * The facts of one concept over the company's filings, as SEC lists them: filing order, each
 * period's last-filed fact carrying its calendar frame (CY2024, CY2024Q3, CY2024Q3I); year-to-date
 * periods of two or three quarters have none.
 */
export function factsOf(plan: ConceptPlan, filings: Filing[]): Fact[] {
  const facts: Fact[] = [];
  const lastOfPeriod = new Map<string, Fact>();
  for (const filing of filings) {
    if (filing.fy < plan.firstYear || filing.fy > plan.lastYear || (!plan.quarterly && filing.form === '10-Q')) continue;
    for (const period of periodsIn(plan, filing)) {
      const [startYear, startQuarter, endYear, endQuarter] = period;
      const end = endOf(endYear, endQuarter);
      const fact: Fact = plan.instant
        ? { end, val: 0, accn: '', fy: 0, fp: '', form: '', filed: '' }
        : { start: startOf(startYear, startQuarter), end, val: 0, accn: '', fy: 0, fp: '', form: '', filed: '' };
      Object.assign(fact, { val: valueOf(plan, period), accn: filing.accn, fy: filing.fy, fp: filing.quarter === 4 ? 'FY' : `Q${filing.quarter}`, form: filing.form, filed: filing.filed });
      facts.push(fact);
      const quarters = (endYear - startYear) * 4 + endQuarter - startQuarter + 1;
      if (plan.instant) lastOfPeriod.set(`CY${endYear}Q${endQuarter}I`, fact);
      else if (quarters === 4 && startQuarter === 1) lastOfPeriod.set(`CY${endYear}`, fact);
      else if (quarters === 1) lastOfPeriod.set(`CY${endYear}Q${endQuarter}`, fact);
    }
  }
  for (const [frame, fact] of lastOfPeriod) fact.frame = frame;
  // SEC lists a concept's facts by period (end, then start), then filing date: a period's repeats sit together.
  return facts.sort((a, b) => (a.end !== b.end ? (a.end < b.end ? -1 : 1) : a.start !== b.start ? ((a.start ?? '') < (b.start ?? '') ? -1 : 1) : a.filed < b.filed ? -1 : a.filed > b.filed ? 1 : 0));
}

/** A quarter's value: a base growing a few percent a year, with a period's own deviation (the same every time it is reported). */
export function growingValue(name: string, base: number, growthPerYear: number, spread: number, fromYear: number, step: number): (year: number, quarter: number) => number {
  // Money as filed: in the company's unit (thousands or millions) for large amounts, whole units else; rates and per-share values stay as they are.
  const unit = Math.abs(base) >= step * 10 ? step : Math.abs(base) >= 100 ? 1 : 0;
  return (year, quarter) => {
    const deviation = (hashOf(`${name}/${year}/${quarter}`) / 4294967296 - 0.5) * spread;
    const value = base * (1 + growthPerYear) ** (year - fromYear + quarter / 4) * (1 + deviation);
    return unit === 0 ? value : Math.round(value / unit) * unit;
  };
}
