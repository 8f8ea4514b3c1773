import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openArchive, type ArchiveDownload, type OpenArchiveOptions } from '../../src/bulk/download.js';
import { inflateZipEntry, readZipEntries } from '../../src/bulk/zip-stream.js';
import { SourceClient } from '../../src/sources/source-client.js';
import { cutAfter, serveArchiveFile } from '../../dev/stand-in/archive-route.js';
import { writeZipArchive } from '../../dev/stand-in/write-archive.js';
import { sourceError } from '../helpers/source-error.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();
const ARCHIVE_BYTES = 1_200_000;
let file: string;

beforeAll(() => {
  file = path.join(tempDir('download-'), 'companyfacts.zip');
  writeFileSync(file, randomBytes(ARCHIVE_BYTES));
});

/** What the archive server does to the next requests; each fault is used up by one request. */
interface Faults {
  /** Close the connection after this many body bytes. */
  drops: number[];
  /** Send this many body bytes, then nothing, keeping the connection open. */
  stalls: number[];
  /** Answer a Range request with 206 from byte 0. */
  wrongRange: boolean;
  /** Announce this many more bytes than the file has. */
  extraLength: number;
  status?: number;
}

interface ArchiveServer {
  url: string;
  faults: Faults;
  /** The ETag served from now on (a new one means the archive changed). */
  etag: string;
  requests: { range: string | undefined; ifRange: string | undefined }[];
}

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function startServer(archive = file): Promise<ArchiveServer> {
  const state: ArchiveServer = { url: '', etag: '"v1"', requests: [], faults: { drops: [], stalls: [], wrongRange: false, extraLength: 0 } };
  server = createServer((request, response) => {
    state.requests.push({ range: request.headers.range, ifRange: request.headers['if-range'] as string | undefined });
    const { faults } = state;
    if (faults.status !== undefined) {
      response.writeHead(faults.status).end();
      faults.status = undefined;
      return;
    }
    if (faults.wrongRange && request.headers.range !== undefined) {
      const size = statSync(archive).size;
      response.writeHead(206, { 'Content-Range': `bytes 0-${size - 1}/${size}`, 'Content-Length': String(size) });
      response.end(readFileSync(archive));
      return;
    }
    if (faults.extraLength > 0) {
      const body = readFileSync(archive);
      response.writeHead(200, { 'Content-Length': String(body.length + faults.extraLength), ETag: state.etag, 'Accept-Ranges': 'bytes' });
      response.write(body, () => response.socket?.destroy());
      return;
    }
    const drop = faults.drops.shift();
    const stall = drop === undefined ? faults.stalls.shift() : undefined;
    if (drop !== undefined) cutAfter(response, drop, 'drop');
    if (stall !== undefined) cutAfter(response, stall, 'stall');
    serveArchiveFile(request, response, archive, state.etag);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/Archives/edgar/daily-index/xbrl/companyfacts.zip`;
  return state;
}

/** Lets `bytes` of the body through, then closes the connection (drop) or goes silent (stall). */
function makeClient(): SourceClient {
  return new SourceClient(
    { name: 'sec', limit: 10, intervalMs: 1000, timeoutMs: 2000, maxBytes: 1024, headers: { 'User-Agent': 'tests tests@example.com' }, retries: 2, retryBaseDelayMs: 5 },
    { fetch, now: () => new Date(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), log: () => undefined },
  );
}

// The idle timeout is long enough that a loaded machine (the suite runs files in parallel) does not
// look like a stalled server between two chunks.
const OPTIONS: OpenArchiveOptions = { maxResumes: 3, idleTimeoutMs: 1500 };

async function readAll(download: ArchiveDownload): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of download.chunks) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('openArchive', () => {
  it('streams the whole archive with progress, counting one request and every byte', async () => {
    const archive = await startServer();
    const client = makeClient();
    const progress: [number, number | null][] = [];
    const download = (await openArchive(client, archive.url, { ...OPTIONS, onProgress: (received, total) => progress.push([received, total]) })) as ArchiveDownload;
    expect(download.totalBytes).toBe(ARCHIVE_BYTES);
    expect(sha256(await readAll(download))).toBe(sha256(readFileSync(file)));
    expect(download.received()).toBe(ARCHIVE_BYTES);
    expect(client.stats).toMatchObject({ requests: 1, bytes: ARCHIVE_BYTES });
    expect(progress.at(-1)).toEqual([ARCHIVE_BYTES, ARCHIVE_BYTES]);
    // Throttled: about one call per 256 KiB, not one per chunk.
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(ARCHIVE_BYTES / (256 * 1024)) + 1);
    for (let i = 1; i < progress.length; i += 1) expect(progress[i]?.[0]).toBeGreaterThan(progress[i - 1]?.[0] as number);
  });

  it('resumes after dropped connections with Range and If-Range, and the bytes equal the file', async () => {
    const archive = await startServer();
    archive.faults.drops = [300_000, 200_000];
    const client = makeClient();
    const download = (await openArchive(client, archive.url, OPTIONS)) as ArchiveDownload;
    expect(sha256(await readAll(download))).toBe(sha256(readFileSync(file)));
    expect(download.resumes()).toBe(2);
    expect(archive.requests).toHaveLength(3);
    expect(archive.requests[0]).toEqual({ range: undefined, ifRange: undefined });
    const starts = archive.requests.slice(1).map((request) => {
      expect(request.ifRange).toBe('"v1"');
      return Number(/^bytes=(\d+)-$/.exec(request.range ?? '')?.[1]);
    });
    // Each resume starts where the bytes stopped: no more than what the server let through.
    expect(starts[0]).toBeGreaterThan(0);
    expect(starts[0]).toBeLessThanOrEqual(300_000);
    expect((starts[1] as number) - (starts[0] as number)).toBeLessThanOrEqual(200_000);
    expect(client.stats).toMatchObject({ requests: 3, bytes: ARCHIVE_BYTES });
  });

  it('resumes a download that stalls longer than the idle timeout', async () => {
    const archive = await startServer();
    archive.faults.stalls = [100_000];
    const client = makeClient();
    const started = performance.now();
    const download = (await openArchive(client, archive.url, OPTIONS)) as ArchiveDownload;
    expect(sha256(await readAll(download))).toBe(sha256(readFileSync(file)));
    expect(performance.now() - started).toBeGreaterThanOrEqual(OPTIONS.idleTimeoutMs - 5);
    expect(download.resumes()).toBe(1);
    expect(client.stats.requests).toBe(2);
  });

  it('a download whose last byte came before the connection went quiet is complete: no resume at the end (which would be a 416)', async () => {
    const archive = await startServer();
    // Every byte, then the body never says it ended: as when the event loop was busy past the idle
    // timeout after the last chunk, or the connection fails after it.
    const neverEnds: typeof fetch = async (input, init) => {
      const answer = await fetch(input, init);
      const reader = (answer.body as ReadableStream<Uint8Array>).getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await reader.read();
          if (!next.done) controller.enqueue(next.value);
          else await new Promise(() => undefined);
        },
      });
      return new Response(body, { status: answer.status, headers: answer.headers });
    };
    const client = new SourceClient(
      { name: 'sec', limit: 10, intervalMs: 1000, timeoutMs: 2000, maxBytes: 1024, headers: { 'User-Agent': 'tests tests@example.com' }, retries: 2, retryBaseDelayMs: 5 },
      { fetch: neverEnds, now: () => new Date(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), log: () => undefined },
    );
    const download = (await openArchive(client, archive.url, { ...OPTIONS, idleTimeoutMs: 300 })) as ArchiveDownload;
    expect(sha256(await readAll(download))).toBe(sha256(readFileSync(file)));
    expect(download.resumes()).toBe(0);
    expect(archive.requests).toHaveLength(1);
  });

  it('fails when the archive changed on the server before a resume (a 200 instead of a 206)', async () => {
    const archive = await startServer();
    archive.faults.drops = [100_000];
    const download = (await openArchive(makeClient(), archive.url, OPTIONS)) as ArchiveDownload;
    archive.etag = '"v2"';
    const error = await sourceError(readAll(download));
    expect(error.type).toBe('unexpected_response');
    expect(error.message).toContain('with the whole archive (HTTP 200): it changed since the download started');
    expect(archive.requests[1]?.ifRange).toBe('"v1"');
  });

  it('fails when a resume answers from another byte than asked', async () => {
    const archive = await startServer();
    archive.faults.drops = [100_000];
    archive.faults.wrongRange = true;
    const download = (await openArchive(makeClient(), archive.url, OPTIONS)) as ArchiveDownload;
    const error = await sourceError(readAll(download));
    expect(error.type).toBe('unexpected_response');
    expect(error.message).toMatch(/asked to resume at byte \d+ of 1200000, the server sent bytes 0-1199999\/1200000/);
  });

  it('fails as truncated when the body is shorter than announced and no resume is left', async () => {
    const archive = await startServer();
    archive.faults.extraLength = 1000;
    const download = (await openArchive(makeClient(), archive.url, { ...OPTIONS, maxResumes: 0 })) as ArchiveDownload;
    const error = await sourceError(readAll(download));
    expect(error.type).toBe('network');
    expect(error.message).toContain(`truncated: got ${ARCHIVE_BYTES} of ${ARCHIVE_BYTES + 1000} bytes`);
  });

  it('gives up after maxResumes when the connection keeps dropping', async () => {
    const archive = await startServer();
    archive.faults.drops = [100_000, 100_000, 100_000, 100_000];
    const client = makeClient();
    const download = (await openArchive(client, archive.url, { ...OPTIONS, maxResumes: 2 })) as ArchiveDownload;
    const error = await sourceError(readAll(download));
    expect(error.message).toMatch(/truncated: got \d+ of 1200000 bytes \(.*; 2 resumes\)/);
    expect(download.resumes()).toBe(2);
    expect(client.stats.requests).toBe(3);
  });

  it('returns null for a 404 (not published yet)', async () => {
    const archive = await startServer();
    archive.faults.status = 404;
    const client = makeClient();
    expect(await openArchive(client, archive.url, OPTIONS)).toBeNull();
    expect(client.stats.requests).toBe(1);
  });

  it('retries a 5xx on the first request through the client', async () => {
    const archive = await startServer();
    archive.faults.status = 503;
    const client = makeClient();
    const download = (await openArchive(client, archive.url, OPTIONS)) as ArchiveDownload;
    expect((await readAll(download)).length).toBe(ARCHIVE_BYTES);
    expect(client.stats).toMatchObject({ requests: 2, retries: 1 });
  });
});

describe('bulk archive end to end', () => {
  it('openArchive → readZipEntries → inflateZipEntry gives back every entry, across a dropped connection', async () => {
    const entries = Array.from({ length: 200 }, (_, i) => ({
      name: `CIK${String(1000 + i).padStart(10, '0')}.json`,
      data: Buffer.from(JSON.stringify({ cik: 1000 + i, entityName: `Company ${i}`, facts: { 'us-gaap': { Revenues: Array.from({ length: i % 50 }, (_, j) => ({ fy: 2000 + j, val: i * j })) } } })),
    }));
    const zip = path.join(tempDir('end-to-end-'), 'companyfacts.zip');
    const size = await writeZipArchive(zip, entries, { dataDescriptors: true });
    const archive = await startServer(zip);
    archive.faults.drops = [Math.floor(size / 2)];
    const download = (await openArchive(makeClient(), archive.url, OPTIONS)) as ArchiveDownload;
    const read: { name: string; data: string }[] = [];
    for await (const entry of readZipEntries(download.chunks, () => true)) read.push({ name: entry.name, data: inflateZipEntry(entry).toString('utf8') });
    expect(read).toEqual(entries.map((entry) => ({ name: entry.name, data: entry.data.toString('utf8') })));
    expect(download.resumes()).toBe(1);
    expect(download.received()).toBe(size);
  });
});
