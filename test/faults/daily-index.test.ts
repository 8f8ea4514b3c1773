import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syntheticCompanies, syntheticDataset, syntheticSubmissions, type SyntheticCompany } from '../../dev/stand-in/datasets.js';
import { jsonBody, startStandIn, type Fault, type StandIn, type StandInData } from '../../dev/stand-in/server.js';
import { EXIT } from '../../src/errors.js';
import type { SummaryReport } from '../../src/report/summary-report.js';
import { merge, tempDir, writeTestConfig } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

/*
 * The daily index, published or not, whole or not, over whole nights in-process against the
 * stand-in. December 2026: Monday the 7th to Friday the 11th; a night runs at 02:00 New York
 * (07:00 UTC) and reads the business days up to yesterday.
 */

let standIn: StandIn;
let data: StandInData;
let companies: SyntheticCompany[];
let dir: string;

beforeEach(async () => {
  companies = syntheticCompanies(12);
  data = syntheticDataset(companies);
  data.dailyIndexes = new Map();
  standIn = await startStandIn({ data });
  dir = tempDir();
});

afterEach(async () => {
  await standIn.close();
});

const ALWAYS = 1000;
const company = (index: number): SyntheticCompany => companies[index] as SyntheticCompany;
const padded = (index: number): string => String(company(index).cik).padStart(10, '0');

/** A night at `now` (ISO), incremental unless overridden. */
async function night(now: string, overrides: Record<string, unknown> = {}): Promise<{ report: SummaryReport; exitCode: number; lines: string[] }> {
  const config = writeTestConfig(dir, standIn.url, merge({ processing: { force_refresh: false } }, overrides));
  const { result, lines } = await runInProcess(config, { now });
  if (result?.kind !== 'run') throw new Error(`expected a run, got ${result?.kind ?? 'an error'}`);
  return { report: result.report, exitCode: result.exitCode, lines };
}

/** Monday's full night: every stock stored, the base of the incremental nights after it. */
async function fullNight(): Promise<void> {
  const { exitCode } = await night('2026-12-07T07:00:00Z', { processing: { force_refresh: true } });
  expect(exitCode).toBe(EXIT.OK);
  standIn.requests.splice(0);
}

/** Company `index` files a 10-Q on `day` (YYYY-MM-DD): its submissions say so; its index line. */
function files(index: number, day: string): string {
  const accession = `${padded(index)}-26-000099`;
  const submissions = syntheticSubmissions(company(index), index) as { filings: { recent: Record<string, string[]> } };
  const filing = {
    accessionNumber: accession,
    filingDate: day,
    reportDate: '2026-09-30',
    acceptanceDateTime: `${day}T16:00:00.000Z`,
    form: '10-Q',
    primaryDocument: 'q3.htm',
    primaryDocDescription: '10-Q',
  };
  for (const [key, value] of Object.entries(filing)) submissions.filings.recent[key]?.unshift(value);
  data.submissions.set(company(index).cik, jsonBody(submissions));
  return `${company(index).cik}|${company(index).name.toUpperCase()}|10-Q|${day.replace(/-/g, '')}|edgar/data/${company(index).cik}/${accession}.txt`;
}

/**
 * Publishes a day's master index: the header as EDGAR writes it, `lines`, and a hundred Form 4s of
 * companies outside the universe, so the body is large enough to come gzipped, as SEC's do.
 */
function publish(day: string, lines: string[] = []): void {
  const stamp = day.replace(/-/g, '');
  const header = `Description:           Daily Index of EDGAR Dissemination Feed\nLast Data Received:    ${day}\nComments:              webmaster@sec.gov\nAnonymous FTP:         ftp://ftp.sec.gov/edgar/\n \nCIK|Company Name|Form Type|Date Filed|File Name\n${'-'.repeat(80)}\n`;
  const others = Array.from({ length: 100 }, (_unused, n) => `${1_000_000 + n}|OTHER FILER ${n}|4|${stamp}|edgar/data/${1_000_000 + n}/0001209191-26-${String(n).padStart(6, '0')}.txt`);
  const text = header + [...lines, ...others].map((line) => `${line}\n`).join('');
  data.dailyIndexes?.set(`2026/QTR4/master.${stamp}.idx`, { data: Buffer.from(text, 'latin1'), gzipped: false });
}

