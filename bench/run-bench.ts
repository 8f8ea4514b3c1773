import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { EXIT } from '../src/errors.js';
import { syntheticCompanies, syntheticDataset, syntheticSubmissions, type SyntheticCompany } from '../dev/stand-in/datasets.js';
import { writeBulkArchives, type ArchiveFile } from '../dev/stand-in/bulk-archives.js';
import { jsonBody, startStandIn, type Body, type StandInData } from '../dev/stand-in/server.js';
import { plural } from '../src/util/text.js';
import { defaultWorkerCount } from '../src/bulk/extract-pool.js';
import { measureFloor, type Floor } from './floor.js';
import { MARKET_SHAPE, marketFactsText, marketKey } from './market-facts.js';
import { createBenchDatabase, dropBenchDatabase, pgRowsWrittenSince } from './bench-postgres.js';

/**
 * `npm run bench`: the real CLI against the local stand-in with real latency and the real rate
 * ceilings, over a whole synthetic market: a first load on an empty database (the bulk archives),
 * a quiet night (1 % of companies filed), an earnings-season night (15 %). Measured as a user
 * would: wall time, CPU, peak memory, requests and bytes per source, the path each night took.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));

const { values: args } = parseArgs({
  options: {
    stocks: { type: 'string', default: '7360' },
    latency: { type: 'string', default: '150' },
    'sec-rps': { type: 'string', default: '9' },
    'yahoo-delay': { type: 'string', default: '0.5' },
    workers: { type: 'string', default: '16' },
    'batch-size': { type: 'string', default: '500' },
    quiet: { type: 'string', default: '0.01' },
    earnings: { type: 'string', default: '0.15' },
    'facts-kb': { type: 'string' },
    'archive-dir': { type: 'string' },
    'first-load-only': { type: 'boolean', default: false },
    /** A PostgreSQL URL: the nights run against a throwaway database made beside it (CREATE DATABASE, dropped after). */
    database: { type: 'string' },
  },
});

interface Report {
  total_stocks: number;
  successful: number;
  failed: number;
  unchanged: number;
  requests: Record<string, number>;
  bytes_downloaded: Record<string, number>;
  refresh_path: string;
  companies_changed: number | null;
  bulk: { extraction_seconds: number; archives: { name: string; bytes: number; seconds: number }[] } | null;
}

interface Measured {
  name: string;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  report: Report;
  rowsWritten: number;
  targetSeconds: number;
}

async function main(): Promise<void> {
  const stocks = Number(args.stocks);
  const secRps = Number(args['sec-rps']);
  const yahooDelay = Number(args['yahoo-delay']);
  const factsKb = args['facts-kb'] === undefined ? undefined : Number(args['facts-kb']);
  const companies = syntheticCompanies(stocks);
  const data = syntheticDataset(companies);
  // Real-sized companyfacts (bench/market-facts.ts), made on request so the stand-in stays small.
  const facts = new LazyFacts(companies, factsKb);
  data.companyFacts = facts;
  data.dailyIndexes = new Map();
  // Keyed by the generator's version: an archive of an older generator is never served by mistake.
  const archiveDir = args['archive-dir'] ?? path.join(tmpdir(), `batch-refresh-bench-archives-${stocks}-${marketKey(factsKb)}`);
  data.archives = await archivesFor(data, companies, archiveDir);
  const workers = defaultWorkerCount();
  process.stderr.write(`bench: measuring the floor on the archives (inflate, 1 thread; inflate + JSON.parse, ${plural(workers, 'worker', 'workers')})\n`);
  const universe = new Set(companies.map((company) => company.cik));
  const floor = await measureFloor(
    [...data.archives.values()].map((archive) => archive.file),
    workers,
    (name) => universe.has(Number(/^CIK(\d{10})/.exec(name)?.[1])),
  );
  const zipBytes = [...data.archives.values()].reduce((sum, archive) => sum + statSync(archive.file).size, 0);
  process.stderr.write(`${describeFloor(floor, zipBytes)}\n`);
  const standIn = await startStandIn({ data, latencyMs: Number(args.latency) });
  const dir = mkdtempSync(path.join(tmpdir(), 'batch-refresh-bench-'));
  const config = path.join(dir, 'batch_config.json');
  const store = args.database === undefined ? null : await createBenchDatabase(args.database);
  writeFileSync(
    config,
    JSON.stringify({
      sources: { edgar: { www_url: standIn.url, data_url: standIn.url, user_agent: 'batch-refresh bench bench@example.com' }, yahoo: { base_url: standIn.url } },
      processing: { batch_size: Number(args['batch-size']), delay_between_batches_seconds: 0, max_workers: Number(args.workers), force_refresh: false },
      rate_limiting: { edgar_requests_per_second: secRps, yfinance_delay_seconds: yahooDelay },
      logging: { log_directory: 'logs', progress_interval_seconds: 60 },
      database: store === null ? { path: 'stocks.db', backup_before_run: false } : { url: store.url, backup_before_run: false },
      reporting: { summary_directory: 'reports' },
    }),
  );
  process.stderr.write(
    `bench: ${plural(stocks, 'stock', 'stocks')}, ${args.latency} ms latency, SEC ${secRps}/s, Yahoo every ${yahooDelay}s, ${plural(Number(args.workers), 'worker', 'workers')}, companyfacts ${factsKb === undefined ? `of real size (median ${MARKET_SHAPE.medianKb} KB, mean ${MARKET_SHAPE.meanKb} KB)` : `of ${factsKb} KB each`}; ${store === null ? 'SQLite' : `PostgreSQL database ${store.name}`}; in ${dir}\n`,
  );

  const rowsOf = (since: string): Promise<number> => (store === null ? Promise.resolve(rowsWrittenSince(dir, since)) : pgRowsWrittenSince(store.url, since));
  const runs: Measured[] = [];
  try {
    runs.push(await measure('first load (empty database)', config, rowsOf, '2026-11-23T07:00:00Z', 600));
    if (!args['first-load-only']) {
      facts.prepare(fileOn(data, companies, Number(args.quiet), '20261123', 0));
      runs.push(await measure(`quiet night (${(Number(args.quiet) * 100).toFixed(0)} % filed)`, config, rowsOf, '2026-11-24T07:00:00Z', 240));
      facts.prepare(fileOn(data, companies, Number(args.earnings), '20261124', 1));
      runs.push(await measure(`earnings night (${(Number(args.earnings) * 100).toFixed(0)} % filed)`, config, rowsOf, '2026-11-25T07:00:00Z', 360));
    }
  } finally {
    await standIn.close();
    if (store !== null) await dropBenchDatabase(args.database as string, store.name);
  }

  printTable(runs, secRps, yahooDelay, floor, zipBytes);
  rmSync(dir, { recursive: true, force: true });
}

