import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT, waitFor } from '../helpers/cli.js';
import { tempDirs } from '../helpers/temp-dirs.js';
import { describeWith, firstMissing, missingProgram } from './system-tools.js';

/*
 * The units `schedule install` writes, run by a real systemd: the test boots one in systemd-nspawn
 * (a throw-away overlay over this machine's own /, private network, no machined), makes a lingering
 * user there, and drives everything else as that user, as a real install would be:
 *   install -> the timer starts the service -> systemd records its exit code, the journal its error
 *   line -> status reads the timer -> install --continuous -> remove -> nothing left.
 * The job fails on purpose and always the same way: SEC's stand-in URL is a closed port of the
 * container's own loopback, so the universe cannot be fetched (exit 3, an error line, a report).
 *
 * Test-only drop-ins, next to the units as a user would put them (the shipped units are unchanged):
 *   - the timer: RandomizedDelaySec=0, so the missed night (Persistent=true, stamp three days old)
 *     starts at once rather than within 15 minutes;
 *   - the services: ProtectKernelLogs=no, because a container has no /proc/kmsg to hide and
 *     systemd then fails the unit with 226/NAMESPACE (a container artefact, not a unit error);
 *   - the nightly service: an ExecStartPre= that tries to write into the home folder outside the
 *     data folders, to show that ProtectHome=read-only holds while ReadWritePaths= lets the run write.
 */

const tempDir = tempDirs();
// This checkout and this node, bound read-only where any user may run them, wherever they are on
// the host (a checkout under /root would be out of the test user's reach). /opt/batch-refresh is
// also where the shipped example units in systemd/ expect an install.
const PROJECT = '/opt/batch-refresh';
const NODE = '/opt/batch-refresh-node/bin/node';
const USER = 'refresher';
const HOME = `/home/${USER}`;
const DATA = `${HOME}/stocks`;
const CLOSED_URL = 'http://127.0.0.1:59999';
const CLEAN_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };
const UNIT_DIR = `${HOME}/.config/systemd/user`;

const missing = firstMissing(
  process.platform === 'linux' ? null : 'systemd-nspawn needs Linux',
  process.getuid?.() === 0 ? null : 'systemd-nspawn needs root',
  missingProgram('systemd-nspawn', ['--version'], 'systemd-container'),
  missingProgram('unshare', ['--version'], 'util-linux'),
  missingProgram('nsenter', ['--version'], 'util-linux'),
  existsSync('/lib/systemd/systemd') || existsSync('/usr/lib/systemd/systemd') ? null : 'no systemd to boot (/lib/systemd/systemd)',
);

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

