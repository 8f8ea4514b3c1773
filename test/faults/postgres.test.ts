import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { loadConfig } from '../../src/config/load-config.js';
import { EXIT, SetupError } from '../../src/errors.js';
import { readStatus } from '../../src/status/read-status.js';
import { tempDir } from '../helpers/cli.js';
import { explain, reportOf, runInProcess } from '../helpers/in-process.js';
import { adminQuery, describePostgres, throwawayDatabases } from '../helpers/postgres.js';
import { writePostgresConfig } from '../helpers/store-rows.js';

/*
 * How a night on PostgreSQL fails (docs/reliability.md), each against the real server: the server
 * down at the start, a wrong password, a read-only database, a statement past its timeout, a
 * connection lost in the middle of a stock's transaction.
 */

const COMPANIES = syntheticCompanies(6);
const NOW = '2026-11-25T07:00:00Z';
let standIn: StandIn;

beforeAll(async () => {
  standIn = await startStandIn({ data: syntheticDataset(COMPANIES) });
});

afterAll(async () => {
  await standIn.close();
});

/** The run's every word: its console, its log lines, what it threw. */
function everything(run: Awaited<ReturnType<typeof runInProcess>>): string {
  return `${run.console}\n${run.lines.join('\n')}\n${String(run.error)}`;
}

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

