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
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();

function openStore(): { db: Db; store: StockStore } {
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

function history(db: Db, symbol: string): { date: string; close: number; updated_at: string }[] {
  return db.prepare('SELECT date, close, updated_at FROM price_history WHERE symbol = ? ORDER BY date').all(symbol) as { date: string; close: number; updated_at: string }[];
}

function range(db: Db, symbol: string): { price: number | null; fifty_two_week_high: number | null; fifty_two_week_low: number | null } | undefined {
  return db.prepare('SELECT price, fifty_two_week_high, fifty_two_week_low FROM stock_metrics WHERE symbol = ?').get(symbol) as
    { price: number | null; fifty_two_week_high: number | null; fifty_two_week_low: number | null } | undefined;
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
    expect(range(db, 'AAPL')).toEqual({ price: 230.5, fifty_two_week_high: 260.1, fifty_two_week_low: null });
    // The upgraded schema works: closes go in, and the foreign key holds.
    new StockStore(db).save({ ...base('AAPL'), closes: closes({ '2026-11-24': 231 }) }, '2026-11-25T07:00:00Z');
    expect(history(db, 'AAPL').map((row) => row.close)).toEqual([231]);
    expect(() => db.prepare("INSERT INTO price_history VALUES ('NOPE', '2026-11-24', 1, 'x')").run()).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it("deletes a stock's closes with the stock (ON DELETE CASCADE)", () => {
    const { db, store } = openStore();
    store.save({ ...base('AAPL'), closes: closes({ '2026-11-24': 231 }) }, '2026-11-25T07:00:00Z');
    db.prepare("DELETE FROM stocks WHERE symbol = 'AAPL'").run();
    expect(history(db, 'AAPL')).toEqual([]);
  });
});

describe('StockStore closes', () => {
  it('upserts closes: a new date is added, a stored date gets the new close and time', () => {
    const { db, store } = openStore();
    store.save({ ...base('AAPL'), closes: closes({ '2026-11-20': 10, '2026-11-23': 11 }) }, '2026-11-24T07:00:00Z');
    store.save({ ...base('AAPL'), closes: closes({ '2026-11-23': 12, '2026-11-24': 13 }) }, '2026-11-25T07:00:00Z');
    expect(history(db, 'AAPL')).toEqual([
      { date: '2026-11-20', close: 10, updated_at: '2026-11-24T07:00:00Z' },
      { date: '2026-11-23', close: 12, updated_at: '2026-11-25T07:00:00Z' },
      { date: '2026-11-24', close: 13, updated_at: '2026-11-25T07:00:00Z' },
    ]);
  });

  it("prunes a symbol's closes more than 400 days before its newest stored one, and no other symbol's", () => {
    const { db, store } = openStore();
    store.save({ ...base('AAPL'), closes: closes({ '2024-12-31': 1, '2025-01-01': 2, '2025-06-02': 3 }) }, '2025-06-03T07:00:00Z');
    store.save({ ...base('MSFT'), closes: closes({ '2024-12-31': 4 }) }, '2025-06-03T07:00:00Z');
    expect(history(db, 'AAPL')).toHaveLength(3);
    // 2026-02-05 minus 400 days is 2025-01-01: that day stays, the one before goes.
    store.save({ ...base('AAPL'), closes: closes({ '2026-02-05': 5 }) }, '2026-02-06T07:00:00Z');
    expect(history(db, 'AAPL').map((row) => row.date)).toEqual(['2025-01-01', '2025-06-02', '2026-02-05']);
    expect(history(db, 'MSFT').map((row) => row.date)).toEqual(['2024-12-31']);
  });

  it('loadLatestCloseDates gives the newest stored date of each symbol with closes', () => {
    const { store } = openStore();
    store.save({ ...base('AAPL'), closes: closes({ '2026-11-24': 1, '2026-11-20': 2 }) }, '2026-11-25T07:00:00Z');
    store.save({ ...base('MSFT'), closes: closes({ '2026-10-01': 3 }) }, '2026-11-25T07:00:00Z');
    store.save({ ...base('NVDA'), quote: chartQuote(100) }, '2026-11-25T07:00:00Z');
    expect(store.loadLatestCloseDates()).toEqual(
      new Map([
        ['AAPL', '2026-11-24'],
        ['MSFT', '2026-10-01'],
      ]),
    );
  });
});

