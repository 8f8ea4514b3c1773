import { parentPort } from 'node:worker_threads';
import { extractCompanyFacts } from '../extract/companyfacts.js';
import { extractFilingColumns, extractSubmissions } from '../extract/submissions.js';
import { COMPANYFACTS } from '../sources/schemas/companyfacts.js';
import { SUBMISSIONS, SUBMISSIONS_PAGE } from '../sources/schemas/submissions.js';
import { inflateZipEntry, type ZipEntry } from './zip-stream.js';
import type { ExtractRequest, ExtractResponse, ExtractResult } from './extract-pool.js';

/*
 * A worker thread of the bulk rebuild: inflates one archive entry, decodes it through the same kind
 * (schema) a per-company request uses, and reduces it to rows with the same extraction code. Only
 * the rows go back to the main thread; the parsed body (up to tens of MB for the largest filers)
 * dies here.
 */

/** The rows of one archive entry; throws `SourceError` `invalid_json`/`malformed`, or the zip reader's error. */
export function extractEntry(request: ExtractRequest): ExtractResult {
  const entry: ZipEntry = { ...request.entry, compressed: Buffer.from(request.compressed) };
  const bytes = inflateZipEntry(entry);
  switch (request.kind) {
    case 'facts':
      return { kind: 'facts', facts: extractCompanyFacts(COMPANYFACTS.decode(bytes, 'companyfacts.zip')) };
    case 'submissions':
      return { kind: 'submissions', submissions: extractSubmissions(SUBMISSIONS.decode(bytes, 'submissions.zip'), request.cik) };
    case 'page':
      return { kind: 'page', filings: extractFilingColumns(SUBMISSIONS_PAGE.decode(bytes, 'submissions.zip'), request.cik) };
  }
}

// Null on the main thread (tests import extractEntry directly).
parentPort?.on('message', (request: ExtractRequest) => {
  let response: ExtractResponse;
  try {
    response = { id: request.id, result: extractEntry(request) };
  } catch (error) {
    response = { id: request.id, error: `${request.entry.name}: ${(error as Error).message}` };
  }
  parentPort?.postMessage(response);
});
