import { describe, it, expect } from 'vitest';
import { extractCompanyFacts, fiscalYearOfEnd, isAnnualPeriod } from '../../src/extract/companyfacts.js';
import type { EarningsRow } from '../../src/extract/types.js';
import { SourceError } from '../../src/errors.js';
import { COMPANYFACTS, type CompanyFacts } from '../../src/sources/schemas/companyfacts.js';
import { decodeError, decodeJson, malformedMessage } from '../helpers/bodies.js';
import { asStored, byYear, factsBytes, loadFacts, row } from '../helpers/companyfacts.js';

function expectUniquePeriods(rows: readonly EarningsRow[]): void {
  const keys = rows.map((r) => `${r.fiscal_year} ${r.period}`);
  expect(new Set(keys).size).toBe(keys.length);
}

const NUMERIC_COLUMNS = [
  'eps_diluted',
  'eps_diluted_adjusted',
  'revenue',
  'net_income',
  'operating_cash_flow',
  'dividends_per_share_as_filed',
  'dividends_per_share',
  'shares_diluted',
  'total_liabilities',
  'stockholders_equity',
] as const;

function expectNoNaN(rows: readonly EarningsRow[]): void {
  for (const r of rows) {
    for (const key of NUMERIC_COLUMNS) expect(r[key] === null || Number.isFinite(r[key])).toBe(true);
    expect(r.eps_diluted !== null || r.revenue !== null || r.net_income !== null || r.dividends_per_share_as_filed !== null).toBe(true);
  }
}

const RECENT_YEARS = [2018, 2019, 2020, 2021, 2022, 2023, 2024];

