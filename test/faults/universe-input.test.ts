import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syntheticCompanies, syntheticDataset, type SyntheticCompany } from '../../dev/stand-in/datasets.js';
import { jsonBody, startStandIn, type StandIn, type StandInData } from '../../dev/stand-in/server.js';
import { runCli, tempDir, writeTestConfig } from '../helpers/cli.js';
import { explain, planOf, reportOf, runInProcess, type InProcessRun } from '../helpers/in-process.js';

/*
 * Hostile and odd symbols in a universe file, in SEC's ticker list and in --symbols: each valid
 * symbol is normalised and processed once, everything else is rejected with a message naming it,
 * and no symbol ever reaches a path or a shell (no request path with "..", no file "x" created).
 * The runs are in-process; a refused --symbols value goes through the built CLI, whose message
 * on stderr is the subject.
 */

const BERKSHIRE: SyntheticCompany = { cik: 9_000_100, symbol: 'BRK-B', name: 'Berkshire Test Co.', exchange: 'NYSE' };

let standIn: StandIn;
let data: StandInData;
let companies: SyntheticCompany[];
let dir: string;

beforeEach(async () => {
  companies = [...syntheticCompanies(3), BERKSHIRE];
  // BRK-B goes into the ticker file body, companyfacts, submissions and charts like any listing.
  data = syntheticDataset(companies);
  standIn = await startStandIn({ data });
  dir = tempDir();
});

afterEach(async () => {
  await standIn.close();
});

const SYMBOLS = ['TAAAA', 'TAAAB', 'TAAAC', 'BRK-B'];

/** How often each symbol was asked of Yahoo, in spark batches or on its own through the chart endpoint. */
function chartRequests(): Map<string, number> {
  const counts = new Map<string, number>();
  const count = (symbol: string): void => void counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
  for (const request of standIn.requests) {
    const chart = /^\/v8\/finance\/chart\/([^/?]+)/.exec(request.path);
    if (chart) count(decodeURIComponent(chart[1] as string));
    if (request.path.startsWith('/v8/finance/spark?')) (new URL(request.path, 'http://x').searchParams.get('symbols') ?? '').split(',').forEach(count);
  }
  return counts;
}

