import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { inflateRawSync } from 'node:zlib';

/**
 * The floor of the bulk extraction, measured on the archives a bench run serves, on the same
 * machine, before the runs: inflating every entry on one thread, and inflating and `JSON.parse`-ing
 * every entry with as many worker threads as the extraction uses. Nothing of the product's reader
 * or extraction is used (a central-directory walk of its own), so the floor does not move when
 * they change.
 */

export interface Floor {
  entries: number;
  /** Uncompressed bytes of every entry, and their compressed bytes in the archives. */
  bytes: number;
  compressedBytes: number;
  /** Seconds to read and inflate every entry, one thread. */
  inflateSeconds: number;
  /** Seconds to read, inflate and JSON.parse every entry over `workers` worker threads. */
  parseSeconds: number;
  /** CPU seconds (user + system, every thread of the process) of the parse: on a shared machine the figure to compare. */
  parseCpuSeconds: number;
  workers: number;
}

interface Entry {
  name: string;
  offset: number;
  compressedSize: number;
  size: number;
  method: number;
}

const EOCD = 0x06054b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const MAX32 = 0xffffffff;

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const read = readSync(fd, buffer, done, length - done, position + done);
    if (read === 0) throw new Error(`unexpected end of archive at ${position + done}`);
    done += read;
  }
  return buffer;
}

/** The entries of a zip file from its central directory (ZIP64 records read where the sizes need them). */
export function zipEntries(fd: number, fileSize: number): Entry[] {
  const tailLength = Math.min(fileSize, 65_557);
  const tail = readAt(fd, fileSize - tailLength, tailLength);
  const at = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (at < 0 || tail.readUInt32LE(at) !== EOCD) throw new Error('no end of central directory');
  let [count, directorySize, directoryOffset] = [tail.readUInt16LE(at + 10), tail.readUInt32LE(at + 12), tail.readUInt32LE(at + 16)];
  if (at >= 20 && tail.readUInt32LE(at - 20) === ZIP64_LOCATOR) {
    const record = readAt(fd, Number(tail.readBigUInt64LE(at - 12)), 56);
    if (record.readUInt32LE(0) !== ZIP64_EOCD) throw new Error('bad ZIP64 end of central directory');
    [count, directorySize, directoryOffset] = [Number(record.readBigUInt64LE(32)), Number(record.readBigUInt64LE(40)), Number(record.readBigUInt64LE(48))];
  }
  const directory = readAt(fd, directoryOffset, directorySize);
  const entries: Entry[] = [];
  for (let p = 0; entries.length < count;) {
    const [nameLength, extraLength, commentLength] = [directory.readUInt16LE(p + 28), directory.readUInt16LE(p + 30), directory.readUInt16LE(p + 32)];
    const entry = {
      name: directory.toString('latin1', p + 46, p + 46 + nameLength),
      method: directory.readUInt16LE(p + 10),
      compressedSize: directory.readUInt32LE(p + 20),
      size: directory.readUInt32LE(p + 24),
      offset: directory.readUInt32LE(p + 42),
    };
    // ZIP64 extra field: the 64-bit values, in this order, of the fields that are all ones.
    for (let x = p + 46 + nameLength; x < p + 46 + nameLength + extraLength; x += 4 + directory.readUInt16LE(x + 2)) {
      if (directory.readUInt16LE(x) !== 1) continue;
      let field = x + 4;
      for (const key of ['size', 'compressedSize', 'offset'] as const) {
        if (entry[key] !== MAX32) continue;
        entry[key] = Number(directory.readBigUInt64LE(field));
        field += 8;
      }
    }
    entries.push(entry);
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** An entry's compressed bytes, past its local header. */
function compressedOf(fd: number, entry: Entry): Buffer {
  const header = readAt(fd, entry.offset, 30);
  return readAt(fd, entry.offset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28), entry.compressedSize);
}

export function inflateEntry(method: number, compressed: Buffer): Buffer {
  return method === 0 ? compressed : inflateRawSync(compressed);
}

/** Every entry of `files` that `keep` keeps, read and inflated on this thread: seconds and bytes. */
function inflateAll(files: string[], keep: (name: string) => boolean): { seconds: number; bytes: number; compressedBytes: number; entries: number } {
  const started = process.hrtime.bigint();
  let [bytes, compressedBytes, entries] = [0, 0, 0];
  for (const { fd, list } of opened(files, keep)) {
    for (const entry of list) {
      bytes += inflateEntry(entry.method, compressedOf(fd, entry)).length;
      compressedBytes += entry.compressedSize;
      entries += 1;
    }
    closeSync(fd);
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, bytes, compressedBytes, entries };
}

function opened(files: string[], keep: (name: string) => boolean): { fd: number; list: Entry[] }[] {
  return files.map((file) => {
    const fd = openSync(file, 'r');
    return { fd, list: zipEntries(fd, fstatSync(fd).size).filter((entry) => keep(entry.name)) };
  });
}

/**
 * Every entry of `files` read here and handed to `workers` threads that inflate and parse it, at
 * most two entries in flight per worker (as the extraction pool does): seconds.
 */
async function parseAll(files: string[], workers: number, keep: (name: string) => boolean): Promise<number> {
  const pool = Array.from({ length: workers }, () => new Worker(new URL('./floor-worker.js', import.meta.url)));
  await Promise.all(pool.map((worker) => new Promise((resolve) => worker.once('online', resolve))));
  const inFlight = pool.map(() => 0);
  let [posted, answered] = [0, 0];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  pool.forEach((worker, index) => {
    worker.on('message', () => {
      inFlight[index] = (inFlight[index] as number) - 1;
      answered += 1;
      wake?.();
    });
    worker.on('error', (error: Error) => {
      failure = error;
      wake?.();
    });
  });
  const answer = async (): Promise<void> => {
    await new Promise<void>((resolve) => (wake = resolve));
    if (failure !== undefined) throw failure;
  };
  const started = process.hrtime.bigint();
  try {
    for (const { fd, list } of opened(files, keep)) {
      for (const entry of list) {
        while (Math.min(...inFlight) >= 2) await answer();
        const index = inFlight.indexOf(Math.min(...inFlight));
        // Buffer.alloc never hands out a slice of a shared pool: the whole ArrayBuffer is the entry's.
        const compressed = compressedOf(fd, entry).buffer as ArrayBuffer;
        inFlight[index] = (inFlight[index] as number) + 1;
        (pool[index] as Worker).postMessage({ method: entry.method, compressed }, [compressed]);
        posted += 1;
      }
      closeSync(fd);
    }
    while (answered < posted) await answer();
    return Number(process.hrtime.bigint() - started) / 1e9;
  } finally {
    await Promise.all(pool.map((worker) => worker.terminate()));
  }
}

/**
 * The floor of the archives `files` (companyfacts.zip, submissions.zip) with `workers` threads for
 * the parse, over the entries `keep` keeps (the run's universe: the extraction skips the others
 * without inflating them).
 */
export async function measureFloor(files: string[], workers: number, keep: (name: string) => boolean = () => true): Promise<Floor> {
  const inflated = inflateAll(files, keep);
  const cpu = process.cpuUsage();
  const parseSeconds = await parseAll(files, workers, keep);
  const used = process.cpuUsage(cpu);
  return {
    entries: inflated.entries,
    bytes: inflated.bytes,
    compressedBytes: inflated.compressedBytes,
    inflateSeconds: inflated.seconds,
    parseSeconds,
    parseCpuSeconds: (used.user + used.system) / 1e6,
    workers,
  };
}
