import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import type { SummaryReport } from '../../src/report/summary-report.js';
import type { StatusReport } from '../../src/status/read-status.js';
import { runCli, startCli, tempDir, waitFor, writeTestConfig } from '../helpers/cli.js';

let standIn: StandIn;
let dir: string;

beforeEach(async () => {
  // 120 ms a request and one worker: a 12-stock run lasts a few seconds, long enough to interfere with.
  standIn = await startStandIn({ data: syntheticDataset(syntheticCompanies(12)), latencyMs: 120 });
  dir = tempDir();
});

afterEach(async () => {
  await standIn.close();
});

const slowConfig = (overrides: Record<string, unknown> = {}): string => writeTestConfig(dir, standIn.url, { processing: { max_workers: 1 }, database: { backup_before_run: false }, ...overrides });

const factsRequests = (): number => standIn.requests.filter((r) => r.path.includes('/companyfacts/')).length;

function db(): Database.Database {
  return new Database(path.join(dir, 'stocks.db'), { readonly: true });
}

function reports(): SummaryReport[] {
  const folder = path.join(dir, 'reports');
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => JSON.parse(readFileSync(path.join(folder, name), 'utf8')) as SummaryReport);
}

describe('one run at a time', () => {
  it('a second run exits 75 at once, naming the PID and start time of the run holding the lock', async () => {
    const config = slowConfig();
    const first = startCli(['--config', config]);
    await waitFor(() => factsRequests() >= 2, 15_000, 'the first run to start');
    const started = Date.now();
    const second = await runCli(['--config', config]);
    expect(second.code).toBe(75);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(second.stderr).toMatch(new RegExp(`PID ${String(first.child.pid)} on .*, started \\d{4}-\\d\\d-\\d\\dT`));
    expect(second.stderr).toContain('nothing was done');
    const result = await first.done;
    expect(result.code, result.stderr).toBe(0);
    // The lock went with the first run: a third run goes through.
    expect((await runCli(['--config', config], { env: { BATCH_REFRESH_NOW: '2026-12-01T02:00:00Z' } })).code).toBe(0);
    expect(reports()).toHaveLength(2);
  });

  it('takes over a lock left by a killed run; the database stays whole', async () => {
    const config = slowConfig();
    const first = startCli(['--config', config]);
    await waitFor(() => factsRequests() >= 4, 15_000, 'the first run to store a few stocks');
    first.child.kill('SIGKILL');
    await first.done;
    expect(existsSync(path.join(dir, 'stocks.db.lock.json'))).toBe(true);
    const handle = db();
    expect(handle.pragma('integrity_check', { simple: true })).toBe('ok');
    // Every stored stock is whole: a stocks row has its metrics, earnings and filings.
    const partial = handle
      .prepare(
        `SELECT symbol FROM stocks s WHERE NOT EXISTS (SELECT 1 FROM stock_metrics m WHERE m.symbol = s.symbol)
           OR (SELECT COUNT(*) FROM earnings_history e WHERE e.symbol = s.symbol) <> 4`,
      )
      .all();
    expect(partial).toEqual([]);
    handle.close();

    const next = await runCli(['--config', config, '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(new RegExp(`took over the lock left by PID ${String(first.child.pid)}`));
    expect(JSON.parse(next.stdout)).toMatchObject({ status: 'completed', successful: 12 });
    const status = await runCli(['status', '--json', '--config', config]);
    const runs = (JSON.parse(status.stdout) as StatusReport).recent_runs.map((run) => run.status);
    expect(runs).toEqual(['completed', 'abandoned']);
  });
});

describe('sharing the database', () => {
  it('waits within its busy timeout while another program holds the write lock, and a reader never blocks it', async () => {
    const config = slowConfig();
    expect((await runCli(['--config', config, '--limit', '2'], { env: { BATCH_REFRESH_NOW: '2026-11-30T02:00:00Z' } })).code).toBe(0);
    // Another program (the web app) holds a write transaction for 1.5 s while the run starts writing;
    // a reader keeps a read transaction open the whole time.
    const writer = new Database(path.join(dir, 'stocks.db'));
    const reader = new Database(path.join(dir, 'stocks.db'), { readonly: true });
    reader.exec('BEGIN');
    expect(reader.prepare('SELECT COUNT(*) AS n FROM stocks').get()).toEqual({ n: 2 });
    writer.exec('BEGIN IMMEDIATE');
    writer.prepare("UPDATE stocks SET name = 'held by the web app' WHERE symbol = ?").run(syntheticCompanies(1)[0]?.symbol);
    const run = startCli(['--config', config, '--json'], { env: { BATCH_REFRESH_NOW: '2026-12-01T02:00:00Z' } });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    writer.exec('COMMIT');
    const result = await run.done;
    reader.exec('COMMIT');
    reader.close();
    writer.close();
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ successful: 12, failed: 0 });
  });
});