describe('StockStore 52-week range', () => {
  it("uses the quote's (chart meta) range for a stock with no stored closes", () => {
    const { db, store } = openStore();
    store.save({ ...base('AAPL'), quote: chartQuote(100, 120, 80) }, '2026-11-25T07:00:00Z');
    expect(range(db, 'AAPL')).toEqual({ price: 100, fifty_two_week_high: 120, fifty_two_week_low: 80 });
  });

  it("takes the closing high and low of the 365 days ending at the newest stored close, over the quote's range", () => {
    const { db, store } = openStore();
    // 2025-11-24 is 365 days before 2026-11-24: outside the window; 2025-11-25 is its first day.
    const year = closes({ '2025-06-02': 900, '2025-11-24': 500, '2025-11-25': 50, '2026-06-01': 150, '2026-11-24': 120 });
    store.save({ ...base('AAPL'), closes: year, quote: chartQuote(120) }, '2026-11-25T07:00:00Z');
    expect(range(db, 'AAPL')).toEqual({ price: 120, fifty_two_week_high: 150, fifty_two_week_low: 50 });
    // A later night with only the last days: the range still covers the stored year, and moves with it.
    store.save({ ...base('AAPL'), closes: closes({ '2026-11-25': 160 }), quote: chartQuote(160) }, '2026-11-26T07:00:00Z');
    expect(range(db, 'AAPL')).toEqual({ price: 160, fifty_two_week_high: 160, fifty_two_week_low: 120 });
  });

  it("a quote without closes (the chart endpoint's, when spark stops answering) keeps its own range, not the stale closes'", () => {
    const { db, store } = openStore();
    store.save({ ...base('AAPL'), closes: closes({ '2026-10-01': 100, '2026-10-02': 110 }), quote: chartQuote(110) }, '2026-10-03T07:00:00Z');
    store.save({ ...base('AAPL'), quote: chartQuote(140, 150, 90) }, '2026-11-25T07:00:00Z');
    expect(range(db, 'AAPL')).toEqual({ price: 140, fifty_two_week_high: 150, fifty_two_week_low: 90 });
  });

  it('puts the stored closes on the new basis when the new ones moved by a split factor', () => {
    const { db, store } = openStore();
    store.save({ ...base('AAPL'), closes: closes({ '2026-11-18': 400, '2026-11-19': 404, '2026-11-20': 408 }), quote: chartQuote(408) }, '2026-11-21T07:00:00Z');
    // A 4:1 split: Yahoo's closes from the 19th on, all on the new basis.
    const after = closes({ '2026-11-19': 101, '2026-11-20': 102, '2026-11-23': 103 });
    expect(store.closeShift('AAPL', after)).toBeCloseTo(0.25, 6);
    // An ordinary day's move is not a split.
    expect(store.closeShift('AAPL', closes({ '2026-11-20': 450 }))).toBeNull();
    store.save({ ...base('AAPL'), closes: after, quote: chartQuote(103) }, '2026-11-24T07:00:00Z');
    expect(history(db, 'AAPL').map((row) => [row.date, row.close])).toEqual([
      ['2026-11-18', 100],
      ['2026-11-19', 101],
      ['2026-11-20', 102],
      ['2026-11-23', 103],
    ]);
    expect(range(db, 'AAPL')).toEqual({ price: 103, fifty_two_week_high: 103, fifty_two_week_low: 100 });
  });

  it('leaves the stored range alone on an update without a quote', () => {
    const { db, store } = openStore();
    store.save({ ...base('AAPL'), closes: closes({ '2026-11-23': 100, '2026-11-24': 110 }), quote: chartQuote(110) }, '2026-11-25T07:00:00Z');
    store.save({ ...base('AAPL'), closes: closes({ '2026-11-25': 300 }) }, '2026-11-26T07:00:00Z');
    expect(range(db, 'AAPL')).toEqual({ price: 110, fifty_two_week_high: 110, fifty_two_week_low: 100 });
  });

  it('the range planned from the stored aggregate and the new closes is the closing high and low of the table after the write', () => {
    const { db, store } = openStore();
    const tableRange = db.prepare(`
      SELECT MAX(close) AS high, MIN(close) AS low FROM price_history
      WHERE symbol = 'AAPL' AND date > date((SELECT MAX(date) FROM price_history WHERE symbol = 'AAPL'), '-365 days')`);
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
      store.save({ ...base('AAPL'), closes: night % 3 === 0 ? update : update.reverse(), quote: chartQuote(level) }, '2027-06-01T07:00:00Z');
      const { high, low } = tableRange.get() as { high: number; low: number };
      expect(range(db, 'AAPL'), `night ${night}`).toEqual({ price: level, fifty_two_week_high: high, fifty_two_week_low: low });
    }
  });
});

