import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { extractChartQuote } from '../../src/extract/chart.js';
import { extractCompanyFacts, FactsIndex } from '../../src/extract/companyfacts.js';
import { applySplits, inferSplitsFromRestatements, mergeSplits, roundPerShare, snapSplitRatio } from '../../src/extract/split-adjust.js';
import type { EarningsRow, SplitEvent } from '../../src/extract/types.js';
import { CHART } from '../../src/sources/schemas/chart.js';
import { COMPANYFACTS } from '../../src/sources/schemas/companyfacts.js';
import { decodeJson } from '../helpers/bodies.js';
import { asStored, byYear, loadFacts, row } from '../helpers/companyfacts.js';

/** A real company's facts, decoded and indexed as extraction indexes them. */
const indexed = (cik: string): FactsIndex => new FactsIndex(loadFacts(cik));

const split = (date: string, ratio: number, source: SplitEvent['source'] = 'restatement'): SplitEvent => ({ date, ratio, source });

describe('inferSplitsFromRestatements on real companyfacts', () => {
  it.each([
    ['Apple', '0000320193', [split('2014-07-23', 7), split('2020-10-30', 4)]],
    ['NVIDIA', '0001045810', [split('2021-08-20', 4), split('2024-08-28', 10)]],
    ['Tesla', '0001318605', [split('2020-10-26', 5), split('2022-10-24', 3)]],
    ['Alphabet', '0001652044', [split('2022-07-27', 20)]],
    // Data ends 2022-04, before its 20:1 split. Its 10-K of 2013 re-tagged 2012 quarters with 2011
    // dates (EPS 0.44 -> 0.28, a 3:2-like ratio): net income moved alike, so no split.
    ['Amazon', '0001018724', []],
    // Microsoft and TSMC did not split in these years.
    ['Microsoft', '0000789019', []],
    ['TSMC', '0001046179', []],
  ])('%s', (_name, cik, expected) => {
    expect(inferSplitsFromRestatements(indexed(cik))).toEqual(expected);
  });
});

