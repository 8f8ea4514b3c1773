import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { extractCompanyFacts } from '../../src/extract/companyfacts.js';
import type { DailyClose } from '../../src/extract/spark.js';
import { applySplits, roundPerShare } from '../../src/extract/split-adjust.js';
import type { QuoteRow, SplitEvent } from '../../src/extract/types.js';
import { MIGRATIONS } from '../../src/db/migrations.js';
import { openDatabase, SCHEMA_VERSION, type Db } from '../../src/db/open-database.js';
import { StockStore, type StockUpdate } from '../../src/db/stock-store.js';
import { loadFacts } from '../helpers/companyfacts.js';
import { bothStores, type Opened } from '../helpers/stores.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();

function openSqlite(): { db: Db; store: StockStore } {
  const db = openDatabase(path.join(tempDir('price-history-'), 'stocks.db'), { busyTimeoutMs: 1000 });
  return { db, store: new StockStore(db) };
}

const base = (symbol: string): StockUpdate => ({ symbol, cik: null, name: `${symbol} Inc.`, exchange: 'Nasdaq', fundamentalsRefreshed: false });

/** A chart-like quote whose 52-week range is far from any stored close, to tell the two apart. */
const chartQuote = (price: number, high = 999, low = 1): QuoteRow => ({
  price,
  fifty_two_week_high: high,
  fifty_two_week_low: low,
  currency: 'USD',
  price_time: '2026-11-24T21:00:00.000Z',
  long_name: null,
  exchange_name: 'NasdaqGS',
  splits: [],
});

const closes = (entries: Record<string, number>): DailyClose[] => Object.entries(entries).map(([date, close]) => ({ date, close }));

function history(at: Opened, symbol: string): Promise<{ date: string; close: number; updated_at: string }[]> {
  return at.rows('SELECT date, close, updated_at FROM price_history WHERE symbol = ? ORDER BY date', symbol);
}

async function range(at: Opened, symbol: string): Promise<{ price: number | null; fifty_two_week_high: number | null; fifty_two_week_low: number | null } | undefined> {
  return (
    await at.rows<{ price: number | null; fifty_two_week_high: number | null; fifty_two_week_low: number | null }>(
      'SELECT price, fifty_two_week_high, fifty_two_week_low FROM stock_metrics WHERE symbol = ?',
      symbol,
    )
  )[0];
}

