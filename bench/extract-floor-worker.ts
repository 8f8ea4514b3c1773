import { parentPort } from 'node:worker_threads';
import { inflateZipEntry, type ZipEntry } from '../src/bulk/zip-stream.js';

/*
 * A worker of the floor measurements (extract-floor.ts): an archive entry inflated, and with
 * `parse` its text handed to JSON.parse whole, the least any extraction from it can cost. Messages
 * have the shape of the project's extraction workers (src/bulk/extract-pool.ts), bytes transferred.
 */

/** One entry to inflate (and parse). */
export interface FloorRequest {
  id: number;
  parse: boolean;
  entry: Omit<ZipEntry, 'compressed'>;
  compressed: ArrayBuffer;
}

parentPort?.on('message', (request: FloorRequest) => {
  const bytes = inflateZipEntry({ ...request.entry, compressed: Buffer.from(request.compressed) });
  if (request.parse) JSON.parse(bytes.toString('utf8'));
  parentPort?.postMessage({ id: request.id, bytes: bytes.length });
});
