import { execFile } from 'node:child_process';
import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { readStatus, type RunSummary, type StatusReport } from '../status/read-status.js';
import { createClock } from '../util/time.js';
import { ExitError, EXIT } from './exit-error.js';
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
      const configPath = options.config ?? (command.parent?.opts<{ config: string }>().config as string);
      const loaded = loadConfig(configPath, { SEC_USER_AGENT: process.env.SEC_USER_AGENT });
      if (!loaded.ok) throw new ExitError(EXIT.USAGE, `invalid config ${configPath}:\n${loaded.issues.map((issue) => `  - ${issue}`).join('\n')}`);
      let now: () => Date;
      try {
        now = createClock(process.env.BATCH_REFRESH_NOW);
      } catch (error) {
        throw new ExitError(EXIT.USAGE, (error as Error).message);
      }
      const status = await readStatus(loaded.config, { now, nextTimerElapse });
      process.stdout.write(options.json === true ? `${JSON.stringify(status)}\n` : renderStatus(status));
    });
}

/** Asks the user's systemd for the timer's next elapse; null without systemd or without the timer. */
function nextTimerElapse(): Promise<string | null> {
  return new Promise((resolve) => {
    // --timestamp=unix (systemd 248+) gives "@1764140861" instead of a local time with a zone abbreviation.
    const args = ['--user', 'show', 'batch-refresh.timer', '--property=NextElapseUSecRealtime', '--value', '--timestamp=unix'];
    execFile('systemctl', args, { timeout: 3000 }, (error, stdout) => {
      const value = stdout?.trim();
      if (error !== null || value === undefined || value === '' || value === 'n/a' || value === '0') return resolve(null);
      const seconds = /^@(\d+)$/.exec(value)?.[1];
      resolve(seconds === undefined ? value : new Date(Number(seconds) * 1000).toISOString());
    });
  });
}

function describeRun(run: RunSummary): string {
  const duration = run.duration_seconds === null ? '' : ` in ${formatDuration(run.duration_seconds)}`;
  const counts = `${run.successful} successful, ${run.failed} failed, ${run.skipped} skipped of ${run.total_stocks}`;
  return `#${run.id} ${run.status}, started ${run.started_at}${duration}: ${counts}${run.error_message ? ` (${run.error_message})` : ''}`;
}

/** The terminal form of the status. */
export function renderStatus(status: StatusReport): string {
  const lines = [`database: ${status.database}${status.database_exists ? '' : ' (not created yet: no run so far)'}`];
  lines.push(status.running === null ? 'running: no' : `running: yes, PID ${status.running.pid} on ${status.running.host}, started ${status.running.started_at}`);
  lines.push(`last run: ${status.last_run === null ? 'none' : describeRun(status.last_run)}`);
  if (status.last_run?.report_path) lines.push(`  report: ${status.last_run.report_path}`);
  if (status.last_success !== null && status.last_success.id !== status.last_run?.id) lines.push(`last success: ${describeRun(status.last_success)}`);
  const { freshness } = status;
  lines.push(
    `freshness: ${freshness.fresh} fresh, ${freshness.stale} stale (older than ${freshness.stale_after_hours} h)` +
      `${freshness.never_refreshed === null ? '' : `, ${freshness.never_refreshed} never refreshed`} of ${freshness.stocks} stocks in the database`,
  );
  lines.push(`schedule: ${status.schedule.run_time} ${status.schedule.timezone}; next run: ${status.schedule.next_run ?? 'no systemd timer found'}`);
  if (status.recent_runs.length > 1) {
    lines.push('recent runs:');
    for (const run of status.recent_runs) lines.push(`  ${describeRun(run)}`);
  }
  return `${lines.join('\n')}\n`;
}
