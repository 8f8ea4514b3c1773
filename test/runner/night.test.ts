import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syntheticCompanies, syntheticDataset, type SyntheticCompany } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { EXIT } from '../../src/errors.js';
import { tempDir, writeTestConfig } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

/** Whole nights in-process through the job's injected effects: no process is spawned. */
let standIn: StandIn;
let companies: SyntheticCompany[];
let dir: string;

beforeEach(async () => {
  companies = syntheticCompanies(12);
  standIn = await startStandIn({ data: syntheticDataset(companies) });
  dir = tempDir();
});

afterEach(async () => {
  await standIn.close();
});

const stocks = (): number => {
  const db = new Database(path.join(dir, 'stocks.db'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM stocks').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('a night in-process', () => {
  it('stores every stock, writes the report and records the run', async () => {
    const { result, lines } = await runInProcess(writeTestConfig(dir, standIn.url), { now: '2026-11-25T02:00:00Z' });
    if (result?.kind !== 'run') throw new Error(`expected a run, got ${result?.kind ?? 'an error'}`);
    expect(result.exitCode).toBe(EXIT.OK);
    expect(result.report).toMatchObject({ status: 'completed', total_stocks: 12, successful: 12, failed: 0, refresh_path: 'per-company', requests: { sec: 1 + 2 * 12, yahoo: 2 } });
    expect(result.reportPath).toMatch(/batch_summary_\d{8}_\d{6}\.json$/);
    expect(stocks()).toBe(12);
    expect(lines).toContain('INFO universe: 12 stocks from SEC company_tickers_exchange.json (NYSE, Nasdaq); this run: 12 stocks, 12 companies, 2 batches');
  });

  it('aborts after max_consecutive_failures, keeping what was stored, exit 3', async () => {
    standIn.addFault('companyfacts', { kind: 'status', status: 503 }, 1000);
    const config = writeTestConfig(dir, standIn.url, { processing: { max_workers: 1 }, error_handling: { max_consecutive_failures: 3, max_retries_per_stock: 0, retry_failed_stocks: false } });
    const { result } = await runInProcess(config, { now: '2026-11-25T02:00:00Z' });
    if (result?.kind !== 'run') throw new Error(`expected a run, got ${result?.kind ?? 'an error'}`);
    expect(result.exitCode).toBe(EXIT.ABORTED);
    expect(result.report).toMatchObject({ status: 'aborted', failed: 3, not_started: 9, error_types: { http_5xx: 3 } });
    expect(result.report.error_message).toMatch(/^3 consecutive failures \(error_handling\.max_consecutive_failures\)/);
  });

  it('stops starting stocks when the signal comes, and says the run was interrupted', async () => {
    const stop = new AbortController();
    const config = writeTestConfig(dir, standIn.url, { processing: { max_workers: 1, batch_size: 1 } });
    // The signal arrives after the first stock: the engine starts no other.
    const { result } = await runInProcess(config, { now: '2026-11-25T02:00:00Z', deps: { signal: stop.signal, events: { onStockDone: () => stop.abort('SIGTERM') } } });
    if (result?.kind !== 'run') throw new Error(`expected a run, got ${result?.kind ?? 'an error'}`);
    expect(result.report).toMatchObject({ status: 'interrupted', successful: 1, not_started: 11 });
  });
});
