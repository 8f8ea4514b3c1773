import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { findUnsafePathProblem, quoteShellArg } from '../../src/schedule/quote.js';
import { CRON_BEGIN_MARKER, CRON_END_MARKER, findCronBlock, renderCronBlock, replaceCronBlock } from '../../src/schedule/render-cron.js';
import { buildScheduleTarget, type ScheduleTarget } from '../../src/schedule/schedule-target.js';
import { tempDirs } from '../helpers/temp-dirs.js';
import { describeWith } from './system-tools.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A fresh folder under the system temp folder, deleted after this file's tests. */
const tempDir = tempDirs();

function target(overrides: Partial<ScheduleTarget> = {}): ScheduleTarget {
  return {
    nodePath: '/usr/bin/node',
    binPath: '/srv/br/bin/batch-refresh',
    installDir: '/srv/br',
    configPath: '/srv/br/config/batch_config.json',
    writablePaths: ['/srv/br'],
    logDirectory: '/srv/br/logs',
    cronLogMaxBytes: 50 * 1048576,
    runTime: { hour: 2, minute: 0 },
    timeZone: 'America/New_York',
    ...overrides,
  };
}

/** The crontab line of a block (the one that is not a comment or an assignment). */
const jobLine = (block: string): string => block.split('\n').find((line) => /^\d/.test(line)) ?? '';

