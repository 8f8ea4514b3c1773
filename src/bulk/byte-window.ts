const INITIAL_WINDOW_BYTES = 64 * 1024;
/** A window grown for one large descriptor entry is given back once empty and larger than this. */
const MAX_IDLE_WINDOW_BYTES = 1024 * 1024;

/**
 * The unread bytes of the stream in one contiguous buffer, grown by doubling and compacted in
 * place, so appending chunks of any size costs O(n) overall (no Buffer.concat per chunk).
 */
export class ByteWindow {
  private buffer = Buffer.allocUnsafeSlow(INITIAL_WINDOW_BYTES);
  private start = 0;
  private end = 0;
  /** Bytes of the stream consumed so far, for messages. */
  position = 0;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  get length(): number {
    return this.end - this.start;
  }

  /** The unread bytes; valid until the next pull, fill or transfer. */
  view(): Buffer {
    return this.buffer.subarray(this.start, this.end);
  }

  /** Appends the next chunk of the stream; false at its end. */
  async pull(): Promise<boolean> {
    const next = await this.source.next();
    if (next.done === true) return false;
    this.append(next.value);
    return true;
  }

  /** Pulls until `bytes` are unread; false if the stream ends first. */
  async fill(bytes: number): Promise<boolean> {
    while (this.length < bytes) if (!(await this.pull())) return false;
    return true;
  }

  consume(bytes: number): void {
    this.start += bytes;
    this.position += bytes;
    if (this.start === this.end) {
      this.start = this.end = 0;
      if (this.buffer.length > MAX_IDLE_WINDOW_BYTES) this.buffer = Buffer.allocUnsafeSlow(INITIAL_WINDOW_BYTES);
    }
  }

  /**
   * Moves the next `bytes` into `target` (or drops them when null) straight from the chunks, so
   * the data of an entry is never copied into the window; false if the stream ends first.
   */
  async transfer(bytes: number, target: Buffer | null): Promise<boolean> {
    const fromWindow = Math.min(bytes, this.length);
    if (target !== null) this.buffer.copy(target, 0, this.start, this.start + fromWindow);
    this.consume(fromWindow);
    for (let done = fromWindow; done < bytes;) {
      const next = await this.source.next();
      if (next.done === true) return false;
      const take = Math.min(next.value.length, bytes - done);
      target?.set(next.value.subarray(0, take), done);
      done += take;
      this.position += take;
      if (take < next.value.length) this.append(next.value.subarray(take));
    }
    return true;
  }

  private append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buffer.length) {
      const length = this.length;
      if (length + chunk.length > this.buffer.length) {
        const grown = Buffer.allocUnsafeSlow(Math.max(2 * this.buffer.length, length + chunk.length));
        this.buffer.copy(grown, 0, this.start, this.end);
        this.buffer = grown;
      } else {
        this.buffer.copy(this.buffer, 0, this.start, this.end);
      }
      this.start = 0;
      this.end = length;
    }
    this.buffer.set(chunk, this.end);
    this.end += chunk.length;
  }
}
