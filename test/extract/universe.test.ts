import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { filterUniverse, normalizeSymbol, parseSymbolList, parseTickerExchangeFile, type UniverseEntry } from '../../src/extract/universe.js';
import { TICKER_FILE, type TickerRow } from '../../src/sources/schemas/ticker-file.js';
import { decodeJson, malformedMessage } from '../helpers/bodies.js';

/** The raw shape of SEC's company_tickers_exchange.json, for expectations computed independently. */
interface RawTickerFile {
  fields: string[];
  data: [number, string, string, string | null][];
}

/** A real company_tickers_exchange.json from test/fixtures/sec (unchanged). */
function loadTickerFile(year: '2023' | '2025'): RawTickerFile {
  const file = new URL(`../fixtures/sec/company_tickers_exchange_${year}.json`, import.meta.url);
  return JSON.parse(readFileSync(file, 'utf8')) as RawTickerFile;
}

const raw2025 = loadTickerFile('2025');
const raw2023 = loadTickerFile('2023');

/** A ticker file's rows, decoded as the file arrives (TICKER_FILE). */
const rows = (file: unknown): TickerRow[] => decodeJson(TICKER_FILE, file);

/** Raw rows listed on NYSE or Nasdaq, read straight from the JSON. */
function rawMainExchangeRows(raw: RawTickerFile): RawTickerFile['data'] {
  return raw.data.filter((row) => row[3] === 'NYSE' || row[3] === 'Nasdaq');
}

function entry(symbol: string, exchange: string | null, cik: number | null = 1): UniverseEntry {
  return { symbol, cik, name: `${symbol} Corp`, exchange };
}

describe('normalizeSymbol', () => {
  it.each([
    ['AAPL', 'AAPL'],
    ['aapl', 'AAPL'],
    ['  msft\t', 'MSFT'],
    ['brk.b', 'BRK-B'],
    ['BRK.B', 'BRK-B'],
    ['BRK/B', 'BRK-B'],
    ['brk-b', 'BRK-B'],
    ['CTA-PA', 'CTA-PA'],
    ['A', 'A'],
    ['1', '1'],
    ['ABCDEFGHIJKLMNO', 'ABCDEFGHIJKLMNO'],
  ])('accepts %j as %j', (input, expected) => {
    expect(normalizeSymbol(input)).toEqual({ ok: true, symbol: expected });
  });

  it.each([
    ['a path', '../../etc/passwd'],
    ['a shell substitution', '$(touch x)'],
    ['backticks', '`id`'],
    ['a semicolon', 'AAPL;rm'],
    ['an inner space', 'A B'],
    ['a non-ASCII letter', 'ÄPFEL'],
    ['a letter that upper-cases to ASCII (ß -> SS)', 'ß'],
    ['a ligature that upper-cases to ASCII (ﬁ -> FI)', 'ﬁ'],
    ['a leading dash', '-AAPL'],
    ['a trailing dot', 'AAPL.'],
    ['a lone dot', '.'],
    ['a query string', 'AAPL?x=1'],
    ['a URL-encoded slash', 'A%2FB'],
    ['16 characters', 'ABCDEFGHIJKLMNOP'],
    ['a very long string', 'A'.repeat(1000)],
    ['a NUL byte', 'AA\u0000PL'],
    ['a newline inside', 'AA\nPL'],
  ])('rejects %s with a reason', (_label, input) => {
    const result = normalizeSymbol(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/not a ticker symbol/);
  });

  it.each([[''], ['   '], ['\t\r\n']])('rejects the empty %j as "empty"', (input) => {
    expect(normalizeSymbol(input)).toEqual({ ok: false, reason: 'empty' });
  });
});

