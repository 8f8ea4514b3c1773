import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/db/migrations.js';
import { openDatabase } from '../../src/db/open-database.js';
import { lastCompletedRun, type SyncRunResult } from '../../src/db/sync-runs.js';
import { bothStores } from '../helpers/stores.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();

const finished = (overrides: Partial<SyncRunResult> = {}): SyncRunResult => ({
  completed_at: '2026-12-10T07:30:00.000Z',
  status: 'completed',
  total_stocks: 12,
  successful: 12,
  failed: 0,
  skipped: 0,
  unchanged: 11,
  duration_seconds: 1800,
  report_path: null,
  error_message: null,
  universe_size: 12,
  ...overrides,
});

describe('sync_runs: the days whose daily index the next night reads again', () => {
  it('migration 3 upgrades a version-2 database: index_missing_days appears, empty, and the runs stay', () => {
    const file = path.join(tempDir('sync-runs-v2-'), 'stocks.db');
    const v2 = new Database(file);
    v2.exec(MIGRATIONS[0] as string);
    v2.exec(MIGRATIONS[1] as string);
    v2.pragma('user_version = 2');
    v2.prepare("INSERT INTO sync_runs (started_at, completed_at, status) VALUES ('2026-12-09T07:00:00.000Z', '2026-12-09T07:30:00.000Z', 'completed')").run();
    v2.close();

    const db = openDatabase(file, { busyTimeoutMs: 1000 });
    expect(db.pragma('user_version', { simple: true })).toBe(7);
    expect(db.prepare('SELECT started_at, status, index_missing_days FROM sync_runs').all()).toEqual([{ started_at: '2026-12-09T07:00:00.000Z', status: 'completed', index_missing_days: null }]);
    expect(lastCompletedRun(db)).toEqual({ startedAt: new Date('2026-12-09T07:00:00.000Z'), indexMissingDays: [] });
    db.close();
  });
});

bothStores('sync_runs through the store', (open) => {
  it('the last completed run gives its start and its missing days; runs that did not complete are passed over', async () => {
    const at = await open();
    const { store } = at;
    const rows = at.rows.bind(at);
    expect(await store.lastCompletedRun()).toBeNull();
    const completed = await store.startSyncRun('2026-12-10T07:00:00.000Z', 12, 1, 'host');
    await store.finishSyncRun(completed, finished({ index_missing_days: ['2026-12-08', '2026-12-09'] }));
    const aborted = await store.startSyncRun('2026-12-11T07:00:00.000Z', 12, 1, 'host');
    await store.finishSyncRun(aborted, finished({ status: 'aborted', index_missing_days: [] }));
    await store.startSyncRun('2026-12-12T07:00:00.000Z', 12, 1, 'host');
    expect(await store.lastCompletedRun()).toEqual({ startedAt: new Date('2026-12-10T07:00:00.000Z'), indexMissingDays: ['2026-12-08', '2026-12-09'] });
    expect(await rows('SELECT index_missing_days AS days FROM sync_runs ORDER BY id')).toEqual([{ days: '["2026-12-08","2026-12-09"]' }, { days: null }, { days: null }]);
  });

  it.each([
    ['not JSON', 'Tuesday'],
    ['JSON but no list', '{"day":"2026-12-08"}'],
  ])('a stored value that is %s reads as no missing day', async (_label, value) => {
    const at = await open();
    const { store } = at;
    const rows = at.rows.bind(at);
    const id = await store.startSyncRun('2026-12-10T07:00:00.000Z', 12, 1, 'host');
    await store.finishSyncRun(id, finished());
    await rows('UPDATE sync_runs SET index_missing_days = ?', value);
    expect((await store.lastCompletedRun())?.indexMissingDays).toEqual([]);
    await rows('UPDATE sync_runs SET index_missing_days = ?', '["2026-12-08", 7, "8 Dec"]');
    expect((await store.lastCompletedRun())?.indexMissingDays).toEqual(['2026-12-08']);
  });
});
