import type { ExitCode } from '../errors.js';
import { installCron, removeCron, showCron } from './cron-installer.js';
import type { ScheduleDeps } from './deps.js';
import type { ScheduleTarget } from './schedule-target.js';
import { installSystemd, removeSystemd, showSystemd } from './systemd-installer.js';

/** Which scheduler an action is about. */
export interface SchedulerChoice {
  /** The user's crontab instead of systemd user units. */
  cron: boolean;
  /** systemd only: the continuous service instead of the nightly timer. */
  continuous: boolean;
}

/** `schedule install`: returns the exit code. */
export function installSchedule(target: ScheduleTarget, choice: SchedulerChoice, deps: ScheduleDeps): Promise<ExitCode> {
  return choice.cron ? installCron(target, deps) : installSystemd(target, { continuous: choice.continuous }, deps);
}

/** `schedule remove`: needs no target, so a broken config cannot keep an old schedule in place. */
export function removeSchedule(choice: SchedulerChoice, deps: ScheduleDeps): Promise<ExitCode> {
  return choice.cron ? removeCron(deps) : removeSystemd(deps);
}

/** `schedule show`: always 0. */
export function showSchedule(target: ScheduleTarget, choice: SchedulerChoice, deps: ScheduleDeps): Promise<ExitCode> {
  return choice.cron ? showCron(target, deps) : showSystemd(target, deps);
}