describe('parseTickerExchangeFile and filterUniverse on the real 2025 file (10,069 rows, null exchanges)', () => {
  const { entries, rejected } = parseTickerExchangeFile(rows(raw2025));
  const universe = filterUniverse(entries, ['NYSE', 'Nasdaq'], []);

  it('reads every row of the file, rejecting none', () => {
    expect(raw2025.data).toHaveLength(10069);
    expect(entries).toHaveLength(10069);
    expect(rejected).toEqual([]);
  });

  it('turns the 166 null exchanges into null entries instead of crashing', () => {
    const rawNulls = raw2025.data.filter((row) => row[3] === null).length;
    expect(rawNulls).toBe(166);
    expect(entries.filter((item) => item.exchange === null)).toHaveLength(rawNulls);
  });

  it('keeps exactly 7,360 NYSE and Nasdaq listings, the count of the raw rows on those exchanges', () => {
    expect(rawMainExchangeRows(raw2025)).toHaveLength(7360);
    expect(universe).toHaveLength(7360);
    expect(universe.every((item) => item.exchange === 'NYSE' || item.exchange === 'Nasdaq')).toBe(true);
  });

  it('covers 5,958 distinct CIKs, the count among the raw NYSE/Nasdaq rows', () => {
    const rawCiks = new Set(rawMainExchangeRows(raw2025).map((row) => row[0]));
    expect(rawCiks.size).toBe(5958);
    expect(new Set(universe.map((item) => item.cik)).size).toBe(rawCiks.size);
  });

  it('keeps the source order and the CIK, name and exchange of each row', () => {
    expect(universe.map((item) => item.symbol)).toEqual(rawMainExchangeRows(raw2025).map((row) => row[2]));
    const first = rawMainExchangeRows(raw2025)[0];
    expect(universe[0]).toEqual({ symbol: first?.[2], cik: first?.[0], name: first?.[1], exchange: first?.[3] });
  });

  it('excludes OTC, CBOE and unknown-exchange listings', () => {
    const exchanges = new Set(entries.map((item) => item.exchange));
    expect(exchanges).toEqual(new Set(['Nasdaq', 'NYSE', 'OTC', 'CBOE', null]));
    const kept = new Set(universe.map((item) => item.symbol));
    for (const item of entries) if (item.exchange !== 'NYSE' && item.exchange !== 'Nasdaq') expect(kept.has(item.symbol)).toBe(false);
  });

  it('lists BRK-A and BRK-B, both under Berkshire Hathaway’s CIK 1067983', () => {
    const brkA = universe.find((item) => item.symbol === 'BRK-A');
    const brkB = universe.find((item) => item.symbol === 'BRK-B');
    expect(brkB).toEqual({ symbol: 'BRK-B', cik: 1067983, name: 'BERKSHIRE HATHAWAY INC', exchange: 'NYSE' });
    expect(brkA?.cik).toBe(brkB?.cik);
  });

  it.each([[['nyse', 'NASDAQ']], [['Nyse', 'nasdaq']]])('matches exchanges case-insensitively (%j)', (exchanges) => {
    expect(filterUniverse(entries, exchanges, [])).toEqual(universe);
  });

  it('keeps every listing, null exchanges included, when no exchange filter is given', () => {
    expect(filterUniverse(entries, null, [])).toHaveLength(10069);
  });

  it('drops the symbols an exclude pattern matches, and only those', () => {
    const patterns = ['-', '^ZZZ', 'W$'];
    const filtered = filterUniverse(entries, ['NYSE', 'Nasdaq'], patterns);
    const expected = rawMainExchangeRows(raw2025)
      .map((row) => row[2])
      .filter((symbol) => !symbol.includes('-') && !symbol.startsWith('ZZZ') && !symbol.endsWith('W'));
    expect(expected.length).toBeLessThan(7360);
    expect(filtered.map((item) => item.symbol)).toEqual(expected);
    expect(filtered.some((item) => item.symbol === 'BRK-B')).toBe(false);
  });
});

describe('parseTickerExchangeFile and filterUniverse on the real 2023 file ("" exchanges)', () => {
  const { entries, rejected } = parseTickerExchangeFile(rows(raw2023));

  it('turns the 861 empty-string exchanges into null and excludes them', () => {
    const rawEmpty = raw2023.data.filter((row) => row[3] === '').length;
    expect(rawEmpty).toBe(861);
    expect(rejected).toEqual([]);
    expect(entries.filter((item) => item.exchange === null)).toHaveLength(rawEmpty);
    expect(entries.some((item) => item.exchange === '')).toBe(false);
    const universe = filterUniverse(entries, ['NYSE', 'Nasdaq'], []);
    expect(universe).toHaveLength(rawMainExchangeRows(raw2023).length);
    expect(universe.every((item) => item.exchange !== null)).toBe(true);
  });

  it('does not match "Cboe US" by a "" or partial exchange name', () => {
    expect(filterUniverse(entries, [''], [])).toEqual([]);
    expect(filterUniverse(entries, ['Cboe'], [])).toEqual([]);
    expect(filterUniverse(entries, ['cboe us'], [])).toHaveLength(11);
  });
});

