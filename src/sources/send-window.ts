/**
 * The ceiling checked where it matters, at the moment a request is handed to the network.
 * p-throttle schedules slots from the time a request joins its queue; under CPU load (or while the
 * first fetch of a process compiles) a request can leave well after its slot, and the next on time,
 * closer together than the interval. Each slot here is stamped again when its request really goes
 * out, and a new one is given only while fewer than `limit` stamps fall within the last interval.
 */
export class SendWindow {
  private stamps: { at: number }[] = [];

  constructor(
    private limit: number,
    private intervalMs: number,
  ) {}

  /** Halves the rate from now on (SEC blocked us twice): half the requests per window, or twice the window for one. */
  slowDown(): void {
    if (this.limit > 1) this.limit = Math.floor(this.limit / 2);
    else this.intervalMs *= 2;
  }

  /** Requests per second the window allows now. */
  get perSecond(): number {
    return (this.limit * 1000) / this.intervalMs;
  }

  /** Waits for room in the window; call `markSent` right before the request is sent. */
  async reserve(): Promise<{ markSent: () => void }> {
    for (;;) {
      const now = performance.now();
      this.stamps = this.stamps.filter((stamp) => now - stamp.at < this.intervalMs);
      if (this.stamps.length < this.limit) {
        const stamp = { at: now };
        this.stamps.push(stamp);
        return { markSent: () => (stamp.at = Math.max(stamp.at, performance.now())) };
      }
      const oldest = Math.min(...this.stamps.map((stamp) => stamp.at));
      await new Promise((resolve) => setTimeout(resolve, this.intervalMs - (now - oldest) + 1));
    }
  }
}
