import { ExtractPool, type ExtractResult } from '../bulk/extract-pool.js';
import { openArchive, type ArchiveDownload } from '../bulk/download.js';
import { readZipEntries } from '../bulk/zip-stream.js';
import type { StockStore, StockUpdate } from '../db/stock-store.js';
import { ArchiveUnavailableError, FatalSourceError, SourceError } from '../errors.js';
import type { FilingRow, SplitEvent } from '../extract/types.js';
import type { UniverseEntry } from '../extract/universe.js';
import type { SecSource } from '../sources/sec.js';
import { fetchLatestSections, type CompanyData } from './company-data.js';
import { countOutcomes, type Outcome, type OutcomeCounts } from './outcome.js';
import type { PriceBook } from './prices.js';
import { mergeSplits } from '../extract/split-adjust.js';
import { buildUpdate, saveUpdate, showsNewSplit } from './process-stock.js';
import { plural } from '../util/text.js';

/*
 * The rebuild from SEC's nightly bulk archives: two downloads instead of two requests per company.
 * companyfacts.zip and submissions.zip are read as they stream (zip-stream.ts), the entries of the
 * universe's companies are extracted in worker threads by the same code a per-company night uses,
 * and each company's rows are written with the same update builder and store, one transaction per
 * stock and archive. Prices come from spark meanwhile, in batches of 20 symbols.
 */

/** The archives, in the order they are read. */
export const BULK_ARCHIVES = [
  { name: 'companyfacts.zip', path: 'Archives/edgar/daily-index/xbrl/companyfacts.zip', kind: 'facts' },
  { name: 'submissions.zip', path: 'Archives/edgar/daily-index/bulkdata/submissions.zip', kind: 'submissions' },
] as const;

/** What the report says of one archive. */
export interface ArchiveFigures {
  name: string;
  bytes: number;
  total_bytes: number | null;
  resumes: number;
  /** Entries of the universe's companies extracted and stored. */
  entries_used: number;
  seconds: number;
  /** Why the archive was not read to its end (the companies not reached are refreshed per company). */
  error: string | null;
}

/** How a bulk rebuild went, for the report. */
export interface BulkFigures {
  reason: string;
  archives: ArchiveFigures[];
  extraction_seconds: number;
  /** Stocks refreshed one by one because an archive did not reach their company, or was not published. */
  fallback_stocks: number;
  note: string | null;
}

export interface BulkInput {
  entries: UniverseEntry[];
  sec: SecSource;
  prices: PriceBook | null;
  store: StockStore;
  storedSplits: Map<string, SplitEvent[]>;
  now: () => Date;
  signal?: AbortSignal;
  deadline: Date | null;
  /** processing.fetch_filing_sections: the accessions whose sections are stored already. */
  sections?: { has: (accession: string) => boolean } | null;
  onProgress?: (message: string) => void;
  /** Called once, when the outcomes are known, before the first onStockDone. */
  onOutcomes?: () => void;
  onStockDone?: (outcome: Outcome, progress: { done: number; total: number; counts: OutcomeCounts }) => void;
}

export interface BulkResult {
  /** Outcomes of the stocks the rebuild finished. */
  outcomes: Map<string, Outcome>;
  /** Stocks whose company an archive did not reach (it failed): to be refreshed per company. */
  fallback: UniverseEntry[];
  archives: ArchiveFigures[];
  /** Seconds from the first archive's first byte to the last entry stored. */
  extraction_seconds: number;
  abortReason: string | null;
  budgetExhausted: boolean;
}

const PRICE_WINDOW = 100;
const PROGRESS_EVERY_MS = 10_000;

