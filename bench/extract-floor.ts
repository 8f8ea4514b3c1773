import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { readZipEntries, type ZipEntry } from '../src/bulk/zip-stream.js';
import type { ExtractPool } from '../src/bulk/extract-pool.js';
import { writeZipArchive } from '../dev/stand-in/write-archive.js';
import type { FloorRequest } from './extract-floor-worker.js';

/*
 * `node dist-dev/bench/extract-floor.js [--bodies 2000] [--workers 2] [--rounds 2] [--before DIR]`
 *
 * Bulk extraction of real companyfacts bodies against its floor. The real bodies of
 * test/fixtures/sec and sec/classes are copied, each under another CIK, into a companyfacts.zip of
 * `--bodies` entries in $TMPDIR (written once, reused). On that archive, with `--workers` worker
 * threads reading from the same streaming zip reader as the product:
 *   inflate   each entry inflated (and CRC-checked), nothing else;
 *   parse     inflated and given whole to JSON.parse: the floor, the least a full read costs;
 *   extract   the product's own bulk extraction (ExtractPool of dist/: inflate, decode, rows);
 *   before    the same, from another build (`--before DIR`, a checkout with dist/ built).
 * Each is a child process of its own (its own JIT, heap and peak RSS), the rounds interleaved;
 * each figure is the least over the rounds. Extraction ÷ floor is extract's wall time over parse's,
 * and its CPU time (main thread and workers) over parse's: on a machine shared with other work the
 * CPU ratio is the steadier. The rows of `extract` and `before` are hashed: the same hash means the
 * same rows.
 */

type Mode = 'inflate' | 'parse' | 'extract' | 'before';

interface Figures {
  wallS: number;
  cpuS: number;
  peakRssMb: number;
  entries: number;
  jsonMb: number;
  digest: string;
}

const SEC_FIXTURES = new URL('../../test/fixtures/sec/', import.meta.url);
const THIS_BUILD = fileURLToPath(new URL('../../', import.meta.url));

function option(args: readonly string[], name: string, fallback: string): string {
  const at = args.indexOf(name);
  return at >= 0 ? (args[at + 1] ?? fallback) : fallback;
}

/** The real companyfacts bodies of the fixtures, uncompressed. */
function realBodies(): Buffer[] {
  return ['', 'classes/'].flatMap((folder) =>
    readdirSync(new URL(folder, SEC_FIXTURES))
      .filter((name) => name.startsWith('companyfacts_') && name.endsWith('.json.gz'))
      .map((name) => gunzipSync(readFileSync(new URL(`${folder}${name}`, SEC_FIXTURES)))),
  );
}