describe('extractCompanyFacts on Apple (CIK 320193, latest filing 2024-11-01)', () => {
  const extract = extractCompanyFacts(loadFacts('0000320193'));
  const rows = extract.earnings;
  const years = byYear(rows);

  it('returns FY and quarter rows, oldest first, one per fiscal year and period', () => {
    expectUniquePeriods(rows);
    expectNoNaN(rows);
    const order = rows.map((r) => r.fiscal_year * 10 + ['Q1', 'Q2', 'Q3', 'Q4', 'FY'].indexOf(r.period));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(rows.slice(-5).map((r) => `${r.fiscal_year} ${r.period}`)).toEqual(['2024 Q1', '2024 Q2', '2024 Q3', '2024 Q4', '2024 FY']);
  });

  it('takes split-restated diluted EPS from the last-filed 10-K', () => {
    expect(RECENT_YEARS.map((fy) => row(years, fy).eps_diluted)).toEqual([2.98, 2.97, 3.28, 5.61, 6.11, 6.13, 6.08]);
    // The 10-K filed 2019-10-31 said 11.89 for FY2019; the 10-K filed 2021-10-29 is the last to report it.
    expect(row(years, 2019)).toMatchObject({ filed: '2021-10-29', accession_number: '0000320193-21-000105', form: '10-K' });
  });

  it('keeps FY2017 EPS as last filed, before the 2020 split', () => {
    expect(row(years, 2017)).toMatchObject({ eps_diluted: 9.21, filed: '2019-10-31' });
  });

  it("matches the 10-Ks' revenue and net income for FY2018-FY2024", () => {
    expect(RECENT_YEARS.map((fy) => row(years, fy).revenue)).toEqual([265_595_000_000, 260_174_000_000, 274_515_000_000, 365_817_000_000, 394_328_000_000, 383_285_000_000, 391_035_000_000]);
    expect(RECENT_YEARS.map((fy) => row(years, fy).net_income)).toEqual([59_531_000_000, 55_256_000_000, 57_411_000_000, 94_680_000_000, 99_803_000_000, 96_995_000_000, 93_736_000_000]);
  });

  it('fills every column of FY2024 from the 10-K filed 2024-11-01 (the adjusted ones when stored)', () => {
    expect(row(years, 2024)).toMatchObject({ eps_diluted_adjusted: null, dividends_per_share: null });
    expect(row(byYear(asStored(extract)), 2024)).toEqual({
      fiscal_year: 2024,
      period: 'FY',
      eps_diluted: 6.08,
      eps_diluted_adjusted: 6.08,
      revenue: 391_035_000_000,
      revenue_concept: 'us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax',
      net_income: 93_736_000_000,
      operating_cash_flow: 118_254_000_000,
      dividends_per_share_as_filed: 0.98,
      dividends_per_share: 0.98,
      shares_diluted: 15_408_095_000,
      total_liabilities: 308_030_000_000,
      stockholders_equity: 56_950_000_000,
      reporting_currency: 'USD',
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

  it('Q1..Q4 of FY2024 sum to the FY figures (Q4 derived)', () => {
    const quarters = rows.filter((r) => r.fiscal_year === 2024 && r.period !== 'FY');
    expect(quarters.map((r) => r.period)).toEqual(['Q1', 'Q2', 'Q3', 'Q4']);
    const sum = (key: (typeof NUMERIC_COLUMNS)[number]) => quarters.reduce((total, q) => total + (q[key] ?? NaN), 0);
    expect(sum('revenue')).toBe(391_035_000_000);
    expect(sum('net_income')).toBe(93_736_000_000);
    expect(sum('operating_cash_flow')).toBe(118_254_000_000);
    expect(sum('eps_diluted')).toBeCloseTo(6.08, 10);
    expect(sum('dividends_per_share_as_filed')).toBeCloseTo(0.98, 10);
    expect(quarters.map((q) => [q.period_start, q.period_end])).toEqual([
      ['2023-10-01', '2023-12-30'],
      ['2023-12-31', '2024-03-30'],
      ['2024-03-31', '2024-06-29'],
      ['2024-06-30', '2024-09-28'],
    ]);
    expect(quarters[3]).toMatchObject({ eps_diluted: 0.97, revenue: 94_930_000_000, net_income: 14_736_000_000, form: '10-K' });
    expect(quarters[0]).toMatchObject({ eps_diluted: 2.18, revenue: 119_575_000_000, form: '10-Q', filed: '2024-02-02' });
  });

  it('derives quarterly operating cash flow from the year-to-date figures of the 10-Qs', () => {
    const quarters = rows.filter((r) => r.fiscal_year === 2024 && r.period !== 'FY');
    // 10-Qs: 3M 39,895; 6M 62,585; 9M 91,443 (millions); 10-K: 118,254.
    expect(quarters.map((q) => q.operating_cash_flow)).toEqual([39_895_000_000, 22_690_000_000, 28_858_000_000, 26_811_000_000]);
    expect(quarters.map((q) => q.dividends_per_share_as_filed)).toEqual([0.24, 0.24, 0.25, 0.25]);
  });

  it('reads the balance sheet at each period end, weighted diluted shares per period, shares outstanding from the cover', () => {
    const q4 = row(byYear(rows, 'Q4'), 2024);
    expect(q4).toMatchObject({ total_liabilities: 308_030_000_000, stockholders_equity: 56_950_000_000, shares_diluted: null });
    expect(row(byYear(rows, 'Q3'), 2024)).toMatchObject({
      period_end: '2024-06-29',
      total_liabilities: 264_904_000_000,
      stockholders_equity: 66_708_000_000,
      shares_diluted: 15_348_175_000,
    });
    expect(extract.sharesOutstanding).toEqual({ value: 15_115_823_000, date: '2024-10-18', source: 'cover' });
  });

  it('leaves Q4 per-share values null when the year and its quarters were filed on both sides of a split', () => {
    // FY2018 as restated 2020-10-30 (2.98), its quarters last filed 2019 (3.89, 2.73, 2.34).
    expect(row(byYear(rows, 'Q4'), 2018)).toMatchObject({ eps_diluted: null, dividends_per_share_as_filed: null, revenue: 62_900_000_000 });
  });
});

describe('extractCompanyFacts on other real companies', () => {
  it('NVIDIA: January year ends take the calendar year of the end date', () => {
    const years = byYear(asStored(extractCompanyFacts(loadFacts('0001045810'))));
    expect(row(years, 2024)).toMatchObject({ period_start: '2023-01-30', period_end: '2024-01-28', revenue: 60_922_000_000 });
    expect(row(years, 2025)).toMatchObject({ period_end: '2025-01-26', revenue: 130_497_000_000, net_income: 72_880_000_000 });
    // FY2024 restated for the 2024 10:1 split by the 10-K filed 2026-02-25.
    expect(row(years, 2024)).toMatchObject({ eps_diluted: 1.19, eps_diluted_adjusted: 1.19, filed: '2026-02-25' });
  });

  it('NVIDIA with quarters: the year in progress gets the next fiscal year; no Q4 EPS across the 2024 split', () => {
    const all = extractCompanyFacts(loadFacts('0001045810')).earnings;
    expectUniquePeriods(all);
    expect(all.at(-1)).toMatchObject({ fiscal_year: 2027, period: 'Q1', period_start: '2026-01-26', period_end: '2026-04-26' });
    // Q1..Q3 of FY2024 were last filed on both sides of the June 2024 split: no Q4 EPS rather than a wrong one.
    const q4 = row(byYear(all, 'Q4'), 2024);
    expect(q4.eps_diluted).toBeNull();
    expect(q4.revenue).not.toBeNull();
  });

  it('TSMC: ifrs-full 20-F read in TWD, the unit of most facts, not the USD convenience translation', () => {
    const rows = extractCompanyFacts(loadFacts('0001046179')).earnings;
    expectUniquePeriods(rows);
    expect(rows.every((r) => r.form === '20-F')).toBe(true); // its 6-Ks are ignored
    expect(row(byYear(rows), 2024)).toMatchObject({
      period_start: '2024-01-01',
      period_end: '2024-12-31',
      revenue: 2_894_307_700_000,
      eps_diluted: 44.67,
      // ProfitLossAttributableToOwnersOfParent, not ProfitLoss (1,157,523,900,000).
      net_income: 1_158_380_200_000,
      operating_cash_flow: 1_826_177_100_000,
      shares_diluted: 25_929_700_000, // AdjustedWeightedAverageShares
      total_liabilities: 2_412_493_100_000,
      stockholders_equity: 4_244_266_500_000, // EquityAttributableToOwnersOfParent
    });
    expect(row(byYear(rows), 2018).dividends_per_share_as_filed).toBe(8); // DividendsRecognisedAsDistributionsToOwnersPerShare
  });

  it('Tesla: loss years give negative EPS and net income, and EPS falls back per period', () => {
    const years = byYear(extractCompanyFacts(loadFacts('0001318605')).earnings);
    expect(row(years, 2017)).toMatchObject({ eps_diluted: -11.83, net_income: -1_962_000_000, revenue: 11_759_000_000 });
    // 2019: -4.92 in the 10-K filed 2020-02-13, -0.98 after the 2020 5:1 split.
    expect(row(years, 2019)).toMatchObject({ eps_diluted: -0.98, net_income: -862_000_000 });
    // 2014 is only tagged EarningsPerShareBasicAndDiluted; 2015 has EarningsPerShareDiluted.
    expect(row(years, 2014).eps_diluted).toBe(-2.36);
    expect(row(years, 2015).eps_diluted).toBe(-6.93);
    // No EPS tagged for 2010: null, never 0.
    expect(row(years, 2010)).toMatchObject({ eps_diluted: null, revenue: 116_744_000, net_income: -154_328_000 });
  });

  it('Amazon: trailing-twelve-month figures in 10-Qs do not become fiscal years; liabilities from the balance-sheet total', () => {
    const { earnings, splits } = extractCompanyFacts(loadFacts('0001018724'));
    const rows = earnings.filter((r) => r.period === 'FY');
    expect(rows.every((r) => r.period_start?.endsWith('-01-01') && r.period_end.endsWith('-12-31'))).toBe(true);
    // Amazon tags no Liabilities: 420,549 total liabilities and equity − 138,245 equity (millions).
    expect(row(byYear(rows), 2021)).toMatchObject({
      period_start: '2021-01-01',
      net_income: 33_364_000_000,
      form: '10-K',
      total_liabilities: 282_304_000_000,
      stockholders_equity: 138_245_000_000,
    });
    expect(rows.at(-1)?.fiscal_year).toBe(2021);
    expect(splits).toEqual([]); // the data ends before the 2022 20:1 split
  });

  it('Celestica: ifrs-full years until 2021, us-gaap after', () => {
    const years = byYear(extractCompanyFacts(loadFacts('0001030894')).earnings);
    expect(row(years, 2018)).toMatchObject({ form: '20-F', revenue: 6_633_200_000, net_income: 98_900_000, eps_diluted: 0.7 });
    expect(row(years, 2024)).toMatchObject({ form: '10-K', revenue: 9_646_000_000, eps_diluted: 3.61 });
  });
});

/** The JSON of a companyfacts body from concept → units maps, per taxonomy. */
function rawBody(usGaap: Record<string, unknown>, dei: Record<string, unknown> = {}): unknown {
  return { cik: 1, facts: { 'us-gaap': Object.fromEntries(Object.entries(usGaap).map(([k, units]) => [k, { units }])), dei } };
}

/** A companyfacts body from concept → units maps, decoded as it arrives. */
function body(usGaap: Record<string, unknown>, dei: Record<string, unknown> = {}): CompanyFacts {
  return decodeJson(COMPANYFACTS, rawBody(usGaap, dei));
}

/** The SourceError extracting `facts` throws; fails the test when it extracts. */
function extractionError(facts: CompanyFacts): SourceError {
  try {
    extractCompanyFacts(facts);
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }
  throw new Error('expected extraction to fail');
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
const instant = (over: Record<string, unknown>) => fact({ start: undefined, ...over });

describe('extractCompanyFacts on odd input', () => {
  it.each([
    [{ facts: {} }],
    [{ cik: 1, entityName: 'X', facts: { 'us-gaap': {}, dei: {} } }],
    [{ cik: '0001878848', facts: { 'us-gaap': { Revenues: { label: null, description: null, units: {} } } } }],
  ])('returns nothing for %j', (input) => {
    expect(extractCompanyFacts(decodeJson(COMPANYFACTS, input))).toEqual({ earnings: [], sharesOutstanding: null, splits: [] });
  });

  it('keeps the readable facts and leaves instants out of the duration rows', () => {
    const rows = extractCompanyFacts(
      body({
        NetIncomeLoss: {
          USD: [fact({ start: undefined, end: '2021-12-31' }), fact({ start: '2020-01-01', end: '2020-12-31', val: -7 })],
        },
      }),
    ).earnings;
    expect(rows.map((r) => [r.fiscal_year, r.net_income, r.revenue, r.eps_diluted])).toEqual([[2020, -7, null, null]]);
  });

  it.each([
    ['a string value', fact({ val: '5' }), '0.val: expected number, received string'],
    ['a NaN value (null in JSON)', fact({ val: Number.NaN }), '0.val: expected number, received null'],
    ['an impossible start date', fact({ start: '2021-13-45' }), '0.start: expected a YYYY-MM-DD date'],
    ['a missing end', fact({ end: undefined }), '0.end: expected a YYYY-MM-DD date'],
    ['an empty accession number', fact({ accn: '' }), '0.accn: expected a non-empty string'],
    ['null instead of a fact', null, '0: expected object, received null'],
  ])('fails a concept it reads with %s as malformed, naming the fact', (_label, broken, where) => {
    const facts = body({ NetIncomeLoss: { USD: [broken, fact({ start: '2020-01-01', end: '2020-12-31', val: -7 })] } });
    expect(extractionError(facts)).toMatchObject({ type: 'malformed', transient: false, message: `companyfacts: facts.us-gaap.NetIncomeLoss.units.USD.${where}` });
  });

  it('never reads, so never fails on, the facts of concepts it has no chain for', () => {
    const rows = extractCompanyFacts(body({ NetIncomeLoss: { USD: [fact({ val: 7 })] }, SomethingElse: { USD: [fact({ val: 'x' }), null] } })).earnings;
    expect(rows.map((r) => r.net_income)).toEqual([7]);
  });
});

describe('the companyfacts schema (COMPANYFACTS, where the bytes arrive)', () => {
  it('passes every real body of test/fixtures/sec, and each extracts', () => {
    for (const cik of [
      '0000320193',
      '0000789019',
      '0000937966',
      '0001018724',
      '0001030894',
      '0001045810',
      '0001046179',
      '0001318605',
      '0001326801',
      '0001640147',
      '0001652044',
      '0001807794',
      '0001835632',
      '0001878848',
    ]) {
      expect(extractCompanyFacts(loadFacts(cik)).earnings.length, cik).toBeGreaterThan(0);
    }
  });

  it('fails a real body with one fact broken as malformed, naming that fact: Apple, EarningsPerShareDiluted, the 4th USD/shares fact', () => {
    const apple = JSON.parse(factsBytes('0000320193').toString('utf8')) as { facts: { 'us-gaap': { EarningsPerShareDiluted: { units: { 'USD/shares': { val: unknown }[] } } } } };
    const broken = apple.facts['us-gaap'].EarningsPerShareDiluted.units['USD/shares'][3] as { val: unknown };
    broken.val = String(broken.val);
    const facts = decodeJson(COMPANYFACTS, apple);
    expect(extractionError(facts)).toMatchObject({
      type: 'malformed',
      message: 'companyfacts: facts.us-gaap.EarningsPerShareDiluted.units.USD/shares.3.val: expected number, received string',
    });
  });

  it.each([
    ['{}', {}, 'companyfacts: facts: expected record, received undefined'],
    ['null', null, 'companyfacts: expected object, received null'],
    ['42', 42, 'companyfacts: expected object, received number'],
    ['a JSON string', 'text', 'companyfacts: expected object, received string'],
    ['an array', [], 'companyfacts: expected object, received array'],
    ['facts: null', { facts: null }, 'companyfacts: facts: expected record, received null'],
    ['a taxonomy that is an array', { facts: { 'us-gaap': [] } }, 'companyfacts: facts.us-gaap: expected record, received array'],
    ['a taxonomy that is a string', { facts: { dei: 'x' } }, 'companyfacts: facts.dei: expected record, received string'],
    ['a concept without units', { facts: { 'us-gaap': { NetIncomeLoss: {} } } }, 'companyfacts: facts.us-gaap.NetIncomeLoss.units: expected record, received undefined'],
    ['units: null', { facts: { 'us-gaap': { Revenues: { units: null } } } }, 'companyfacts: facts.us-gaap.Revenues.units: expected record, received null'],
    ['a unit that is not an array', rawBody({ NetIncomeLoss: { USD: 'nope' } }), 'companyfacts: facts.us-gaap.NetIncomeLoss.units.USD: expected array'],
    ['a numeric label', { facts: { 'us-gaap': { Revenues: { label: 5, units: {} } } } }, 'companyfacts: facts.us-gaap.Revenues.label: expected string, received number'],
  ])('fails %s as malformed where it arrives, naming the field', (_label, input, message) => {
    expect(malformedMessage(COMPANYFACTS, input)).toBe(message);
  });

  it('fails bytes that are no JSON (truncated, empty) as invalid_json, which is retried', () => {
    expect(decodeError(COMPANYFACTS, factsBytes('0001878848').subarray(0, 5000))).toMatchObject({ type: 'invalid_json', transient: true });
    expect(decodeError(COMPANYFACTS, Buffer.alloc(0))).toMatchObject({ type: 'invalid_json', transient: true });
  });

  it('ignores 8-K facts, and breaks same-day ties by accession number', () => {
    const rows = extractCompanyFacts(
      body({
        Revenues: {
          USD: [
            fact({ val: 1, form: '8-K', filed: '2024-06-01', accn: '0000000001-24-000009' }),
            fact({ val: 2, accn: '0000000001-24-000003' }),
            fact({ val: 3, form: '10-K/A', accn: '0000000001-24-000004' }),
          ],
        },
      }),
    ).earnings;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ revenue: 3, form: '10-K/A', accession_number: '0000000001-24-000004' });
  });
});

describe('balance sheet and shares outstanding rules', () => {
  it('without Liabilities: total liabilities and equity minus equity including noncontrolling interest', () => {
    const [fy] = extractCompanyFacts(
      body({
        NetIncomeLoss: { USD: [fact({ val: 10 })] },
        LiabilitiesAndStockholdersEquity: { USD: [instant({ val: 1000 })] },
        StockholdersEquity: { USD: [instant({ val: 300 })] },
        StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest: { USD: [instant({ val: 350 })] },
      }),
    ).earnings;
    expect(fy).toMatchObject({ total_liabilities: 650, stockholders_equity: 300 });
  });

  it('Liabilities when tagged, the last-filed instant at the period end, nothing from other dates', () => {
    const [fy] = extractCompanyFacts(
      body({
        NetIncomeLoss: { USD: [fact({ val: 10 })] },
        Liabilities: { USD: [instant({ val: 600 }), instant({ val: 610, filed: '2025-02-01', form: '10-Q' }), instant({ end: '2023-12-30', val: 1 })] },
        LiabilitiesAndStockholdersEquity: { USD: [instant({ val: 1000 })] },
      }),
    ).earnings;
    expect(fy).toMatchObject({ total_liabilities: 610, stockholders_equity: null });
  });

  it('sums the classes of the latest cover date from one filing, not a 10-K/A repeating the 10-K', () => {
    const shares = (over: Record<string, unknown>) => instant({ end: '2024-01-20', ...over });
    const amendment = { form: '10-K/A', accn: '0000000001-24-000002', filed: '2024-03-01' };
    const classes = [5_800_000_000, 860_000_000, 5_500_000_000]; // classes A, B, C
    const units = {
      shares: [shares({ end: '2023-10-20', val: 999 }), ...classes.map((val) => shares({ val })), ...classes.map((val) => shares({ val, ...amendment }))],
    };
    const extract = extractCompanyFacts(body({}, { EntityCommonStockSharesOutstanding: { units } }));
    expect(extract.sharesOutstanding).toEqual({ value: 12_160_000_000, date: '2024-01-20', source: 'cover' });
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
