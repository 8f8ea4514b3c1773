import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { extractChartQuote, type ChartExtract } from '../../src/extract/chart.js';
import type { QuoteRow } from '../../src/extract/types.js';
import { CHART, type ChartBody } from '../../src/sources/schemas/chart.js';
import { decodeError, decodeJson, malformedMessage } from '../helpers/bodies.js';

/** A real Yahoo v8 chart body from test/fixtures/yahoo (recorded in 2025, unchanged), decoded as it arrives. */
function loadChart(file: string): ChartBody {
  return CHART.decode(readFileSync(new URL(`../fixtures/yahoo/${file}`, import.meta.url)), file);
}

type ChartMeta = NonNullable<ChartBody['chart']['result']>[number]['meta'];

function quoteOf(extract: ChartExtract): QuoteRow {
  if (extract.kind !== 'quote') throw new Error(`expected a quote, got no_data: ${extract.reason}`);
  return extract.quote;
}

/**
 * A chart body around a hand-made meta, shaped like Yahoo's. Typed, not decoded: the extractor's own
 * guards are tested with values no JSON body can carry (NaN, Infinity) as well.
 */
function chartWithMeta(meta: ChartMeta): ChartBody {
  return { chart: { result: [{ meta, timestamp: [1739998801], indicators: { quote: [{}] } }], error: null } };
}

/** The meta of the real AAPL body, to vary one field at a time. */
const aaplMeta = loadChart('chart_AAPL_1d_2020-01-01_to_2020-01-03.json').chart.result?.[0]?.meta as ChartMeta;

describe('extractChartQuote on real Yahoo chart bodies', () => {
  it.each([
    [
      'chart_AAPL_1d_2020-01-01_to_2020-01-03.json',
      {
        price: 244.87,
        fifty_two_week_high: 260.1,
        fifty_two_week_low: 164.08,
        currency: 'USD',
        price_time: '2025-02-19T21:00:01.000Z',
        long_name: 'Apple Inc.',
        exchange_name: 'NasdaqGS',
        splits: [],
      },
    ],
    [
      'chart_AAPL_1d_2020-08-31_to_2020-11-07.json',
      {
        price: 244.87,
        fifty_two_week_high: 260.1,
        fifty_two_week_low: 164.08,
        currency: 'USD',
        price_time: '2025-02-19T21:00:01.000Z',
        long_name: 'Apple Inc.',
        exchange_name: 'NasdaqGS',
        // Apple's 4:1 split of 2020-08-31 falls in the recorded range.
        splits: [{ date: '2020-08-31', ratio: 4, source: 'yahoo' }],
      },
    ],
    [
      'v8_chart_NVDA_2021-02-01_to_2022-01-31_events_split__node-yahoo-finance2.json',
      {
        price: 134.43,
        fifty_two_week_high: 153.13,
        fifty_two_week_low: 75.606,
        currency: 'USD',
        price_time: '2025-02-21T21:00:01.000Z',
        long_name: 'NVIDIA Corporation',
        exchange_name: 'NasdaqGS',
        // The recorded body was requested with events=split: NVIDIA's 4:1 split of 2021-07-20.
        splits: [{ date: '2021-07-20', ratio: 4, source: 'yahoo' }],
      },
    ],
  ])('%s: the quote comes from meta (current price, 52-week range, ISO regularMarketTime)', (file, expected) => {
    expect(extractChartQuote(loadChart(file))).toEqual({ kind: 'quote', quote: expected });
  });

  it('takes the price from meta.regularMarketPrice, not from the historical range the body was asked for', () => {
    // The 2020 request's chartPreviousClose (73.412, pre-split) and closes are history; meta is today's quote.
    const body = loadChart('chart_AAPL_1d_2020-01-01_to_2020-01-03.json') as unknown as {
      chart: { result: [{ meta: { chartPreviousClose: number }; indicators: { quote: [{ close: number[] }] } }] };
    };
    const quote = quoteOf(extractChartQuote(body));
    expect(body.chart.result[0].meta.chartPreviousClose).toBe(73.412);
    expect(body.chart.result[0].indicators.quote[0].close).not.toContain(quote.price);
    expect(quote.price).toBe(244.87);
  });
});

