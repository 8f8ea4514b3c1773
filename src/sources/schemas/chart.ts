import { z } from 'zod';
import { jsonKind } from '../response-kind.js';

/*
 * Yahoo's v8 chart (`/v8/finance/chart/AAPL?range=max&interval=3mo&events=split`), as
 * node-yahoo-finance2's chart module reads it, declaring only what extraction uses. A symbol Yahoo
 * has nothing for comes with `result: null` and `chart.error`. Any `meta` field may be missing or
 * null (new listings, funds): that is a null in the quote, not a failure; a field of the wrong
 * type is.
 */

const number = z.number().nullish();
const text = z.string().nullish();

const META = z.looseObject({
  regularMarketPrice: number,
  regularMarketTime: number,
  fiftyTwoWeekHigh: number,
  fiftyTwoWeekLow: number,
  currency: text,
  longName: text,
  shortName: text,
  fullExchangeName: text,
});

/** `events.splits` keyed by timestamp: `{"1598880600": {date, numerator: 4, denominator: 1, splitRatio: "4:1"}}`. */
const SPLIT = z.looseObject({ date: z.number(), numerator: z.number(), denominator: z.number() });

const RESULT = z.looseObject({
  meta: META,
  events: z.looseObject({ splits: z.record(z.string(), SPLIT).optional() }).optional(),
});

const CHART_SCHEMA = z.looseObject({
  chart: z.looseObject({
    result: z.array(RESULT).nullish(),
    error: z.looseObject({ code: z.string(), description: z.string().nullish() }).nullish(),
  }),
});

/** A v8 chart body. */
export type ChartBody = z.output<typeof CHART_SCHEMA>;

/** Yahoo's chart of one symbol: price, 52-week range, split events. */
export const CHART = jsonKind('chart', CHART_SCHEMA);
