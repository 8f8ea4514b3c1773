import { SetupError } from '../errors.js';

/** A step before the first stock (lock, backup, opening the database): its failure means nothing was refreshed. */
export async function setupStep<T>(what: string, step: () => Promise<T> | T, explain: (error: unknown) => string = (error) => (error as Error).message): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new SetupError(`${what}: ${explain(error)}; nothing was refreshed`);
  }
}
