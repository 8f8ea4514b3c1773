import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect as globalExpect } from 'vitest';
import type { SummaryReport } from '../../src/report/summary-report.js';
import type { CliResult } from './cli.js';
import type { InProcessRun } from './in-process.js';

/*
 * What a run leaves behind, read the same way whether it ran in-process or through the CLI: its
 * summary reports, read-only queries on its database, and the "it ended cleanly" checks.
 */

export type Report = SummaryReport;

export interface Failure {
  symbol: string;
  error_type: string;
  source: string;
  message: string;
  attempts: number;
}

/** The summary reports in `dir/reports`, oldest name first (names sort by when they were written). */
export function readReports(dir: string): { name: string; text: string }[] {
  const reports = path.join(dir, 'reports');
  return readdirSync(reports)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({ name, text: readFileSync(path.join(reports, name), 'utf8') }));
}

/** The newest summary report in `dir/reports`, which is one line of JSON (so `tail -1 | jq .` works). */
export function lastReport(dir: string): Report {
  const last = readReports(dir).at(-1);
  if (last === undefined) throw new Error(`no report in ${path.join(dir, 'reports')}`);
  globalExpect(last.text.trimEnd().split('\n'), `${last.name} is one line`).toHaveLength(1);
  return JSON.parse(last.text) as Report;
}

/** A read-only query on `dir/stocks.db`. */
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
 * the test's timeout) and nothing on stderr (in-process: its console) that only a crash prints.
 * In-process an unhandled rejection fails the test by itself (vitest).
 */
export function expectCleanEnd(result: CliResult | InProcessRun, expect: typeof globalExpect = globalExpect, codes: number[] = [0, 1, 3]): void {
  const stderr = 'stderr' in result ? result.stderr : result.console;
  if ('signal' in result) expect(result.signal, stderr).toBeNull();
  expect(codes, stderr).toContain(result.code);
  expect(stderr).not.toMatch(/Unhandled|unhandledRejection|uncaught|TypeError|unexpected error/i);
  // A stack trace's frames.
  expect(stderr).not.toMatch(/\n\s{4}at /);
}
