import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jsonBody, startStandIn, type StandIn, type StandInData } from '../../dev/stand-in/server.js';
import { loadSampleDataset, syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { writeBulkArchives } from '../../dev/stand-in/bulk-archives.js';
import { loadConfig } from '../../src/config/load-config.js';
import { acquirePgRunLock } from '../../src/lock/pg-run-lock.js';
import { readStatus } from '../../src/status/read-status.js';
import { FIXTURES, tempDir, writeTestConfig } from '../helpers/cli.js';
import { explain, runInProcess, type InProcessFlags, type InProcessRun } from '../helpers/in-process.js';
import { adminQuery, describePostgres, throwawayDatabases } from '../helpers/postgres.js';
import { postgresRows, schemaTables, sqliteFileOf, sqliteRows, writePostgresConfig } from '../helpers/store-rows.js';

/*
 * Issue 16's "Done when": the same nights against SQLite and against PostgreSQL store identical
 * rows in every table; two runs at once on one PostgreSQL database: one runs, the other exits 75.
 */

/*
 * What may differ between the two stores: earnings_history.id is numbered by each database (SQLite
 * reuses the rowids a replaced company's rows freed, PostgreSQL's identity never does);
 * sync_runs.report_path names each run's own folder and duration_seconds its own speed.
 */
const IGNORED = ['earnings_history.id', 'sync_runs.report_path', 'sync_runs.duration_seconds'];

let standIn: StandIn;

beforeAll(async () => {
  // Real companyfacts and submissions (Apple, Tesla, NVIDIA, TSMC, …) and synthetic companies, the bulk archives of them all.
  const data: StandInData = loadSampleDataset(FIXTURES);
  const synthetic = syntheticDataset(syntheticCompanies(6));
  for (const [cik, body] of synthetic.companyFacts) data.companyFacts.set(cik, body);
  for (const [cik, body] of synthetic.submissions) data.submissions.set(cik, body);
  for (const [symbol, body] of synthetic.charts) data.charts.set(symbol, body);
  for (const [symbol, history] of synthetic.sparks ?? []) data.sparks?.set(symbol, history);
  const tickers = JSON.parse((data.tickerFile as { data: Buffer }).data.toString()) as { data: unknown[][] };
  tickers.data.push(...(JSON.parse((synthetic.tickerFile as { data: Buffer }).data.toString()) as { data: unknown[][] }).data);
  data.tickerFile = jsonBody(tickers);
  data.documents = new Map([['320193/000032019325000079/aapl-20250927.htm', { data: readFileSync(path.join(FIXTURES, 'sec', '10k', 'handmade-ixbrl-10k.htm')), gzipped: false }]]);
  data.archives = await writeBulkArchives(data, tempDir(), [...data.companyFacts.keys(), ...data.submissions.keys()]);
  standIn = await startStandIn({ data });
});

afterAll(async () => {
  await standIn.close();
});

const SECTIONS = { processing: { fetch_filing_sections: true } };

/** A night whose clock stands still at `now`: every timestamp it writes is the same in both stores, whatever their speed. */
async function night(config: string, now: string, flags: InProcessFlags = {}): Promise<InProcessRun> {
  const run = await runInProcess(config, { now, flags: { json: true, ...flags }, deps: { now: () => new Date(now) } });
  expect(run.code, explain(run)).toBe(0);
  return run;
}

describePostgres('the same nights on SQLite and on PostgreSQL', (serverUrl) => {
  const newDatabase = throwawayDatabases(serverUrl);

  const ways: { way: string; first: InProcessFlags }[] = [
    { way: 'company by company, then an incremental night', first: {} },
    { way: 'from the bulk archives, then an incremental night', first: { bulk: true } },
  ];
  // Four whole nights each, two of them on a server the tests share: 120 s.
  it.for(ways)('stores identical rows in every table, $way', { timeout: 120_000 }, async ({ first }) => {
    const sqliteDir = tempDir();
    const sqliteConfig = writeTestConfig(sqliteDir, standIn.url, SECTIONS);
    const pgDir = tempDir();
    const databaseUrl = await newDatabase();
    const pgConfig = writePostgresConfig(pgDir, standIn.url, databaseUrl, SECTIONS);

    const sqliteFirst = await night(sqliteConfig, '2026-11-25T07:00:00Z', first);
    const pgFirst = await night(pgConfig, '2026-11-25T07:00:00Z', first);
    expect(pgFirst.report).toMatchObject({ refresh_path: sqliteFirst.report?.refresh_path, successful: sqliteFirst.report?.successful, failed: 0 });
    expect(pgFirst.report?.database).toBe(databaseUrl.replace(/:[^:@/]+@/, '@'));
    await night(sqliteConfig, '2026-11-27T07:00:00Z');
    await night(pgConfig, '2026-11-27T07:00:00Z');

    const tables = schemaTables(sqliteFileOf(sqliteDir));
    const expected = sqliteRows(sqliteFileOf(sqliteDir), tables, IGNORED);
    expect((expected.earnings_history ?? []).length).toBeGreaterThan(500);
    expect((expected.price_history ?? []).length).toBeGreaterThan(1000);
    expect(expected.filing_sections?.length).toBeGreaterThan(0);
    expect(expected.sync_runs).toHaveLength(2);
    expect(await postgresRows(databaseUrl, tables, IGNORED)).toEqual(expected);
  });

  it('two runs at once on one database: exactly one runs, the other exits 75 naming it', async () => {
    const databaseUrl = await newDatabase();
    const configs = [tempDir(), tempDir()].map((dir) => writePostgresConfig(dir, standIn.url, databaseUrl));
    const runs = await Promise.all(configs.map((config) => runInProcess(config, { now: '2026-11-25T07:00:00Z', flags: { json: true } })));
    expect(runs.map((run) => run.code).sort(), runs.map((run) => `${run.code}: ${String(run.error)}`).join('\n')).toEqual([0, 75]);
    const refused = runs.find((run) => run.code === 75) as InProcessRun;
    expect(String(refused.error)).toMatch(
      new RegExp(`another batch-refresh run holds the lock postgres://postgres@[^ ]+ \\(advisory lock\\): PID ${process.pid} on [^,]+, started 2026-11-25T07:00:00\\.\\d{3}Z; nothing was done`),
    );
    expect(refused.report).toBeNull();
  });

  it("a crashed holder's lock frees itself with its connection: status shows the holder until then, the next run takes over and names it", async () => {
    const databaseUrl = await newDatabase();
    const dir = tempDir();
    const config = writePostgresConfig(dir, standIn.url, databaseUrl);
    const loaded = loadConfig(config, {});
    if (!loaded.ok) throw new Error(loaded.issues.join('; '));
    // Another host's run: the lock on a connection of its own, its row naming it.
    const held = await acquirePgRunLock(loaded.config.database, {}, new Date('2026-11-25T06:00:00Z'));
    await adminQuery(databaseUrl, "UPDATE runs SET pid = 424242, host = 'other-host'");
    const statusDeps = { now: () => new Date('2026-11-25T07:00:00Z'), nextTimerElapse: () => Promise.resolve(null) };
    expect((await readStatus(loaded.config, statusDeps)).running).toEqual({ pid: 424242, host: 'other-host', started_at: '2026-11-25T06:00:00.000Z' });

    const refused = await runInProcess(config, { now: '2026-11-25T07:00:00Z' });
    expect(refused.code).toBe(75);
    expect(String(refused.error)).toContain('(advisory lock): PID 424242 on other-host, started 2026-11-25T06:00:00.000Z; nothing was done');

    // The holder dies (kill -9, its host gone): the server ends its session, and the lock with it.
    await adminQuery(databaseUrl, 'SELECT pg_terminate_backend(backend_pid) FROM runs');
    expect((await readStatus(loaded.config, statusDeps)).running).toBeNull();
    const next = await night(config, '2026-11-25T07:00:00Z');
    expect(next.lines).toContain('WARNING took over the lock left by PID 424242 (started 2026-11-25T06:00:00.000Z), which is no longer running');
    expect(await adminQuery(databaseUrl, 'SELECT * FROM runs')).toEqual([]);
    const status = await readStatus(loaded.config, statusDeps);
    expect(status).toMatchObject({ database: databaseUrl.replace(/:[^:@/]+@/, '@'), database_exists: true, running: null, last_run: { id: 1, status: 'completed' } });
    await held.release();
  });

  it('--dry-run reads what PostgreSQL stores (an empty database rebuilds from the archives, a filled one does not) and writes nothing', async () => {
    const databaseUrl = await newDatabase();
    const config = writePostgresConfig(tempDir(), standIn.url, databaseUrl, { processing: { bulk_min_companies: 0, force_refresh: false } });
    const dryRun = async (now: string) => {
      const run = await runInProcess(config, { now, flags: { dryRun: true, json: true } });
      expect(run.code, explain(run)).toBe(0);
      return run.plan;
    };
    expect(await dryRun('2026-11-25T06:00:00Z')).toMatchObject({ refresh_path: 'bulk', bulk_reason: 'the database is empty' });
    // Read only: not even the tables.
    expect(await adminQuery(databaseUrl, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).toEqual([]);
    await night(config, '2026-11-25T07:00:00Z');
    const runs = await adminQuery(databaseUrl, 'SELECT id FROM sync_runs');
    expect(await dryRun('2026-11-26T07:00:00Z')).toMatchObject({ refresh_path: 'per-company', bulk_reason: null });
    expect(await adminQuery(databaseUrl, 'SELECT id FROM sync_runs')).toEqual(runs);
  });
});
