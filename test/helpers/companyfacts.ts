import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { planStockWrite } from '../../src/extract/stock-rows.js';
import type { CompanyFactsExtract, EarningsRow } from '../../src/extract/types.js';
import { COMPANYFACTS, type CompanyFacts } from '../../src/sources/schemas/companyfacts.js';

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
  const nothing = { sharesOutstanding: null, price: null, earnings: [], splits: [], recentCloses: [], olderCloseRange: { high: null, low: null } };
  const update = { symbol: 'X', cik: null, name: null, exchange: null, fundamentalsRefreshed: true, earnings: extract.earnings, splits: extract.splits };
  return planStockWrite(nothing, update, '2026-11-25T07:00:00Z').earnings ?? [];
}
