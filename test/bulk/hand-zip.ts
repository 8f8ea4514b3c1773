import { crc32, deflateRawSync } from 'node:zlib';

/**
 * Archives built byte by byte for the layouts yazl never writes: a ZIP64 extra field in the local
 * header, data descriptors without their signature, encrypted entries, unknown methods. Only the
 * local headers are real; the central directory is one placeholder record and the end record.
 */

export interface HandEntry {
  name: string;
  data: Buffer;
  /** @default 8 (deflate) */
  method?: number;
  /** Extra general-purpose flags (bit 3 is set by `descriptor`). */
  flags?: number;
  /** Sizes as 0xFFFFFFFF in the header and the real ones in a ZIP64 extra field. */
  zip64Extra?: boolean;
  descriptor?: 'signed' | 'unsigned' | 'signed64' | 'unsigned64';
}

export function handZip(entries: HandEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const method = entry.method ?? 8;
    const compressed = method === 8 ? deflateRawSync(entry.data) : entry.data;
    const crc = crc32(entry.data);
    const name = Buffer.from(entry.name, 'utf8');
    const extra = entry.zip64Extra ? Buffer.alloc(20) : Buffer.alloc(0);
    if (entry.zip64Extra) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(16, 2);
      extra.writeBigUInt64LE(BigInt(entry.data.length), 4);
      extra.writeBigUInt64LE(BigInt(compressed.length), 12);
    }
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(45, 4);
    header.writeUInt16LE((entry.flags ?? 0) | (entry.descriptor ? 8 : 0) | 0x800, 6);
    header.writeUInt16LE(method, 8);
    if (!entry.descriptor) {
      header.writeUInt32LE(crc, 14);
      header.writeUInt32LE(entry.zip64Extra ? 0xffffffff : compressed.length, 18);
      header.writeUInt32LE(entry.zip64Extra ? 0xffffffff : entry.data.length, 22);
    }
    header.writeUInt16LE(name.length, 26);
    header.writeUInt16LE(extra.length, 28);
    parts.push(header, name, extra, compressed);
    if (entry.descriptor) parts.push(descriptor(entry.descriptor, crc, compressed.length, entry.data.length));
  }
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  return Buffer.concat([...parts, central, end]);
}

function descriptor(kind: NonNullable<HandEntry['descriptor']>, crc: number, compressedSize: number, size: number): Buffer {
  const wide = kind.endsWith('64');
  const fields = Buffer.alloc(wide ? 20 : 12);
  fields.writeUInt32LE(crc, 0);
  if (wide) {
    fields.writeBigUInt64LE(BigInt(compressedSize), 4);
    fields.writeBigUInt64LE(BigInt(size), 12);
  } else {
    fields.writeUInt32LE(compressedSize, 4);
    fields.writeUInt32LE(size, 8);
  }
  return kind.startsWith('signed') ? Buffer.concat([Buffer.from([0x50, 0x4b, 0x07, 0x08]), fields]) : fields;
}
