import { describe, expect, it } from 'vitest';
import { LatePrices } from '../../src/runner/prices/late-prices.js';

/* Prices stored after their stocks: the night waits for them within its time budget, then closes. */

function later(ms: number, onDone: () => void): Promise<void> {
  return new Promise((resolve) =>
    setTimeout(() => {
      onDone();
      resolve();
    }, ms),
  );
}

describe('LatePrices', () => {
  it('settle waits for every price, also one added while it waits, and then closes', async () => {
    const late = new LatePrices();
    const stored: string[] = [];
    late.add(
      'A',
      later(20, () => stored.push('A')),
    );
    late.add(
      'B',
      later(40, () => stored.push('B')),
    );
    const settling = late.settle(new AbortController().signal);
    late.add(
      'C',
      later(60, () => stored.push('C')),
    );
    expect(await settling).toEqual([]);
    expect(stored).toEqual(['A', 'B', 'C']);
    expect(late.isClosed).toBe(true);
    expect(late.size).toBe(0);
  });

  it('the stop (time budget, a signal) ends the wait: the prices still on their way are named, and closed out', async () => {
    const late = new LatePrices();
    const stop = new AbortController();
    late.add(
      'FAST',
      later(5, () => undefined),
    );
    late.add(
      'SLOW',
      later(10_000, () => undefined),
    );
    setTimeout(() => stop.abort(), 50);
    const started = Date.now();
    expect(await late.settle(stop.signal)).toEqual(['SLOW']);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(late.isClosed).toBe(true);
  });

  it('settles at once when already stopped', async () => {
    const late = new LatePrices();
    const stop = new AbortController();
    stop.abort();
    late.add(
      'X',
      later(10_000, () => undefined),
    );
    expect(await late.settle(stop.signal)).toEqual(['X']);
  });
});
