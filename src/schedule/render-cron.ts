import path from 'node:path';
import { escapeCronCommand, quoteShellArg } from './quote.js';
import type { ScheduleTarget } from './schedule-target.js';

/** The block `schedule install --cron` owns in a crontab lies between these two lines. */
export const CRON_BEGIN_MARKER = '# BEGIN batch-refresh';
export const CRON_END_MARKER = '# END batch-refresh';

/** Name of the file the cron job appends its console output to, in `logging.log_directory`. */
export const CRON_LOG_FILE = 'cron.log';

/**
 * The command cron runs (through /bin/sh): every path shell-quoted, `%` escaped for cron.
 *
 * `>>` would grow cron.log for ever, so the line first moves a cron.log grown past
 * `cronLogMaxBytes` to cron.log.1 (replacing the previous one). Doing it in the line, before the
 * shell opens the file, keeps each night's output in cron.log, needs no logrotate and no help from
 * the job, and a failed move (`find` or `mv` refused) never keeps the run from starting.
 */
export function renderCronCommand(target: ScheduleTarget): string {
  const run = [target.nodePath, target.binPath, '--config', target.configPath].map(quoteShellArg).join(' ');
  const logPath = path.join(target.logDirectory, CRON_LOG_FILE);
  const log = quoteShellArg(logPath);
  const rotate = `find ${log} -size +${target.cronLogMaxBytes}c -exec mv -f {} ${quoteShellArg(`${logPath}.1`)} ';' 2>/dev/null`;
  return escapeCronCommand(`cd ${quoteShellArg(target.installDir)} && { ${rotate}; ${run} >> ${log} 2>&1; }`);
}

/**
 * The managed block: markers, CRON_TZ and the nightly line. It goes at the end of the crontab
 * because CRON_TZ applies to every line below it.
 */
export function renderCronBlock(target: ScheduleTarget): string {
  return [
    `${CRON_BEGIN_MARKER} (written by \`batch-refresh schedule install --cron\`, removed by \`schedule remove --cron\`)`,
    '# Keep this block last: CRON_TZ applies to every line below it. cronie (Fedora, RHEL, Arch) honours',
    '# CRON_TZ; Debian and Ubuntu cron ignore it and use the system time zone. The copy in the',
    "# repository's cron/ folder is this block for an install in /opt/batch-refresh.",
    `# ${CRON_LOG_FILE} moves to ${CRON_LOG_FILE}.1 before a run once it is over ${formatMegabytes(target.cronLogMaxBytes)} (logging.max_log_size_mb).`,
    `CRON_TZ=${target.timeZone}`,
    `${target.runTime.minute} ${target.runTime.hour} * * * ${renderCronCommand(target)}`,
    CRON_END_MARKER,
    '',
  ].join('\n');
}

function formatMegabytes(bytes: number): string {
  return `${Math.round((bytes / 1048576) * 100) / 100} MB`;
}

export type CrontabEdit = { ok: true; text: string; found: boolean } | { ok: false; issue: string };

const isBegin = (line: string): boolean => line.trim().startsWith(CRON_BEGIN_MARKER);
const isEnd = (line: string): boolean => line.trim().startsWith(CRON_END_MARKER);

/** The managed block of `crontab` (markers included), or null when there is none. */
export function findCronBlock(crontab: string): string | null {
  const lines = crontab.split('\n');
  const begin = lines.findIndex(isBegin);
  if (begin === -1) return null;
  const end = lines.findIndex((line, index) => index > begin && isEnd(line));
  return `${lines.slice(begin, end === -1 ? undefined : end + 1).join('\n')}\n`;
}

/**
 * `crontab` without its managed block(s), then `block` appended when given. Every other line is
 * kept as it was. A BEGIN without its END is refused rather than guessed at: everything after it
 * could be the user's own lines.
 */
export function replaceCronBlock(crontab: string, block: string | null): CrontabEdit {
  const kept: string[] = [];
  let inside = false;
  let found = false;
  for (const line of crontab.split('\n')) {
    if (!inside && isBegin(line)) {
      inside = true;
      found = true;
    } else if (inside && isEnd(line)) {
      inside = false;
    } else if (!inside) {
      kept.push(line);
    }
  }
  if (inside) {
    return { ok: false, issue: `the crontab has a "${CRON_BEGIN_MARKER}" line without a "${CRON_END_MARKER}" line after it; fix it with \`crontab -e\`` };
  }
  while (kept.length > 0 && (kept[kept.length - 1] as string).trim() === '') kept.pop();
  const rest = kept.length === 0 ? '' : `${kept.join('\n')}\n`;
  if (block === null) return { ok: true, text: rest, found };
  return { ok: true, text: rest === '' ? block : `${rest}\n${block}`, found };
}
