/**
 * The time source of everything that paces bytes (a rate limiter, the link emulator): injected,
 * so that tests run the arithmetic on a virtual clock instead of asserting wall-clock times.
 *
 * @module
 */

import { onAbort } from "../_abort_listeners.ts";

/**
 * A clock that can wait.
 *
 * @example A clock that moves only when something waits on it
 * ```ts
 * import assert from "node:assert/strict";
 * import { type PacingClock, RateLimiter } from "@ossup/ossup";
 *
 * let now = 0; // a clock that moves only when something waits on it
 * const clock: PacingClock = {
 *   now: () => now,
 *   sleep: (ms) => {
 *     now += ms;
 *     return Promise.resolve();
 *   },
 * };
 * // 3 KiB at 1 KiB/s with a 1 KiB burst: two seconds on this clock, none on the real one.
 * const limiter = new RateLimiter(1024, { burst: 1024, clock });
 * for (let i = 0; i < 3; i++) await limiter.take(1024);
 * assert.equal(Math.round(now), 2000);
 * ```
 */
export interface PacingClock {
  /** Milliseconds on a clock that never goes back. */
  now(): number;
  /**
   * Resolves once `ms` milliseconds have passed on this clock; rejects with the signal's reason
   * when `signal` fires first.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The real clock: `performance.now()` and timers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SYSTEM_CLOCK } from "@ossup/ossup";
 *
 * const t0 = SYSTEM_CLOCK.now();
 * await SYSTEM_CLOCK.sleep(1);
 * assert.ok(SYSTEM_CLOCK.now() >= t0); // a clock that never goes back
 * ```
 */
export const SYSTEM_CLOCK: PacingClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        stop?.();
        resolve();
      }, Math.max(0, ms));
      const stop = signal && onAbort(signal, () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    }),
};
