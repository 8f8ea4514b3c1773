import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { changedCompanies, dailyIndexPath, indexDaysSince, isFundamentalForm, parseMasterIndex } from '../../src/extract/daily-index.js';
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
  const malformed = (text: string): string => {
    const error = decodeError(DAILY_INDEX, Buffer.from(text, 'latin1'));
    expect(error).toMatchObject({ type: 'malformed', transient: false });
    return error.message;
  };

  it('passes the real index files, in every line ending', () => {
    for (const file of ['master.20200103.idx', 'full-index_2015_QTR4_xbrl.idx', 'full-index_2014_QTR4_xbrl_partial_CR.idx']) expect(indexLines(read(file)).length).toBeGreaterThan(1000);
  });

  it('fails the real daily index with one CIK broken as malformed, naming the line and cell', () => {
    const text = read('master.20200103.idx').replace('1000232|KENTUCKY BANCSHARES', 'x1000232|KENTUCKY BANCSHARES');
    expect(malformed(text)).toBe('daily index: line 12.cik: expected a CIK (digits)');
  });

  it.each([
    ['an HTML page', '<html>not found</html>', 'daily index: header: no "CIK|Company Name|Form Type|Date Filed|File Name" line: not an EDGAR index'],
    ['an empty body', '', 'daily index: header: no "CIK|Company Name|Form Type|Date Filed|File Name" line: not an EDGAR index'],
    ['a line whose cells are all wrong', 'CIK|Company Name|Form Type|Date Filed|File Name\n----\nx|y|z|w|v\n', 'daily index: line 3.cik: expected a CIK (digits) (and 1 more)'],
    ['a line cut short', `${HEADER}320193|APPLE INC|10-K\n`, 'daily index: line 5.cells: expected 5 cells separated by "|" (and 2 more)'],
    ['a date that is no date', `${HEADER}320193|APPLE INC|10-K|Jan 3|edgar/data/320193/0000320193-24-000123.txt\n`, 'daily index: line 5.filed: expected a YYYYMMDD or YYYY-MM-DD date'],
    ['an empty form', `${HEADER}320193|APPLE INC||20240103|edgar/data/320193/0000320193-24-000123.txt\n`, 'daily index: line 5.form: expected a form type'],
  ])('fails %s as malformed, naming the line', (_label, text, message) => {
    expect(malformed(text)).toBe(message);
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
    expect(indexDaysSince(new Date(last), new Date(now)).map((day) => day.toISOString().slice(0, 10))).toEqual(expected);
  });
});
