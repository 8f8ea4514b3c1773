import { z } from 'zod';
import { READ_CONCEPTS } from '../../extract/concept-chains.js';
import { parseJsonBody } from '../http.js';
import { readJsonSelected, type JsonSelection } from '../json-select.js';
import { assertShape, type ResponseKind } from '../response-kind.js';

/*
 * SEC's companyfacts (`/api/xbrl/companyfacts/CIK##########.json`, and each entry of the bulk
 * companyfacts.zip). A body is 1–4 MB with tens of thousands of facts in several hundred concepts,
 * of which extraction reads the few it has chains for (READ_CONCEPTS, 40 or so). So a body is read
 * selectively (json-select.ts): the whole text is checked as JSON, but only those concepts are
 * built, each once, and the rest is skipped. What is kept is checked where the bytes arrive
 * (taxonomies, concepts, units, each unit an array) without walking the facts, and the facts of a
 * unit are checked against FACT the first time extraction reads them: a broken fact in a concept
 * that is read fails the body as `malformed` all the same, naming its path, and the facts nobody
 * reads cost nothing.
 */

const NAME = 'companyfacts';

const isoDate = z.iso.date({ error: 'expected a YYYY-MM-DD date' });
const text = z.string().min(1, { error: 'expected a non-empty string' });

/** One fact as SEC files it. Only what extraction reads is declared; `fp` and `frame` pass unread. */
export const FACT = z.object({
  /** Absent for instants (balance-sheet values, shares outstanding). */
  start: isoDate.optional(),
  end: isoDate,
  val: z.number(),
  accn: text,
  form: text,
  filed: isoDate,
  /**
   * The fiscal year the *filing* reports on (its DocumentFiscalYearFocus), not the fact's; null or
   * absent on some. Not checked for a whole number here (a zod check per fact costs more than the
   * one place that uses it: extract/fiscal-years.ts).
   */
  fy: z.number().nullish(),
});
const FACTS = z.array(FACT);

/** A fact as filed: start/end of its period, value, and the filing it came from. */
export type RawFact = z.output<typeof FACT>;

/** The facts of a unit, left for FACTS until they are read. */
const UNREAD_FACTS = z.custom<unknown[]>((value) => Array.isArray(value), { error: 'expected array' });

const CONCEPT = z.looseObject({
  label: z.string().nullish(),
  description: z.string().nullish(),
  /** By unit: `USD`, `USD/shares`, `shares`, `TWD`, … */
  units: z.record(z.string(), UNREAD_FACTS),
});

const STRUCTURE = z.looseObject({
  // A number in most bodies, a zero-padded string in some (IREN, CIK 1878848).
  cik: z.union([z.number(), z.string()], { error: 'expected number or string' }).optional(),
  entityName: z.string().optional(),
  /** By taxonomy (`us-gaap`, `ifrs-full`, `dei`, …), then by concept name. */
  facts: z.record(z.string(), z.record(z.string(), CONCEPT)),
});

type Structure = z.output<typeof STRUCTURE>;

/**
 * A companyfacts body whose structure is checked, by taxonomy, concept and unit. Its facts are
 * checked unit by unit on first read and kept, so a unit is checked once however often it is read.
 */
export class CompanyFacts {
  private readonly checked = new Map<string, readonly RawFact[]>();

  constructor(private readonly body: Structure) {}

  /** The units a concept is tagged in; none when the company never tagged it. */
  units(taxonomy: string, concept: string): string[] {
    assertRead(taxonomy, concept);
    const node = own(this.body.facts, taxonomy);
    return Object.keys(node === undefined ? {} : (own(node, concept)?.units ?? {}));
  }