/** The archive of `count` entries: real body `i % n` under CIK 9,000,000 + i (in the entry's name and its `cik`). */
async function ensureArchive(count: number): Promise<string> {
  const file = join(tmpdir(), `extract-floor-${count}.zip`);
  if (existsSync(file)) return file;
  const bodies = realBodies();
  function* entries(): Generator<{ name: string; data: Buffer }> {
    for (let i = 0; i < count; i += 1) {
      const body = bodies[i % bodies.length] as Buffer;
      const cik = 9_000_000 + i;
      const head = body.subarray(0, 64).toString('latin1');
      const renamed = head.replace(/^\{"cik":"?\d+"?/, `{"cik":${cik}`);
      yield { name: `CIK${String(cik).padStart(10, '0')}.json`, data: Buffer.concat([Buffer.from(renamed, 'latin1'), body.subarray(64)]) };
    }
  }
  const bytes = await writeZipArchive(`${file}.part`, entries());
  renameSync(`${file}.part`, file);
  process.stderr.write(`wrote ${file}: ${count} entries, ${(bytes / 1e6).toFixed(0)} MB\n`);
  return file;
}

/** Worker threads that inflate (and parse) entries: the floor, with ExtractPool's hand-over (bytes transferred, 2 × size in flight). */
class FloorPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, () => void>();
  private readonly waiting: (() => void)[] = [];
  private nextId = 0;

  constructor(
    size: number,
    private readonly parse: boolean,
  ) {
    for (let i = 0; i < size; i += 1) {
      const worker = new Worker(new URL('./extract-floor-worker.js', import.meta.url));
      worker.on('message', ({ id }: { id: number }) => {
        this.pending.get(id)?.();
        this.pending.delete(id);
        for (const wake of this.waiting.splice(0)) wake();
      });
      this.workers.push(worker);
    }
  }

  async ready(): Promise<void> {
    while (this.pending.size >= this.workers.length * 2) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  run(entry: ZipEntry): Promise<void> {
    const id = this.nextId++;
    const { compressed, ...header } = entry;
    const request: FloorRequest = { id, parse: this.parse, entry: header, compressed: compressed.buffer as ArrayBuffer };
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      (this.workers[id % this.workers.length] as Worker).postMessage(request, [request.compressed]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

/** One mode over the whole archive, in this process (a child of the main one). */
async function measure(mode: Mode, archive: string, workers: number, build: string): Promise<Figures> {
  // ru_maxrss survives exec (it would be the parent's): the peak is sampled instead.
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const extracting = mode === 'extract' || mode === 'before';
  const pool = extracting ? new ((await import(join(build, 'dist/bulk/extract-pool.js'))) as { ExtractPool: typeof ExtractPool }).ExtractPool(workers) : new FloorPool(workers, mode === 'parse');
  const results: unknown[] = [];
  const runs: Promise<void>[] = [];
  let jsonBytes = 0;
  for await (const entry of readZipEntries(createReadStream(archive, { highWaterMark: 1024 * 1024 }), (name) => name.endsWith('.json'))) {
    await pool.ready();
    const index = results.push(null) - 1;
    jsonBytes += entry.uncompressedSize;
    if (pool instanceof FloorPool) runs.push(pool.run(entry));
    else runs.push(pool.run('facts', 9_000_000 + index, entry).then((result) => void (results[index] = result)));
  }
  await Promise.all(runs);
  const wallS = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  clearInterval(sampler);
  await pool.close();
  // Hashed after the clock stopped: the floor modes have no rows to hash.
  const digest = createHash('sha256');
  for (const result of results) digest.update(JSON.stringify(result));
  const figures = { wallS, cpuS: (used.user + used.system) / 1e6, peakRssMb: peakRss / 1024 / 1024, entries: results.length, jsonMb: jsonBytes / 1e6 };
  return { ...figures, digest: extracting ? digest.digest('hex').slice(0, 12) : '-' };
}

function runChild(mode: Mode, archive: string, workers: number, build: string): Figures {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, '--archive', archive, '--workers', String(workers), '--build', build], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out) as Figures;
}

async function main(args: readonly string[]): Promise<void> {
  const workers = Number(option(args, '--workers', '2'));
  if (args.includes('--child')) {
    const figures = await measure(option(args, '--child', 'parse') as Mode, option(args, '--archive', ''), workers, option(args, '--build', THIS_BUILD));
    process.stdout.write(JSON.stringify(figures));
    return;
  }
  const archive = await ensureArchive(Number(option(args, '--bodies', '2000')));
  const before = option(args, '--before', '');
  const modes: Mode[] = ['inflate', 'parse', 'extract', ...(before === '' ? [] : (['before'] as const))];
  const runs = new Map<Mode, Figures[]>(modes.map((mode) => [mode, []]));
  for (let round = 0; round < Number(option(args, '--rounds', '2')); round += 1) {
    for (const mode of modes) {
      const figures = runChild(mode, archive, workers, mode === 'before' ? before : THIS_BUILD);
      process.stderr.write(`round ${round + 1} ${mode}: ${figures.wallS.toFixed(1)} s wall, ${figures.cpuS.toFixed(1)} s CPU, ${figures.peakRssMb.toFixed(0)} MB peak RSS, rows ${figures.digest}\n`);
      runs.get(mode)?.push(figures);
    }
  }
  // Each figure the least over the rounds: what other work on the machine added is the noise.
  const least = (mode: Mode, of: (figures: Figures) => number): number => Math.min(...(runs.get(mode) ?? []).map(of));
  const [floorWall, floorCpu] = [least('parse', (f) => f.wallS), least('parse', (f) => f.cpuS)];
  const inflated = runs.get('inflate') ?? [];
  const [entries, jsonMb] = [inflated[0]?.entries ?? 0, inflated[0]?.jsonMb ?? 0];
  process.stdout.write(`${entries} entries, ${jsonMb.toFixed(0)} MB of JSON, ${workers} workers, least of ${inflated.length} rounds\n`);
  process.stdout.write('| | wall, s | CPU, s | peak RSS, MB | ÷ floor, wall | ÷ floor, CPU | rows |\n|---|---|---|---|---|---|---|\n');
  for (const mode of modes) {
    const [wall, cpu, rss] = [least(mode, (f) => f.wallS), least(mode, (f) => f.cpuS), least(mode, (f) => f.peakRssMb)];
    const digests = [...new Set(runs.get(mode)?.map((f) => f.digest))].join(', ');
    process.stdout.write(`| ${mode} | ${wall.toFixed(1)} | ${cpu.toFixed(1)} | ${rss.toFixed(0)} | ${(wall / floorWall).toFixed(2)} | ${(cpu / floorCpu).toFixed(2)} | ${digests} |\n`);
  }
}

await main(process.argv.slice(2));
