import { ExtractPool, type ExtractResult } from '../bulk/extract-pool.js';
import { openArchive, type ArchiveDownload } from '../bulk/download.js';
import { readZipEntries } from '../bulk/zip-stream.js';
import type { StockUpdate } from '../db/stock-store.js';
import type { Store } from '../db/store.js';
import { ArchiveUnavailableError, FatalSourceError, SourceError } from '../errors.js';
import type { FilingRow, SplitEvent } from '../extract/types.js';
import type { UniverseEntry } from '../extract/universe.js';
import type { SecSource } from '../sources/sec.js';
import { plural } from '../util/text.js';
import { BULK_ARCHIVES, cikOfEntry, type ArchiveFigures, type ArchiveKind } from './bulk-archives.js';
import { bulkOutcome, fetchBulkSections, fetchSplitEvents, rateBeforeFacts, type PricePart, type RebuildSink } from './bulk-extras.js';
import type { CompanyData } from './company-data.js';
import { priceOutcomeOf, type Outcome } from './outcome.js';
import type { PriceBook } from './prices/price-book.js';
import { buildUpdate, saveUpdate, showsNewSplit } from './process-stock.js';
import type { OutcomeLedger, RunControl } from './run-control.js';

/*
 * The rebuild from SEC's nightly bulk archives: two downloads instead of two requests per company.
 * companyfacts.zip and submissions.zip are read as they stream (zip-stream.ts), the entries of the
 * universe's companies are extracted in worker threads by the same code a per-company night uses,
 * and each company's rows are written with the same update builder and store, one transaction per
 * stock and archive. Prices come from spark meanwhile, in batches of 20 symbols; the 10-K
 * sections and split events after (bulk-extras.ts). Stopping, the time budget and fatal errors
 * are the run's (RunControl); outcomes go to the run's ledger.
 */

export interface BulkInput {
  entries: UniverseEntry[];
  sec: SecSource;
  prices: PriceBook | null;
  store: Store;
  storedSplits: Map<string, SplitEvent[]>;
  now: () => Date;
  control: RunControl;
  ledger: OutcomeLedger;
  /** processing.fetch_filing_sections: the accessions whose sections are stored already. */
  sections?: { has: (accession: string) => boolean } | null;
  onProgress?: (message: string) => void;
  /** Called once, when the outcomes are known, before the first is recorded. */
  onOutcomes?: () => void;
  /** The config's adr_ratios: ordinary shares per listed share, by symbol. @default {} */
  adrRatios?: Readonly<Record<string, number>>;
}

export interface BulkResult {
  /** Stocks whose company an archive did not reach (it failed): to be refreshed per company. */
  fallback: UniverseEntry[];
  archives: ArchiveFigures[];
  /** Seconds from the first archive's first byte to the last entry stored. */
  extraction_seconds: number;
}

const PRICE_WINDOW = 100;
/** Writes the price loop lets wait at once before it asks for the next price. */
const WRITES_IN_FLIGHT = 64;
const PROGRESS_EVERY_MS = 10_000;

/** Rebuilds the fundamentals of `input.entries` from the archives; throws ArchiveUnavailableError when the first cannot be had. */
export async function runBulk(input: BulkInput): Promise<BulkResult> {
  return new BulkRebuild(input).run();
}

class BulkRebuild {
  /** The listings of each company, the first one owning its filings. */
  private readonly listings = new Map<number, UniverseEntry[]>();
  /** Stocks whose transaction failed (or whose 10-K could not be had): their outcome. */
  private readonly failures = new Map<string, Outcome>();
  /** The archives each company was found in. */
  private readonly secSeen = new Map<number, Set<ArchiveKind>>();
  private readonly priceParts = new Map<string, PricePart>();
  /** Each company's latest 10-K from submissions.zip, kept only when 10-K sections are wanted. */
  private readonly filingsForSections = new Map<number, FilingRow[]>();
  /** Symbols whose filings show a split no stored split accounts for, with the splits inferred. */
  private readonly needsSplitChart = new Map<string, SplitEvent[]>();
  /** Archives read to their end; and those that broke off, with why (their unreached companies go per company). */
  private readonly complete = new Set<ArchiveKind>();
  private readonly broken = new Map<ArchiveKind, string>();
  /** Companies whose entry could not be read (CRC, inflate, JSON): refreshed per company. */
  private readonly unreadable = new Set<number>();
  /** Writes not answered yet (a PostgreSQL store answers later): each stock's outcome waits for its own. */
  private readonly writing = new Set<Promise<void>>();
  /** The extraction workers, started once the first archive is open (without it there is nothing to extract). */
  private pool!: ExtractPool;