describe('a clean stop', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s finishes the stocks in flight, writes an interrupted report and exits %i', async (signal, code) => {
    const config = slowConfig();
    const run = startCli(['--config', config]);
    await waitFor(() => factsRequests() >= 3, 15_000, 'a few stocks');
    run.child.kill(signal);
    const result = await run.done;
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(`${signal} received: finishing the stocks in flight`);
    const [report] = reports();
    expect(report).toMatchObject({ status: 'interrupted', failed: 0, exit_code: code });
    expect(report?.successful).toBeGreaterThanOrEqual(2);
    expect(report?.not_started).toBe(12 - (report?.successful as number));
    const handle = db();
    expect(handle.prepare('SELECT status, successful FROM sync_runs').all()).toEqual([{ status: 'interrupted', successful: report?.successful }]);
    // Exactly the reported stocks are stored, each whole.
    expect(handle.prepare('SELECT COUNT(*) AS n FROM stock_metrics').get()).toEqual({ n: report?.successful });
    handle.close();
    expect(existsSync(path.join(dir, 'stocks.db.lock.json'))).toBe(false);
  });

  it('a second signal stops at once, leaving a consistent database', async () => {
    // Slow enough that finishing the stock in flight would take seconds.
    standIn.addFault('/companyfacts/', { kind: 'delay', ms: 4000 }, 100);
    const config = slowConfig();
    const run = startCli(['--config', config]);
    await waitFor(() => factsRequests() >= 2, 15_000, 'a stock in flight');
    run.child.kill('SIGTERM');
    await waitFor(() => run.stderr().includes('SIGTERM received'), 5000, 'the first signal to be seen');
    const sent = Date.now();
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code).toBe(143);
    expect(Date.now() - sent).toBeLessThan(2000);
    expect(result.stderr).toContain('stopping at once');
    const handle = db();
    expect(handle.pragma('integrity_check', { simple: true })).toBe('ok');
    handle.close();
  });
});