/** The bulk archives of the synthetic market, generated once and kept for later runs of the bench. */
async function archivesFor(data: StandInData, companies: SyntheticCompany[], dir: string): Promise<Map<string, ArchiveFile>> {
  const stamp = path.join(dir, 'complete.json');
  if (existsSync(stamp)) return new Map(Object.entries(JSON.parse(readFileSync(stamp, 'utf8')) as Record<string, ArchiveFile>));
  mkdirSync(dir, { recursive: true });
  process.stderr.write(`bench: writing companyfacts.zip and submissions.zip for ${plural(companies.length, 'company', 'companies')} to ${dir} (once)\n`);
  const archives = await writeBulkArchives(
    data,
    dir,
    companies.map((company) => company.cik),
  );
  writeFileSync(stamp, JSON.stringify(Object.fromEntries(archives)));
  return archives;
}

/** A share of the companies file a 10-Q on `day`; that day's daily index says so. */
function fileOn(data: StandInData, companies: SyntheticCompany[], share: number, day: string, offset: number): SyntheticCompany[] {
  const count = Math.max(1, Math.round(companies.length * share));
  const step = companies.length / count;
  const filers = Array.from({ length: count }, (_unused, index) => companies[Math.floor(index * step + offset) % companies.length] as SyntheticCompany);
  const iso = `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`;
  const lines = filers.map((company, index) => {
    const accession = `${String(company.cik).padStart(10, '0')}-26-${String(offset * 100_000 + index).padStart(6, '0')}`;
    const submissions = syntheticSubmissions(company, 0) as { filings: { recent: Record<string, string[]> } };
    for (const [key, value] of Object.entries({
      accessionNumber: accession,
      filingDate: iso,
      reportDate: '2026-09-30',
      acceptanceDateTime: `${iso}T16:00:00.000Z`,
      form: '10-Q',
      primaryDocument: 'q.htm',
      primaryDocDescription: '10-Q',
    })) {
      submissions.filings.recent[key]?.unshift(value);
    }
    data.submissions.set(company.cik, jsonBody(submissions));
    return `${company.cik}|${company.name}|10-Q|${day}|edgar/data/${company.cik}/${accession}.txt`;
  });
  data.dailyIndexes?.set(`${day.slice(0, 4)}/QTR4/master.${day}.idx`, {
    data: Buffer.from(`CIK|Company Name|Form Type|Date Filed|File Name\n${'-'.repeat(80)}\n${lines.join('\n')}\n`),
    gzipped: false,
  });
  return filers;
}

async function measure(name: string, config: string, rowsOf: (since: string) => Promise<number>, now: string, targetSeconds: number): Promise<Measured> {
  const { stdout, stderr, code } = await run(['/usr/bin/time', '-f', 'TIME %e %U %S %M', process.execPath, path.join(root, 'bin', 'batch-refresh'), '--config', config, '--json'], {
    BATCH_REFRESH_NOW: now,
  });
  const time = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
  if (code !== EXIT.OK || time === null) throw new Error(`${name} run failed (exit ${String(code)}):\n${stderr.slice(-2000)}`);
  const [, wall, user, sys, rssKb] = time.map(Number) as [number, number, number, number, number];
  return {
    name,
    wallSeconds: wall,
    cpuSeconds: user + sys,
    peakRssMb: rssKb / 1024,
    report: JSON.parse(stdout) as Report,
    rowsWritten: await rowsOf(new Date(now).toISOString()),
    targetSeconds,
  };
}

