import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { changedCompanies, classifyAbsentDays, dailyIndexPath, indexDaysSince, isFundamentalForm, isoDay, parseMasterIndex } from '../../src/extract/daily-index.js';
import { DAILY_INDEX, type IndexLine } from '../../src/sources/schemas/daily-index.js';
import { decodeError } from '../helpers/bodies.js';

const read = (name: string): string => readFileSync(new URL(`../fixtures/sec/daily-index/${name}`, import.meta.url), 'latin1');

/** An index text decoded as it arrives (DAILY_INDEX): its filing lines. */
const indexLines = (text: string): IndexLine[] => DAILY_INDEX.decode(Buffer.from(text, 'latin1'), 'test');

describe('parseMasterIndex on real EDGAR index files', () => {
  it.each([
    ['master.20200103.idx', 'LF', '\n'],
    ['full-index_2015_QTR4_xbrl.idx', 'CRLF', '\r\n'],
    ['full-index_2014_QTR4_xbrl_partial_CR.idx', 'bare CR', '\r'],
  ])('reads %s (%s line endings): one entry per filing line', (file, _kind, newline) => {
    const text = read(file);
    expect(text.includes(newline)).toBe(true);
    const lines = text.split(/\r\n|\r|\n/);
    const header = lines.findIndex((line) => line.startsWith('CIK|'));
    // Independently: every line after the dashed rule with five cells is a filing.
    const expected = lines.slice(header + 2).filter((line) => line.split('|').length === 5).length;
    const entries = parseMasterIndex(indexLines(text));
    expect(entries.length).toBe(expected);
    expect(entries.length).toBeGreaterThan(1000);
    for (const entry of entries.slice(0, 50)) {
      expect(entry.cik).toBeGreaterThan(0);
      expect(entry.filed).toMatch(/^\d{4}-\d\d-\d\d$/);
      expect(entry.accession).toMatch(/^\d{10}-\d\d-\d{6}$/);
    }
  });

  it('reads the daily file exactly: CIK, form, YYYYMMDD date as ISO, accession from the file name', () => {
    const entries = parseMasterIndex(indexLines(read('master.20200103.idx')));
    expect(entries[0]).toEqual({ cik: 1000229, company: 'CORE LABORATORIES N V', form: '4', filed: '2020-01-03', accession: '0001209191-20-000788' });
    // Some rows in a daily index are dated before the index day.
    expect(entries.some((entry) => entry.filed < '2020-01-03')).toBe(true);
  });

  it('names only companies with periodic reports or their amendments as changed', () => {
    const entries = parseMasterIndex(indexLines(read('master.20200103.idx')));
    const changed = changedCompanies(entries);
    const expected = new Set(entries.filter((entry) => /^(10-K|10-Q|10-KT|10-QT|20-F|40-F|6-K)(\/A)?$/.test(entry.form)).map((entry) => entry.cik));
    expect(changed).toEqual(expected);
    expect(changed.size).toBeGreaterThan(0);
    expect(changed.size).toBeLessThan(new Set(entries.map((entry) => entry.cik)).size);
  });

  it.each([
    ['10-K', true],
    ['10-K/A', true],
    ['10-Q/A', true],
    ['20-F', true],
    ['6-K', true],
    ['8-K', false],
    ['4', false],
    ['SC 13G/A', false],
  ])('%s is a fundamental form: %s', (form, expected) => {
    expect(isFundamentalForm(form)).toBe(expected);
  });

  it('reads an index without filings (the header, the rule, nothing after) as no filing', () => {
    expect(parseMasterIndex(indexLines('Description: x\n\nCIK|Company Name|Form Type|Date Filed|File Name\n----\n\n'))).toEqual([]);
  });
});

