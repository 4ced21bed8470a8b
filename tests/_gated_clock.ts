/**
 * A fault clock a test can hold: while held, every latency (and bandwidth)
 * wait of the fault injector waits for {@linkcode GatedClock.release}, so a
 * request with a latency fault gets no answer until the test lets it go. A
 * client's timeout then races nothing: the server answers only afterwards,
 * however slow the machine. Not held, it is the real clock.
 *
 * @module
 */

import type { FaultClock } from "../lib/server/faults.ts";
import { signalled } from "./_signalled.ts";

/** The real clock, with a gate the test closes and opens. */
export class GatedClock implements FaultClock {
  #gate?: { promise: Promise<void>; resolve: () => void };
  #holding = 0;
  #waiters: { count: number; resolve: () => void }[] = [];

  /** Milliseconds on the real monotonic clock. */
  now(): number {
    return performance.now();
  }

  /** While held, resolves on {@linkcode GatedClock.release}; otherwise after `ms`. */
  sleep(ms: number): Promise<void> {
    if (this.#gate === undefined) return new Promise((resolve) => setTimeout(resolve, ms));
    this.#holding++;
    const woken = this.#waiters.filter((w) => this.#holding >= w.count);
    this.#waiters = this.#waiters.filter((w) => !woken.includes(w));
    for (const w of woken) w.resolve();
    return this.#gate.promise;
  }

  /**
   * Resolves once `count` fault waits have been held since the last release: the faults
   * have reached their wait (a latency fault before its operation, a bandwidth cap on
   * the response once the operation has run).
   */
  held(count = 1): Promise<void> {
    if (this.#holding >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  /** From now on, every fault wait holds until {@linkcode GatedClock.release}. */
  hold(): void {
    this.#gate ??= signalled();
  }

  /** Lets every held wait go on, and goes back to the real clock. */
  release(): void {
    this.#gate?.resolve();
    this.#gate = undefined;
    this.#holding = 0;
  }
}
