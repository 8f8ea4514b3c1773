import { describe, expect, it } from 'vitest';
import { extractCompanyFacts } from '../../src/extract/companyfacts.js';
import { classCompany, loadClassFacts } from '../helpers/class-figures.js';
import { byYear, handMadeFact, handMadeFacts, loadFacts, row } from '../helpers/companyfacts.js';

/*
 * Issue 15, point 3: `fiscal_year` is the company's own label, from the `fy` of its annual
 * reports. The January retailers below are HAND-MADE bodies (of Target's kind two trimmed real
 * bodies, Sportsman's Warehouse's and Target's own, are at hand: see 'real bodies'), dated as the companies' 10-Ks date
 * their years: Walmart's year ending 2025-01-31 is its fiscal 2025, Target's ending 2025-02-01 and
 * Home Depot's ending 2025-02-02 are their fiscal 2024.
 */

const usd = (...facts: Record<string, unknown>[]) => ({ USD: facts });

/** 45 days after `date`: when the report on a period ending then is filed. */
const filedAfter = (date: string) => new Date(Date.parse(date) + 45 * 86_400_000).toISOString().slice(0, 10);

/** A body of annual and quarterly revenue: [start, end, fy of the filing, form, accession]. */
function retailer(periods: readonly [string, string, number, string, string][]) {
  const facts = periods.map(([start, end, fy, form, accn], i) => handMadeFact({ start, end, fy, form, accn, fp: form === '10-K' ? 'FY' : 'Q1', filed: filedAfter(end), val: 1000 + i }));
  return extractCompanyFacts(handMadeFacts({ 'us-gaap': { Revenues: usd(...facts) } })).earnings;
}

describe("the company's own fiscal-year labels (hand-made January retailers)", () => {
  it('Target: the year ending 2025-02-01 is fiscal 2024, its quarters and the next year follow', () => {
    const rows = retailer([
      ['2023-01-29', '2024-02-03', 2023, '10-K', '0009000015-24-000010'],
      ['2024-02-04', '2025-02-01', 2024, '10-K', '0009000015-25-000010'],
      ['2024-02-04', '2024-05-04', 2024, '10-Q', '0009000015-24-000020'],
      ['2024-05-05', '2024-08-03', 2024, '10-Q', '0009000015-24-000030'],
      ['2024-08-04', '2024-11-02', 2024, '10-Q', '0009000015-24-000040'],
      ['2025-02-02', '2025-05-03', 2025, '10-Q', '0009000015-25-000020'],
    ]);
    expect(rows.map((r) => [r.fiscal_year, r.period, r.period_end])).toEqual([
      [2023, 'FY', '2024-02-03'],
      [2024, 'Q1', '2024-05-04'],
      [2024, 'Q2', '2024-08-03'],
      [2024, 'Q3', '2024-11-02'],
      [2024, 'Q4', '2025-02-01'],
      [2024, 'FY', '2025-02-01'],
      [2025, 'Q1', '2025-05-03'],
    ]);
  });

  it('Home Depot: the 53-week year ending 2025-02-02 is fiscal 2024', () => {
    const rows = retailer([
      ['2023-01-30', '2024-01-28', 2023, '10-K', '0009000015-24-000010'],
      ['2024-01-29', '2025-02-02', 2024, '10-K', '0009000015-25-000010'],
    ]);
    expect(rows.map((r) => [r.fiscal_year, r.period_end])).toEqual([
      [2023, '2024-01-28'],
      [2024, '2025-02-02'],
    ]);
  });

  it('Walmart: the year ending 2025-01-31 is fiscal 2025', () => {
    const rows = retailer([
      ['2023-02-01', '2024-01-31', 2024, '10-K', '0009000015-24-000010'],
      ['2024-02-01', '2025-01-31', 2025, '10-K', '0009000015-25-000010'],
    ]);
    expect(rows.map((r) => [r.fiscal_year, r.period_end])).toEqual([
      [2024, '2024-01-31'],
      [2025, '2025-01-31'],
    ]);
  });

  it('falls back to the end date when no report has a believable fy', () => {
    // fy more than a year from the end date, or none at all: the end-date rule.
    const rows = retailer([
      ['2023-02-04', '2024-02-03', 2019, '10-K', '0009000015-24-000010'],
      ['2024-02-04', '2025-02-01', 2031, '10-K', '0009000015-25-000010'],
    ]);
    expect(rows.map((r) => r.fiscal_year)).toEqual([2024, 2025]);
  });
});