describe('the daily index schema (DAILY_INDEX, where the bytes arrive)', () => {
  const HEADER = 'Description: Daily Index\n \nCIK|Company Name|Form Type|Date Filed|File Name\n--------\n';
  const APPLE = '320193|APPLE INC|10-K|20240103|edgar/data/320193/0000320193-24-000123.txt';
  /** A text that breaks the index's layout was damaged on the way: retried like a truncated JSON body. */
  const damaged = (text: string): string => {
    const error = decodeError(DAILY_INDEX, Buffer.from(text, 'latin1'));
    expect(error).toMatchObject({ type: 'invalid_json', transient: true });
    return error.message;
  };

  it('passes the real index files, in every line ending', () => {
    for (const file of ['master.20200103.idx', 'full-index_2015_QTR4_xbrl.idx', 'full-index_2014_QTR4_xbrl_partial_CR.idx']) expect(indexLines(read(file)).length).toBeGreaterThan(1000);
  });

  it('fails the real daily index with one CIK broken as damaged, naming the line and cell', () => {
    const text = read('master.20200103.idx').replace('1000232|KENTUCKY BANCSHARES', 'x1000232|KENTUCKY BANCSHARES');
    expect(damaged(text)).toBe('daily index: line 12.cik: expected a CIK (digits)');
  });

  it('fails the real daily index cut short anywhere but right after a line end: the text stops mid-line', () => {
    const text = read('master.20200103.idx');
    // Inside a file name (the line still has its five cells), inside a date, after a cell's "|".
    for (const cut of [text.indexOf('0001209191-20-000796') + 7, text.indexOf('|20200103|edgar/data/1000232') + 5, text.indexOf('|4|20200103|edgar/data/9984') + 1]) {
      expect(damaged(text.slice(0, cut))).toMatch(/^daily index: end: the text stops in the middle of a line: cut short/);
    }
    // Cut after a whole line it reads as a whole index with fewer lines: no client can tell that.
    const atLineEnd = text.slice(0, text.indexOf('1000232|KENTUCKY'));
    expect(indexLines(atLineEnd)).toHaveLength(4);
  });

  it.each([
    ['an HTML page', '<html>not found</html>', 'daily index: header: no "CIK|Company Name|Form Type|Date Filed|File Name" line: not an EDGAR index'],
    ['an empty body', '', 'daily index: header: no "CIK|Company Name|Form Type|Date Filed|File Name" line: not an EDGAR index'],
    [
      'a body cut inside its header',
      'Description:           Daily Index of EDGAR Dissemination Feed\nLast Data Rec',
      'daily index: header: no "CIK|Company Name|Form Type|Date Filed|File Name" line: not an EDGAR index',
    ],
    [
      'a body cut right after the header line',
      'Description: Daily Index\n \nCIK|Company Name|Form Type|Date Filed|File Name\n',
      'daily index: rule: no dashed rule under the header line: cut short or not an EDGAR index',
    ],
    ['a body cut in the dashed rule', 'Description: Daily Index\n \nCIK|Company Name|Form Type|Date Filed|File Name\n-----', 'daily index: end: the text stops in the middle of a line: cut short'],
    ['a line whose cells are all wrong', 'CIK|Company Name|Form Type|Date Filed|File Name\n----\nx|y|z|w|v\n', 'daily index: line 3.cik: expected a CIK (digits) (and 1 more)'],
    ['a line cut short', `${HEADER}320193|APPLE INC|10-K\n`, 'daily index: line 5.cells: expected 5 cells separated by "|" (and 2 more)'],
    ['a line with a sixth cell', `${HEADER}${APPLE}|x\n`, 'daily index: line 5.cells: expected 5 cells separated by "|"'],
    ['a date that is no date', `${HEADER}320193|APPLE INC|10-K|Jan 3|edgar/data/320193/0000320193-24-000123.txt\n`, 'daily index: line 5.filed: expected a YYYYMMDD or YYYY-MM-DD date'],
    ['an empty form', `${HEADER}320193|APPLE INC||20240103|edgar/data/320193/0000320193-24-000123.txt\n`, 'daily index: line 5.form: expected a form type'],
    ['a last line without its line end', `${HEADER}${APPLE}`, 'daily index: end: the text stops in the middle of a line: cut short'],
  ])('fails %s as damaged, naming where', (_label, text, message) => {
    expect(damaged(text)).toBe(message);
  });

  it('reads the same lines ended with LF, CRLF or a bare CR', () => {
    for (const eol of ['\n', '\r\n', '\r'])
      expect(indexLines(`${HEADER}${APPLE}\n`.replace(/\n/g, eol))).toEqual([
        { cik: '320193', company: 'APPLE INC', form: '10-K', filed: '20240103', file: 'edgar/data/320193/0000320193-24-000123.txt' },
      ]);
  });
});

