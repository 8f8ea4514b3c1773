import { parentPort } from 'node:worker_threads';
import { inflateEntry } from './floor.js';

/* A thread of the parse floor (floor.ts): inflates and parses one archive entry, answers with its length. */
parentPort?.on('message', (request: { method: number; compressed: ArrayBuffer }) => {
  const parsed = JSON.parse(inflateEntry(request.method, Buffer.from(request.compressed)).toString('utf8')) as unknown;
  parentPort?.postMessage(parsed === null ? 0 : 1);
});
