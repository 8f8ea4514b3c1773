import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIELDS, measureCoverage, totalsOf, type Coverage } from '../../bench/coverage-measure.js';
import { CLASS_COMPANIES } from '../helpers/class-figures.js';

const fixtures = fileURLToPath(new URL('../fixtures', import.meta.url));
const TSMC = '0001046179';
const ASML = '0000937966';

/** The CIKs of the companyfacts bodies on disk, listed here independently of the bench's own listing. */
function cikFilesOnDisk(): string[] {
  return ['sec', 'sec/classes'].flatMap((dir) => readdirSync(`${fixtures}/${dir}`).flatMap((file) => /^companyfacts_CIK(\d{10})\.json\.gz$/.exec(file)?.[1] ?? []));
}

describe('npm run coverage: the fundamentals over every real companyfacts body', () => {
  let coverage: Coverage;
  beforeAll(() => {
    coverage = measureCoverage(fixtures);
  });

  it('counts every companyfacts body under test/fixtures/sec and sec/classes, once', () => {
    const onDisk = cikFilesOnDisk();
    expect(onDisk.length).toBeGreaterThan(0);
    expect(coverage.totals.companies).toBe(onDisk.length);
    expect(coverage.companies.map((company) => company.cik).sort()).toEqual([...onDisk].sort());
  });

  it('never counts the P/E of a filer reporting in TWD or EUR as covered: NULL with its metrics_note, counted as not computed (currency)', () => {
    for (const [cik, currency] of [
      [TSMC, 'TWD'],
      [ASML, 'EUR'],
    ] as const) {
      const company = coverage.companies.find((candidate) => candidate.cik === cik);
      expect(company).toMatchObject({ reportingCurrency: currency, pe: false, peStatus: 'not computed (currency)' });
      expect(company?.metricsNote).toContain(`reported in ${currency}, quoted in USD`);
    }
    // No company whose figures are in another currency than its price counts a P/E.
    for (const company of coverage.companies) if (company.reportingCurrency !== 'USD') expect(company.pe).toBe(false);
    expect(coverage.totals.peNotComputedCurrency).toBeGreaterThanOrEqual(2);
    expect(coverage.totals.covered.pe + coverage.totals.peNotComputedCurrency).toBeLessThanOrEqual(coverage.totals.companies);
  });

  it("gives totals equal to the per-company rows' counts, and class totals that add up to them", () => {
    for (const field of FIELDS) {
      expect(coverage.totals.covered[field]).toBe(coverage.companies.filter((company) => company[field]).length);
      expect(coverage.byClass.reduce((sum, { totals }) => sum + totals.covered[field], 0)).toBe(coverage.totals.covered[field]);
    }
    expect(coverage.byClass.reduce((sum, { totals }) => sum + totals.companies, 0)).toBe(coverage.totals.companies);
    expect(coverage.totals).toEqual(totalsOf(coverage.companies));
  });

  it('marks exactly the bodies expected-figures.json calls trimmed, so their missing figures are not read as SEC gaps', () => {
    const trimmed = CLASS_COMPANIES.filter((company) => !company.body.complete).map((company) => company.cik);
    expect(trimmed.length).toBeGreaterThan(0);
    expect(
      coverage.companies
        .filter((company) => company.trimmed)
        .map((company) => company.cik)
        .sort(),
    ).toEqual([...trimmed].sort());
  });

  it('names the revenue concept and the shares source of every row that has them, and no P/E without a fiscal year', () => {
    for (const company of coverage.companies) {
      expect(company.revenueConcept !== null).toBe(company.revenue);
      expect(company.sharesSource !== null).toBe(company.shares);
      // A P/E needs a fiscal year behind it.
      if (company.pe) expect(company.fiscalYear).not.toBeNull();
    }
  });
});
