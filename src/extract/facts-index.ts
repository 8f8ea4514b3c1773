import type { CompanyFacts, RawFact } from '../sources/schemas/companyfacts.js';
import { EARNINGS_CONCEPTS, qualifiedName, type ConceptRef, type DurationMetric, type MetricSpec, type UnitKind } from './concept-chains.js';

/*
 * Reading SEC's companyfacts JSON (`/api/xbrl/companyfacts/CIK##########.json`): concept chains,
 * facts, periods. Pitfalls of the real data this is built around:
 * - `fy`/`fp` describe the *filing*, not the fact: a 10-K carries two prior years under the same
 *   `fy`. A period is identified by its own `start`/`end` dates instead.
 * - Later filings report the same period again (comparatives, restatements, 10-K/A, split
 *   adjustments): the last-filed value wins.
 * - Companies move between concepts (Apple: SalesRevenueNet until 2018, then
 *   RevenueFromContractWithCustomerExcludingAssessedTax), so a concept is chosen per period.
 * - A filing mentions old periods outside its statements (a 10-K's remark on revenue three years
 *   back, rounded): a mention never replaces a value its own statements reported.
 */

export { EARNINGS_CONCEPTS, conceptChain, type ConceptRef, type DurationMetric, type MetricSpec, type Taxonomy, type UnitKind } from './concept-chains.js';

/** One readable fact of a concept, in the unit chosen for that concept; `start` is null for instants. */
export interface Fact {
  start: string | null;
  end: string;
  val: number;
  form: string;
  filed: string;
  accn: string;
  /** The concept, qualified (`us-gaap:Revenues`). */
  concept: string;
  /** SEC's unit: `USD`, `TWD/shares`, `shares`. */
  unit: string;
  /** Days from `start` to `end` ({@link durationDays}), null for instants: counted once, asked by every filter of periods. */
  days: number | null;
}

/** A duration fact: its start and length known. */
export type DurationFact = Fact & { start: string; days: number };

/** Annual and quarterly reports; 8-K, S-1, 6-K, DEF 14A (pay-versus-performance) are ignored. */
const PERIODIC_FORMS: ReadonlySet<string> = new Set(['10-K', '10-KT', '20-F', '40-F', '10-Q', '10-QT']);
const ANNUAL_FORMS: ReadonlySet<string> = new Set(['10-K', '10-KT', '20-F', '40-F']);
/** The form an amendment amends (`10-K/A` → `10-K`). */
const baseForm = (form: string): string => (form.endsWith('/A') ? form.slice(0, -2) : form);
export const isAnnualForm = (form: string): boolean => ANNUAL_FORMS.has(baseForm(form));

export const DAY_MS = 86_400_000;

/**
 * `Date.parse(date) / DAY_MS` for a `YYYY-MM-DD` date, without Date.parse: extraction asks for the
 * length of every fact's period, tens of thousands of times per body. Anything else (and a month
 * or day out of range) goes to Date.parse, so the answer is always Date.parse's; a day past the
 * month's end rolls over as Date.parse rolls it (`2021-02-30` is March 2).
 */
export function dayNumber(date: string): number {
  if (date.length === 10 && date[4] === '-' && date[7] === '-') {
    const [year, month, day] = [digitsAt(date, 0, 4), digitsAt(date, 5, 2), digitsAt(date, 8, 2)];
    if (year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= 31) {
      // Days from 1970-01-01 to the first of the month (Howard Hinnant's days_from_civil), then the day.
      const y = month <= 2 ? year - 1 : year;
      const era = Math.floor(y / 400);
      const yearOfEra = y - era * 400;
      const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5);
      return era * 146_097 + yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear - 719_468 + day - 1;
    }
  }
  return Date.parse(date) / DAY_MS;
}

/** The number written by `count` decimal digits from `from`; -1 when one is no digit. */
function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i += 1) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Days from `start` to `end`; SEC's `start` is the first day, so Apple's FY2024 lasts 363. */
export function durationDays(start: string, end: string): number {
  return Math.round(dayNumber(end) - dayNumber(start));
}

