/**
 * The requests a test server has recorded, looked up by where they were sent
 * rather than by position: a server records a request when its body ends,
 * so with two connections the last one recorded need not be the last one
 * sent. Tests wait on {@linkcode RequestLog.recorded} instead of sleeping.
 *
 * @module
 */

/** A request as a test server recorded it: at least the target it was sent to. */
export interface Targeted {
  /** The request target as sent: path and query. */
  url: string;
}

/** Whether `entry` was sent to `target`: its path and query as sent, or its path alone. */
function sentTo(entry: Targeted, target: string): boolean {
  return entry.url === target || new URL(entry.url, "http://x").pathname === target;
}

/** Recorded requests with lookups by target and waits for a request or a count. */
export class RequestLog<T extends Targeted> {
  /** Every request recorded, in the order their bodies ended (not the order they were sent). */
  readonly entries: T[] = [];
  #waiters: { ready: () => boolean; resolve: () => void }[] = [];

  /** Records `entry` and wakes whoever waits for it. */
  add(entry: T): void {
    this.entries.push(entry);
    const woken = this.#waiters.filter((w) => w.ready());
    this.#waiters = this.#waiters.filter((w) => !woken.includes(w));
    for (const w of woken) w.resolve();
  }

  /**
   * The one request sent to `target` (a path, or path and query as sent).
   *
   * @throws {Error} When none or more than one was recorded: a test that reuses a target
   *   must tell its requests apart another way.
   */
  to(target: string): T {
    const found = this.allTo(target);
    if (found.length !== 1) {
      const paths = this.entries.map((e) => e.url).join(", ");
      throw new Error(`${found.length} requests to ${target} recorded (all: ${paths})`);
    }
    return found[0];
  }

  /** Every request sent to `target`, in the order they were recorded. */
  allTo(target: string): T[] {
    return this.entries.filter((e) => sentTo(e, target));
  }

  /** Resolves with the request to `target` once it has been recorded (see {@linkcode to}). */
  async recorded(target: string): Promise<T> {
    await this.#until(() => this.entries.some((e) => sentTo(e, target)));
    return this.to(target);
  }

  /** Resolves once at least `count` requests have been recorded. */
  async reached(count: number): Promise<void> {
    await this.#until(() => this.entries.length >= count);
  }

  #until(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ ready, resolve }));
  }
}
