/**
 * The controller behind `routines: "auto"`: how many parts of a transfer go at once, adapted
 * while it runs from the throughput it measures. {@linkcode PartScheduler} starts and retires
 * routines to follow it; the engines feed it each finished part and each retried failure.
 *
 * The rule, in measuring windows. A window counts only parts started since the routines last
 * changed (a part started before ran under the old count), lasts at least `windowMs` and holds
 * at least as many such finished parts as routines, so one slow part does not decide; the window
 * that judges a step up needs only half as many ({@linkcode STEP_JUDGED_ON}): with a doubling,
 * the new routines' first parts, so a step is judged about one part's time after it, where
 * waiting for as many parts as routines took two (the old routines' next parts start over the
 * part's time after the step and end over the one after). A window's throughput is
 * routines × its parts' bytes / their time (Little's law: each routine carries one part at a
 * time), which parts that started after the step measure as well as the bytes the link carried
 * while the step's first parts were still under way:
 * - **start** at `initial` routines, {@linkcode INITIAL_ROUTINES} unless told: a window at a
 *   distant link's round trips lasts seconds, so each doubling from 1 or 2 cost about a whole
 *   few-second transfer; 8 parts at once is what a hand-tuned transfer starts with anyway, and
 *   the back-offs below still apply from the first window. On a long path, more: the engine
 *   reports its first exchange (InitiateMultipartUpload, HeadObject) before the parts start
 *   ({@linkcode AdaptiveRoutines.firstExchange}), and the bytes a link needs in flight grow with
 *   its round trip, so the start grows with it: 8 per {@linkcode FAR_EXCHANGE_MS} of it;
 * - **grow**: from there, double (then, after the first hold, add a quarter) while
 *   each step brings at least half the gain it would if throughput grew in proportion
 *   ({@linkcode STEP_MUST_BRING}); from the start up, a doubling that brought nearly all of
 *   it ({@linkcode LEAP_WHEN}: the link is far from full, each connection held back by its
 *   window) is followed by a leap to four times the routines instead of two: judging a step
 *   takes two or three parts' time, seconds at a distant link's round trips, so 8 → 16 → 64
 *   (within `max`) reaches a long link's knee a step sooner than 8 → 16 → 32 → 64;
 * - **hold** when a step stops paying, at the knee the two windows show (where throughput
 *   stopped growing in proportion: `before × rate / rate before`, between the routines before
 *   the step and after it); after
 *   {@linkcode PROBE_AFTER} windows held, probe a quarter more (the link or the server may have
 *   freed up), kept only if it pays;
 * - **back off** (halve, at most once per window) on throttling (503 `SlowDown`, 429, other
 *   OSS throttling codes, `RequestTimeout`), connection resets, request timeouts, and on rising
 *   latency: a held window whose parts take {@linkcode LATENCY_RISE} times as long as when the
 *   hold began, with no more throughput (someone else is filling the path). A reset is as
 *   likely a lost connection on a lossy path as a full one, so only resets that cluster back
 *   off: the {@linkcode RESETS_CLUSTER}th within one measuring window; an isolated one is
 *   retried and changes nothing. After throttling, timeouts and latency it holds; after
 *   clustered resets it climbs back by judged doublings to the routines it had, then by
 *   quarters.
 *
 * Always within 1 to `max`. Nothing here reads a clock except through `clock`, so tests drive it
 * with counted bytes and an injected clock.
 *
 * @module
 */

import { NetworkError, OssError, TimeoutError } from "../errors/errors.ts";
import { isThrottlingError } from "../client/retry_policy.ts";

/**
 * Routines at the start unless `initial` says otherwise (never more than `max`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { INITIAL_ROUTINES } from "./adaptive_routines.ts";
 *
 * assert.equal(INITIAL_ROUTINES, 8);
 * ```
 */
export const INITIAL_ROUTINES = 8;
/**
 * The share of a step's proportional gain it must bring to count as growth: a step from `n` to
 * `m` routines pays when the throughput rises at least `(m / n − 1) × 0.5` (doubling: +50%;
 * 8 → 10: +12.5%), so small steps are judged as fairly as large ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { STEP_MUST_BRING } from "./adaptive_routines.ts";
 *
 * assert.equal(STEP_MUST_BRING, 0.5);
 * ```
 */
