/**
 * Runs a transfer's parts a few at a time and stops them all at the first failure: the piece
 * every part-based engine (uploads, downloads, copies) shares, so each engine writes only what
 * one part does. The number of routines is fixed, or follows an {@linkcode AdaptiveRoutines}
 * controller (`routines: "auto"`): routines start when it asks for more and retire, between
 * parts, when it asks for fewer.
 *
 * @module
 */

import { onAbort } from "../_abort_listeners.ts";
import { AbortError } from "../errors/errors.ts";
import { AdaptiveRoutines, backoffReason } from "./adaptive_routines.ts";

/**
 * The error a transfer stopped through its caller's signal ends with: the signal's reason
 * when it is an `AbortError`, else an `AbortError` carrying it as its cause.
 *
 * @param signal The caller's aborted signal.
 * @param what What was aborted, for the message, e.g. `"upload"`.
 * @returns The error to throw.
 */
export function transferAborted(signal: AbortSignal, what: string): AbortError {
  const reason = signal.reason;
  if (reason instanceof AbortError) return reason;
  return new AbortError(`${what} aborted`, { cause: reason });
}

/**
 * One run of parts. Its {@linkcode PartScheduler.signal} fires when the caller's signal does or
 * when a part fails ({@linkcode PartScheduler.fail}); the first failure is kept, later ones
 * (usually the abort they caused) are not.
 *
 * Contract: call {@linkcode PartScheduler.dispose} when the run is over (it unlinks the
 * caller's signal); {@linkcode PartScheduler.routines} and {@linkcode PartScheduler.settle}
 * never throw: read {@linkcode PartScheduler.firstError} after them.
 *
 * @example Three routines pulling from one list
 * ```ts
 * import assert from "node:assert/strict";
 * import { PartScheduler } from "./part_scheduler.ts";
 *
 * const parts = [1, 2, 3, 4, 5];
 * const sent: number[] = [];
 * const run = new PartScheduler(undefined);
 * let next = 0;
 * await run.routines(3, async (nextTurn) => {
 *   while (next < parts.length && nextTurn()) sent.push(parts[next++]);
 * });
 * run.dispose();
 * assert.deepEqual(sent.sort(), [1, 2, 3, 4, 5]);
 * assert.equal(run.firstError, undefined);
 * ```
 */
export class PartScheduler {
  readonly #internal = new AbortController();
  readonly #unlink: (() => void) | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  #firstError: unknown;
  #failed = false;
  #control: AdaptiveRoutines | undefined;
  /** Routines running and not retired. */
  #live = 0;
  #peakRoutines = 0;
  #partsInFlight = 0;
  #peakPartsInFlight = 0;

  /** @param signal The caller's signal; its abort stops the run. */
  constructor(signal: AbortSignal | undefined) {
    // One shared listener on the caller's signal, however many transfers watch it (a tree copy).
    this.#unlink = signal && onAbort(signal, () => this.#internal.abort(signal.reason));
  }

  /** Fires on the caller's abort or the first failure: give it to every request of the run. */
  get signal(): AbortSignal {
    return this.#internal.signal;
  }

  /** The first failure, if a part failed. */
  get firstError(): unknown {
    return this.#firstError;
  }

  /** Whether no more parts should start: a part failed or the run was aborted. */
  get stopped(): boolean {
    return this.#failed || this.#internal.signal.aborted;
  }

  /**
   * Records a failure (the first one wins) and aborts the parts in flight.
   *
   * @param err What failed.
   */
  fail(err: unknown): void {
    if (!this.#failed) {
      this.#failed = true;
      this.#firstError = err;
    }
    this.#internal.abort(err);
  }

  /** Most routines that ran at once. */
  get peakRoutines(): number {
    return this.#peakRoutines;
  }

  /** Routines running now (not retired). */
  get liveRoutines(): number {
    return this.#live;
  }

  /** Most parts in {@linkcode PartScheduler.track} at once. */
  get peakPartsInFlight(): number {
    return this.#peakPartsInFlight;
  }

