import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { EXIT, ExitError } from '../errors.js';
import { readStatus, type RunSummary, type StatusReport } from '../status/read-status.js';
import { plural } from '../util/text.js';
import { createClock } from '../util/time.js';
import { formatDuration } from './terminal.js';

/** `batch-refresh status [--json]`: the last runs, data freshness, the next scheduled run, a run in progress. */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('show the last runs, data freshness, the next scheduled run and whether a run is in progress')
    .option('--config <file>', 'JSON config file (as for a run)')
    .option('--json', 'print the status as JSON on stdout')
    .action(async (options: { json?: boolean; config?: string }, command: Command) => {
      // `--config` works before or after `status`; the one after wins.
      const configPath: string = options.config ?? (command.parent?.opts<{ config: string }>().config as string);
      const strict = command.parent?.opts<{ strict?: boolean }>().strict === true;
      const loaded = loadConfig(configPath, { SEC_USER_AGENT: process.env.SEC_USER_AGENT, DATABASE_URL: process.env.DATABASE_URL }, { strict });
      if (!loaded.ok) throw new ExitError(EXIT.USAGE, `invalid config ${configPath}:\n${loaded.issues.map((issue) => `  - ${issue}`).join('\n')}`);
      for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
      let now: () => Date;
      try {
        now = createClock(process.env.BATCH_REFRESH_NOW);
      } catch (error) {
        throw new ExitError(EXIT.USAGE, (error as Error).message);
      }
      const status = await readStatus(loaded.config, { now, nextTimerElapse, continuousService, env: process.env });
      process.stdout.write(options.json === true ? `${JSON.stringify(status)}\n` : renderStatus(status));
    });
}

/** `systemctl --user <args>`'s trimmed stdout; null when it failed or is not installed. */
function systemctlUser(args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    // In UTC, timestamps come out unambiguous ("… UTC"), where a local zone prints an abbreviation like "EST".
    execFile('systemctl', ['--user', ...args], { timeout: 3000, env: { ...process.env, TZ: 'UTC' } }, (error, stdout) => {
      resolve(error === null ? stdout.trim() : null);
    });
  });
}

/**
 * A timestamp as `systemctl show` prints it, as ISO 8601; null for "n/a", empty or anything else.
 * Where `show` honours `--timestamp=unix` the answer is "@1764140861"; systemd 252 (Debian 12)
 * ignores it there and prints "Sat 2026-12-05 07:00:00 UTC" (in UTC, as asked above).
 */
export function parseSystemdTimestamp(value: string): string | null {
  const seconds = /^@(\d+)$/.exec(value)?.[1];
  if (seconds !== undefined) return new Date(Number(seconds) * 1000).toISOString();
  const utc = /^(?:[A-Z][a-z]{2} )?(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) UTC$/.exec(value);
  return utc === null ? null : new Date(`${String(utc[1])}T${String(utc[2])}Z`).toISOString();
}

/** Asks the user's systemd for the timer's next elapse; null without systemd or without the timer. */
async function nextTimerElapse(): Promise<string | null> {
  const value = await systemctlUser(['show', 'batch-refresh.timer', '--property=NextElapseUSecRealtime', '--value', '--timestamp=unix']);
  return value === null ? null : parseSystemdTimestamp(value);
}

/** Whether `schedule install --continuous` wrote its unit, and what the user manager says of it. */
async function continuousService(): Promise<{ installed: boolean; active_state: string | null }> {
  const { unitDirectory } = await import('../schedule/systemd-installer.js');
  const { UNIT_NAMES } = await import('../schedule/render-systemd.js');
  if (!existsSync(path.join(unitDirectory(homedir()), UNIT_NAMES.continuous))) return { installed: false, active_state: null };
  const state = await systemctlUser(['show', UNIT_NAMES.continuous, '--property=ActiveState', '--value']);
  return { installed: true, active_state: state === null || state === '' ? null : state };
}

function describeRun(run: RunSummary): string {
  const duration = run.duration_seconds === null ? '' : ` in ${formatDuration(run.duration_seconds)}`;
  const counts = `${run.successful} successful, ${run.failed} failed, ${run.skipped} skipped of ${run.total_stocks}`;
  return `#${run.id} ${run.status}, started ${run.started_at}${duration}: ${counts}${run.error_message ? ` (${run.error_message})` : ''}`;
}

function describeRunning(status: StatusReport): string {
  const { running } = status;
  if (running === null) return 'no';
  const who = `PID ${running.pid} on ${running.host}`;
  if (running.mode !== 'continuous') return `yes, ${who}, started ${running.started_at}`;
  const cycle = status.recent_runs.find((run) => run.status === 'running');
  return `yes, continuous mode, ${who}, since ${running.started_at}; ${cycle === undefined ? 'waiting between cycles' : `in a cycle (run #${cycle.id}, started ${cycle.started_at})`}`;
}

/** The terminal form of the status. */
export function renderStatus(status: StatusReport): string {
  const lines = [`database: ${status.database}${status.database_exists ? '' : ' (not created yet: no run so far)'}`];
  lines.push(`running: ${describeRunning(status)}`);
  lines.push(`last run: ${status.last_run === null ? 'none' : describeRun(status.last_run)}`);
  if (status.last_run?.report_path) lines.push(`  report: ${status.last_run.report_path}`);
  for (const [source, what] of Object.entries(status.last_run?.degraded_sources ?? {})) lines.push(`  degraded: ${source} ${what}`);
  if (status.last_success !== null && status.last_success.id !== status.last_run?.id) lines.push(`last success: ${describeRun(status.last_success)}`);
  const { freshness } = status;
  lines.push(
    `freshness: ${freshness.fresh} fresh, ${freshness.stale} stale (older than ${freshness.stale_after_hours} h)` +
      `${freshness.never_refreshed === null ? '' : `, ${freshness.never_refreshed} never refreshed`} of ${plural(freshness.stocks, 'stock', 'stocks')} in the database`,
  );
  const { continuous } = status.schedule;
  lines.push(
    continuous.installed
      ? `schedule: continuous, ${continuous.unit} ${continuous.active_state ?? '(state unknown: the user manager did not answer)'}`
      : `schedule: ${status.schedule.run_time} ${status.schedule.timezone}; next run: ${status.schedule.next_run ?? 'no systemd timer found'}`,
  );
  if (status.recent_runs.length > 1) {
    lines.push('recent runs:');
    for (const run of status.recent_runs) lines.push(`  ${describeRun(run)}`);
  }
  return `${lines.join('\n')}\n`;
}
