/*
 * A selective JSON reader: the parts of a document a selection names, as JSON.parse would give
 * them, without building the rest. companyfacts bodies are megabytes of which extraction reads a
 * few percent (schemas/companyfacts.ts); decoding and building every object of a body costs more
 * than reading it all byte by byte.
 *
 * The whole document is still checked against JSON's grammar (RFC 8259, as JSON.parse reads it): a
 * skipped part that JSON.parse would refuse makes the reader answer `undefined`, so that the caller
 * parses the text whole and fails or succeeds exactly as before. Kept values are cut out, decoded
 * and given to JSON.parse itself, so escapes, unicode and numbers in any form come out as JSON.parse
 * makes them (UTF-8 decoding restarts cleanly at the ASCII byte a JSON value starts and ends with).
 * Duplicate keys behave as in JSON.parse: the last one wins, in the place of the first.
 */

/**
 * What to keep of a value: `true` keeps it whole; a function reads an object key by key and names
 * what to keep of each key's value (`undefined`: skip it). A value that is no object where the
 * selection expects one is kept whole, for the schema that checks it to name.
 */
export type JsonSelection = true | ((key: string) => JsonSelection | undefined);

/** Thrown inside the reader for bytes that break JSON's grammar, or nest deeper than it reads; never leaves the module. */
const INVALID = new Error('invalid JSON');

/**
 * The selected parts of `bytes` (a JSON document in UTF-8), or `undefined` when they are no JSON
 * the reader reads (a grammar error, nesting deeper than {@link MAX_DEPTH}): then JSON.parse decides.
 */
