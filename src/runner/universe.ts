import { readFileSync } from 'node:fs';
import type { ResolvedConfig } from '../config/load-config.js';
import { UniverseError } from '../errors.js';
import { filterUniverse, parseSymbolList, parseTickerExchangeFile, type RejectedSymbol, type UniverseEntry } from '../extract/universe.js';
import type { SecSource } from '../sources/sec.js';

export interface Universe {
  entries: UniverseEntry[];
  rejected: RejectedSymbol[];
  /** Where the list came from, for the log. */
  origin: string;
  /** Stocks in the whole universe, before --symbols narrowed it (what `status` judges freshness against). */
  size: number;
  /** --symbols given that the universe does not hold, in the order given. */
  notFound: string[];
}

/**
 * The stocks to refresh. From SEC's ticker file filtered by exchange, or from a symbol file whose
 * symbols are matched to CIKs through that same ticker file (all exchanges), so a file universe
 * still gets its fundamentals. `only` narrows either to the given symbols (--symbols).
 */
export async function loadUniverse(config: ResolvedConfig, sec: SecSource | null, only?: string[]): Promise<Universe> {
  const { universe } = config;
  const tickers = sec === null ? { entries: [], rejected: [] } : await fetchTickerEntries(sec);
  const tickerEntries = tickers.entries;
  let entries: UniverseEntry[];
  let rejected: RejectedSymbol[] = [];
  let origin: string;
  if (universe.source === 'file') {
    const file = universe.file as string;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UniverseError(`universe.file: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    let list: ReturnType<typeof parseSymbolList>;
    try {
      list = parseSymbolList(text);
    } catch (error) {
      throw new UniverseError(`universe.file: ${file}: ${(error as Error).message}`);
    }
    rejected = list.rejected;
    const bySymbol = new Map<string, UniverseEntry>();
    for (const entry of tickerEntries) if (!bySymbol.has(entry.symbol)) bySymbol.set(entry.symbol, entry);
    entries = filterUniverse(
      list.symbols.map((symbol) => bySymbol.get(symbol) ?? { symbol, cik: null, name: null, exchange: null }),
      null,
      universe.exclude_patterns,
    );
    origin = file;
  } else {
    rejected = tickers.rejected;
    entries = filterUniverse(tickerEntries, universe.exchanges, universe.exclude_patterns);
    origin = `SEC company_tickers_exchange.json (${universe.exchanges.join(', ')})`;
  }
  const size = entries.length;
  let notFound: string[] = [];
  if (only !== undefined) {
    const wanted = new Set(only);
    const known = new Set(entries.map((entry) => entry.symbol));
    notFound = [...wanted].filter((symbol) => !known.has(symbol));
    entries = entries.filter((entry) => wanted.has(entry.symbol));
  }
  return { entries, rejected, origin, size, notFound };
}

async function fetchTickerEntries(sec: SecSource): Promise<{ entries: UniverseEntry[]; rejected: RejectedSymbol[] }> {
  let response: Awaited<ReturnType<SecSource['fetchTickerFile']>>;
  try {
    response = await sec.fetchTickerFile();
  } catch (error) {
    throw new UniverseError(`cannot fetch the universe from ${sec.tickerFileUrl()}: ${(error as Error).message}`);
  }
  if (response.kind !== 'data') throw new UniverseError(`${sec.tickerFileUrl()} answered 404`);
  return parseTickerExchangeFile(response.body);
}
