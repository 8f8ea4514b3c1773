import path from 'node:path';
import type { ResolvedConfig } from '../config/load-config.js';
import { findUnsafePathProblem } from './quote.js';

/** A time of day, as `scheduling.run_time` or `--time` give it. */
export interface RunTime {
  hour: number;
  minute: number;
}

/** Where this install lives: what the scheduler must start. */
export interface InstallPaths {
  /** Absolute path of the node binary that runs the job (the one running the installer). */
  nodePath: string;
  /** Absolute path of `bin/batch-refresh`. */
  binPath: string;
  /** The project folder (the parent of bin/); cron `cd`s into it, systemd uses it as WorkingDirectory=. */
  installDir: string;
}

/** Everything the unit files and the crontab line are rendered from. */
export interface ScheduleTarget extends InstallPaths {
  /** Absolute path of the config file the scheduled run reads. */
  configPath: string;
  /** Folders the job writes to (ReadWritePaths=): the database's folder, backups, reports, logs. */
  writablePaths: string[];
  /** Folder of the cron log (`cron.log`), the config's `logging.log_directory`. */
  logDirectory: string;
  /** Size past which the cron line moves `cron.log` to `cron.log.1` before a run: `logging.max_log_size_mb`. */
  cronLogMaxBytes: number;
  runTime: RunTime;
  /** Canonical IANA zone name, e.g. "America/New_York". */
  timeZone: string;
}

/** Overrides from the command line, validated already. */
export interface ScheduleOverrides {
  runTime?: RunTime;
  timeZone?: string;
}

export type BuildTargetResult = { ok: true; target: ScheduleTarget } | { ok: false; issue: string };

/** HH:MM on a 24-hour clock, as the config schema accepts it; null when it is not one. */
export function parseRunTime(value: string): RunTime | null {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (match === null) return null;
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

export function formatRunTime(time: RunTime): string {
  return `${String(time.hour).padStart(2, '0')}:${String(time.minute).padStart(2, '0')}`;
}

/**
 * The canonical spelling of an IANA zone ("america/new_york" -> "America/New_York"), or null when
 * the zone is unknown. systemd and cron look the name up as a file under /usr/share/zoneinfo, so
 * the case must be right.
 */
export function canonicalTimeZone(value: string): string | null {
  if (!/^[A-Za-z0-9_+/-]+$/.test(value)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** The folders a run writes to, with the config key each comes from. */
export function dataFolders(config: ResolvedConfig): { key: string; path: string }[] {
  return [
    // SQLite needs the database's folder, not just the file: it creates -wal, -shm and journal files there.
    { key: 'database.path', path: path.dirname(config.database.path) },
    { key: 'database.backup_directory', path: config.database.backup_directory },
    { key: 'reporting.summary_directory', path: config.reporting.summary_directory },
    { key: 'logging.log_directory', path: config.logging.log_directory },
    ...(config.metrics.textfile_path === null ? [] : [{ key: 'metrics.textfile_path', path: path.dirname(config.metrics.textfile_path) }]),
  ].map((folder) => ({ ...folder, path: path.resolve(folder.path) }));
}

/** Drops repeated folders and folders inside another one: ReadWritePaths= covers everything below a path. */
export function outermostFolders(folders: readonly string[]): string[] {
  const inside = (child: string, parent: string): boolean => child === parent || child.startsWith(parent === '/' ? '/' : `${parent}/`);
  const kept: string[] = [];
  for (const folder of folders) {
    if (kept.some((other) => inside(folder, other))) continue;
    // A later, wider folder replaces the narrower ones already kept.
    const narrower = kept.filter((other) => inside(other, folder));
    for (const other of narrower) kept.splice(kept.indexOf(other), 1);
    kept.push(folder);
  }
  return kept;
}

/** Combines the loaded config, the flags and this install's paths; refuses paths no quoting makes safe. */
export function buildScheduleTarget(config: ResolvedConfig, overrides: ScheduleOverrides, install: InstallPaths): BuildTargetResult {
  const folders = dataFolders(config);
  const checks: { label: string; value: string }[] = [
    { label: 'the node binary', value: install.nodePath },
    { label: 'bin/batch-refresh', value: install.binPath },
    { label: 'the install folder', value: install.installDir },
    { label: 'the config path', value: config.configPath },
    ...folders.map((folder) => ({ label: folder.key, value: folder.path })),
  ];
  for (const check of checks) {
    const problem = findUnsafePathProblem(check.value);
    if (problem !== null) return { ok: false, issue: `${check.label}: ${JSON.stringify(check.value)} ${problem}; the scheduler cannot be given such a path` };
  }
  const runTime = overrides.runTime ?? parseRunTime(config.scheduling.run_time);
  const timeZone = overrides.timeZone ?? canonicalTimeZone(config.scheduling.timezone);
  // The schema validates both already; this only guards against a config object built elsewhere.
  if (runTime === null) return { ok: false, issue: `scheduling.run_time: ${JSON.stringify(config.scheduling.run_time)} is not HH:MM` };
  if (timeZone === null) return { ok: false, issue: `scheduling.timezone: ${JSON.stringify(config.scheduling.timezone)} is not a known IANA time zone` };
  return {
    ok: true,
    target: {
      ...install,
      configPath: config.configPath,
      writablePaths: outermostFolders(folders.map((folder) => folder.path)),
      logDirectory: path.resolve(config.logging.log_directory),
      cronLogMaxBytes: Math.round(config.logging.max_log_size_mb * 1024 * 1024),
      runTime,
      timeZone,
    },
  };
}