describe('extractChartQuote when Yahoo has nothing', () => {
  it('reads the 404 body as no_data, naming the code and description', () => {
    const body = CHART.decode(Buffer.from('{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}'), 'test');
    const extract = extractChartQuote(body);
    expect(extract).toEqual({ kind: 'no_data', reason: 'Not Found: No data found, symbol may be delisted' });
  });

  it('reports chart.error even when a result is present', () => {
    const extract = extractChartQuote(decodeJson(CHART, { chart: { result: [{ meta: aaplMeta }], error: { code: 'Bad Request', description: 'Invalid input' } } }));
    expect(extract).toEqual({ kind: 'no_data', reason: 'Bad Request: Invalid input' });
  });

  it('reports an error code without a description', () => {
    expect(extractChartQuote(decodeJson(CHART, { chart: { result: null, error: { code: 'Not Found' } } }))).toEqual({ kind: 'no_data', reason: 'Not Found:' });
  });

  it.each([
    ['an empty result array', { chart: { result: [], error: null } }],
    ['a null result', { chart: { result: null, error: null } }],
    ['no result key', { chart: { error: null } }],
  ])('gives no_data for %s', (_label, body) => {
    expect(extractChartQuote(decodeJson(CHART, body)).kind).toBe('no_data');
  });
});

describe('extractChartQuote on incomplete meta', () => {
  it('gives nulls, not a failure, for a meta without price, range, currency, time or names', () => {
    expect(extractChartQuote(chartWithMeta({ symbol: 'NEWCO', instrumentType: 'EQUITY' }))).toEqual({
      kind: 'quote',
      quote: {
        price: null,
        fifty_two_week_high: null,
        fifty_two_week_low: null,
        currency: null,
        price_time: null,
        long_name: null,
        exchange_name: null,
        splits: [],
      },
    });
  });

  it('keeps the fields that are there when only the 52-week range is missing', () => {
    const { fiftyTwoWeekHigh: _high, fiftyTwoWeekLow: _low, ...meta } = aaplMeta;
    const quote = quoteOf(extractChartQuote(chartWithMeta(meta)));
    expect(quote).toMatchObject({ price: 244.87, fifty_two_week_high: null, fifty_two_week_low: null, currency: 'USD' });
  });

  it('falls back to shortName when longName is missing', () => {
    const { longName: _long, ...meta } = aaplMeta;
    expect(quoteOf(extractChartQuote(chartWithMeta({ ...meta, shortName: 'Apple' }))).long_name).toBe('Apple');
  });

  it.each([
    ['zero', 0],
    ['negative', -1.5],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
    ['null', null],
  ])('turns a %s regularMarketPrice into a null price', (_label, price) => {
    const quote = quoteOf(extractChartQuote(chartWithMeta({ ...aaplMeta, regularMarketPrice: price })));
    expect(quote.price).toBeNull();
    expect(quote.fifty_two_week_high).toBe(260.1);
  });

  it.each([
    ['zero', 0],
    ['negative', -3],
  ])('turns a %s 52-week high and low into nulls', (_label, value) => {
    const quote = quoteOf(extractChartQuote(chartWithMeta({ ...aaplMeta, fiftyTwoWeekHigh: value, fiftyTwoWeekLow: value })));
    expect([quote.fifty_two_week_high, quote.fifty_two_week_low]).toEqual([null, null]);
    expect(quote.price).toBe(244.87);
  });

  it.each([
    ['NaN', Number.NaN],
    ['null', null],
  ])('gives a null price_time for a %s regularMarketTime', (_label, time) => {
    expect(quoteOf(extractChartQuote(chartWithMeta({ ...aaplMeta, regularMarketTime: time }))).price_time).toBeNull();
  });

  it('reads null currency and names as null', () => {
    const quote = quoteOf(extractChartQuote(decodeJson(CHART, chartWithMeta({ ...aaplMeta, currency: null, longName: null, shortName: null, fullExchangeName: null }))));
    expect(quote).toMatchObject({ currency: null, long_name: null, exchange_name: null, price: 244.87 });
  });
});

