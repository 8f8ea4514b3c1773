import { expect } from 'vitest';
import { SourceError } from '../../src/errors.js';

/** The SourceError `promise` rejects with; fails the test when it resolves or rejects otherwise. */
export async function sourceError(promise: Promise<unknown>): Promise<SourceError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }
  throw new Error('expected a SourceError');
}
