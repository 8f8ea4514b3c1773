import { constants } from 'node:buffer';
import { crc32, inflateRawSync } from 'node:zlib';
import { ZipFormatError } from '../errors.js';

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

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
const DATA_DESCRIPTOR = 0x08074b50;
const LOCAL_HEADER_BYTES = 30;
const END_OF_CENTRAL_DIRECTORY_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;
const ZIP64_EXTRA_ID = 0x0001;
const SIZE_IN_ZIP64_EXTRA = 0xffffffff;
const FLAG_ENCRYPTED = 1 << 0;
const FLAG_DATA_DESCRIPTOR = 1 << 3;
const FLAG_UTF8_NAME = 1 << 11;
const STORED = 0;
const DEFLATED = 8;
const PK = Buffer.from('PK', 'latin1');
/** The second half of the signatures that may follow a data descriptor: a local header or the central directory. */
const NEXT_RECORD_KINDS: ReadonlySet<number> = new Set([LOCAL_HEADER >>> 16, CENTRAL_HEADER >>> 16]);
/** Descriptor layouts, tried in this order: with the signature first, as nearly every writer emits it. */
const DESCRIPTOR_LAYOUTS = [
  { bytes: 16, signed: true, wide: false },
  { bytes: 24, signed: true, wide: true },
  { bytes: 12, signed: false, wide: false },
  { bytes: 20, signed: false, wide: true },
] as const;
const INITIAL_WINDOW_BYTES = 64 * 1024;
/** A window grown for one large descriptor entry is given back once empty and larger than this. */
const MAX_IDLE_WINDOW_BYTES = 1024 * 1024;
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
      // The cap turns a lying size (or a zip bomb) into an error instead of an unbounded buffer.
      data = inflateRawSync(entry.compressed, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
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

interface LocalHeader {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Bit 3: sizes and CRC come in a data descriptor after the data. */
  descriptor: boolean;
}

async function readLocalHeader(input: ByteWindow): Promise<LocalHeader> {
  const at = input.position;
  if (!(await input.fill(LOCAL_HEADER_BYTES))) throw truncated(`inside the local file header at byte ${at}`);
  const fixed = input.view();
  const flags = fixed.readUInt16LE(6);
  const nameBytes = fixed.readUInt16LE(26);
  const extraBytes = fixed.readUInt16LE(28);
  if (!(await input.fill(LOCAL_HEADER_BYTES + nameBytes + extraBytes))) throw truncated(`inside the local file header at byte ${at}`);
  const view = input.view();
  // Without bit 11 the name is CP437; SEC's names are ASCII, which latin1 reads the same way.
  const name = view.toString(flags & FLAG_UTF8_NAME ? 'utf8' : 'latin1', LOCAL_HEADER_BYTES, LOCAL_HEADER_BYTES + nameBytes);
  const method = view.readUInt16LE(8);
  if (flags & FLAG_ENCRYPTED) throw new ZipFormatError(`${name}: encrypted entries are not supported`);
  if (method !== STORED && method !== DEFLATED) throw new ZipFormatError(`${name}: unsupported compression method ${method}`);
  let uncompressedSize = view.readUInt32LE(22);
  let compressedSize = view.readUInt32LE(18);
  const descriptor = (flags & FLAG_DATA_DESCRIPTOR) !== 0;
  if (!descriptor && (uncompressedSize === SIZE_IN_ZIP64_EXTRA || compressedSize === SIZE_IN_ZIP64_EXTRA)) {
    const extra = findExtra(view.subarray(LOCAL_HEADER_BYTES + nameBytes, LOCAL_HEADER_BYTES + nameBytes + extraBytes), ZIP64_EXTRA_ID);
    if (extra === null) throw new ZipFormatError(`${name}: ZIP64 sizes without a ZIP64 extra field`);
    // The extra field holds only the sizes whose header field is 0xFFFFFFFF, uncompressed first.
    let offset = 0;
    const next = (): number => {
      if (offset + 8 > extra.length) throw new ZipFormatError(`${name}: ZIP64 extra field too short (${extra.length} bytes)`);
      const value = extra.readBigUInt64LE(offset);
      offset += 8;
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError(`${name}: ZIP64 size ${value} out of range`);
      return Number(value);
    };
    if (uncompressedSize === SIZE_IN_ZIP64_EXTRA) uncompressedSize = next();
    if (compressedSize === SIZE_IN_ZIP64_EXTRA) compressedSize = next();
  }
  input.consume(LOCAL_HEADER_BYTES + nameBytes + extraBytes);
  return { name, method, crc32: view.readUInt32LE(14), compressedSize, uncompressedSize, descriptor };
}

function findExtra(extras: Buffer, id: number): Buffer | null {
  for (let offset = 0; offset + 4 <= extras.length; ) {
    const size = extras.readUInt16LE(offset + 2);
    if (extras.readUInt16LE(offset) === id) return extras.subarray(offset + 4, Math.min(extras.length, offset + 4 + size));
    offset += 4 + size;
  }
  return null;
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

interface Descriptor {
  dataBytes: number;
  descriptorBytes: number;
  crc32: number;
  uncompressedSize: number;
}

/** The first data descriptor in `view` (from `from` on) that is followed by a record signature and counts the bytes before it. */
function findDescriptor(view: Buffer, from: number, dropped: number): Descriptor | null {
  for (let at = view.indexOf(PK, from); at !== -1 && at + 4 <= view.length; at = view.indexOf(PK, at + 1)) {
    if (!NEXT_RECORD_KINDS.has(view.readUInt16LE(at + 2))) continue;
    for (const layout of DESCRIPTOR_LAYOUTS) {
      const start = at - layout.bytes;
      if (start < 0 || (layout.signed && view.readUInt32LE(start) !== DATA_DESCRIPTOR)) continue;
      const fields = start + (layout.signed ? 4 : 0);
      const compressed = layout.wide ? Number(view.readBigUInt64LE(fields + 4)) : view.readUInt32LE(fields + 4);
      if (compressed !== start + dropped) continue;
      const uncompressedSize = layout.wide ? Number(view.readBigUInt64LE(fields + 12)) : view.readUInt32LE(fields + 8);
      return { dataBytes: compressed, descriptorBytes: layout.bytes, crc32: view.readUInt32LE(fields), uncompressedSize };
    }
  }
  return null;
}

/** Reads the central directory to the end of the stream and checks that its end record arrived. */
async function checkEndRecord(input: ByteWindow): Promise<void> {
  const tailBytes = END_OF_CENTRAL_DIRECTORY_BYTES + MAX_COMMENT_BYTES;
  while (await input.pull()) {
    if (input.length > 2 * tailBytes) input.consume(input.length - tailBytes);
  }
  const view = input.view();
  const end = view.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end === -1 || end + END_OF_CENTRAL_DIRECTORY_BYTES > view.length) {
    throw truncated(`in the central directory (no end record in the last ${view.length} bytes)`);
  }
}

/**
 * The unread bytes of the stream in one contiguous buffer, grown by doubling and compacted in
 * place, so appending chunks of any size costs O(n) overall (no Buffer.concat per chunk).
 */
class ByteWindow {
  private buffer = Buffer.allocUnsafeSlow(INITIAL_WINDOW_BYTES);
  private start = 0;
  private end = 0;
  /** Bytes of the stream consumed so far, for messages. */
  position = 0;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  get length(): number {
    return this.end - this.start;
  }

  /** The unread bytes; valid until the next pull, fill or transfer. */
  view(): Buffer {
    return this.buffer.subarray(this.start, this.end);
  }

  /** Appends the next chunk of the stream; false at its end. */
  async pull(): Promise<boolean> {
    const next = await this.source.next();
    if (next.done === true) return false;
    this.append(next.value);
    return true;
  }

  /** Pulls until `bytes` are unread; false if the stream ends first. */
  async fill(bytes: number): Promise<boolean> {
    while (this.length < bytes) if (!(await this.pull())) return false;
    return true;
  }

  consume(bytes: number): void {
    this.start += bytes;
    this.position += bytes;
    if (this.start === this.end) {
      this.start = this.end = 0;
      if (this.buffer.length > MAX_IDLE_WINDOW_BYTES) this.buffer = Buffer.allocUnsafeSlow(INITIAL_WINDOW_BYTES);
    }
  }

  /**
   * Moves the next `bytes` into `target` (or drops them when null) straight from the chunks, so
   * the data of an entry is never copied into the window; false if the stream ends first.
   */
  async transfer(bytes: number, target: Buffer | null): Promise<boolean> {
    const fromWindow = Math.min(bytes, this.length);
    if (target !== null) this.buffer.copy(target, 0, this.start, this.start + fromWindow);
    this.consume(fromWindow);
    for (let done = fromWindow; done < bytes; ) {
      const next = await this.source.next();
      if (next.done === true) return false;
      const take = Math.min(next.value.length, bytes - done);
      target?.set(next.value.subarray(0, take), done);
      done += take;
      this.position += take;
      if (take < next.value.length) this.append(next.value.subarray(take));
    }
    return true;
  }

  private append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buffer.length) {
      const length = this.length;
      if (length + chunk.length > this.buffer.length) {
        const grown = Buffer.allocUnsafeSlow(Math.max(2 * this.buffer.length, length + chunk.length));
        this.buffer.copy(grown, 0, this.start, this.end);
        this.buffer = grown;
      } else {
        this.buffer.copy(this.buffer, 0, this.start, this.end);
      }
      this.start = 0;
      this.end = length;
    }
    this.buffer.set(chunk, this.end);
    this.end += chunk.length;
  }
}

/** A copy with its own ArrayBuffer (transferable to a worker without dragging the window along). */
function ownCopy(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

function truncated(where: string): ZipFormatError {
  return new ZipFormatError(`truncated: the stream ended ${where}`);
}

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}
