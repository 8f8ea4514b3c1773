import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../helpers/temp-dirs.js';
import { describeWith, missingProgram } from './system-tools.js';

/*
 * setup_scheduler.sh is copied next to a fake bin/batch-refresh that records its arguments, so the
 * test sees exactly what the wrapper would hand the installer. A fake systemctl on PATH decides
 * whether the user manager "answers" (the default scheduler).
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A fresh folder under the system temp folder, deleted after this file's tests. */
const tempDir = tempDirs();
const SCRIPT = path.join(ROOT, 'setup_scheduler.sh');

function setup(options: { systemd: boolean; scheduling?: Record<string, string> }): {
  dir: string;
  config: string;
  run: (args: string[], input?: string) => { status: number | null; argv: string[] | null; stderr: string };
} {
  const dir = tempDir('schedule-setup-');
  mkdirSync(path.join(dir, 'bin'));
  mkdirSync(path.join(dir, 'config'));
  mkdirSync(path.join(dir, 'stubs'));
  copyFileSync(SCRIPT, path.join(dir, 'setup_scheduler.sh'));
  const record = path.join(dir, 'argv');
  writeFileSync(path.join(dir, 'bin', 'batch-refresh'), `#!/bin/sh\nfor arg in "$@"; do printf '%s\\n' "$arg"; done > "${record}"\n`);
  writeFileSync(path.join(dir, 'stubs', 'systemctl'), `#!/bin/sh\nexit ${options.systemd ? 0 : 1}\n`);
  for (const file of ['bin/batch-refresh', 'stubs/systemctl', 'setup_scheduler.sh']) chmodSync(path.join(dir, file), 0o755);
  const config = path.join(dir, 'config', 'batch_config.json');
  writeFileSync(config, JSON.stringify(options.scheduling ? { scheduling: options.scheduling } : {}));
  const env = { PATH: `${path.join(dir, 'stubs')}:${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: dir };
  return {
    dir,
    config,
    run(args, input = '') {
      const result = spawnSync('bash', [path.join(dir, 'setup_scheduler.sh'), ...args], { cwd: dir, env, input, encoding: 'utf8' });
      return { status: result.status, argv: existsSync(record) ? readFileSync(record, 'utf8').split('\n').slice(0, -1) : null, stderr: result.stderr };
    },
  };
}

describe('setup_scheduler.sh', () => {
  it('--yes installs a systemd timer with the defaults when the user manager answers', () => {
    const box = setup({ systemd: true });
    const result = box.run(['--yes']);
    expect(result.status).toBe(0);
    expect(result.argv).toEqual(['schedule', 'install', '--config', box.config, '--time', '02:00', '--timezone', 'America/New_York']);
  });

  it("--yes takes time and zone from the config's scheduling section, and cron without systemd", () => {
    const box = setup({ systemd: false, scheduling: { run_time: '05:15', timezone: 'Asia/Tokyo' } });
    const result = box.run(['--yes', '--config', box.config]);
    expect(result.argv).toEqual(['schedule', 'install', '--config', box.config, '--time', '05:15', '--timezone', 'Asia/Tokyo', '--cron']);
  });

  it('asks, re-asks on an invalid time, and passes the answers as arguments', () => {
    const box = setup({ systemd: true });
    const result = box.run([], 'cron\n25:00\n03:15\nEurope/Berlin\n');
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("'25:00' is not valid here");
    expect(result.argv).toEqual(['schedule', 'install', '--config', box.config, '--time', '03:15', '--timezone', 'Europe/Berlin', '--cron']);
  });

  it('never evaluates an answer: shell syntax is refused as a zone and runs nothing', () => {
    const box = setup({ systemd: true });
    const result = box.run([], `\n\n$(touch ${box.dir}/pwned)\n;touch pwned\n\`touch pwned\`\n`);
    expect(result.status).toBe(2);
    expect(result.argv).toBeNull();
    expect(existsSync(path.join(box.dir, 'pwned'))).toBe(false);
  });

  it('passes a config path with spaces and quotes as one argument', () => {
    const box = setup({ systemd: true });
    const odd = path.join(box.dir, `Jane's "odd" config.json`);
    writeFileSync(odd, '{}');
    expect(box.run(['--yes', `--config=${odd}`]).argv).toEqual(['schedule', 'install', '--config', odd, '--time', '02:00', '--timezone', 'America/New_York']);
  });

  it('rejects an unknown argument with exit 2', () => {
    expect(setup({ systemd: true }).run(['--bogus']).status).toBe(2);
  });
});

describeWith('shellcheck', missingProgram('shellcheck'), () => {
  it('finds nothing in setup_scheduler.sh and the CI scripts', () => {
    const ciScripts = ['install-ci-deps', 'run', 'postgres-cluster'].map((name) => path.join(ROOT, '.ci', name));
    const result = spawnSync('shellcheck', [SCRIPT, ...ciScripts], { encoding: 'utf8' });
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});
