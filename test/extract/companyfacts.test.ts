import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, it, expect } from 'vitest';
import { extractEarningsHistory, fiscalYearOfEnd, isAnnualPeriod } from '../../src/extract/companyfacts.js';
import type { EarningsRow } from '../../src/extract/types.js';

/** A real companyfacts body from test/fixtures/sec (gzip of SEC's JSON, unchanged). */
function loadFacts(cik: string): unknown {
  const file = new URL(`../fixtures/sec/companyfacts_CIK${cik}.json.gz`, import.meta.url);
  return JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as unknown;
}

function byYear(rows: readonly EarningsRow[], period: EarningsRow['period'] = 'FY'): Map<number, EarningsRow> {
  return new Map(rows.filter((row) => row.period === period).map((row) => [row.fiscal_year, row]));
}

function row(rows: Map<number, EarningsRow>, fiscalYear: number): EarningsRow {
  const found = rows.get(fiscalYear);
  if (found === undefined) throw new Error(`no row for fiscal year ${fiscalYear}`);
  return found;
}

function expectUniquePeriods(rows: readonly EarningsRow[]): void {
  const keys = rows.map((r) => `${r.fiscal_year} ${r.period}`);
  expect(new Set(keys).size).toBe(keys.length);
}

function expectNoNaN(rows: readonly EarningsRow[]): void {
  for (const r of rows) {
    for (const value of [r.eps_diluted, r.revenue, r.net_income]) {
      expect(value === null || Number.isFinite(value)).toBe(true);
    }
    expect(r.eps_diluted !== null || r.revenue !== null || r.net_income !== null).toBe(true);
  }
}

describe('extractEarningsHistory on Apple (CIK 320193, latest filing 2024-11-01)', () => {
  const rows = extractEarningsHistory(loadFacts('0000320193'));
  const years = byYear(rows);

  it('returns annual rows only, oldest first, one per fiscal year', () => {
    expect(rows.every((r) => r.period === 'FY')).toBe(true);
    expectUniquePeriods(rows);
    expectNoNaN(rows);
    const fiscalYears = rows.map((r) => r.fiscal_year);
    expect(fiscalYears).toEqual([...fiscalYears].sort((a, b) => a - b));
    expect(fiscalYears.at(-1)).toBe(2024);
  });

  it('takes split-restated diluted EPS from the last-filed 10-K', () => {
    const eps = [2018, 2019, 2020, 2021, 2022, 2023, 2024].map((fy) => row(years, fy).eps_diluted);
    expect(eps).toEqual([2.98, 2.97, 3.28, 5.61, 6.11, 6.13, 6.08]);
    // The 10-K filed 2019-10-31 said 11.89 for FY2019; the 10-K filed 2021-10-29 is the last to report it.
    expect(row(years, 2019)).toMatchObject({ filed: '2021-10-29', accession_number: '0000320193-21-000105', form: '10-K' });
  });

  it('keeps FY2017 EPS as last filed, before the 2020 split', () => {
    expect(row(years, 2017).eps_diluted).toBe(9.21);
  });

  it("matches the 10-Ks' revenue and net income for FY2018-FY2024", () => {
    const revenue = [2018, 2019, 2020, 2021, 2022, 2023, 2024].map((fy) => row(years, fy).revenue);
    expect(revenue).toEqual([
      265_595_000_000, 260_174_000_000, 274_515_000_000, 365_817_000_000, 394_328_000_000, 383_285_000_000, 391_035_000_000,
    ]);
    const netIncome = [2018, 2019, 2020, 2021, 2022, 2023, 2024].map((fy) => row(years, fy).net_income);
    expect(netIncome).toEqual([
      59_531_000_000, 55_256_000_000, 57_411_000_000, 94_680_000_000, 99_803_000_000, 96_995_000_000, 93_736_000_000,
    ]);
  });

  it('names the year by its end date and keeps the period dates and source filing', () => {
    expect(row(years, 2024)).toEqual({
      fiscal_year: 2024,
      period: 'FY',
      eps_diluted: 6.08,
      revenue: 391_035_000_000,
      net_income: 93_736_000_000,
      period_start: '2023-10-01',
      period_end: '2024-09-28',
      form: '10-K',
      filed: '2024-11-01',
      accession_number: '0000320193-24-000123',
    });
    // 53-week year.
    expect(row(years, 2023)).toMatchObject({ period_start: '2022-09-25', period_end: '2023-09-30' });
  });

  it('chooses the revenue concept per period (SalesRevenueNet, Revenues, then RevenueFromContract…)', () => {
    expect(row(years, 2015).revenue).toBe(233_715_000_000); // SalesRevenueNet only
    expect(row(years, 2016).revenue).toBe(215_639_000_000); // Revenues, in the 10-K filed 2018
    expect(row(years, 2017).revenue).toBe(229_234_000_000); // RevenueFromContractWithCustomerExcludingAssessedTax
  });

  it('with quarters, Q1..Q4 of FY2024 sum to the FY figures (Q4 derived)', () => {
    const all = extractEarningsHistory(loadFacts('0000320193'), { quarters: true });
    expectUniquePeriods(all);
    expectNoNaN(all);
    expect(all.filter((r) => r.period === 'FY')).toEqual(rows);
    const fy2024 = all.filter((r) => r.fiscal_year === 2024);
    expect(fy2024.map((r) => r.period)).toEqual(['Q1', 'Q2', 'Q3', 'Q4', 'FY']);
    const quarters = fy2024.slice(0, 4);
    const sum = (key: 'eps_diluted' | 'revenue' | 'net_income') => quarters.reduce((total, q) => total + (q[key] ?? NaN), 0);
    expect(sum('revenue')).toBe(391_035_000_000);
    expect(sum('net_income')).toBe(93_736_000_000);
    expect(sum('eps_diluted')).toBeCloseTo(6.08, 10);
    expect(quarters.map((q) => [q.period_start, q.period_end])).toEqual([
      ['2023-10-01', '2023-12-30'],
      ['2023-12-31', '2024-03-30'],
      ['2024-03-31', '2024-06-29'],
      ['2024-06-30', '2024-09-28'],
    ]);
    expect(quarters[3]).toMatchObject({ eps_diluted: 0.97, revenue: 94_930_000_000, net_income: 14_736_000_000, form: '10-K' });
    expect(quarters[0]).toMatchObject({ eps_diluted: 2.18, revenue: 119_575_000_000, form: '10-Q', filed: '2024-02-02' });
  });
});