const indexDaysAsked = (): string[] => standIn.requests.filter((r) => r.path.includes('/daily-index/')).map((r) => r.path.slice(-12, -4));
const perCompanyAsked = (): string[] => standIn.requests.filter((r) => r.source === 'sec' && !r.path.includes('/daily-index/') && !r.path.startsWith('/files/')).map((r) => r.path);
const sparkRequests = (): number => standIn.requests.filter((r) => r.path.startsWith('/v8/finance/spark')).length;

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(dir, 'stocks.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

const filingStored = (index: number): boolean => query('SELECT 1 FROM sec_filings WHERE accession_number = ?', `${padded(index)}-26-000099`).length === 1;
const lastRunMissingDays = (): unknown => query<{ days: string | null }>('SELECT index_missing_days AS days FROM sync_runs ORDER BY id DESC LIMIT 1')[0]?.days;

describe('a daily index not published yet', () => {
  it('the night completes on the days published, names the days missing, and the next night reads them and fetches their filer', async () => {
    await fullNight();
    publish('2026-12-07', [files(3, '2026-12-07')]);
    publish('2026-12-08', [files(5, '2026-12-08')]);
    publish('2026-12-09');
    // SEC has not published Tuesday's and Wednesday's indexes yet: 403, as its archives answer.
    standIn.addFault('master.20261208', { kind: 'not-published' }, ALWAYS);
    standIn.addFault('master.20261209', { kind: 'not-published' }, ALWAYS);

    const thursday = await night('2026-12-10T07:00:00Z');
    expect(thursday.exitCode).toBe(EXIT.OK);
    expect(thursday.report).toMatchObject({ status: 'completed', change_detection: 'daily-index', refresh_path: 'daily-index', companies_changed: 1, successful: 12, unchanged: 11 });
    expect(thursday.report.daily_index).toEqual({ days_read: ['2026-12-07'], no_file_days: [], missing_days: ['2026-12-08', '2026-12-09'], damaged_days: [] });
    // A 403 is no failure to retry: each day asked once.
    expect(indexDaysAsked()).toEqual(['20261207', '20261208', '20261209']);
    expect(perCompanyAsked()).toEqual([`/submissions/CIK${padded(3)}.json`, `/api/xbrl/companyfacts/CIK${padded(3)}.json`]);
    expect(filingStored(3)).toBe(true);
    expect(filingStored(5)).toBe(false);
    // Every price refreshed all the same.
    expect(sparkRequests()).toBe(2);
    expect(query('SELECT COUNT(*) AS n FROM stocks WHERE last_refreshed_at >= ?', '2026-12-10')).toEqual([{ n: 12 }]);
    expect(lastRunMissingDays()).toBe('["2026-12-08","2026-12-09"]');
    expect(thursday.lines).toContain('INFO daily index: 1 company filed in 1 business day read; not published yet, read again next night: 2026-12-08, 2026-12-09');

    // Friday: both are out. The night starts at Tuesday (Wednesday is the day before Thursday's run).
    standIn.clearFaults();
    standIn.requests.splice(0);
    publish('2026-12-10');
    const friday = await night('2026-12-11T07:00:00Z');
    expect(friday.exitCode).toBe(EXIT.OK);
    expect(indexDaysAsked()).toEqual(['20261208', '20261209', '20261210']);
    expect(friday.report.daily_index).toEqual({ days_read: ['2026-12-08', '2026-12-09', '2026-12-10'], no_file_days: [], missing_days: [], damaged_days: [] });
    expect(perCompanyAsked()).toEqual([`/submissions/CIK${padded(5)}.json`, `/api/xbrl/companyfacts/CIK${padded(5)}.json`]);
    expect(filingStored(5)).toBe(true);
    expect(lastRunMissingDays()).toBeNull();
  });

  it('a day without a file before a day that was read is a holiday (403 or 404 alike): not read again', async () => {
    await fullNight();
    // Monday: 403; Tuesday: no file at all (404); Wednesday published.
    standIn.addFault('master.20261207', { kind: 'not-published' }, ALWAYS);
    publish('2026-12-09', [files(5, '2026-12-09')]);
    const thursday = await night('2026-12-10T07:00:00Z');
    expect(thursday.report.daily_index).toEqual({ days_read: ['2026-12-09'], no_file_days: ['2026-12-07', '2026-12-08'], missing_days: [], damaged_days: [] });
    expect(filingStored(5)).toBe(true);
    expect(lastRunMissingDays()).toBeNull();
    standIn.requests.splice(0);
    publish('2026-12-10');
    await night('2026-12-11T07:00:00Z');
    expect(indexDaysAsked()).toEqual(['20261209', '20261210']);
  });

  it('days not published count toward the catch-up limit: past 31 business days every company is checked', async () => {
    await fullNight();
    for (const day of ['20261207', '20261208', '20261209']) standIn.addFault(`master.${day}`, { kind: 'not-published' }, ALWAYS);
    expect((await night('2026-12-10T07:00:00Z')).report.daily_index?.missing_days).toEqual(['2026-12-07', '2026-12-08', '2026-12-09']);
    standIn.requests.splice(0);
    // From Wednesday 9 December to Wednesday 20 January: 31 business days, within the limit; from
    // Monday 7 December, where the missing days start: 33.
    const late = await night('2027-01-21T07:00:00Z');
    expect(late.exitCode).toBe(EXIT.OK);
    expect(late.report).toMatchObject({
      change_detection: 'per-company',
      daily_index: null,
      change_detection_note: 'last completed run was 33 business days ago, from 2026-12-07, the first day whose index was not published then',
    });
    expect(indexDaysAsked()).toEqual([]);
    expect(perCompanyAsked().filter((p) => p.startsWith('/submissions/'))).toHaveLength(12);
  });
});

describe('a daily index that comes damaged', () => {
  const damages: [string, Fault, RegExp][] = [
    ['an HTML page with status 200', { kind: 'html' }, /^daily index: header: no "CIK\|Company Name\|Form Type\|Date Filed\|File Name" line: not an EDGAR index$/],
    ['a gzip stream cut short (HTTP framing whole)', { kind: 'truncated', keep: 0.5, gzip: true }, /^daily index: end: the text stops in the middle of a line: cut short/],
    ['a plain body cut short (HTTP framing whole)', { kind: 'truncated', keep: 0.6, gzip: false }, /^daily index: end: the text stops in the middle of a line: cut short/],
  ];

  it.each(damages)('%s once: retried, and the index read', async (_label, fault) => {
    await fullNight();
    publish('2026-12-07');
    publish('2026-12-08', [files(5, '2026-12-08')]);
    standIn.addFault('master.20261208', fault, 1);
    const { report } = await night('2026-12-09T07:00:00Z');
    expect(indexDaysAsked()).toEqual(['20261207', '20261208', '20261208']);
    expect(report).toMatchObject({ change_detection: 'daily-index', companies_changed: 1, retries: { sec: 1 } });
    expect(report.daily_index).toEqual({ days_read: ['2026-12-07', '2026-12-08'], no_file_days: [], missing_days: [], damaged_days: [] });
    expect(filingStored(5)).toBe(true);
  });

  it.each(damages)('%s every time: after the retries every company is checked tonight, the filer included, and the day is named', async (_label, fault, message) => {
    await fullNight();
    publish('2026-12-07');
    publish('2026-12-08', [files(5, '2026-12-08')]);
    standIn.addFault('master.20261208', fault, ALWAYS);
    const { report, exitCode } = await night('2026-12-09T07:00:00Z');
    expect(exitCode).toBe(EXIT.OK);
    // The first answer and max_retries_per_stock (2) more.
    expect(indexDaysAsked()).toEqual(['20261207', '20261208', '20261208', '20261208']);
    expect(report).toMatchObject({ status: 'completed', change_detection: 'per-company', refresh_path: 'per-company', companies_changed: null, successful: 12, unchanged: 11 });
    expect(report.daily_index).toEqual({ days_read: ['2026-12-07'], no_file_days: [], missing_days: [], damaged_days: ['2026-12-08'] });
    const note = report.change_detection_note ?? '';
    expect(note.startsWith('daily index 2026/QTR4/master.20261208.idx damaged (')).toBe(true);
    expect(note.endsWith(', 3 attempts)')).toBe(true);
    expect(note.slice('daily index 2026/QTR4/master.20261208.idx damaged ('.length, -', 3 attempts)'.length)).toMatch(message);
    expect(perCompanyAsked().filter((p) => p.startsWith('/submissions/'))).toHaveLength(12);
    expect(filingStored(5)).toBe(true);
    expect(sparkRequests()).toBe(2);
    // Every company was checked: nothing is left for the next night.
    expect(lastRunMissingDays()).toBeNull();
  });

  it('a line that is no filing is damage: every company is checked, the line named', async () => {
    await fullNight();
    publish('2026-12-07');
    publish('2026-12-08', [files(5, '2026-12-08'), `x${company(7).cik}|TEST COMPANY 8 INC.|10-K|20261208|edgar/data/${company(7).cik}/${padded(7)}-26-000001.txt`]);
    const { report } = await night('2026-12-09T07:00:00Z');
    expect(report.daily_index?.damaged_days).toEqual(['2026-12-08']);
    // Seven header lines, the filer's line, then the broken one: line 9 of the file.
    expect(report.change_detection_note).toBe('daily index 2026/QTR4/master.20261208.idx damaged (daily index: line 9.cik: expected a CIK (digits), 3 attempts)');
    expect(filingStored(5)).toBe(true);
  });
});
