/**
 * Runs a transfer's parts a few at a time and stops them all at the first failure: the piece
 * every part-based engine needs (uploads today; downloads and copies next), so each engine
 * writes only what one part does.
 *
 * @module
 */

import { AbortError } from "../errors/errors.ts";

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
 * import { PartScheduler } from "./part_scheduler.ts";
 *
 * const parts = [1, 2, 3, 4, 5];
 * const sent: number[] = [];
 * const run = new PartScheduler(undefined);
 * let next = 0;
 * await run.routines(3, async () => {
 *   while (!run.stopped && next < parts.length) sent.push(parts[next++]);
 * });
 * run.dispose();
 * console.log(sent.length, run.firstError); // 5 undefined
 * ```
 */
export class PartScheduler {
  readonly #internal = new AbortController();
  readonly #caller: AbortSignal | undefined;
  readonly #onAbort = () => this.#internal.abort(this.#caller?.reason);
  readonly #inFlight = new Set<Promise<void>>();
  #firstError: unknown;
  #failed = false;

  /** @param signal The caller's signal; its abort stops the run. */
  constructor(signal: AbortSignal | undefined) {
    this.#caller = signal;
    signal?.addEventListener("abort", this.#onAbort, { once: true });
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

  /**
   * Runs `count` routines at once, each pulling parts until there are none or the run stops;
   * a routine's throw fails the run. Resolves when every routine has returned.
   *
   * @param count How many routines.
   * @param routine One routine's loop.
   */
  async routines(count: number, routine: () => Promise<void>): Promise<void> {
    await Promise.all(
      Array.from({ length: count }, () => routine().catch((err) => this.fail(err))),
    );
  }

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
    this.#caller?.removeEventListener("abort", this.#onAbort);
  }
}