describe('the chart schema (CHART, where the bytes arrive)', () => {
  it('passes every recorded chart body', () => {
    for (const file of [
      'chart_AAPL_1d_2020-01-01_to_2020-01-03.json',
      'chart_AAPL_1d_2020-08-31_to_2020-11-07.json',
      'v8_chart_NVDA_2021-02-01_to_2022-01-31_events_split__node-yahoo-finance2.json',
    ]) {
      expect(loadChart(file).chart.result).toHaveLength(1);
    }
  });

  it.each([
    ['null', null, 'chart: expected object, received null'],
    ['a number', 42, 'chart: expected object, received number'],
    ['a JSON string', '<html><body>Will be right back</body></html>', 'chart: expected object, received string'],
    ['an array', [{ meta: { regularMarketPrice: 1 } }], 'chart: expected object, received array'],
    ['{}', {}, 'chart: chart: expected object, received undefined'],
    ['chart: null', { chart: null }, 'chart: chart: expected object, received null'],
    ['chart: a string', { chart: 'x' }, 'chart: chart: expected object, received string'],
    ['result: a string', { chart: { result: 'AAPL' } }, 'chart: chart.result: expected array, received string'],
    ['result: an object instead of an array', { chart: { result: { meta: { regularMarketPrice: 1 } } } }, 'chart: chart.result: expected array, received object'],
    ['a result that is a string', { chart: { result: ['AAPL'] } }, 'chart: chart.result.0: expected object, received string'],
    ['a result that is a number', { chart: { result: [42] } }, 'chart: chart.result.0: expected object, received number'],
    ['a null first result', { chart: { result: [null], error: null } }, 'chart: chart.result.0: expected object, received null'],
    ['a result without meta', { chart: { result: [{ timestamp: [1], indicators: {} }] } }, 'chart: chart.result.0.meta: expected object, received undefined'],
    ['a result whose meta is null', { chart: { result: [{ meta: null }] } }, 'chart: chart.result.0.meta: expected object, received null'],
    ['a result whose meta is a string', { chart: { result: [{ meta: 'AAPL' }] } }, 'chart: chart.result.0.meta: expected object, received string'],
    [
      'a string regularMarketPrice',
      chartWithMeta({ ...aaplMeta, regularMarketPrice: '244.87' as unknown as number }),
      'chart: chart.result.0.meta.regularMarketPrice: expected number, received string',
    ],
    [
      'a string regularMarketTime',
      chartWithMeta({ ...aaplMeta, regularMarketTime: '1739998801' as unknown as number }),
      'chart: chart.result.0.meta.regularMarketTime: expected number, received string',
    ],
    ['a numeric currency', chartWithMeta({ ...aaplMeta, currency: 840 as unknown as string }), 'chart: chart.result.0.meta.currency: expected string, received number'],
    ['an array as exchange name', chartWithMeta({ ...aaplMeta, fullExchangeName: [] as unknown as string }), 'chart: chart.result.0.meta.fullExchangeName: expected string, received array'],
    [
      'a split dated by a string',
      { chart: { result: [{ meta: { regularMarketPrice: 10 }, events: { splits: { bad: { date: 'x', numerator: 4, denominator: 1 } } } }], error: null } },
      'chart: chart.result.0.events.splits.bad.date: expected number, received string',
    ],
    ['an error without a code', { chart: { result: null, error: { description: 'x' } } }, 'chart: chart.error.code: expected string, received undefined'],
  ])('fails %s as malformed, naming the field', (_label, body, message) => {
    expect(malformedMessage(CHART, body)).toBe(message);
  });

  it('fails bytes that are no JSON (an HTML page, an empty body) as invalid_json, which is retried', () => {
    expect(decodeError(CHART, Buffer.from('<html><body>Will be right back</body></html>'))).toMatchObject({ type: 'invalid_json', transient: true });
    expect(decodeError(CHART, Buffer.alloc(0))).toMatchObject({ type: 'invalid_json', transient: true });
  });
});

describe('split events', () => {
  it.each([
    [{ '1': { date: 1598880600, numerator: 4, denominator: 1, splitRatio: '4:1' } }, [{ date: '2020-08-31', ratio: 4, source: 'yahoo' }]],
    [{ '1': { date: 1598880600, numerator: 1, denominator: 10, splitRatio: '1:10' } }, [{ date: '2020-08-31', ratio: 0.1, source: 'yahoo' }]],
    [
      { b: { date: 1598880600, numerator: 4, denominator: 1 }, a: { date: 1403587800, numerator: 7, denominator: 1 } },
      [
        { date: '2014-06-24', ratio: 7, source: 'yahoo' },
        { date: '2020-08-31', ratio: 4, source: 'yahoo' },
      ],
    ],
    [{ zero: { date: 1598880600, numerator: 0, denominator: 1 }, same: { date: 1598880600, numerator: 2, denominator: 2 }, negative: { date: 1598880600, numerator: -4, denominator: 1 } }, []],
  ])('reads events.splits %j as ratios of new shares per old, oldest first', (splits, expected) => {
    const body = { chart: { result: [{ meta: { regularMarketPrice: 10 }, events: { splits } }], error: null } };
    expect(quoteOf(extractChartQuote(decodeJson(CHART, body))).splits).toEqual(expected);
  });
});
