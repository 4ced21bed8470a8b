/**
 * How fast a download's bytes have arrived at best: the most bytes any window of `windowMs`
 * brought, per millisecond. The tail split asks it what a round trip carries: a range whose rest
 * the link would carry within one round trip gains nothing from being cut, since the piece's own
 * request needs a round trip before its first byte, and the cut closes the range's connection.
 *
 * The best window over-reads the link (a process reads a backlog at once after a busy moment:
 * windows of 13 ms read up to twice a 1 Gbit/s link's rate here), which errs on the side of not
 * cutting; it matters where a connection's window holds its range back, and there the rest of a
 * big part is many round trips' worth.
 *
 * @module
 */

/** Bytes arriving over time, measured in windows of `windowMs`. */
export class ArrivalRate {
  /** (time, bytes so far) at each arrival within the last window, and one before it. */
  readonly #at: number[] = [];
  readonly #total: number[] = [];
  #head = 0;
  #bytes = 0;
  #best: number | undefined;

  /**
   * @param windowMs The window, in the clock's milliseconds: about a round trip.
   * @param clock Milliseconds, e.g. `performance.now`.
   */
  constructor(readonly windowMs: number, readonly clock: () => number) {}

  /** Counts `bytes` arriving now. */
  add(bytes: number): void {
    const now = this.clock();
    this.#bytes += bytes;
    this.#at.push(now);
    this.#total.push(this.#bytes);
    this.#prune(now);
    // The last arrival at or before the window's start holds the bytes the window began with.
    if (this.#at[this.#head] > now - this.windowMs) return; // not a whole window yet
    const rate = (this.#bytes - this.#total[this.#head]) / this.windowMs;
    if (this.#best === undefined || rate > this.#best) this.#best = rate;
  }

  /** The most bytes per millisecond a whole window brought; undefined before a whole window. */
  get best(): number | undefined {
    return this.#best;
  }

  /** Drops the arrivals before the last one at or before `now - windowMs`. */
  #prune(now: number): void {
    const from = now - this.windowMs;
    while (this.#head + 1 < this.#at.length && this.#at[this.#head + 1] <= from) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#at.length) {
      this.#at.splice(0, this.#head);
      this.#total.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
