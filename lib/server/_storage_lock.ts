/**
 * A mutex per name, so the storage can serialize the short publish step of
 * writes to one key or one upload while bodies stream in parallel.
 *
 * @module
 */

/** Runs critical sections one at a time per name; names with no waiters cost nothing. */
export class KeyedLock {
  #tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier `run` with the same name has settled. */
  async run<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    const previous = this.#tails.get(name);
    let release!: () => void;
    const tail = new Promise<void>((resolve) => release = resolve);
    this.#tails.set(name, tail);
    if (previous) await previous;
    try {
      return await fn();
    } finally {
      if (this.#tails.get(name) === tail) this.#tails.delete(name);
      release();
    }
  }
}