export const STEP_MUST_BRING = 0.5;
/**
 * The share of the routines whose parts, started after a step up and finished, judge it: 0.5,
 * so a doubling is judged on the new routines' first parts (about one part's time after it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { STEP_JUDGED_ON } from "./adaptive_routines.ts";
 *
 * assert.equal(STEP_JUDGED_ON, 0.5);
 * ```
 */
export const STEP_JUDGED_ON = 0.5;
/**
 * The share of a doubling's proportional gain that makes the next step a leap (× 4 instead of
 * × 2), from {@linkcode INITIAL_ROUTINES} routines up: 0.9, so 8 → 16 must bring at least
 * +90% (the link took nearly every added routine's share: far from full).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LEAP_WHEN } from "./adaptive_routines.ts";
 *
 * assert.equal(LEAP_WHEN, 0.9);
 * ```
 */
export const LEAP_WHEN = 0.9;
/**
 * What the knee estimate of a step that did not pay gives up, in routines: a step that brought
 * nothing measurable (within this much of one routine's share) returns exactly to the routines
 * before it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KNEE_SLACK } from "./adaptive_routines.ts";
 * assert.equal(KNEE_SLACK, 0.25);
 * ```
 */
export const KNEE_SLACK = 0.25;
/**
 * Windows held before probing one step up again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PROBE_AFTER } from "./adaptive_routines.ts";
 *
 * assert.equal(PROBE_AFTER, 4);
 * ```
 */
export const PROBE_AFTER = 4;
/**
 * A held window whose parts take this many times as long as when the hold began (with no more
 * throughput) backs off.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LATENCY_RISE } from "./adaptive_routines.ts";
 *
 * assert.equal(LATENCY_RISE, 2);
 * ```
 */
export const LATENCY_RISE = 2;

/**
 * How long a transfer's first exchange (a new connection's handshake, then one request and its
 * answer: about two round trips) may take before the controller starts above
 * {@linkcode INITIAL_ROUTINES}: 100 ms (a link about 50 ms away). Longer, it starts at
 * `8 × exchange / 100 ms` routines (within `max`): 300 ms away (an exchange of about 600 ms),
 * 48, so `max` (32 by default); loopback and nearby links start at 8 as before. On a connection
 * already open the exchange is one round trip, and the start half as high (traced 300 ms away:
 * 24, which still fills a 20 Mbit/s link through 64 KiB windows).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AdaptiveRoutines } from "@ossup/ossup";
 * import { FAR_EXCHANGE_MS } from "./adaptive_routines.ts";
 *
 * assert.equal(FAR_EXCHANGE_MS, 100);
 * const far = new AdaptiveRoutines({ max: 32 });
 * far.firstExchange(300); // 150 ms away
 * assert.equal(far.routines, 24);
 * ```
 */
export const FAR_EXCHANGE_MS = 100;
/**
 * Resets within one measuring window that back off: 2. One alone is a lost connection (its
 * part is retried), not a full path: halving the routines for it left a lossy long link half
 * used for a whole window.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AdaptiveRoutines } from "@ossup/ossup";
 * import { RESETS_CLUSTER } from "./adaptive_routines.ts";
 *
 * assert.equal(RESETS_CLUSTER, 2);
 * const control = new AdaptiveRoutines({ max: 32 });
 * control.backOff("reset");
 * assert.equal(control.routines, 8); // isolated: nothing changes
 * control.backOff("reset");
 * assert.equal(control.routines, 4); // the second in the window: halved
 * ```
 */
export const RESETS_CLUSTER = 2;

/**
 * Why the controller backed off.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AdaptiveRoutines, type BackoffReason } from "@ossup/ossup";
 *
 * const reason: BackoffReason = "throttled"; // a 503 SlowDown
 * const control = new AdaptiveRoutines({ max: 16, initial: 8 });
 * control.backOff(reason);
 * assert.equal(control.routines, 4); // halved
 * ```
 */
export type BackoffReason = "throttled" | "reset" | "timeout" | "latency";

