import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSystemdTimestamp, renderStatus } from '../../src/cli/status-command.js';
import { parseConfig, type ResolvedConfig } from '../../src/config/load-config.js';
import { openDatabase } from '../../src/db/open-database.js';
import { finishSyncRun, startSyncRun, type SyncRunResult } from '../../src/db/sync-runs.js';
import { parseLastSuccess, renderMetrics } from '../../src/report/metrics-textfile.js';
import { readStatus, type StatusDeps } from '../../src/status/read-status.js';
import { sampleReport } from '../helpers/sample-report.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();
// Fixed: nothing here reads the real clock.
const NOW = new Date('2026-11-30T12:00:00Z');
const deps: StatusDeps = { now: () => NOW, nextTimerElapse: async () => null };

interface Run {
  status: SyncRunResult['status'];
  successful: number;
  failed: number;
  skipped?: number;
  degraded?: Record<string, string>;
}

/** A database in a fresh folder with these runs in sync_runs (oldest first), run N started N days before NOW. */
function databaseWith(runs: Run[], overrides: Record<string, unknown> = {}): ResolvedConfig {
  const dir = tempDir('status-');
  const loaded = parseConfig({ database: { path: 'stocks.db' }, ...overrides }, path.join(dir, 'batch_config.json'));
  if (!loaded.ok) throw new Error(loaded.issues.join('\n'));
  const db = openDatabase(loaded.config.database.path, { busyTimeoutMs: 1000 });
  runs.forEach((run, index) => {
    const started = new Date(NOW.getTime() - (runs.length - index) * 86_400_000);
    const id = startSyncRun(db, started.toISOString(), 100, 4242, hostname());
    const skipped = run.skipped ?? 100 - run.successful - run.failed;
    finishSyncRun(db, id, {
      completed_at: new Date(started.getTime() + 3_600_000).toISOString(),
      status: run.status,
      total_stocks: run.successful + run.failed + skipped,
      successful: run.successful,
      failed: run.failed,
      skipped,
      unchanged: 0,
      duration_seconds: 3600,
      report_path: null,
      error_message: run.status === 'aborted' ? 'cannot fetch the universe' : null,
      universe_size: 100,
      ...(run.degraded === undefined ? {} : { degraded_sources: run.degraded }),
    });
  });
  db.close();
  return loaded.config;
}

/** Which of `runs` (1-based, as sync_runs ids) the metrics textfile calls the last success, writing one file per run in turn. */
function textfileLastSuccess(runs: Run[], minSuccessRate: number): number | null {
  // Assigned in the callback, which TypeScript's narrowing does not follow.
  let lastSuccess = null as number | null;
  runs.forEach((run, index) => {
    const report = sampleReport({ ...run, skipped: run.skipped ?? 0, end_time: new Date(Date.UTC(2026, 0, index + 1)).toISOString() });
    lastSuccess = parseLastSuccess(renderMetrics(report, lastSuccess, minSuccessRate));
  });
  return lastSuccess === null ? null : new Date(lastSuccess * 1000).getUTCDate();
}

