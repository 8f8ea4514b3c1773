import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { tempDir, writeTestConfig } from '../helpers/cli.js';
import { explain, reportOf, runInProcess } from '../helpers/in-process.js';

/**
 * A full disk, for real: small tmpfs mounts (root can mount them; CI runs as root). Where
 * mounting is not allowed the tests are skipped, saying why. The runs are in-process; "no stack
 * trace" is checked on what the run's logger prints, and the exit codes say main would print none.
 */
const mounts: string[] = [];

function mountSmallDisk(kb: number): string {
  const dir = tempDir('batch-refresh-disk-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kb}k,mode=0755`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/** Fills `dir` until the disk has no space left. */
function fill(dir: string): void {
  const chunk = Buffer.alloc(4096, 1);
  for (let i = 0; ; i += 1) {
    try {
      writeFileSync(path.join(dir, `filler-${i}`), chunk);
    } catch {
      return;
    }
  }
}

let canMount = false;
try {
  const probe = tempDir('batch-refresh-probe-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
  execFileSync('umount', [probe]);
  canMount = true;
} catch {
  canMount = false;
}

let standIn: StandIn;
let dir: string;

beforeAll(() => {
  if (!canMount) console.warn('skipping the full-disk tests: this user cannot mount a tmpfs');
});

beforeEach(async () => {
  standIn = await startStandIn({ data: syntheticDataset(syntheticCompanies(40)) });
  dir = tempDir();
});

afterEach(async () => {
  await standIn.close();
});

afterAll(() => {
  for (const mount of mounts) execFileSync('umount', ['-l', mount]);
});

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe.runIf(canMount)('a full disk', () => {
  it('mid-run: aborts at once with a clear message, the database whole, the lock released', async () => {
    // Room for the first night's two stocks with a year of daily closes each, and its checkpoint.
    const disk = mountSmallDisk(1024);
    const config = writeTestConfig(dir, standIn.url, {
      database: { path: path.join(disk, 'stocks.db'), backup_before_run: false },
      processing: { max_workers: 1 },
    });
    // A first night fits; then the disk is filled but for a few pages, which the run's first
    // writes take: the next stocks cannot be written.
    expect((await runInProcess(config, { flags: { limit: 2 } })).code).toBe(0);
    fill(disk);
    for (const name of readdirSync(disk)
      .filter((file) => file.startsWith('filler-'))
      .slice(0, 20))
      rmSync(path.join(disk, name));
    const result = await runInProcess(config, { now: '2026-12-01T02:00:00Z', flags: { json: true } });
    expect(result.code, explain(result)).toBe(3);
    expect(result.console).not.toMatch(/^\s+at /m);
    const report = reportOf(result);
    expect(report.status).toBe('aborted');
    expect(report.error_message).toMatch(/cannot write the database \((SQLITE_FULL|SQLITE_IOERR\w*)\)/);
    expect(report.failures[0]).toMatchObject({ error_type: 'storage', source: 'database' });
    expect(report.not_started).toBeGreaterThan(30);
    expect(existsSync(path.join(disk, 'stocks.db.lock.json'))).toBe(false);
    const db = new Database(path.join(disk, 'stocks.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    // Only whole stocks: each stored stock has its four years of earnings.
    expect(db.prepare('SELECT symbol FROM stocks s WHERE (SELECT COUNT(*) FROM earnings_history e WHERE e.symbol = s.symbol) <> 4').all()).toEqual([]);
    db.close();
  });

  it('at the start: exit 3 with the reason, nothing written, the lock released', async () => {
    const disk = mountSmallDisk(400);
    const config = writeTestConfig(dir, standIn.url, { database: { path: path.join(disk, 'stocks.db'), backup_before_run: false } });
    expect((await runInProcess(config, { flags: { limit: 2 } })).code).toBe(0);
    fill(disk);
    const before = sha(path.join(disk, 'stocks.db'));
    const result = await runInProcess(config, { now: '2026-12-01T02:00:00Z' });
    expect(result.code).toBe(3);
    expect(result.console).toMatch(/cannot (open the database|take the run lock) .*: .*nothing was refreshed/);
    expect(result.console).not.toMatch(/^\s+at /m);
    expect(sha(path.join(disk, 'stocks.db'))).toBe(before);
    expect(existsSync(path.join(disk, 'stocks.db.lock.json'))).toBe(false);
  });

  it('in the backup folder: exit 3 before anything is written, the database untouched', async () => {
    const disk = mountSmallDisk(64);
    const config = writeTestConfig(dir, standIn.url, { database: { backup_directory: disk } });
    expect((await runInProcess(config, { flags: { limit: 3 } })).code).toBe(0);
    fill(disk);
    const before = sha(path.join(dir, 'stocks.db'));
    const result = await runInProcess(config, { now: '2026-12-01T02:00:00Z' });
    expect(result.code).toBe(3);
    expect(result.console).toMatch(/the backup before the run failed: .*nothing was refreshed/);
    expect(result.console).not.toMatch(/^\s+at /m);
    expect(sha(path.join(dir, 'stocks.db'))).toBe(before);
    expect(readdirSync(disk).filter((name) => name.startsWith('stocks_backup_'))).toEqual([]);
    expect(existsSync(path.join(dir, 'stocks.db.lock.json'))).toBe(false);
  });

  it('in the report folder: the refresh is stored, the error is named, exit 1', async () => {
    const disk = mountSmallDisk(64);
    mkdirSync(path.join(disk, 'reports'));
    fill(disk);
    const config = writeTestConfig(dir, standIn.url, { reporting: { summary_directory: path.join(disk, 'reports') } });
    const result = await runInProcess(config, { flags: { json: true, limit: 10 } });
    expect(result.code).toBe(1);
    expect(result.console).toMatch(/cannot write the summary report to .*reports: ENOSPC/);
    expect(result.report).toMatchObject({ successful: 10, exit_code: 1 });
    const db = new Database(path.join(dir, 'stocks.db'), { readonly: true });
    expect(db.prepare('SELECT status, successful, report_path FROM sync_runs').all()).toEqual([{ status: 'completed', successful: 10, report_path: null }]);
    db.close();
    expect(readdirSync(path.join(disk, 'reports')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