/**
 * Whether a failed attempt says "too much", and how: throttling answers (503 `SlowDown`, 429,
 * OSS's other throttling codes), `RequestTimeout` (the server waited too long for the body),
 * a connection reset or other network failure, a timeout. Other failures say nothing of load.
 *
 * @param error What an attempt failed with.
 * @returns Why to back off, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backoffReason, OssError } from "@ossup/ossup";
 *
 * assert.equal(backoffReason(new OssError({ status: 503, code: "SlowDown", message: "" })), "throttled");
 * assert.equal(backoffReason(new OssError({ status: 404, code: "NoSuchKey", message: "" })), undefined);
 * ```
 */
export function backoffReason(error: unknown): BackoffReason | undefined {
  if (error instanceof TimeoutError) return "timeout";
  if (error instanceof NetworkError) return "reset";
  if (error instanceof OssError) {
    if (error.code === "RequestTimeout") return "timeout";
    if (isThrottlingError(error)) return "throttled";
  }
  return undefined;
}

/**
 * Options of {@linkcode AdaptiveRoutines}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AdaptiveRoutines } from "@ossup/ossup";
 *
 * let now = 0; // the control's clock: the test moves it, not the wall
 * const control = new AdaptiveRoutines({ max: 16, clock: () => now, windowMs: 100 });
 * assert.equal(control.routines, 8); // the default start (INITIAL_ROUTINES)
 * ```
 */
export interface AdaptiveRoutinesOptions {
  /** Most routines: the caller's `maxRoutines`, lowered to what `maxMemory` allows. */
  max: number;
  /**
   * Routines at the start.
   * @default {Math.min(INITIAL_ROUTINES, max)}
   */
  initial?: number;
  /**
   * Milliseconds, monotonic enough to measure windows.
   * @default {() => performance.now()}
   */
  clock?: () => number;
  /**
   * Shortest measuring window in milliseconds.
   * @default {500}
   */
  windowMs?: number;
}

/** One window's figures. */
interface Window {
  /** Bytes per millisecond. */
  rate: number;
  /** Mean time of a part, in milliseconds. */
  latency: number;
}

/**
 * How many routines a transfer runs now; see the module's documentation for the rule.
 *
 * @example Growing while throughput grows with the routines
 * ```ts
 * import assert from "node:assert/strict";
 * import { AdaptiveRoutines } from "@ossup/ossup";
 *
 * let now = 0;
 * const control = new AdaptiveRoutines({ max: 16, initial: 1, clock: () => now, windowMs: 100 });
 * for (let i = 0; i < 3; i++) {
 *   const n = control.routines;
 *   now += 100;
 *   for (let p = 0; p < n; p++) control.partDone(1000, 100); // each routine: 1000 B per 100 ms
 *   // After a step up, as many parts as routines settle before the next window judges it.
 *   for (let p = 0; p < control.routines; p++) control.partDone(1000, 100);
 * }
 * assert.equal(control.routines, 8); // 1 → 2 → 4 → 8
 * ```
 */
export class AdaptiveRoutines {
  readonly #max: number;
  readonly #clock: () => number;
  readonly #windowMs: number;
  readonly #listeners = new Set<() => void>();
  #routines: number;
  /** The routines before the last step up, to return to when it did not pay. */
  #before: number;
  #peak: number;
  #phase: "grow" | "hold" = "grow";
  #slowStart = true;
  /** After a reset: the routines before it, which doublings climb back to (0: none). */
  #recoverTo = 0;
  /** The window before the last step up, which the next must beat. */
  #baseline: Window | undefined;
  /** The first window of the current hold. */
  #held: Window | undefined;
  #heldWindows = 0;
  /** When the routines last changed: parts started before ran under another count. */
  #changedAt: number;
  /** The current window judges a step up ({@linkcode STEP_JUDGED_ON} of the routines' parts). */
  #judgingStep = false;
  #windowStart: number;
  #bytes = 0;
  #parts = 0;
  #partTime = 0;
  /** No second back-off before this time: one per window. */
  #quietUntil = -Infinity;
  #backoffs = 0;
  #lastBackoff: BackoffReason | undefined;
  /** Resets since the current window began (see {@linkcode RESETS_CLUSTER}). */
  #resets = 0;
  /** The caller gave `initial`: the first exchange does not move the start. */
  readonly #startGiven: boolean;
  /** A part has been counted or the routines changed: too late to set the start. */
  #started = false;