describe('StockStore splits', () => {
  const amazonSplit: SplitEvent = { date: '2022-06-06', ratio: 20, source: 'yahoo' };
  // Amazon's facts end 2022-04, before its 20:1 split: nothing to infer, everything as filed.
  const amazon = extractCompanyFacts(loadFacts('0001018724'));

  function dump(db: Db): { earnings: unknown[]; metrics: unknown; splits: unknown[] } {
    return {
      earnings: db
        .prepare('SELECT * FROM earnings_history ORDER BY fiscal_year, period')
        .all()
        .map((row) => ({ ...(row as object), id: undefined, updated_at: undefined })),
      metrics: { ...(db.prepare('SELECT * FROM stock_metrics').get() as object), updated_at: undefined },
      splits: db.prepare('SELECT * FROM stock_splits').all(),
    };
  }

  it('re-adjusts stored earnings when splits arrive without earnings, as storing them together would', () => {
    expect(amazon.splits).toEqual([]);
    const fundamentals = { ...base('AMZN'), sharesOutstanding: amazon.sharesOutstanding, quote: chartQuote(230) };

    const later = openStore();
    later.store.save({ ...fundamentals, earnings: amazon.earnings, splits: [] }, '2026-11-24T07:00:00Z');
    const before = dump(later.db);
    later.store.save({ ...base('AMZN'), splits: [amazonSplit] }, '2026-11-25T07:00:00Z');

    const together = openStore();
    together.store.save({ ...fundamentals, earnings: applySplits(amazon.earnings, [amazonSplit]), splits: [amazonSplit] }, '2026-11-24T07:00:00Z');

    expect(dump(later.db)).toEqual(dump(together.db));
    // Not vacuous: FY2021 EPS went from as filed (64.81) to a twentieth, and the P/E moved with it.
    const fy2021 = (db: Db) => db.prepare("SELECT eps_diluted, eps_diluted_adjusted FROM earnings_history WHERE fiscal_year = 2021 AND period = 'FY'").get();
    expect(fy2021(later.db)).toEqual({ eps_diluted: 64.81, eps_diluted_adjusted: roundPerShare(64.81 / 20) });
    expect((dump(later.db).metrics as { pe_ratio: number }).pe_ratio).not.toBe((before.metrics as { pe_ratio: number }).pe_ratio);
  });

  it('loadSplits gives the stored splits of each symbol, oldest first', () => {
    const { store } = openStore();
    const apple: SplitEvent[] = [
      { date: '2020-08-31', ratio: 4, source: 'yahoo' },
      { date: '2014-06-09', ratio: 7, source: 'yahoo' },
    ];
    store.save({ ...base('AAPL'), splits: apple }, '2026-11-25T07:00:00Z');
    store.save({ ...base('NVDA'), splits: [{ date: '2024-08-28', ratio: 10, source: 'restatement' }] }, '2026-11-25T07:00:00Z');
    store.save({ ...base('MSFT'), splits: [] }, '2026-11-25T07:00:00Z');
    expect(store.loadSplits()).toEqual(
      new Map([
        ['AAPL', [apple[1], apple[0]]],
        ['NVDA', [{ date: '2024-08-28', ratio: 10, source: 'restatement' }]],
      ]),
    );
  });
});
