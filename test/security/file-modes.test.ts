import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCompanies, syntheticDataset, type SyntheticCompany } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { startCli, waitFor, writeTestConfig, type CliOptions } from '../helpers/cli.js';
import { tempDirs } from '../helpers/temp-dirs.js';

/*
 * Files the job creates are not for other users of the machine: no permission bit for "others" on
 * any file, folders 0750. The CLI is started with umask 000 (a careless parent: a shell, a cron
 * line, a unit without UMask=), so only the job's own care keeps its files private.
 */

const tempDir = tempDirs();
const companies = syntheticCompanies(3);
let standIn: StandIn;

beforeAll(async () => {
  standIn = await startStandIn({ data: syntheticDataset(companies) });
});
afterAll(async () => {
  await standIn.close();
});

/**
 * `start` runs with this process's umask set to `mask`: a child inherits the umask it was spawned
 * with, and spawning is synchronous, so the test's own umask is back before anything else runs.
 */
function withUmask<T>(mask: number, start: () => T): T {
  const previous = process.umask(mask);
  try {
    return start();
  } finally {
    process.umask(previous);
  }
}

function startPermissive(args: string[], options: CliOptions = {}) {
  return withUmask(0o000, () => startCli(args, options));
}

const mode = (file: string): number => statSync(file).mode & 0o777;
const octal = (value: number): string => value.toString(8).padStart(4, '0');

/** Every file and folder under `root` (not `root` itself), depth first. */
function walk(root: string): { path: string; dir: boolean }[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(root, entry.name);
    return entry.isDirectory() ? [{ path: full, dir: true }, ...walk(full)] : [{ path: full, dir: false }];
  });
}

describe('modes of the files and folders a run creates', () => {
  it('a child started this way really gets umask 000 (so the run below proves the CLI sets its own)', () => {
    const file = path.join(tempDir('batch-refresh-umask-'), 'probe');
    const probe = withUmask(0o000, () => spawnSync(process.execPath, ['-e', 'require("node:fs").writeFileSync(process.argv[1], "")', file]));
    expect(probe.status, probe.stderr.toString()).toBe(0);
    expect(octal(mode(file))).toBe('0666');
  });

  it('gives no permission to others on the database, lock, WAL, backups, reports, logs and metrics; folders 0750', async () => {
    const dir = tempDir('batch-refresh-modes-');
    const config = writeTestConfig(dir, standIn.url, {
      // Every folder below is created by the job (the database's too); a 1 KiB log rotates, so
      // rotating-file-stream writes its rotated files and its history file as well.
      database: { path: 'data/stocks.db', backup_directory: 'data/backups' },
      logging: { max_log_size_mb: 0.001, backup_count: 3 },
      reporting: { summary_directory: 'reports' },
      metrics: { textfile_path: 'metrics/batch_refresh.prom' },
    });
    const db = path.join(dir, 'data', 'stocks.db');

    // First run: a slow price answer holds it open long enough to see the files that exist only
    // while it runs (the WAL, its index, the lock holder).
    standIn.addFault(`/chart/${(companies[0] as SyntheticCompany).symbol}`, { kind: 'delay', ms: 1500 }, 1);
    const first = startPermissive(['--config', config]);
    const transient = [`${db}-wal`, `${db}-shm`, `${db}.lock.json`];
    await waitFor(() => transient.every((file) => existsSync(file)), 15_000, 'the WAL and the lock holder');
    const whileRunning = Object.fromEntries(transient.map((file) => [path.basename(file), octal(mode(file) & 0o007)]));
    const firstResult = await first.done;
    expect(firstResult.code, firstResult.stderr).toBe(0);

    // Second run: there is a database now, so it is backed up first.
    const second = await startPermissive(['--config', config]).done;
    expect(second.code, second.stderr).toBe(0);

    expect(whileRunning).toEqual({ 'stocks.db-wal': '0000', 'stocks.db-shm': '0000', 'stocks.db.lock.json': '0000' });
    const entries = walk(dir).filter((entry) => entry.path !== config);
    const names = entries.map((entry) => path.relative(dir, entry.path));
    // The test looks at what it means to: each kind of file is there.
    expect(names).toEqual(
      expect.arrayContaining([
        'data',
        'data/stocks.db',
        'data/stocks.db.lock',
        'data/backups',
        'reports',
        'logs',
        'logs/batch_refresh.log',
        'logs/batch_refresh.log.txt',
        'metrics',
        'metrics/batch_refresh.prom',
      ]),
    );
    expect(names.filter((name) => /^data\/backups\/stocks_backup_\d{8}_\d{6}(_\d+)?\.db$/.test(name))).toHaveLength(1);
    expect(names.filter((name) => /^reports\/batch_summary_.*\.json$/.test(name))).toHaveLength(2);
    // A rotated log (rotating-file-stream names it like 20261125-0200-01-batch_refresh.log).
    expect(names.filter((name) => name.startsWith('logs/') && name !== 'logs/batch_refresh.log' && name !== 'logs/batch_refresh.log.txt').length).toBeGreaterThan(0);

    const readableByOthers = entries.filter((entry) => !entry.dir && (mode(entry.path) & 0o007) !== 0).map((entry) => `${path.relative(dir, entry.path)} ${octal(mode(entry.path))}`);
    expect(readableByOthers).toEqual([]);
    const folders = entries.filter((entry) => entry.dir).map((entry) => `${path.relative(dir, entry.path)} ${octal(mode(entry.path))}`);
    expect(folders.sort()).toEqual(['data 0750', 'data/backups 0750', 'logs 0750', 'metrics 0750', 'reports 0750']);
  });
});