export function readJsonSelected(bytes: Buffer, selection: JsonSelection): unknown {
  try {
    const [value, end] = readValue(bytes, skipSpace(bytes, 0), selection);
    return onlySpaceAfter(bytes, end) ? value : undefined;
  } catch (error) {
    if (error === INVALID) return undefined;
    throw error;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;

/** Containers open at once while skipping; deeper documents are left to JSON.parse. */
const MAX_DEPTH = 4096;
/** The skipper's stack: which container is open at each depth (reused: a thread runs one reader at a time). */
const openAt = new Uint8Array(MAX_DEPTH);

/**
 * Byte classes, looked up rather than compared: one load per byte is what keeps the check of the
 * skipped megabytes as fast as a scan that checks nothing. A byte past the end (`undefined`) is in
 * no class.
 */
function byteClass(bytes: string | ((c: number) => boolean)): Uint8Array {
  const table = new Uint8Array(256);
  for (let c = 0; c < 256; c += 1) if (typeof bytes === 'string' ? bytes.includes(String.fromCharCode(c)) : bytes(c)) table[c] = 1;
  return table;
}
/** Bytes that stand for themselves in a string: not a control character, quote or backslash (UTF-8 sequences included). */
const PLAIN = byteClass((c) => c >= 0x20 && c !== QUOTE && c !== BACKSLASH);
const DIGIT = byteClass('0123456789');
const HEX = byteClass('0123456789abcdefABCDEF');
/** After a backslash, other than `u`. */
const ESCAPE = byteClass('"\\/bfnrt');
const SPACE = byteClass(' \t\n\r');
const LITERALS = ['true', 'false', 'null'].map((literal) => [...Buffer.from(literal)]);

const is = (table: Uint8Array, c: number | undefined): boolean => c !== undefined && table[c] === 1;
const closerOf = (open: number): number => (open === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY);

function skipSpace(bytes: Buffer, at: number): number {
  let p = at;
  while (is(SPACE, bytes[p])) p += 1;
  return p;
}

/** Nothing but whitespace from `at` to the end (read within bounds: a read past the end slows every later read down). */
function onlySpaceAfter(bytes: Buffer, at: number): boolean {
  for (let p = at; p < bytes.length; p += 1) if (!is(SPACE, bytes[p])) return false;
  return true;
}

function expect(bytes: Buffer, at: number, c: number): number {
  if (bytes[at] !== c) throw INVALID;
  return at + 1;
}

/** The value at `at` as `selection` keeps it, and where it ends. */
function readValue(bytes: Buffer, at: number, selection: JsonSelection): [unknown, number] {
  if (selection === true || bytes[at] !== OPEN_OBJECT) {
    const end = skipValue(bytes, at);
    return [JSON.parse(bytes.toString('utf8', at, end)), end];
  }
  const kept: Record<string, unknown> = {};
  let p = skipSpace(bytes, at + 1);
  if (bytes[p] === CLOSE_OBJECT) return [kept, p + 1];
  for (;;) {
    const keyEnd = skipString(bytes, p);
    const key = keyOf(bytes, p, keyEnd);
    const inner = selection(key);
    p = skipSpace(bytes, expect(bytes, skipSpace(bytes, keyEnd), COLON));
    if (inner === undefined) p = skipValue(bytes, p);
    else {
      const [value, end] = readValue(bytes, p, inner);
      // defineProperty: a key `__proto__` is an own property, as JSON.parse makes it.
      Object.defineProperty(kept, key, { value, enumerable: true, writable: true, configurable: true });
      p = end;
    }
    p = skipSpace(bytes, p);
    if (bytes[p] === CLOSE_OBJECT) return [kept, p + 1];
    p = skipSpace(bytes, expect(bytes, p, COMMA));
  }
}

/** The key whose quoted bytes span `[start, end)`: plain ASCII as is, anything else through JSON.parse. */
function keyOf(bytes: Buffer, start: number, end: number): string {
  for (let p = start + 1; p < end - 1; p += 1) {
    const c = bytes[p] as number;
    if (c === BACKSLASH || c >= 0x80) return JSON.parse(bytes.toString('utf8', start, end)) as string;
  }
  return bytes.toString('latin1', start + 1, end - 1);
}

/**
 * The end of the value at `at`, checked against the grammar. One loop with a stack of open
 * containers (not one call per value): this is where a body's skipped megabytes go by.
 */
function skipValue(bytes: Buffer, at: number): number {
  let p = at;
  let depth = 0;
  for (;;) {
    // A value at p.
    p = skipSpace(bytes, p);
    const c = bytes[p];
    if (c === QUOTE) p = skipString(bytes, p);
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      p = skipSpace(bytes, p + 1);
      if (bytes[p] === closerOf(c)) p += 1;
      else {
        if (depth === MAX_DEPTH) throw INVALID;
        openAt[depth] = c;
        depth += 1;
        if (c === OPEN_OBJECT) p = skipKey(bytes, p);
        continue;
      }
    } else if (c === MINUS || is(DIGIT, c)) p = skipNumber(bytes, p);
    else p = skipLiteral(bytes, p);
    // After a value: the next one in its container, or the container's end.
    for (;;) {
      if (depth === 0) return p;
      p = skipSpace(bytes, p);
      const open = openAt[depth - 1] as number;
      const next = bytes[p];
      if (next === COMMA) {
        p = open === OPEN_OBJECT ? skipKey(bytes, skipSpace(bytes, p + 1)) : p + 1;
        break;
      }
      if (next !== closerOf(open)) throw INVALID;
      p += 1;
      depth -= 1;
    }
  }
}

/** A key and its colon, from the key's opening quote. */
function skipKey(bytes: Buffer, at: number): number {
  return expect(bytes, skipSpace(bytes, skipString(bytes, at)), COLON);
}

/** The end of the string whose opening quote is at `at`: control characters and unknown escapes refused. */
function skipString(bytes: Buffer, at: number): number {
  if (bytes[at] !== QUOTE) throw INVALID;
  let p = at + 1;
  for (;;) {
    while (is(PLAIN, bytes[p])) p += 1;
    const c = bytes[p];
    if (c === QUOTE) return p + 1;
    // A control character, or the end of the bytes: a string cut short.
    if (c !== BACKSLASH) throw INVALID;
    const escaped = bytes[p + 1];
    if (escaped === 0x75) {
      if (!(is(HEX, bytes[p + 2]) && is(HEX, bytes[p + 3]) && is(HEX, bytes[p + 4]) && is(HEX, bytes[p + 5]))) throw INVALID;
      p += 6;
    } else if (is(ESCAPE, escaped)) p += 2;
    else throw INVALID;
  }
}

/** `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` */
function skipNumber(bytes: Buffer, at: number): number {
  let p = at;
  if (bytes[p] === MINUS) p += 1;
  if (bytes[p] === ZERO) p += 1;
  else p = skipDigits(bytes, p);
  if (bytes[p] === 0x2e) p = skipDigits(bytes, p + 1);
  const e = bytes[p];
  if (e === 0x65 || e === 0x45) {
    p += 1;
    const sign = bytes[p];
    if (sign === 0x2b || sign === MINUS) p += 1;
    p = skipDigits(bytes, p);
  }
  return p;
}

/** One digit or more. */
function skipDigits(bytes: Buffer, at: number): number {
  if (!is(DIGIT, bytes[at])) throw INVALID;
  let p = at + 1;
  while (is(DIGIT, bytes[p])) p += 1;
  return p;
}

/** `true`, `false` or `null`. */
function skipLiteral(bytes: Buffer, at: number): number {
  for (const literal of LITERALS) if (literal.every((c, i) => bytes[at + i] === c)) return at + literal.length;
  throw INVALID;
}