describe('extractEarningsHistory on other real companies', () => {
  it('NVIDIA: January year ends take the calendar year of the end date', () => {
    const years = byYear(extractEarningsHistory(loadFacts('0001045810')));
    expect(row(years, 2024)).toMatchObject({ period_start: '2023-01-30', period_end: '2024-01-28', revenue: 60_922_000_000 });
    expect(row(years, 2025)).toMatchObject({ period_end: '2025-01-26', revenue: 130_497_000_000, net_income: 72_880_000_000 });
    // FY2024 restated for the 2024 10:1 split by the 10-K filed 2026-02-25.
    expect(row(years, 2024)).toMatchObject({ eps_diluted: 1.19, filed: '2026-02-25' });
  });

  it('NVIDIA with quarters: the year still in progress gets the next fiscal year', () => {
    const all = extractEarningsHistory(loadFacts('0001045810'), { quarters: true });
    expectUniquePeriods(all);
    const last = all.at(-1);
    expect(last).toMatchObject({ fiscal_year: 2027, period: 'Q1', period_start: '2026-01-26', period_end: '2026-04-26' });
    // Q1..Q3 of FY2024 were last filed on both sides of the June 2024 split: no Q4 EPS rather than a wrong one.
    const q4 = row(byYear(all, 'Q4'), 2024);
    expect(q4.eps_diluted).toBeNull();
    expect(q4.revenue).not.toBeNull();
  });

  it('TSMC: ifrs-full 20-F read in TWD, the unit of most facts, not the USD convenience translation', () => {
    const rows = extractEarningsHistory(loadFacts('0001046179'));
    expectUniquePeriods(rows);
    expect(rows.every((r) => r.form === '20-F')).toBe(true); // its 6-Ks are ignored
    expect(row(byYear(rows), 2024)).toMatchObject({
      period_start: '2024-01-01',
      period_end: '2024-12-31',
      revenue: 2_894_307_700_000,
      eps_diluted: 44.67,
      // ProfitLossAttributableToOwnersOfParent, not ProfitLoss (1,157,523,900,000).
      net_income: 1_158_380_200_000,
    });
  });

  it('Tesla: loss years give negative EPS and net income, and EPS falls back per period', () => {
    const years = byYear(extractEarningsHistory(loadFacts('0001318605')));
    expect(row(years, 2017)).toMatchObject({ eps_diluted: -11.83, net_income: -1_962_000_000, revenue: 11_759_000_000 });
    // 2019: -4.92 in the 10-K filed 2020-02-13, -0.98 after the 2020 5:1 split.
    expect(row(years, 2019)).toMatchObject({ eps_diluted: -0.98, net_income: -862_000_000 });
    // 2014 is only tagged EarningsPerShareBasicAndDiluted; 2015 has EarningsPerShareDiluted.
    expect(row(years, 2014).eps_diluted).toBe(-2.36);
    expect(row(years, 2015).eps_diluted).toBe(-6.93);
    // No EPS tagged for 2010: null, never 0.
    expect(row(years, 2010)).toMatchObject({ eps_diluted: null, revenue: 116_744_000, net_income: -154_328_000 });
  });

  it("Amazon: trailing-twelve-month figures in 10-Qs do not become fiscal years", () => {
    const rows = extractEarningsHistory(loadFacts('0001018724'));
    expectUniquePeriods(rows);
    expect(rows.every((r) => r.period_start?.endsWith('-01-01') && r.period_end.endsWith('-12-31'))).toBe(true);
    expect(row(byYear(rows), 2021)).toMatchObject({ period_start: '2021-01-01', net_income: 33_364_000_000, form: '10-K' });
    expect(rows.at(-1)?.fiscal_year).toBe(2021);
  });

  it('Celestica: ifrs-full years until 2021, us-gaap after', () => {
    const years = byYear(extractEarningsHistory(loadFacts('0001030894')));
    expect(row(years, 2018)).toMatchObject({ form: '20-F', revenue: 6_633_200_000, net_income: 98_900_000, eps_diluted: 0.7 });
    expect(row(years, 2024)).toMatchObject({ form: '10-K', revenue: 9_646_000_000, eps_diluted: 3.61 });
  });
});