describe('which daily indexes a night reads', () => {
  it('names the path by year, quarter and day', () => {
    expect(dailyIndexPath(new Date('2026-11-24T00:00:00Z'))).toBe('2026/QTR4/master.20261124.idx');
    expect(dailyIndexPath(new Date('2026-03-31T00:00:00Z'))).toBe('2026/QTR1/master.20260331.idx');
    expect(dailyIndexPath(new Date('2026-04-01T00:00:00Z'))).toBe('2026/QTR2/master.20260401.idx');
  });

  it.each([
    // Tuesday 02:00 New York after Monday 02:00: Sunday (skipped) is the day before; Monday.
    ['2026-11-23T07:00:00Z', '2026-11-24T07:00:00Z', ['2026-11-23']],
    // Wednesday after Tuesday: Monday again (read late), Tuesday.
    ['2026-11-24T07:00:00Z', '2026-11-25T07:00:00Z', ['2026-11-23', '2026-11-24']],
    // A missed week after a Monday run (which read Friday): every weekday since, weekends skipped.
    ['2026-11-16T07:00:00Z', '2026-11-25T07:00:00Z', ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-23', '2026-11-24']],
    // 01:30 UTC is still the previous evening in New York.
    ['2026-11-24T07:00:00Z', '2026-11-25T01:30:00Z', ['2026-11-23']],
  ])('last success %s, now %s', (last, now, expected) => {
    expect(indexDaysSince(new Date(last), new Date(now)).map(isoDay)).toEqual(expected);
  });

  it.each([
    // Thursday's night found Tuesday and Wednesday not published: Friday's starts at Tuesday, not Wednesday.
    ['2026-12-10T07:00:00Z', ['2026-12-08', '2026-12-09'], '2026-12-11T07:00:00Z', ['2026-12-08', '2026-12-09', '2026-12-10']],
    // A missing day inside the usual range changes nothing.
    ['2026-12-10T07:00:00Z', ['2026-12-09'], '2026-12-11T07:00:00Z', ['2026-12-09', '2026-12-10']],
    // Anything that is no YYYY-MM-DD day is ignored.
    ['2026-12-10T07:00:00Z', ['8 Dec', ''], '2026-12-11T07:00:00Z', ['2026-12-09', '2026-12-10']],
  ])('last success %s that found %j not published, now %s: from the earliest of them', (last, missing, now, expected) => {
    expect(indexDaysSince(new Date(last), new Date(now), missing).map(isoDay)).toEqual(expected);
  });
});

describe('what a day without a file (403 or 404) means', () => {
  it.each([
    // A day before a day read never gets a file (a holiday); one after the last day read may not be out yet.
    [['2026-12-07', '2026-12-09'], ['2026-12-08'], ['2026-12-07'], ['2026-12-09']],
    // Nothing read: every day without a file may still come.
    [['2026-12-07', '2026-12-08'], [], [], ['2026-12-07', '2026-12-08']],
    [[], ['2026-12-07'], [], []],
    // The order of the days does not matter.
    [['2026-12-11', '2026-12-07'], ['2026-12-10', '2026-12-08'], ['2026-12-07'], ['2026-12-11']],
  ])('absent %j, read %j: no file %j, not published yet %j', (absent, read, noFile, notPublished) => {
    expect(classifyAbsentDays(absent, read)).toEqual({ noFile, notPublished });
  });
});