describe('status', () => {
  it('shows a run in progress, then the last run, freshness and the schedule, as JSON and as text', async () => {
    const config = slowConfig();
    const run = startCli(['--config', config], { env: { BATCH_REFRESH_NOW: '2026-11-25T02:00:00Z' } });
    await waitFor(() => factsRequests() >= 2, 15_000, 'the run to start');
    const during = JSON.parse((await runCli(['status', '--json', '--config', config], { env: { BATCH_REFRESH_NOW: '2026-11-25T02:00:05Z' } })).stdout) as StatusReport;
    expect(during.running).toMatchObject({ pid: run.child.pid });
    expect(during.last_run?.status).toBe('running');
    expect((await run.done).code).toBe(0);

    const after = await runCli(['status', '--json', '--config', config], { env: { BATCH_REFRESH_NOW: '2026-11-25T12:00:00Z' } });
    expect(after.code).toBe(0);
    const status = JSON.parse(after.stdout) as StatusReport;
    expect(Object.keys(status).sort()).toEqual(['database', 'database_exists', 'freshness', 'last_run', 'last_success', 'recent_runs', 'running', 'schedule']);
    expect(status.running).toBeNull();
    expect(status.last_run).toMatchObject({ status: 'completed', total_stocks: 12, successful: 12, failed: 0, skipped: 0 });
    // Named by when it was written (the real clock), not by BATCH_REFRESH_NOW.
    expect(status.last_run?.report_path).toMatch(/batch_summary_\d{8}_\d{6}(?:_\d+)?\.json$/);
    expect((JSON.parse(readFileSync(status.last_run?.report_path as string, 'utf8')) as SummaryReport).start_time).toMatch(/^2026-11-2[45]T/);
    expect(status.freshness).toEqual({ stocks: 12, never_refreshed: 0, fresh: 12, stale: 0, stale_after_hours: 36 });
    expect(status.schedule).toMatchObject({ run_time: '02:00', timezone: 'America/New_York' });

    // Two days later every stock is stale.
    const later = JSON.parse((await runCli(['status', '--json', '--config', config], { env: { BATCH_REFRESH_NOW: '2026-11-27T12:00:00Z' } })).stdout) as StatusReport;
    expect(later.freshness).toMatchObject({ fresh: 0, stale: 12 });
    const text = await runCli(['--config', config, 'status']);
    expect(text.stdout).toMatch(/^last run: #1 completed, started 2026-11-25T02:00:\d\d/m);
    expect(text.stdout).toMatch(/running: no/);
  });

  it("names the timer's next elapse when a systemd user manager answers", async () => {
    const bin = path.join(dir, 'fake-bin');
    mkdirSync(bin);
    // A stand-in systemctl that answers only the question status asks.
    writeFileSync(
      path.join(bin, 'systemctl'),
      '#!/bin/sh\n[ "$*" = "--user show batch-refresh.timer --property=NextElapseUSecRealtime --value --timestamp=unix" ] && echo "@1795590461" && exit 0\nexit 1\n',
      { mode: 0o755 },
    );
    const config = slowConfig();
    const result = await runCli(['status', '--json', '--config', config], { env: { PATH: `${bin}:${process.env.PATH ?? ''}` } });
    expect((JSON.parse(result.stdout) as StatusReport).schedule).toMatchObject({ next_run: new Date(1795590461 * 1000).toISOString(), source: 'systemd user timer' });
    const without = await runCli(['status', '--json', '--config', config], { env: { PATH: '/nonexistent' } });
    expect((JSON.parse(without.stdout) as StatusReport).schedule).toMatchObject({ next_run: null, source: 'none found' });
  });

  it('says so when there has been no run yet', async () => {
    const config = slowConfig();
    const result = await runCli(['status', '--json', '--config', config]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ database_exists: false, last_run: null, running: null, recent_runs: [] });
  });
});

describe('continuous mode', () => {
  it('refreshes what is due, idles when everything is fresh, and stops cleanly on SIGTERM', async () => {
    const config = writeTestConfig(dir, standIn.url, { processing: { max_workers: 4 }, continuous: { refresh_interval_hours: 24, idle_sleep_minutes: 0.01 } });
    const run = startCli(['--config', config, '--continuous']);
    await waitFor(() => reports().length === 1, 20_000, 'the first cycle');
    // Idle cycles only read the universe: wait for two of them.
    const tickerRequests = (): number => standIn.requests.filter((r) => r.path.includes('company_tickers')).length;
    const before = tickerRequests();
    await waitFor(() => tickerRequests() >= before + 2, 10_000, 'idle cycles');
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code).toBe(143);
    expect(reports()).toHaveLength(1);
    expect(reports()[0]).toMatchObject({ successful: 12, status: 'completed' });
    expect(standIn.requests.filter((r) => r.path.includes('/companyfacts/'))).toHaveLength(12);
  });

  it('refuses --continuous with --dry-run', async () => {
    const result = await runCli(['--config', slowConfig(), '--continuous', '--dry-run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--continuous cannot be combined');
  });
});

describe('under systemd', () => {
  it('prefixes console lines with journald priorities and no timestamps', async () => {
    const config = slowConfig({ sources: { edgar: { user_agent: 'curl' } } });
    const result = await runCli(['--config', config], { env: { JOURNAL_STREAM: '8:12345' } });
    expect(result.code).toBe(3);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines.every((line) => /^<[3467]>/.test(line))).toBe(true);
    expect(lines.some((line) => line.startsWith('<4>sources.edgar.user_agent'))).toBe(true);
    expect(lines.some((line) => line.startsWith('<3>') && line.includes('403'))).toBe(true);
    expect(result.stderr).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]/);
  });

  it('gives a configuration error (exit 2) the error priority, every line of it', async () => {
    const config = slowConfig({ processing: { batch_size: 0 } });
    const result = await runCli(['--config', config], { env: { JOURNAL_STREAM: '8:12345' } });
    expect(result.code).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^<3>batch-refresh: invalid config /);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.every((line) => line.startsWith('<3>'))).toBe(true);
    expect(result.stderr).toContain('processing.batch_size');
  });
});
