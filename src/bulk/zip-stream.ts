import { constants } from 'node:buffer';
import { constants as zlibConstants, crc32, inflateRawSync } from 'node:zlib';
import { ZipFormatError } from '../errors.js';
import { ByteWindow } from './byte-window.js';
import {
  CENTRAL_HEADER,
  checkEndRecord,
  DEFLATED,
  END_OF_CENTRAL_DIRECTORY,
  findDescriptor,
  LOCAL_HEADER,
  readLocalHeader,
  STORED,
  truncated,
  ZIP64_END_OF_CENTRAL_DIRECTORY,
  type LocalHeader,
} from './zip-records.js';

/**
 * Reads SEC's bulk archives (companyfacts.zip, submissions.zip: GBs, one JSON entry per company)
 * from the local file headers as the bytes stream in: nothing is written to disk and only the
 * current wanted entry is held in memory.
 *
 * Our own reader because yauzl and zip.js need random access (the central directory is at the
 * end), unzipper's streaming parser pulls in bluebird and fs-extra and mishandles data descriptors,
 * and fflate's streaming Unzip ends a data-descriptor entry at the first "PK\x07\x08" even inside
 * compressed data, and inflates in JavaScript where Node's zlib is native.
 *
 * An entry with general-purpose bit 3 has no sizes in its local header. It ends where a data
 * descriptor (with or without its optional signature, 4- or 8-byte sizes) records a compressed
 * size equal to the bytes since the entry's data started, right before the next local header or
 * the central directory. Checking both the size and the record that follows makes a false end
 * inside compressed data practically impossible, where a signature alone would not.
 */

/** One entry of the archive, as stored: inflate it with `inflateZipEntry` (in a worker). */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  /** Owns its memory (not a slice of a pooled buffer), so it can be transferred to a worker. */
  compressed: Buffer;
}

/** The largest piece inflated at once: an entry recording more is inflated in pieces of this size (a recorded size is not trusted with memory). */
const MAX_INFLATE_CHUNK_BYTES = 64 * 1024 * 1024;
/** A skipped descriptor entry is scanned and dropped in pieces of about this size. */
const SKIP_SCAN_BYTES = 256 * 1024;
/** Bytes kept of a dropped piece: a descriptor (24) and a signature cut across chunks (3). */
const SCAN_TAIL_BYTES = 64;

/** Local file headers in stream order; yields wanted entries with their compressed bytes, skips the rest; stops at the central directory. */
export async function* readZipEntries(chunks: AsyncIterable<Uint8Array>, want: (name: string) => boolean): AsyncGenerator<ZipEntry> {
  const source = chunks[Symbol.asyncIterator]();
  const input = new ByteWindow(source);
  try {
    for (;;) {
      if (!(await input.fill(4))) throw new ZipFormatError(`truncated: the stream ended after ${input.position} bytes, before the central directory`);
      const signature = input.view().readUInt32LE(0);
      if (signature === CENTRAL_HEADER || signature === END_OF_CENTRAL_DIRECTORY || signature === ZIP64_END_OF_CENTRAL_DIRECTORY) {
        await checkEndRecord(input);
        return;
      }
      if (signature !== LOCAL_HEADER) {
        throw new ZipFormatError(`expected a local file header at byte ${input.position}, found 0x${signature.toString(16).padStart(8, '0')}`);
      }
      const header = await readLocalHeader(input);
      const wanted = want(header.name);
      const entry = header.descriptor ? await readUntilDescriptor(input, header, wanted) : await readKnownSize(input, header, wanted);
      if (entry !== null) yield entry;
    }
  } finally {
    // Stopped early (or failed): let the download release its connection.
    await source.return?.();
  }
}

/** Inflates (method 8) or copies (method 0), checks uncompressed size and CRC-32, throws ZipFormatError otherwise. Sync: runs inside a worker thread. */
export function inflateZipEntry(entry: ZipEntry): Buffer {
  if (entry.compressed.length !== entry.compressedSize) {
    throw new ZipFormatError(`${entry.name}: ${entry.compressed.length} compressed bytes where the archive records ${entry.compressedSize}`);
  }
  let data: Buffer;
  if (entry.method === STORED) {
    data = Buffer.from(entry.compressed);
  } else if (entry.method === DEFLATED) {
    try {
      // The cap turns a lying size (or a zip bomb) into an error instead of an unbounded buffer. The
      // output in one piece of the recorded size, not zlib's 16 KB pieces joined at the end.
      const chunkSize = Math.min(Math.max(zlibConstants.Z_MIN_CHUNK, entry.uncompressedSize), MAX_INFLATE_CHUNK_BYTES);
      data = inflateRawSync(entry.compressed, { maxOutputLength: Math.max(1, entry.uncompressedSize), chunkSize });
    } catch (error) {
      throw new ZipFormatError(`${entry.name}: cannot inflate (${(error as Error).message})`);
    }
  } else {
    throw new ZipFormatError(`${entry.name}: unsupported compression method ${entry.method}`);
  }
  if (data.length !== entry.uncompressedSize) {
    throw new ZipFormatError(`${entry.name}: inflated to ${data.length} bytes where the archive records ${entry.uncompressedSize}`);
  }
  const actual = crc32(data);
  if (actual !== entry.crc32) {
    throw new ZipFormatError(`${entry.name}: CRC-32 mismatch (0x${hex(actual)}, archive records 0x${hex(entry.crc32)})`);
  }
  return data;
}

async function readKnownSize(input: ByteWindow, header: LocalHeader, wanted: boolean): Promise<ZipEntry | null> {
  if (wanted && header.compressedSize > constants.MAX_LENGTH) throw new ZipFormatError(`${header.name}: ${header.compressedSize} compressed bytes do not fit in a buffer`);
  const compressed = wanted ? Buffer.allocUnsafeSlow(header.compressedSize) : null;
  if (!(await input.transfer(header.compressedSize, compressed))) throw truncated(`inside entry ${header.name}`);
  if (compressed === null) return null;
  return { name: header.name, method: header.method, crc32: header.crc32, compressedSize: header.compressedSize, uncompressedSize: header.uncompressedSize, compressed };
}

async function readUntilDescriptor(input: ByteWindow, header: LocalHeader, wanted: boolean): Promise<ZipEntry | null> {
  /** Data bytes of this entry already dropped from the window (skipped entries only). */
  let dropped = 0;
  let from = 0;
  for (;;) {
    const view = input.view();
    const found = findDescriptor(view, from, dropped);
    if (found !== null) {
      const dataInView = found.dataBytes - dropped;
      const compressed = wanted ? ownCopy(view.subarray(0, dataInView)) : null;
      input.consume(dataInView + found.descriptorBytes);
      if (compressed === null) return null;
      return { name: header.name, method: header.method, crc32: found.crc32, compressedSize: found.dataBytes, uncompressedSize: found.uncompressedSize, compressed };
    }
    // A signature may be cut by the end of the window: look again from its possible start.
    from = Math.max(0, view.length - 3);
    if (!wanted && view.length > SKIP_SCAN_BYTES) {
      const drop = view.length - SCAN_TAIL_BYTES;
      input.consume(drop);
      dropped += drop;
      from -= drop;
    }
    if (!(await input.pull())) throw truncated(`inside entry ${header.name} (no data descriptor found)`);
  }
}

/** A copy with its own ArrayBuffer (transferable to a worker without dragging the window along). */
function ownCopy(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}
