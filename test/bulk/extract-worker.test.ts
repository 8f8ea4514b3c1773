import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ExtractPool, type ExtractRequest } from '../../src/bulk/extract-pool.js';
import { extractEntry } from '../../src/bulk/extract-worker.js';
import { readZipEntries, type ZipEntry } from '../../src/bulk/zip-stream.js';
import { extractCompanyFacts } from '../../src/extract/companyfacts.js';
import { extractSubmissions } from '../../src/extract/submissions.js';
import { SourceError } from '../../src/errors.js';
import { SUBMISSIONS } from '../../src/sources/schemas/submissions.js';
import { writeZipArchive } from '../../dev/stand-in/write-archive.js';
import { FIXTURES } from '../helpers/cli.js';
import { loadFacts } from '../helpers/companyfacts.js';
import { tempDirs } from '../helpers/temp-dirs.js';

/*
 * Archive entries go through the same kinds (schemas) as per-company answers: a real entry gives
 * the rows a per-company night would, an entry with one field broken fails as `malformed` naming
 * it, in the worker thread as on the main thread (the bulk rebuild then asks for that company on
 * its own).
 */

const tempDir = tempDirs();
const gunzip = (file: string): Buffer => gunzipSync(readFileSync(path.join(FIXTURES, 'sec', file)));

const appleFacts = gunzip('companyfacts_CIK0000320193.json.gz');
const appleSubmissions = gunzip('submissions_CIK0000320193.json.gz');
const FACTS_MESSAGE = 'companyfacts: facts.us-gaap.EarningsPerShareDiluted.units.USD/shares.3.val: expected number, received string';
const SUBMISSIONS_MESSAGE = 'submissions: filings.recent.form.7: expected string, received number';

/** A body with the field at `path` set to `value`. */
function broken(bytes: Buffer, path: (string | number)[], value: unknown): Buffer {
  const body = JSON.parse(bytes.toString('utf8')) as unknown;
  const parent = path.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], body) as Record<string | number, unknown>;
  parent[path.at(-1) as string | number] = value;
  return Buffer.from(JSON.stringify(body));
}

let entries: Map<string, ZipEntry>;

beforeAll(async () => {
  const file = path.join(tempDir('extract-worker-'), 'archive.zip');
  await writeZipArchive(file, [
    { name: 'CIK0000320193.json', data: appleFacts },
    // An entry of submissions.zip (the two archives name entries alike).
    { name: 'submissions/CIK0000320193.json', data: appleSubmissions },
    { name: 'CIK0009990001.json', data: broken(appleFacts, ['facts', 'us-gaap', 'EarningsPerShareDiluted', 'units', 'USD/shares', 3, 'val'], 'x') },
    { name: 'CIK0009990002.json', data: broken(appleSubmissions, ['filings', 'recent', 'form', 7], 10) },
    { name: 'CIK0009990003-submissions-001.json', data: Buffer.from(JSON.stringify({ accessionNumber: ['a-1'], form: [null], filingDate: ['2024-01-01'] })) },
    { name: 'CIK0009990004.json', data: Buffer.from('{"facts": {"us-gaap": ') },
  ]);
  entries = new Map();
  for await (const entry of readZipEntries(createReadStream(file), () => true)) entries.set(entry.name, entry);
});

function request(kind: ExtractRequest['kind'], name: string, cik: number): ExtractRequest {
  const { compressed, ...entry } = entries.get(name) as ZipEntry;
  return { id: 1, kind, cik, entry, compressed: Uint8Array.from(compressed).buffer };
}

function entryError(req: ExtractRequest): SourceError {
  try {
    extractEntry(req);
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }
  throw new Error('expected the entry to fail');
}

describe('archive entries through the kinds (extractEntry)', () => {
  it('a real companyfacts entry gives the rows a per-company night gives', () => {
    expect(extractEntry(request('facts', 'CIK0000320193.json', 320193))).toEqual({ kind: 'facts', facts: extractCompanyFacts(loadFacts('0000320193')) });
  });

  it('a real companyfacts entry is parsed once, and only the concepts extraction reads (JSON.parse never sees the whole body)', () => {
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const entry = request('facts', 'CIK0000320193.json', 320193);
      extractEntry(entry);
      const parsed = parse.mock.calls.map(([text]) => text.length);
      expect(Math.max(...parsed)).toBeLessThan(entry.entry.uncompressedSize / 10);
      expect(parsed.reduce((sum, length) => sum + length, 0)).toBeLessThan(entry.entry.uncompressedSize / 4);
    } finally {
      parse.mockRestore();
    }
  });

  it('a real submissions entry gives the rows a per-company night gives', () => {
    const expected = extractSubmissions(SUBMISSIONS.decode(appleSubmissions, 'test'), 320193);
    expect(extractEntry(request('submissions', 'submissions/CIK0000320193.json', 320193))).toEqual({ kind: 'submissions', submissions: expected });
  });

  it.each([
    ['companyfacts, one fact broken', 'facts', 'CIK0009990001.json', FACTS_MESSAGE],
    ['submissions, one form broken', 'submissions', 'CIK0009990002.json', SUBMISSIONS_MESSAGE],
    ['an older submissions page, one form broken', 'page', 'CIK0009990003-submissions-001.json', 'submissions page: form.0: expected string, received null'],
  ] as const)('%s: malformed, naming the field', (_label, kind, name, message) => {
    expect(entryError(request(kind, name, 9990001))).toMatchObject({ type: 'malformed', message });
  });

  it('a truncated entry is invalid_json, naming the archive', () => {
    expect(entryError(request('facts', 'CIK0009990004.json', 9990004))).toMatchObject({
      type: 'invalid_json',
      message: expect.stringMatching(/^companyfacts\.zip sent malformed or truncated JSON/) as unknown,
    });
  });
});

describe('archive entries in the worker threads (ExtractPool, from dist/)', () => {
  let pool: ExtractPool;
  beforeAll(() => {
    pool = new ExtractPool(1);
  });
  afterAll(async () => {
    await pool.close();
  });

  it('extracts the real entry and refuses the broken ones with the entry name and the field', async () => {
    const run = (kind: ExtractRequest['kind'], name: string) => pool.run(kind, 1, { ...(entries.get(name) as ZipEntry), compressed: Buffer.from((entries.get(name) as ZipEntry).compressed) });
    await expect(run('facts', 'CIK0000320193.json')).resolves.toMatchObject({ kind: 'facts', facts: { earnings: expect.any(Array) as unknown } });
    await expect(run('facts', 'CIK0009990001.json')).rejects.toThrow(`CIK0009990001.json: ${FACTS_MESSAGE}`);
    await expect(run('submissions', 'CIK0009990002.json')).rejects.toThrow(`CIK0009990002.json: ${SUBMISSIONS_MESSAGE}`);
    // A refused entry is that company's trouble: the pool goes on.
    expect(pool.failure).toBeNull();
  });
});
