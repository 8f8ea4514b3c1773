/** The one way code below `main` asks for an exit: `main` prints the message and exits with `code`. */
export class ExitError extends Error {
  override readonly name = 'ExitError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Exit codes, as README.md ("Exit codes") lists them. */
export const EXIT = {
  OK: 0,
  BELOW_SUCCESS_RATE: 1,
  USAGE: 2,
  ABORTED: 3,
  LOCKED: 75,
  SIGINT: 130,
  SIGTERM: 143,
  /** A bug: `main` prints the stack. */
  INTERNAL: 70,
} as const;
