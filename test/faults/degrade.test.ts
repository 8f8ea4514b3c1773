import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, test } from 'vitest';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type Block, type StandIn } from '../../dev/stand-in/server.js';
import { EXIT } from '../../src/errors.js';
import type { SummaryReport } from '../../src/report/summary-report.js';
import { writeTestConfig } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';
import { tempDirs } from '../helpers/temp-dirs.js';

/*
 * Degrade, don't die (docs/reliability.md, "The real internet"): a source blocked, throttled or
 * soft-blocked for the whole night costs its own data, never the other source's. Whole nights
 * in-process against the stand-in's source-wide blocks (dev/stand-in/blocks.ts).
 */

const tempDir = tempDirs();
const open: StandIn[] = [];
afterAll(async () => {
  await Promise.all(open.map((standIn) => standIn.close()));
});

async function standInWith(count: number): Promise<StandIn> {
  const standIn = await startStandIn({ data: syntheticDataset(syntheticCompanies(count)) });
  open.push(standIn);
  return standIn;
}

function count(dir: string, sql: string): number {
  const db = new Database(path.join(dir, 'stocks.db'), { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function night(dir: string, standIn: StandIn, now: string, overrides: Record<string, unknown> = {}): Promise<{ report: SummaryReport; exitCode: number; lines: string[] }> {
  const { result, lines } = await runInProcess(writeTestConfig(dir, standIn.url, { processing: { batch_size: 50 }, ...overrides }), { now });
  if (result?.kind !== 'run') throw new Error(`expected a run, got ${result?.kind ?? 'an error'}`);
  return { report: result.report, exitCode: result.exitCode, lines };
}

const FY_STOCKS = "SELECT COUNT(DISTINCT symbol) AS n FROM earnings_history WHERE period = 'FY'";
const PRICED = 'SELECT COUNT(*) AS n FROM stock_metrics WHERE price IS NOT NULL';

describe.concurrent('a whole-night Yahoo block: 300 of 300 companies get their fundamentals, the prices are counted apart', () => {
  const cases: { name: string; block: Block; state: string; reason: RegExp; seeded: boolean }[] = [
    { name: '403 to every request', block: { kind: 'yahoo-forbidden' }, state: 'blocked', reason: /^blocked: HTTP 403 Forbidden/, seeded: false },
    { name: '429 without Retry-After to every request', block: { kind: 'yahoo-429' }, state: 'circuit_open', reason: /^3 HTTP 429s in a row without Retry-After$/, seeded: false },
    // Symbols that had prices the night before: their empty answers are no delistings.
    {
      name: 'a soft block: 200 with no data for symbols that had prices',
      block: { kind: 'yahoo-soft' },
      state: 'blocked',
      reason: /spark answered no data for any of (\d+) symbols, \1 with prices in the last days \(a soft block\?\) \(2 in a row: a soft block\)$/,
      seeded: true,
    },
  ];
  test.concurrent.for(cases)('$name', { timeout: 150_000 }, async (c, { expect: e }) => {
    const standIn = await standInWith(300);
    const dir = tempDir('batch-refresh-degrade-');
    if (c.seeded) {
      // The night before: prices only (no SEC request but the ticker file), all 300 stored.
      const seed = await night(dir, standIn, '2026-11-24T07:00:00Z', { sources: { edgar: { enabled: false } } });
      e(seed.report.sources.yahoo).toMatchObject({ prices_refreshed: 300 });
    }
    standIn.setBlock(c.block);
    standIn.requests.splice(0);
    const { report, exitCode, lines } = await night(dir, standIn, '2026-11-25T07:00:00Z');
    e(exitCode).toBe(EXIT.OK);
    e(report).toMatchObject({ status: 'completed', total_stocks: 300, successful: 300, failed: 0, not_started: 0, retried_symbols: [], error_types: {} });
    e(count(dir, FY_STOCKS)).toBe(300);
    e(report.sources.yahoo).toMatchObject({ state: c.state, prices_refreshed: 0, prices_not_refreshed: 300 });
    e(report.sources.yahoo?.state_reason).toMatch(c.reason);
    e(report.sources.sec).toMatchObject({ state: 'ok', failed: 0 });
    // No chart request per symbol into the block: a handful of Yahoo requests in all.
    const yahoo = standIn.requests.filter((r) => r.source === 'yahoo');
    e(yahoo.length).toBeLessThanOrEqual(5);
    e(yahoo.filter((r) => r.path.startsWith('/v8/finance/chart'))).toEqual([]);
    // SEC was asked once per company and file, nothing again in a second pass.
    e(report.requests.sec).toBe(1 + 2 * 300);
    // Stored prices are kept.
    e(count(dir, PRICED)).toBe(c.seeded ? 300 : 0);
    e(lines.some((line) => /^WARNING yahoo: .*its circuit is open/.test(line))).toBe(true);
  });
});

describe.concurrent("SEC's rate block mid-run", () => {
  test.concurrent(
    'a 20 s block (cool-down key 20): every SEC worker waits it out, then goes on; exit 0, all stored, few requests refused',
    async ({ expect }) => {
      const standIn = await standInWith(60);
      standIn.setBlock({ kind: 'sec-rate', afterRequests: 40, forMs: 20_000 });
      const dir = tempDir('batch-refresh-degrade-');
      const started = Date.now();
      const { report, exitCode, lines } = await night(dir, standIn, '2026-11-25T07:00:00Z', { rate_limiting: { edgar_block_cooldown_seconds: 20 } });
      expect(exitCode).toBe(EXIT.OK);
      expect(report).toMatchObject({ status: 'completed', successful: 60, failed: 0, error_types: {} });
      expect(count(dir, FY_STOCKS)).toBe(60);
      const refused = standIn.requests.filter((r) => r.source === 'sec' && r.status === 403);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.length).toBeLessThanOrEqual(10);
      expect(report.sources.sec).toMatchObject({ state: 'throttled', cooldowns: 1 });
      expect(report.sources.sec?.state_reason).toBe('rate block (HTTP 403) 1 time');
      // Nothing went to SEC during the cool-down but what was already on its way.
      const firstRefused = refused[0]?.at ?? 0;
      const during = standIn.requests.filter((r) => r.source === 'sec' && r.at > firstRefused + 200 && r.at < firstRefused + 19_800);
      expect(during).toEqual([]);
      expect(Date.now() - started).toBeGreaterThan(20_000);
      expect(lines.some((line) => line.startsWith("WARNING sec: HTTP 403 its rate-block page: SEC's rate block (block 1 of this run; block 3 aborts it): pausing every SEC request for 20s"))).toBe(
        true,
      );
    },
    60_000,
  );
});

describe.concurrent("Yahoo's waits do not hold up SEC", () => {
  test.concurrent(
    "Retry-After: 3600 opens Yahoo's circuit: the fundamentals are stored at SEC's pace, no hour is waited",
    async ({ expect }) => {
      const standIn = await standInWith(40);
      standIn.setBlock({ kind: 'yahoo-retry-after', seconds: 3600 });
      const dir = tempDir('batch-refresh-degrade-');
      const started = Date.now();
      const { report, exitCode } = await night(dir, standIn, '2026-11-25T07:00:00Z');
      expect(exitCode).toBe(EXIT.OK);
      expect(report).toMatchObject({ successful: 40, failed: 0 });
      expect(count(dir, FY_STOCKS)).toBe(40);
      expect(report.sources.yahoo).toMatchObject({ state: 'circuit_open', prices_not_refreshed: 40 });
      expect(report.sources.yahoo?.state_reason).toBe('HTTP 429 asking to wait 3600s');
      // 81 SEC requests at 10 a second: the night takes about 8 s, not an hour.
      expect(Date.now() - started).toBeLessThan(30_000);
    },
    60_000,
  );

  test.concurrent(
    'an 8 s Retry-After pauses Yahoo only: SEC goes on meanwhile, the prices are stored when they come',
    async ({ expect }) => {
      const standIn = await standInWith(30);
      standIn.addFault('/v8/finance/spark', { kind: 'status', status: 429, headers: { 'retry-after': '8' } }, 1);
      const dir = tempDir('batch-refresh-degrade-');
      const { report, exitCode, lines } = await night(dir, standIn, '2026-11-25T07:00:00Z', { processing: { batch_size: 10 } });
      expect(exitCode).toBe(EXIT.OK);
      expect(report).toMatchObject({ successful: 30, failed: 0 });
      expect(report.sources.yahoo).toMatchObject({ state: 'throttled', prices_refreshed: 30, prices_not_refreshed: 0 });
      expect(count(dir, PRICED)).toBe(30);
      const limited = standIn.requests.find((r) => r.status === 429)?.at ?? 0;
      // 61 SEC requests at 10 a second: all of SEC's work is done within the pause.
      const secDuringPause = standIn.requests.filter((r) => r.source === 'sec' && r.at > limited && r.at < limited + 7500);
      expect(secDuringPause.length).toBeGreaterThan(50);
      expect(standIn.requests.filter((r) => r.source === 'yahoo' && r.at > limited + 100 && r.at < limited + 7900)).toEqual([]);
      expect(lines.some((line) => /^INFO waiting for \d+ prices? still on their way from Yahoo$/.test(line))).toBe(true);
    },
    60_000,
  );
});
