import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inflateZipEntry, readZipEntries } from '../../src/bulk/zip-stream.js';
import { writeZipArchive } from '../../dev/stand-in/write-archive.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs();
const ENTRY_BYTES = 64 * 1024;

async function* fileChunks(file: string): AsyncGenerator<Uint8Array> {
  yield readFileSync(file);
}

describe('writeZipArchive', () => {
  it.each([{ dataDescriptors: false }, { dataDescriptors: true }])('takes entries only as fast as they reach the file (dataDescriptors: $dataDescriptors)', async ({ dataDescriptors }) => {
    const file = path.join(tempDir('write-archive-'), 'archive.zip');
    const behind: number[] = [];
    function* entries(): Generator<{ name: string; data: Buffer }> {
      for (let i = 0; i < 300; i += 1) {
        // How many whole entries the file lacks of those handed over so far.
        const onDisk = existsSync(file) ? statSync(file).size : 0;
        behind.push(i - Math.floor(onDisk / ENTRY_BYTES));
        yield { name: `CIK${String(i).padStart(10, '0')}.json`, data: Buffer.alloc(ENTRY_BYTES, i % 256) };
      }
    }
    const bytes = await writeZipArchive(file, entries(), { compress: false, dataDescriptors });
    expect(bytes).toBe(statSync(file).size);
    // Unbounded, the writer would take all 300 before the first reached the disk.
    expect(Math.max(...behind)).toBeLessThan(12);
    let count = 0;
    for await (const entry of readZipEntries(fileChunks(file), () => true)) {
      expect(inflateZipEntry(entry).equals(Buffer.alloc(ENTRY_BYTES, count % 256))).toBe(true);
      count += 1;
    }
    expect(count).toBe(300);
  });

  it('fails instead of hanging when an entry cannot be produced', async () => {
    const file = path.join(tempDir('write-archive-'), 'archive.zip');
    async function* entries(): AsyncGenerator<{ name: string; data: Buffer }> {
      yield { name: 'a.json', data: Buffer.from('{}') };
      throw new Error('source failed');
    }
    await expect(writeZipArchive(file, entries())).rejects.toThrow('source failed');
  });
});
