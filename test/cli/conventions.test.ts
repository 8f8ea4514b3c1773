import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DryRunPlan } from '../../src/runner/job.js';
import { syntheticCompanies, syntheticDataset } from '../../dev/stand-in/datasets.js';
import { startStandIn, type StandIn } from '../../dev/stand-in/server.js';
import { BIN, ROOT, runCli, tempDir, writeTestConfig } from '../helpers/cli.js';

/*
 * clig.dev conventions, through the built binary: help with examples, exit codes and environment;
 * `help <command>`; "did you mean" and a one-line hint for usage errors; unknown config keys; plural
 * agreement; NO_COLOR and TERM=dumb on a real pseudo-terminal (util-linux `script`).
 */

let standIn: StandIn;

beforeAll(async () => {
  standIn = await startStandIn({ data: syntheticDataset(syntheticCompanies(30)) });
});

afterAll(async () => {
  await standIn.close();
});

/** The codes of README's "Exit codes" table: `| 130 / 143 | …` gives 130 and 143. */
function readmeExitCodes(): string[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('### Exit codes')).split('\n\n')[1] ?? '';
  return [...table.matchAll(/^\| ([\d /]+) \|/gm)].flatMap((match) => (match[1] as string).split('/').map((code) => code.trim()));
}

describe('help', () => {
  it('--help lists examples, every exit code of the README and the environment variables', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const help = result.stdout;
    expect(help).toMatch(/^Examples:\n {2}batch-refresh --dry-run +\S/m);
    const exitSection = help.slice(help.indexOf('Exit codes:'), help.indexOf('Environment:'));
    const shown = [...exitSection.matchAll(/^ {2}(\d+(?:\/\d+)?) {2,}/gm)].flatMap((match) => (match[1] as string).split('/'));
    expect(readmeExitCodes().length).toBeGreaterThanOrEqual(7);
    expect(shown.sort()).toEqual(readmeExitCodes().sort());
    expect(exitSection).toMatch(/^ {2}75 +another run holds the lock/m);
    expect(exitSection).toMatch(/^ {2}130\/143 +interrupted by SIGINT\/SIGTERM/m);
    for (const variable of ['SEC_USER_AGENT', 'BATCH_REFRESH_CONFIG', 'BATCH_REFRESH_NOW', 'NO_COLOR']) expect(help).toMatch(new RegExp(`^ {2}${variable} +\\S`, 'm'));
    expect(help).toContain('--strict');
    expect(help).toMatch(/^ {2}help \[command\] +/m);
  });

  it.each([
    [['help'], /^Usage: batch-refresh \[options\] \[command\]/],
    [['help', 'status'], /^Usage: batch-refresh status \[options\][\s\S]*--json/],
    [['help', 'schedule'], /^Usage: batch-refresh schedule \[options\] <action>[\s\S]*--cron/],
  ])('%j prints the help on stdout and exits 0', async (args, usage) => {
    const result = await runCli(args);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(usage);
    if (args.length === 1) expect(result.stdout).toBe((await runCli(['--help'])).stdout);
  });

  it('exits 0 without a stack trace when the reader of --help goes away (| head)', async () => {
    const child = spawn(process.execPath, [BIN, '--help'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed before node has even started: the help is written into a broken pipe.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

describe('usage errors', () => {
  it.each([
    [['stauts'], "error: unknown command 'stauts'\n(Did you mean status?)\nRun 'batch-refresh --help' for usage.\n"],
    [['help', 'stauts'], "error: unknown command 'stauts'\n(Did you mean status?)\nRun 'batch-refresh --help' for usage.\n"],
    [['schedlue', 'install'], "error: unknown command 'schedlue'\n(Did you mean schedule?)\nRun 'batch-refresh --help' for usage.\n"],
    [['frobnicate'], "error: unknown command 'frobnicate'\nRun 'batch-refresh --help' for usage.\n"],
    [['--dry-rn'], "error: unknown option '--dry-rn'\n(Did you mean --dry-run?)\nRun 'batch-refresh --help' for usage.\n"],
    [['status', '--jsn'], "error: unknown option '--jsn'\n(Did you mean --json?)\nRun 'batch-refresh status --help' for usage.\n"],
  ])('%j: exit 2, the error, a suggestion and one line of hint, not the whole help', async (args, stderr) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(stderr);
    expect(result.stdout).toBe('');
  });
});

describe('unknown config keys', () => {
  it('warns with a suggestion and runs; --strict makes it exit 2 before any request', async () => {
    const dir = tempDir();
    const config = writeTestConfig(dir, standIn.url, { processing: { max_worker: 8, comment: 'the original tool had comments' } });
    const loose = await runCli(['--config', config, '--dry-run', '--json', '--limit', '2']);
    expect(loose.code, loose.stderr).toBe(0);
    expect((JSON.parse(loose.stdout) as DryRunPlan).total_stocks).toBe(2);
    expect(loose.stderr).toContain('warning: processing.max_worker: unknown key; did you mean max_workers?\n');
    expect(loose.stderr).not.toContain('comment');
    const before = standIn.requests.length;
    const strict = await runCli(['--config', config, '--dry-run', '--strict']);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain('  - processing.max_worker: unknown key; did you mean max_workers?');
    expect(standIn.requests.length).toBe(before);
    // status reads the same config: it says so too, and --strict holds there as well.
    const status = await runCli(['status', '--config', config]);
    expect(status.code).toBe(0);
    expect(status.stderr).toContain('warning: processing.max_worker: unknown key; did you mean max_workers?\n');
    const strictStatus = await runCli(['--strict', 'status', '--config', config]);
    expect(strictStatus.code).toBe(2);
    expect(strictStatus.stderr).toContain('  - processing.max_worker: unknown key; did you mean max_workers?');
  });
});

describe('plural agreement', () => {
  it('--dry-run with one symbol says "1 stock in 1 batch"', async () => {
    const config = writeTestConfig(tempDir(), standIn.url);
    const symbol = syntheticCompanies(1)[0]?.symbol as string;
    const result = await runCli(['--config', config, '--dry-run', '--symbols', symbol]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^dry run: 1 stock in 1 batch; about /m);
    expect(result.stderr).not.toMatch(/\b1 (stocks|batches|companies)\b/);
  });

  it('a run of one symbol says "1 stock, 1 company, 1 batch"', async () => {
    const config = writeTestConfig(tempDir(), standIn.url);
    const symbol = syntheticCompanies(1)[0]?.symbol as string;
    const result = await runCli(['--config', config, '--symbols', symbol]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^universe: 1 stock from .*; this run: 1 stock, 1 company, 1 batch$/m);
    expect(result.stderr).not.toMatch(/\b1 (stocks|batches|companies)\b/);
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;

/** Runs the CLI on a pseudo-terminal (util-linux `script`); what the terminal showed, stdout and stderr together. */
function runOnTerminal(args: string[], env: Record<string, string>): Promise<{ code: number | null; screen: string }> {
  const quote = (word: string): string => `'${word.replace(/'/g, "'\\''")}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, SHELL: '/bin/sh', ...env };
  const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let screen = '';
  child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (screen += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, screen })));
}

describe.skipIf(!hasScript)('on a terminal', () => {
  const unknownKey = 'warning: processing.max_worker: unknown key; did you mean max_workers?';

  it('draws the progress bar and colours warnings (the control for the tests below)', async () => {
    const config = writeTestConfig(tempDir(), standIn.url, { processing: { max_worker: 2 } });
    const { code, screen } = await runOnTerminal(['--config', config, '--limit', '3'], { TERM: 'xterm' });
    expect(code, screen).toBe(0);
    expect(screen).toContain(`\u001b[33m${unknownKey}`);
    // cli-progress hides the cursor while the bar is drawn.
    expect(screen).toContain('\u001b[?25l');
  });

  it.each([
    ['NO_COLOR=1', { TERM: 'xterm', NO_COLOR: '1' }],
    ['TERM=dumb', { TERM: 'dumb' }],
  ])('with %s: no colour, no bar, no escape sequence at all; progress as lines', async (_name, env) => {
    const config = writeTestConfig(tempDir(), standIn.url, { processing: { max_worker: 2 } });
    const { code, screen } = await runOnTerminal(['--config', config, '--limit', '3'], env);
    expect(code, screen).toBe(0);
    expect(screen).not.toContain('\u001b');
    expect(screen).toContain(unknownKey);
    expect(screen).toMatch(/progress: 3\/3 \(100\.0%\), ok 3, failed 0, skipped 0/);
    expect(screen).toMatch(/refresh completed .*3 successful, 0 failed, 0 skipped of 3/);
  });
});