  /** Parts in {@linkcode PartScheduler.track} now. */
  get partsInFlight(): number {
    return this.#partsInFlight;
  }

  /**
   * Runs routines, each pulling parts until there are none, the run stops, or (adaptive) it is
   * retired: a routine calls `nextTurn()` before each part it takes and returns when it says
   * `false`. With a number, that many routines run; with an {@linkcode AdaptiveRoutines}, as
   * many as it asks for now, more started when it asks for more. A routine's throw fails the
   * run. Resolves when every routine has returned.
   *
   * @param count How many routines, or the controller that says.
   * @param routine One routine's loop.
   */
  async routines(
    count: number | AdaptiveRoutines,
    routine: (nextTurn: () => boolean) => Promise<void>,
  ): Promise<void> {
    const running = new Set<Promise<void>>();
    const wanted = () => typeof count === "number" ? count : count.routines;
    let closed = false;
    const spawn = () => {
      let retired = false;
      const nextTurn = () => {
        if (this.stopped) return false;
        // Retire between parts when the controller wants fewer: the part just done is over.
        if (!retired && this.#live > wanted()) {
          retired = true;
          this.#live--;
        }
        return !retired;
      };
      this.#live++;
      this.#peakRoutines = Math.max(this.#peakRoutines, this.#live);
      const task: Promise<void> = routine(nextTurn)
        .catch((err) => this.fail(err))
        .finally(() => {
          if (!retired) this.#live--;
          running.delete(task);
        });
      running.add(task);
    };
    const fill = () => {
      while (!closed && !this.stopped && this.#live < wanted()) spawn();
    };
    if (count instanceof AdaptiveRoutines) this.#control = count;
    const unsubscribe = count instanceof AdaptiveRoutines ? count.subscribe(fill) : undefined;
    try {
      fill();
      while (running.size > 0) await Promise.all(running);
    } finally {
      closed = true;
      unsubscribe?.();
      this.#control = undefined;
    }
  }

  /**
   * Runs one part's request, counted as in flight while it runs; when it succeeds, its bytes
   * and time go to the run's controller (with `routines: "auto"`).
   *
   * @param bytes The part's bytes.
   * @param part The request.
   * @returns What `part` resolves to.
   */
  async track<T>(bytes: number, part: () => Promise<T>): Promise<T> {
    this.#partsInFlight++;
    this.#peakPartsInFlight = Math.max(this.#peakPartsInFlight, this.#partsInFlight);
    const control = this.#control;
    const started = control?.now();
    try {
      const value = await part();
      if (control) control.partDone(bytes, control.now() - started!);
      return value;
    } finally {
      this.#partsInFlight--;
    }
  }

  /**
   * For a request's `onRetry`: a failure that says "too much" (throttling, a reset connection,
   * a timeout) makes the run's controller back off. A fixed count is left as it is.
   *
   * @param error What the attempt failed with.
   */
  readonly retried = (error: unknown): void => {
    const reason = backoffReason(error);
    if (reason !== undefined) this.#control?.backOff(reason);
  };

  /**
   * Starts one part now (for a producer that makes parts as it goes, such as a stream being
   * read; pace it with {@linkcode PartScheduler.roomFor}); its throw fails the run.
   *
   * @param part Sends one part.
   */
  start(part: () => Promise<void>): void {
    const task = part().catch((err) => this.fail(err));
    this.#inFlight.add(task);
    task.finally(() => this.#inFlight.delete(task));
  }

  /**
   * Waits until fewer than `limit` started parts are in flight: a producer that waits here
   * before making the next part holds at most `limit` parts at once.
   *
   * @param limit Most parts in flight.
   */
  async roomFor(limit: number): Promise<void> {
    while (this.#inFlight.size >= limit) await Promise.race(this.#inFlight);
  }

  /** Waits for every part {@linkcode PartScheduler.start}ed to end. */
  async settle(): Promise<void> {
    await Promise.all(this.#inFlight);
  }

  /** Unlinks the caller's signal. */
  dispose(): void {
    this.#unlink?.();
  }
}
