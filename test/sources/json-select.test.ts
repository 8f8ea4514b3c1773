import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readJsonSelected, type JsonSelection } from '../../src/sources/json-select.js';

/*
 * The selective reader against JSON.parse: on any document, what it keeps is what JSON.parse gives
 * for those parts, and it answers `undefined` exactly when JSON.parse refuses the text.
 */

/** What JSON.parse gives, cut down to `selection`: the reference the reader is held to. */
function pruned(value: unknown, selection: JsonSelection): unknown {
  if (selection === true || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const kept: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const select = selection(key);
    if (select !== undefined) Object.defineProperty(kept, key, { value: pruned(inner, select), enumerable: true, writable: true, configurable: true });
  }
  return kept;
}

/** JSON.parse's answer, or `undefined` when it refuses the text. */
function parsed(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/**
 * The reader's answer and JSON.parse's, cut down alike (`undefined` both when the text is no JSON),
 * on the text's UTF-8 bytes, as a body arrives (a lone surrogate is sent as U+FFFD).
 */
function both(text: string, selection: JsonSelection): [unknown, unknown] {
  const bytes = Buffer.from(text);
  const reference = parsed(bytes.toString('utf8'));
  return [readJsonSelected(bytes, selection), reference === undefined ? undefined : pruned(reference.value, selection)];
}

/** Selections from a seed: each key kept whole, read further or skipped, by a hash of the key and depth. */
function selectionOf(seed: number, depth = 0): JsonSelection {
  return (key) => {
    let hash = seed + depth * 7919;
    for (const c of key) hash = (Math.imul(hash, 31) + (c.codePointAt(0) ?? 0)) | 0;
    const pick = ((hash % 3) + 3) % 3;
    return pick === 0 ? true : pick === 1 && depth < 4 ? selectionOf(seed, depth + 1) : undefined;
  };
}

const SELECT_ALL: JsonSelection = () => true;
const documents = fc.jsonValue({ maxDepth: 5, stringUnit: 'grapheme' });
const texts = fc.oneof(
  documents.map((value) => JSON.stringify(value)),
  // Pretty-printed, as some repositories store companyfacts.
  documents.map((value) => JSON.stringify(value, null, 2)),
  documents.map((value) => JSON.stringify(value, null, '\t').replace(/\n/g, '\r\n')),
);

describe('readJsonSelected against JSON.parse', () => {
  it('keeps exactly what JSON.parse gives for the selected parts, on any document and selection', () => {
    fc.assert(
      fc.property(texts, fc.integer(), (text, seed) => {
        const [read, reference] = both(text, selectionOf(seed));
        expect(read).toStrictEqual(reference);
      }),
      { numRuns: 2000 },
    );
  });

  it('answers undefined exactly when JSON.parse refuses the text: bytes deleted, inserted or changed anywhere', () => {
    const damage = fc.tuple(texts, fc.nat(), fc.constantFrom('delete', 'insert', 'replace'), fc.constantFrom(...Array.from('{}[]":,\\-+.0123456789eEtfnu \n\t\u0001x\u00e9')));
    fc.assert(
      fc.property(damage, fc.integer(), ([text, at, how, c], seed) => {
        const i = text.length === 0 ? 0 : at % text.length;
        const damaged = how === 'delete' ? text.slice(0, i) + text.slice(i + 1) : how === 'insert' ? text.slice(0, i) + c + text.slice(i) : text.slice(0, i) + c + text.slice(i + 1);
        const [read, reference] = both(damaged, selectionOf(seed));
        expect(read).toStrictEqual(reference);
      }),
      { numRuns: 5000 },
    );
  });

  it('reads every document cut short, at any byte, as JSON.parse does', () => {
    fc.assert(
      fc.property(texts, fc.nat(), (text, at) => {
        const bytes = Buffer.from(text);
        const cut = bytes.subarray(0, at % Math.max(1, bytes.length));
        expect(readJsonSelected(cut, SELECT_ALL)).toStrictEqual(parsed(cut.toString('utf8'))?.value);
      }),
    );
  });

  it.each([
    ['escapes in skipped and kept strings', '{"a\\"b":"x\\\\\\"}","k":{"\\u006b":"\\ud83d\\ude00\\/\\b\\f\\n\\r\\t"}}'],
    ['an escaped key that names a kept one', '{"\\u006B":1,"k":2}'],
    ['unicode, raw and escaped', '{"k":"€ 𝄞 \\u20ac","skip":"日本語 \\u65e5"}'],
    ['numbers in exponent form', '{"k":[1e5,-2.5E-3,0e0,1E+21,-0],"skip":[3e-7,4.0E10]}'],
    ['nested objects in skipped values', '{"skip":{"a":[{"b":{"c":[[],{}]}}],"k":{"x":1}},"k":{"nested":{"deep":[1,{"two":2}]}}}'],
    ['whitespace everywhere', ' \r\n\t{ "k" :\n [ 1 , { "a" : null } ] ,\t"skip" : { } } \n'],
    ['duplicate keys: the last wins, in the first one’s place', '{"k":{"a":1},"x":0,"k":{"b":2}}'],
    ['a key __proto__ as an own property', '{"__proto__":{"polluted":true},"k":1}'],
    ['literals', '{"k":[true,false,null],"skip":[true,false,null]}'],
    ['a top-level value that is no object', '[1,{"k":2}]'],
  ])('reads %s as JSON.parse does', (_label, text) => {
    const selection: JsonSelection = (key) => (key === 'k' || key === '__proto__' ? true : undefined);
    const [read, reference] = both(text, selection);
    expect(reference).toBeDefined();
    expect(read).toStrictEqual(reference);
    expect(JSON.stringify(read)).toBe(JSON.stringify(reference));
  });

  it.each([
    ['a leading zero', '{"skip":01,"k":1}'],
    ['a control character in a string', '{"skip":"a\u0001b","k":1}'],
    ['an unknown escape', '{"skip":"\\x41","k":1}'],
    ['a short unicode escape', '{"skip":"\\u12","k":1}'],
    ['a trailing comma', '{"skip":[1,2,],"k":1}'],
    ['a bracket that does not match', '{"skip":[1,2},"k":1}'],
    ['a misspelt literal', '{"skip":nul,"k":1}'],
    ['a number without digits after its point', '{"skip":1.,"k":1}'],
    ['text after the document', '{"k":1} x'],
    ['a byte order mark', '\ufeff{"k":1}'],
    ['nothing', ''],
  ])('refuses %s in a skipped part, as JSON.parse does', (_label, text) => {
    expect(parsed(text)).toBeUndefined();
    expect(readJsonSelected(Buffer.from(text), (key) => (key === 'k' ? true : undefined))).toBeUndefined();
  });

  it('leaves documents nested deeper than it reads to JSON.parse', () => {
    const deep = `{"skip":${'['.repeat(5000)}${']'.repeat(5000)},"k":1}`;
    expect(parsed(deep)).toBeDefined();
    expect(readJsonSelected(Buffer.from(deep), (key) => (key === 'k' ? true : undefined))).toBeUndefined();
  });
});