describe('parseTickerExchangeFile on odd input', () => {
  it('finds the columns by the names in `fields`, in any order', () => {
    const { entries } = parseTickerExchangeFile(
      rows({
        fields: ['exchange', 'ticker', 'name', 'cik'],
        data: [['NYSE', 'brk.b', 'BERKSHIRE HATHAWAY INC', 1067983]],
      }),
    );
    expect(entries).toEqual([{ symbol: 'BRK-B', cik: 1067983, name: 'BERKSHIRE HATHAWAY INC', exchange: 'NYSE' }]);
  });

  it('rejects hostile tickers with a reason, and reads CIKs that are no positive integer as null', () => {
    const { entries, rejected } = parseTickerExchangeFile(
      rows({
        fields: ['cik', 'name', 'ticker', 'exchange'],
        data: [
          [1, 'Good', 'GOOD', 'NYSE'],
          [2, 'Path', '../../etc/passwd', 'NYSE'],
          [3, 'Shell', '$(touch x)', 'Nasdaq'],
          ['0000000005', 'String CIK', 'FIVE', 'NYSE'],
          ['', 'No CIK', 'NOCIK', 'NYSE'],
          [-6, 'Negative CIK', 'NEG', 'NYSE'],
          [7, null, 'NUM', ''],
        ],
      }),
    );
    expect(entries).toEqual([
      { symbol: 'GOOD', cik: 1, name: 'Good', exchange: 'NYSE' },
      { symbol: 'FIVE', cik: 5, name: 'String CIK', exchange: 'NYSE' },
      { symbol: 'NOCIK', cik: null, name: 'No CIK', exchange: 'NYSE' },
      { symbol: 'NEG', cik: null, name: 'Negative CIK', exchange: 'NYSE' },
      { symbol: 'NUM', cik: 7, name: null, exchange: null },
    ]);
    expect(rejected.map((item) => item.value)).toEqual(['../../etc/passwd', '$(touch x)']);
    for (const item of rejected) expect(item.reason).toMatch(/not a ticker symbol/);
  });

  it('reads a file without an exchange column as listings of unknown exchange', () => {
    const { entries } = parseTickerExchangeFile(rows({ fields: ['cik', 'ticker'], data: [[1, 'AAA']] }));
    expect(entries).toEqual([{ symbol: 'AAA', cik: 1, name: null, exchange: null }]);
  });
});

