import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { inflateZipEntry, readZipEntries, type ZipEntry } from '../../src/bulk/zip-stream.js';
import { ZipFormatError } from '../../src/errors.js';
import { writeZipArchive, type WriteZipOptions } from '../../dev/stand-in/write-archive.js';
import { tempDirs } from '../helpers/temp-dirs.js';
import { handZip } from './hand-zip.js';

const tempDir = tempDirs();

/** Deterministic bytes that deflate cannot shrink (deflate then keeps them verbatim in stored blocks). */
function noise(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

/** Company-like JSON of varied sizes, an empty entry and an incompressible one. */
function sampleEntries(): { name: string; data: Buffer }[] {
  const entries: { name: string; data: Buffer }[] = Array.from({ length: 12 }, (_, i) => ({
    name: `CIK${String(320193 + i).padStart(10, '0')}.json`,
    data: Buffer.from(JSON.stringify({ cik: 320193 + i, facts: Array.from({ length: i * 40 }, (_, j) => ({ fy: 2000 + (j % 25), val: j * i })) })),
  }));
  entries.push({ name: 'CIK0000000001.json', data: Buffer.alloc(0) });
  entries.push({ name: 'CIK0000000002-submissions-001.json', data: noise(70_000, 7) });
  return entries;
}

async function writeArchive(options: WriteZipOptions, entries = sampleEntries()): Promise<Buffer> {
  const file = path.join(tempDir('zip-stream-'), 'archive.zip');
  const bytes = await writeZipArchive(file, entries, options);
  const archive = readFileSync(file);
  expect(archive.length).toBe(bytes);
  return archive;
}

/** The archive as a stream cut into chunks of the given sizes, cycled. */
async function* chunked(archive: Buffer, sizes: number[] = [65_536]): AsyncGenerator<Uint8Array> {
  for (let at = 0, i = 0; at < archive.length; i += 1) {
    const size = sizes[i % sizes.length] as number;
    // Fresh memory per chunk, as a socket delivers it.
    yield Uint8Array.from(archive.subarray(at, at + size));
    at += size;
  }
}

async function collect(chunks: AsyncIterable<Uint8Array>, want: (name: string) => boolean = () => true): Promise<ZipEntry[]> {
  const entries: ZipEntry[] = [];
  for await (const entry of readZipEntries(chunks, want)) entries.push(entry);
  return entries;
}

/** Entries as name and base64 text: vitest compares strings fast and Buffers byte by byte. */
async function contents(chunks: AsyncIterable<Uint8Array>, want?: (name: string) => boolean): Promise<{ name: string; data: string }[]> {
  return texts((await collect(chunks, want)).map((entry) => ({ name: entry.name, data: inflateZipEntry(entry) })));
}

function texts(entries: { name: string; data: Buffer }[]): { name: string; data: string }[] {
  return entries.map((entry) => ({ name: entry.name, data: entry.data.toString('base64') }));
}

async function zipError(promise: Promise<unknown>): Promise<ZipFormatError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ZipFormatError);
    return error as ZipFormatError;
  }
  throw new Error('expected a ZipFormatError');
}

const VARIANTS: { label: string; options: WriteZipOptions; method: number }[] = [
  { label: 'deflated, sizes in the local headers', options: { compress: true }, method: 8 },
  { label: 'stored, sizes in the local headers', options: { compress: false }, method: 0 },
  { label: 'deflated, data descriptors', options: { compress: true, dataDescriptors: true }, method: 8 },
  { label: 'stored, data descriptors', options: { compress: false, dataDescriptors: true }, method: 0 },
  { label: 'deflated, forced ZIP64, sizes in the local headers', options: { compress: true, forceZip64: true }, method: 8 },
  { label: 'deflated, forced ZIP64, 8-byte data descriptors', options: { compress: true, dataDescriptors: true, forceZip64: true }, method: 8 },
];

