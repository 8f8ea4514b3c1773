import type pg from 'pg';
import type { DailyClose } from '../../extract/spark.js';
import { planStockWrite, storedStockQuery, type StockWrite, type StoredStock } from '../../extract/stock-rows.js';
import type { StockUpdate } from '../../extract/stock-update.js';
import type { EarningsRow, SplitEvent } from '../../extract/types.js';
import { EARNINGS_COLUMNS } from '../stock-store-sql.js';
import * as sql from './pg-sql.js';

/*
 * One stock's transaction on one PostgreSQL connection: read what storedStockQuery names, hand it
 * to planStockWrite, write exactly the rows it returns; the caller wraps it in BEGIN … COMMIT.
 */

const NO_RANGE = { high: null, low: null };

/** Reads the stored state, plans, writes: the whole of a stock's save but BEGIN and COMMIT. */
export async function writeStock(client: pg.ClientBase, update: StockUpdate, now: string): Promise<void> {
  const plan = planStockWrite(await readStored(client, update), update, now);
  await writePlan(client, plan, update.symbol, now);
}

/**
 * The stored state the update needs, in one round trip: each part storedStockQuery names is a
 * subquery answering JSON (float8 prints as the shortest text that reads back to the same double).
 */
async function readStored(client: pg.ClientBase, update: StockUpdate): Promise<StoredStock> {
  const query = storedStockQuery(update);
  const closes = query.closes;
  const parts: string[] = [];
  if (query.metricInputs) parts.push(`(SELECT row_to_json(q) FROM (${sql.SELECT_METRIC_INPUTS}) q) AS inputs`);
  if (query.earnings) parts.push(`(SELECT COALESCE(json_agg(q ORDER BY q.fiscal_year, q.period), '[]') FROM (${sql.SELECT_EARNINGS}) q) AS earnings`);
  if (query.splits) parts.push(`(SELECT COALESCE(json_agg(q ORDER BY q.date), '[]') FROM (${sql.SELECT_SPLITS_OF}) q) AS splits`);
  if (closes !== null) parts.push(`(SELECT COALESCE(json_agg(q ORDER BY q.date), '[]') FROM (${sql.SELECT_CLOSES_FROM}) q) AS closes`);
  if (closes?.range === true) parts.push(`(SELECT row_to_json(q) FROM (${sql.SELECT_OLDER_CLOSE_RANGE}) q) AS range`);
  const values: unknown[] = [update.symbol, ...(closes === null ? [] : [closes.from]), ...(closes?.range === true ? [closes.newest, closes.windowDays] : [])];
  const row = (parts.length === 0 ? {} : (await client.query(`SELECT ${parts.join(', ')}`, values)).rows[0]) as StoredParts;
  return {
    sharesOutstanding: row.inputs?.shares_outstanding ?? null,
    price: row.inputs?.price ?? null,
    currency: row.inputs?.currency ?? null,
    earnings: row.earnings ?? [],
    splits: row.splits ?? [],
    recentCloses: row.closes ?? [],
    olderCloseRange: row.range ?? NO_RANGE,
  };
}

/** One row of readStored's query: the parts asked for. */
interface StoredParts {
  inputs?: { shares_outstanding: number | null; price: number | null; currency: string | null } | null;
  earnings?: EarningsRow[];
  splits?: SplitEvent[];
  closes?: DailyClose[];
  range?: StoredStock['olderCloseRange'];
}

/** Writes exactly the rows of the plan: a statement per table, many rows each. */
async function writePlan(client: pg.ClientBase, plan: StockWrite, symbol: string, now: string): Promise<void> {
  await client.query(sql.UPSERT_STOCK, [...sql.STOCK_PARAMS.map((key) => plan.stock[key] ?? null), now]);
  if (plan.earnings !== null) {
    await client.query(sql.DELETE_EARNINGS, [symbol]);
    if (plan.earnings.length > 0) await client.query(sql.INSERT_EARNINGS, [symbol, now, ...sql.columnsOf(plan.earnings, ['fiscal_year', 'period', ...EARNINGS_COLUMNS])]);
  }
  if (plan.readjusted.length > 0) {
    await client.query(sql.UPDATE_ADJUSTED, [symbol, now, ...sql.columnsOf(plan.readjusted, ['fiscal_year', 'period', 'eps_diluted_adjusted', 'dividends_per_share'])]);
  }
  const filings = sql.lastByKey(plan.filings, (row) => row.accession_number);
  if (filings.length > 0) {
    const columns = ['accession_number', 'cik', 'form', 'filing_date', 'report_date', 'acceptance_datetime', 'primary_document', 'primary_doc_description'] as const;
    await client.query(sql.UPSERT_FILINGS, [symbol, now, ...sql.columnsOf(filings, columns)]);
  }
  if (plan.splits !== null) {
    await client.query(sql.DELETE_SPLITS, [symbol]);
    const splits = sql.lastByKey(plan.splits, (split) => split.date);
    if (splits.length > 0) await client.query(sql.INSERT_SPLITS, [symbol, ...sql.columnsOf(splits, ['date', 'ratio', 'source'])]);
  }
  if (plan.closes !== null) {
    const { rescale, closes, pruneBefore } = plan.closes;
    if (rescale !== null) await client.query(sql.RESCALE_CLOSES, [symbol, rescale.factor, now, rescale.before]);
    const rows = sql.lastByKey(closes, (close) => close.date);
    if (rows.length > 0) await client.query(sql.UPSERT_CLOSES, [symbol, now, ...sql.columnsOf(rows, ['date', 'close'])]);
    await client.query(sql.PRUNE_CLOSES, [symbol, pruneBefore]);
  }
  const validators = sql.lastByKey(plan.validators, (row) => row.url);
  if (validators.length > 0) await client.query(sql.UPSERT_VALIDATORS, [now, ...sql.columnsOf(validators, ['url', 'etag', 'last_modified'])]);
  const sections = sql.lastByKey(plan.sections, (row) => `${row.accession}\u0000${row.section}`);
  if (sections.length > 0) await client.query(sql.UPSERT_SECTIONS, [now, ...sql.columnsOf(sections, ['accession', 'section', 'content'])]);
  if (plan.metrics !== null) {
    const metrics = plan.metrics as unknown as Record<string, unknown>;
    await client.query(sql.UPSERT_METRICS, [symbol, ...sql.METRICS_PARAMS.map((key) => metrics[key] ?? null), now]);
  }
}
