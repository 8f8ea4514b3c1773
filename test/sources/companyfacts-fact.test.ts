import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SourceError } from '../../src/errors.js';
import { CompanyFacts, FACT } from '../../src/sources/schemas/companyfacts.js';

/*
 * The facts of a read concept are checked by a quick check first, and by zod (FACT) only when the
 * quick check refuses one: the outcome must be zod's, whatever the fact.
 */

/** What reading a unit holding `fact` gives: the fact itself, or the `malformed` message. */
function readOne(fact: unknown): { fact: unknown } | { error: string } {
  const body = new CompanyFacts({ facts: { 'us-gaap': { NetIncomeLoss: { units: { USD: [fact] } } } } });
  try {
    return { fact: body.facts('us-gaap', 'NetIncomeLoss', 'USD')[0] };
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    return { error: (error as Error).message };
  }
}

const digits = (length: number) => fc.string({ unit: fc.constantFrom(...Array.from('0123456789')), minLength: length, maxLength: length });
/** Date-shaped strings, most of them real days, some impossible (02-29 of other years, 04-31, 13-01), and others. */
const dates = fc.oneof(
  fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.tuple(digits(4), fc.constantFrom('01', '02', '04', '06', '09', '11', '12', '13', '00'), fc.constantFrom('00', '01', '28', '29', '30', '31', '32')).map(([y, m, d]) => `${y}-${m}-${d}`),
  fc.string({ maxLength: 11 }),
  fc.constantFrom(undefined, null, 20240101),
);
const values = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(null, '5', undefined, true));
const texts = fc.oneof(fc.constantFrom('10-K', '', '0000320193-24-000123'), fc.constantFrom(null, undefined, 7));
const facts = fc.record(
  { start: dates, end: dates, val: values, accn: texts, form: texts, filed: dates, fy: fc.oneof(fc.integer(), fc.constantFrom(null, undefined, 2024.5, '2024')), fp: fc.constantFrom('FY', null) },
  { requiredKeys: [] },
);

describe('a fact of a read concept: the quick check, then zod', () => {
  it('passes a fact exactly when FACT does, and the fact itself, not a copy', () => {
    fc.assert(
      fc.property(fc.oneof(facts, fc.constantFrom(null, [], 'fact', 3)), (fact) => {
        const outcome = readOne(fact);
        if (FACT.safeParse(fact).success) expect(outcome).toEqual({ fact });
        else expect(outcome).toMatchObject({ error: expect.stringMatching(/^companyfacts: facts\.us-gaap\.NetIncomeLoss\.units\.USD\.0/) as unknown });
        if ('fact' in outcome) expect(outcome.fact).toBe(fact);
      }),
      { numRuns: 5000 },
    );
  });
});
