import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect as globalExpect } from 'vitest';
import type { SummaryReport } from '../../src/report/summary-report.js';
import { BIN, NO_PROXY_ENV, ROOT, type CliResult } from '../helpers/cli.js';

/**
 * Shared by the fault tests: the newest report of a run, read-only queries on its database, the
 * CLI run under /usr/bin/time for its peak RSS, and the "it ended cleanly" checks.
 */

export type Report = SummaryReport;

export interface Failure {
  symbol: string;
  error_type: string;
  source: string;
  message: string;
  attempts: number;
}

/** The newest summary report in `dir/reports` (one line of JSON). */
export function lastReport(dir: string): Report {
  const reports = path.join(dir, 'reports');
  const names = readdirSync(reports)
    .filter((name) => name.endsWith('.json'))
    .sort();
  const name = names.at(-1);
  if (name === undefined) throw new Error(`no report in ${reports}`);
  return JSON.parse(readFileSync(path.join(reports, name), 'utf8')) as Report;
}

export function query<T>(dir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(dir, 'stocks.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/**
 * A run that ended as the job means to end: an exit code of the contract (not 70, not a kill by
 * the test's timeout) and nothing on stderr that only a crash prints.
 */
export function expectCleanEnd(result: CliResult, expect: typeof globalExpect = globalExpect, codes: number[] = [0, 1, 3]): void {
  expect(result.signal, result.stderr).toBeNull();
  expect(codes, result.stderr).toContain(result.code);
  expect(result.stderr).not.toMatch(/Unhandled|unhandledRejection|uncaught|TypeError|unexpected error/i);
  // A stack trace's frames.
  expect(result.stderr).not.toMatch(/\n\s{4}at /);
}

export interface TimedResult extends CliResult {
  /** Peak resident set size of the CLI process, in MiB (GNU time's %M). */
  maxRssMb: number;
}

/** Runs the built CLI under GNU time, as runCli does (no TTY, no colour), and reads its peak RSS. */
export function runCliTimed(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<TimedResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env };
  for (const key of ['BATCH_REFRESH_CONFIG', 'SEC_USER_AGENT', 'BATCH_REFRESH_NOW', 'JOURNAL_STREAM', ...Object.keys(NO_PROXY_ENV)]) Reflect.deleteProperty(childEnv, key);
  // Its own process group, so a timeout kills the CLI and not only GNU time.
  const child = spawn('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, BIN, ...args], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // GNU time adds "Command exited with non-zero status N" before its own line.
      const match = /(?:Command (?:exited|terminated)[^\n]*\n)?maxrss_kb=(\d+)\s*$/.exec(stderr);
      if (match === null) return reject(new Error(`no maxrss from /usr/bin/time in: ${stderr.slice(-500)}`));
      resolve({ code, signal, stdout, stderr: stderr.slice(0, match.index), maxRssMb: Number(match[1]) / 1024 });
    });
  });
}
