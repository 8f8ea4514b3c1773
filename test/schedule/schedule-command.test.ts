import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExitError } from '../../src/errors.js';
import { registerScheduleCommand, runScheduleCommand, type ScheduleCommandOptions } from '../../src/cli/schedule-command.js';
import { nodeScheduleFs, type ScheduleDeps } from '../../src/schedule/deps.js';
import { CRON_BEGIN_MARKER } from '../../src/schedule/render-cron.js';
import { tempDirs } from '../helpers/temp-dirs.js';

/*
 * The schedule command in-process, with HOME in a temp folder and fake systemctl, crontab and
 * loginctl first on PATH: real child processes, started without a shell, that record their argv and
 * stdin. Nothing touches the real user manager or crontab.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A fresh folder under the system temp folder, deleted after this file's tests. */
const tempDir = tempDirs();

// POSIX sh keeps the fakes fast; each call is logged as one line, arguments split by \x1f.
const STUB = `#!/bin/sh
name=\${0##*/}
{ printf '%s' "$name"; for arg in "$@"; do printf '\\037%s' "$arg"; done; printf '\\n'; } >> "$STUB_LOG"
case "$name" in
systemctl)
  if [ "\${STUB_SYSTEMCTL_FAIL:-}" = 1 ]; then echo 'Failed to connect to bus: No medium found' >&2; exit 1; fi
  case " $* " in
  *' list-timers '*) printf 'NEXT                        LEFT    UNIT                ACTIVATES\\nThu 2025-11-27 02:09:13 EST 8h left batch-refresh.timer batch-refresh.service\\n\\n1 timers listed.\\n' ;;
  *' is-active '*) echo active ;;
  esac ;;
crontab)
  if [ "$1" = -l ]; then
    if [ "\${STUB_CRONTAB_BROKEN:-}" = 1 ]; then echo 'crontab: cannot open your crontab: Permission denied' >&2; exit 1; fi
    if [ ! -f "$STUB_CRONTAB" ]; then echo 'no crontab for jane' >&2; exit 1; fi
    cat "$STUB_CRONTAB"
  elif [ "$1" = - ]; then
    cat > "$STUB_CRONTAB"
  fi ;;
loginctl) echo "\${STUB_LINGER:-no}" ;;
esac
`;

interface Sandbox {
  dir: string;
  /** The folder holding config/, and (by the config's relative paths) data/, backups/, reports/, logs/. */
  base: string;
  home: string;
  config: string;
  unitDir: string;
  crontab: string;
  env: NodeJS.ProcessEnv;
  out: string[];
  log: string[];
  deps: Partial<ScheduleDeps>;
  /** The recorded calls of one fake program. */
  calls(name: string): { args: string[] }[];
  run(action: string, options?: Partial<ScheduleCommandOptions>): Promise<number>;
}

