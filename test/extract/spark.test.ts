import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractSpark, sparkQuote, type SparkSeries } from '../../src/extract/spark.js';
import { SPARK, type SparkBody } from '../../src/sources/schemas/spark.js';
import { decodeJson, malformedMessage } from '../helpers/bodies.js';

/** The bytes of a real Yahoo spark body from test/fixtures/yahoo (see its PROVENANCE.md), unchanged. */
const sparkBytes = (file: string): Buffer => readFileSync(new URL(`../fixtures/yahoo/${file}`, import.meta.url));

/** A real Yahoo spark body, decoded as it arrives. */
function loadSpark(file: string): SparkBody {
  return SPARK.decode(sparkBytes(file), file);
}

const SEVEN_1Y = 'v8_spark__RotiMom_simpson-capstone__7symbols_1y_1d_with_PETM_empty.json';
const JAKARTA_5D = 'v8_spark__Webree05_screners__GOTO.JK_BBCA.JK_test_multi_5d.json';
const JAKARTA_1D = 'v8_spark__Webree05_screners__GOTO.JK_BBCA.JK_range1d_interval1d.json';
const AAPL_VTI_1MO = 'v8_spark__dejwCake_yahoo-finance__AAPL_VTI_1mo_1d.json';
const V7_DJI = 'v7_spark__jstedfast_Stocks__DJI_1d_5m.json';

function seriesOf(map: Map<string, SparkSeries>, symbol: string): SparkSeries {
  const series = map.get(symbol);
  if (series === undefined) throw new Error(`no series for ${symbol}`);
  return series;
}

/**
 * A one-symbol body shaped like Yahoo's, with hand-made points. Typed, not decoded: the extractor's
 * own guards are tested with values no JSON body can carry (NaN, Infinity) as well.
 */
const oneSymbol = (timestamp: number[], close: (number | null)[] | null): SparkBody => ({
  TEST: { symbol: 'TEST', timestamp, close, chartPreviousClose: 10, previousClose: null, dataGranularity: 300, start: null, end: null },
});

describe('extractSpark on real v8 spark bodies', () => {
  it('reads a year of closes for six symbols and leaves out delisted PETM (empty timestamps, null close)', () => {
    const map = extractSpark(loadSpark(SEVEN_1Y));
    expect([...map.keys()].sort()).toEqual(['AAPL', 'BRK-B', 'GOOG', 'HD', 'WFC', 'WMT']);
    const aapl = seriesOf(map, 'AAPL');
    expect(aapl.closes).toHaveLength(253);
    expect(aapl.closes[0]).toEqual({ date: '2021-05-28', close: 124.61 });
    expect(aapl.closes.at(-1)).toEqual({ date: '2022-05-27', close: 149.64 });
    // Daily points are stamped at the open (09:30 New York); the time is that stamp, not the close's.
    expect(aapl.time).toBe('2022-05-27T13:30:00.000Z');
    // BRK-B and WMT have one point fewer than the others in the same answer.
    expect(seriesOf(map, 'BRK-B').closes).toHaveLength(252);
    const dates = aapl.closes.map((close) => close.date);
    expect(dates).toEqual([...dates].sort());
    expect(new Set(dates).size).toBe(dates.length);
  });

  it('takes the last point of a month answer, stamped at 16:00:03 New York, as the last close', () => {
    const map = extractSpark(loadSpark(AAPL_VTI_1MO));
    const aapl = seriesOf(map, 'AAPL');
    expect(aapl.closes).toHaveLength(22);
    expect(aapl.closes.at(-1)).toEqual({ date: '2021-10-27', close: 148.85 });
    expect(aapl.time).toBe('2021-10-27T20:00:03.000Z');
    expect(seriesOf(map, 'VTI').closes.at(-1)).toEqual({ date: '2021-10-27', close: 234.1 });
  });

  it('dates Jakarta points by the New York calendar: a 09:00 WIB session is the previous New York day', () => {
    const map = extractSpark(loadSpark(JAKARTA_5D));
    // 1773367200 is 2026-03-13 09:00 in Jakarta, 2026-03-12 22:00 in New York. The database holds
    // US listings; a foreign symbol's days come out one early, which is the documented rule.
    expect(seriesOf(map, 'GOTO.JK').closes).toEqual([
      { date: '2026-03-12', close: 55 },
      { date: '2026-03-16', close: 51 },
      { date: '2026-03-24', close: 53 },
      { date: '2026-03-25', close: 52 },
    ]);
    expect(seriesOf(map, 'BBCA.JK').closes).toHaveLength(5);
    expect(seriesOf(map, 'BBCA.JK').time).toBe('2026-03-26T03:22:56.000Z');
  });

  it('reads a one-point answer (range=1d) as one close', () => {
    const map = extractSpark(loadSpark(JAKARTA_1D));
    expect(seriesOf(map, 'GOTO.JK')).toEqual({ symbol: 'GOTO.JK', closes: [{ date: '2026-03-25', close: 51 }], time: '2026-03-25T04:47:14.000Z' });
    expect(seriesOf(map, 'BBCA.JK').closes).toEqual([{ date: '2026-03-25', close: 6775 }]);
  });

  it('refuses the older v7 envelope as malformed: not a symbol named "spark" and not ^DJI\'s 5-minute points', () => {
    const body = JSON.parse(sparkBytes(V7_DJI).toString('utf8')) as object;
    expect(Object.keys(body)).toEqual(['spark']);
    expect(malformedMessage(SPARK, body)).toBe('spark: spark.timestamp: expected array, received undefined (and 1 more)');
  });
});