describeWith('the installed units under a real systemd (systemd-nspawn)', missing, () => {
  let nspawn: ChildProcess | null = null;
  let consoleLog = '';
  let leader = 0;
  let uid = 0;

  /** Runs a command as root inside the container. */
  function inContainer(command: string[], input?: string): Ran {
    const result = spawnSync('nsenter', ['-t', String(leader), '-a', '--', ...command], { env: CLEAN_ENV, input, encoding: 'utf8', timeout: 30_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** Runs a command as the test user, with the environment of a login session (its user manager). */
  function asUser(command: string[], input?: string): Ran {
    return inContainer(['runuser', '-u', USER, '--', 'env', `HOME=${HOME}`, `USER=${USER}`, `LOGNAME=${USER}`, `XDG_RUNTIME_DIR=/run/user/${uid}`, `PATH=${CLEAN_ENV.PATH}`, ...command], input);
  }

  function cli(args: string[]): Ran {
    return asUser([NODE, path.join(PROJECT, 'bin', 'batch-refresh'), ...args]);
  }

  function writeAsUser(file: string, text: string): void {
    const result = asUser(['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'sh', file], text);
    expect(result.status, result.stderr).toBe(0);
  }

  function unitProperties(unit: string, names: string[]): Record<string, string> {
    const result = asUser(['systemctl', '--user', 'show', unit, ...names.map((name) => `--property=${name}`)]);
    return Object.fromEntries(
      result.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
  }

  function childrenOf(pid: number): number[] {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  const bootFailure = (what: string): string => `${what}; container console:\n${consoleLog.slice(-3000)}`;

  beforeAll(async () => {
    const box = tempDir('schedule-nspawn-');
    const rootView = path.join(box, 'root');
    mkdirSync(rootView);
    const consoleFile = path.join(box, 'console.log');
    const out = openSync(consoleFile, 'w');
    // nspawn refuses / itself as a container root: a read-only bind of it, made in a mount namespace
    // of its own (gone with the container), is the lower layer of --volatile=overlay.
    const script = [
      'set -e',
      'mount --bind / "$1"',
      'mount -o remount,bind,ro "$1"',
      'exec systemd-nspawn --directory="$1" --volatile=overlay --register=no --keep-unit --private-network --quiet --bind-ro="$2" --bind-ro="$3" --boot systemd.unit=basic.target',
    ].join('\n');
    const binds = [`${ROOT.replace(/\/$/, '')}:${PROJECT}`, `${process.execPath}:${NODE}`];
    nspawn = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', rootView, ...binds], { env: CLEAN_ENV, stdio: ['ignore', out, out] });
    closeSync(out);
    const readConsole = (): string => (consoleLog = existsSync(consoleFile) ? readFileSync(consoleFile, 'utf8') : '');
    const nspawnPid = nspawn.pid ?? 0;
    await waitFor(
      () => {
        readConsole();
        leader = childrenOf(nspawnPid).find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'systemd') ?? 0;
        return leader !== 0 || nspawn?.exitCode !== null;
      },
      20_000,
      'systemd-nspawn to start systemd',
    ).catch((error: unknown) => {
      throw new Error(bootFailure((error as Error).message));
    });
    if (leader === 0) throw new Error(bootFailure(`systemd-nspawn exited with ${String(nspawn.exitCode)}`));
    // basic.target is all it needs: journald, D-Bus, and logind started on demand. Until systemd has
    // opened its socket, systemctl cannot even ask.
    let booted: Ran = { status: null, stdout: '', stderr: '' };
    await waitFor(
      () => {
        booted = inContainer(['systemctl', 'is-system-running', '--wait']);
        return ['running', 'degraded'].includes(booted.stdout.trim());
      },
      20_000,
      'the container to boot',
    ).catch(() => {
      throw new Error(bootFailure(`the container did not boot: ${booted.stdout}${booted.stderr}`));
    });

    // The user's journal file (what journalctl --user reads) exists only with persistent storage.
    expect(inContainer(['sh', '-c', 'mkdir -p /var/log/journal && systemd-tmpfiles --create --prefix /var/log/journal && journalctl --flush']).status).toBe(0);
    expect(inContainer(['useradd', '--create-home', '--shell', '/bin/sh', USER]).status).toBe(0);
    uid = Number(inContainer(['id', '-u', USER]).stdout.trim());
    // Linger: logind starts the user's manager now and at every boot, with nobody logged in.
    expect(inContainer(['loginctl', 'enable-linger', USER]).status).toBe(0);
    await waitFor(() => inContainer(['test', '-S', `/run/user/${uid}/systemd/private`]).status === 0, 15_000, "the user's systemd manager");

    const config = {
      sources: {
        edgar: { www_url: CLOSED_URL, data_url: CLOSED_URL, user_agent: 'batch-refresh tests tests@example.com', timeout_seconds: 2 },
        yahoo: { base_url: CLOSED_URL, timeout_seconds: 2 },
      },
      error_handling: { retry_base_delay_seconds: 0.01, max_retries_per_stock: 0 },
      database: { path: 'data/stocks.db', backup_directory: 'backups' },
      logging: { log_directory: 'logs' },
      reporting: { summary_directory: 'reports' },
    };
    writeAsUser(`${DATA}/batch_config.json`, JSON.stringify(config));
    // The continuous service's config has no User-Agent: exit 2, which RestartPreventExitStatus= keeps from restarting.
    const { user_agent: _agent, ...anonymous } = config.sources.edgar;
    writeAsUser(`${DATA}/continuous.json`, JSON.stringify({ ...config, sources: { ...config.sources, edgar: anonymous } }));
    writeAsUser(`${UNIT_DIR}/batch-refresh.timer.d/test.conf`, '[Timer]\nRandomizedDelaySec=0\n');
    writeAsUser(`${UNIT_DIR}/batch-refresh.service.d/test.conf`, `[Service]\nProtectKernelLogs=no\nExecStartPre=-/usr/bin/touch ${HOME}/outside-the-data-folders\n`);
    writeAsUser(`${UNIT_DIR}/batch-refresh-continuous.service.d/test.conf`, '[Service]\nProtectKernelLogs=no\n');
    // The last trigger three days ago: the night the timer should have run is missed, so it runs now.
    expect(asUser(['sh', '-c', `mkdir -p ${HOME}/.local/share/systemd/timers && touch -d '3 days ago' ${HOME}/.local/share/systemd/timers/stamp-batch-refresh.timer`]).status).toBe(0);
  }, 60_000);

  afterAll(async () => {
    if (nspawn?.exitCode !== null) return;
    const exited = new Promise((resolve) => nspawn?.once('exit', resolve));
    // nspawn turns SIGTERM into a clean shutdown of the container.
    nspawn.kill('SIGTERM');
    const timer = setTimeout(() => nspawn?.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }, 20_000);

  it('schedule install enables the timer, which starts the service at once for the missed night (Persistent=true)', async () => {
    const install = cli(['schedule', 'install', '--config', `${DATA}/batch_config.json`]);
    expect(install.status, install.stderr).toBe(0);
    expect(install.stderr).toContain('enabled batch-refresh.timer: nightly at 02:00 America/New_York');
    expect(install.stderr).toContain(`linger is on for ${USER}`);
    // What runs here is the shipped unit of systemd/ but for this install's node, config and data folders.
    const installFilled = (text: string): string => text.replace(/^(ExecStart|ReadWritePaths)=.*$/gm, '$1=…');
    for (const unit of ['batch-refresh.service', 'batch-refresh.timer']) {
      expect(installFilled(asUser(['cat', `${UNIT_DIR}/${unit}`]).stdout), unit).toBe(installFilled(readFileSync(path.join(ROOT, 'systemd', unit), 'utf8')));
    }
    expect(unitProperties('batch-refresh.timer', ['UnitFileState', 'ActiveState'])).toEqual({ UnitFileState: 'enabled', ActiveState: 'active' });
    await waitFor(() => unitProperties('batch-refresh.service', ['ActiveState']).ActiveState === 'failed', 20_000, 'the service to run and fail');
    // The timer, not the test, started it.
    expect(unitProperties('batch-refresh.timer', ['LastTriggerUSec']).LastTriggerUSec).toMatch(/\d/);
  }, 30_000);

  it('systemd records exit 3 from the run, and journalctl --user -p err shows its error line and nothing below err', async () => {
    expect(unitProperties('batch-refresh.service', ['Result', 'ExecMainStatus', 'ExecMainCode'])).toEqual({ Result: 'exit-code', ExecMainStatus: '3', ExecMainCode: '1' });
    let errors = '';
    await waitFor(
      () => {
        errors = asUser(['journalctl', '--user', '-p', 'err', '-u', 'batch-refresh.service', '--no-pager', '-o', 'cat']).stdout;
        return errors.includes('ECONNREFUSED');
      },
      10_000,
      'the error line in the user journal',
    );
    expect(errors).toMatch(/^cannot fetch the universe from http:\/\/127\.0\.0\.1:59999\/\S+: network error talking to 127\.0\.0\.1:59999: ECONNREFUSED$/m);
    // Info lines carry priority 6 under journald: they are in the journal, not among the errors.
    expect(errors).not.toContain('no database yet: nothing to back up');
    const all = asUser(['journalctl', '--user', '-u', 'batch-refresh.service', '--no-pager', '-o', 'cat']).stdout;
    expect(all).toContain('no database yet: nothing to back up');
  }, 20_000);

  it('the sandbox let the run write its data folders under a read-only home, and nothing else there', () => {
    const listing = asUser(['sh', '-c', `cat ${DATA}/reports/batch_summary_*.json; ls ${DATA}/data ${DATA}/logs`]);
    expect(listing.status, listing.stderr).toBe(0);
    const report = JSON.parse(listing.stdout.split('\n')[0] ?? '') as { status: string; exit_code: number };
    expect(report).toMatchObject({ status: 'aborted', exit_code: 3 });
    expect(listing.stdout).toMatch(/^stocks\.db$/m);
    expect(listing.stdout).toMatch(/^batch_refresh\.log$/m);
    // The ExecStartPre= drop-in tried to write here, beside the data folders: ProtectHome=read-only refused.
    expect(asUser(['test', '-e', `${HOME}/outside-the-data-folders`]).status).toBe(1);
  });

  it("status reads the timer's next run from the user manager, and the failed run", () => {
    const result = cli(['status', '--json', '--config', `${DATA}/batch_config.json`]);
    expect(result.status, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout) as { schedule: { next_run: string | null; source: string; continuous: unknown }; last_run: { status: string } };
    expect(status.schedule.source).toBe('systemd user timer');
    expect(status.schedule.next_run).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/);
    expect(status.schedule.continuous).toEqual({ unit: 'batch-refresh-continuous.service', installed: false, active_state: null });
    expect(status.last_run.status).toBe('aborted');
  });

  it('install --continuous replaces the timer; the service stops for good on a config error (exit 2), and status sees it', async () => {
    const install = cli(['schedule', 'install', '--continuous', '--config', `${DATA}/continuous.json`]);
    expect(install.status, install.stderr).toBe(0);
    expect(
      asUser(['ls', UNIT_DIR])
        .stdout.split('\n')
        .filter((name) => /\.(service|timer)$/.test(name)),
    ).toEqual(['batch-refresh-continuous.service']);
    await waitFor(() => unitProperties('batch-refresh-continuous.service', ['ActiveState']).ActiveState === 'failed', 20_000, 'the continuous service to stop');
    expect(unitProperties('batch-refresh-continuous.service', ['ExecMainStatus', 'NRestarts'])).toEqual({ ExecMainStatus: '2', NRestarts: '0' });
    const status = JSON.parse(cli(['status', '--json', '--config', `${DATA}/batch_config.json`]).stdout) as { schedule: { source: string; continuous: unknown } };
    expect(status.schedule).toMatchObject({ source: 'systemd continuous service', continuous: { unit: 'batch-refresh-continuous.service', installed: true, active_state: 'failed' } });
  }, 30_000);

  it('schedule remove leaves no unit behind: no file, nothing loaded, no timer', () => {
    const remove = cli(['schedule', 'remove']);
    expect(remove.status, remove.stderr).toBe(0);
    expect(
      asUser(['ls', UNIT_DIR])
        .stdout.split('\n')
        .filter((name) => /\.(service|timer)$/.test(name)),
    ).toEqual([]);
    for (const unit of ['batch-refresh.timer', 'batch-refresh.service', 'batch-refresh-continuous.service']) {
      expect(unitProperties(unit, ['LoadState', 'ActiveState']), unit).toEqual({ LoadState: 'not-found', ActiveState: expect.stringMatching(/^(inactive|failed)$/) as unknown });
    }
    expect(asUser(['systemctl', '--user', 'list-timers', '--all', '--no-legend']).stdout).not.toContain('batch-refresh');
  });
});