function sandbox(options: { folder?: string; config?: Record<string, unknown>; env?: Record<string, string> } = {}): Sandbox {
  const dir = tempDir('schedule-cmd-');
  const base = path.join(dir, options.folder ?? 'install');
  const home = path.join(dir, 'home');
  const stubs = path.join(dir, 'stubs');
  mkdirSync(path.join(base, 'config'), { recursive: true });
  mkdirSync(home);
  mkdirSync(stubs);
  writeFileSync(path.join(stubs, 'systemctl'), STUB);
  chmodSync(path.join(stubs, 'systemctl'), 0o755);
  for (const name of ['crontab', 'loginctl']) symlinkSync(path.join(stubs, 'systemctl'), path.join(stubs, name));
  const config = path.join(base, 'config', 'batch_config.json');
  writeFileSync(
    config,
    JSON.stringify(
      options.config ?? {
        sources: { edgar: { user_agent: 'Jane Doe jane@example.com' } },
        database: { path: '../data/stocks.db', backup_directory: '../backups' },
        reporting: { summary_directory: '../reports' },
        logging: { log_directory: '../logs' },
      },
    ),
  );
  const log = path.join(dir, 'calls.jsonl');
  const crontab = path.join(dir, 'crontab.txt');
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${stubs}:${process.env.PATH ?? ''}`, HOME: home, STUB_LOG: log, STUB_CRONTAB: crontab, ...options.env };
  const out: string[] = [];
  const lines: string[] = [];
  const deps: Partial<ScheduleDeps> = {
    homedir: home,
    userName: 'jane',
    systemTimeZone: 'America/New_York',
    install: { nodePath: process.execPath, binPath: path.join(ROOT, 'bin', 'batch-refresh'), installDir: path.resolve(ROOT) },
    out: (text) => out.push(text),
    log: (text) => lines.push(text),
  };
  return {
    dir,
    base,
    home,
    config,
    unitDir: path.join(home, '.config', 'systemd', 'user'),
    crontab,
    env,
    out,
    log: lines,
    deps,
    calls: (name) =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .map((line) => line.split('\x1f'))
            .filter(([called]) => called === name)
            .map(([, ...args]) => ({ args }))
        : [],
    run(action, extra = {}) {
      return runScheduleCommand(action, { config, ...extra }, deps, env);
    },
  };
}

const modeOf = (file: string): number => statSync(file).mode & 0o777;

describe('schedule install (systemd)', () => {
  it('writes the timer and service into ~/.config/systemd/user and runs exactly daemon-reload and enable --now', async () => {
    const box = sandbox();
    expect(await box.run('install')).toBe(0);
    expect(box.calls('systemctl').map((call) => call.args)).toEqual([
      ['--user', 'daemon-reload'],
      ['--user', 'enable', '--now', 'batch-refresh.timer'],
    ]);
    expect(modeOf(box.unitDir)).toBe(0o750);
    const service = readFileSync(path.join(box.unitDir, 'batch-refresh.service'), 'utf8');
    expect(modeOf(path.join(box.unitDir, 'batch-refresh.service'))).toBe(0o640);
    expect(service).toContain(`ExecStart=${process.execPath} ${path.join(ROOT, 'bin', 'batch-refresh')} --config ${box.config}`);
    const data = ['data', 'backups', 'reports', 'logs'].map((name) => path.join(box.base, name));
    expect(service).toContain(`ReadWritePaths=${data.join(' ')}`);
    // systemd refuses to start a unit whose ReadWritePaths= are missing.
    for (const folder of data) expect(existsSync(folder)).toBe(true);
    expect(readFileSync(path.join(box.unitDir, 'batch-refresh.timer'), 'utf8')).toContain('OnCalendar=*-*-* 02:00:00 America/New_York');
    expect(box.calls('loginctl').map((call) => call.args)).toEqual([['show-user', 'jane', '--property=Linger', '--value']]);
    const said = box.log.join('\n');
    expect(said).toContain('loginctl enable-linger jane');
    expect(said).toContain('journalctl --user -u batch-refresh');
    expect(box.out).toEqual([]);
  });

  it('takes --time and --timezone over the config', async () => {
    const box = sandbox();
    expect(await box.run('install', { time: '03:30', timezone: 'Europe/Berlin' })).toBe(0);
    expect(readFileSync(path.join(box.unitDir, 'batch-refresh.timer'), 'utf8')).toContain('OnCalendar=*-*-* 03:30:00 Europe/Berlin\n');
  });

  it.each([
    [{ time: '25:00' }, /^--time: "25:00" is not a time of day/],
    [{ time: '2am' }, /^--time: /],
    [{ timezone: 'Mars/Olympus_Mons' }, /^--timezone: "Mars\/Olympus_Mons" is not a known IANA time zone/],
    [{ timezone: 'America/New_York; rm -rf ~' }, /^--timezone: /],
    [{ cron: true, continuous: true }, /^--continuous: /],
  ] as [Partial<ScheduleCommandOptions>, RegExp][])('exits 2 naming the flag for %j, touching nothing', async (flags, message) => {
    const box = sandbox();
    const error = await box.run('install', flags).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExitError);
    expect((error as ExitError).code).toBe(2);
    expect((error as ExitError).message).toMatch(message);
    expect(existsSync(box.unitDir)).toBe(false);
    expect(box.calls('systemctl')).toEqual([]);
  });

  it('exits 2 on an invalid config, naming the key', async () => {
    const box = sandbox({ config: { scheduling: { run_time: '7pm' } } });
    await expect(box.run('install')).rejects.toMatchObject({ code: 2, message: expect.stringMatching(/scheduling\.run_time/) as unknown });
  });

  it('exits 2 on an unknown action', async () => {
    await expect(sandbox().run('enable')).rejects.toMatchObject({ code: 2 });
  });

  it('exits 1, with the files in place and advice, when the user manager does not answer', async () => {
    const box = sandbox({ env: { STUB_SYSTEMCTL_FAIL: '1' } });
    expect(await box.run('install')).toBe(1);
    expect(existsSync(path.join(box.unitDir, 'batch-refresh.timer'))).toBe(true);
    expect(box.log.join('\n')).toMatch(/systemctl --user daemon-reload failed \(exit 1\): Failed to connect to bus[\s\S]*--cron/);
  });

  it('says linger is on instead of the enable-linger hint when it is', async () => {
    const box = sandbox({ env: { STUB_LINGER: 'yes' } });
    expect(await box.run('install')).toBe(0);
    expect(box.log.join('\n')).toContain('linger is on for jane');
    expect(box.log.join('\n')).not.toContain('enable-linger');
  });

  it('leaves PrivateUsers out and says why where unprivileged user namespaces are restricted', async () => {
    const box = sandbox();
    box.deps.fs = {
      ...nodeScheduleFs,
      readFile: async (file) => (file === '/proc/sys/kernel/apparmor_restrict_unprivileged_userns' ? '1\n' : nodeScheduleFs.readFile(file)),
    };
    expect(await box.run('install')).toBe(0);
    expect(readFileSync(path.join(box.unitDir, 'batch-refresh.service'), 'utf8')).not.toMatch(/^PrivateUsers=/m);
    expect(box.log.join('\n')).toContain('kernel.apparmor_restrict_unprivileged_userns = 1');
  });

  it('--continuous replaces an installed timer with the continuous service', async () => {
    const box = sandbox();
    expect(await box.run('install')).toBe(0);
    expect(await box.run('install', { continuous: true })).toBe(0);
    expect(
      box
        .calls('systemctl')
        .map((call) => call.args)
        .slice(2),
    ).toEqual([
      ['--user', 'disable', '--now', 'batch-refresh.timer'],
      ['--user', 'daemon-reload'],
      ['--user', 'enable', '--now', 'batch-refresh-continuous.service'],
    ]);
    expect(existsSync(path.join(box.unitDir, 'batch-refresh.timer'))).toBe(false);
    expect(existsSync(path.join(box.unitDir, 'batch-refresh.service'))).toBe(false);
    expect(readFileSync(path.join(box.unitDir, 'batch-refresh-continuous.service'), 'utf8')).toMatch(/^ExecStart=.* --continuous --config /m);
  });

  it('reminds that the scheduled run does not see SEC_USER_AGENT when the config lacks user_agent', async () => {
    const box = sandbox({ config: {} });
    expect(await box.run('install')).toBe(0);
    expect(box.log.join('\n')).toContain('~/.config/batch-refresh/env');
  });

  it('quotes a config path with spaces in ExecStart and ReadWritePaths', async () => {
    const box = sandbox({ folder: 'My Stocks' });
    expect(await box.run('install')).toBe(0);
    const service = readFileSync(path.join(box.unitDir, 'batch-refresh.service'), 'utf8');
    expect(service).toContain(` --config "${box.config}"\n`);
    const quoted = ['data', 'backups', 'reports', 'logs'].map((name) => `"${path.join(box.base, name)}"`);
    expect(service).toContain(`\nReadWritePaths=${quoted.join(' ')}\n`);
  });
});

describe('schedule remove and show (systemd)', () => {
  it('remove disables the timer, deletes the unit files and reloads', async () => {
    const box = sandbox();
    await box.run('install');
    expect(await box.run('remove')).toBe(0);
    expect(
      box
        .calls('systemctl')
        .map((call) => call.args)
        .slice(2),
    ).toEqual([
      ['--user', 'disable', '--now', 'batch-refresh.timer'],
      ['--user', 'daemon-reload'],
    ]);
    expect(existsSync(path.join(box.unitDir, 'batch-refresh.timer'))).toBe(false);
    expect(existsSync(path.join(box.unitDir, 'batch-refresh.service'))).toBe(false);
  });

  it('remove with nothing installed does nothing and succeeds, even with a broken config', async () => {
    const box = sandbox({ config: { scheduling: { timezone: 'Nowhere/Land' } } });
    expect(await box.run('remove')).toBe(0);
    expect(box.calls('systemctl')).toEqual([]);
  });

  it('show prints the installed units and the next elapse', async () => {
    const box = sandbox();
    await box.run('install');
    expect(await box.run('show')).toBe(0);
    const shown = box.out.join('');
    expect(shown).toContain('batch-refresh.service, batch-refresh.timer');
    expect(shown).toContain('8h left batch-refresh.timer');
    expect(shown).toContain('configured: 02:00 America/New_York');
    expect(box.calls('systemctl').at(-1)?.args).toEqual(['--user', 'list-timers', 'batch-refresh.timer', '--all', '--no-pager']);
  });

  it('show exits 0 when nothing is installed and systemctl fails', async () => {
    const box = sandbox({ env: { STUB_SYSTEMCTL_FAIL: '1' } });
    expect(await box.run('show')).toBe(0);
    expect(box.out.join('')).toMatch(/no batch-refresh units[\s\S]*list-timers failed/);
  });
});

describe('schedule --cron', () => {
  const mine = '# my jobs\nMAILTO=jane@example.com\n15 1 * * * /usr/local/bin/backup\n';

  it('install merges into the existing crontab, keeping other lines and replacing the old block', async () => {
    const box = sandbox();
    writeFileSync(box.crontab, mine);
    expect(await box.run('install', { cron: true, time: '04:30' })).toBe(0);
    expect(await box.run('install', { cron: true })).toBe(0);
    const installed = readFileSync(box.crontab, 'utf8');
    expect(installed.startsWith(`${mine}\n${CRON_BEGIN_MARKER}`)).toBe(true);
    expect(installed.split(CRON_BEGIN_MARKER)).toHaveLength(2);
    expect(installed).toContain('\nCRON_TZ=America/New_York\n0 2 * * * cd ');
    expect(installed).toContain(`>> ${path.join(box.base, 'logs', 'cron.log')} 2>&1; }\n`);
    expect(installed).not.toContain('30 4 * * *');
    expect(box.calls('crontab').map((call) => call.args)).toEqual([['-l'], ['-'], ['-l'], ['-']]);
    // The redirect to logs/cron.log fails before the job starts when logs/ is missing.
    expect(existsSync(path.join(box.base, 'logs'))).toBe(true);
    expect(box.calls('systemctl')).toEqual([]);
  });

  it('install into a user without a crontab writes just the block', async () => {
    const box = sandbox();
    expect(await box.run('install', { cron: true })).toBe(0);
    expect(readFileSync(box.crontab, 'utf8').startsWith(CRON_BEGIN_MARKER)).toBe(true);
  });

  it('install exits 1 and writes nothing when crontab -l fails for another reason', async () => {
    const box = sandbox({ env: { STUB_CRONTAB_BROKEN: '1' } });
    expect(await box.run('install', { cron: true })).toBe(1);
    expect(box.calls('crontab').map((call) => call.args)).toEqual([['-l']]);
    expect(box.log.join('\n')).toContain('Permission denied');
  });

  it('warns when the machine zone differs from CRON_TZ (Debian cron ignores CRON_TZ)', async () => {
    const box = sandbox();
    box.deps.systemTimeZone = 'Europe/Berlin';
    expect(await box.run('install', { cron: true })).toBe(0);
    expect(box.log.join('\n')).toMatch(/CRON_TZ=America\/New_York, but this machine's time zone is Europe\/Berlin/);
  });

  it('remove takes the block out and keeps the rest', async () => {
    const box = sandbox();
    writeFileSync(box.crontab, mine);
    await box.run('install', { cron: true });
    expect(await box.run('remove', { cron: true })).toBe(0);
    expect(readFileSync(box.crontab, 'utf8')).toBe(mine);
  });

  it('show prints the installed block, or the one install would add', async () => {
    const box = sandbox();
    expect(await box.run('show', { cron: true })).toBe(0);
    expect(box.out.join('')).toMatch(/would add:\n# BEGIN batch-refresh/);
    await box.run('install', { cron: true });
    expect(await box.run('show', { cron: true })).toBe(0);
    expect(box.out.at(-1)).toMatch(/^installed in your crontab:\n# BEGIN batch-refresh[\s\S]*# END batch-refresh\n$/);
  });

  it('shell-quotes a config path with spaces and a quote in the crontab line', async () => {
    const box = sandbox({ folder: "Jane's Stocks" });
    expect(await box.run('install', { cron: true })).toBe(0);
    expect(readFileSync(box.crontab, 'utf8')).toContain(` --config '${box.config.replace("'", "'\\''")}' >> `);
  });
});

describe('registerScheduleCommand', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  /** A program shaped like main.ts's: a global --config (env BATCH_REFRESH_CONFIG), positional options, exitOverride. */
  function program(): Command {
    const root = new Command()
      .name('batch-refresh')
      .enablePositionalOptions()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined });
    root.addOption(new Option('--config <file>', 'JSON config file').env('BATCH_REFRESH_CONFIG').default('config/batch_config.json'));
    root.option('--continuous', "the program's own flag, which must not swallow the subcommand's");
    registerScheduleCommand(root);
    return root;
  }

  it.each([
    ['after the action', (config: string) => ['schedule', 'show', '--cron', '--config', config], {}],
    ['before the subcommand', (config: string) => ['--config', config, 'schedule', 'show', '--cron'], {}],
    ['in BATCH_REFRESH_CONFIG', () => ['schedule', 'show', '--cron'], { useEnv: true }],
  ])('reads the config given %s', async (_where, argv, how: { useEnv?: boolean }) => {
    const box = sandbox();
    vi.stubEnv('PATH', box.env.PATH ?? '');
    vi.stubEnv('STUB_LOG', box.env.STUB_LOG ?? '');
    vi.stubEnv('STUB_CRONTAB', box.crontab);
    if (how.useEnv === true) vi.stubEnv('BATCH_REFRESH_CONFIG', box.config);
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
    await program().parseAsync(argv(box.config), { from: 'user' });
    expect(process.exitCode).toBe(0);
    // The would-add block names the config that was loaded.
    expect(written.join('')).toContain(`--config ${box.config} >> `);
  });

  it("takes --continuous after `schedule` as the subcommand's flag", async () => {
    const box = sandbox();
    vi.stubEnv('PATH', box.env.PATH ?? '');
    vi.stubEnv('STUB_LOG', box.env.STUB_LOG ?? '');
    // --cron with --continuous is refused, which proves the subcommand saw --continuous.
    await expect(program().parseAsync(['schedule', 'show', '--cron', '--continuous', '--config', box.config], { from: 'user' })).rejects.toMatchObject({ code: 2 });
  });

  it('rejects an unknown action as a commander usage error', async () => {
    await expect(program().parseAsync(['schedule', 'enable'], { from: 'user' })).rejects.toBeInstanceOf(CommanderError);
  });
});