describe('readZipEntries on yazl archives', () => {
  const archives = new Map<string, Buffer>();
  beforeAll(async () => {
    for (const variant of VARIANTS) archives.set(variant.label, await writeArchive(variant.options));
  });

  it.each(VARIANTS)('gives back every entry of an archive $label, in order and byte for byte', async ({ label, method }) => {
    const entries = await collect(chunked(archives.get(label) as Buffer));
    expect(entries.map((entry) => entry.name)).toEqual(sampleEntries().map((entry) => entry.name));
    expect(entries.map((entry) => entry.method)).toEqual(entries.map(() => method));
    expect(entries.map((entry) => inflateZipEntry(entry).toString('base64'))).toEqual(sampleEntries().map((entry) => entry.data.toString('base64')));
    for (const entry of entries) {
      // Transferable to a worker: the bytes are the whole of their own ArrayBuffer.
      expect(entry.compressed.byteOffset).toBe(0);
      expect(entry.compressed.buffer.byteLength).toBe(entry.compressedSize);
    }
  });

  it.each(VARIANTS)('reads an archive $label delivered one byte at a time', async ({ label }) => {
    expect(await contents(chunked(archives.get(label) as Buffer, [1]))).toEqual(texts(sampleEntries()));
  });

  it('reads every archive the same whatever the chunk boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...VARIANTS.map((variant) => variant.label)), fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 8 }), async (label, sizes) => {
        expect(await contents(chunked(archives.get(label) as Buffer, sizes))).toEqual(texts(sampleEntries()));
      }),
      { seed: 42, numRuns: 60 },
    );
  });

  it.each(VARIANTS)('yields only wanted entries of an archive $label, asking once per entry in order', async ({ label }) => {
    const asked: string[] = [];
    const wanted = (name: string): boolean => {
      asked.push(name);
      return name.endsWith('4.json') || name.includes('submissions');
    };
    const entries = await contents(chunked(archives.get(label) as Buffer, [777]), wanted);
    const expected = sampleEntries().filter((entry) => wanted(entry.name));
    expect(entries).toEqual(texts(expected));
    expect(asked.slice(0, sampleEntries().length)).toEqual(sampleEntries().map((entry) => entry.name));
  });

  it('skips a large unwanted data-descriptor entry in pieces and finds the entry after it', async () => {
    const big = noise(1_500_000, 3);
    const archive = await writeArchive({ compress: false, dataDescriptors: true }, [
      { name: 'skip.json', data: big },
      { name: 'keep.json', data: Buffer.from('{"kept":true}') },
    ]);
    expect(await contents(chunked(archive, [4096]), (name) => name === 'keep.json')).toEqual(texts([{ name: 'keep.json', data: Buffer.from('{"kept":true}') }]));
  });

  it('reads an empty archive as no entries, also in ZIP64 form', async () => {
    expect(await collect(chunked(await writeArchive({}, [])))).toEqual([]);
    expect(await collect(chunked(await writeArchive({ forceZip64: true }, [])))).toEqual([]);
  });

  it('closes the source when the reader stops early (the download releases its connection)', async () => {
    let closed = false;
    const archive = archives.get(VARIANTS[0]?.label as string) as Buffer;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        yield* chunked(archive, [100]);
      } finally {
        closed = true;
      }
    }
    for await (const entry of readZipEntries(source(), () => true)) {
      expect(entry.name).toBe(sampleEntries()[0]?.name);
      break;
    }
    expect(closed).toBe(true);
  });
});

describe('data descriptors that look like they end early', () => {
  /** A data descriptor inside the data: signature, CRC, a compressed size and a size. */
  function fakeDescriptor(compressedSize: number): Buffer {
    const bytes = Buffer.alloc(16);
    bytes.write('PK\x07\x08', 0, 'latin1');
    bytes.writeUInt32LE(0x12345678, 4);
    bytes.writeUInt32LE(compressedSize, 8);
    bytes.writeUInt32LE(compressedSize, 12);
    return bytes;
  }

  /** Traps for a scanner: a descriptor whose size matches its offset, and one followed by a local header signature. */
  function trapped(prefix: Buffer): Buffer {
    const second = Buffer.concat([prefix, fakeDescriptor(prefix.length), Buffer.from('more data ')]);
    return Buffer.concat([second, fakeDescriptor(7), Buffer.from('PK\x03\x04PK\x01\x02', 'latin1'), noise(300, 9)]);
  }

  it('does not cut a stored entry at a descriptor signature inside its data', async () => {
    const data = trapped(Buffer.from('{"a":"'));
    const archive = await writeArchive({ compress: false, dataDescriptors: true }, [
      { name: 'trap.json', data },
      { name: 'after.json', data: Buffer.from('{}') },
    ]);
    expect(await contents(chunked(archive, [5]))).toEqual(
      texts([
        { name: 'trap.json', data },
        { name: 'after.json', data: Buffer.from('{}') },
      ]),
    );
  });

  it('does not cut a deflated entry whose compressed bytes contain "PK\\x07\\x08"', async () => {
    // Incompressible data is kept verbatim in deflate's stored blocks, traps included.
    const data = trapped(noise(40_000, 5));
    const archive = await writeArchive({ compress: true, dataDescriptors: true }, [
      { name: 'trap.json', data },
      { name: 'after.json', data: Buffer.from('{}') },
    ]);
    const [entry] = await collect(chunked(archive, [333]));
    expect(entry?.method).toBe(8);
    expect(entry?.compressed.includes(Buffer.from('PK\x07\x08', 'latin1'))).toBe(true);
    expect(await contents(chunked(archive, [333]))).toEqual(
      texts([
        { name: 'trap.json', data },
        { name: 'after.json', data: Buffer.from('{}') },
      ]),
    );
  });
});