describe("real per-share values stored on today's share basis (extractCompanyFacts, then the store's pure step)", () => {
  const apple = extractCompanyFacts(loadFacts('0000320193'));
  const years = byYear(asStored(apple));

  it('Apple: adjusts with the splits it infers', () => {
    expect(apple.splits).toEqual(inferSplitsFromRestatements(indexed('0000320193')));
  });

  it('Apple: FY2010-FY2017 EPS / 28 before the 2014 split, / 4 between the splits; FY2018 on as filed', () => {
    const old = [2010, 2011, 2012, 2013, 2014, 2015, 2016, 2017].map((fy) => row(years, fy));
    expect(old.map((r) => [r.eps_diluted, r.eps_diluted_adjusted, r.filed])).toEqual([
      [15.15, 0.5411, '2012-10-31'], // 15.15 / 28
      [27.68, 0.9886, '2013-10-30'], // 27.68 / 28
      // FY2012 (44.15) and FY2013 (39.75) were restated for the 7:1 split by the 10-Ks of 2014 and 2015.
      [6.31, 1.5775, '2014-10-27'],
      [5.68, 1.42, '2015-10-28'],
      [6.45, 1.6125, '2016-10-26'],
      [9.22, 2.305, '2017-11-03'],
      [8.31, 2.0775, '2018-11-05'],
      [9.21, 2.3025, '2019-10-31'],
    ]);
    for (const fy of [2018, 2019, 2020, 2021, 2022, 2023, 2024]) expect(row(years, fy).eps_diluted_adjusted).toBe(row(years, fy).eps_diluted);
  });

  it('Apple: dividends per share on the post-2020 basis', () => {
    expect(row(years, 2024)).toMatchObject({ dividends_per_share_as_filed: 0.98, dividends_per_share: 0.98 });
    expect(row(years, 2013)).toMatchObject({ dividends_per_share_as_filed: 1.64, dividends_per_share: 0.41 }); // 11.40 before 2014, / 28
    expect(row(years, 2012)).toMatchObject({ dividends_per_share_as_filed: 0.38, dividends_per_share: 0.095 });
    // Q1 FY2019: 0.73 last filed 2020-01-29, its EPS restated (1.05) on 2020-10-30: dividends follow the EPS basis.
    expect(row(byYear(asStored(apple), 'Q1'), 2019)).toMatchObject({ eps_diluted: 1.05, dividends_per_share_as_filed: 0.1825, filed: '2020-10-30' });
  });

  it('NVIDIA: EPS before the 2021 4:1 and 2024 10:1 splits divided by 40 or 10', () => {
    const nvidia = byYear(asStored(extractCompanyFacts(loadFacts('0001045810'))));
    expect(row(nvidia, 2019)).toMatchObject({ eps_diluted: 6.63, eps_diluted_adjusted: 0.1658, filed: '2021-02-26' });
    expect(row(nvidia, 2021)).toMatchObject({ eps_diluted: 1.73, eps_diluted_adjusted: 0.173, filed: '2023-02-24' });
  });

  it('Tesla: EPS before the 2020 5:1 and 2022 3:1 splits adjusted; a quarter keeps the filing of its EPS', () => {
    const earnings = asStored(extractCompanyFacts(loadFacts('0001318605')));
    expect(row(byYear(earnings), 2021)).toMatchObject({ eps_diluted: 4.9, eps_diluted_adjusted: 1.6333, filed: '2022-02-07' });
    // Revenue of Q1 2019 was re-reported 2021-02-08; its EPS (-4.10) only 2020-04-30, before the 5:1 split.
    expect(row(byYear(earnings, 'Q1'), 2019)).toMatchObject({ eps_diluted: -4.1, eps_diluted_adjusted: -0.2733, filed: '2020-04-30' });
  });
});

/** The indexed facts of a body with one EPS concept and net income, from [start, end, [value, filed][]] histories. */
function restated(eps: [string, string, [number, string][]][], netIncome: [string, string, [number, string][]][] = []): FactsIndex {
  const facts = (histories: typeof eps) =>
    histories.flatMap(([start, end, values]) => values.map(([val, filed], i) => ({ start, end, val, filed, form: '10-K', accn: `0000000001-${filed.slice(2, 4)}-00000${i}` })));
  const body = {
    facts: {
      'us-gaap': {
        EarningsPerShareDiluted: { units: { 'USD/shares': facts(eps) } },
        NetIncomeLoss: { units: { USD: facts(netIncome) } },
      },
    },
  };
  return new FactsIndex(decodeJson(COMPANYFACTS, body));
}