  /**
   * Starts at `options.initial` routines.
   *
   * @param options The bounds, the start and the clock.
   * @throws {RangeError} When `max` is not a whole number ≥ 1.
   */
  constructor(options: AdaptiveRoutinesOptions) {
    const { max } = options;
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(`max must be a whole number ≥ 1; got ${max}`);
    }
    this.#max = max;
    this.#clock = options.clock ?? (() => performance.now());
    this.#windowMs = options.windowMs ?? 500;
    this.#startGiven = options.initial !== undefined;
    this.#routines = Math.max(1, Math.min(options.initial ?? INITIAL_ROUTINES, max));
    this.#before = this.#routines;
    this.#peak = this.#routines;
    this.#windowStart = this.#clock();
    this.#changedAt = this.#windowStart;
  }

  /** Routines wanted now, 1 to {@linkcode AdaptiveRoutines.max}. */
  get routines(): number {
    return this.#routines;
  }

  /** The time on its clock, in milliseconds (what parts are timed with). */
  now(): number {
    return this.#clock();
  }

  /** Most routines it may ask for. */
  get max(): number {
    return this.#max;
  }

  /** Most routines it asked for at once so far. */
  get peak(): number {
    return this.#peak;
  }

  /** How many times it backed off. */
  get backoffs(): number {
    return this.#backoffs;
  }

  /** Why it last backed off, if it did. */
  get lastBackoff(): BackoffReason | undefined {
    return this.#lastBackoff;
  }

  /**
   * Calls `listener` whenever {@linkcode AdaptiveRoutines.routines} changes.
   *
   * @param listener Called with no argument; read `routines`.
   * @returns Unsubscribes.
   */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * The transfer's first exchange with the server (InitiateMultipartUpload, HeadObject) took
   * `ms`, before any part: a long one raises the start to `8 × ms / 100` routines (see
   * {@linkcode FAR_EXCHANGE_MS}), within `max`. Ignored once a part was counted or the routines
   * changed, and when the caller gave `initial`; never lowers the start.
   *
   * @param ms The exchange's time, from its request's start to its answer.
   */
  firstExchange(ms: number): void {
    if (this.#startGiven || this.#started || !(ms > FAR_EXCHANGE_MS)) return;
    const start = Math.min(this.#max, Math.floor(INITIAL_ROUTINES * ms / FAR_EXCHANGE_MS));
    if (start <= this.#routines) return;
    this.#before = start;
    this.#set(start);
    this.#started = false; // still the start: the first window has nothing to compare with
  }

  /**
   * Counts a finished part; may end a window and change the routines.
   *
   * @param bytes The part's bytes.
   * @param durationMs How long the part took, from its request's start to its answer.
   */
  partDone(bytes: number, durationMs: number): void {
    const now = this.#clock();
    // Started before the last change: it ran under the old count and says nothing of this one.
    if (now - durationMs < this.#changedAt) return;
    this.#started = true;
    this.#bytes += bytes;
    this.#parts++;
    this.#partTime += durationMs;
    const needed = this.#judgingStep ? Math.ceil(this.#routines * STEP_JUDGED_ON) : this.#routines;
    if (now - this.#windowStart < this.#windowMs || this.#parts < needed) return;
    // Little's law: the routines each carry a part at a time, at bytes / time per part.
    const rate = this.#routines * this.#bytes / Math.max(this.#partTime, Number.MIN_VALUE);
    const window = { rate, latency: this.#partTime / this.#parts };
    this.#judgingStep = false;
    this.#startWindow();
    if (this.#phase === "grow") this.#afterGrowWindow(window);
    else this.#afterHeldWindow(window);
  }

  /**
   * A request of the transfer failed in a way that says "too much": halves the routines, unless
   * it already backed off within the current window (many parts in flight meet the same
   * congestion at once), or it is a reset with no other in the window
   * ({@linkcode RESETS_CLUSTER}).
   *
   * @param reason Why.
   */
  backOff(reason: BackoffReason): void {
    const now = this.#clock();
    if (now < this.#quietUntil) return;
    if (reason === "reset" && ++this.#resets < RESETS_CLUSTER) return;
    this.#quietUntil = now + this.#windowMs;
    this.#backoffs++;
    this.#lastBackoff = reason;
    const from = this.#routines;
    const halved = Math.max(1, Math.floor(from / 2));
    this.#held = undefined;
    this.#heldWindows = 0;
    this.#judgingStep = false;
    this.#startWindow();
    if (reason === "reset") {
      // A reset far away is as likely a lost connection as a full path: after halving, climb back
      // by judged doublings to where it was, as TCP regrows after a loss, rather than hold for
      // PROBE_AFTER windows (seconds each at such a path's round trips) and add quarters.
      this.#phase = "grow";
      this.#slowStart = true;
      this.#baseline = undefined;
      this.#before = halved;
      this.#recoverTo = from;
    } else {
      this.#phase = "hold";
      this.#slowStart = false;
      this.#recoverTo = 0;
    }
    this.#set(halved);
  }

  #afterGrowWindow(window: Window): void {
    const ratio = this.#routines / this.#before;
    const gain = (share: number) =>
      this.#baseline !== undefined &&
      window.rate >= this.#baseline.rate * (1 + (ratio - 1) * share);
    const grew = this.#baseline === undefined || gain(STEP_MUST_BRING);
    if (grew && this.#routines < this.#max) {
      const paidInFull = ratio >= 2 && gain(LEAP_WHEN);
      this.#baseline = window;
      this.#stepUp(this.#growthStep(paidInFull));
      return;
    }
    this.#phase = "hold";
    this.#slowStart = false;
    this.#heldWindows = 0;
    if (grew) {
      this.#held = window;
    } else {
      // The last step did not pay in full: the throughput stopped growing in proportion somewhere
      // between the routines before it and now. Hold at that knee, estimated from the two windows
      // (throughput ∝ routines below it, flat above), not all the way back: near a link's rate a
      // doubling brings less than its share and falling back to half would leave the link half
      // used. The hold is measured anew.
      this.#held = undefined;
      const knee = this.#baseline === undefined
        ? this.#before
        : Math.ceil(this.#before * window.rate / this.#baseline.rate - KNEE_SLACK);
      this.#set(Math.max(this.#before, Math.min(this.#routines, knee)));
    }
  }

  /** Routines to add after a step that paid: see the module's documentation. */
  #growthStep(paidInFull: boolean): number {
    if (this.#slowStart && this.#recoverTo > 0) {
      // Regrowing after a reset: doublings up to the routines before it, quarters from there.
      if (this.#routines < this.#recoverTo) {
        return Math.min(this.#routines, this.#recoverTo - this.#routines);
      }
      this.#slowStart = false;
      this.#recoverTo = 0;
    }
    if (!this.#slowStart) return Math.max(1, Math.floor(this.#routines / 4));
    return paidInFull && this.#before >= INITIAL_ROUTINES ? 3 * this.#routines : this.#routines;
  }

  #stepUp(step: number): void {
    this.#before = this.#routines;
    this.#set(Math.min(this.#max, this.#routines + step));
    this.#judgingStep = true;
  }

  #afterHeldWindow(window: Window): void {
    const held = this.#held;
    if (held === undefined) {
      this.#held = window;
      return;
    }
    // Rising latency with the same throughput (within 10%): the path is busier, not faster.
    if (window.latency > held.latency * LATENCY_RISE && window.rate < held.rate * 1.1) {
      this.backOff("latency");
      return;
    }
    if (++this.#heldWindows >= PROBE_AFTER && this.#routines < this.#max) {
      this.#phase = "grow";
      this.#baseline = window;
      this.#stepUp(Math.max(1, Math.floor(this.#routines / 4)));
    }
  }

  #startWindow(): void {
    this.#resets = 0;
    this.#windowStart = this.#clock();
    this.#bytes = 0;
    this.#parts = 0;
    this.#partTime = 0;
  }

  #set(routines: number): void {
    if (routines === this.#routines) return;
    this.#started = true;
    this.#routines = routines;
    this.#changedAt = this.#clock();
    this.#startWindow();
    this.#peak = Math.max(this.#peak, routines);
    for (const listener of this.#listeners) listener();
  }
}
