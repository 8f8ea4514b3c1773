import type { TickerRow } from '../sources/schemas/ticker-file.js';

/** One listing of the universe, in the source file's order. */
export interface UniverseEntry {
  symbol: string;
  /** Null for symbols SEC does not know (a file universe may name them); they get prices only. */
  cik: number | null;
  name: string | null;
  exchange: string | null;
}

export interface RejectedSymbol {
  value: string;
  reason: string;
}

/** Letters, digits and inner dashes: what SEC and Yahoo use for US listings (BRK-B, CTA-PA). */
const SYMBOL_PATTERN = /^[A-Z0-9](?:[A-Z0-9-]{0,13}[A-Z0-9])?$/;

/**
 * Normalises a symbol to the SEC/Yahoo form (`BRK.B` and `brk/b` become `BRK-B`). Anything else is
 * rejected: symbols end up in URLs and messages, never in paths or shells, but a symbol that no
 * exchange could list is a data error worth naming.
 */
export function normalizeSymbol(raw: string): { ok: true; symbol: string } | { ok: false; reason: string } {
  const trimmed = raw.trim();
  const symbol = trimmed.toUpperCase().replace(/[./]/g, '-');
  if (symbol === '') return { ok: false, reason: 'empty' };
  // Checked before upper-casing too: 'ß' and 'ﬁ' upper-case to the ASCII 'SS' and 'FI'.
  if (/[^\x00-\x7F]/.test(trimmed) || !SYMBOL_PATTERN.test(symbol)) return { ok: false, reason: 'not a ticker symbol (letters, digits and inner "-", "." or "/" only, at most 15)' };
  return { ok: true, symbol };
}

/**
 * The listings of SEC's company_tickers_exchange.json (its rows as the TICKER_FILE kind checked
 * them). Real copies differ: `exchange` is null in one year and "" in another (both: unknown).
 * Tickers that are not ticker symbols are rejected with the reason; a CIK that is no positive
 * integer becomes null (prices only).
 */
export function parseTickerExchangeFile(rows: readonly TickerRow[]): { entries: UniverseEntry[]; rejected: RejectedSymbol[] } {
  const entries: UniverseEntry[] = [];
  const rejected: RejectedSymbol[] = [];
  for (const row of rows) {
    const normalized = normalizeSymbol(row.ticker);
    if (!normalized.ok) {
      rejected.push({ value: row.ticker, reason: normalized.reason });
      continue;
    }
    const cik = Number(row.cik);
    entries.push({
      symbol: normalized.symbol,
      cik: Number.isInteger(cik) && cik > 0 ? cik : null,
      name: row.name,
      exchange: row.exchange === '' ? null : row.exchange,
    });
  }
  return { entries, rejected };
}

/** Keeps listings on the given exchanges (case-insensitive), drops excluded patterns and repeats. */
export function filterUniverse(entries: UniverseEntry[], exchanges: string[] | null, excludePatterns: string[]): UniverseEntry[] {
  const wanted = exchanges === null ? null : new Set(exchanges.map((exchange) => exchange.toLowerCase()));
  const excludes = excludePatterns.map((pattern) => new RegExp(pattern));
  const seen = new Set<string>();
  return entries.filter((entry) => {
    if (wanted !== null && (entry.exchange === null || !wanted.has(entry.exchange.toLowerCase()))) return false;
    if (excludes.some((pattern) => pattern.test(entry.symbol))) return false;
    if (seen.has(entry.symbol)) return false;
    seen.add(entry.symbol);
    return true;
  });
}

/**
 * Reads a symbol list: one symbol a line, or a CSV whose header has a `symbol` (or `ticker`)
 * column. Blank lines and `#` comments are skipped; repeats are kept once.
 */
export function parseSymbolList(text: string): { symbols: string[]; rejected: RejectedSymbol[] } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const isSkipped = (line: string): boolean => line.trim() === '' || line.trim().startsWith('#');
  // The header is the first line that is not blank or a comment ("# tech, banks" is no CSV header).
  const headerAt = lines.findIndex((line) => !isSkipped(line));
  const header = splitCsvLine(lines[headerAt] ?? '').map((cell) => cell.toLowerCase());
  const isCsv = header.length > 1 || header[0] === 'symbol' || header[0] === 'ticker';
  const column = isCsv ? Math.max(header.indexOf('symbol'), header.indexOf('ticker')) : 0;
  if (isCsv && column < 0) throw new Error('the CSV header has no "symbol" or "ticker" column');
  const symbols: string[] = [];
  const rejected: RejectedSymbol[] = [];
  const seen = new Set<string>();
  for (const line of isCsv ? lines.slice(headerAt + 1) : lines) {
    if (isSkipped(line)) continue;
    const cell = isCsv ? (splitCsvLine(line)[column] ?? '') : line.trim().replace(/^"|"$/g, '');
    if (cell === '') continue;
    const normalized = normalizeSymbol(cell);
    if (!normalized.ok) {
      rejected.push({ value: cell, reason: normalized.reason });
    } else if (!seen.has(normalized.symbol)) {
      seen.add(normalized.symbol);
      symbols.push(normalized.symbol);
    }
  }
  return { symbols, rejected };
}

/** Splits one CSV line into trimmed cells; a quoted cell may hold commas and doubled quotes ("Tesla, Inc."). */
function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index] as string;
    if (quoted && char === '"' && line[index + 1] === '"') {
      cell += '"';
      index += 1;
    } else if (char === '"') {
      quoted = !quoted;
    } else if (char === ',' && !quoted) {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += char;
    }
  }
  cells.push(cell.trim());
  return cells;
}
