import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { EarningsRow } from '../../src/extract/types.js';
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
