import path from 'node:path';
import { EXIT, type ExitCode } from '../errors.js';
import { createDataFolders, FOLDER_MODE, lingerHint, readLinger, runLogged } from './common.js';
import { describeFailure, type ScheduleDeps, type ScheduleFs } from './deps.js';
import { renderContinuousUnit, renderServiceUnit, renderTimerUnit, UNIT_NAMES, type SandboxOptions } from './render-systemd.js';
import { formatRunTime, type ScheduleTarget } from './schedule-target.js';

/** Unit files are the user's own configuration: readable by the group, as the job's other files. */
const UNIT_FILE_MODE = 0o640;

export interface SystemdInstallOptions {
  /** Install the continuous service (Restart=always) instead of the nightly timer. */
  continuous: boolean;
}

/** Where a user manager reads the units the user installs (systemd.unit(5), user unit search path). */
export function unitDirectory(homedir: string): string {
  return path.join(homedir, '.config', 'systemd', 'user');
}

/**
 * Whether unprivileged user namespaces work here, from the kernel's switches. Reading them beats
 * trying one: the installer may run as root, whose answer says nothing about the user manager.
 */
export async function probeUserNamespaces(fs: Pick<ScheduleFs, 'readFile'>): Promise<SandboxOptions> {
  const switches: { file: string; off: string; name: string }[] = [
    { file: '/proc/sys/kernel/apparmor_restrict_unprivileged_userns', off: '1', name: 'kernel.apparmor_restrict_unprivileged_userns = 1' },
    { file: '/proc/sys/kernel/unprivileged_userns_clone', off: '0', name: 'kernel.unprivileged_userns_clone = 0' },
    { file: '/proc/sys/user/max_user_namespaces', off: '0', name: 'user.max_user_namespaces = 0' },
  ];
  for (const entry of switches) {
    if ((await fs.readFile(entry.file))?.trim() === entry.off) return { userNamespaces: false, reason: entry.name };
  }
  return { userNamespaces: true };
}

/** The unit files of one install, by file name. */
export function renderUnits(target: ScheduleTarget, sandbox: SandboxOptions, options: SystemdInstallOptions): Map<string, string> {
  return options.continuous
    ? new Map([[UNIT_NAMES.continuous, renderContinuousUnit(target, sandbox)]])
    : new Map([
        [UNIT_NAMES.service, renderServiceUnit(target, sandbox)],
        [UNIT_NAMES.timer, renderTimerUnit(target)],
      ]);
}

async function installedUnits(deps: Pick<ScheduleDeps, 'fs' | 'homedir'>): Promise<string[]> {
  const names: string[] = [];
  for (const name of Object.values(UNIT_NAMES)) {
    if ((await deps.fs.readFile(path.join(unitDirectory(deps.homedir), name))) !== null) names.push(name);
  }
  return names;
}

/** The units `systemctl enable` acts on (the nightly service is static: its timer starts it). */
const ENABLEABLE: readonly string[] = [UNIT_NAMES.timer, UNIT_NAMES.continuous];

/**
 * Writes the units, reloads the user manager and enables the timer (or the continuous service).
 * A previous install of the other kind is disabled and removed first. Returns the exit code.
 */