describe('last_success: the success rules', () => {
  const cases: [string, Run[], number | null][] = [
    [
      'a completed run with no successful stock (every one skipped) is not a success',
      [
        { status: 'completed', successful: 95, failed: 5 },
        { status: 'completed', successful: 0, failed: 0 },
      ],
      1,
    ],
    [
      'a completed run below min_success_rate is not a success',
      [
        { status: 'completed', successful: 95, failed: 5 },
        { status: 'completed', successful: 50, failed: 50 },
      ],
      1,
    ],
    [
      'aborted and interrupted runs are not',
      [
        { status: 'completed', successful: 90, failed: 10 },
        { status: 'aborted', successful: 99, failed: 0 },
        { status: 'interrupted', successful: 99, failed: 0 },
      ],
      1,
    ],
    [
      'the newest run that meets them is',
      [
        { status: 'completed', successful: 95, failed: 5 },
        { status: 'completed', successful: 90, failed: 10 },
        { status: 'completed', successful: 0, failed: 3 },
      ],
      2,
    ],
    [
      'none when no run ever met them',
      [
        { status: 'completed', successful: 0, failed: 0 },
        { status: 'aborted', successful: 0, failed: 0 },
      ],
      null,
    ],
  ];

  it.each(cases)('%s; status and the metrics textfile name the same run', async (_label, runs, expected) => {
    const status = await readStatus(databaseWith(runs), deps);
    expect(status.last_success?.id ?? null).toBe(expected);
    expect(status.last_run?.id).toBe(runs.length);
    expect(textfileLastSuccess(runs, 0.9)).toBe(expected);
  });

  it("holds runs to the config's error_handling.min_success_rate", async () => {
    const runs: Run[] = [
      { status: 'completed', successful: 95, failed: 5 },
      { status: 'completed', successful: 60, failed: 40 },
    ];
    expect((await readStatus(databaseWith(runs), deps)).last_success?.id).toBe(1);
    expect((await readStatus(databaseWith(runs, { error_handling: { min_success_rate: 0.5 } }), deps)).last_success?.id).toBe(2);
    expect(textfileLastSuccess(runs, 0.5)).toBe(2);
  });

  it('names the sources the last run degraded, in JSON and in the text', async () => {
    const degraded = { yahoo: 'blocked (blocked: HTTP 403 Forbidden from query1.finance.yahoo.com), 7360 prices not refreshed' };
    const status = await readStatus(
      databaseWith([
        { status: 'completed', successful: 95, failed: 0 },
        { status: 'completed', successful: 100, failed: 0, degraded },
      ]),
      deps,
    );
    expect(status.last_run?.degraded_sources).toEqual(degraded);
    expect(status.recent_runs[1]?.degraded_sources).toBeNull();
    expect(renderStatus(status)).toContain('\n  degraded: yahoo blocked (blocked: HTTP 403 Forbidden from query1.finance.yahoo.com), 7360 prices not refreshed\n');
  });

  it('the text names the last success when it is not the last run', async () => {
    const text = renderStatus(
      await readStatus(
        databaseWith([
          { status: 'completed', successful: 95, failed: 5 },
          { status: 'completed', successful: 0, failed: 0 },
        ]),
        deps,
      ),
    );
    expect(text).toMatch(/^last run: #2 completed/m);
    expect(text).toMatch(/^last success: #1 completed/m);
  });
});

describe('running: a continuous process', () => {
  function holdLock(config: ResolvedConfig, mode: 'continuous' | null): void {
    // As acquireRunLock writes it; this test process stands in for the holder (its PID is alive).
    writeFileSync(`${config.database.path}.lock.json`, JSON.stringify({ pid: process.pid, started_at: '2026-11-29T08:00:00.000Z', host: hostname(), ...(mode === null ? {} : { mode }) }));
  }

  it('shows as running in continuous mode while it waits between cycles', async () => {
    const config = databaseWith([{ status: 'completed', successful: 100, failed: 0 }]);
    holdLock(config, 'continuous');
    const status = await readStatus(config, deps);
    expect(status.running).toEqual({ pid: process.pid, started_at: '2026-11-29T08:00:00.000Z', host: hostname(), mode: 'continuous' });
    expect(renderStatus(status)).toContain(`running: yes, continuous mode, PID ${process.pid} on ${hostname()}, since 2026-11-29T08:00:00.000Z; waiting between cycles`);
  });

  it('a single run keeps the old line', async () => {
    const config = databaseWith([]);
    holdLock(config, null);
    expect(renderStatus(await readStatus(config, deps))).toContain(`running: yes, PID ${process.pid} on ${hostname()}, started 2026-11-29T08:00:00.000Z\n`);
  });
});

describe("schedule: the timer's next elapse", () => {
  it.each([
    ['@1795590461', '2026-11-25T07:07:41.000Z'],
    ['Sat 2026-12-05 07:00:00 UTC', '2026-12-05T07:00:00.000Z'],
    ['2026-12-05 07:00:00 UTC', '2026-12-05T07:00:00.000Z'],
    ['n/a', null],
    ['', null],
    ['Sat 2026-12-05 02:00:00 EST', null],
  ])('systemctl show says %j: next_run %j', (value, expected) => {
    expect(parseSystemdTimestamp(value)).toBe(expected);
  });
});

describe('schedule: the continuous unit', () => {
  it('names the continuous service when it is installed, with its state', async () => {
    const status = await readStatus(databaseWith([]), { ...deps, continuousService: async () => ({ installed: true, active_state: 'active' }) });
    expect(status.schedule).toMatchObject({ source: 'systemd continuous service', next_run: null, continuous: { unit: 'batch-refresh-continuous.service', installed: true, active_state: 'active' } });
    expect(renderStatus(status)).toContain('schedule: continuous, batch-refresh-continuous.service active\n');
  });

  it('says when the user manager did not answer for an installed unit', async () => {
    const status = await readStatus(databaseWith([]), { ...deps, continuousService: async () => ({ installed: true, active_state: null }) });
    expect(renderStatus(status)).toContain('schedule: continuous, batch-refresh-continuous.service (state unknown: the user manager did not answer)');
  });

  it('without it, the timer is the source, and a failing probe counts as not installed', async () => {
    const status = await readStatus(databaseWith([]), { now: deps.now, nextTimerElapse: async () => '2026-12-01T07:00:00.000Z', continuousService: () => Promise.reject(new Error('no')) });
    expect(status.schedule).toMatchObject({ source: 'systemd user timer', next_run: '2026-12-01T07:00:00.000Z', continuous: { installed: false, active_state: null } });
    expect(renderStatus(status)).toContain('schedule: 02:00 America/New_York; next run: 2026-12-01T07:00:00.000Z');
  });
});
