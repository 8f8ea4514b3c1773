import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SummaryReport } from '../../src/report/summary-report.js';
import type { DryRunPlan } from '../../src/runner/job.js';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { FIXTURES, ROOT, runCli, tempDir, writeTestConfig } from '../helpers/cli.js';

let standIn: StandIn;

beforeAll(async () => {
  standIn = await startStandIn({ data: syntheticDataset(syntheticCompanies(30)) });
});

afterAll(async () => {
  await standIn.close();
});

describe('the command line contract', () => {
  it('prints --version from package.json and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it('prints --help with every documented flag and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const flag of ['--config <file>', '--dry-run', '--limit <n>', '--verbose', '--json', '--help', '--version']) expect(result.stdout).toContain(flag);
  });

  it.each([
    [['--limit', '0'], /--limit/],
    [['--limit', 'ten'], /--limit/],
    [['--bogus'], /unknown option '--bogus'/],
    [['--symbols', 'AAPL,$(touch x)'], /--symbols: "\$\(touch x\)"/],
    [['--symbols', ''], /--symbols: no symbol given/],
    [['--symbols', ' , ,'], /--symbols: no symbol given/],
  ])('exits 2 for bad flags %j', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('exits 2 naming the key and the reason for a bad config, before any request', async () => {
    const dir = tempDir();
    const before = standIn.requests.length;
    const config = writeTestConfig(dir, standIn.url, { processing: { batch_size: -5 }, logging: { log_level: 'LOUD' } });
    const result = await runCli(['--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/processing\.batch_size: Too small/);
    expect(result.stderr).toMatch(/logging\.log_level: /);
    expect(standIn.requests.length).toBe(before);
    expect(readdirSync(dir)).toEqual(['batch_config.json']);
  });

  it('exits 2 when the config file is missing or not JSON', async () => {
    const missing = await runCli(['--config', '/nonexistent/c.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/c.json: file not found');
    const file = path.join(tempDir(), 'c.json');
    writeFileSync(file, '{ not json');
    const broken = await runCli(['--config', file]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('not valid JSON');
  });

  it('exits 2 without a SEC User-Agent, saying where to set it', async () => {
    const dir = tempDir();
    const config = writeTestConfig(dir, standIn.url, { sources: { edgar: { user_agent: undefined } } });
    const raw = JSON.parse(readFileSync(config, 'utf8')) as { sources: { edgar: { user_agent?: string } } };
    delete raw.sources.edgar.user_agent;
    writeFileSync(config, JSON.stringify(raw));
    const result = await runCli(['--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/sources\.edgar\.user_agent.*SEC_USER_AGENT/);
    // The environment variable is enough.
    const withEnv = await runCli(['--config', config, '--dry-run', '--json'], { env: { SEC_USER_AGENT: 'Jane Doe jane@example.com' } });
    expect(withEnv.code, withEnv.stderr).toBe(0);
    expect(standIn.requests.at(-1)?.userAgent).toBe('Jane Doe jane@example.com');
  });

  it('exits 2 for a BATCH_REFRESH_NOW that is not a time', async () => {
    const config = writeTestConfig(tempDir(), standIn.url);
    const result = await runCli(['--config', config], { env: { BATCH_REFRESH_NOW: 'yesterday' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('BATCH_REFRESH_NOW');
  });

  it('--dry-run --json prints the plan, fetches no per-stock data and writes nothing', async () => {
    const dir = tempDir();
    const config = writeTestConfig(dir, standIn.url, { processing: { batch_size: 8 }, rate_limiting: { edgar_requests_per_second: 5, yfinance_delay_seconds: 0.5 } });
    const before = standIn.requests.length;
    const result = await runCli(['--config', config, '--dry-run', '--json', '--limit', '20']);
    expect(result.code, result.stderr).toBe(0);
    const plan = JSON.parse(result.stdout) as DryRunPlan;
    expect(Object.keys(plan).sort()).toEqual(['batches', 'bulk_reason', 'estimated_seconds', 'refresh_path', 'symbols', 'total_stocks']);
    expect(plan).toMatchObject({ refresh_path: 'per-company', bulk_reason: null });
    expect(plan.total_stocks).toBe(20);
    expect(plan.batches).toBe(3);
    expect(plan.symbols).toEqual(syntheticCompanies(20).map((c) => c.symbol));
    // 40 SEC requests at 5/s = 8 s; prices for 3 batches (8, 8, 4 stocks) in 3 spark requests
    // 0.5 s apart = 1.5 s; no pauses configured.
    expect(plan.estimated_seconds).toBe(8);
    expect(standIn.requests.slice(before).map((r) => r.path)).toEqual(['/files/company_tickers_exchange.json']);
    expect(readdirSync(dir)).toEqual(['batch_config.json']);
  });

  it('--dry-run estimates the way the run would take: a whole market on an empty database rebuilds from the archives', async () => {
    const market = await startStandIn({ data: syntheticDataset(syntheticCompanies(1200)) });
    try {
      const dir = tempDir();
      const config = writeTestConfig(dir, market.url, {
        processing: { batch_size: 100, delay_between_batches_seconds: 5 },
        rate_limiting: { edgar_requests_per_second: 10, yfinance_delay_seconds: 0.5 },
      });
      const result = await runCli(['--config', config, '--dry-run', '--json']);
      expect(result.code, result.stderr).toBe(0);
      const plan = JSON.parse(result.stdout) as DryRunPlan;
      // 1,200 stocks in 12 batches: 60 spark requests 0.5 s apart bound the rebuild (the archives' download is not counted);
      // per company it would be 2,400 SEC requests at 10/s plus 11 pauses of 5 s.
      expect(plan).toMatchObject({ total_stocks: 1200, batches: 12, refresh_path: 'bulk', bulk_reason: 'the database is empty', estimated_seconds: 30 });
      const text = await runCli(['--config', config, '--dry-run']);
      expect(text.stderr).toContain(
        "dry run: 1200 stocks in 12 batches; a rebuild from SEC's bulk archives (the database is empty): about 30s at the configured rate limits, plus the archives' download",
      );
      const perCompany = JSON.parse((await runCli(['--config', config, '--dry-run', '--json', '--limit', '999'])).stdout) as DryRunPlan;
      expect(perCompany).toMatchObject({ refresh_path: 'per-company', estimated_seconds: Math.ceil((2 * 999) / 10 + 9 * 5) });
    } finally {
      await market.close();
    }
  });

  it('finds its config through BATCH_REFRESH_CONFIG', async () => {
    const config = writeTestConfig(tempDir(), standIn.url);
    const result = await runCli(['--dry-run', '--json', '--limit', '2'], { env: { BATCH_REFRESH_CONFIG: config } });
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as DryRunPlan).total_stocks).toBe(2);
  });

  it('exits 0 at once when the job is disabled', async () => {
    const dir = tempDir();
    const config = writeTestConfig(dir, standIn.url, { enabled: false });
    const before = standIn.requests.length;
    const result = await runCli(['--config', config]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/disabled/);
    expect(standIn.requests.length).toBe(before);
    expect(existsSync(path.join(dir, 'stocks.db'))).toBe(false);
  });

  it("exits 0 for the original tool's config with enabled false, before asking for anything, touching nothing", async () => {
    const dir = tempDir();
    const original = JSON.parse(readFileSync(path.join(FIXTURES, 'batch_config.example.json'), 'utf8')) as Record<string, unknown>;
    const config = path.join(dir, 'batch_config.json');
    writeFileSync(config, JSON.stringify({ ...original, enabled: false }));
    // No SEC User-Agent anywhere: a disabled job needs none.
    const result = await runCli(['--config', config]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/the job is disabled \("enabled": false in .*batch_config\.json\); nothing to do/);
    expect(result.stderr).not.toMatch(/User-Agent/);
    expect(readdirSync(dir)).toEqual(['batch_config.json']); // no log, database, report or backup folder
  });

  it('reads a file universe, normalising symbols and rejecting hostile ones with a message', async () => {
    const dir = tempDir();
    const [first, second] = syntheticCompanies(2).map((c) => c.symbol) as [string, string];
    writeFileSync(path.join(dir, 'symbols.txt'), `${first}\n\n../../etc/passwd\n${first.toLowerCase()}\n$(touch pwned)\n${second}\nNOSUCH\n`);
    const config = writeTestConfig(dir, standIn.url, { universe: { source: 'file', file: 'symbols.txt' }, error_handling: { min_success_rate: 0 } });
    const result = await runCli(['--config', config, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as SummaryReport;
    // Each valid symbol once; NOSUCH is unknown to SEC and Yahoo: skipped, not failed.
    expect(report).toMatchObject({ total_stocks: 3, successful: 2, skipped: 1, skipped_symbols: ['NOSUCH'] });
    expect(result.stderr).toMatch(/2 symbols rejected.*"\.\.\/\.\.\/etc\/passwd".*"\$\(touch pwned\)"/);
    expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
    const db = new Database(path.join(dir, 'stocks.db'), { readonly: true });
    expect(db.prepare('SELECT symbol, cik FROM stocks ORDER BY symbol').all()).toEqual([
      { symbol: first, cik: 9_000_001 },
      { symbol: second, cik: 9_000_002 },
    ]);
    db.close();
  });

  it('logs to the configured file and shows per-stock lines only with --verbose', async () => {
    const dir = tempDir();
    const config = writeTestConfig(dir, standIn.url, { logging: { log_file: 'nightly.log', log_level: 'INFO' } });
    const quiet = await runCli(['--config', config, '--limit', '3']);
    expect(quiet.code, quiet.stderr).toBe(0);
    const symbol = syntheticCompanies(1)[0]?.symbol as string;
    expect(quiet.stderr).not.toContain(`${symbol}: ok`);
    expect(quiet.stderr).toMatch(/refresh completed .* 3 successful, 0 failed, 0 skipped of 3 \(100\.00%\)/);
    const verbose = await runCli(['--config', config, '--limit', '3', '--verbose']);
    expect(verbose.stderr).toContain(`${symbol}: ok`);
    const log = readFileSync(path.join(dir, 'logs', 'nightly.log'), 'utf8');
    // Each line of the run carries its run id.
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+[+-]\d\d:\d\d INFO {4}\[[0-9a-f]+\] universe: 30 stocks/m);
    // log_level INFO keeps debug lines out of the file even when the console shows them.
    expect(log).not.toContain(`${symbol}: ok`);
    // Nothing but the report goes to stdout without --json.
    expect(quiet.stdout).toBe('');
  });

  it('with console_output false shows only errors on the console', async () => {
    const dir = tempDir();
    const config = writeTestConfig(dir, standIn.url, { logging: { console_output: false } });
    const result = await runCli(['--config', config, '--limit', '2']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(readFileSync(path.join(dir, 'logs', 'batch_refresh.log'), 'utf8')).toContain('refresh completed');
  });
});
