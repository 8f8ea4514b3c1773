import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { planStockWrite } from '../../src/extract/stock-rows.js';
import type { CompanyFactsExtract, EarningsRow } from '../../src/extract/types.js';
import { COMPANYFACTS, type CompanyFacts } from '../../src/sources/schemas/companyfacts.js';
import { decodeJson } from './bodies.js';

/** The bytes of a real companyfacts body from test/fixtures/sec (gunzipped; the file is SEC's JSON, unchanged). */
export function factsBytes(cik: string): Buffer {
  return gunzipSync(readFileSync(new URL(`../fixtures/sec/companyfacts_CIK${cik}.json.gz`, import.meta.url)));
}

/** A real companyfacts body, decoded as it arrives (COMPANYFACTS). */
export function loadFacts(cik: string): CompanyFacts {
  return COMPANYFACTS.decode(factsBytes(cik), `companyfacts_CIK${cik}.json`);
}

/** The rows of one period name by fiscal year. */
export function byYear(rows: readonly EarningsRow[], period: EarningsRow['period'] = 'FY'): Map<number, EarningsRow> {
  return new Map(rows.filter((row) => row.period === period).map((row) => [row.fiscal_year, row]));
}

/** The row of a fiscal year, failing the test when there is none. */
export function row(rows: Map<number, EarningsRow>, fiscalYear: number): EarningsRow {
  const found = rows.get(fiscalYear);
  if (found === undefined) throw new Error(`no row for fiscal year ${fiscalYear}`);
  return found;
}

/** The earnings rows of an extract as the store writes them on a first store: per-share values on the basis of its splits (stock-rows.ts). */
export function asStored(extract: CompanyFactsExtract): EarningsRow[] {
  const nothing = { sharesOutstanding: null, price: null, currency: null, earnings: [], splits: [], recentCloses: [], olderCloseRange: { high: null, low: null } };
  const update = { symbol: 'X', cik: null, name: null, exchange: null, fundamentalsRefreshed: true, earnings: extract.earnings, splits: extract.splits };
  return planStockWrite(nothing, update, '2026-11-25T07:00:00Z').earnings ?? [];
}

/** Concept → unit → facts, per taxonomy: the `facts` of a companyfacts body. */
export type HandMadeFacts = Partial<Record<'us-gaap' | 'ifrs-full' | 'dei', Record<string, Record<string, unknown[]>>>>;

/**
 * A HAND-MADE companyfacts body, for a shape no real body at hand shows (each test says so), in
 * SEC's format and decoded as it arrives (COMPANYFACTS).
 */
export function handMadeFacts(facts: HandMadeFacts): CompanyFacts {
  const taxonomies = Object.fromEntries(Object.entries(facts).map(([taxonomy, concepts]) => [taxonomy, Object.fromEntries(Object.entries(concepts).map(([name, units]) => [name, { units }]))]));
  return decodeJson(COMPANYFACTS, { cik: 9_000_015, entityName: 'Hand-made Co.', facts: taxonomies });
}

/** A fact as SEC files it: by default FY 2023 of a calendar-year company in its 10-K filed 2024-02-01. */
export function handMadeFact(over: Record<string, unknown>): Record<string, unknown> {
  return { start: '2023-01-01', end: '2023-12-31', val: 100, accn: '0009000015-24-000001', fy: 2023, fp: 'FY', form: '10-K', filed: '2024-02-01', ...over };
}