  /**
   * The facts of one unit of a concept ([] when absent). Throws `SourceError` `malformed` naming the
   * first fact field that breaks FACT (`facts.us-gaap.Revenues.units.USD.3.val: expected number, …`).
   */
  facts(taxonomy: string, concept: string, unit: string): readonly RawFact[] {
    const key = `${taxonomy}\u0000${concept}\u0000${unit}`;
    let facts = this.checked.get(key);
    if (facts === undefined) {
      assertRead(taxonomy, concept);
      const node = own(this.body.facts, taxonomy);
      const units = node === undefined ? undefined : own(node, concept)?.units;
      const raw = units === undefined ? [] : (own(units, unit) ?? []);
      // The parsed facts themselves (with `fp`, `frame` unread), not a checked copy of each. zod
      // (which builds that copy) checks only a unit the quick check does not pass, and decides.
      facts = raw.every(isPlainFact) ? (raw as RawFact[]) : assertShape(NAME, FACTS, raw, ['facts', taxonomy, concept, 'units', unit]);
      this.checked.set(key, facts);
    }
    return facts;
  }
}

/**
 * FACT, checked without zod: true only for what FACT passes (each date as z.iso.date reads it,
 * numbers finite), so a fact it refuses goes to zod, which names the field or lets it pass.
 */
function isPlainFact(fact: unknown): boolean {
  if (typeof fact !== 'object' || fact === null || Array.isArray(fact)) return false;
  const { start, end, val, accn, form, filed, fy } = fact as Record<string, unknown>;
  return (
    (start === undefined || isIsoDate(start)) &&
    isIsoDate(end) &&
    Number.isFinite(val) &&
    typeof accn === 'string' &&
    accn !== '' &&
    typeof form === 'string' &&
    form !== '' &&
    isIsoDate(filed) &&
    (fy === undefined || fy === null || Number.isFinite(fy))
  );
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** A real `YYYY-MM-DD` day of the Gregorian calendar, as z.iso.date's pattern has it. */
function isIsoDate(value: unknown): boolean {
  if (typeof value !== 'string' || value.length !== 10 || value[4] !== '-' || value[7] !== '-') return false;
  const [year, month, day] = [digitsOf(value, 0, 4), digitsOf(value, 5, 7), digitsOf(value, 8, 10)];
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number));
}

/** The number the decimal digits of `text` from `from` to `to` write; -1 when one is no digit. */
function digitsOf(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i += 1) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** A key of the body's own: names from the network never reach Object.prototype (`constructor`, `__proto__`). */
function own<V>(record: Record<string, V>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * Only READ_CONCEPTS are kept of a body: asking for another one is a bug (a concept read outside
 * the chains of concept-chains.ts), never a concept the company did not tag.
 */
function assertRead(taxonomy: string, concept: string): void {
  if (READ_CONCEPTS.get(taxonomy as never)?.has(concept) !== true) throw new Error(`companyfacts: ${taxonomy}:${concept} is not among the concepts read (READ_CONCEPTS, concept-chains.ts)`);
}

/** What the reader keeps of a body: `cik`, `entityName`, and in `facts` the concepts extraction reads. */
const SELECTION: JsonSelection = (() => {
  const byTaxonomy = new Map<string, JsonSelection>([...READ_CONCEPTS].map(([taxonomy, names]) => [taxonomy, (concept: string) => (names.has(concept) ? true : undefined)]));
  const facts: JsonSelection = (taxonomy) => byTaxonomy.get(taxonomy);
  return (key) => (key === 'facts' ? facts : key === 'cik' || key === 'entityName' ? true : undefined);
})();

/**
 * companyfacts, per company and in the bulk archive: the selected parts of the body, checked and
 * kept as parsed (no zod copy). Text the reader does not read (no JSON) is parsed whole, which fails
 * as `invalid_json` as before, or, should the reader refuse JSON that JSON.parse takes, checks the
 * whole body.
 */
export const COMPANYFACTS: ResponseKind<CompanyFacts> = {
  name: NAME,
  decode(bytes, source) {
    const selected = readJsonSelected(bytes, SELECTION);
    const body = selected === undefined ? parseJsonBody(bytes, source) : selected;
    return new CompanyFacts(assertShape(NAME, STRUCTURE, body));
  },
};
