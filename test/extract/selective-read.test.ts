import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { extractCompanyFacts } from '../../src/extract/companyfacts.js';
import { READ_CONCEPTS } from '../../src/extract/concept-chains.js';
import { COMPANYFACTS, CompanyFacts } from '../../src/sources/schemas/companyfacts.js';
import { decodeError } from '../helpers/bodies.js';

/*
 * companyfacts is read selectively (only READ_CONCEPTS are built): on every real body of the
 * fixtures, extraction gives what it gave from the whole body parsed by JSON.parse.
 */

const SEC = new URL('../fixtures/sec/', import.meta.url);
/** Every real companyfacts body of test/fixtures/sec and sec/classes, by file. */
const REAL_BODIES: [string, Buffer][] = ['', 'classes/'].flatMap((folder) =>
  readdirSync(new URL(folder, SEC))
    .filter((name) => name.startsWith('companyfacts_') && name.endsWith('.json.gz'))
    .map((name): [string, Buffer] => [`${folder}${name}`, gunzipSync(readFileSync(new URL(`${folder}${name}`, SEC)))]),
);

/** The body as before the selective reader: parsed whole. */
function wholeBody(bytes: Buffer): CompanyFacts {
  return new CompanyFacts(JSON.parse(bytes.toString('utf8')) as ConstructorParameters<typeof CompanyFacts>[0]);
}

describe('companyfacts read selectively', () => {
  it('has all 20 real bodies to compare', () => {
    expect(REAL_BODIES.length).toBeGreaterThanOrEqual(20);
  });

  it.each(REAL_BODIES)('extracts %s as from the whole body parsed', (name, bytes) => {
    expect(extractCompanyFacts(COMPANYFACTS.decode(bytes, name))).toStrictEqual(extractCompanyFacts(wholeBody(bytes)));
  });

  it.each(REAL_BODIES.slice(0, 3))('extracts %s pretty-printed, non-ASCII escaped, as compact', (name, bytes) => {
    const pretty = JSON.stringify(JSON.parse(bytes.toString('utf8')), null, 2).replace(/[^\x20-\x7e\n]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    expect(extractCompanyFacts(COMPANYFACTS.decode(Buffer.from(pretty), name))).toStrictEqual(extractCompanyFacts(wholeBody(bytes)));
  });

  it('keeps, of a real body, the read concepts it tags, in every unit, and nothing else', () => {
    const [name, bytes] = REAL_BODIES[0] as [string, Buffer];
    const [selective, whole] = [COMPANYFACTS.decode(bytes, name), wholeBody(bytes)];
    let read = 0;
    for (const [taxonomy, names] of READ_CONCEPTS) {
      for (const concept of names) {
        expect(selective.units(taxonomy, concept)).toStrictEqual(whole.units(taxonomy, concept));
        for (const unit of whole.units(taxonomy, concept)) expect(selective.facts(taxonomy, concept, unit)).toStrictEqual(whole.facts(taxonomy, concept, unit));
        read += whole.units(taxonomy, concept).length;
      }
    }
    expect(read).toBeGreaterThan(10);
    expect(() => selective.units('us-gaap', 'Assets')).toThrow('us-gaap:Assets is not among the concepts read');
    expect(() => whole.facts('us-gaap', 'Assets', 'USD')).toThrow('us-gaap:Assets is not among the concepts read');
  });

  it('reads every concept of every chain, the parts of a sum instead of the sum', () => {
    expect(READ_CONCEPTS.get('us-gaap')).toContain('InterestAndDividendIncomeOperating');
    expect(READ_CONCEPTS.get('us-gaap')).not.toContain('InterestAndDividendIncomeOperating+NoninterestIncome');
    expect(READ_CONCEPTS.get('dei')).toEqual(new Set(['EntityCommonStockSharesOutstanding']));
    expect(READ_CONCEPTS.get('ifrs-full')).toContain('EquityAndLiabilities');
  });

  it('checks what it keeps, not the concepts it skips: a skipped concept with units null passes, a read one fails as malformed', () => {
    const body = (concept: string) => Buffer.from(JSON.stringify({ cik: 1, facts: { 'us-gaap': { [concept]: { units: null } } } }));
    expect(COMPANYFACTS.decode(body('Assets'), 'test').units('us-gaap', 'NetIncomeLoss')).toEqual([]);
    expect(decodeError(COMPANYFACTS, body('NetIncomeLoss'))).toMatchObject({ type: 'malformed', message: 'companyfacts: facts.us-gaap.NetIncomeLoss.units: expected record, received null' });
  });

  it('fails a body that is no JSON in a skipped concept as invalid_json, as JSON.parse does', () => {
    const broken = Buffer.from('{"cik":1,"facts":{"us-gaap":{"Assets":{"units":{"USD":[{"val":1,}]}},"NetIncomeLoss":{"units":{}}}}}');
    expect(decodeError(COMPANYFACTS, broken)).toMatchObject({ type: 'invalid_json', transient: true });
  });
});
