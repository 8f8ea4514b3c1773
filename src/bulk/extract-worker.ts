import { parentPort } from 'node:worker_threads';
import { extractCompanyFacts } from '../extract/companyfacts.js';
import { extractFilingColumns, extractSubmissions } from '../extract/submissions.js';
import { inflateZipEntry, type ZipEntry } from './zip-stream.js';
import type { ExtractRequest, ExtractResponse, ExtractResult } from './extract-pool.js';

/*
 * A worker thread of the bulk rebuild: inflates one archive entry, parses its JSON and reduces it
 * to rows with the same extraction code a per-company night uses. Only the rows go back to the
 * main thread; the parsed body (up to tens of MB for the largest filers) dies here.
 */

function extract(request: ExtractRequest): ExtractResult {
  const entry: ZipEntry = { ...request.entry, compressed: Buffer.from(request.compressed) };
  const json: unknown = JSON.parse(inflateZipEntry(entry).toString('utf8'));
  switch (request.kind) {
    case 'facts':
      return { kind: 'facts', facts: extractCompanyFacts(json) };
    case 'submissions':
      return { kind: 'submissions', submissions: extractSubmissions(json, request.cik) };
    case 'page':
      return { kind: 'page', filings: extractFilingColumns(json, request.cik) };
  }
}

parentPort?.on('message', (request: ExtractRequest) => {
  let response: ExtractResponse;
  try {
    response = { id: request.id, result: extract(request) };
  } catch (error) {
    response = { id: request.id, error: `${request.entry.name}: ${(error as Error).message}` };
  }
  parentPort?.postMessage(response);
});
