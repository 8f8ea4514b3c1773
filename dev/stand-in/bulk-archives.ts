import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BULK_ARCHIVES } from '../../src/runner/bulk-archives.js';
import type { Body, StandInData } from './server.js';
import { writeZipArchive } from './write-archive.js';

/** An archive file the stand-in serves, by its path under the web host. */
export interface ArchiveFile {
  file: string;
  etag: string;
}

/**
 * SEC's nightly bulk archives made from a stand-in data set, the way SEC names their entries:
 * companyfacts.zip holds `CIK##########.json` per company; submissions.zip the same plus each
 * company's older pages (`CIK##########-submissions-001.json`). Written to `dir` as streams, so
 * thousands of companies of a few hundred KB each never sit in memory together. `facts` may
 * generate bodies on request (the benchmark does).
 */
export async function writeBulkArchives(data: Pick<StandInData, 'companyFacts' | 'submissions' | 'submissionPages'>, dir: string, ciks: Iterable<number>): Promise<Map<string, ArchiveFile>> {
  const list = [...new Set(ciks)];
  const [facts, submissions] = BULK_ARCHIVES;
  const archives = new Map<string, ArchiveFile>();
  const factsFile = path.join(dir, facts.name);
  await writeZipArchive(
    factsFile,
    entriesOf(list, (cik) => data.companyFacts.get(cik)),
  );
  archives.set(`/${facts.path}`, { file: factsFile, etag: await etagOfFile(factsFile) });
  const submissionsFile = path.join(dir, submissions.name);
  await writeZipArchive(submissionsFile, submissionEntries(list, data));
  archives.set(`/${submissions.path}`, { file: submissionsFile, etag: await etagOfFile(submissionsFile) });
  return archives;
}

function* entriesOf(ciks: number[], body: (cik: number) => Body | undefined): Generator<{ name: string; data: Buffer }> {
  for (const cik of ciks) {
    const found = body(cik);
    if (found !== undefined) yield { name: `CIK${String(cik).padStart(10, '0')}.json`, data: plain(found) };
  }
}

function* submissionEntries(ciks: number[], data: Pick<StandInData, 'submissions' | 'submissionPages'>): Generator<{ name: string; data: Buffer }> {
  yield* entriesOf(ciks, (cik) => data.submissions.get(cik));
  for (const [name, body] of data.submissionPages ?? []) {
    const cik = Number(/^CIK(\d{10})-/.exec(name)?.[1]);
    if (ciks.includes(cik)) yield { name, data: plain(body) };
  }
}

function plain(body: Body): Buffer {
  return body.gzipped ? gunzipSync(body.data) : body.data;
}

async function etagOfFile(file: string): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `"${hash.digest('hex').slice(0, 20)}"`;
}
