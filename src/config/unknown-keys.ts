import type { z } from 'zod';
import { closestMatches, joinOr } from '../util/text.js';
import { FREE_TEXT_KEYS } from './schema.js';

/** The parts of a zod 4 schema definition the walk reads (`schema._zod.def`, zod's documented internals). */
interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  in?: z.ZodType;
}

/** Wrappers that carry the real schema inside: defaults, optional, nullable, a pipe's input side. */
const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'nonoptional', 'readonly', 'catch']);

function definitionOf(schema: z.ZodType): SchemaDef {
  let def = (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
  for (;;) {
    const inner = WRAPPERS.has(def.type) ? def.innerType : def.type === 'pipe' ? def.in : undefined;
    if (inner === undefined) return def;
    def = (inner as unknown as { _zod: { def: SchemaDef } })._zod.def;
  }
}

/**
 * The keys of a config object that `schema` does not know, each as `path.to.key: unknown key`
 * with the nearest known key of that level as a suggestion. zod drops them without a word, which
 * hides a typo: `max_worker: 8` would leave max_workers at 1 and the night eight times slower.
 * The original tool's free-text keys (FREE_TEXT_KEYS) are not reported at any level.
 */
export function findUnknownKeys(schema: z.ZodType, raw: unknown): string[] {
  const found: string[] = [];
  walk(schema, raw, [], found);
  return found;
}

function walk(schema: z.ZodType, value: unknown, path: (string | number)[], found: string[]): void {
  const def = definitionOf(schema);
  if (def.type === 'array' && def.element !== undefined && Array.isArray(value)) {
    value.forEach((item, index) => walk(def.element as z.ZodType, item, [...path, index], found));
    return;
  }
  if (def.type !== 'object' || def.shape === undefined || typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const known = Object.keys(def.shape);
  for (const [key, child] of Object.entries(value)) {
    const inner = Object.hasOwn(def.shape, key) ? def.shape[key] : undefined;
    if (inner !== undefined) walk(inner, child, [...path, key], found);
    else if (!FREE_TEXT_KEYS.includes(key)) {
      const suggestions = closestMatches(key, [...known, ...FREE_TEXT_KEYS]);
      const hint = suggestions.length > 0 ? `; did you mean ${joinOr(suggestions)}?` : '';
      // A key with spaces or control characters (or none at all) is quoted after the key it is in,
      // so the message stays one line that starts with a key path.
      if (/^[\w$]+$/.test(key)) found.push(`${[...path, key].join('.')}: unknown key${hint}`);
      else found.push(`${path.length > 0 ? path.join('.') : 'config'}: unknown key ${JSON.stringify(key)}${hint}`);
    }
  }
}