/** A companyfacts body with a single us-gaap concept. */
function oneConcept(concept: string, units: unknown): unknown {
  return { cik: 1, facts: { 'us-gaap': { [concept]: { units } } } };
}

const fact = (over: Record<string, unknown>) => ({
  start: '2023-01-01',
  end: '2023-12-31',
  val: 100,
  accn: '0000000001-24-000001',
  fy: 2023,
  fp: 'FY',
  form: '10-K',
  filed: '2024-02-01',
  ...over,
});

describe('extractEarningsHistory on odd input', () => {
  it.each([[{}], [null], [undefined], [42], ['text'], [[]], [{ facts: null }], [{ facts: { 'us-gaap': [] } }]])(
    'returns [] for %j',
    (input) => {
      expect(extractEarningsHistory(input)).toEqual([]);
    },
  );

  it('skips concepts without units and units that are not arrays', () => {
    expect(extractEarningsHistory({ facts: { 'us-gaap': { NetIncomeLoss: {}, Revenues: { units: null } } } })).toEqual([]);
    expect(extractEarningsHistory(oneConcept('NetIncomeLoss', { USD: 'nope' }))).toEqual([]);
  });

  it('skips facts whose value is a string or whose dates are missing, keeps the readable ones', () => {
    const rows = extractEarningsHistory(
      oneConcept('NetIncomeLoss', {
        USD: [
          fact({ val: '5' }),
          fact({ start: '2022-01-01', end: '2022-12-31', val: Number.NaN }),
          fact({ start: undefined, end: '2021-12-31' }),
          null,
          fact({ start: '2020-01-01', end: '2020-12-31', val: -7 }),
        ],
      }),
    );
    expect(rows.map((r) => [r.fiscal_year, r.net_income, r.revenue, r.eps_diluted])).toEqual([[2020, -7, null, null]]);
  });

  it('ignores 8-K facts, and breaks same-day ties by accession number', () => {
    const rows = extractEarningsHistory(
      oneConcept('Revenues', {
        USD: [
          fact({ val: 1, form: '8-K', filed: '2024-06-01', accn: '0000000001-24-000009' }),
          fact({ val: 2, accn: '0000000001-24-000003' }),
          fact({ val: 3, form: '10-K/A', accn: '0000000001-24-000004' }),
        ],
      }),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ revenue: 3, form: '10-K/A', accession_number: '0000000001-24-000004' });
  });
});

describe('period helpers', () => {
  it('names a 52/53-week year ending in the first days of January after the previous year', () => {
    expect(fiscalYearOfEnd('2024-09-28')).toBe(2024);
    expect(fiscalYearOfEnd('2023-01-07')).toBe(2022);
    expect(fiscalYearOfEnd('2024-01-28')).toBe(2024);
    expect(fiscalYearOfEnd('2023-12-31')).toBe(2023);
  });

  it('treats 52- and 53-week years as annual, year-to-date and quarters not', () => {
    expect(isAnnualPeriod('2023-10-01', '2024-09-28')).toBe(true);
    expect(isAnnualPeriod('2022-09-25', '2023-09-30')).toBe(true);
    expect(isAnnualPeriod('2023-10-01', '2024-06-29')).toBe(false);
    expect(isAnnualPeriod('2024-03-31', '2024-06-29')).toBe(false);
  });
});
