import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { renderContinuousUnit, renderServiceUnit, renderTimerUnit, type SandboxOptions } from '../../src/schedule/render-systemd.js';
import { buildScheduleTarget, type InstallPaths, type ScheduleTarget } from '../../src/schedule/schedule-target.js';
import { tempDirs } from '../helpers/temp-dirs.js';
import { describeWith, missingProgram } from './system-tools.js';

/*
 * systemd-analyze --user verify parses the units as the user manager would: unknown keys, bad
 * quoting, a missing ExecStart binary and a bad OnCalendar all show up on its stderr. It exits 0
 * on most of them (an unknown key is only a warning), so the check is its output: any word at all
 * is a failure, and the broken copies below prove the check sees what it must.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A fresh folder under the system temp folder, deleted after this file's tests. */
const tempDir = tempDirs();

function verify(dir: string, files: string[]): { status: number | null; stdout: string; stderr: string } {
  // A user-mode verify needs a runtime folder; a private one keeps the test off the real session.
  const runtime = path.join(dir, 'xdg-runtime');
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const result = spawnSync('systemd-analyze', ['--user', 'verify', ...files], { cwd: dir, encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: runtime, SYSTEMD_LOG_COLOR: '0' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The check every unit must pass: what verify printed, plus its exit status when not 0. Empty means clean. */
function verifyComplaints(dir: string, files: string[]): string {
  const result = verify(dir, files);
  return `${result.stdout}${result.stderr}${result.status === 0 ? '' : `(exit ${String(result.status)})`}`;
}

const SHIPPED_UNITS = ['batch-refresh.service', 'batch-refresh.timer', 'batch-refresh-continuous.service'];

/** The committed units of systemd/, copied into `dir` (verify wants files it may read as they are). */
function copyShippedUnits(dir: string): string[] {
  for (const name of SHIPPED_UNITS) {
    copyFileSync(path.join(ROOT, 'systemd', name), path.join(dir, name));
    chmodSync(path.join(dir, name), 0o644);
  }
  return SHIPPED_UNITS.map((name) => path.join(dir, name));
}

/** A target from a real config file in `dir`, with real executables, as `schedule install` builds it. */
function realTarget(dir: string, install: InstallPaths): ScheduleTarget {
  const configPath = path.join(dir, 'config', 'batch_config.json');
  mkdirSync(path.dirname(configPath), { recursive: true });
  writeFileSync(
    configPath,
    JSON.stringify({ database: { path: '../data/stocks.db', backup_directory: '../backups' }, logging: { log_directory: '../logs' }, reporting: { summary_directory: '../reports' } }),
  );
  const loaded = loadConfig(configPath);
  if (!loaded.ok) throw new Error(loaded.issues.join('\n'));
  const built = buildScheduleTarget(loaded.config, {}, install);
  if (!built.ok) throw new Error(built.issue);
  for (const folder of built.target.writablePaths) mkdirSync(folder, { recursive: true });
  return built.target;
}

function writeUnits(dir: string, target: ScheduleTarget, sandbox: SandboxOptions): string[] {
  const units: [string, string][] = [
    ['batch-refresh.service', renderServiceUnit(target, sandbox)],
    ['batch-refresh.timer', renderTimerUnit(target)],
    ['batch-refresh-continuous.service', renderContinuousUnit(target, sandbox)],
  ];
  for (const [name, text] of units) writeFileSync(path.join(dir, name), text);
  return units.map(([name]) => path.join(dir, name));
}

describeWith('systemd-analyze --user verify', missingProgram('systemd-analyze', ['--version'], 'systemd'), () => {
  const thisInstall: InstallPaths = { nodePath: process.execPath, binPath: path.join(ROOT, 'bin', 'batch-refresh'), installDir: path.resolve(ROOT) };

  it.each([
    ['with user namespaces', { userNamespaces: true }],
    ['without user namespaces', { userNamespaces: false, reason: 'kernel.apparmor_restrict_unprivileged_userns = 1' }],
  ] as [string, SandboxOptions][])('accepts the rendered units of this install (%s) without a word of output', (_label, sandbox) => {
    const dir = tempDir('schedule-verify-');
    const result = verify(dir, writeUnits(dir, realTarget(dir, thisInstall), sandbox));
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  it('accepts units whose paths hold spaces, quotes, % and $, and finds node through the quoted path', () => {
    const dir = tempDir('schedule-verify-');
    const odd = path.join(dir, `Jane's "100%" $tocks`);
    // systemd refuses quotes in the program's path (the installer says so); spaces, % and $ must work.
    const nodeDir = path.join(dir, 'my node 100% $x');
    mkdirSync(nodeDir, { recursive: true });
    // verify fails when ExecStart's program does not exist, so a wrong unquoting cannot pass.
    const node = path.join(nodeDir, 'node');
    symlinkSync(process.execPath, node);
    const target = realTarget(odd, { nodePath: node, binPath: path.join(odd, 'bin', 'batch-refresh'), installDir: odd });
    const result = verify(dir, writeUnits(dir, target, { userNamespaces: true }));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('fails when the node binary is missing, so the checks above can fail', () => {
    const dir = tempDir('schedule-verify-');
    const target = realTarget(dir, { ...thisInstall, nodePath: path.join(dir, 'no such node') });
    const result = verify(dir, writeUnits(dir, target, { userNamespaces: true }).slice(0, 1));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/not executable/);
  });

  const hasUsrBinNode = existsSync('/usr/bin/node');
  (hasUsrBinNode ? it : it.skip)(`prints nothing at all for the shipped units in systemd/${hasUsrBinNode ? '' : ' (skipped: they run /usr/bin/node, which this machine lacks)'}`, () => {
    const dir = tempDir('schedule-verify-');
    expect(verifyComplaints(dir, copyShippedUnits(dir))).toBe('');
  });

  // Each is a shipped unit with one mistake the user manager would trip over; most exit 0.
  it.each([
    ['a misspelled directive', 'batch-refresh.service', 'ProtectHome=read-only', 'ProtectHom=read-only', /Unknown key 'ProtectHom' in section \[Service\]/],
    ['a directive in the wrong section', 'batch-refresh.timer', '[Timer]\n', '[Timer]\nNice=10\n', /Unknown key 'Nice' in section \[Timer\]/],
    ['a bad value', 'batch-refresh-continuous.service', 'Restart=always', 'Restart=sometimes', /Failed to parse service restart specifier/],
    ['a bad calendar time', 'batch-refresh.timer', 'OnCalendar=*-*-* 02:00:00', 'OnCalendar=*-*-* 25:00:00', /Failed to parse calendar specification/],
  ])('catches a shipped unit with %s through the same check', (_label, name, good, bad, complaint) => {
    const dir = tempDir('schedule-verify-');
    const files = copyShippedUnits(dir);
    const file = path.join(dir, name);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(good);
    writeFileSync(file, text.replace(good, bad));
    expect(verifyComplaints(dir, files)).toMatch(complaint);
  });
});
