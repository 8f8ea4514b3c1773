import type pg from 'pg';
import type { DailyClose } from '../../extract/spark.js';
import { planStockWrite, storedStockQuery, type StockWrite, type StoredStock } from '../../extract/stock-rows.js';
import type { StockUpdate } from '../../extract/stock-update.js';
import type { EarningsRow, SplitEvent } from '../../extract/types.js';
import { EARNINGS_COLUMNS } from '../stock-store-sql.js';
import { storedMetricInputs, type MetricInputsRow } from '../store.js';
import * as sql from './pg-sql.js';

/*
 * One stock's transaction on one PostgreSQL connection, in at most two round trips: `BEGIN` and
 * the one query for what storedStockQuery names, then planStockWrite's rows and `COMMIT` as one
 * string of statements (the simple protocol runs them in order and skips the rest at the first
 * error; the caller then rolls back). The values go in as literals, escaped by the driver
 * (escapeLiteral), since the simple protocol takes no parameters: round trips, not statements, are
 * what a night of thousands of small transactions waits on.
 */

const NO_RANGE = { high: null, low: null };
/** What an update that reads nothing plans from. */
const NOTHING_STORED: StoredStock = { sharesOutstanding: null, price: null, currency: null, fxRate: null, earnings: [], splits: [], recentCloses: [], olderCloseRange: NO_RANGE };

/** A stock's whole transaction, BEGIN to COMMIT; on an error the transaction is left open for the caller's ROLLBACK. */
export async function saveStock(client: pg.ClientBase, update: StockUpdate, now: string): Promise<void> {
  // Nothing to read (a filings-only save): BEGIN goes with the writes, one round trip in all.
  const stored = await beginAndRead(client, update);
  const begin: Statement[] = stored === null ? [['BEGIN', []]] : [];
  const statements = [...begin, ...planStatements(planStockWrite(stored ?? NOTHING_STORED, update, now), update.symbol, now), ['COMMIT', []] as Statement];
  await client.query(statements.map(([text, values]) => inline(client, text, values)).join(';\n'));
}

type Statement = [text: string, values: unknown[]];

/** `$n` replaced by the n-th value as a literal: NULL, a number, a string (escaped), an ARRAY of those. */
export function inline(client: pg.ClientBase, text: string, values: readonly unknown[]): string {
  const literal = (value: unknown): string => {
    if (value === null || value === undefined) return 'NULL';
    if (Array.isArray(value)) return `ARRAY[${value.map(literal).join(',')}]`;
    if (typeof value === 'number') return Number.isFinite(value) ? `'${String(value)}'` : Number.isNaN(value) ? 'NULL' : `'${value > 0 ? 'Infinity' : '-Infinity'}'`;
    return client.escapeLiteral(typeof value === 'string' ? value : JSON.stringify(value));
  };
  return text.replace(/\$(\d+)/g, (_match, index: string) => literal(values[Number(index) - 1]));
}

/**
 * BEGIN, and the stored state the update needs, in one round trip: each part storedStockQuery
 * names is a subquery answering JSON (float8 prints as the shortest text that reads back to the
 * same double). null: the update needs nothing stored, and nothing was sent.
 */
async function beginAndRead(client: pg.ClientBase, update: StockUpdate): Promise<StoredStock | null> {
  const query = storedStockQuery(update);
  const closes = query.closes;
  const parts: string[] = [];
  if (query.metricInputs) parts.push(`(SELECT row_to_json(q) FROM (${sql.SELECT_METRIC_INPUTS}) q) AS inputs`);
  if (query.earnings) parts.push(`(SELECT COALESCE(json_agg(q ORDER BY q.fiscal_year, q.period), '[]') FROM (${sql.SELECT_EARNINGS}) q) AS earnings`);
  if (query.splits) parts.push(`(SELECT COALESCE(json_agg(q ORDER BY q.date), '[]') FROM (${sql.SELECT_SPLITS_OF}) q) AS splits`);
  if (closes !== null) parts.push(`(SELECT COALESCE(json_agg(q ORDER BY q.date), '[]') FROM (${sql.SELECT_CLOSES_FROM}) q) AS closes`);
  if (closes?.range === true) parts.push(`(SELECT row_to_json(q) FROM (${sql.SELECT_OLDER_CLOSE_RANGE}) q) AS range`);
  const values: unknown[] = [update.symbol, ...(closes === null ? [] : [closes.from]), ...(closes?.range === true ? [closes.newest, closes.windowDays] : [])];
  if (parts.length === 0) return null;
  // Both statements' results come back: the second's row is the stored state.
  const results = (await client.query(`BEGIN; SELECT ${inline(client, parts.join(', '), values)}`)) as unknown as pg.QueryResult[];
  const row = results[1]?.rows[0] as StoredParts;
  return {
    ...storedMetricInputs(row.inputs),
    earnings: row.earnings ?? [],
    splits: row.splits ?? [],
    recentCloses: row.closes ?? [],
    olderCloseRange: row.range ?? NO_RANGE,
  };
}