describe('extractSpark on odd points and shapes', () => {
  // 2026-11-23 and 2026-11-24, 14:30 UTC (09:30 EST).
  const MON = Date.UTC(2026, 10, 23, 14, 30) / 1000;
  const TUE = MON + 86_400;

  it('skips null, zero, negative and non-finite closes and keeps the others in order', () => {
    const days = [-3, 0, 1, 2, 3, 4, 7].map((day) => MON + day * 86_400);
    const map = extractSpark(oneSymbol(days, [10, null, 0, -1, Number.NaN, Number.POSITIVE_INFINITY, 12.5]));
    expect(seriesOf(map, 'TEST').closes).toEqual([
      { date: '2026-11-20', close: 10 },
      { date: '2026-11-30', close: 12.5 },
    ]);
  });

  it('keeps one close per New York date, the later point winning (the live point after the daily one)', () => {
    const map = extractSpark(oneSymbol([MON, TUE, TUE + 5 * 3600], [10, 11, 11.5]));
    expect(seriesOf(map, 'TEST').closes).toEqual([
      { date: '2026-11-23', close: 10 },
      { date: '2026-11-24', close: 11.5 },
    ]);
    expect(seriesOf(map, 'TEST').time).toBe(new Date((TUE + 5 * 3600) * 1000).toISOString());
  });

  it('dates a point after 19:00 New York (past midnight UTC) on its New York day, not the UTC one', () => {
    // 2026-11-25 01:30 UTC is 2026-11-24 20:30 EST.
    const map = extractSpark(oneSymbol([TUE + 11 * 3600], [11]));
    expect(seriesOf(map, 'TEST').closes).toEqual([{ date: '2026-11-24', close: 11 }]);
  });

  it('leaves out a symbol whose closes are all unusable', () => {
    expect(extractSpark(oneSymbol([MON, TUE], [null, null])).size).toBe(0);
    expect(extractSpark(oneSymbol([MON, TUE], null)).size).toBe(0);
    expect(extractSpark(decodeJson(SPARK, oneSymbol([MON, TUE], [null, 0]))).size).toBe(0);
  });

  it('ignores points beyond the shorter of the two arrays and non-finite timestamps', () => {
    const map = extractSpark(oneSymbol([MON, Number.NaN, TUE, TUE + 86_400], [10, 11, 12]));
    expect(seriesOf(map, 'TEST').closes).toEqual([
      { date: '2026-11-23', close: 10 },
      { date: '2026-11-24', close: 12 },
    ]);
  });

  it('gives an empty map for an empty body', () => {
    expect(extractSpark(decodeJson(SPARK, {})).size).toBe(0);
  });
});

describe('the spark schema (SPARK, where the bytes arrive)', () => {
  it('passes every recorded v8 spark body, the delisted PETM (timestamp [], close null) included', () => {
    for (const file of [SEVEN_1Y, JAKARTA_5D, JAKARTA_1D, AAPL_VTI_1MO]) expect(Object.keys(loadSpark(file)).length).toBeGreaterThan(0);
    expect(loadSpark(SEVEN_1Y).PETM).toMatchObject({ timestamp: [], close: null });
  });

  it.each([
    ['null', null, 'spark: expected record, received null'],
    ['a string', 'Too Many Requests', 'spark: expected record, received string'],
    ['a number', 42, 'spark: expected record, received number'],
    ['an array', [{ symbol: 'AAPL', timestamp: [1], close: [1] }], 'spark: expected record, received array'],
    ['a symbol whose entry is a string', { AAPL: 'x' }, 'spark: AAPL: expected object, received string'],
    ['a symbol without timestamps', { AAPL: { symbol: 'AAPL', close: [1, 2] } }, 'spark: AAPL.timestamp: expected array, received undefined'],
    ['a timestamp that is a string', { AAPL: { symbol: 'AAPL', timestamp: [1, 'x'], close: [1, 2] } }, 'spark: AAPL.timestamp.1: expected number, received string'],
    ['a close that is a string', { AAPL: { symbol: 'AAPL', timestamp: [1, 2], close: [1, '2'] } }, 'spark: AAPL.close.1: expected number, received string'],
    [
      'the 400 error body',
      { spark: { result: null, error: { code: 'Bad Request', description: 'Number of symbols needs to be less than or equal to 20' } } },
      'spark: spark.timestamp: expected array, received undefined (and 1 more)',
    ],
  ])('fails %s as malformed, naming the field', (_name, body, message) => {
    expect(malformedMessage(SPARK, body)).toBe(message);
  });
});

describe('sparkQuote', () => {
  it('prices at the last close with nulls for what spark does not give', () => {
    const aapl = seriesOf(extractSpark(loadSpark(SEVEN_1Y)), 'AAPL');
    expect(sparkQuote(aapl)).toEqual({
      price: 149.64,
      fifty_two_week_high: null,
      fifty_two_week_low: null,
      currency: null,
      price_time: '2022-05-27T13:30:00.000Z',
      long_name: null,
      exchange_name: null,
      splits: [],
    });
  });
});
