import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parseConfig } from '../src/config/load-config.js';
import { openStore } from '../src/db/open-store.js';
import type { Store } from '../src/db/store.js';
import type { DailyClose } from '../src/extract/spark.js';
import type { EarningsRow, PeriodName, QuoteRow, SplitEvent } from '../src/extract/types.js';
import type { UniverseEntry } from '../src/extract/universe.js';
import { buildUpdate } from '../src/runner/process-stock.js';

/**
 * `node dist-dev/bench/store-save.js [--stocks 7400] [--rounds 1] [--database postgres://…]`: the
 * throughput of one stock's transaction (buildUpdate + Store.save) on a real SQLite file, or on a
 * throwaway database beside the PostgreSQL URL given (`--in-flight` saves at once), without the network. Per
 * stock: a fundamentals save (40 earnings rows filed across a 4:1 split, shares outstanding), a
 * first price save (250 daily closes and a quote), then a night's save (5 new closes and a quote).
 */
const { values: args } = parseArgs({
  options: {
    stocks: { type: 'string', default: '7400' },
    rounds: { type: 'string', default: '1' },
    database: { type: 'string' },
    'in-flight': { type: 'string', default: '16' },
    pool: { type: 'string', default: '4' },
  },
});
const STOCKS = Number(args.stocks);
const DAY_MS = 86_400_000;
const SPLIT: SplitEvent = { date: '2020-08-31', ratio: 4, source: 'restatement' };

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Ten fiscal years of FY and Q1..Q3 rows (40), the older ones filed before the split. */
function earnings(seed: number): EarningsRow[] {
  const rows: EarningsRow[] = [];
  for (let year = 2016; year < 2026; year += 1) {
    for (const [index, period] of (['Q1', 'Q2', 'Q3', 'FY'] as PeriodName[]).entries()) {
      const end = `${year}-${String(3 * (index + 1)).padStart(2, '0')}-28`;
      const eps = 1 + ((seed + year + index) % 7) / 10;
      rows.push({
        fiscal_year: year,
        period,
        eps_diluted: eps,
        eps_diluted_adjusted: null,
        revenue: 1e9 * eps,
        revenue_concept: 'us-gaap:Revenues',
        reporting_currency: 'USD',
        net_income: 1e8 * eps,
        operating_cash_flow: 2e8,
        dividends_per_share_as_filed: 0.2,
        dividends_per_share: null,
        shares_diluted: 1e8,
        total_liabilities: 5e9,
        stockholders_equity: 4e9,
        period_start: `${year}-01-01`,
        period_end: end,
        form: period === 'FY' ? '10-K' : '10-Q',
        filed: isoDay(Date.parse(end) + 40 * DAY_MS),
        accession_number: `0000000000-${year}-${seed}${index}`,
      });
    }
  }
  return rows;
}

/** `count` daily closes ending `lastDay` (ms), weekends skipped. */
function closes(seed: number, lastDay: number, count: number): DailyClose[] {
  const out: DailyClose[] = [];
  for (let day = lastDay; out.length < count; day -= DAY_MS) {
    const weekday = new Date(day).getUTCDay();
    if (weekday !== 0 && weekday !== 6) out.push({ date: isoDay(day), close: 100 + ((seed * 7 + out.length * 13) % 50) });
  }
  return out.reverse();
}

const quote = (price: number): QuoteRow => ({
  price,
  fifty_two_week_high: null,
  fifty_two_week_low: null,
  currency: 'USD',
  price_time: null,
  long_name: null,
  exchange_name: null,
  splits: [],
});

/** Saves every stock, `in-flight` at a time (SQLite's saves are done when called: one at a time whatever the number). */
async function timed(label: string, run: (index: number) => Promise<void>): Promise<number> {
  const [started, cpu] = [performance.now(), process.cpuUsage()];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < STOCKS; index = next++) await run(index);
  };
  await Promise.all(Array.from({ length: Number(args['in-flight']) }, worker));
  const seconds = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  const rate = Math.round(STOCKS / seconds).toLocaleString('en-US');
  console.log(`${label.padEnd(34)} ${seconds.toFixed(2).padStart(7)} s  ${rate.padStart(7)} saves/s  CPU ${((user + system) / 1e6).toFixed(2).padStart(6)} s`);
  return seconds;
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function openBenchStore(dir: string): Promise<{ store: Store; drop: () => Promise<void> }> {
  const server = args.database;
  const database = path.join(dir, 'stocks.db');
  if (server === undefined) {
    const parsed = parseConfig({ database: { path: database } }, path.join(dir, 'config.json'));
    if (!parsed.ok) throw new Error(parsed.issues.join('; '));
    return { store: await openStore(parsed.config.database), drop: () => Promise.resolve() };
  }
  const name = `br_save_${process.pid}_${Date.now()}`;
  await adminQuery(server, `CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const parsed = parseConfig({ database: { url: url.toString(), pool_size: Number(args.pool) } }, path.join(dir, 'config.json'));
  if (!parsed.ok) throw new Error(parsed.issues.join('; '));
  return { store: await openStore(parsed.config.database), drop: () => adminQuery(server, `DROP DATABASE ${name} WITH (FORCE)`) };
}

async function round(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'store-save-bench-'));
  const { store, drop } = await openBenchStore(dir);
  const entry = (index: number): UniverseEntry => ({ symbol: `S${index}`, cik: index + 1, name: `Stock ${index}`, exchange: 'Nasdaq' });
  const firstDay = Date.parse('2026-11-20');
  try {
    await timed('fundamentals (40 earnings rows)', (i) => {
      const facts = { earnings: earnings(i), sharesOutstanding: { value: 1e8, date: '2026-10-01', source: 'cover' as const }, splits: [SPLIT] };
      return store.save(buildUpdate(entry(i), { facts, fundamentalsRefreshed: true }, undefined, true), '2026-11-21T07:00:00Z');
    });
    await timed('first prices (250 closes + quote)', (i) => {
      return store.save(buildUpdate(entry(i), undefined, { quote: quote(120), closes: closes(i, firstDay, 250) }, false, [SPLIT]), '2026-11-21T07:00:00Z');
    });
    await timed('night (5 new closes + quote)', (i) => {
      return store.save(buildUpdate(entry(i), undefined, { quote: quote(121), closes: closes(i + 1, firstDay + 7 * DAY_MS, 5) }, false, [SPLIT]), '2026-11-28T07:00:00Z');
    });
  } finally {
    await store.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (let r = 0; r < Number(args.rounds); r += 1) await round();