  constructor(private readonly input: BulkInput) {
    for (const entry of input.entries) {
      if (entry.cik === null) continue;
      const list = this.listings.get(entry.cik) ?? [];
      list.push(entry);
      this.listings.set(entry.cik, list);
    }
  }

  private get control(): RunControl {
    return this.input.control;
  }

  async run(): Promise<BulkResult> {
    // The first archive is opened before any price is asked for: without it the night goes per company.
    const first = BULK_ARCHIVES[0];
    let firstDownload: ArchiveDownload | null;
    try {
      firstDownload = await this.open(first.path);
    } catch (error) {
      if (!(error instanceof SourceError) || error.fatal) throw error;
      throw new ArchiveUnavailableError(`${first.name} cannot be had (${error.message})`);
    }
    if (firstDownload === null) throw new ArchiveUnavailableError(`${first.name} is not published (HTTP 404)`);

    const pricesDone = this.input.prices === null ? Promise.resolve() : this.runPrices(this.input.prices);
    this.pool = new ExtractPool();
    const started = performance.now();
    let archives: ArchiveFigures[];
    try {
      archives = await this.readArchives(firstDownload);
      await this.pool.drain();
    } finally {
      await this.pool.close();
    }
    const extractionSeconds = Math.round((performance.now() - started) / 100) / 10;
    await pricesDone;
    if (this.input.prices !== null && !this.control.stopped()) await this.splitCharts(this.input.prices);
    if (this.input.sections && !this.control.stopped()) await this.fetchSections(this.input.sections);
    this.input.prices?.close();
    await Promise.all(this.writing);
    return { fallback: this.settle(), archives, extraction_seconds: extractionSeconds };
  }

  private open(archivePath: string): Promise<ArchiveDownload | null> {
    return openArchive(this.input.sec.client, this.input.sec.archiveUrl(archivePath), { maxResumes: 10, idleTimeoutMs: 60_000, signal: this.control.stopSignal });
  }

  /** Reads each archive in turn; one that breaks off is noted and the next is still read. */
  private async readArchives(firstDownload: ArchiveDownload): Promise<ArchiveFigures[]> {
    const archives: ArchiveFigures[] = [];
    for (const archive of BULK_ARCHIVES) {
      if (this.control.stopped()) break;
      const figures: ArchiveFigures = { name: archive.name, bytes: 0, total_bytes: null, resumes: 0, entries_used: 0, seconds: 0, error: null };
      archives.push(figures);
      const archiveStarted = performance.now();
      let download: ArchiveDownload | null = null;
      try {
        // A crashed extraction worker fails the pool: the next archive is not downloaded for nothing.
        if (this.pool.failure !== null) throw this.pool.failure;
        download = archive === BULK_ARCHIVES[0] ? firstDownload : await this.open(archive.path);
        if (download === null) throw new SourceError('http_4xx', `${archive.name} is not published (HTTP 404)`, { status: 404 });
        figures.total_bytes = download.totalBytes;
        await this.readArchive(archive.kind, download, figures);
        if (!this.control.stopped()) this.complete.add(archive.kind);
      } catch (error) {
        if (error instanceof SourceError && error.fatal) {
          // SEC refuses us (403): the run aborts; what is stored stays, nothing more is asked.
          figures.error = error.message;
          this.control.abort(error.message);
          break;
        }
        // A download ended by a stop is not broken: its unreached companies are simply not started.
        if (!this.control.stopped()) {
          figures.error = (error as Error).message;
          this.broken.set(archive.kind, figures.error);
          this.input.onProgress?.(`${archive.name}: ${figures.error}; the companies it did not reach are refreshed one by one`);
        }
      } finally {
        figures.bytes = download?.received() ?? 0;
        figures.resumes = download?.resumes() ?? 0;
        figures.seconds = Math.round((performance.now() - archiveStarted) / 100) / 10;
      }
    }
    return archives;
  }