describe('inferSplitsFromRestatements rules', () => {
  const twoYears = (before: number, after: number): [string, string, [number, string][]][] => [
    [
      '2020-01-01',
      '2020-12-31',
      [
        [before, '2021-02-01'],
        [after, '2022-02-01'],
      ],
    ],
    [
      '2019-01-01',
      '2019-12-31',
      [
        [before * 1.1, '2020-02-01'],
        [(before * 1.1) / (before / after), '2022-02-01'],
      ],
    ],
  ];

  it('finds a 2:1 split when net income stayed, dated by the first restated filing', () => {
    expect(inferSplitsFromRestatements(restated(twoYears(2, 1)))).toEqual([split('2022-02-01', 2)]);
  });

  it('finds nothing when net income was restated by the same ratio (an earnings restatement)', () => {
    const netIncome: [string, string, [number, string][]][] = [
      [
        '2020-01-01',
        '2020-12-31',
        [
          [200, '2021-02-01'],
          [100, '2022-02-01'],
        ],
      ],
      [
        '2019-01-01',
        '2019-12-31',
        [
          [220, '2020-02-01'],
          [110, '2022-02-01'],
        ],
      ],
    ];
    expect(inferSplitsFromRestatements(restated(twoYears(2, 1), netIncome))).toEqual([]);
  });

  it('needs two restated values: one odd restatement is a tagging error', () => {
    expect(
      inferSplitsFromRestatements(
        restated([
          [
            '2020-01-01',
            '2020-12-31',
            [
              [2, '2021-02-01'],
              [1, '2022-02-01'],
            ],
          ],
        ]),
      ),
    ).toEqual([]);
  });

  it('finds a 1:10 reverse split', () => {
    expect(inferSplitsFromRestatements(restated(twoYears(-0.5, -5)))).toEqual([split('2022-02-01', 0.1)]);
  });

  it.each([[{ facts: {} }], [{ facts: { 'us-gaap': { EarningsPerShareDiluted: { units: { 'USD/shares': [] } } } } }]])('returns [] for %j', (input) => {
    expect(inferSplitsFromRestatements(new FactsIndex(decodeJson(COMPANYFACTS, input)))).toEqual([]);
  });

  it('fails as malformed on an EPS fact that is not one, naming it (bodies are checked where they arrive, facts as they are read)', () => {
    const index = new FactsIndex(decodeJson(COMPANYFACTS, { facts: { 'us-gaap': { EarningsPerShareDiluted: { units: { 'USD/shares': [1, 'x', null] } } } } }));
    expect(() => inferSplitsFromRestatements(index)).toThrow(/^companyfacts: facts\.us-gaap\.EarningsPerShareDiluted\.units\.USD\/shares\.0: expected object, received number \(and 2 more\)$/);
  });
});

describe('snapSplitRatio', () => {
  it.each([
    [44.15, 6.31, 7], // Apple FY2012, 2014 7:1
    [11.91, 2.98, 4], // Apple FY2018, 2020 4:1
    [1.74, 0.17, 10], // NVIDIA FY2023, 2024 10:1: 10.24 within rounding
    [0.5, 0.1, 5], // Tesla Q2 2020
    [-5.72, -1.14, 5], // Tesla 2018 loss
    [0.16, 0.016, 10],
    [1.35, 2.01, 2 / 3], // Apple 2009 restatement: split-like; net income tells it apart
    [0.5, 5, 0.1],
    [0.08, 0.02, null], // 3, 4 or 5 within rounding: ambiguous
    [1.71, 0.92, null], // NVIDIA 2017 mis-tag: 1.86
    [6.29, 9.08, null], // Apple FY2009 restatement: 0.69
    [5.36, 6.78, null],
    [2.1, 2.0, null],
    [1, -1, null],
    [0, 1, null],
    [1, 0, null],
    [Number.NaN, 1, null],
  ])('%d -> %d is %s', (before, after, expected) => {
    expect(snapSplitRatio(before, after)).toBe(expected);
  });
});

/** A row filed on `filed` with the given per-share values. */
function perShareRow(filed: string | null, eps: number | null, dividends: number | null = null): EarningsRow {
  return {
    fiscal_year: 2017,
    period: 'FY',
    eps_diluted: eps,
    eps_diluted_adjusted: null,
    revenue: null,
    revenue_concept: null,
    net_income: null,
    operating_cash_flow: null,
    dividends_per_share_as_filed: dividends,
    dividends_per_share: null,
    shares_diluted: null,
    total_liabilities: null,
    stockholders_equity: null,
    reporting_currency: null,
    period_start: null,
    period_end: '2017-09-30',
    form: '10-K',
    filed,
    accession_number: null,
  };
}

