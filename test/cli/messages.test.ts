import { chmodSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { ROOT, runCli, startCli, tempDir, writeTestConfig } from '../helpers/cli.js';

/** Messages that say what to do: which path, which user, which config key. */
let standIn: StandIn;

beforeAll(async () => {
  standIn = await startStandIn({ data: syntheticDataset(syntheticCompanies(4)) });
});

afterAll(async () => {
  await standIn.close();
});

const NOBODY = 65534;
// Permissions mean nothing to root: these runs are made as nobody, which only root can arrange.
const asRoot = process.getuid?.() === 0;
const itAsNobody = asRoot ? it : it.skip;

/** Whether nobody can get to the built CLI: every folder above the checkout must let others through (.ci/run sees to it). */
function cliReachableByNobody(): boolean {
  for (let dir = ROOT; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
  }
  return true;
}

/** A folder nobody can read but not write, holding a config nobody can read. */
function readOnlyForNobody(overrides: Record<string, unknown> = {}): { dir: string; config: string } {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  const config = writeTestConfig(dir, standIn.url, overrides);
  chmodSync(config, 0o644);
  return { dir, config };
}

describe('messages that say what to do', () => {
  itAsNobody('an unwritable report folder is found before the run, naming the key, the path and the user (exit 2)', async () => {
    const { dir, config } = readOnlyForNobody({ database: { path: '/tmp/unused-by-this-test/stocks.db' } });
    mkdirSync(path.join(dir, 'reports'), { mode: 0o755 });
    const before = standIn.requests.length;
    expect(cliReachableByNobody(), `nobody cannot reach ${ROOT}: give every folder above it o+x (as .ci/run does)`).toBe(true);
    const result = await runCli(['--config', config], { uid: NOBODY, cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`reporting.summary_directory: permission denied: ${path.join(dir, 'reports')} is not writable by user nobody (uid ${NOBODY})`);
    expect(standIn.requests.length).toBe(before); // nothing was run
  });

  itAsNobody('a database file the user cannot write names the file and the user (exit 2)', async () => {
    const { dir, config } = readOnlyForNobody();
    new Database(path.join(dir, 'stocks.db')).close();
    chmodSync(path.join(dir, 'stocks.db'), 0o644);
    expect(cliReachableByNobody(), `nobody cannot reach ${ROOT}: give every folder above it o+x (as .ci/run does)`).toBe(true);
    const result = await runCli(['--config', config], { uid: NOBODY, cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`database\\.path: permission denied: ${path.join(dir, 'stocks.db')} is not writable by user nobody \\(uid ${NOBODY}\\); give that user write access`));
  });

  it('a database locked by another program past the busy timeout names database.busy_timeout_ms (exit 3)', async () => {
    const dir = tempDir();
    const config = writeTestConfig(dir, standIn.url, { database: { busy_timeout_ms: 200, backup_before_run: false } });
    expect((await runCli(['--config', config], { env: { BATCH_REFRESH_NOW: '2026-11-25T02:00:00Z' } })).code).toBe(0);
    const writer = new Database(path.join(dir, 'stocks.db'));
    writer.exec('BEGIN IMMEDIATE');
    try {
      const result = await startCli(['--config', config], { env: { BATCH_REFRESH_NOW: '2026-11-26T02:00:00Z' } }).done;
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(
        `${path.join(dir, 'stocks.db')} is locked by another program's write (waited database.busy_timeout_ms = 200 ms); run again once it is done, or raise database.busy_timeout_ms`,
      );
      expect(result.stderr).toContain('nothing was refreshed');
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });
});
