import { createWriteStream } from 'node:fs';
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';

/**
 * Writes zip archives shaped like SEC's bulk files for the tests and the benchmark, with yazl
 * (the writer from yauzl's author). yazl writes into its output without waiting for the file, so
 * entries are handed to it only as fast as they reach the disk: thousands of entries of a few
 * hundred KB stay a few entries in memory.
 */

export interface WriteZipOptions {
  /** Deflate the entries (method 8), else store them (method 0). @default true */
  compress?: boolean;
  /** Sizes and CRC in data descriptors after the data (bit 3) instead of in the local headers. @default false */
  dataDescriptors?: boolean;
  /** ZIP64 records even where the sizes fit in 32 bits. @default false */
  forceZip64?: boolean;
}

/** Entries deflated ahead of the one being written (yazl deflates them in parallel). */
const ENTRIES_AHEAD = 4;

/** Writes `entries` in order to `file`; resolves with the archive's size in bytes. */
export async function writeZipArchive(file: string, entries: AsyncIterable<{ name: string; data: Buffer }> | Iterable<{ name: string; data: Buffer }>, options: WriteZipOptions = {}): Promise<number> {
  const zip = new ZipFile();
  const tracker = new EntryTracker(options.dataDescriptors !== true);
  zip.on('error', (error: Error) => tracker.destroy(error));
  const written = pipeline(zip.outputStream, tracker, createWriteStream(file));
  // Waits below end with the failure instead of hanging when the file cannot be written.
  const stopped = written.then(() => Promise.reject(new Error('the archive stream closed early')));
  stopped.catch(() => undefined);
  const fileOptions = { compress: options.compress ?? true, forceZip64Format: options.forceZip64 ?? false };
  try {
    await addEntries();
  } catch (error) {
    tracker.destroy(error as Error);
    await written.catch(() => undefined);
    throw error;
  }
  zip.end({ forceZip64Format: options.forceZip64 ?? false, comment: '' });
  await written;
  return tracker.bytes;

  async function addEntries(): Promise<void> {
    let added = 0;
    for await (const entry of entries) {
      if (options.dataDescriptors === true) {
        // yazl asks for a stream only when the entry's turn comes, and pipes it with backpressure.
        const consumed = new Promise<void>((resolve) => {
          zip.addReadStreamLazy(entry.name, fileOptions, (callback) => {
            const data = new PassThrough().end(entry.data);
            data.on('end', resolve);
            callback(null, data);
          });
        });
        await Promise.race([consumed, stopped]);
      } else {
        // addBuffer is the only way to get the sizes into the local headers.
        zip.addBuffer(entry.data, entry.name, fileOptions);
        added += 1;
        await Promise.race([tracker.waitForEntries(added - ENTRIES_AHEAD), stopped]);
      }
    }
  }
}

/**
 * Counts the bytes written and, from the sizes in the local headers, the entries done. yazl has
 * no event for an entry written, and its local headers carry no extra fields.
 */
class EntryTracker extends Transform {
  bytes = 0;
  private entries = 0;
  private header: Buffer = Buffer.alloc(0);
  /** Name and data bytes of the current entry still to pass. */
  private rest = 0;
  private inCentralDirectory = false;
  private waiters: { entries: number; resolve: () => void; reject: (error: Error) => void }[] = [];

  /** @param countEntries only when the local headers hold the sizes (no data descriptors) */
  constructor(private readonly countEntries: boolean) {
    super();
  }

  waitForEntries(entries: number): Promise<void> {
    if (this.entries >= entries) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ entries, resolve, reject }));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.countEntries) this.count(chunk);
    callback(null, chunk);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    for (const waiter of this.waiters) waiter.reject(error ?? new Error('the archive stream closed early'));
    this.waiters = [];
    callback(error);
  }

  private count(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.inCentralDirectory) {
      if (this.rest > 0) {
        const passed = Math.min(this.rest, chunk.length - at);
        at += passed;
        this.rest -= passed;
        if (this.rest === 0) this.entryDone();
        continue;
      }
      const taken = chunk.subarray(at, at + 30 - this.header.length);
      at += taken.length;
      this.header = Buffer.concat([this.header, taken]);
      if (this.header.length < 30) continue;
      if (this.header.readUInt32LE(0) !== 0x04034b50) this.inCentralDirectory = true;
      else this.rest = this.header.readUInt16LE(26) + this.header.readUInt16LE(28) + this.header.readUInt32LE(18);
      this.header = Buffer.alloc(0);
    }
  }

  private entryDone(): void {
    this.entries += 1;
    this.waiters = this.waiters.filter((waiter) => {
      if (waiter.entries > this.entries) return true;
      waiter.resolve();
      return false;
    });
  }
}
