import { ZipFormatError } from '../errors.js';
import type { ByteWindow } from './byte-window.js';

/*
 * The records of a ZIP archive as they come in the stream: local file headers (with their ZIP64
 * extra field), data descriptors and the end of the central directory.
 */

export const LOCAL_HEADER = 0x04034b50;
export const CENTRAL_HEADER = 0x02014b50;
export const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
export const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
const DATA_DESCRIPTOR = 0x08074b50;
const LOCAL_HEADER_BYTES = 30;
const END_OF_CENTRAL_DIRECTORY_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;
const ZIP64_EXTRA_ID = 0x0001;
const SIZE_IN_ZIP64_EXTRA = 0xffffffff;
const FLAG_ENCRYPTED = 1 << 0;
const FLAG_DATA_DESCRIPTOR = 1 << 3;
const FLAG_UTF8_NAME = 1 << 11;
export const STORED = 0;
export const DEFLATED = 8;
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

export interface LocalHeader {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Bit 3: sizes and CRC come in a data descriptor after the data. */
  descriptor: boolean;
}

/** Reads the local file header at the window's start (its sizes from the ZIP64 extra field when they overflow) and consumes it. */
export async function readLocalHeader(input: ByteWindow): Promise<LocalHeader> {
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
  for (let offset = 0; offset + 4 <= extras.length;) {
    const size = extras.readUInt16LE(offset + 2);
    if (extras.readUInt16LE(offset) === id) return extras.subarray(offset + 4, Math.min(extras.length, offset + 4 + size));
    offset += 4 + size;
  }
  return null;
}

export interface Descriptor {
  dataBytes: number;
  descriptorBytes: number;
  crc32: number;
  uncompressedSize: number;
}

/** The first data descriptor in `view` (from `from` on) that is followed by a record signature and counts the bytes before it. */
export function findDescriptor(view: Buffer, from: number, dropped: number): Descriptor | null {
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
export async function checkEndRecord(input: ByteWindow): Promise<void> {
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

export function truncated(where: string): ZipFormatError {
  return new ZipFormatError(`truncated: the stream ended ${where}`);
}