/** 52/53-week years (363 or 370 days) as well as calendar years; nothing shorter or longer. */
export function isAnnualPeriod(start: string, end: string): boolean {
  return isAnnualLength(durationDays(start, end));
}

export const isAnnualLength = (days: number): boolean => days >= 350 && days <= 380;

/** 13- and 14-week quarters as well as calendar quarters. */
export function isQuarterPeriod(start: string, end: string): boolean {
  return isQuarterLength(durationDays(start, end));
}

export const isQuarterLength = (days: number): boolean => days >= 80 && days <= 100;

/**
 * The fiscal year a period ending on `end` belongs to: the calendar year of `end`, except that a
 * 52/53-week year ending in the first 7 days of January is named after the previous year.
 */
export function fiscalYearOfEnd(end: string): number {
  const year = Number(end.slice(0, 4));
  return end.slice(5, 7) === '01' && Number(end.slice(8, 10)) <= 7 ? year - 1 : year;
}

/**
 * What the facts read tell of one filing: the end of its own (current) period, the latest `end`
 * among its duration facts that ended before it was filed (NVIDIA's 10-Qs carry the next
 * quarter's declared dividend), and the fiscal year it reports on, as filed (`fy`).
 */
export interface Filing {
  end: string;
  fy: number | null;
  form: string;
  filed: string;
}

/**
 * A period ending this many days or more before its filing's own period is a mention, not a
 * statement: three years of income statements reach back 2 years (≤ 742 days, 53-week years) plus
 * the quarters of the oldest year (≤ ~1,020); the year before that ends ~1,092 days back.
 */
const MENTION_DAYS = 1050;

const UNIT_PATTERNS: Record<UnitKind, RegExp> = { money: /^[A-Z]{3}$/, perShare: /^[A-Z]{3}\/shares$/, shares: /^shares$/ };

/**
 * A companyfacts body indexed for extraction, as edgartools' entity facts: built once per body, and
 * queried by concept and unit kind. Each concept is read once, in its chosen unit, whatever asks;
 * reading a concept also notes each filing's own period ({@link Filing}).
 */
