import { EXIT } from '../errors.js';
import { escapeSystemdSpecifiers, quoteSystemdExecArg, quoteSystemdExecutable, quoteSystemdPathListItem } from './quote.js';
import { formatRunTime, type ScheduleTarget } from './schedule-target.js';

/** The unit files `schedule install` writes, by role. */
export const UNIT_NAMES = {
  service: 'batch-refresh.service',
  timer: 'batch-refresh.timer',
  continuous: 'batch-refresh-continuous.service',
} as const;

/**
 * What the host lets a user service do. A systemd *user* manager is unprivileged: it can only build
 * a mount namespace (ProtectSystem=, PrivateTmp=, ReadWritePaths=) inside a user namespace of its
 * own (PrivateUsers=), and some hosts forbid those (Ubuntu 23.10+ through AppArmor, old Debian).
 */
export interface SandboxOptions {
  /** Unprivileged user namespaces work here, so PrivateUsers= and what needs it can be used. */
  userNamespaces: boolean;
  /** Why they do not, for the comment in the unit. */
  reason?: string;
}

const PATHS_FILLED = ['# that install filled in: node, bin/batch-refresh, --config, and ReadWritePaths= from the', "# config's database, backup, report and log folders."];
const TIME_FILLED = ["# the time and zone filled in from --time/--timezone or the config's scheduling.run_time/.timezone."];

function header(title: string, filled: string[]): string[] {
  return [
    `# ${title} (systemd user unit).`,
    '#',
    '# `batch-refresh schedule install` writes this file to ~/.config/systemd/user/ with',
    ...filled,
    "# The copy in the repository's systemd/ folder is the same rendering for an install in",
    '# /opt/batch-refresh with the shipped config. Re-run `schedule install` after moving the install',
    '# or changing the Node version; put local changes in a drop-in (`systemctl --user edit <unit>`),',
    '# which a re-install leaves alone.',
  ];
}

/** Without it systemd marks the unit failed after every `systemctl stop` (systemd only counts a death by the signal itself as clean). */
function stopIsSuccess(): string[] {
  return [`# ${EXIT.SIGTERM} is how the job ends on SIGTERM (systemctl stop, shutdown): a clean stop, not a failure.`, `SuccessExitStatus=${EXIT.SIGTERM}`];
}

function execStart(target: ScheduleTarget, extraArgs: string[]): string {
  const args = [target.binPath, ...extraArgs, '--config', target.configPath];
  return `ExecStart=${[quoteSystemdExecutable(target.nodePath), ...args.map(quoteSystemdExecArg)].join(' ')}`;
}

/** Lines shared by the nightly and the continuous service: how to start, resources, sandbox. */
function runSection(target: ScheduleTarget, sandbox: SandboxOptions): string[] {
  return [
    // WorkingDirectory= takes the rest of the line as the path: no quotes, only specifiers escaped.
    `WorkingDirectory=${escapeSystemdSpecifiers(target.installDir)}`,
    '# Optional: SEC_USER_AGENT="Name email" (and other environment) for the scheduled run.',
    'EnvironmentFile=-%h/.config/batch-refresh/env',
    '',
    '# A background job that yields to everything interactive.',
    'Nice=10',
    'IOSchedulingClass=best-effort',
    'IOSchedulingPriority=7',
    'CPUQuota=50%',
    'MemoryMax=2G',
    '',
    ...sandboxLines(target, sandbox),
  ];
}