export async function runBulk(input: BulkInput): Promise<BulkResult> {
  const { entries, sec, store } = input;
  const listings = new Map<number, UniverseEntry[]>();
  for (const entry of entries) {
    if (entry.cik === null) continue;
    const list = listings.get(entry.cik) ?? [];
    list.push(entry);
    listings.set(entry.cik, list);
  }
  const state = { abortReason: null as string | null, budgetExhausted: false };
  const stopped = (): boolean => {
    if (input.deadline !== null && !state.budgetExhausted && input.now() >= input.deadline) state.budgetExhausted = true;
    return state.abortReason !== null || input.signal?.aborted === true || state.budgetExhausted;
  };
  // Ends a download at once on SIGINT/SIGTERM or when the time budget runs out (not only between entries).
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  input.signal?.addEventListener('abort', onSignal, { once: true });
  const budgetTimer = input.deadline === null ? undefined : setTimeout(onSignal, Math.max(0, input.deadline.getTime() - input.now().getTime()));
  try {
    return await rebuild();
  } finally {
    clearTimeout(budgetTimer);
    input.signal?.removeEventListener('abort', onSignal);
  }

  async function rebuild(): Promise<BulkResult> {
    const failures = new Map<string, Outcome>();
    const secSeen = new Map<number, Set<'facts' | 'submissions'>>();
    const priceParts = new Map<string, { kind: 'data' } | { kind: 'no_data'; reason: string } | { kind: 'error'; error: SourceError }>();
    /** Each company's periodic filings from submissions.zip, kept only when 10-K sections are wanted. */
    const filingsForSections = new Map<number, FilingRow[]>();
    /** Symbols whose filings show a split no stored split accounts for, with the splits inferred. */
    const needsSplitChart = new Map<string, SplitEvent[]>();
    /** One transaction; a storage failure is the stock's, a full disk aborts the run. */
    const write = (update: StockUpdate): void => {
      try {
        const failure = saveUpdate(store, update, input.now());
        if (failure !== null) failures.set(update.symbol, failure);
      } catch (error) {
        if (!(error instanceof FatalSourceError)) throw error;
        state.abortReason ??= error.message;
      }
    };
    const save = (entry: UniverseEntry, company: Partial<CompanyData> | undefined, primary: boolean, price?: Parameters<typeof buildUpdate>[2]): void =>
      write(buildUpdate(entry, company, price, primary, input.storedSplits.get(entry.symbol)));

    // The first archive is opened before any price is asked for: without it the night goes per company.
    const first = BULK_ARCHIVES[0];
    let firstDownload: ArchiveDownload | null;
    try {
      firstDownload = await open(sec, first.path, stop.signal);
    } catch (error) {
      if (!(error instanceof SourceError) || error.fatal) throw error;
      throw new ArchiveUnavailableError(`${first.name} cannot be had (${error.message})`);
    }
    if (firstDownload === null) throw new ArchiveUnavailableError(`${first.name} is not published (HTTP 404)`);

    const pricesDone = input.prices === null ? Promise.resolve() : runPrices(input.prices);
    const pool = new ExtractPool();
    const archives: ArchiveFigures[] = [];
    const started = performance.now();
    /** Archives read to their end; and those that broke off, with why (their unreached companies go per company). */
    const complete = new Set<'facts' | 'submissions'>();
    const broken = new Map<'facts' | 'submissions', string>();
    /** Companies whose entry could not be read (CRC, inflate, JSON): refreshed per company. */
    const unreadable = new Set<number>();
    try {
      for (const archive of BULK_ARCHIVES) {
        if (stopped()) break;
        const figures: ArchiveFigures = { name: archive.name, bytes: 0, total_bytes: null, resumes: 0, entries_used: 0, seconds: 0, error: null };
        archives.push(figures);
        const archiveStarted = performance.now();
        let download: ArchiveDownload | null = null;
        try {
          // A crashed extraction worker fails the pool: the next archive is not downloaded for nothing.
          if (pool.failure !== null) throw pool.failure;
          download = archive === first ? firstDownload : await open(sec, archive.path, stop.signal);
          if (download === null) throw new SourceError('http_4xx', `${archive.name} is not published (HTTP 404)`, { status: 404 });
          figures.total_bytes = download.totalBytes;
          await readArchive(archive.kind, download, figures);
          if (!stopped()) complete.add(archive.kind);
        } catch (error) {
          if (error instanceof SourceError && error.fatal) {
            // SEC refuses us (403): the run aborts; what is stored stays, nothing more is asked.
            figures.error = error.message;
            state.abortReason ??= error.message;
            break;
          }
          // A download ended by a stop is not broken: its unreached companies are simply not started.
          if (!stopped()) {
            figures.error = (error as Error).message;
            broken.set(archive.kind, figures.error);
            input.onProgress?.(`${archive.name}: ${figures.error}; the companies it did not reach are refreshed one by one`);
          }
        } finally {
          figures.bytes = download?.received() ?? 0;
          figures.resumes = download?.resumes() ?? 0;
          figures.seconds = Math.round((performance.now() - archiveStarted) / 100) / 10;
        }
      }
      await pool.drain();
    } finally {
      await pool.close();
    }
    const extractionSeconds = Math.round((performance.now() - started) / 100) / 10;
    await pricesDone;
    if (input.prices !== null && !stopped()) await splitCharts(input.prices);
    if (input.sections && !stopped()) await fetchSections(input.sections);
    input.prices?.close();

    // Outcomes: a stock whose company an archive did not reach goes to the per-company fallback.
    const outcomes = new Map<string, Outcome>();
    const fallback: UniverseEntry[] = [];
    const counts = () => countOutcomes(outcomes.values());
    input.onOutcomes?.();
    for (const entry of entries) {
      const seen = entry.cik === null ? undefined : secSeen.get(entry.cik);
      const price = priceParts.get(entry.symbol);
      if (entry.cik !== null) {
        const missedBy = BULK_ARCHIVES.filter((archive) => !complete.has(archive.kind) && seen?.has(archive.kind) !== true);
        // An archive that broke off, or an entry that could not be read: this company goes per company.
        if (state.abortReason === null && (unreadable.has(entry.cik) || missedBy.some((archive) => broken.has(archive.kind)))) {
          fallback.push(entry);
          continue;
        }
        // The run stopped before an archive reached this company: not started (its price may be stored).
        if (missedBy.length > 0 && !failures.has(entry.symbol)) continue;
      } else if (price === undefined && stopped()) {
        continue;
      }
      const outcome = outcomeOf(entry, seen, price);
      outcomes.set(entry.symbol, outcome);
      input.onStockDone?.(outcome, { done: outcomes.size, total: entries.length, counts: counts() });
    }
    return { outcomes, fallback, archives, extraction_seconds: extractionSeconds, abortReason: state.abortReason, budgetExhausted: state.budgetExhausted };

    async function readArchive(kind: 'facts' | 'submissions', download: ArchiveDownload, figures: ArchiveFigures): Promise<void> {
      let lastProgress = performance.now();
      const want = (name: string): boolean => {
        const cik = cikOfEntry(name);
        return cik !== null && listings.has(cik.cik);
      };
      const stores: Promise<void>[] = [];
      for await (const entry of readZipEntries(download.chunks, want)) {
        if (stopped()) break;
        const parsed = cikOfEntry(entry.name);
        if (parsed === null) continue;
        await pool.ready();
        const task = kind === 'facts' ? 'facts' : parsed.page ? 'page' : 'submissions';
        const stored = pool.run(task, parsed.cik, entry).then(
          (result) => {
            storeResult(parsed.cik, result);
            figures.entries_used += 1;
          },
          (error: unknown) => {
            // One unreadable entry is that company's trouble, not the archive's: it is asked for on its own.
            unreadable.add(parsed.cik);
            input.onProgress?.(`${entry.name}: ${(error as Error).message}; asked for on its own`);
          },
        );
        stores.push(stored);
        if (stores.length > 64) await Promise.all(stores.splice(0, 32));
        if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
          lastProgress = performance.now();
          const total = download.totalBytes;
          input.onProgress?.(`${figures.name}: ${mb(download.received())}${total === null ? '' : ` of ${mb(total)}`} MB, ${plural(figures.entries_used, 'company', 'companies')} stored`);
        }
      }
      await Promise.all(stores);
    }

    function storeResult(cik: number, result: ExtractResult): void {
      const list = listings.get(cik) ?? [];
      const seen = secSeen.get(cik) ?? new Set();
      secSeen.set(cik, seen);
      for (const [index, entry] of list.entries()) {
        const primary = index === 0;
        if (result.kind === 'facts') {
          seen.add('facts');
          if (showsNewSplit(result.facts, input.storedSplits.get(entry.symbol) ?? [])) needsSplitChart.set(entry.symbol, result.facts.splits);
          save(entry, { facts: result.facts, fundamentalsRefreshed: true }, primary);
        } else if (result.kind === 'submissions') {
          seen.add('submissions');
          const { profile, filings } = result.submissions;
        if (primary && input.sections) filingsForSections.set(cik, filings.filter((filing) => filing.form === '10-K').slice(0, 1));
          save(entry, { profile, filings, latestAccession: filings[0]?.accession_number ?? null, fundamentalsRefreshed: true }, primary);
        } else if (primary && result.filings.length > 0) {
          save(entry, { filings: result.filings }, true);
        }
      }
    }

    async function runPrices(prices: PriceBook): Promise<void> {
      let lastProgress = performance.now();
      for (const [index, entry] of entries.entries()) {
        if (stopped()) return;
        if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
          lastProgress = performance.now();
          input.onProgress?.(`prices: ${index} of ${plural(entries.length, 'symbol', 'symbols')} stored`);
        }
        if (index % PRICE_WINDOW === 0) prices.prefetch(entries.slice(index, index + 2 * PRICE_WINDOW).map((e) => e.symbol));
        try {
          const answer = await prices.get(entry.symbol);
          priceParts.set(entry.symbol, answer.kind === 'data' ? { kind: 'data' } : answer);
          if (answer.kind === 'data') save(entry, undefined, false, { quote: answer.quote, closes: answer.closes });
        } catch (error) {
          if (!(error instanceof SourceError) || !error.fatal) throw error;
          state.abortReason ??= error.message;
        }
      }
    }

    /**
     * The latest 10-K's Items 1, 1A, 7, 7A for each company, as a per-company night fetches them
     * (once per 10-K): the archives carry no filing documents. Four at a time under SEC's ceiling.
     */
    async function fetchSections(stored: { has: (accession: string) => boolean }): Promise<void> {
      const queue = [...filingsForSections];
      const worker = async (): Promise<void> => {
        for (let next = queue.shift(); next !== undefined && !stopped(); next = queue.shift()) {
          const [cik, filings] = next;
          const owner = listings.get(cik)?.[0];
          if (owner === undefined) continue;
          let found: Awaited<ReturnType<typeof fetchLatestSections>>;
          try {
            found = await fetchLatestSections(sec, cik, filings, stored);
          } catch (error) {
            // Only a fatal error (SEC 403) gets here: the run aborts.
            state.abortReason ??= (error as Error).message;
            return;
          }
          if (found.sections !== undefined) save(owner, { sections: found.sections }, true);
          if (found.sectionsError !== undefined) {
            const error = found.sectionsError;
            failures.set(owner.symbol, { status: 'failed', symbol: owner.symbol, errorType: error.type, message: `sec: ${error.message}`, attempts: error.attempts, source: 'sec' });
          }
        }
      };
      await Promise.all(Array.from({ length: 4 }, worker));
    }

    /**
     * Where the filings show a split no stored split accounts for, Yahoo's chart dates and sizes it;
     * the stock's stored per-share values are adjusted again with it in the same transaction.
     */
    async function splitCharts(prices: PriceBook): Promise<void> {
      for (const entry of entries) {
        const inferred = needsSplitChart.get(entry.symbol);
        if (inferred === undefined || stopped()) continue;
        let answer: Awaited<ReturnType<PriceBook['chartQuote']>>;
        try {
          answer = await prices.chartQuote(entry.symbol);
        } catch (error) {
          state.abortReason ??= (error as Error).message;
          return;
        }
        if (answer.kind !== 'data' || answer.quote.splits.length === 0) continue;
        // Only the splits: the price stays spark's, as on a per-company night.
        write({ symbol: entry.symbol, cik: entry.cik, name: entry.name, exchange: entry.exchange, fundamentalsRefreshed: false, splits: mergeSplits(answer.quote.splits, inferred) });
      }
    }

    function outcomeOf(entry: UniverseEntry, seen: Set<string> | undefined, price: ReturnType<typeof priceParts.get>): Outcome {
      const failure = failures.get(entry.symbol);
      if (failure !== undefined) return failure;
      if (price?.kind === 'error') {
        return { status: 'failed', symbol: entry.symbol, errorType: price.error.type, message: `yahoo: ${price.error.message}`, attempts: price.error.attempts, source: 'yahoo' };
      }
      const hasSec = seen !== undefined && seen.size > 0;
      const notes: string[] = [];
      if (!hasSec) notes.push(entry.cik === null ? 'sec: no CIK for this symbol' : 'sec: not in the bulk archives');
      if (price?.kind === 'no_data') notes.push(price.reason);
      if (!hasSec && price?.kind !== 'data') return { status: 'skipped', symbol: entry.symbol, reason: notes.join('; ') || 'no source has data' };
      return { status: 'successful', symbol: entry.symbol, unchanged: false, notes };
    }
  }
}

function open(sec: SecSource, archivePath: string, signal: AbortSignal): Promise<ArchiveDownload | null> {
  return openArchive(sec.client, sec.archiveUrl(archivePath), { maxResumes: 10, idleTimeoutMs: 60_000, signal });
}

/** `CIK0000320193.json` → 320193; `CIK0000320193-submissions-001.json` → 320193, an older page. */
export function cikOfEntry(name: string): { cik: number; page: boolean } | null {
  const match = /^(?:.*\/)?CIK(\d{10})(-submissions-\d{3})?\.json$/.exec(name);
  return match === null ? null : { cik: Number(match[1]), page: match[2] !== undefined };
}

function mb(bytes: number): string {
  return (bytes / 1048576).toFixed(0);
}
