import type { z } from 'zod';
import { SourceError } from '../errors.js';
import { parseJsonBody } from './http.js';

/*
 * Each kind of answer (companyfacts, submissions, spark, …) declares the zod schema of its body and
 * how the checked body becomes the value the rest of the program works with, as node-yahoo-finance2's
 * modules declare their result schema for moduleExec. `SourceClient.getBody` decodes every answer
 * through its kind where the bytes arrive, and the bulk worker decodes archive entries through the
 * same kinds, so no code further in ever sees an unchecked body.
 */

/** How the bytes of one kind of answer become a typed value. */
export interface ResponseKind<T> {
  /** Names the kind in messages: `companyfacts: facts.us-gaap.Revenues.units.USD.3.val: expected number, received string`. */
  readonly name: string;
  /**
   * The typed value of a body. Throws `SourceError` `invalid_json` for bytes that are no JSON at all
   * (truncated, an HTML page: worth another try) and `malformed` for a body that breaks its schema
   * (not transient: the same request gives the same body). `source` (URL or archive entry name)
   * says where the bytes came from.
   */
  decode(bytes: Buffer, source: string): T;
}

export interface JsonKindOptions {
  /**
   * Keep the parsed body itself once it passed, not zod's copy of it: for bodies of megabytes
   * whose schema only checks (no transforms, defaults or coercion), so output and input agree.
   * @default false
   */
  keepParsed?: boolean;
}

/** A JSON answer: parsed, checked against `schema`, then `transform`ed (typed as the schema's output when absent). */
export function jsonKind<S extends z.ZodType, T = z.output<S>>(name: string, schema: S, transform?: (body: z.output<S>) => T, options: JsonKindOptions = {}): ResponseKind<T> {
  const finish = transform ?? ((body: z.output<S>) => body as unknown as T);
  const check = options.keepParsed === true ? assertShape : checkShape;
  return { name, decode: (bytes, source) => finish(check(name, schema, parseJsonBody(bytes, source))) };
}

export interface TextKindOptions {
  /**
   * A text that breaks its layout was damaged on the way (cut short, an error page in its place),
   * not changed by the service: it fails as `invalid_json`, retried, instead of `malformed`.
   * @default false
   */
  damagedInTransit?: boolean;
}

/**
 * A text answer (EDGAR's index files): `toRecords` turns the text into plain records (its parsed
 * lines), which are checked against `schema` like a JSON body, then `transform`ed.
 */
export function textKind<S extends z.ZodType, T>(
  name: string,
  encoding: BufferEncoding,
  toRecords: (text: string) => unknown,
  schema: S,
  transform: (records: z.output<S>) => T,
  options: TextKindOptions = {},
): ResponseKind<T> {
  const check = (records: unknown): z.output<S> => {
    try {
      return checkShape(name, schema, records);
    } catch (error) {
      if (options.damagedInTransit !== true || !(error instanceof SourceError)) throw error;
      throw new SourceError('invalid_json', error.message);
    }
  };
  return { name, decode: (bytes) => transform(check(toRecords(bytes.toString(encoding)))) };
}

/**
 * `value` checked against `schema`, or a `malformed` SourceError naming the first field that breaks
 * it, as a path from the body's root (`at` is the path of `value` inside the body, for parts
 * checked on their own).
 */
export function checkShape<S extends z.ZodType>(kind: string, schema: S, value: unknown, at: readonly PropertyKey[] = []): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw malformed(kind, result.error.issues, at);
}

/**
 * Like {@link checkShape}, but gives back `value` itself once it passed, not zod's copy: only for
 * schemas that check without transforming (see {@link JsonKindOptions.keepParsed}).
 */
export function assertShape<S extends z.ZodType>(kind: string, schema: S, value: unknown, at: readonly PropertyKey[] = []): z.output<S> {
  checkShape(kind, schema, value, at);
  return value as z.output<S>;
}

function malformed(kind: string, issues: z.ZodError['issues'], at: readonly PropertyKey[]): SourceError {
  const [first] = issues;
  const path = [...at, ...(first?.path ?? [])].map(String).join('.');
  // zod's own wording minus its prefix: "Invalid input: expected number, received string".
  const reason = (first?.message ?? 'does not match its schema').replace(/^Invalid input: /, '');
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new SourceError('malformed', `${kind}: ${path === '' ? '' : `${path}: `}${reason}${more}`);
}
