import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync, gunzipSync } from 'node:zlib';

/**
 * The shape of companyfacts bodies: size, compression, concepts, units, facts per concept, forms,
 * frames, label and description lengths, years of filings. Measured on the real bodies in
 * test/fixtures/sec (the parameters of the bench's generator, bench/market-facts.ts, come from
 * here) and on generated ones (test/bench/market-facts.test.ts holds them to the same ranges).
 */

/** What one body looks like. Shares are of facts unless named otherwise. */
export interface FactsShape {
  cik: string;
  /** Compact JSON, as SEC serves it. */
  kb: number;
  /** Compact bytes ÷ raw deflate (level 6, as the zip writers use) bytes. */
  compression: number;
  concepts: number;
  /** Concepts per taxonomy. */
  taxonomies: Record<string, number>;
  facts: number;
  factsPerConcept: { mean: number; median: number; p90: number; max: number };
  /** Distinct accession numbers, and the fiscal years (`fy`) of the 10-K/10-Q/20-F/40-F filings. */
  filings: number;
  years: number;
  /** Distinct filings a concept appears in, ÷ the body's filings (mean over concepts). */
  conceptFilingShare: number;
  /** Facts per (concept, filing) it appears in: the comparatives a filing repeats. */
  factsPerFiling: number;
  instantShare: number;
  frameShare: number;
  /** Concepts with facts from a quarterly report (10-Q, 6-K) among those of a company that files them. */
  quarterlyConceptShare: number | null;
  forms: Record<string, number>;
  /** Concepts per unit name, and the share of concepts with more than one unit. */
  units: Record<string, number>;
  multiUnitShare: number;
  labelChars: number;
  descriptionChars: number;
  bytesPerFact: number;
  deiFacts: number;
}

interface RawFact {
  start?: string;
  end: string;
  accn: string;
  fy?: number | null;
  form: string;
  frame?: string;
}
interface RawConcept {
  label?: string | null;
  description?: string | null;
  units: Record<string, RawFact[]>;
}
interface RawBody {
  cik: string | number;
  facts: Record<string, Record<string, RawConcept>>;
}

const ANNUAL_OR_QUARTERLY = /^(10-K|10-Q|20-F|40-F)$/;

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
const mean = (values: number[]): number => (values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length);

/** The counts behind a body's shape, concept by concept. */
function tally(body: RawBody) {
  const perConcept: number[] = [];
  const filingShares: number[] = [];
  const perFiling: number[] = [];
  const taxonomies: Record<string, number> = {};
  const forms: Record<string, number> = {};
  const units: Record<string, number> = {};
  const accessions = new Set<string>();
  const years = new Set<number>();
  const labels: number[] = [];
  const descriptions: number[] = [];
  const counts = { facts: 0, instants: 0, frames: 0, multiUnit: 0, quarterly: 0, deiFacts: 0 };
  const conceptFilings: Set<string>[] = [];
  for (const [taxonomy, concepts] of Object.entries(body.facts)) {
    taxonomies[taxonomy] = Object.keys(concepts).length;
    for (const concept of Object.values(concepts)) {
      labels.push(concept.label?.length ?? 0);
      descriptions.push(concept.description?.length ?? 0);
      if (Object.keys(concept.units).length > 1) counts.multiUnit += 1;
      const inConcept = Object.values(concept.units).flat();
      const filings = new Set<string>();
      for (const unit of Object.keys(concept.units)) units[unit] = (units[unit] ?? 0) + 1;
      for (const fact of inConcept) {
        filings.add(fact.accn);
        accessions.add(fact.accn);
        forms[fact.form] = (forms[fact.form] ?? 0) + 1;
        if (fact.start === undefined) counts.instants += 1;
        if (fact.frame !== undefined) counts.frames += 1;
        if (ANNUAL_OR_QUARTERLY.test(fact.form) && typeof fact.fy === 'number') years.add(fact.fy);
      }
      if (inConcept.some((fact) => /^(10-Q|6-K)/.test(fact.form))) counts.quarterly += 1;
      if (taxonomy === 'dei') counts.deiFacts += inConcept.length;
      counts.facts += inConcept.length;
      perConcept.push(inConcept.length);
      perFiling.push(inConcept.length / Math.max(1, filings.size));
      conceptFilings.push(filings);
    }
  }
  for (const filings of conceptFilings) filingShares.push(filings.size / Math.max(1, accessions.size));
  return { perConcept, filingShares, perFiling, taxonomies, forms, units, accessions, years, labels, descriptions, counts };
}

/** The shape of one body, from its JSON text (compact or not). */
export function measureShape(text: string): FactsShape {
  const body = JSON.parse(text) as RawBody;
  const compact = Buffer.from(JSON.stringify(body));
  const { perConcept, filingShares, perFiling, taxonomies, forms, units, accessions, years, labels, descriptions, counts } = tally(body);
  const { facts, instants, frames, multiUnit, quarterly, deiFacts } = counts;
  const sorted = [...perConcept].sort((a, b) => a - b);
  const filesQuarterly = Object.keys(forms).some((form) => /^(10-Q|6-K)/.test(form));
  return {
    cik: String(body.cik).padStart(10, '0'),
    kb: round(compact.length / 1024, 0),
    compression: round(compact.length / deflateRawSync(compact).length, 1),
    concepts: perConcept.length,
    taxonomies,
    facts,
    factsPerConcept: { mean: round(facts / perConcept.length, 1), median: sorted[Math.floor(sorted.length / 2)] ?? 0, p90: sorted[Math.floor(sorted.length * 0.9)] ?? 0, max: sorted.at(-1) ?? 0 },
    filings: accessions.size,
    years: years.size,
    conceptFilingShare: round(mean(filingShares)),
    factsPerFiling: round(mean(perFiling)),
    instantShare: round(instants / facts),
    frameShare: round(frames / facts),
    quarterlyConceptShare: filesQuarterly ? round(quarterly / perConcept.length) : null,
    forms: Object.fromEntries(Object.entries(forms).map(([form, count]) => [form, round(count / facts, 3)])),
    units,
    multiUnitShare: round(multiUnit / perConcept.length, 3),
    labelChars: round(mean(labels), 0),
    descriptionChars: round(mean(descriptions), 0),
    bytesPerFact: round(compact.length / facts, 0),
    deiFacts,
  };
}

/**
 * Bodies cut down by the repository they came from (test/fixtures/PROVENANCE.md: only two fiscal
 * years, no `dei`, no descriptions): their sizes and spans say nothing about a real body's.
 */
export const TRIMMED_CIKS = new Set(['0000019617', '0000104169']);

/** Every real companyfacts body under `fixturesDir`/sec and sec/classes, with whether it is whole. */
export function measureFixtures(fixturesDir: string): { shape: FactsShape; trimmed: boolean }[] {
  return ['sec', 'sec/classes'].flatMap((dir) =>
    readdirSync(path.join(fixturesDir, dir))
      .filter((file) => /^companyfacts_CIK\d{10}\.json\.gz$/.test(file))
      .map((file) => {
        const shape = measureShape(gunzipSync(readFileSync(path.join(fixturesDir, dir, file))).toString('utf8'));
        return { shape, trimmed: TRIMMED_CIKS.has(shape.cik) };
      }),
  );
}