function sandboxLines(target: ScheduleTarget, sandbox: SandboxOptions): string[] {
  const namespaced = sandbox.userNamespaces
    ? ['# A user manager may only build the mount namespace below inside a user namespace of its own.', 'PrivateUsers=true']
    : [
        `# This host restricts unprivileged user namespaces (${sandbox.reason ?? 'see schedule install'}),`,
        '# so PrivateUsers= and ProtectKernelModules=, ProtectKernelLogs=, ProtectHostname= are left out',
        '# (without a user namespace they make the unit fail before it starts). systemd skips the mount',
        '# namespace settings below on such a host; the seccomp filters still apply.',
      ];
  return [
    '# Sandbox: what a user unit supports. Left out on purpose: MemoryDenyWriteExecute= (V8 compiles',
    '# JavaScript to machine code at run time), PrivateDevices= and ProtectClock= (their device policy',
    '# needs a BPF program that only the system manager can attach), ProcSubset=pid (V8 reads',
    '# /proc/cpuinfo on some CPUs), CapabilityBoundingSet= (a user service holds no capabilities).',
    'UMask=0027',
    'NoNewPrivileges=true',
    ...namespaced,
    'PrivateTmp=true',
    '# Everything read-only but the data folders: the database, backups, reports and logs (and the',
    "# metrics textfile's folder), also where they lie under /home.",
    'ProtectSystem=strict',
    'ProtectHome=read-only',
    `ReadWritePaths=${target.writablePaths.map(quoteSystemdPathListItem).join(' ')}`,
    'ProtectKernelTunables=true',
    'ProtectControlGroups=true',
    ...(sandbox.userNamespaces ? ['ProtectKernelModules=true', 'ProtectKernelLogs=true', 'ProtectHostname=true'] : []),
    '# Network: IPv4/IPv6 for SEC and Yahoo, AF_UNIX for name resolution through nscd or resolved.',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    'RestrictNamespaces=true',
    'RestrictRealtime=true',
    'RestrictSUIDSGID=true',
    'LockPersonality=true',
    'SystemCallArchitectures=native',
    'SystemCallFilter=@system-service',
    // Without it a filtered call kills the process; with it libuv's io_uring probe, for one, falls back.
    'SystemCallErrorNumber=EPERM',
  ];
}

/** The nightly run: a oneshot service the timer starts. */
export function renderServiceUnit(target: ScheduleTarget, sandbox: SandboxOptions): string {
  return [
    ...header('batch-refresh: the nightly run, started by batch-refresh.timer', PATHS_FILLED),
    '',
    '[Unit]',
    'Description=batch-refresh: refresh the US stock database from SEC EDGAR and Yahoo Finance',
    '',
    '[Service]',
    'Type=oneshot',
    execStart(target, []),
    '# How long a run takes depends on the market and the rate limits (`batch-refresh --dry-run` prints',
    '# the estimate). The limit only ends a run that hangs, before it blocks the next night; SIGTERM',
    '# lets it finish the stocks in flight and write its report.',
    'TimeoutStartSec=8h',
    'TimeoutStopSec=2min',
    ...stopIsSuccess(),
    ...runSection(target, sandbox),
    '',
  ].join('\n');
}

/** The timer: nightly at the configured time in the configured zone. */
export function renderTimerUnit(target: ScheduleTarget): string {
  const when = `${formatRunTime(target.runTime)}:00 ${target.timeZone}`;
  return [
    ...header('batch-refresh: the nightly timer', TIME_FILLED),
    '',
    '[Unit]',
    `Description=batch-refresh: nightly at ${escapeSystemdSpecifiers(when)}`,
    '',
    '[Timer]',
    // A zone in OnCalendar= makes the time follow that zone's DST, whatever the machine's zone is.
    `OnCalendar=*-*-* ${escapeSystemdSpecifiers(when)}`,
    '# A night missed while the machine was off (or, without linger, while you were logged out) runs',
    '# at the next boot or login.',
    'Persistent=true',
    '# Spread over 15 minutes so that many installs do not all call SEC in the same second.',
    'RandomizedDelaySec=15min',
    '',
    '[Install]',
    '# A user manager has no multi-user.target; timers.target is where user timers are started.',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

/** The continuous variant: `batch-refresh --continuous` under Restart=always, instead of the timer. */
export function renderContinuousUnit(target: ScheduleTarget, sandbox: SandboxOptions): string {
  return [
    ...header('batch-refresh: the continuous run, installed instead of the timer by `schedule install --continuous`', PATHS_FILLED),
    '',
    '[Unit]',
    'Description=batch-refresh (continuous): keep the US stock database fresh',
    '# One runner at a time: starting this stops the nightly timer and a nightly run, and the reverse.',
    `Conflicts=${UNIT_NAMES.timer} ${UNIT_NAMES.service}`,
    '',
    '[Service]',
    'Type=exec',
    execStart(target, ['--continuous']),
    'Restart=always',
    '# A crash loop must not hammer SEC: wait a minute between attempts.',
    'RestartSec=60s',
    '# Exit 2 is a usage or configuration error, which a restart cannot fix.',
    'RestartPreventExitStatus=2',
    'TimeoutStopSec=2min',
    ...stopIsSuccess(),
    ...runSection(target, sandbox),
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}