describePostgres('PostgreSQL faults', (serverUrl) => {
  const newDatabase = throwawayDatabases(serverUrl);

  it('server down at the start: exit 3, a message naming the server and what to check, no report, nothing done', async () => {
    const dir = tempDir();
    // A port nothing listens on (the server's own, plus one: the test server owns a single port).
    const down = new URL(serverUrl);
    down.port = String(Number(down.port || '5432') + 1);
    down.pathname = '/br_never';
    const asked = standIn.requests.length;
    const run = await runInProcess(writePostgresConfig(dir, standIn.url, down.toString()), { now: NOW });
    expect(run.code, explain(run)).toBe(EXIT.ABORTED);
    expect(String(run.error)).toMatch(
      /cannot take the run lock on postgres:\/\/postgres@127\.0\.0\.1:\d+\/br_never: cannot reach the PostgreSQL server the server \(.*ECONNREFUSED.*\); is it running, and is database\.url's host and port right\?; nothing was refreshed/,
    );
    expect(run.report).toBeNull();
    expect(standIn.requests.slice(asked).filter((request) => request.source === 'yahoo')).toEqual([]);
    // `status` says the same, as a setup error (exit 3), not a stack.
    const loaded = loadConfig(writePostgresConfig(dir, standIn.url, down.toString()), {});
    if (!loaded.ok) throw new Error(loaded.issues.join('; '));
    const status = readStatus(loaded.config, { now: () => new Date(NOW), nextTimerElapse: () => Promise.resolve(null) });
    await expect(status).rejects.toBeInstanceOf(SetupError);
    await expect(status).rejects.toThrow(/^cannot read the database postgres:\/\/postgres@127\.0\.0\.1:\d+\/br_never: cannot reach the PostgreSQL server/);
  });

  it('a wrong password: exit 3, the server says authentication failed, and no message shows the password', async () => {
    const url = await newDatabase();
    const dir = tempDir();
    const wrong = 'n0t-the-Passw0rd';
    const run = await runInProcess(writePostgresConfig(dir, standIn.url, withPassword(url, wrong)), { now: NOW });
    expect(run.code, explain(run)).toBe(EXIT.ABORTED);
    expect(String(run.error)).toContain('password authentication failed for user "postgres"; check the password (database.password_file, the URL or PGPASSWORD)');
    expect(everything(run)).not.toContain(wrong);
    expect(readFileSync(path.join(dir, 'logs', 'batch_refresh.log'), 'utf8')).not.toContain(wrong);
  });

  it('the password from database.password_file, or from PGPASSWORD, when the URL has none; the report names the URL without it', async () => {
    const url = await newDatabase();
    const password = new URL(serverUrl).password;
    const bare = withPassword(url, '');
    const fromFile = tempDir();
    writeFileSync(path.join(fromFile, 'pgpass'), `${password}\n`, { mode: 0o600 });
    const fileConfig = writePostgresConfig(fromFile, standIn.url, bare, { database: { password_file: 'pgpass' } });
    const byFile = await runInProcess(fileConfig, { now: NOW, flags: { json: true } });
    expect(byFile.code, explain(byFile)).toBe(EXIT.OK);
    expect(reportOf(byFile).database).toBe(bare);
    const byEnv = await runInProcess(writePostgresConfig(tempDir(), standIn.url, bare), { now: '2026-11-26T07:00:00Z', env: { PGPASSWORD: password } });
    expect(byEnv.code, explain(byEnv)).toBe(EXIT.OK);
    expect(everything(byFile) + everything(byEnv)).not.toContain(`:${password}@`);
  });

  it('a read-only database (as a replica is): exit 3, saying so and to point database.url at the primary, nothing written', async () => {
    const url = await newDatabase();
    const name = new URL(url).pathname.slice(1);
    await adminQuery(serverUrl, `ALTER DATABASE ${name} SET default_transaction_read_only = on`);
    const run = await runInProcess(writePostgresConfig(tempDir(), standIn.url, url), { now: NOW });
    expect(run.code, explain(run)).toBe(EXIT.ABORTED);
    expect(String(run.error)).toMatch(/the server is read-only \(a replica, or default_transaction_read_only is on\): .*; point database\.url at the primary; nothing was refreshed/);
    expect(await adminQuery(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).toEqual([]);
  });

  it('turned read-only between two nights: the second aborts (exit 3) before any stock, the first night stays whole', async () => {
    const url = await newDatabase();
    const config = writePostgresConfig(tempDir(), standIn.url, url);
    expect((await runInProcess(config, { now: NOW })).code).toBe(EXIT.OK);
    const before = await adminQuery(url, 'SELECT symbol, last_refreshed_at FROM stocks ORDER BY symbol');
    await adminQuery(serverUrl, `ALTER DATABASE ${new URL(url).pathname.slice(1)} SET default_transaction_read_only = on`);
    const run = await runInProcess(config, { now: '2026-11-26T07:00:00Z' });
    expect(run.code, explain(run)).toBe(EXIT.ABORTED);
    expect(String(run.error)).toContain('read-only');
    expect(await adminQuery(url, 'SELECT symbol, last_refreshed_at FROM stocks ORDER BY symbol')).toEqual(before);
  });

  it('a statement past database.statement_timeout_seconds is cancelled: that stock fails (storage, naming the key), the others are stored', async () => {
    const url = await newDatabase();
    const config = writePostgresConfig(tempDir(), standIn.url, url, { database: { statement_timeout_seconds: 1, busy_timeout_ms: 600_000 } });
    expect((await runInProcess(config, { now: NOW })).code).toBe(EXIT.OK);
    const slow = COMPANIES[2]?.symbol as string;
    // A write of that stock's row takes two seconds: a trigger stands in for a slow server.
    await adminQuery(
      url,
      `CREATE FUNCTION slow() RETURNS trigger AS $$ BEGIN IF NEW.symbol = '${slow}' THEN PERFORM pg_sleep(2); END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
       CREATE TRIGGER slow BEFORE INSERT ON stocks FOR EACH ROW EXECUTE FUNCTION slow();`,
    );
    const run = await runInProcess(config, { now: '2026-11-27T07:00:00Z', flags: { json: true } });
    const report = reportOf(run);
    expect(report.failures).toEqual([
      expect.objectContaining({
        symbol: slow,
        error_type: 'storage',
        message: expect.stringMatching(/database: a statement ran longer than database\.statement_timeout_seconds on postgres:\/\/postgres@.* and was cancelled/) as unknown,
      }),
    ]);
    expect(report.successful).toBe(COMPANIES.length - 1);
    const stored = await adminQuery<{ symbol: string; last_refreshed_at: string }>(url, 'SELECT symbol, last_refreshed_at FROM stocks ORDER BY symbol');
    expect(stored.filter((row) => row.last_refreshed_at.startsWith('2026-11-27')).map((row) => row.symbol)).toEqual(
      COMPANIES.map((c) => c.symbol)
        .filter((s) => s !== slow)
        .sort(),
    );
  });

  it('the connection lost in the middle of a stock: its transaction runs again on a new connection, the night ends clean and the stock is whole', async () => {
    const url = await newDatabase();
    const config = writePostgresConfig(tempDir(), standIn.url, url);
    expect((await runInProcess(config, { now: NOW })).code).toBe(EXIT.OK);
    const victim = COMPANIES[3]?.symbol as string;
    const rows = await adminQuery<{ n: number }>(url, 'SELECT (SELECT COUNT(*) FROM price_history) + (SELECT COUNT(*) FROM earnings_history) AS n');
    await adminQuery(
      url,
      `CREATE FUNCTION pause() RETURNS trigger AS $$ BEGIN IF NEW.symbol = '${victim}' THEN PERFORM pg_sleep(1); END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
       CREATE TRIGGER pause BEFORE INSERT ON stocks FOR EACH ROW EXECUTE FUNCTION pause();`,
    );
    // Once the victim's transaction is in the trigger, its backend is terminated (as a failover or a network cut would).
    let terminated = 0;
    const killer = (async () => {
      for (let tries = 0; tries < 400 && terminated === 0; tries += 1) {
        const killed = await adminQuery<{ pid: number }>(
          serverUrl,
          "SELECT pg_terminate_backend(pid), pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'batch-refresh' AND wait_event = 'PgSleep'",
          [new URL(url).pathname.slice(1)],
        );
        terminated += killed.length;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();
    const run = await runInProcess(config, { now: '2026-11-27T07:00:00Z', flags: { json: true } });
    await killer;
    expect(terminated).toBe(1);
    expect(run.code, explain(run)).toBe(EXIT.OK);
    expect(reportOf(run)).toMatchObject({ successful: COMPANIES.length, failed: 0 });
    const victimRow = await adminQuery<{ last_refreshed_at: string }>(url, 'SELECT last_refreshed_at FROM stocks WHERE symbol = $1', [victim]);
    expect(victimRow[0]?.last_refreshed_at.startsWith('2026-11-27')).toBe(true);
    // Nothing doubled by the transaction run twice, nothing lost by the one rolled back.
    expect(await adminQuery<{ n: number }>(url, 'SELECT (SELECT COUNT(*) FROM price_history) + (SELECT COUNT(*) FROM earnings_history) AS n')).toEqual(rows);
  });

  it('the run lock lost mid-run (its connection closed): the night aborts (exit 3) saying so, the stocks stored so far stay whole', async () => {
    const url = await newDatabase();
    // A slow stand-in, one worker: the night lasts long enough to lose its lock in the middle.
    const slowSource = await startStandIn({ data: syntheticDataset(syntheticCompanies(20)), latencyMs: 150 });
    try {
      const config = writePostgresConfig(tempDir(), slowSource.url, url, { processing: { max_workers: 1, batch_size: 5 } });
      const running = runInProcess(config, { now: NOW, flags: { json: true } });
      // Once a stock is stored, the lock's own connection is cut, as a network fault or a server restart would.
      for (let tries = 0; tries < 200; tries += 1) {
        const stored = await adminQuery<{ n: number }>(url, 'SELECT COUNT(*)::int AS n FROM stocks').catch(() => [{ n: 0 }]);
        if ((stored[0]?.n ?? 0) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const cut = await adminQuery<{ cut: boolean }>(url, "SELECT pg_terminate_backend(backend_pid) AS cut FROM runs WHERE lock = 'run'");
      expect(cut).toEqual([{ cut: true }]);
      const run = await running;
      expect(run.code, explain(run)).toBe(EXIT.ABORTED);
      const report = reportOf(run);
      expect(report.status).toBe('aborted');
      expect(report.error_message).toMatch(
        /^lost the run lock on postgres:\/\/postgres@127\.0\.0\.1:\d+\/br_\w+: its connection to the server closed \(.*\); stopped so that no other run writes at the same time/,
      );
      expect(report.successful).toBeLessThan(20);
      // Every stock stored has its whole row set (one transaction each): its metrics row is there.
      const partial = await adminQuery(url, 'SELECT s.symbol FROM stocks s LEFT JOIN stock_metrics m ON m.symbol = s.symbol WHERE m.symbol IS NULL');
      expect(partial).toEqual([]);
    } finally {
      await slowSource.close();
    }
  });
});
