import { spawn } from 'node:child_process';
import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { ROOT, tempDir, waitFor, writeTestConfig } from '../helpers/cli.js';
import { explain, runInProcess } from '../helpers/in-process.js';

let standIn: StandIn;
let dir: string;

beforeEach(async () => {
  standIn = await startStandIn({ data: syntheticDataset(syntheticCompanies(6)) });
  dir = tempDir();
});

afterEach(async () => {
  await standIn.close();
});

/**
 * Another program writing all the time: each transaction adds one row to each of two tables, so a
 * consistent copy always has as many rows in one as in the other.
 */
function startWriter(file: string): { stop: () => Promise<number> } {
  const script = `
    const Database = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'better-sqlite3'))});
    const db = new Database(${JSON.stringify(file)});
    db.pragma('busy_timeout = 10000');
    db.exec('CREATE TABLE IF NOT EXISTS app_a (n INTEGER); CREATE TABLE IF NOT EXISTS app_b (n INTEGER)');
    const pair = db.transaction((n) => { db.prepare('INSERT INTO app_a VALUES (?)').run(n); db.prepare('INSERT INTO app_b VALUES (?)').run(n); });
    let n = 0; let stop = false;
    process.on('SIGTERM', () => { stop = true; });
    const tick = () => { if (stop) { db.close(); process.stdout.write(String(n)); process.exit(0); } for (let i = 0; i < 20; i++) pair(n++); setImmediate(tick); };
    tick();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return {
    stop: () =>
      new Promise((resolve) => {
        child.on('close', () => resolve(Number(out)));
        child.kill('SIGTERM');
      }),
  };
}

/** The other program's rows so far (none before it has created its tables). */
function rowsWritten(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM app_a').get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

describe('backups', () => {
  it('taken while another process writes are consistent, and restore', async () => {
    const config = writeTestConfig(dir, standIn.url);
    expect((await runInProcess(config)).code).toBe(0);
    const writer = startWriter(path.join(dir, 'stocks.db'));
    // The backup starts once the other program is writing (its node takes a moment to start).
    await waitFor(() => rowsWritten(path.join(dir, 'stocks.db')) > 0, 15_000, 'the other program to write');
    const result = await runInProcess(config, { now: '2026-12-01T02:00:00Z' });
    const written = await writer.stop();
    expect(result.code, explain(result)).toBe(0);
    expect(written).toBeGreaterThan(100);

    const [backupName] = readdirSync(path.join(dir, 'backups'));
    const backupFile = path.join(dir, 'backups', backupName as string);
    const backup = new Database(backupFile, { readonly: true });
    expect(backup.pragma('integrity_check', { simple: true })).toBe('ok');
    const a = (backup.prepare('SELECT COUNT(*) AS n FROM app_a').get() as { n: number }).n;
    const b = (backup.prepare('SELECT COUNT(*) AS n FROM app_b').get() as { n: number }).n;
    expect(a).toBe(b);
    expect(a).toBeGreaterThan(0);
    expect(backup.prepare('SELECT COUNT(*) AS n FROM stocks').get()).toEqual({ n: 6 });
    backup.close();

    // Restore: the backup replaces the database (and its write-ahead log goes with the old file).
    for (const suffix of ['', '-wal', '-shm']) rmSync(path.join(dir, `stocks.db${suffix}`), { force: true });
    copyFileSync(backupFile, path.join(dir, 'stocks.db'));
    const restored = new Database(path.join(dir, 'stocks.db'), { readonly: true });
    expect(restored.prepare('SELECT COUNT(*) AS n FROM app_a').get()).toEqual({ n: a });
    restored.close();
    // And the job carries on from the restored database.
    const next = await runInProcess(config, { now: '2026-12-02T02:00:00Z', flags: { json: true } });
    expect(next.code, explain(next)).toBe(0);
    expect(next.report).toMatchObject({ successful: 6 });
  });
});