describe('applySplits', () => {
  const apple = [split('2014-06-09', 7, 'yahoo'), split('2020-08-31', 4, 'yahoo')];

  it.each([
    ['filed before both splits: / 28', '2013-10-30', 39.75, 11.4, 1.4196, 0.4071],
    ['filed between the splits: / 4', '2019-10-31', 9.21, 2.4, 2.3025, 0.6],
    ['filed on the split date: already restated', '2020-08-31', 3.28, 0.795, 3.28, 0.795],
    ['filed after both splits: unchanged', '2024-11-01', 6.08, 0.98, 6.08, 0.98],
    ['unknown filing date: unchanged', null, 6.08, 0.98, 6.08, 0.98],
    ['null stays null', '2013-10-30', null, null, null, null],
    ['losses keep their sign', '2013-10-30', -2.8, null, -0.1, null],
  ] as const)('%s', (_name, filed, eps, dividends, adjustedEps, adjustedDividends) => {
    const [adjusted] = applySplits([perShareRow(filed, eps, dividends)], apple);
    expect(adjusted).toMatchObject({ eps_diluted: eps, eps_diluted_adjusted: adjustedEps, dividends_per_share_as_filed: dividends, dividends_per_share: adjustedDividends });
  });

  it('multiplies by 10 after a 1:10 reverse split, ignores unusable splits, leaves its input alone', () => {
    const rows = [perShareRow('2020-01-01', 0.05)];
    const splits = [split('2021-01-01', 0.1), split('not a date', 4), split('2022-01-01', Number.NaN), split('2022-01-01', 0), split('2022-01-01', -2)];
    expect(applySplits(rows, splits)[0]?.eps_diluted_adjusted).toBe(0.5);
    expect(rows[0]?.eps_diluted_adjusted).toBeNull();
    expect(applySplits([], splits)).toEqual([]);
  });

  it('rounds to 4 decimals, keeping 3 significant digits below 0.01', () => {
    expect([roundPerShare(0.16575), roundPerShare(-0.27333), roundPerShare(0.001875), roundPerShare(0.00025), roundPerShare(0)]).toEqual([0.1658, -0.2733, 0.00188, 0.00025, 0]);
  });
});

describe('mergeSplits', () => {
  const yahoo = [split('2021-07-20', 4, 'yahoo'), split('2024-06-10', 10, 'yahoo')];

  it.each([
    ['inferred a month after Yahoo, same ratio: the same split', [split('2021-08-20', 4)], yahoo],
    ['inferred a year after Yahoo, same ratio: the same split', [split('2022-07-15', 4)], yahoo],
    ['inferred 10 days before Yahoo: the same split (date slack)', [split('2024-05-31', 10)], yahoo],
    ['a different ratio: another split', [split('2021-08-20', 2)], [yahoo[0], split('2021-08-20', 2), yahoo[1]]],
    ['more than ~400 days later: another split', [split('2022-09-01', 4)], [yahoo[0], split('2022-09-01', 4), yahoo[1]]],
    ['Yahoo does not go back that far', [split('2000-07-20', 2)], [split('2000-07-20', 2), ...yahoo]],
    ['nothing inferred', [], yahoo],
  ])('%s', (_name, inferred, expected) => {
    expect(mergeSplits(yahoo, inferred)).toEqual(expected);
  });

  it('keeps all inferred splits when Yahoo has none, drops unusable ones', () => {
    expect(mergeSplits([], [split('2024-08-28', 10), split('2021-08-20', 4), split('', 2)])).toEqual([split('2021-08-20', 4), split('2024-08-28', 10)]);
  });

  it("NVIDIA: Yahoo's recorded 2021-07-20 4:1 split replaces the one inferred from restatements", () => {
    const chart = CHART.decode(readFileSync(new URL('../fixtures/yahoo/v8_chart_NVDA_2021-02-01_to_2022-01-31_events_split__node-yahoo-finance2.json', import.meta.url)), 'NVDA');
    const quote = extractChartQuote(chart);
    if (quote.kind !== 'quote') throw new Error('expected a quote');
    const merged = mergeSplits(quote.quote.splits, inferSplitsFromRestatements(indexed('0001045810')));
    expect(merged).toEqual([split('2021-07-20', 4, 'yahoo'), split('2024-08-28', 10)]);
  });
});
