import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../src/cli/main.js';
import { ArchiveUnavailableError, ERROR_TYPES, EXIT, EXIT_CODE_ROWS, ExitError, FatalSourceError, LockHeldError, SetupError, SourceError, UniverseError, ZipFormatError } from '../src/errors.js';
import { ROOT } from './helpers/cli.js';

/*
 * README.md and src/errors.ts describe the same errors: the exit codes and the classes a failed
 * stock is counted under are compared here, so neither can change without the other.
 */

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The text of a README section, from its heading to the next heading of any level. */
function readmeSection(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  expect(start, `README.md has no "${heading}" section`).toBeGreaterThanOrEqual(0);
  const rest = README.slice(start + heading.length + 2);
  const end = rest.search(/^#{1,6} /m);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The rows of README's "Exit codes" table: `| 130 / 143 | interrupted … |` gives [130, 143] and its meaning. */
function readmeExitRows(): { codes: number[]; meaning: string }[] {
  const section = readmeSection('### Exit codes');
  const table =
    section
      .split('\n\n')
      .map((block) => block.trim())
      .find((block) => block.startsWith('| code |')) ?? '';
  return table
    .split('\n')
    .slice(2)
    .filter((line) => line.startsWith('|'))
    .map((line) => {
      const match = /^\| ([\d /]+) \| (.*) \|$/.exec(line);
      expect(match, `not a row of code and meaning: ${line}`).not.toBeNull();
      const [, codes, meaning] = match as RegExpExecArray;
      return { codes: (codes as string).split('/').map((code) => Number(code.trim())), meaning: (meaning as string).trim() };
    });
}

/** The classes README's "Outcomes" names in "The error class is one of `timeout`, `network`, …". */
function readmeErrorTypes(): string[] {
  const sentence = /The error class is one of ([^.]+)\./.exec(readmeSection('### Outcomes'))?.[1] ?? '';
  return [...sentence.matchAll(/`([a-z0-9_]+)`/g)].map((match) => match[1] as string);
}

describe('README.md and src/errors.ts', () => {
  it('README\'s "Exit codes" table has exactly the rows of EXIT_CODE_ROWS, same codes in the same order, each with a meaning', () => {
    const rows = readmeExitRows();
    expect(rows.length).toBeGreaterThanOrEqual(7);
    expect(rows.map((row) => row.codes)).toEqual(EXIT_CODE_ROWS.map((row) => [...row.codes]));
    for (const row of rows) expect(row.meaning.length, `exit ${row.codes.join('/')} has no meaning in README.md`).toBeGreaterThan(10);
  });

  it('EXIT_CODE_ROWS gives every code of EXIT exactly one row', () => {
    const codes = EXIT_CODE_ROWS.flatMap((row) => row.codes);
    expect(new Set(codes).size).toBe(codes.length);
    expect([...codes].sort((a, b) => a - b)).toEqual([...new Set(Object.values(EXIT))].sort((a, b) => a - b));
    for (const row of EXIT_CODE_ROWS) expect(row.meaning).not.toBe('');
  });

  it('README\'s "Outcomes" lists exactly the error classes of ERROR_TYPES, in the same order', () => {
    const listed = readmeErrorTypes();
    expect(listed.length).toBeGreaterThanOrEqual(11);
    expect(listed).toEqual(Object.keys(ERROR_TYPES));
  });
});

describe('exitCodeOf: main maps an error to its exit code', () => {
  const forbidden = new SourceError('forbidden', 'HTTP 403 Forbidden from www.sec.gov', { status: 403, fatal: true });
  it.each([
    ['ExitError: its own code', new ExitError(EXIT.USAGE, '--time: "25:00" is not a time of day'), EXIT.USAGE],
    ['LockHeldError: locked', new LockHeldError('/data/stocks.db.lock', { pid: 4711, started_at: '2026-11-26T07:00:00.000Z', host: 'nas' }), EXIT.LOCKED],
    ['UniverseError: aborted', new UniverseError('cannot fetch the universe'), EXIT.ABORTED],
    ['SetupError: aborted', new SetupError('the backup before the run failed: ENOSPC; nothing was refreshed'), EXIT.ABORTED],
    ['FatalSourceError: aborted', new FatalSourceError(forbidden), EXIT.ABORTED],
    ["SourceError, a stock's failure: a bug if it gets to main", forbidden, EXIT.INTERNAL],
    ['ArchiveUnavailableError, handled by the runner: a bug if it gets to main', new ArchiveUnavailableError('companyfacts.zip is not published (HTTP 404)'), EXIT.INTERNAL],
    ['ZipFormatError, handled by the runner: a bug if it gets to main', new ZipFormatError('truncated'), EXIT.INTERNAL],
    ['any other error: a bug', new TypeError("Cannot read properties of undefined (reading 'cik')"), EXIT.INTERNAL],
    ['--help or --version: ok', new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), EXIT.OK],
    ['a commander parse error: usage', new CommanderError(1, 'commander.unknownOption', "error: unknown option '--limt'"), EXIT.USAGE],
  ])('%s', (_name, error, code) => {
    expect(exitCodeOf(error)).toBe(code);
  });
});

describe('error classes', () => {
  it('LockHeldError names the holder and says that nothing was done', () => {
    expect(new LockHeldError('/data/stocks.db.lock', { pid: 4711, started_at: '2026-11-26T07:00:00.000Z', host: 'nas' }).message).toBe(
      'another batch-refresh run holds the lock /data/stocks.db.lock: PID 4711 on nas, started 2026-11-26T07:00:00.000Z; nothing was done',
    );
    expect(new LockHeldError('/data/stocks.db.lock', null).message).toBe('another batch-refresh run holds the lock /data/stocks.db.lock; nothing was done');
  });

  it.each([
    ['timeout', true],
    ['network', true],
    ['http_5xx', true],
    ['rate_limited', true],
    ['invalid_json', true],
    ['http_4xx', false],
    ['forbidden', false],
    ['malformed', false],
    ['body_too_large', false],
    ['unexpected_response', false],
    ['storage', false],
    ['internal', false],
  ] as const)('a %s SourceError is transient: %s', (type, transient) => {
    expect(new SourceError(type, 'x').transient).toBe(transient);
  });
});
