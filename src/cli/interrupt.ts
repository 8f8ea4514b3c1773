import { EXIT } from '../errors.js';
import type { Logger } from '../logging/logger.js';

/**
 * First SIGINT/SIGTERM: start no new stock, finish those in flight, write the report. A second
 * one stops at once; per-stock transactions keep the database consistent, and the lock goes with
 * the process.
 */
export function handleSignals(controller: AbortController, log: Logger): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      log.warn(`${signal} received: finishing the stocks in flight, then writing the report (${signal} again stops at once)`);
      controller.abort(signal);
      return;
    }
    log.error(`${signal} received again: stopping at once`);
    process.exit(signal === 'SIGTERM' ? EXIT.SIGTERM : EXIT.SIGINT);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** Resolves after `ms`, or at once when `signal` aborts (a signal ends a sleep between cycles). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
