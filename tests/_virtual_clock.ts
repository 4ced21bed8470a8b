/**
 * Virtual clocks for pacing tests (`PacingClock`): time moves only when the test or a sleeper
 * moves it, so the arithmetic of a rate limiter or the link emulator is checked on exact
 * numbers, never on wall-clock times.
 *
 * @module
 */

import type { PacingClock } from "../lib/pacing/clock.ts";

interface Sleeper {
  at: number;
  resolve: () => void;
}

/** Lets the promise continuations that are ready run (a few microtask turns; no timer). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 8; i++) await Promise.resolve();
}

/** A clock the test advances: sleepers wake in time order, each at its own time. */
export class VirtualClock implements PacingClock {
  #now = 0;
  #sleepers: Sleeper[] = [];

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const sleeper: Sleeper = { at: this.#now + Math.max(0, ms), resolve };
      this.#sleepers.push(sleeper);
      signal?.addEventListener("abort", () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal.reason);
      }, { once: true });
    });
  }

  /** Moves time to `to`, waking each sleeper due on the way at its time and letting it run. */
  async advanceTo(to: number): Promise<void> {
    await settle();
    for (;;) {
      this.#sleepers.sort((a, b) => a.at - b.at);
      const next = this.#sleepers[0];
      if (next === undefined || next.at > to) break;
      this.#sleepers.shift();
      this.#now = Math.max(this.#now, next.at);
      next.resolve();
      await settle();
    }
    this.#now = Math.max(this.#now, to);
  }

  /** Moves time forward by `ms`. */
  advance(ms: number): Promise<void> {
    return this.advanceTo(this.#now + ms);
  }

  /**
   * Moves time forward by `ms` without waking anyone: a busy machine, whose timers run late.
   * The sleepers now due wake at the next {@linkcode VirtualClock.advanceTo}.
   */
  stall(ms: number): void {
    this.#now += ms;
  }
}

/**
 * A clock whose time moves only by sleeps: a sleep of `ms` moves the clock `ms` forward and
 * resolves at once. Concurrent sleepers are thus served one after the other; a pacer that reads
 * the clock before each wait (a token bucket refilling by the time passed) sees the time the
 * others' sleeps took, so the total time is what the paced bytes cost at the rate.
 */
export class SleepDrivenClock implements PacingClock {
  #now = 0;
  /** Sleeps so far. */
  sleeps = 0;

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeps++;
    this.#now += Math.max(0, ms);
    return Promise.resolve();
  }
}
