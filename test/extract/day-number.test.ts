import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, dayNumber, durationDays } from '../../src/extract/facts-index.js';

describe('dayNumber, Date.parse without Date.parse', () => {
  it('gives Date.parse(date) / DAY_MS for every day from 1600 to 2400', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1600-01-01T00:00:00Z'), max: new Date('2400-12-31T00:00:00Z'), noInvalidDate: true }), (when) => {
        const date = when.toISOString().slice(0, 10);
        expect(dayNumber(date)).toBe(Date.parse(date) / DAY_MS);
      }),
      { numRuns: 5000 },
    );
  });

  it('gives what Date.parse gives for anything shaped like a date or not (NaN, a rolled-over day, another shape)', () => {
    const part = (length: number) => fc.string({ unit: fc.constantFrom(...Array.from('0123456789-x ')), minLength: length, maxLength: length });
    const shaped = fc.tuple(part(4), part(2), part(2)).map(([y, m, d]) => `${y}-${m}-${d}`);
    fc.assert(
      fc.property(fc.oneof(shaped, fc.string({ maxLength: 12 })), (date) => {
        expect(Object.is(dayNumber(date), Date.parse(date) / DAY_MS)).toBe(true);
      }),
      { numRuns: 5000 },
    );
    for (const date of ['2021-02-30', '2021-04-31', '2021-13-01', '2021-00-10', '2021-01-00', '2021-1-01', '2020-12-31T00:00'])
      expect(Object.is(dayNumber(date), Date.parse(date) / DAY_MS), date).toBe(true);
  });

  it('counts Apple’s FY2024 as 363 days', () => {
    expect(durationDays('2023-10-01', '2024-09-28')).toBe(363);
  });
});