/** No symbol text made it into a request path: no traversal, no space, no shell syntax, encoded or not. */
function expectCleanRequestPaths(): void {
  for (const request of standIn.requests) {
    const decoded = decodeURIComponent(request.path);
    expect(decoded, request.path).not.toContain('..');
    expect(decoded, request.path).not.toMatch(/[\s$;`()]/);
  }
}

/** Whether `touch x` / `touch y` ran anywhere a shell could have run it: the run's folder or the working directory. */
function touchedFiles(): string[] {
  return [dir, process.cwd()].flatMap((folder) => ['x', 'y'].map((name) => path.join(folder, name))).filter((file) => existsSync(file));
}

function storedSymbols(): string[] {
  const db = new Database(path.join(dir, 'stocks.db'), { readonly: true });
  try {
    return (db.prepare('SELECT symbol FROM stocks ORDER BY symbol').all() as { symbol: string }[]).map((row) => row.symbol);
  } finally {
    db.close();
  }
}

describe('a universe file with hostile and odd lines', () => {
  // Each rejected line, as the warning quotes it (JSON), in file order.
  const REJECTED = ['../../etc/passwd', 'A B', '$(touch x)', '; rm -rf /', '`touch y`', 'ÄPFEL', '🚀', 'A\tB', 'ABCDEFGHIJKLMNOPQRST'];
  const LINES = [
    '\uFEFF# watch list, saved by a Windows editor',
    'TAAAA',
    '../../etc/passwd',
    'A B',
    '$(touch x)',
    '; rm -rf /',
    '`touch y`',
    'ÄPFEL',
    '🚀',
    '',
    '   ',
    '  taaab  \r',
    'TAAAA',
    'A\tB',
    'brk.b',
    'BRK-B\r',
    'BRK/B',
    '# TAAAC is in the next line',
    'ABCDEFGHIJKLMNOPQRST',
    'TAAAC',
    '',
  ];

  it('normalises BRK.B/brk.b/BRK/B to one BRK-B, processes each valid symbol once and names every rejected line', async () => {
    writeFileSync(path.join(dir, 'symbols.txt'), LINES.join('\n'));
    const config = writeTestConfig(dir, standIn.url, { universe: { source: 'file', file: 'symbols.txt' } });
    const touchedBefore = touchedFiles();
    const result = await runInProcess(config, { flags: { json: true } });
    expect(result.code, explain(result)).toBe(0);
    const report = reportOf(result);
    expect(report).toMatchObject({ total_stocks: 4, successful: 4, failed: 0, skipped: 0 });
    // Each valid symbol asked of Yahoo once (in a spark batch), and nothing else went to Yahoo.
    expect(Object.fromEntries(chartRequests())).toEqual(Object.fromEntries(SYMBOLS.map((symbol) => [symbol, 1])));
    expect(storedSymbols()).toEqual([...SYMBOLS].sort());
    // Each SEC company once as well (BRK-B has its own CIK).
    expect(standIn.requests.filter((r) => r.path.includes('/companyfacts/'))).toHaveLength(4);
    expectCleanRequestPaths();
    const warning = result.console.split('\n').find((line) => line.includes('symbols rejected')) ?? '';
    expect(warning).toContain(`${REJECTED.length} symbols rejected from ${path.join(dir, 'symbols.txt')}`);
    for (const value of REJECTED) expect(warning).toContain(`${JSON.stringify(value)} (not a ticker symbol`);
    // Nothing ran a shell: neither `$(touch x)` nor `touch y` left a file behind.
    expect(touchedFiles()).toEqual(touchedBefore);
    expect(touchedBefore.filter((file) => file.startsWith(dir))).toEqual([]);
    // Only what a run writes: no file named after a symbol (`passwd`, `x`) anywhere in the folder.
    expect(readdirSync(dir).filter((name) => !/^(batch_config\.json|symbols\.txt|logs|reports|backups|stocks\.db(-wal|-shm|\.lock|\.lock\.json)?)$/.test(name))).toEqual([]);
  });

  it('a CSV universe with a symbol column gets the same treatment', async () => {
    const csv = ['symbol,name', 'brk.b,"Berkshire, Class B"', '"../../etc/passwd",evil', 'TAAAA,Test', 'taaaa,again', '"$(touch x)",evil', 'BRK/B,again'].join('\r\n');
    writeFileSync(path.join(dir, 'symbols.csv'), csv);
    const config = writeTestConfig(dir, standIn.url, { universe: { source: 'file', file: 'symbols.csv' } });
    const touchedBefore = touchedFiles();
    const result = await runInProcess(config, { flags: { dryRun: true, json: true } });
    expect(result.code, explain(result)).toBe(0);
    expect(planOf(result)).toMatchObject({ total_stocks: 2, symbols: ['BRK-B', 'TAAAA'] });
    expect(result.console).toMatch(/2 symbols rejected .*"\.\.\/\.\.\/etc\/passwd" \(not a ticker symbol.*"\$\(touch x\)" \(not a ticker symbol/);
    expect(existsSync(path.join(dir, 'x'))).toBe(false);
    expect(touchedFiles()).toEqual(touchedBefore);
    expectCleanRequestPaths();
  });
});

describe("SEC's ticker list with hostile and repeated tickers", () => {
  const HOSTILE = ['../../etc/passwd', '$(touch x)', 'A B', 'ÄPFEL'];

  async function runWithHostileTickers(): Promise<InProcessRun> {
    const rows = [
      ...companies.map((company) => [company.cik, company.name, company.symbol, company.exchange]),
      [BERKSHIRE.cik, BERKSHIRE.name, 'brk.b', 'NYSE'],
      [BERKSHIRE.cik, BERKSHIRE.name, 'BRK/B', 'NYSE'],
      [9_000_200, 'Evil Co.', HOSTILE[0], 'NYSE'],
      [9_000_201, 'Evil Co.', HOSTILE[1], 'Nasdaq'],
      [9_000_202, 'Odd Co.', HOSTILE[2], 'Nasdaq'],
      [9_000_203, 'Odd Co.', HOSTILE[3], 'NYSE'],
      [companies[0]?.cik, companies[0]?.name, 'taaaa', 'Nasdaq'],
    ];
    data.tickerFile = jsonBody({ fields: ['cik', 'name', 'ticker', 'exchange'], data: rows });
    return runInProcess(writeTestConfig(dir, standIn.url), { flags: { json: true } });
  }

  it('refreshes each listing once and never puts a hostile ticker into a request or a shell', async () => {
    const touchedBefore = touchedFiles();
    const result = await runWithHostileTickers();
    expect(result.code, explain(result)).toBe(0);
    expect(result.report).toMatchObject({ total_stocks: 4, successful: 4 });
    expect(Object.fromEntries(chartRequests())).toEqual(Object.fromEntries(SYMBOLS.map((symbol) => [symbol, 1])));
    expect(existsSync(path.join(dir, 'x'))).toBe(false);
    expect(touchedFiles()).toEqual(touchedBefore);
    expectCleanRequestPaths();
  });

  it('names the rejected SEC tickers in a warning', async () => {
    const result = await runWithHostileTickers();
    expect(result.console).toMatch(/4 symbols rejected from SEC company_tickers_exchange\.json/);
    for (const value of HOSTILE) expect(result.console).toContain(`${JSON.stringify(value)} (not a ticker symbol`);
  });
});

describe('--symbols with odd and hostile items', () => {
  it('normalises and de-duplicates brk.b, BRK/B and BRK-B to one BRK-B', async () => {
    const config = writeTestConfig(dir, standIn.url);
    const result = await runInProcess(config, { flags: { symbols: 'brk.b, BRK/B,BRK-B,,taaaa ', json: true } });
    expect(result.code, explain(result)).toBe(0);
    expect(result.report).toMatchObject({ total_stocks: 2, successful: 2 });
    expect(Object.fromEntries(chartRequests())).toEqual({ 'BRK-B': 1, TAAAA: 1 });
  });

  it.each(['../../etc/passwd', 'TAAAA,$(touch x)', 'A B', '🚀'])('refuses %j with exit 2 naming it, before any request', async (value) => {
    const config = writeTestConfig(dir, standIn.url);
    const result = await runCli(['--config', config, '--symbols', value], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--symbols: ".*" is not a ticker symbol/);
    expect(standIn.requests).toEqual([]);
    expect(existsSync(path.join(dir, 'x'))).toBe(false);
  });
});
