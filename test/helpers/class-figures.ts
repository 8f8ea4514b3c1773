import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { COMPANYFACTS, type CompanyFacts } from '../../src/sources/schemas/companyfacts.js';

/*
 * The table of expected figures for classes of companies (test/fixtures/sec/classes/expected-figures.json):
 * per company, the real companyfacts body it comes with and the figures its own annual report states,
 * each with the accession it was filed under and where it was read. See test/fixtures/PROVENANCE.md.
 */

/** A passage of a stored filing document, with the number it states and the scale of its table. */
export interface Quote {
  text: string;
  /** The number as printed (`"1,037,589"`); null when the figure is the sum of `parts`. */
  number: string | null;
  /** What one printed unit is worth: 1000 for tables "in thousands", 1 for per-share amounts and share counts. */
  scale: number;
  /** The stored document it was read in: `repository @ commit : path`. */
  document: string;
}

export interface ExpectedFigure {
  /** Unique within the company: `revenue`, `net_income`, `eps_diluted`, `shares_outstanding`, … */
  id: string;
  metric: 'revenue' | 'net_sales' | 'net_income' | 'eps_diluted' | 'shares_outstanding' | 'shares_outstanding_balance_sheet';
  value: number;
  /** The unit of the fact: `USD`, `TWD`, `USD/shares`, `shares`. */
  unit: string;
  /** Duration figures: the fiscal period and the company's own label of its year. */
  period?: 'FY' | 'Q1' | 'Q2' | 'Q3' | 'Q4';
  fiscalYear?: number;
  start?: string;
  end?: string;
  /** Instants (share counts): the date of the count. */
  date?: string;
  /** `taxonomy:Name` of the fact filed for it; null when companyfacts has none (cover counts per class). */
  concept: string | null;
  accession: string;
  /** Where the figure is stated, in words. */
  source: string;
  quote?: Quote;
  /** Per-class counts summing to `value` (multi-class cover pages). */
  parts?: { label: string; value: number }[];
}

export interface ClassCompany {
  cik: string;
  name: string;
  class: string;
  classNote: string;
  /** The body, relative to test/fixtures/sec. */
  fixture: string;
  body: { repository: string; commit: string; path: string; complete: boolean; note: string };
  annualReport: { form: string; accession: string; filed: string; document?: string };
  /** The company's own name of its latest fiscal year, and the year's dates. */
  fiscalYear: { label: number; start: string; end: string; source: string };
  currency: string;
  ads: { sharesPerAds: number; quote: Quote } | null;
  figures: ExpectedFigure[];
}

const SEC_FIXTURES = new URL('../fixtures/sec/', import.meta.url);

/** Every company of the table, in its order. */
export const CLASS_COMPANIES: readonly ClassCompany[] = (JSON.parse(readFileSync(new URL('classes/expected-figures.json', SEC_FIXTURES), 'utf8')) as { companies: ClassCompany[] }).companies;

/** The company of the table with this CIK, failing the test when there is none. */
export function classCompany(cik: string): ClassCompany {
  const company = CLASS_COMPANIES.find((candidate) => candidate.cik === cik);
  if (company === undefined) throw new Error(`no company ${cik} in expected-figures.json`);
  return company;
}

/** One expected figure of a company, failing the test when there is none. */
export function expectedFigure(company: ClassCompany, id: string): ExpectedFigure {
  const figure = company.figures.find((candidate) => candidate.id === id);
  if (figure === undefined) throw new Error(`no figure ${id} for ${company.name}`);
  return figure;
}

/** The company's companyfacts body, decoded as it arrives (COMPANYFACTS). */
export function loadClassFacts(company: ClassCompany): CompanyFacts {
  return COMPANYFACTS.decode(gunzipSync(readFileSync(new URL(company.fixture, SEC_FIXTURES))), company.fixture);
}

export interface RawBodyJson {
  cik?: number | string;
  facts: Record<string, Record<string, { units: Record<string, RawFactJson[]> }>>;
}

const bodies = new Map<string, RawBodyJson>();

/** The body as plain JSON (read once per file), to look facts up by accession without going through extraction. */
export function readClassBody(company: ClassCompany): RawBodyJson {
  let body = bodies.get(company.fixture);
  if (body === undefined) {
    body = JSON.parse(gunzipSync(readFileSync(new URL(company.fixture, SEC_FIXTURES))).toString('utf8')) as RawBodyJson;
    bodies.set(company.fixture, body);
  }
  return body;
}

export interface RawFactJson {
  start?: string;
  end: string;
  val: number;
  accn: string;
  fy?: number | null;
  fp?: string | null;
  form: string;
  filed: string;
}
