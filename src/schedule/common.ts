import { describeFailure, type ScheduleDeps } from './deps.js';
import type { ScheduleTarget } from './schedule-target.js';

/** Folders the installer creates: group may read, others nothing (as the job's own umask). */
export const FOLDER_MODE = 0o750;

/**
 * Creates the folders the job writes to. systemd refuses to start a unit whose ReadWritePaths= do
 * not exist, and cron's `>> logs/cron.log` fails before the job starts when logs/ is missing.
 * Returns a problem to report, or null.
 */
export async function createDataFolders(target: ScheduleTarget, deps: Pick<ScheduleDeps, 'fs'>): Promise<string | null> {
  for (const folder of new Set([...target.writablePaths, target.logDirectory])) {
    try {
      await deps.fs.mkdir(folder, FOLDER_MODE);
    } catch (error) {
      return `cannot create ${folder}: ${(error as Error).message}`;
    }
  }
  return null;
}

/**
 * Whether the user's manager keeps running after logout. Without linger a user timer only fires
 * while the user is logged in; null when loginctl cannot tell (no logind, not installed).
 */
export async function readLinger(deps: Pick<ScheduleDeps, 'exec' | 'userName'>): Promise<boolean | null> {
  const result = await deps.exec('loginctl', ['show-user', deps.userName, '--property=Linger', '--value']);
  if (result.code !== 0) return null;
  return result.stdout.trim() === 'yes';
}

/** The linger advice after a systemd install. */
export async function lingerHint(deps: Pick<ScheduleDeps, 'exec' | 'userName'>): Promise<string> {
  const linger = await readLinger(deps);
  if (linger === true) return `linger is on for ${deps.userName}: the timer also runs while you are logged out`;
  return [`user timers only run while ${deps.userName} is logged in unless linger is on; to run at night while logged out:`, `  loginctl enable-linger ${deps.userName}`].join('\n');
}

/** Runs a command, logging how it failed; true when it succeeded. */
export async function runLogged(deps: Pick<ScheduleDeps, 'exec' | 'log'>, file: string, args: string[], input?: string): Promise<boolean> {
  const result = await deps.exec(file, args, input === undefined ? {} : { input });
  if (result.code === 0) return true;
  deps.log(describeFailure([file, ...args].join(' '), result));
  return false;
}
