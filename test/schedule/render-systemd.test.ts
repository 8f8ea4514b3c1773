import { describe, expect, it } from 'vitest';
import { findSystemdExecutableProblem, quoteSystemdExecArg, quoteSystemdExecutable, quoteSystemdPathListItem } from '../../src/schedule/quote.js';
import { renderContinuousUnit, renderServiceUnit, renderTimerUnit } from '../../src/schedule/render-systemd.js';
import type { ScheduleTarget } from '../../src/schedule/schedule-target.js';

function target(overrides: Partial<ScheduleTarget> = {}): ScheduleTarget {
  return {
    nodePath: '/usr/bin/node',
    binPath: '/srv/br/bin/batch-refresh',
    installDir: '/srv/br',
    configPath: '/srv/br/config/batch_config.json',
    writablePaths: ['/srv/data', '/srv/backups', '/srv/reports', '/srv/logs'],
    logDirectory: '/srv/logs',
    cronLogMaxBytes: 50 * 1048576,
    runTime: { hour: 3, minute: 45 },
    timeZone: 'Europe/Berlin',
    ...overrides,
  };
}

/** `Key=value` lines of one [Section], comments and blank lines left out. */
function directives(unit: string, section: string): [string, string][] {
  const out: [string, string][] = [];
  let current = '';
  for (const line of unit.split('\n')) {
    if (/^\[.+\]$/.test(line)) current = line.slice(1, -1);
    else if (current === section && line !== '' && !line.startsWith('#')) {
      const eq = line.indexOf('=');
      out.push([line.slice(0, eq), line.slice(eq + 1)]);
    }
  }
  return out;
}
const values = (unit: string, section: string, key: string): string[] =>
  directives(unit, section)
    .filter(([k]) => k === key)
    .map(([, v]) => v);

describe('timer unit', () => {
  const timer = renderTimerUnit(target());

  it('fires daily at the configured time in the configured zone, catching up missed nights, spread out', () => {
    expect(values(timer, 'Timer', 'OnCalendar')).toEqual(['*-*-* 03:45:00 Europe/Berlin']);
    expect(values(timer, 'Timer', 'Persistent')).toEqual(['true']);
    expect(values(timer, 'Timer', 'RandomizedDelaySec')).toEqual(['15min']);
  });

  it('is wanted by timers.target, since a user manager has no multi-user.target', () => {
    expect(values(timer, 'Install', 'WantedBy')).toEqual(['timers.target']);
    expect(timer).not.toMatch(/^WantedBy=multi-user\.target/m);
  });

  it('pads single-digit hours and minutes', () => {
    expect(values(renderTimerUnit(target({ runTime: { hour: 2, minute: 5 } })), 'Timer', 'OnCalendar')).toEqual(['*-*-* 02:05:00 Europe/Berlin']);
  });
});

describe('nightly service unit', () => {
  const service = renderServiceUnit(target(), { userNamespaces: true });

  it('is a oneshot running node on bin/batch-refresh with the absolute config path', () => {
    expect(values(service, 'Service', 'Type')).toEqual(['oneshot']);
    expect(values(service, 'Service', 'ExecStart')).toEqual(['/usr/bin/node /srv/br/bin/batch-refresh --config /srv/br/config/batch_config.json']);
    expect(values(service, 'Service', 'WorkingDirectory')).toEqual(['/srv/br']);
    expect(directives(service, 'Install')).toEqual([]);
  });

  it('limits resources with MemoryMax (not the deprecated MemoryLimit), CPUQuota and Nice', () => {
    expect(values(service, 'Service', 'MemoryMax')).toEqual(['2G']);
    expect(values(service, 'Service', 'CPUQuota')).toEqual(['50%']);
    expect(values(service, 'Service', 'Nice')).toEqual(['10']);
    expect(service).not.toMatch(/^MemoryLimit=/m);
  });

  it('carries the hardening a user unit supports, with the data folders writable', () => {
    const expected: [string, string][] = [
      ['NoNewPrivileges', 'true'],
      ['PrivateUsers', 'true'],
      ['PrivateTmp', 'true'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'read-only'],
      ['ReadWritePaths', '/srv/data /srv/backups /srv/reports /srv/logs'],
      ['ProtectKernelTunables', 'true'],
      ['ProtectKernelModules', 'true'],
      ['ProtectKernelLogs', 'true'],
      ['ProtectControlGroups', 'true'],
      ['ProtectHostname', 'true'],
      ['RestrictAddressFamilies', 'AF_INET AF_INET6 AF_UNIX'],
      ['RestrictNamespaces', 'true'],
      ['RestrictRealtime', 'true'],
      ['RestrictSUIDSGID', 'true'],
      ['LockPersonality', 'true'],
      ['SystemCallArchitectures', 'native'],
      ['SystemCallFilter', '@system-service'],
      ['SystemCallErrorNumber', 'EPERM'],
    ];
    const all = directives(service, 'Service');
    for (const directive of expected) expect(all).toContainEqual(directive);
  });

  it('counts exit 143 (a stop by SIGTERM, after the report) as a success, not a failed unit', () => {
    expect(values(service, 'Service', 'SuccessExitStatus')).toEqual(['143']);
  });

  it('makes no claim in its comments about how long a run takes', () => {
    const comments = service
      .split('\n')
      .filter((line) => line.startsWith('#'))
      .join('\n');
    expect(comments).not.toMatch(/\babout (an|a|one|\d+) (hour|minute)|\d+\s*(h|hours?|min|minutes?)\b(?! of| later)/i);
  });

  it('leaves out what breaks node or needs the system manager', () => {
    for (const key of ['MemoryDenyWriteExecute', 'PrivateDevices', 'ProtectClock', 'ProcSubset', 'CapabilityBoundingSet', 'User', 'Group']) {
      expect(values(service, 'Service', key)).toEqual([]);
    }
  });

  it('on a host without unprivileged user namespaces drops PrivateUsers and the settings that fail without it', () => {
    const restricted = renderServiceUnit(target(), { userNamespaces: false, reason: 'kernel.apparmor_restrict_unprivileged_userns = 1' });
    for (const key of ['PrivateUsers', 'ProtectKernelModules', 'ProtectKernelLogs', 'ProtectHostname']) expect(values(restricted, 'Service', key)).toEqual([]);
    // The seccomp and prctl parts need no namespace and stay.
    for (const key of ['NoNewPrivileges', 'SystemCallFilter', 'RestrictAddressFamilies', 'ProtectSystem', 'PrivateTmp']) expect(values(restricted, 'Service', key)).toHaveLength(1);
    expect(restricted).toContain('# This host restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1)');
  });
});

