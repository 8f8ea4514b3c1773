import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/db/migrations.js';
import { openDatabase } from '../../src/db/open-database.js';
import type { StockUpdate } from '../../src/db/stock-store.js';
import { extractCompanyFacts } from '../../src/extract/companyfacts.js';
import type { QuoteRow } from '../../src/extract/types.js';
import { loadFacts } from '../helpers/companyfacts.js';
import { bothStores, type Opened } from '../helpers/stores.js';
import { tempDirs } from '../helpers/temp-dirs.js';

/*
 * Issue 15 in the database: schema versions 5 (what a figure is: revenue concept, reporting
 * currency, shares outstanding source, metrics note) and 6 (every company read again), and the
 * store writing those columns.
 */

const tempDir = tempDirs();
const NOW = '2026-11-25T07:00:00.000Z';

const quote = (price: number): QuoteRow => ({ price, fifty_two_week_high: null, fifty_two_week_low: null, currency: 'USD', price_time: NOW, long_name: null, exchange_name: 'NYSE', splits: [] });

function update(symbol: string, cik: string, over: Partial<StockUpdate> = {}): StockUpdate {
  const facts = extractCompanyFacts(loadFacts(cik));
  return { symbol, cik: Number(cik), name: null, exchange: 'NYSE', fundamentalsRefreshed: true, earnings: facts.earnings, sharesOutstanding: facts.sharesOutstanding, splits: facts.splits, ...over };
}

describe('migrations 5 and 6: an existing version-4 database', () => {
  function versionFour(): string {
    const file = path.join(tempDir('issue15-v4-'), 'stocks.db');
    const v4 = new Database(file);
    for (const sql of MIGRATIONS.slice(0, 4)) v4.exec(sql);
    v4.pragma('user_version = 4');
    v4.prepare(
      "INSERT INTO stocks (symbol, cik, shares_outstanding, shares_outstanding_date, fundamentals_updated_at, created_at, updated_at) VALUES ('TSM', 1046179, 25932733242, '2024-12-31', ?, ?, ?)",
    ).run(NOW, NOW, NOW);
    v4.prepare("INSERT INTO stocks (symbol, fundamentals_updated_at, created_at, updated_at) VALUES ('NEW', NULL, ?, ?)").run(NOW, NOW);
    v4.prepare("INSERT INTO earnings_history (symbol, fiscal_year, period, revenue, period_end, updated_at) VALUES ('TSM', 2024, 'FY', 2894307700000, '2024-12-31', ?)").run(NOW);
    const validator = v4.prepare('INSERT INTO http_validators (url, etag, updated_at) VALUES (?, \'W/"1"\', ?)');
    validator.run('https://data.sec.gov/api/xbrl/companyfacts/CIK0001046179.json', NOW);
    validator.run('https://data.sec.gov/submissions/CIK0001046179.json', NOW);
    v4.close();
    return file;
  }

  it('adds the columns, keeps the rows, marks the shares stored so far as the cover page’s', () => {
    const db = openDatabase(versionFour(), { busyTimeoutMs: 1000 });
    expect(db.pragma('user_version', { simple: true })).toBe(7);
    expect(db.prepare('SELECT fiscal_year, revenue, revenue_concept, reporting_currency FROM earnings_history').all()).toEqual([
      { fiscal_year: 2024, revenue: 2_894_307_700_000, revenue_concept: null, reporting_currency: null },
    ]);
    expect(db.prepare('SELECT symbol, shares_outstanding_source FROM stocks ORDER BY symbol').all()).toEqual([
      { symbol: 'NEW', shares_outstanding_source: null },
      { symbol: 'TSM', shares_outstanding_source: 'cover' },
    ]);
    expect(db.prepare("SELECT name FROM pragma_table_info('stock_metrics') WHERE name = 'metrics_note'").all()).toHaveLength(1);
    db.close();
  });

  it('has every company read again: fundamentals due, no companyfacts validator left to answer 304', () => {
    const db = openDatabase(versionFour(), { busyTimeoutMs: 1000 });
    expect(db.prepare('SELECT fundamentals_updated_at FROM stocks').all()).toEqual([{ fundamentals_updated_at: null }, { fundamentals_updated_at: null }]);
    expect(db.prepare('SELECT url FROM http_validators').all()).toEqual([{ url: 'https://data.sec.gov/submissions/CIK0001046179.json' }]);
    db.close();
  });
});

bothStores('the store writes what a figure is', (open) => {
  const metricsOf = async (at: Opened, symbol: string) =>
    (await at.rows('SELECT market_cap, pe_ratio, ttm_eps, dividend_yield, metrics_note, currency FROM stock_metrics WHERE symbol = ?', symbol))[0];
  const stockOf = async (at: Opened, symbol: string) => (await at.rows('SELECT shares_outstanding, shares_outstanding_date, shares_outstanding_source FROM stocks WHERE symbol = ?', symbol))[0];

  it('TSMC: rows in TWD with their revenue concept; quoted in USD, the ratios NULL with the note', async () => {
    const at = await open();
    await at.store.save(update('TSM', '0001046179', { quote: quote(190) }), NOW);
    expect(await at.rows("SELECT revenue, revenue_concept, reporting_currency FROM earnings_history WHERE symbol = 'TSM' AND fiscal_year = 2024 AND period = 'FY'")).toEqual([
      {
        revenue: 2_894_307_700_000, // 20-F 0001193125-25-083423: NT$2,894,307.7 million
        revenue_concept: 'ifrs-full:Revenue',
        reporting_currency: 'TWD',
      },
    ]);
    expect(await stockOf(at, 'TSM')).toEqual({ shares_outstanding: 25_932_733_242, shares_outstanding_date: '2024-12-31', shares_outstanding_source: 'cover' });
    const blocked = { market_cap: null, pe_ratio: null, ttm_eps: 44.67, dividend_yield: null, currency: 'USD' };
    const note =
      'shares per ADS unknown (20-F filer): set adr_ratios.TSM: market_cap, pe_ratio, peg_ratio and dividend_yield not computed; ' +
      'reported in TWD, quoted in USD, no TWDUSD=X rate fetched: pe_ratio, peg_ratio and dividend_yield not computed';
    const laterNote = note.replace('rate fetched', 'rate stored with the price');
    expect(await metricsOf(at, 'TSM')).toEqual({ ...blocked, metrics_note: note });
    // A later night with the filings only: the stored price's currency still counts.
    await at.store.save(update('TSM', '0001046179'), '2026-11-26T07:00:00.000Z');
    expect(await metricsOf(at, 'TSM')).toEqual({ ...blocked, metrics_note: laterNote });
  });

  it('Alphabet: shares outstanding from the balance sheet, and a market cap from them', async () => {
    const at = await open();
    await at.store.save(update('GOOGL', '0001652044', { quote: quote(300) }), NOW);
    // 10-Q 0001652044-26-000048: 12,116 million shares at 2026-03-31, all classes.
    expect(await stockOf(at, 'GOOGL')).toEqual({ shares_outstanding: 12_116_000_000, shares_outstanding_date: '2026-03-31', shares_outstanding_source: 'balance_sheet' });
    expect(await metricsOf(at, 'GOOGL')).toMatchObject({ market_cap: 3_634_800_000_000, metrics_note: null });
  });
});
