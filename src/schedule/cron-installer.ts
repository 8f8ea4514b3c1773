import path from 'node:path';
import { EXIT, type ExitCode } from '../errors.js';
import { createDataFolders, runLogged } from './common.js';
import { describeFailure, type ScheduleDeps } from './deps.js';
import { CRON_LOG_FILE, findCronBlock, renderCronBlock, replaceCronBlock } from './render-cron.js';
import { canonicalTimeZone, formatRunTime, type ScheduleTarget } from './schedule-target.js';

type CrontabRead = { ok: true; text: string } | { ok: false; issue: string };

/** The user's crontab; a user without one has an empty crontab, not an error. */
export async function readCrontab(deps: Pick<ScheduleDeps, 'exec'>): Promise<CrontabRead> {
  const result = await deps.exec('crontab', ['-l']);
  if (result.code === 0) return { ok: true, text: result.stdout };
  // Vixie/Debian cron and cronie both say "no crontab for <user>" (exit 1).
  if (result.code === 1 && /no crontab for/i.test(result.stderr)) return { ok: true, text: '' };
  return { ok: false, issue: describeFailure('crontab -l', result) };
}

/**
 * Debian's and Ubuntu's cron ignore CRON_TZ and run the line in the system's zone; say so when the
 * two differ, rather than let the job start at a surprising hour.
 */
function timeZoneWarning(target: ScheduleTarget, systemTimeZone: string): string | null {
  const system = canonicalTimeZone(systemTimeZone) ?? systemTimeZone;
  if (system === target.timeZone) return null;
  return [
    `note: the line says CRON_TZ=${target.timeZone}, but this machine's time zone is ${system}. cronie honours`,
    `CRON_TZ; Debian's and Ubuntu's cron do not and would run it at ${formatRunTime(target.runTime)} ${system}. There, use the`,
    `systemd timer, or install with --timezone ${system} and the matching --time.`,
  ].join('\n');
}

/** Adds the managed block to the user's crontab, replacing a previous one. Returns the exit code. */
export async function installCron(target: ScheduleTarget, deps: ScheduleDeps): Promise<ExitCode> {
  const folderProblem = await createDataFolders(target, deps);
  if (folderProblem !== null) {
    deps.log(folderProblem);
    return EXIT.FAILED;
  }
  const current = await readCrontab(deps);
  if (!current.ok) {
    deps.log(current.issue);
    return EXIT.FAILED;
  }
  const edit = replaceCronBlock(current.text, renderCronBlock(target));
  if (!edit.ok) {
    deps.log(edit.issue);
    return EXIT.FAILED;
  }
  if (!(await runLogged(deps, 'crontab', ['-'], edit.text))) return EXIT.FAILED;
  deps.log(`${edit.found ? 'replaced the batch-refresh block in' : 'added a batch-refresh block to'} your crontab: nightly at ${formatRunTime(target.runTime)} ${target.timeZone}`);
  const warning = timeZoneWarning(target, deps.systemTimeZone);
  if (warning !== null) deps.log(warning);
  deps.log(`logs:   ${path.join(target.logDirectory, CRON_LOG_FILE)} (console output) and the job's own log file\nstate:  batch-refresh schedule show --cron   (or: crontab -l)`);
  return EXIT.OK;
}

/** Removes the managed block, keeping every other line. Returns the exit code. */
export async function removeCron(deps: ScheduleDeps): Promise<ExitCode> {
  const current = await readCrontab(deps);
  if (!current.ok) {
    deps.log(current.issue);
    return EXIT.FAILED;
  }
  const edit = replaceCronBlock(current.text, null);
  if (!edit.ok) {
    deps.log(edit.issue);
    return EXIT.FAILED;
  }
  if (!edit.found) {
    deps.log('no batch-refresh block in your crontab; nothing to remove');
    return EXIT.OK;
  }
  if (!(await runLogged(deps, 'crontab', ['-'], edit.text))) return EXIT.FAILED;
  deps.log('removed the batch-refresh block from your crontab');
  return EXIT.OK;
}

/** Prints the installed block, or the one `install --cron` would add. Always 0. */
export async function showCron(target: ScheduleTarget, deps: ScheduleDeps): Promise<ExitCode> {
  const current = await readCrontab(deps);
  if (!current.ok) {
    deps.out(`${current.issue}\n`);
    return EXIT.OK;
  }
  const block = findCronBlock(current.text);
  if (block !== null) deps.out(`installed in your crontab:\n${block}`);
  else deps.out(`no batch-refresh block in your crontab; \`batch-refresh schedule install --cron\` would add:\n${renderCronBlock(target)}`);
  return EXIT.OK;
}
