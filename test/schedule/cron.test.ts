import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { ROOT, waitFor, writeTestConfig } from '../helpers/cli.js';
import { tempDirs } from '../helpers/temp-dirs.js';
import { describeWith, firstMissing, missingProgram } from './system-tools.js';

/*
 * The crontab block `schedule install --cron` writes, run by Debian's real cron. Everything happens
 * in a mount namespace of its own (unshare -m), where the crontab spool is an empty tmpfs and
 * /etc/crontab and /etc/cron.d are empty: root's real crontab is never read or written, and cron
 * runs nothing but the installed line. The installer schedules it for the next minute (the one
 * after when fewer than 10 s are left), and `cron -f` is killed once the job has run: about 10 to
 * 70 s of waiting, the price of a real minute-based scheduler.
 */

const tempDir = tempDirs();
const PROJECT = ROOT.replace(/\/$/, '');
const CLEAN_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };
const ROOT_CRONTAB = '/var/spool/cron/crontabs/root';
const OLD_CRON_LOG = (dir: string): string => path.join(dir, 'logs', 'cron.log');
const OLD_CRON_LOG_BYTES = 51 * 1048576;

const missing = firstMissing(
  process.platform === 'linux' ? null : 'the cron test needs Linux',
  process.getuid?.() === 0 ? null : 'the cron test needs root (it mounts a private crontab spool)',
  // Debian's cron has no --version to ask: found on PATH is enough.
  spawnSync('sh', ['-c', 'command -v cron && command -v crontab'], { env: CLEAN_ENV }).status === 0 ? null : 'cron is not installed (Debian package cron)',
  missingProgram('unshare', ['--version'], 'util-linux'),
  existsSync('/var/spool/cron/crontabs') ? null : 'no /var/spool/cron/crontabs (not Debian cron)',
);

/** The installed line's time and cron's own output, as the namespace script prints them. */
interface CronBox {
  child: ChildProcess;
  output: () => string;
}

describeWith('the installed crontab line under real cron', missing, () => {
  let standIn: StandIn;
  let box: CronBox | null = null;
  let dir = '';
  let config = '';
  const rootCrontabBefore = existsSync(ROOT_CRONTAB) ? readFileSync(ROOT_CRONTAB, 'utf8') : null;

  beforeAll(async () => {
    standIn = await startStandIn({ data: syntheticDataset(syntheticCompanies(3)) });
    dir = tempDir('schedule-cron-');
    config = writeTestConfig(dir, standIn.url, { database: { backup_before_run: false } });
    // Last nights' output, past the 50 MB of logging.max_log_size_mb (sparse: no disk spent).
    mkdirSync(path.join(dir, 'logs'));
    writeFileSync(OLD_CRON_LOG(dir), 'an old night\n');
    truncateSync(OLD_CRON_LOG(dir), OLD_CRON_LOG_BYTES);
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(path.join(dir, 'empty-crontab'), '');
    const script = [
      'set -e',
      // A private spool, as Debian's cron package makes it: root:crontab, 1730.
      'mount -t tmpfs -o mode=1730 batch-refresh-test /var/spool/cron/crontabs',
      'chgrp crontab /var/spool/cron/crontabs',
      'if [ -e /etc/crontab ]; then mount --bind "$EMPTY_FILE" /etc/crontab; fi',
      'if [ -d /etc/cron.d ]; then mount --bind "$EMPTY_DIR" /etc/cron.d; fi',
      // cron's PID file, so a cron daemon of the machine (if any) does not keep this one from starting.
      'mount -t tmpfs batch-refresh-test /run',
      'second=$(date +%S); second=${second#0}',
      'ahead=1; if [ "$second" -ge 50 ]; then ahead=2; fi',
      'when=$(date -d "+$ahead min" +%H:%M)',
      // Debian cron ignores CRON_TZ and runs the line in the machine's zone: install in that zone.
      'zone=$("$NODE" -e "process.stdout.write(Intl.DateTimeFormat().resolvedOptions().timeZone)")',
      '"$NODE" "$PROJECT/bin/batch-refresh" schedule install --cron --config "$CONFIG" --time "$when" --timezone "$zone"',
      'echo "installed for $when"',
      'crontab -l',
      'exec cron -f',
    ].join('\n');
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
      env: { ...CLEAN_ENV, NODE: process.execPath, PROJECT, CONFIG: config, EMPTY_FILE: path.join(dir, 'empty-crontab'), EMPTY_DIR: empty },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    box = { child, output: () => output };
    await waitFor(() => output.includes('# END batch-refresh') || child.exitCode !== null, 20_000, 'schedule install --cron').catch(() => undefined);
    if (!output.includes('# END batch-refresh')) throw new Error(`the crontab block was not installed:\n${output}`);
  }, 30_000);

  afterAll(async () => {
    if (box !== null && box.child.exitCode === null) {
      const exited = new Promise((resolve) => box?.child.once('exit', resolve));
      box.child.kill('SIGTERM');
      await exited;
    }
    await (standIn as StandIn | undefined)?.close();
  });

  it('cron runs the installed line at its minute: the job refreshes and writes logs/cron.log and its report', async () => {
    const when = /installed for (\d\d):(\d\d)/.exec(box?.output() ?? '');
    expect(when, box?.output()).not.toBeNull();
    const [, hour, minute] = when as RegExpExecArray;
    // What cron read is the installer's block, for that minute.
    expect(box?.output()).toMatch(new RegExp(`^${Number(minute)} ${Number(hour)} \\* \\* \\* cd ${PROJECT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} && \\{ find `, 'm'));

    const cronLog = path.join(dir, 'logs', 'cron.log');
    // Until the job runs, cron.log is the 51 MB of old nights: read it only once it is small again.
    const ran = (): boolean => (statSync(cronLog, { throwIfNoEntry: false })?.size ?? Infinity) < 1_000_000 && readFileSync(cronLog, 'utf8').includes('requests:');
    await waitFor(ran, 80_000, 'cron to run the job');
    const reports = readdirSync(path.join(dir, 'reports')).filter((name) => name.endsWith('.json'));
    expect(reports).toHaveLength(1);
    const report = JSON.parse(readFileSync(path.join(dir, 'reports', reports[0] as string), 'utf8')) as { status: string; exit_code: number; successful: number };
    expect(report).toMatchObject({ status: 'completed', exit_code: 0, successful: 3 });
    // The console output went to cron.log, as the line says; the job's own log file is beside it.
    expect(readFileSync(cronLog, 'utf8')).toMatch(/refresh completed in .*: 3 successful/);
    expect(existsSync(path.join(dir, 'logs', 'batch_refresh.log'))).toBe(true);
  }, 90_000);

  it('the line moved the old cron.log, past max_log_size_mb, to cron.log.1 before the run appended to a fresh one', () => {
    const old = path.join(dir, 'logs', 'cron.log.1');
    expect(statSync(old).size).toBe(OLD_CRON_LOG_BYTES);
    const head = Buffer.alloc(13);
    const fd = openSync(old, 'r');
    readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    expect(head.toString()).toBe('an old night\n');
    const fresh = readFileSync(path.join(dir, 'logs', 'cron.log'), 'utf8');
    expect(fresh).not.toContain('an old night');
    expect(fresh.length).toBeLessThan(100_000);
  });

  it("leaves root's real crontab as it was", () => {
    expect(existsSync(ROOT_CRONTAB) ? readFileSync(ROOT_CRONTAB, 'utf8') : null).toBe(rootCrontabBefore);
  });
});
