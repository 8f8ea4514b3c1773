/*
 * Prices that had not come when their stock's fundamentals were ready (Yahoo paused by a 429, a
 * probe after a cool-down): the fundamentals are stored at once, and each price is stored when it
 * comes, in its own transaction. The night waits for them at its end, within its time budget.
 */

export class LatePrices {
  private readonly pending = new Map<string, Promise<void>>();
  private closed = false;

  /** Whether the night is over: a price arriving now is not stored any more. */
  get isClosed(): boolean {
    return this.closed;
  }

  get size(): number {
    return this.pending.size;
  }

  /** `work` stores the symbol's price when it comes; it must not reject. */
  add(symbol: string, work: Promise<void>): void {
    const tracked = work.finally(() => this.pending.delete(symbol));
    this.pending.set(symbol, tracked);
  }

  /**
   * Waits for every pending price, or until `stop` aborts (the time budget, a signal); then closes.
   * Returns the symbols whose price had still not come.
   */
  async settle(stop: AbortSignal): Promise<string[]> {
    const stopped = new Promise<void>((resolve) => {
      if (stop.aborted) resolve();
      else stop.addEventListener('abort', () => resolve(), { once: true });
    });
    while (this.pending.size > 0 && !stop.aborted) {
      await Promise.race([Promise.all(this.pending.values()), stopped]);
    }
    this.closed = true;
    return [...this.pending.keys()];
  }
}