export async function installSystemd(target: ScheduleTarget, options: SystemdInstallOptions, deps: ScheduleDeps): Promise<ExitCode> {
  const sandbox = await probeUserNamespaces(deps.fs);
  const units = renderUnits(target, sandbox, options);
  const directory = unitDirectory(deps.homedir);
  const folderProblem = await createDataFolders(target, deps);
  if (folderProblem !== null) {
    deps.log(folderProblem);
    return EXIT.FAILED;
  }
  const stale = (await installedUnits(deps)).filter((name) => !units.has(name));
  const staleEnabled = stale.filter((name) => ENABLEABLE.includes(name));
  if (staleEnabled.length > 0 && !(await runLogged(deps, 'systemctl', ['--user', 'disable', '--now', ...staleEnabled]))) {
    deps.log(`could not stop ${staleEnabled.join(', ')}; left everything as it was`);
    return EXIT.FAILED;
  }
  try {
    await deps.fs.mkdir(directory, FOLDER_MODE);
    for (const name of stale) await deps.fs.removeFile(path.join(directory, name));
    for (const [name, text] of units) await deps.fs.writeFile(path.join(directory, name), text, UNIT_FILE_MODE);
  } catch (error) {
    deps.log(`cannot write the unit files into ${directory}: ${(error as Error).message}`);
    return EXIT.FAILED;
  }
  deps.log(`wrote ${[...units.keys()].map((name) => path.join(directory, name)).join(', ')}${stale.length > 0 ? ` (removed ${stale.join(', ')})` : ''}`);
  if (!sandbox.userNamespaces) {
    deps.log(
      `note: this host restricts unprivileged user namespaces (${String(sandbox.reason)}), so a user service gets no file-system sandbox here: ProtectSystem=, PrivateTmp= and ReadWritePaths= are skipped by systemd; NoNewPrivileges= and the system-call and address-family filters still apply`,
    );
  }

  const unit = options.continuous ? UNIT_NAMES.continuous : UNIT_NAMES.timer;
  const reloaded = await runLogged(deps, 'systemctl', ['--user', 'daemon-reload']);
  const enabled = reloaded && (await runLogged(deps, 'systemctl', ['--user', 'enable', '--now', unit]));
  if (!enabled) {
    deps.log(
      [
        `the unit files are in place but ${unit} is not enabled. systemctl --user needs your user manager:`,
        'run this from your own login session (not su or sudo), or use `batch-refresh schedule install --cron`.',
      ].join('\n'),
    );
    return EXIT.FAILED;
  }
  deps.log(
    options.continuous
      ? `enabled and started ${unit}: batch-refresh --continuous runs now and restarts if it stops`
      : `enabled ${unit}: nightly at ${formatRunTime(target.runTime)} ${target.timeZone} (up to 15 minutes later, randomized)`,
  );
  deps.log(await lingerHint(deps));
  deps.log(
    [
      `logs:   journalctl --user -u ${options.continuous ? UNIT_NAMES.continuous : 'batch-refresh'}`,
      `state:  batch-refresh schedule show${options.continuous ? '' : '   (or: systemctl --user list-timers batch-refresh.timer)'}`,
      `node:   ${target.nodePath} (run schedule install again after changing Node versions)`,
    ].join('\n'),
  );
  return EXIT.OK;
}

/** Disables and deletes whatever units an install left. Returns the exit code. */
export async function removeSystemd(deps: ScheduleDeps): Promise<ExitCode> {
  const directory = unitDirectory(deps.homedir);
  const installed = await installedUnits(deps);
  if (installed.length === 0) {
    deps.log(`no batch-refresh units in ${directory}; nothing to remove`);
    return EXIT.OK;
  }
  const enabled = installed.filter((name) => ENABLEABLE.includes(name));
  // Removal goes on when systemctl fails: deleted unit files cannot start again after a reload.
  const disabled = enabled.length === 0 || (await runLogged(deps, 'systemctl', ['--user', 'disable', '--now', ...enabled]));
  try {
    for (const name of installed) await deps.fs.removeFile(path.join(directory, name));
  } catch (error) {
    deps.log(`cannot delete the unit files in ${directory}: ${(error as Error).message}`);
    return EXIT.FAILED;
  }
  const reloaded = await runLogged(deps, 'systemctl', ['--user', 'daemon-reload']);
  deps.log(`removed ${installed.map((name) => path.join(directory, name)).join(', ')}`);
  if (!disabled || !reloaded) {
    deps.log('systemctl --user did not answer; the files are gone, and the units stop for good at the next login or `systemctl --user daemon-reload`');
    return EXIT.FAILED;
  }
  return EXIT.OK;
}

/** Prints what is installed and, when the user manager answers, when the timer fires next. Always 0. */
export async function showSystemd(target: ScheduleTarget, deps: ScheduleDeps): Promise<ExitCode> {
  const directory = unitDirectory(deps.homedir);
  const installed = await installedUnits(deps);
  if (installed.length === 0) {
    deps.out(`systemd: no batch-refresh units in ${directory}; \`batch-refresh schedule install\` writes ${UNIT_NAMES.service} and ${UNIT_NAMES.timer} there (nightly at the configured time)\n`);
  } else {
    deps.out(`systemd units in ${directory}: ${installed.join(', ')}\n`);
  }
  if (installed.includes(UNIT_NAMES.continuous)) {
    const active = await deps.exec('systemctl', ['--user', 'is-active', UNIT_NAMES.continuous]);
    deps.out(`${UNIT_NAMES.continuous}: ${active.stdout.trim() || describeFailure('systemctl --user is-active', active)}\n`);
  }
  if (installed.includes(UNIT_NAMES.timer) || installed.length === 0) {
    const timers = await deps.exec('systemctl', ['--user', 'list-timers', UNIT_NAMES.timer, '--all', '--no-pager']);
    deps.out(timers.code === 0 ? timers.stdout.replace(/\n*$/, '\n') : `${describeFailure('systemctl --user list-timers', timers)}\n`);
  }
  const linger = await readLinger(deps);
  deps.out(`linger: ${linger === null ? 'unknown (loginctl did not answer)' : linger ? 'yes' : `no (timers run only while ${deps.userName} is logged in)`}\n`);
  deps.out(`configured: ${formatRunTime(target.runTime)} ${target.timeZone}\n`);
  return EXIT.OK;
}