/** One row of readStored's query: the parts asked for. */
interface StoredParts {
  inputs?: MetricInputsRow | null;
  earnings?: EarningsRow[];
  splits?: SplitEvent[];
  closes?: DailyClose[];
  range?: StoredStock['olderCloseRange'];
}

/** Exactly the rows of the plan: a statement per table, many rows each. */
function planStatements(plan: StockWrite, symbol: string, now: string): Statement[] {
  const out: Statement[] = [[sql.UPSERT_STOCK, [...sql.STOCK_PARAMS.map((key) => plan.stock[key] ?? null), now]]];
  if (plan.earnings !== null) {
    out.push([sql.DELETE_EARNINGS, [symbol]]);
    if (plan.earnings.length > 0) out.push([sql.INSERT_EARNINGS, [symbol, now, ...sql.columnsOf(plan.earnings, ['fiscal_year', 'period', ...EARNINGS_COLUMNS])]]);
  }
  if (plan.readjusted.length > 0) out.push([sql.UPDATE_ADJUSTED, [symbol, now, ...sql.columnsOf(plan.readjusted, ['fiscal_year', 'period', 'eps_diluted_adjusted', 'dividends_per_share'])]]);
  const filings = sql.lastByKey(plan.filings, (row) => row.accession_number);
  if (filings.length > 0) {
    const columns = ['accession_number', 'cik', 'form', 'filing_date', 'report_date', 'acceptance_datetime', 'primary_document', 'primary_doc_description'] as const;
    out.push([sql.UPSERT_FILINGS, [symbol, now, ...sql.columnsOf(filings, columns)]]);
  }
  if (plan.splits !== null) {
    out.push([sql.DELETE_SPLITS, [symbol]]);
    const splits = sql.lastByKey(plan.splits, (split) => split.date);
    if (splits.length > 0) out.push([sql.INSERT_SPLITS, [symbol, ...sql.columnsOf(splits, ['date', 'ratio', 'source'])]]);
  }
  if (plan.closes !== null) {
    const { rescale, closes, pruneBefore } = plan.closes;
    if (rescale !== null) out.push([sql.RESCALE_CLOSES, [symbol, rescale.factor, now, rescale.before]]);
    const rows = sql.lastByKey(closes, (close) => close.date);
    if (rows.length > 0) out.push([sql.UPSERT_CLOSES, [symbol, now, ...sql.columnsOf(rows, ['date', 'close'])]]);
    out.push([sql.PRUNE_CLOSES, [symbol, pruneBefore]]);
  }
  const validators = sql.lastByKey(plan.validators, (row) => row.url);
  if (validators.length > 0) out.push([sql.UPSERT_VALIDATORS, [now, ...sql.columnsOf(validators, ['url', 'etag', 'last_modified'])]]);
  const sections = sql.lastByKey(plan.sections, (row) => `${row.accession}\u0000${row.section}`);
  if (sections.length > 0) out.push([sql.UPSERT_SECTIONS, [now, ...sql.columnsOf(sections, ['accession', 'section', 'content'])]]);
  if (plan.metrics !== null) {
    const metrics = plan.metrics as unknown as Record<string, unknown>;
    out.push([sql.UPSERT_METRICS, [symbol, ...sql.METRICS_PARAMS.map((key) => metrics[key] ?? null), now]]);
  }
  if (plan.fxRate !== null) out.push([sql.UPSERT_FX_RATE, [plan.fxRate.pair, plan.fxRate.date, plan.fxRate.rate, now]]);
  return out;
}