describe('readZipEntries on hand-built layouts', () => {
  const json = (i: number): Buffer => Buffer.from(JSON.stringify({ entry: i, pad: 'x'.repeat(i * 100) }));

  it('takes the sizes from a ZIP64 extra field in the local header', async () => {
    const archive = handZip([
      { name: 'a.json', data: json(1), zip64Extra: true },
      { name: 'b.json', data: json(2), method: 0, zip64Extra: true },
    ]);
    expect(await contents(chunked(archive, [3]))).toEqual(
      texts([
        { name: 'a.json', data: json(1) },
        { name: 'b.json', data: json(2) },
      ]),
    );
  });

  it.each(['unsigned', 'unsigned64', 'signed', 'signed64'] as const)('finds the end of entries with %s data descriptors', async (descriptor) => {
    const entries = [1, 2, 3].map((i) => ({ name: `${i}.json`, data: json(i) }));
    const archive = handZip([...entries.map((entry) => ({ ...entry, descriptor })), { name: 'empty.json', data: Buffer.alloc(0), method: 0, descriptor }]);
    expect(await contents(chunked(archive, [2]))).toEqual(texts([...entries, { name: 'empty.json', data: Buffer.alloc(0) }]));
  });

  it('refuses an encrypted entry, naming it', async () => {
    const error = await zipError(collect(chunked(handZip([{ name: 'secret.json', data: json(1), flags: 1 }]))));
    expect(error.message).toBe('secret.json: encrypted entries are not supported');
  });

  it('refuses an unknown compression method, naming the entry', async () => {
    const error = await zipError(collect(chunked(handZip([{ name: 'bz.json', data: json(1), method: 12 }]))));
    expect(error.message).toBe('bz.json: unsupported compression method 12');
  });

  it('refuses bytes that are not a local file header', async () => {
    const error = await zipError(collect(chunked(Buffer.from('<html>Service Unavailable</html>'))));
    expect(error.message).toContain('expected a local file header at byte 0');
  });
});

describe('truncated and corrupted archives', () => {
  it('reports a stream cut anywhere as truncated, never as a clean end', async () => {
    const known = await writeArchive({ compress: true }, sampleEntries().slice(0, 3));
    const described = await writeArchive({ compress: true, dataDescriptors: true }, sampleEntries().slice(0, 3));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(known, described), fc.double({ min: 0, max: 1, noNaN: true }), async (archive, fraction) => {
        // Anywhere before the end record's last byte.
        const cut = Math.floor(fraction * (archive.length - 1));
        const error = await zipError(collect(chunked(archive.subarray(0, cut), [1000])));
        expect(error.message).toMatch(/^truncated: /);
      }),
      { seed: 42, numRuns: 40 },
    );
  });

  it('names the entry a stream was cut inside', async () => {
    const archive = await writeArchive({ compress: true }, [{ name: 'CIK0000320193.json', data: noise(10_000, 1) }]);
    const error = await zipError(collect(chunked(archive.subarray(0, 5000))));
    expect(error.message).toBe('truncated: the stream ended inside entry CIK0000320193.json');
  });

  it('rejects a corrupted CRC-32 when inflating, naming the entry', async () => {
    const archive = Buffer.from(await writeArchive({ compress: true }, [{ name: 'CIK0000320193.json', data: Buffer.from('{"a":1}') }]));
    archive.writeUInt32LE(archive.readUInt32LE(14) ^ 1, 14);
    const [entry] = await collect(chunked(archive));
    expect(() => inflateZipEntry(entry as ZipEntry)).toThrow(/^CIK0000320193\.json: CRC-32 mismatch/);
  });

  it('rejects corrupted deflate data and a wrong uncompressed size', async () => {
    const [entry] = await collect(chunked(await writeArchive({ compress: true }, [{ name: 'a.json', data: Buffer.from('{"a":"'.padEnd(5000, 'x') + '"}') }])));
    const good = entry as ZipEntry;
    expect(inflateZipEntry(good).length).toBe(5002);
    const garbled = Buffer.from(good.compressed);
    garbled.fill(0xff, 0, 4);
    expect(() => inflateZipEntry({ ...good, compressed: garbled })).toThrow(/^a\.json: cannot inflate/);
    expect(() => inflateZipEntry({ ...good, uncompressedSize: 5001 })).toThrow(ZipFormatError);
    expect(() => inflateZipEntry({ ...good, uncompressedSize: 5003 })).toThrow(/inflated to 5002 bytes where the archive records 5003/);
  });
});
