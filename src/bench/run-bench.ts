import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { syntheticCompanies, syntheticDataset, syntheticSubmissions, type SyntheticCompany } from '../stand-in/datasets.js';
import { jsonBody, startStandIn, type Body } from '../stand-in/server.js';
import { richCompanyFacts } from './rich-facts.js';

/**
 * `npm run bench`: the real CLI against the local stand-in with real latency and the real rate
 * ceilings, a full night then an incremental one (1 % of companies filed), measured as a user
 * would: wall time against the rate-limit floor of the requests made, CPU, peak memory, rows/s.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));

const { values: args } = parseArgs({
  options: {
    stocks: { type: 'string', default: '5000' },
    latency: { type: 'string', default: '150' },
    'sec-rps': { type: 'string', default: '9' },
    'yahoo-delay': { type: 'string', default: '0.05' },
    workers: { type: 'string', default: '16' },
    'batch-size': { type: 'string', default: '500' },
    changed: { type: 'string', default: '0.01' },
    'facts-kb': { type: 'string', default: '250' },
  },
});

interface Measured {
  name: string;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  report: { total_stocks: number; successful: number; failed: number; unchanged: number; requests: Record<string, number>; change_detection: string };
  rowsWritten: number;
}

async function main(): Promise<void> {
  const stocks = Number(args.stocks);
  const secRps = Number(args['sec-rps']);
  const yahooDelay = Number(args['yahoo-delay']);
  const companies = syntheticCompanies(stocks);
  const data = syntheticDataset(companies);
  const factsKb = Number(args['facts-kb']);
  // Realistic companyfacts (a few hundred KB each), made on request so the stand-in stays small.
  data.companyFacts = new LazyFacts(companies, factsKb);
  data.dailyIndexes = new Map();
  const standIn = await startStandIn({ data, latencyMs: Number(args.latency) });
  const dir = mkdtempSync(path.join(tmpdir(), 'batch-refresh-bench-'));
  const config = path.join(dir, 'batch_config.json');
  writeFileSync(
    config,
    JSON.stringify({
      sources: { edgar: { www_url: standIn.url, data_url: standIn.url, user_agent: 'batch-refresh bench bench@example.com' }, yahoo: { base_url: standIn.url } },
      processing: { batch_size: Number(args['batch-size']), delay_between_batches_seconds: 0, max_workers: Number(args.workers), force_refresh: true },
      rate_limiting: { edgar_requests_per_second: secRps, yfinance_delay_seconds: yahooDelay },
      logging: { log_directory: 'logs', progress_interval_seconds: 60 },
      database: { path: 'stocks.db', backup_before_run: false },
      reporting: { summary_directory: 'reports' },
    }),
  );
  process.stderr.write(`bench: ${stocks} stocks, ${args.latency} ms latency, SEC ${secRps}/s, Yahoo every ${yahooDelay}s, ${args.workers} workers, ~${factsKb} KB companyfacts; in ${dir}\n`);

  const full = await measure('full', config, dir, '2026-11-24T07:00:00Z');

  // 1 % of companies file a 10-Q on 2026-11-24; the daily index says so.
  const changedCount = Math.max(1, Math.round(stocks * Number(args.changed)));
  const changed = companies.filter((_c, index) => index % Math.round(stocks / changedCount) === 0).slice(0, changedCount);
  const lines = changed.map((company, index) => {
    const accession = `${String(company.cik).padStart(10, '0')}-26-${String(900_000 + index).padStart(6, '0')}`;
    const submissions = syntheticSubmissions(company, 0) as { filings: { recent: Record<string, string[]> } };
    for (const [key, value] of Object.entries({ accessionNumber: accession, filingDate: '2026-11-24', reportDate: '2026-09-30', acceptanceDateTime: '2026-11-24T16:00:00.000Z', form: '10-Q', primaryDocument: 'q.htm', primaryDocDescription: '10-Q' })) {
      submissions.filings.recent[key]?.unshift(value);
    }
    data.submissions.set(company.cik, jsonBody(submissions));
    return `${company.cik}|${company.name}|10-Q|20261124|edgar/data/${company.cik}/${accession}.txt`;
  });
  data.dailyIndexes.set('2026/QTR4/master.20261124.idx', { data: Buffer.from(`CIK|Company Name|Form Type|Date Filed|File Name\n${'-'.repeat(80)}\n${lines.join('\n')}\n`), gzipped: false });
  const incrementalConfig = JSON.parse(readFileSync(config, 'utf8'));
  incrementalConfig.processing.force_refresh = false;
  writeFileSync(config, JSON.stringify(incrementalConfig));
  const incremental = await measure('incremental (1 % filed)', config, dir, '2026-11-25T07:00:00Z');
  await standIn.close();

  printTable([full, incremental], secRps, yahooDelay);
  rmSync(dir, { recursive: true, force: true });
}

async function measure(name: string, config: string, dir: string, now: string): Promise<Measured> {
  const { stdout, stderr, code } = await run(['/usr/bin/time', '-f', 'TIME %e %U %S %M', process.execPath, path.join(root, 'bin', 'batch-refresh'), '--config', config, '--json'], { BATCH_REFRESH_NOW: now });
  const time = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
  if (code !== 0 || time === null) throw new Error(`${name} run failed (exit ${code}):\n${stderr.slice(-2000)}`);
  const [, wall, user, sys, rssKb] = time.map(Number) as [number, number, number, number, number];
  return { name, wallSeconds: wall, cpuSeconds: user + sys, peakRssMb: rssKb / 1024, report: JSON.parse(stdout), rowsWritten: rowsWrittenSince(dir, new Date(now).toISOString()) };
}

/** Rows this run inserted or updated: their updated_at is at or after the run's start. */
function rowsWrittenSince(dir: string, since: string): number {
  const db = new Database(path.join(dir, 'stocks.db'), { readonly: true });
  const tables = ['stocks', 'stock_metrics', 'earnings_history', 'sec_filings'];
  const total = tables.reduce((sum, table) => sum + (db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE updated_at >= ?`).get(since) as { n: number }).n, 0);
  db.close();
  return total;
}

function printTable(runs: Measured[], secRps: number, yahooDelay: number): void {
  const rows = runs.map((run) => {
    const sec = run.report.requests.sec ?? 0;
    const yahoo = run.report.requests.yahoo ?? 0;
    const floor = Math.max(sec / secRps, yahoo * yahooDelay);
    const n = run.report.total_stocks;
    return {
      run: run.name,
      stocks: `${run.report.successful}/${n} ok, ${run.report.unchanged} unchanged`,
      'wall s': run.wallSeconds.toFixed(1),
      'floor s': floor.toFixed(1),
      'wall/floor': (run.wallSeconds / floor).toFixed(3),
      'SEC req': `${sec} (${(sec / n).toFixed(2)}/stock)`,
      'Yahoo req': `${yahoo} (${(yahoo / n).toFixed(2)}/stock)`,
      'CPU ms/stock': ((run.cpuSeconds * 1000) / n).toFixed(2),
      'peak RSS MB': run.peakRssMb.toFixed(0),
      'rows/s': (run.rowsWritten / run.wallSeconds).toFixed(0),
      path: run.report.change_detection,
    };
  });
  const [full, incremental] = runs;
  console.table(rows);
  if (full && incremental) {
    console.log(`incremental SEC requests: ${(((incremental.report.requests.sec ?? 0) / (full.report.requests.sec ?? 1)) * 100).toFixed(2)} % of the full run's`);
  }
}

function run(command: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0] as string, command.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** companyfacts bodies built when requested (5,000 × 250 KB would not fit comfortably in memory). */
class LazyFacts extends Map<number, Body> {
  private readonly byCik: Map<number, { company: SyntheticCompany; index: number }>;
  constructor(
    companies: SyntheticCompany[],
    private readonly kb: number,
  ) {
    super();
    this.byCik = new Map(companies.map((company, index) => [company.cik, { company, index }]));
  }
  override get(cik: number): Body | undefined {
    const entry = this.byCik.get(cik);
    return entry === undefined ? undefined : jsonBody(richCompanyFacts(entry.company, entry.index, this.kb));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