describe('continuous service unit', () => {
  const unit = renderContinuousUnit(target(), { userNamespaces: true });

  it('runs --continuous with Restart=always, not restarting on a config error, and starts with the user manager', () => {
    expect(values(unit, 'Service', 'ExecStart')).toEqual(['/usr/bin/node /srv/br/bin/batch-refresh --continuous --config /srv/br/config/batch_config.json']);
    expect(values(unit, 'Service', 'Restart')).toEqual(['always']);
    expect(values(unit, 'Service', 'RestartPreventExitStatus')).toEqual(['2']);
    expect(values(unit, 'Unit', 'Conflicts')).toEqual(['batch-refresh.timer batch-refresh.service']);
    expect(values(unit, 'Install', 'WantedBy')).toEqual(['default.target']);
    expect(values(unit, 'Service', 'MemoryMax')).toEqual(['2G']);
    expect(values(unit, 'Service', 'ProtectSystem')).toEqual(['strict']);
    expect(values(unit, 'Service', 'ProtectHome')).toEqual(['read-only']);
    expect(values(unit, 'Service', 'ReadWritePaths')).toEqual(['/srv/data /srv/backups /srv/reports /srv/logs']);
    // systemctl stop ends it with 143: without this every stop would leave the unit "failed".
    expect(values(unit, 'Service', 'SuccessExitStatus')).toEqual(['143']);
  });
});

describe('systemd quoting of paths', () => {
  it.each([
    ['/plain/path', '/plain/path'],
    ['/with space/node', '"/with space/node"'],
    ['/quote"and\\backslash', '"/quote\\"and\\\\backslash"'],
    ["/single'quote", '"/single\'quote"'],
    ['/100%/x', '/100%%/x'],
    ['/$HOME/x', '"/$$HOME/x"'],
    ['/a b/100% $x', '"/a b/100%% $$x"'],
  ])('ExecStart argument %j is written as %s', (input, expected) => {
    expect(quoteSystemdExecArg(input)).toBe(expected);
  });

  it('for the program escapes specifiers but not $, which systemd never expands there', () => {
    expect(quoteSystemdExecutable('/opt/node 100% $x/node')).toBe('"/opt/node 100%% $x/node"');
    expect(findSystemdExecutableProblem("/opt/jane's/node")).toMatch(/quote/);
    expect(findSystemdExecutableProblem('/opt/plain/node')).toBeNull();
  });

  it('in path lists escapes specifiers but leaves $ alone (no variable expansion there)', () => {
    expect(quoteSystemdPathListItem('/data dir/$x/50%')).toBe('"/data dir/$x/50%%"');
  });

  it('renders a service for paths with spaces that keeps each path one word', () => {
    const unit = renderServiceUnit(
      target({
        nodePath: '/opt/my node/bin/node',
        binPath: '/home/jane/My Stocks/bin/batch-refresh',
        installDir: '/home/jane/My Stocks',
        configPath: '/home/jane/My Stocks/config/batch config.json',
        writablePaths: ['/home/jane/My Stocks/data', '/var/tmp/reports'],
      }),
      { userNamespaces: true },
    );
    expect(values(unit, 'Service', 'ExecStart')).toEqual(['"/opt/my node/bin/node" "/home/jane/My Stocks/bin/batch-refresh" --config "/home/jane/My Stocks/config/batch config.json"']);
    expect(values(unit, 'Service', 'ReadWritePaths')).toEqual(['"/home/jane/My Stocks/data" /var/tmp/reports']);
    // WorkingDirectory= takes the whole rest of the line: quotes would become part of the path.
    expect(values(unit, 'Service', 'WorkingDirectory')).toEqual(['/home/jane/My Stocks']);
  });
});