describe('the ticker file schema (TICKER_FILE, where the bytes arrive)', () => {
  it('passes the real 2023 and 2025 files', () => {
    expect(rows(raw2025)).toHaveLength(10069);
    expect(rows(raw2023)).toHaveLength(raw2023.data.length);
    expect(raw2023.data).toHaveLength(9441);
  });

  it('fails the real 2025 file with one ticker broken as malformed, naming the row and column', () => {
    const broken = structuredClone(raw2025) as { data: unknown[][] };
    (broken.data[4321] as unknown[])[2] = null;
    expect(malformedMessage(TICKER_FILE, broken)).toBe('company_tickers_exchange.json: data.4321.2: ticker: expected string, received null');
  });

  it.each([
    ['null', null, 'company_tickers_exchange.json: expected object, received null'],
    ['{}', {}, 'company_tickers_exchange.json: fields: expected array, received undefined (and 1 more)'],
    ['an array', [], 'company_tickers_exchange.json: expected object, received array'],
    ['fields without ticker', { fields: ['cik', 'name', 'exchange'], data: [] }, 'company_tickers_exchange.json: fields: names no "ticker"/"cik" column'],
    ['fields without cik', { fields: ['name', 'ticker', 'exchange'], data: [] }, 'company_tickers_exchange.json: fields: names no "ticker"/"cik" column'],
    ['a row that is a string', { fields: ['cik', 'ticker'], data: [[1, 'A'], 'not a row'] }, 'company_tickers_exchange.json: data.1: expected array, received string'],
    ['a row that is null', { fields: ['cik', 'ticker'], data: [null] }, 'company_tickers_exchange.json: data.0: expected array, received null'],
    ['a null ticker', { fields: ['cik', 'name', 'ticker', 'exchange'], data: [[4, 'No ticker', null, 'NYSE']] }, 'company_tickers_exchange.json: data.0.2: ticker: expected string, received null'],
    ['a null CIK', { fields: ['cik', 'name', 'ticker', 'exchange'], data: [[null, 'No CIK', 'NOCIK', 'NYSE']] }, 'company_tickers_exchange.json: data.0.0: cik: expected number or string'],
    ['a numeric name', { fields: ['cik', 'name', 'ticker', 'exchange'], data: [[7, 42, 'NUM', 'NYSE']] }, 'company_tickers_exchange.json: data.0.1: name: expected string, received number'],
    ['a numeric exchange', { fields: ['cik', 'name', 'ticker', 'exchange'], data: [[7, 'Num', 'NUM', 7]] }, 'company_tickers_exchange.json: data.0.3: exchange: expected string, received number'],
    ['a row cut short', { fields: ['cik', 'name', 'ticker', 'exchange'], data: [[7, 'Short']] }, 'company_tickers_exchange.json: data.0.2: ticker: expected string, received undefined (and 1 more)'],
  ])('fails %s as malformed, naming the field', (_label, input, message) => {
    expect(malformedMessage(TICKER_FILE, input)).toBe(message);
  });
});

describe('filterUniverse on hand-made entries', () => {
  it('keeps a repeated symbol once, the first occurrence', () => {
    const first = entry('AAA', 'NYSE', 1);
    const result = filterUniverse([first, entry('BBB', 'Nasdaq', 2), entry('AAA', 'Nasdaq', 3), entry('AAA', 'NYSE', 4)], null, []);
    expect(result).toEqual([first, entry('BBB', 'Nasdaq', 2)]);
  });

  it('applies the exclude patterns as regular expressions on the normalised symbol', () => {
    const entries = ['AAPL', 'SPAC-WT', 'SPAC-U', 'BRK-B', 'TEST1'].map((symbol) => entry(symbol, 'NYSE'));
    expect(filterUniverse(entries, ['NYSE'], ['-(WT|U)$', '\\d$']).map((item) => item.symbol)).toEqual(['AAPL', 'BRK-B']);
  });

  it('keeps nothing for an empty exchange list, and drops null exchanges whenever a list is given', () => {
    const entries = [entry('AAA', 'NYSE'), entry('BBB', null)];
    expect(filterUniverse(entries, [], [])).toEqual([]);
    expect(filterUniverse(entries, ['NYSE'], []).map((item) => item.symbol)).toEqual(['AAA']);
  });
});

describe('parseSymbolList: plain lists', () => {
  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['bare CR', '\r'],
  ])('reads %s line endings, skipping blank lines and # comments', (_label, eol) => {
    const text = ['# my watch list', 'AAPL', '', '  msft  ', '# BRK.B is Berkshire', 'brk.b', '   ', 'NVDA', ''].join(eol);
    expect(parseSymbolList(text)).toEqual({ symbols: ['AAPL', 'MSFT', 'BRK-B', 'NVDA'], rejected: [] });
  });

  it('reads a list whose first line is a comment containing commas (not a CSV header)', () => {
    expect(parseSymbolList('# tech, banks, energy\nAAPL\nJPM\nXOM\n')).toEqual({ symbols: ['AAPL', 'JPM', 'XOM'], rejected: [] });
  });

  it('keeps a repeated symbol once, whatever its spelling (BRK.B, brk/b and BRK-B)', () => {
    expect(parseSymbolList('BRK.B\nAAPL\nBRK-B\nbrk/b\naapl\n').symbols).toEqual(['BRK-B', 'AAPL']);
  });

  it('rejects hostile lines with a reason and keeps the good ones', () => {
    const text = ['AAPL', '../../etc/passwd', '$(touch x)', 'A B', 'ÄPFEL', 'X'.repeat(40), 'MSFT'].join('\n');
    const { symbols, rejected } = parseSymbolList(text);
    expect(symbols).toEqual(['AAPL', 'MSFT']);
    expect(rejected.map((item) => item.value)).toEqual(['../../etc/passwd', '$(touch x)', 'A B', 'ÄPFEL', 'X'.repeat(40)]);
    for (const item of rejected) expect(item.reason).toMatch(/not a ticker symbol/);
  });

  it('ignores a byte-order mark at the start', () => {
    expect(parseSymbolList('\uFEFFAAPL\r\nMSFT\r\n')).toEqual({ symbols: ['AAPL', 'MSFT'], rejected: [] });
  });

  it.each([[''], ['\n\n'], ['# only a comment\n'], ['\uFEFF']])('gives an empty list for %j', (text) => {
    expect(parseSymbolList(text)).toEqual({ symbols: [], rejected: [] });
  });
});