  private async readArchive(kind: ArchiveKind, download: ArchiveDownload, figures: ArchiveFigures): Promise<void> {
    let lastProgress = performance.now();
    const want = (name: string): boolean => {
      const cik = cikOfEntry(name);
      return cik !== null && this.listings.has(cik.cik);
    };
    const stores: Promise<void>[] = [];
    for await (const entry of readZipEntries(download.chunks, want)) {
      if (this.control.stopped()) break;
      const parsed = cikOfEntry(entry.name);
      if (parsed === null) continue;
      await this.pool.ready();
      const task = kind === 'facts' ? 'facts' : parsed.page ? 'page' : 'submissions';
      const stored = this.pool.run(task, parsed.cik, entry).then(
        async (result) => {
          await this.storeResult(parsed.cik, result);
          figures.entries_used += 1;
        },
        (error: unknown) => {
          // One unreadable entry is that company's trouble, not the archive's: it is asked for on its own.
          this.unreadable.add(parsed.cik);
          this.input.onProgress?.(`${entry.name}: ${(error as Error).message}; asked for on its own`);
        },
      );
      stores.push(stored);
      if (stores.length > 64) await Promise.all(stores.splice(0, 32));
      if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = performance.now();
        const total = download.totalBytes;
        this.input.onProgress?.(`${figures.name}: ${mb(download.received())}${total === null ? '' : ` of ${mb(total)}`} MB, ${plural(figures.entries_used, 'company', 'companies')} stored`);
      }
    }
    await Promise.all(stores);
  }

  /** One transaction; a storage failure is the stock's, a full disk aborts the run. Settles when the store answered. */
  private write(update: StockUpdate): Promise<void> {
    const written = saveUpdate(this.input.store, update, this.input.now()).then(
      (failure) => {
        if (failure !== null) this.failures.set(update.symbol, failure);
      },
      (error: unknown) => {
        if (!(error instanceof FatalSourceError)) throw error;
        this.control.abort(error.message);
      },
    );
    this.writing.add(written);
    return written.finally(() => this.writing.delete(written));
  }

  private save(entry: UniverseEntry, company: Partial<CompanyData> | undefined, primary: boolean, price?: Parameters<typeof buildUpdate>[2]): Promise<void> {
    const pricing = { fxRates: this.input.prices?.fx.rates, adsRatio: this.input.adrRatios?.[entry.symbol] ?? null };
    return this.write(buildUpdate(entry, company, price, primary, this.input.storedSplits.get(entry.symbol), pricing));
  }

  /**
   * Each listing of the company, one transaction each (issued together: a store with connections to
   * spare writes them at once); a listing whose figures are in another currency waits for its rate.
   */
  private async storeResult(cik: number, result: ExtractResult): Promise<void> {
    const writes: Promise<void>[] = [];
    const seen = this.secSeen.get(cik) ?? new Set();
    this.secSeen.set(cik, seen);
    for (const [index, entry] of (this.listings.get(cik) ?? []).entries()) {
      const primary = index === 0;
      if (result.kind === 'facts') {
        seen.add('facts');
        if (showsNewSplit(result.facts, this.input.storedSplits.get(entry.symbol) ?? [])) this.needsSplitChart.set(entry.symbol, result.facts.splits);
        const { facts } = result;
        const rate = this.input.prices && rateBeforeFacts(this.input.prices, entry, facts);
        const save = () => this.save(entry, { facts, fundamentalsRefreshed: true }, primary);
        writes.push(rate ? rate.then(save) : save());
      } else if (result.kind === 'submissions') {
        seen.add('submissions');
        const { profile, filings } = result.submissions;
        if (primary && this.input.sections) this.filingsForSections.set(cik, filings.filter((filing) => filing.form === '10-K').slice(0, 1));
        writes.push(this.save(entry, { profile, filings, latestAccession: filings[0]?.accession_number ?? null, fundamentalsRefreshed: true }, primary));
      } else if (primary && result.filings.length > 0) {
        writes.push(this.save(entry, { filings: result.filings }, true));
      }
    }
    await Promise.all(writes);
  }

  private async runPrices(prices: PriceBook): Promise<void> {
    const { entries } = this.input;
    let lastProgress = performance.now();
    for (const [index, entry] of entries.entries()) {
      if (this.control.stopped()) return;
      if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = performance.now();
        this.input.onProgress?.(`prices: ${index} of ${plural(entries.length, 'symbol', 'symbols')} stored`);
      }
      if (index % PRICE_WINDOW === 0) prices.prefetch(entries.slice(index, index + 2 * PRICE_WINDOW).map((e) => e.symbol));
      try {
        const answer = await prices.get(entry.symbol);
        // The rates asked for so far (the stored currencies', the filings' met tonight) convert this price's ratios.
        if (answer.kind === 'data') await Promise.race([prices.fx.allSettled(), prices.whenStalled()]);
        this.priceParts.set(entry.symbol, answer.kind === 'data' ? { kind: 'data' } : answer);
        // Not waited for: a store with connections to spare writes the next prices meanwhile (its
        // saves of one symbol stay in order); the rebuild waits for them all (and sees a failure) before its outcomes.
        if (answer.kind === 'data') this.save(entry, undefined, false, { quote: answer.quote, closes: answer.closes }).catch(() => undefined);
        if (this.writing.size >= WRITES_IN_FLIGHT) await Promise.race(this.writing);
      } catch (error) {
        if (!(error instanceof SourceError) || !error.fatal) throw error;
        this.control.abort(error.message);
      }
    }
  }

  private fetchSections(stored: { has: (accession: string) => boolean }): Promise<void> {
    return fetchBulkSections(this.input.sec, this.filingsForSections, this.listings, stored, this.sink());
  }

  private splitCharts(prices: PriceBook): Promise<void> {
    return fetchSplitEvents(prices, this.input.entries, this.needsSplitChart, this.sink());
  }

  /** What the steps after the archives (bulk-extras.ts) may do to this rebuild. */
  private sink(): RebuildSink {
    return {
      control: this.control,
      save: (entry, company, primary) => this.save(entry, company, primary),
      write: (update) => this.write(update),
      fail: (outcome) => this.failures.set(outcome.symbol, outcome),
    };
  }

  /** Records each stock's outcome; returns the stocks whose company an archive did not reach, for the per-company path. */
  private settle(): UniverseEntry[] {
    const fallback: UniverseEntry[] = [];
    this.input.onOutcomes?.();
    for (const entry of this.input.entries) {
      const seen = entry.cik === null ? undefined : this.secSeen.get(entry.cik);
      const price = this.priceParts.get(entry.symbol);
      if (entry.cik !== null) {
        const missedBy = BULK_ARCHIVES.filter((archive) => !this.complete.has(archive.kind) && seen?.has(archive.kind) !== true);
        // An archive that broke off, or an entry that could not be read: this company goes per company.
        if (this.control.abortReason === null && (this.unreadable.has(entry.cik) || missedBy.some((archive) => this.broken.has(archive.kind)))) {
          fallback.push(entry);
          continue;
        }
        // The run stopped before an archive reached this company: not started (its price may be stored).
        if (missedBy.length > 0 && !this.failures.has(entry.symbol)) continue;
      } else if (price === undefined && this.control.stopped()) {
        continue;
      }
      if (price !== undefined) this.input.ledger.recordPrice(entry.symbol, priceOutcomeOf(price));
      this.input.ledger.record(bulkOutcome(entry, this.failures.get(entry.symbol), seen, price), false);
    }
    return fallback;
  }
}

function mb(bytes: number): string {
  return (bytes / 1048576).toFixed(0);
}
