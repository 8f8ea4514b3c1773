import { z } from 'zod';
import { jsonKind } from '../response-kind.js';

/*
 * Yahoo's v8 spark (`/v8/finance/spark?symbols=A,B&range=1y&interval=1d`): each requested symbol
 * keyed by itself, `{"AAPL": {symbol, timestamp: [...], close: [...], ...}}`. A delisted symbol
 * comes back with `timestamp: []` and `close: null`, and a close may be null inside the array (a
 * day without a trade). The older v7 envelope (`{"spark": {"result": [...]}}`) is no v8 body: its
 * "spark" entry has no timestamps, so it fails here rather than passing for a symbol.
 */

const SERIES = z.looseObject({
  symbol: z.string().optional(),
  /** Unix seconds. */
  timestamp: z.array(z.number()),
  close: z.array(z.number().nullable()).nullable(),
});

const SPARK_SCHEMA = z.record(z.string(), SERIES);

/** A v8 spark body: the points of each symbol asked for. */
export type SparkBody = z.output<typeof SPARK_SCHEMA>;

/** Yahoo's batched daily closes. */
export const SPARK = jsonKind('spark', SPARK_SCHEMA);
