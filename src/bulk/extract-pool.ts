import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CompanyFactsExtract, FilingRow } from '../extract/types.js';
import type { SubmissionsExtract } from '../extract/submissions.js';
import type { ZipEntry } from './zip-stream.js';

/** What a worker is asked to do with one archive entry. */
export interface ExtractRequest {
  id: number;
  kind: 'facts' | 'submissions' | 'page';
  cik: number;
  /** The entry's header fields; its compressed bytes travel separately, transferred, not copied. */
  entry: Omit<ZipEntry, 'compressed'>;
  compressed: ArrayBuffer;
}

export type ExtractResult = { kind: 'facts'; facts: CompanyFactsExtract } | { kind: 'submissions'; submissions: SubmissionsExtract } | { kind: 'page'; filings: FilingRow[] };

export type ExtractResponse = { id: number; result: ExtractResult; error?: undefined } | { id: number; error: string; result?: undefined };

/** One worker per core, at most four: parsing is the CPU-bound part, and the main thread writes. */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/**
 * The built worker script. Tests run the TypeScript sources, whose worker cannot be loaded as is;
 * they use the build in dist/ (`npm test` builds first).
 */
function workerUrl(): URL {
  const here = new URL('./extract-worker.js', import.meta.url);
  return fileURLToPath(import.meta.url).endsWith('.ts') ? new URL('../../dist/bulk/extract-worker.js', import.meta.url) : here;
}

/**
 * Worker threads that extract archive entries. `run` resolves with the entry's rows; at most
 * `2 × size` entries are in flight (`ready` waits for room), so a fast download cannot pile up
 * compressed entries in memory while the workers parse.
 */
/**
 * A worker's young generation kept small: its garbage is each body's short-lived objects, and V8's
 * default (a 16 MB semi-space per isolate, grown under a high allocation rate) let the two workers
 * add ~100 MB of peak RSS on a real-sized first load (bench/README.md). The old generation keeps
 * V8's default limit.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 };

export class ExtractPool {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private readonly pending = new Map<number, { resolve: (result: ExtractResult) => void; reject: (error: Error) => void; worker: { busy: number } }>();
  private readonly waiting: (() => void)[] = [];
  private nextId = 0;
  /** Set when a worker crashed: the pool takes no more work. */
  failure: Error | null = null;

  constructor(readonly size = defaultWorkerCount()) {
    for (let index = 0; index < size; index += 1) {
      const slot = { worker: new Worker(workerUrl(), { resourceLimits: WORKER_LIMITS }), busy: 0 };
      slot.worker.on('message', (response: ExtractResponse) => this.settle(response));
      slot.worker.on('error', (error) => this.fail(error));
      slot.worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`an extraction worker exited with code ${code}`));
      });
      this.workers.push(slot);
    }
  }

  /** Resolves when another entry may be handed over. */
  async ready(): Promise<void> {
    while (this.pending.size >= this.size * 2 && this.failure === null) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.failure !== null) throw this.failure;
  }

  run(kind: ExtractRequest['kind'], cik: number, entry: ZipEntry): Promise<ExtractResult> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const slot = this.workers.reduce((least, candidate) => (candidate.busy < least.busy ? candidate : least));
    const id = this.nextId++;
    const { compressed, ...header } = entry;
    // Transfer the bytes when they own their memory; a slice of a larger buffer is copied first.
    const owned = compressed.byteOffset === 0 && compressed.byteLength === compressed.buffer.byteLength ? compressed : Buffer.from(compressed);
    const buffer = owned.buffer as ArrayBuffer;
    const request: ExtractRequest = { id, kind, cik, entry: header, compressed: buffer };
    slot.busy += 1;
    return new Promise<ExtractResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: slot });
      slot.worker.postMessage(request, [buffer]);
    });
  }

  /** Waits for every entry handed over. */
  async drain(): Promise<void> {
    while (this.pending.size > 0 && this.failure === null) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((slot) => slot.worker.terminate()));
  }

  private settle(response: ExtractResponse): void {
    const pending = this.pending.get(response.id);
    if (pending === undefined) return;
    this.pending.delete(response.id);
    pending.worker.busy -= 1;
    if (response.error !== undefined) pending.reject(new Error(response.error));
    else pending.resolve(response.result);
    this.wake();
  }

  /** A worker crashed (out of memory, a bug): every entry in flight fails, and so does the pool. */
  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.wake();
  }

  private wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}