describe('migration 2: price_history', () => {
  it('upgrades a version-1 database: price_history appears and the stored rows stay', () => {
    const file = path.join(tempDir('price-history-v1-'), 'stocks.db');
    const v1 = new Database(file);
    v1.exec(MIGRATIONS[0] as string);
    v1.pragma('user_version = 1');
    v1.prepare("INSERT INTO stocks (symbol, name, created_at, updated_at) VALUES ('AAPL', 'Apple Inc.', '2026-11-01', '2026-11-01')").run();
    v1.prepare("INSERT INTO stock_metrics (symbol, price, fifty_two_week_high, updated_at) VALUES ('AAPL', 230.5, 260.1, '2026-11-01')").run();
    v1.close();

    const db = openDatabase(file, { busyTimeoutMs: 1000 });
    expect(SCHEMA_VERSION).toBe(7);
    expect(db.pragma('user_version', { simple: true })).toBe(7);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'price_history'").get()).toEqual({ name: 'price_history' });
    expect(db.prepare('SELECT symbol, name FROM stocks').all()).toEqual([{ symbol: 'AAPL', name: 'Apple Inc.' }]);
    expect(db.prepare('SELECT price, fifty_two_week_high, fifty_two_week_low FROM stock_metrics WHERE symbol = ?').get('AAPL')).toEqual({
      price: 230.5,
      fifty_two_week_high: 260.1,
      fifty_two_week_low: null,
    });
    // The upgraded schema works: closes go in, and the foreign key holds.
    new StockStore(db).save({ ...base('AAPL'), closes: closes({ '2026-11-24': 231 }) }, '2026-11-25T07:00:00Z');
    expect(db.prepare("SELECT close FROM price_history WHERE symbol = 'AAPL'").pluck().all()).toEqual([231]);
    expect(() => db.prepare("INSERT INTO price_history VALUES ('NOPE', '2026-11-24', 1, 'x')").run()).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it("deletes a stock's closes with the stock (ON DELETE CASCADE)", () => {
    const { db, store } = openSqlite();
    store.save({ ...base('AAPL'), closes: closes({ '2026-11-24': 231 }) }, '2026-11-25T07:00:00Z');
    db.prepare("DELETE FROM stocks WHERE symbol = 'AAPL'").run();
    expect(db.prepare("SELECT * FROM price_history WHERE symbol = 'AAPL'").all()).toEqual([]);
  });
});

/** What a store does with closes, the 52-week range and splits: the same suite on each store. */
function storeSuite(open: () => Promise<Opened>): void {
  describe('closes', async () => {
    it('upserts closes: a new date is added, a stored date gets the new close and time', async () => {
      const at = await open();
      const { store } = at;
      await store.save({ ...base('AAPL'), closes: closes({ '2026-11-20': 10, '2026-11-23': 11 }) }, '2026-11-24T07:00:00Z');
      await store.save({ ...base('AAPL'), closes: closes({ '2026-11-23': 12, '2026-11-24': 13 }) }, '2026-11-25T07:00:00Z');
      expect(await history(at, 'AAPL')).toEqual([
        { date: '2026-11-20', close: 10, updated_at: '2026-11-24T07:00:00Z' },
        { date: '2026-11-23', close: 12, updated_at: '2026-11-25T07:00:00Z' },
        { date: '2026-11-24', close: 13, updated_at: '2026-11-25T07:00:00Z' },
      ]);
    });

    it("prunes a symbol's closes more than 400 days before its newest stored one, and no other symbol's", async () => {
      const at = await open();
      const { store } = at;
      await store.save({ ...base('AAPL'), closes: closes({ '2024-12-31': 1, '2025-01-01': 2, '2025-06-02': 3 }) }, '2025-06-03T07:00:00Z');
      await store.save({ ...base('MSFT'), closes: closes({ '2024-12-31': 4 }) }, '2025-06-03T07:00:00Z');
      expect(await history(at, 'AAPL')).toHaveLength(3);
      // 2026-02-05 minus 400 days is 2025-01-01: that day stays, the one before goes.
      await store.save({ ...base('AAPL'), closes: closes({ '2026-02-05': 5 }) }, '2026-02-06T07:00:00Z');
      expect((await history(at, 'AAPL')).map((row) => row.date)).toEqual(['2025-01-01', '2025-06-02', '2026-02-05']);
      expect((await history(at, 'MSFT')).map((row) => row.date)).toEqual(['2024-12-31']);
    });

    it('loadLatestCloseDates gives the newest stored date of each symbol with closes', async () => {
      const { store } = await open();
      await store.save({ ...base('AAPL'), closes: closes({ '2026-11-24': 1, '2026-11-20': 2 }) }, '2026-11-25T07:00:00Z');
      await store.save({ ...base('MSFT'), closes: closes({ '2026-10-01': 3 }) }, '2026-11-25T07:00:00Z');
      await store.save({ ...base('NVDA'), quote: chartQuote(100) }, '2026-11-25T07:00:00Z');
      expect(await store.loadLatestCloseDates()).toEqual(
        new Map([
          ['AAPL', '2026-11-24'],
          ['MSFT', '2026-10-01'],
        ]),
      );
    });
  });

  describe('52-week range', async () => {
    it("uses the quote's (chart meta) range for a stock with no stored closes", async () => {
      const at = await open();
      const { store } = at;
      await store.save({ ...base('AAPL'), quote: chartQuote(100, 120, 80) }, '2026-11-25T07:00:00Z');
      expect(await range(at, 'AAPL')).toEqual({ price: 100, fifty_two_week_high: 120, fifty_two_week_low: 80 });
    });

    it("takes the closing high and low of the 365 days ending at the newest stored close, over the quote's range", async () => {
      const at = await open();
      const { store } = at;
      // 2025-11-24 is 365 days before 2026-11-24: outside the window; 2025-11-25 is its first day.
      const year = closes({ '2025-06-02': 900, '2025-11-24': 500, '2025-11-25': 50, '2026-06-01': 150, '2026-11-24': 120 });
      await store.save({ ...base('AAPL'), closes: year, quote: chartQuote(120) }, '2026-11-25T07:00:00Z');
      expect(await range(at, 'AAPL')).toEqual({ price: 120, fifty_two_week_high: 150, fifty_two_week_low: 50 });
      // A later night with only the last days: the range still covers the stored year, and moves with it.
      await store.save({ ...base('AAPL'), closes: closes({ '2026-11-25': 160 }), quote: chartQuote(160) }, '2026-11-26T07:00:00Z');
      expect(await range(at, 'AAPL')).toEqual({ price: 160, fifty_two_week_high: 160, fifty_two_week_low: 120 });
    });

    it("a quote without closes (the chart endpoint's, when spark stops answering) keeps its own range, not the stale closes'", async () => {
      const at = await open();
      const { store } = at;
      await store.save({ ...base('AAPL'), closes: closes({ '2026-10-01': 100, '2026-10-02': 110 }), quote: chartQuote(110) }, '2026-10-03T07:00:00Z');
      await store.save({ ...base('AAPL'), quote: chartQuote(140, 150, 90) }, '2026-11-25T07:00:00Z');
      expect(await range(at, 'AAPL')).toEqual({ price: 140, fifty_two_week_high: 150, fifty_two_week_low: 90 });
    });

    it('puts the stored closes on the new basis when the new ones moved by a split factor', async () => {
      const at = await open();
      const { store } = at;
      await store.save({ ...base('AAPL'), closes: closes({ '2026-11-18': 400, '2026-11-19': 404, '2026-11-20': 408 }), quote: chartQuote(408) }, '2026-11-21T07:00:00Z');
      // A 4:1 split: Yahoo's closes from the 19th on, all on the new basis.
      const after = closes({ '2026-11-19': 101, '2026-11-20': 102, '2026-11-23': 103 });
      expect(await store.closeShift('AAPL', after)).toBeCloseTo(0.25, 6);
      // An ordinary day's move is not a split.
      expect(await store.closeShift('AAPL', closes({ '2026-11-20': 450 }))).toBeNull();
      await store.save({ ...base('AAPL'), closes: after, quote: chartQuote(103) }, '2026-11-24T07:00:00Z');
      expect((await history(at, 'AAPL')).map((row) => [row.date, row.close])).toEqual([
        ['2026-11-18', 100],
        ['2026-11-19', 101],
        ['2026-11-20', 102],
        ['2026-11-23', 103],
      ]);
      expect(await range(at, 'AAPL')).toEqual({ price: 103, fifty_two_week_high: 103, fifty_two_week_low: 100 });
    });

    it('leaves the stored range alone on an update without a quote', async () => {
      const at = await open();
      const { store } = at;
      await store.save({ ...base('AAPL'), closes: closes({ '2026-11-23': 100, '2026-11-24': 110 }), quote: chartQuote(110) }, '2026-11-25T07:00:00Z');
      await store.save({ ...base('AAPL'), closes: closes({ '2026-11-25': 300 }) }, '2026-11-26T07:00:00Z');
      expect(await range(at, 'AAPL')).toEqual({ price: 110, fifty_two_week_high: 110, fifty_two_week_low: 100 });
    });

    it('the range planned from the stored aggregate and the new closes is the closing high and low of the table after the write', async () => {
      const at = await open();
      const { store } = at;
      const windowStart =
        at.dialect === 'sqlite'
          ? "date((SELECT MAX(date) FROM price_history WHERE symbol = 'AAPL'), '-365 days')"
          : "to_char((SELECT MAX(date) FROM price_history WHERE symbol = 'AAPL')::date - 365, 'YYYY-MM-DD')";
      const tableRange = `SELECT MAX(close) AS high, MIN(close) AS low FROM price_history WHERE symbol = 'AAPL' AND date > ${windowStart}`;
      let seed = 7;
      const next = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
      const day = (offset: number): string => new Date(Date.parse('2025-06-01') + offset * 86_400_000).toISOString().slice(0, 10);
      let level = 100;
      for (let night = 0; night < 40; night += 1) {
        // Windows of 1 to 60 days ending anywhere in two years, now and then out of order or split by 4 or 1/3.
        const end = Math.floor(next() * 730);
        const days = Array.from({ length: 1 + Math.floor(next() * 60) }, (_, i) => end - i).filter((offset) => offset >= 0);
        if (night % 9 === 4) level *= 0.25;
        if (night % 13 === 6) level *= 3;
        const update = days.map((offset) => ({ date: day(offset), close: Math.round(level * (0.9 + next() * 0.2) * 100) / 100 }));
        await store.save({ ...base('AAPL'), closes: night % 3 === 0 ? update : update.reverse(), quote: chartQuote(level) }, '2027-06-01T07:00:00Z');
        const [{ high, low }] = (await at.rows<{ high: number; low: number }>(tableRange)) as [{ high: number; low: number }];
        expect(await range(at, 'AAPL'), `night ${night}`).toEqual({ price: level, fifty_two_week_high: high, fifty_two_week_low: low });
      }
    });
  });

  describe('splits', async () => {
    const amazonSplit: SplitEvent = { date: '2022-06-06', ratio: 20, source: 'yahoo' };
    // Amazon's facts end 2022-04, before its 20:1 split: nothing to infer, everything as filed.
    const amazon = extractCompanyFacts(loadFacts('0001018724'));

    async function dump(at: Opened): Promise<{ earnings: unknown[]; metrics: unknown; splits: unknown[] }> {
      return {
        earnings: (await at.rows<object>('SELECT * FROM earnings_history ORDER BY fiscal_year, period')).map((row) => ({ ...row, id: undefined, updated_at: undefined })),
        metrics: { ...(await at.rows<object>('SELECT * FROM stock_metrics'))[0], updated_at: undefined },
        splits: await at.rows('SELECT * FROM stock_splits ORDER BY date'),
      };
    }

    it('re-adjusts stored earnings when splits arrive without earnings, as storing them together would', async () => {
      expect(amazon.splits).toEqual([]);
      const fundamentals = { ...base('AMZN'), sharesOutstanding: amazon.sharesOutstanding, quote: chartQuote(230) };

      const later = await open();
      await later.store.save({ ...fundamentals, earnings: amazon.earnings, splits: [] }, '2026-11-24T07:00:00Z');
      const before = await dump(later);
      await later.store.save({ ...base('AMZN'), splits: [amazonSplit] }, '2026-11-25T07:00:00Z');

      const together = await open();
      await together.store.save({ ...fundamentals, earnings: applySplits(amazon.earnings, [amazonSplit]), splits: [amazonSplit] }, '2026-11-24T07:00:00Z');

      expect(await dump(later)).toEqual(await dump(together));
      // Not vacuous: FY2021 EPS went from as filed (64.81) to a twentieth, and the P/E moved with it.
      const fy2021 = await later.rows("SELECT eps_diluted, eps_diluted_adjusted FROM earnings_history WHERE fiscal_year = 2021 AND period = 'FY'");
      expect(fy2021).toEqual([{ eps_diluted: 64.81, eps_diluted_adjusted: roundPerShare(64.81 / 20) }]);
      expect(((await dump(later)).metrics as { pe_ratio: number }).pe_ratio).not.toBe((before.metrics as { pe_ratio: number }).pe_ratio);
    });

    it('loadSplits gives the stored splits of each symbol, oldest first', async () => {
      const { store } = await open();
      const apple: SplitEvent[] = [
        { date: '2020-08-31', ratio: 4, source: 'yahoo' },
        { date: '2014-06-09', ratio: 7, source: 'yahoo' },
      ];
      await store.save({ ...base('AAPL'), splits: apple }, '2026-11-25T07:00:00Z');
      await store.save({ ...base('NVDA'), splits: [{ date: '2024-08-28', ratio: 10, source: 'restatement' }] }, '2026-11-25T07:00:00Z');
      await store.save({ ...base('MSFT'), splits: [] }, '2026-11-25T07:00:00Z');
      expect(await store.loadSplits()).toEqual(
        new Map([
          ['AAPL', [apple[1], apple[0]]],
          ['NVDA', [{ date: '2024-08-28', ratio: 10, source: 'restatement' }]],
        ]),
      );
    });
  });
}

bothStores('the store: closes, the 52-week range, splits', storeSuite);
