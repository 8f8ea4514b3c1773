import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { EXIT } from '../../src/errors.js';
import { tempDir } from '../helpers/cli.js';
import { explain, reportOf, runInProcess } from '../helpers/in-process.js';
import { describePostgres, throwawayDatabases } from '../helpers/postgres.js';
import { writePostgresConfig } from '../helpers/store-rows.js';

/*
 * The backup before the run on PostgreSQL, through the whole run: pg_dump's custom-format file in
 * the backup folder and the report's `backup`; without pg_dump on PATH, no file and a note saying
 * that backups are the server's job (never a silent skip). pg-dump.test.ts tests the dump itself.
 */

const COMPANIES = syntheticCompanies(3);
let standIn: StandIn;

beforeAll(async () => {
  standIn = await startStandIn({ data: syntheticDataset(COMPANIES) });
});

afterAll(async () => {
  await standIn.close();
});

describePostgres('the backup before a run on PostgreSQL', (serverUrl) => {
  const newDatabase = throwawayDatabases(serverUrl);

  it('pg_dump on PATH: the dump is in the backup folder and the report names it; without pg_dump the report says backups are the server’s job', async () => {
    const dir = tempDir();
    const config = writePostgresConfig(dir, standIn.url, await newDatabase());
    const first = await runInProcess(config, { now: '2026-11-24T07:00:00Z' });
    expect(first.code, explain(first)).toBe(EXIT.OK);
    const second = await runInProcess(config, { now: '2026-11-25T07:00:00Z' });
    expect(second.code, explain(second)).toBe(EXIT.OK);
    const backup = reportOf(second).backup;
    expect(path.basename(backup?.path ?? ''), backup?.path ?? '').toMatch(/^stocks_backup_\d{8}_\d{6}(?:_\d+)?\.dump$/);
    expect(backup?.note).toBeUndefined();
    const file = path.resolve(dir, backup?.path ?? '');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).size).toBe(backup?.bytes);
    expect(second.lines.some((line) => line.includes('pg_dump custom format') && line.includes('pg_restore --list ok'))).toBe(true);

    const noTools = await runInProcess(config, { now: '2026-11-26T07:00:00Z', env: { PATH: path.join(dir, 'no-such-bin') } });
    expect(noTools.code, explain(noTools)).toBe(EXIT.OK);
    const skipped = reportOf(noTools).backup;
    expect(skipped?.path).toBeNull();
    expect(skipped?.bytes).toBe(0);
    expect(skipped?.note).toMatch(/^backups are the server's job/);
    expect(noTools.lines.some((line) => line.includes("backups are the server's job"))).toBe(true);
  });
});