describe('parseSymbolList: CSV', () => {
  it.each([
    ['symbol first', 'symbol,name\nAAPL,Apple Inc.\nbrk.b,Berkshire Hathaway\n'],
    ['symbol in the middle', 'name,symbol,exchange\nApple Inc.,AAPL,Nasdaq\nBerkshire Hathaway,brk.b,NYSE\n'],
    ['symbol last', 'name,exchange,symbol\nApple Inc.,Nasdaq,AAPL\nBerkshire Hathaway,NYSE,brk.b\n'],
    ['a "ticker" column', 'name,Ticker\nApple Inc.,AAPL\nBerkshire Hathaway,BRK.B\n'],
    ['an upper-case quoted header', '"Name","SYMBOL"\n"Apple Inc.","AAPL"\n"Berkshire Hathaway","BRK.B"\n'],
    ['CRLF and a BOM', '\uFEFFsymbol,name\r\nAAPL,Apple Inc.\r\nBRK.B,Berkshire Hathaway\r\n'],
    ['a single symbol column', 'symbol\nAAPL\nBRK.B\n'],
    ['a comment before the header', '# exported 2025-01-01, by hand\nname,symbol\nApple Inc.,AAPL\nBerkshire Hathaway,BRK.B\n'],
  ])('reads the symbol column (%s)', (_label, text) => {
    expect(parseSymbolList(text)).toEqual({ symbols: ['AAPL', 'BRK-B'], rejected: [] });
  });

  it('reads quoted cells that contain commas and doubled quotes', () => {
    const text = ['name,symbol,exchange', '"Tesla, Inc.",TSLA,Nasdaq', '"Berkshire Hathaway ""Class B"", Inc.","BRK.B",NYSE', 'Apple Inc.,"AAPL",Nasdaq'].join('\n');
    expect(parseSymbolList(text)).toEqual({ symbols: ['TSLA', 'BRK-B', 'AAPL'], rejected: [] });
  });

  it('skips blank rows, comment rows and rows with an empty symbol cell, keeps repeats once', () => {
    const text = 'name,symbol\nApple,AAPL\n\n# note, XYZ\nNo symbol,\nApple again,aapl\nShort row\n';
    expect(parseSymbolList(text)).toEqual({ symbols: ['AAPL'], rejected: [] });
  });

  it('rejects hostile symbol cells with a reason', () => {
    const { symbols, rejected } = parseSymbolList('symbol,name\nAAPL,ok\n$(touch x),bad\n../../etc/passwd,bad\n');
    expect(symbols).toEqual(['AAPL']);
    expect(rejected.map((item) => item.value)).toEqual(['$(touch x)', '../../etc/passwd']);
  });

  it.each([['name,exchange\nApple Inc.,Nasdaq\n'], ['company,sym\nApple,AAPL\n'], ['\uFEFFname,exchange\r\nApple Inc.,Nasdaq\r\n']])(
    'throws a clear error for a CSV without a symbol or ticker column (%j)',
    (text) => {
      expect(() => parseSymbolList(text)).toThrow('the CSV header has no "symbol" or "ticker" column');
    },
  );
});