export class FactsIndex {
  private readonly read = new Map<string, readonly Fact[]>();
  private readonly filingsSeen = new Map<string, Filing>();
  private mentionCutoffs: Map<string, string> | undefined;

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
      facts = ref.parts === undefined ? this.readConcept(ref, kind) : this.sumParts(ref, ref.parts, kind);
      this.read.set(key, facts);
    }
    return facts;
  }

  private readConcept(ref: ConceptRef, kind: UnitKind): Fact[] {
    let chosen: { unit: string; raw: RawFact[] } | undefined;
    for (const unit of this.body.units(ref.taxonomy, ref.name)) {
      if (!UNIT_PATTERNS[kind].test(unit)) continue;
      const periodic = this.body.facts(ref.taxonomy, ref.name, unit).filter((raw) => PERIODIC_FORMS.has(baseForm(raw.form)));
      const most = chosen?.raw.length ?? 0;
      if (periodic.length > most || (periodic.length > 0 && periodic.length === most && unit.startsWith('USD'))) chosen = { unit, raw: periodic };
    }
    if (chosen === undefined) return [];
    const [concept, unit] = [qualifiedName(ref), chosen.unit];
    return chosen.raw.map((raw) => {
      if (raw.start !== undefined && raw.end <= raw.filed) this.noteFiling(raw);
      const days = raw.start === undefined ? null : durationDays(raw.start, raw.end);
      return { start: raw.start ?? null, end: raw.end, val: raw.val, form: raw.form, filed: raw.filed, accn: raw.accn, concept, unit, days };
    });
  }

  /** A sum concept: per filing and period, the parts' values added, when every part has one in the same unit. */
  private sumParts(ref: ConceptRef, parts: readonly ConceptRef[], kind: UnitKind): Fact[] {
    const keyOf = (fact: Fact) => `${fact.accn} ${fact.start ?? ''} ${fact.end} ${fact.unit}`;
    const [first = [], ...rest] = parts.map((part) => this.facts(part, kind));
    const others = rest.map((facts) => new Map(facts.map((fact) => [keyOf(fact), fact])));
    const concept = qualifiedName(ref);
    return first.flatMap((fact) => {
      const matched = others.map((byKey) => byKey.get(keyOf(fact)));
      return matched.every((other) => other !== undefined) ? [{ ...fact, concept, val: matched.reduce((sum, other) => sum + other.val, fact.val) }] : [];
    });
  }

  private noteFiling(raw: RawFact): void {
    const seen = this.filingsSeen.get(raw.accn);
    if (seen === undefined) this.filingsSeen.set(raw.accn, { end: raw.end, fy: raw.fy ?? null, form: raw.form, filed: raw.filed });
    else if (raw.end > seen.end) seen.end = raw.end;
  }

  /** Every filing with duration facts in the earnings concepts, by accession (all of them read first). */
  filings(): ReadonlyMap<string, Filing> {
    for (const spec of EARNINGS_CONCEPTS) for (const ref of spec.concepts) this.facts(ref, spec.unit);
    return this.filingsSeen;
  }

  /**
   * True when a duration fact is a mention ({@link MENTION_DAYS}): its period ended three years or
   * more before its filing's own period.
   */
  isMention(fact: Fact): boolean {
    if (fact.start === null) return false;
    this.mentionCutoffs ??= new Map([...this.filings()].map(([accn, filing]) => [accn, new Date(Date.parse(filing.end) - MENTION_DAYS * DAY_MS).toISOString().slice(0, 10)]));
    const cutoff = this.mentionCutoffs.get(fact.accn);
    return cutoff !== undefined && fact.end <= cutoff;
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
export function collectPeriods(index: FactsIndex, accept: (fact: DurationFact) => boolean): PeriodFacts[] {
  const periods = new Map<string, PeriodFacts>();
  for (const spec of EARNINGS_CONCEPTS) {
    for (const [key, fact] of chooseByChain(index, spec, (f) => f.start !== null && accept(f as DurationFact))) {
      const period = periods.get(key) ?? { start: fact.start ?? '', end: fact.end, values: {} };
      period.values[spec.key] = fact;
      periods.set(key, period);
    }
  }
  return [...periods.values()];
}

/**
 * Per period key (`start/end`, or `/end` for instants): the last-filed fact of the first concept of
 * the chain that has one. Mentions ({@link FactsIndex.isMention}) count only for periods that no
 * concept of the chain has a reported value for.
 */
export function chooseByChain(index: FactsIndex, spec: Pick<MetricSpec<string>, 'unit' | 'concepts'>, accept: (fact: Fact) => boolean): Map<string, Fact> {
  const chosen = new Map<string, Fact>();
  const mentioned = new Map<string, Fact>();
  for (const ref of spec.concepts) {
    const latest = new Map<string, Fact>();
    const latestMention = new Map<string, Fact>();
    for (const fact of index.facts(ref, spec.unit)) {
      // The filter first: most facts fail it (a quarter where years are collected), and need no key.
      if (!accept(fact)) continue;
      const key = `${fact.start ?? ''}/${fact.end}`;
      if (chosen.has(key)) continue;
      const into = index.isMention(fact) ? latestMention : latest;
      const current = into.get(key);
      if (current === undefined || filedLater(fact, current)) into.set(key, fact);
    }
    for (const [key, fact] of latest) chosen.set(key, fact);
    for (const [key, fact] of latestMention) if (!mentioned.has(key)) mentioned.set(key, fact);
  }
  for (const [key, fact] of mentioned) if (!chosen.has(key)) chosen.set(key, fact);
  return chosen;
}