/** Rows this run inserted or updated: their updated_at is at or after the run's start. */
function rowsWrittenSince(dir: string, since: string): number {
  const db = new Database(path.join(dir, 'stocks.db'), { readonly: true });
  const tables = ['stocks', 'stock_metrics', 'earnings_history', 'sec_filings', 'price_history'];
  const total = tables.reduce((sum, table) => sum + (db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE updated_at >= ?`).get(since) as { n: number }).n, 0);
  db.close();
  return total;
}

/** The floor's line: the archives' sizes and compression, and the two floors. */
function describeFloor(floor: Floor, zipBytes: number): string {
  const gb = floor.bytes / 1024 ** 3;
  return [
    `floor: ${plural(floor.entries, 'entry', 'entries')}, ${gb.toFixed(2)} GB of JSON, ${(floor.compressedBytes / 1024 ** 2).toFixed(0)} MB deflated (×${(floor.bytes / floor.compressedBytes).toFixed(1)}), archives ${(zipBytes / 1024 ** 2).toFixed(0)} MB;`,
    `inflate only (1 thread) ${floor.inflateSeconds.toFixed(1)} s; inflate + JSON.parse (${plural(floor.workers, 'worker', 'workers')}) ${floor.parseSeconds.toFixed(1)} s, ${floor.parseCpuSeconds.toFixed(1)} CPU s`,
  ].join(' ');
}

function printTable(runs: Measured[], secRps: number, yahooDelay: number, floor: Floor, zipBytes: number): void {
  const mb = (bytes: number | undefined): string => ((bytes ?? 0) / 1048576).toFixed(0);
  const rows = runs.map((run) => {
    const sec = run.report.requests.sec ?? 0;
    const yahoo = run.report.requests.yahoo ?? 0;
    const rateFloor = Math.max(sec / secRps, yahoo * yahooDelay);
    const extraction = run.report.bulk?.extraction_seconds;
    return {
      run: run.name,
      path: run.report.refresh_path,
      stocks: `${run.report.successful}/${run.report.total_stocks} ok`,
      'wall s': run.wallSeconds.toFixed(1),
      target: `${run.targetSeconds} s ${run.wallSeconds <= run.targetSeconds ? 'met' : 'MISSED'}`,
      'rate floor s': rateFloor.toFixed(1),
      'wall ÷ rate floor': (run.wallSeconds / rateFloor).toFixed(3),
      'extraction s': extraction ?? '',
      'parse floor s': extraction === undefined ? '' : floor.parseSeconds.toFixed(1),
      'extraction ÷ parse floor': extraction === undefined ? '' : (extraction / floor.parseSeconds).toFixed(2),
      'CPU ÷ parse floor CPU': extraction === undefined ? '' : (run.cpuSeconds / floor.parseCpuSeconds).toFixed(2),
      'SEC req': sec,
      'SEC MB': mb(run.report.bytes_downloaded.sec),
      'Yahoo req': yahoo,
      'Yahoo MB': mb(run.report.bytes_downloaded.yahoo),
      changed: run.report.companies_changed ?? '',
      'CPU s': run.cpuSeconds.toFixed(1),
      'peak RSS MB': run.peakRssMb.toFixed(0),
      'rows/s': (run.rowsWritten / run.wallSeconds).toFixed(0),
    };
  });
  console.table(rows);
  console.log(describeFloor(floor, zipBytes));
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

/** companyfacts bodies built when requested (7,360 × 1.7 MB would not fit in memory). */
class LazyFacts extends Map<number, Body> {
  private readonly byCik: Map<number, { company: SyntheticCompany; index: number }>;
  constructor(
    companies: SyntheticCompany[],
    private readonly kb: number | undefined,
  ) {
    super();
    this.byCik = new Map(companies.map((company, index) => [company.cik, { company, index }]));
  }
  private ready = new Map<number, Body>();
  /**
   * Builds the bodies of the companies a night will ask for ahead of it, gzipped as SEC serves
   * them: built on request, a 2 MB body would keep the stand-in (this process) busy for tens of
   * milliseconds a request, time the night under measurement would wait for.
   */
  prepare(companies: SyntheticCompany[]): void {
    // From the generator, never from get(): a company prepared for the night before too would be
    // gzipped twice (and its body read as invalid JSON).
    this.ready = new Map(companies.map((company) => [company.cik, { data: gzipSync(this.build(company.cik) ?? Buffer.alloc(0)), gzipped: true }]));
  }
  override get(cik: number): Body | undefined {
    const ready = this.ready.get(cik);
    if (ready !== undefined) return ready;
    const data = this.build(cik);
    return data === undefined ? undefined : { data, gzipped: false };
  }
  private build(cik: number): Buffer | undefined {
    const entry = this.byCik.get(cik);
    return entry === undefined ? undefined : Buffer.from(marketFactsText(entry.company, entry.index, this.kb));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = EXIT.FAILED;
});
