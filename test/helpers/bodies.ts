import { expect } from 'vitest';
import { SourceError } from '../../src/errors.js';
import type { ResponseKind } from '../../src/sources/response-kind.js';

/** `value` as it arrives from the network: serialised to JSON, then decoded through `kind` (its schema and all). */
export function decodeJson<T>(kind: ResponseKind<T>, value: unknown): T {
  return kind.decode(Buffer.from(JSON.stringify(value)), 'test');
}

/** The SourceError decoding `bytes` through `kind` throws; fails the test when it decodes. */
export function decodeError(kind: ResponseKind<unknown>, bytes: Buffer): SourceError {
  try {
    kind.decode(bytes, 'test');
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }
  throw new Error(`expected ${kind.name} to refuse the body`);
}

/** The `malformed` message of `value` decoded through `kind` (failing the test for any other outcome). */
export function malformedMessage(kind: ResponseKind<unknown>, value: unknown): string {
  const error = decodeError(kind, Buffer.from(JSON.stringify(value)));
  expect(error).toMatchObject({ type: 'malformed', transient: false });
  return error.message;
}