describe('real bodies', () => {
  it("NVIDIA: one rule for all years, its newest reports' (fy = the end's year), so no year is skipped", () => {
    const rows = extractCompanyFacts(loadFacts('0001045810')).earnings.filter((r) => r.period === 'FY');
    // The 10-K for the year ending 2014-01-26 (0001045810-14-000030) says fy 2013, the one for the
    // year ending 2015-01-25 says 2015; NVIDIA calls them fiscal 2014 and 2015. The 10-K for the
    // year ending 2026-01-25 (0001045810-26-000021) says 2026.
    expect(row(byYear(rows), 2014).period_end).toBe('2014-01-26');
    expect(row(byYear(rows), 2026).period_end).toBe('2026-01-25');
    const labels = rows.map((r) => r.fiscal_year);
    expect(labels).toEqual(labels.map((_, i) => (labels[0] ?? 0) + i));
  });

  it('Apple, Microsoft, TSMC: the fiscal year their own 10-K or 20-F names', () => {
    // 10-K 0000320193-24-000123: fy 2024, year ending 2024-09-28; 10-K 0001564590-21-039151 (Microsoft):
    // fy 2021, year ending 2021-06-30; 20-F 0001193125-25-083423 (TSMC): fy 2024, calendar 2024.
    const label = (cik: string, end: string) => extractCompanyFacts(loadFacts(cik)).earnings.find((r) => r.period === 'FY' && r.period_end === end)?.fiscal_year;
    expect([label('0000320193', '2024-09-28'), label('0000789019', '2021-06-30'), label('0001046179', '2024-12-31')]).toEqual([2024, 2021, 2024]);
  });

  it("the same January year, two names: Sportsman's Warehouse (named after its start) and Marvell (after its end)", () => {
    // Both years run 2025-02-02..2026-01-31. SPWH's 10-K 0001193125-26-134702 files it as fy 2025,
    // Marvell's 10-K 0001835632-26-000011 as fy 2026. SPWH's previous 10-K (0000950170-25-048890)
    // filed fy 2025 for its own year 2024-02-04..2025-02-01 too: the newest report's rule labels
    // that year 2024, one before the next, and no two years share a label.
    const years = (rows: readonly { period: string; period_end: string; fiscal_year: number }[]) => rows.filter((r) => r.period === 'FY').map((r) => [r.period_end, r.fiscal_year]);
    const spwh = extractCompanyFacts(loadClassFacts(classCompany('0001132105'))).earnings;
    expect(years(spwh)).toEqual([
      ['2025-02-01', 2024],
      ['2026-01-31', 2025],
    ]);
    const marvell = years(extractCompanyFacts(loadFacts('0001835632')).earnings);
    expect(marvell.slice(-2)).toEqual([
      ['2025-02-01', 2025],
      ['2026-01-31', 2026],
    ]);
  });

  it('Target (real, trimmed): every year named after its start, the quarters with their year', () => {
    // 10-K 0000027419-25-000018 files fy 2024 for 2024-02-04..2025-02-01, 10-K 0000027419-26-000016
    // fy 2025 for 2025-02-02..2026-01-31; the 10-Qs of each year carry the same fy.
    const rows = extractCompanyFacts(loadClassFacts(classCompany('0000027419'))).earnings;
    expect(rows.filter((r) => r.period === 'FY').map((r) => [r.period_end, r.fiscal_year])).toEqual([
      ['2023-01-28', 2022],
      ['2024-02-03', 2023],
      ['2025-02-01', 2024],
      ['2026-01-31', 2025],
    ]);
    expect(rows.filter((r) => r.period_end > '2025-02-01' && r.period !== 'FY').map((r) => [r.period, r.fiscal_year])).toEqual([
      ['Q1', 2025],
      ['Q2', 2025],
      ['Q3', 2025],
      ['Q4', 2025],
    ]);
  });
});