describe('cron block', () => {
  it('sets CRON_TZ and runs nightly at the configured minute and hour, logging to logs/cron.log, moved aside past max_log_size_mb', () => {
    const block = renderCronBlock(target({ runTime: { hour: 3, minute: 7 }, timeZone: 'Europe/Berlin' }));
    const lines = block.trimEnd().split('\n');
    expect((lines[0] as string).startsWith(CRON_BEGIN_MARKER)).toBe(true);
    expect(lines.at(-1)).toBe(CRON_END_MARKER);
    expect(lines).toContain('CRON_TZ=Europe/Berlin');
    expect(lines).toContain('# cron.log moves to cron.log.1 before a run once it is over 50 MB (logging.max_log_size_mb).');
    expect(jobLine(block)).toBe(
      "7 3 * * * cd /srv/br && { find /srv/br/logs/cron.log -size +52428800c -exec mv -f {} /srv/br/logs/cron.log.1 ';' 2>/dev/null; " +
        '/usr/bin/node /srv/br/bin/batch-refresh --config /srv/br/config/batch_config.json >> /srv/br/logs/cron.log 2>&1; }',
    );
  });

  it('quotes paths for sh and escapes % for cron, so sh hands node exactly the original paths', () => {
    // Run the line as cron would: cron turns \% into %, then /bin/sh -c runs the command.
    const dir = tempDir('schedule-cron-');
    const odd = path.join(dir, `Jane's "100%" $HOME \`x\`; stocks`);
    mkdirSync(path.join(odd, 'logs'), { recursive: true });
    const recorder = path.join(odd, 'fake node');
    writeFileSync(recorder, '#!/bin/sh\nprintf "%s\\n" "$PWD" "$@" > "$RECORD"\n');
    chmodSync(recorder, 0o755);
    const block = renderCronBlock(
      target({ nodePath: recorder, binPath: path.join(odd, 'bin', 'batch-refresh'), installDir: odd, configPath: path.join(odd, 'my config.json'), logDirectory: path.join(odd, 'logs') }),
    );
    const command = jobLine(block).split(' ').slice(5).join(' ');
    expect(command).not.toMatch(/(^|[^\\])%/);
    const record = path.join(dir, 'argv');
    const result = spawnSync('/bin/sh', ['-c', command.replaceAll('\\%', '%')], { env: { PATH: '/usr/bin:/bin', RECORD: record }, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(readFileSync(record, 'utf8').split('\n').slice(0, -1)).toEqual([odd, path.join(odd, 'bin', 'batch-refresh'), '--config', path.join(odd, 'my config.json')]);
  });

  describe('cron.log does not grow for ever', () => {
    /** Runs the rendered line through /bin/sh as cron would, with a stand-in for node that prints one line. */
    function runLine(logs: string, maxBytes: number): void {
      const dir = path.dirname(logs);
      const fakeNode = path.join(dir, 'fake node');
      writeFileSync(fakeNode, '#!/bin/sh\necho "night $NIGHT"\n');
      chmodSync(fakeNode, 0o755);
      const command = jobLine(renderCronBlock(target({ nodePath: fakeNode, installDir: dir, logDirectory: logs, cronLogMaxBytes: maxBytes })))
        .split(' ')
        .slice(5)
        .join(' ');
      const result = spawnSync('/bin/sh', ['-c', command.replaceAll('\\%', '%')], { env: { PATH: '/usr/bin:/bin', NIGHT: String(nights++) }, encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
    }
    let nights = 1;

    it('appends while cron.log is within the limit', () => {
      const logs = path.join(tempDir('schedule-cron-log-'), `Jane's 100% logs`);
      mkdirSync(logs);
      writeFileSync(path.join(logs, 'cron.log'), 'x'.repeat(100));
      nights = 1;
      runLine(logs, 100);
      expect(readFileSync(path.join(logs, 'cron.log'), 'utf8')).toBe(`${'x'.repeat(100)}night 1\n`);
      expect(existsSync(path.join(logs, 'cron.log.1'))).toBe(false);
    });

    it('moves a cron.log past the limit to cron.log.1 (replacing the older one) before the run, which starts a fresh cron.log', () => {
      const logs = path.join(tempDir('schedule-cron-log-'), `Jane's 100% logs`);
      mkdirSync(logs);
      writeFileSync(path.join(logs, 'cron.log'), 'x'.repeat(101));
      writeFileSync(path.join(logs, 'cron.log.1'), 'the older one');
      nights = 1;
      runLine(logs, 100);
      expect(readFileSync(path.join(logs, 'cron.log'), 'utf8')).toBe('night 1\n');
      expect(readFileSync(path.join(logs, 'cron.log.1'), 'utf8')).toBe('x'.repeat(101));
      // Night after night the pair stays bounded: at most the limit plus one night's output each.
      for (let night = 0; night < 30; night++) runLine(logs, 20);
      expect(statSync(path.join(logs, 'cron.log')).size).toBeLessThanOrEqual(20 + 'night 31\n'.length);
      expect(statSync(path.join(logs, 'cron.log.1')).size).toBeLessThanOrEqual(20 + 'night 31\n'.length);
    });

    it('still runs the job when the move is refused', () => {
      const logs = path.join(tempDir('schedule-cron-log-'), 'logs');
      mkdirSync(logs);
      writeFileSync(path.join(logs, 'cron.log'), 'x'.repeat(101));
      // cron.log.1 is a folder holding a folder named cron.log: mv -f cannot put a file there (root neither).
      mkdirSync(path.join(logs, 'cron.log.1', 'cron.log', 'occupied'), { recursive: true });
      nights = 7;
      runLine(logs, 100);
      expect(readFileSync(path.join(logs, 'cron.log'), 'utf8')).toBe(`${'x'.repeat(101)}night 7\n`);
    });
  });

  it.each([
    ['/plain/path', '/plain/path'],
    ['/with space', "'/with space'"],
    ["/it's", "'/it'\\''s'"],
    ['/$(rm -rf ~)', "'/$(rm -rf ~)'"],
  ])('shell-quotes %j as %s', (input, expected) => {
    expect(quoteShellArg(input)).toBe(expected);
  });
});

describe('paths that no quoting makes safe', () => {
  it.each([
    ['/a\nb', /newline/],
    ['/a\rb', /control character/],
    ['relative/path', /not an absolute path/],
    ['/trailing\\', /backslash/],
  ])('%j is refused', (value, reason) => {
    expect(findUnsafePathProblem(value)).toMatch(reason);
  });

  it('a database path with a newline in the config is refused, naming the key', () => {
    const loaded = parseConfig({ database: { path: 'evil\n* * * * * rm -rf ~/stocks.db' } }, '/srv/br/config/batch_config.json');
    if (!loaded.ok) throw new Error(loaded.issues.join('\n'));
    const built = buildScheduleTarget(loaded.config, {}, { nodePath: '/usr/bin/node', binPath: '/srv/br/bin/batch-refresh', installDir: '/srv/br' });
    expect(built).toEqual({ ok: false, issue: expect.stringMatching(/^database\.path: .*newline/) as unknown });
  });
});

describe('merging the block into a crontab', () => {
  const block = renderCronBlock(target());
  const oldBlock = renderCronBlock(target({ runTime: { hour: 4, minute: 30 } }));

  it('keeps every other line, drops the old block and appends the new one at the end', () => {
    const existing = `MAILTO=jane@example.com\n# backups\n15 1 * * * /usr/local/bin/backup\n\n${oldBlock}@reboot /usr/bin/thing\n`;
    const edit = replaceCronBlock(existing, block);
    expect(edit).toEqual({ ok: true, found: true, text: `MAILTO=jane@example.com\n# backups\n15 1 * * * /usr/local/bin/backup\n\n@reboot /usr/bin/thing\n\n${block}` });
  });

  it('is idempotent', () => {
    const once = replaceCronBlock('0 5 * * * /bin/true\n', block);
    if (!once.ok) throw new Error(once.issue);
    expect(replaceCronBlock(once.text, block)).toEqual({ ok: true, found: true, text: once.text });
  });

  it('turns an empty crontab into just the block', () => {
    expect(replaceCronBlock('', block)).toEqual({ ok: true, found: false, text: block });
  });

  it('removes the block and nothing else', () => {
    expect(replaceCronBlock(`0 5 * * * /bin/true\n\n${oldBlock}`, null)).toEqual({ ok: true, found: true, text: '0 5 * * * /bin/true\n' });
    expect(replaceCronBlock(oldBlock, null)).toEqual({ ok: true, found: true, text: '' });
  });

  it('refuses a BEGIN without an END instead of deleting the lines after it', () => {
    const edit = replaceCronBlock(`${CRON_BEGIN_MARKER}\n0 5 * * * /bin/mine\n`, block);
    expect(edit.ok).toBe(false);
  });

  it('finds the installed block', () => {
    expect(findCronBlock(`0 5 * * * /bin/true\n${oldBlock}`)).toBe(oldBlock);
    expect(findCronBlock('0 5 * * * /bin/true\n')).toBeNull();
  });
});

function crontabCheck(): { available: true } | { available: false; why: string } {
  const probe = tempDir('schedule-crontab-');
  const file = path.join(probe, 'ok.cron');
  writeFileSync(file, '0 2 * * * true\n');
  const result = spawnSync('crontab', ['-n', file], { encoding: 'utf8' });
  if (result.error !== undefined) return { available: false, why: 'crontab is not installed (Debian package cron)' };
  if (result.status !== 0) return { available: false, why: `this crontab has no -n (Debian cron 3.0pl1-160 or later has it): ${result.stderr.trim()}` };
  return { available: true };
}

const check = crontabCheck();
describeWith('crontab -n', check.available ? null : check.why, () => {
  const crontabN = (text: string): { status: number | null; stderr: string } => {
    const file = path.join(tempDir('schedule-crontab-'), 'candidate.cron');
    writeFileSync(file, text);
    const result = spawnSync('crontab', ['-n', file], { encoding: 'utf8' });
    return { status: result.status, stderr: result.stderr };
  };

  it('accepts the committed cron/batch-refresh.cron', () => {
    expect(crontabN(readFileSync(path.join(ROOT, 'cron', 'batch-refresh.cron'), 'utf8'))).toMatchObject({ status: 0 });
  });

  it('accepts a rendered block with awkward paths merged into an existing crontab', () => {
    const odd = `/home/jane/Jane's "100%" stocks`;
    const block = renderCronBlock(
      target({ binPath: `${odd}/bin/batch-refresh`, installDir: odd, configPath: `${odd}/config/batch_config.json`, logDirectory: `${odd}/logs`, runTime: { hour: 23, minute: 59 } }),
    );
    const edit = replaceCronBlock('MAILTO=""\n30 4 * * 1 /usr/bin/weekly\n', block);
    if (!edit.ok) throw new Error(edit.issue);
    expect(crontabN(edit.text)).toMatchObject({ status: 0 });
  });

  it('rejects a broken line, so the checks above can fail', () => {
    expect(crontabN('0 2 * * cd /srv\n').status).not.toBe(0);
  });
});
