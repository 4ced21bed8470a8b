/**
 * The time source of everything that paces bytes (a rate limiter, the link emulator): injected,
 * so that tests run the arithmetic on a virtual clock instead of asserting wall-clock times.
 *
 * @module
 */

/**
 * A clock that can wait.
 *
 * @example A clock that moves only when something waits on it
 * ```ts
 * import type { PacingClock } from "@ossup/ossup";
 *
 * let now = 0;
 * const clock: PacingClock = {
 *   now: () => now,
 *   sleep: (ms) => {
 *     now += ms;
 *     return Promise.resolve();
 *   },
 * };
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
 * import { SYSTEM_CLOCK } from "@ossup/ossup";
 *
 * const t0 = SYSTEM_CLOCK.now();
 * await SYSTEM_CLOCK.sleep(1);
 * console.log(SYSTEM_CLOCK.now() >= t0); // true
 * ```
 */
export const SYSTEM_CLOCK: PacingClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};
