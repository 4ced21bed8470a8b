/**
 * The in-memory key catalog of a bucket, shared by both backends: lookups by
 * key and listing in UTF-8 byte order, lazily.
 *
 * @module
 */

import { compareUtf8 } from "./_storage_names.ts";

/** A map from keys to values that lists its keys in UTF-8 byte order. */
export class SortedKeys<V> {
  #map = new Map<string, V>();
  // Sorted snapshot, rebuilt on demand after a key is added or removed; never mutated, so
  // a listing in progress keeps walking the snapshot it started with.
  #sorted: string[] | undefined = [];

  get size(): number {
    return this.#map.size;
  }

  get(key: string): V | undefined {
    return this.#map.get(key);
  }

  set(key: string, value: V): void {
    if (!this.#map.has(key)) this.#sorted = undefined;
    this.#map.set(key, value);
  }

  delete(key: string): boolean {
    const had = this.#map.delete(key);
    if (had) this.#sorted = undefined;
    return had;
  }

  values(): IterableIterator<V> {
    return this.#map.values();
  }

  /** Keys with the prefix and strictly after `after`, in order; values read as each key is reached. */
  *list(prefix = "", after?: string): Generator<[string, V]> {
    const sorted = this.#sorted ??= [...this.#map.keys()].sort(compareUtf8);
    const from = after !== undefined && compareUtf8(after, prefix) >= 0 ? after : prefix;
    // First index whose key is > from (when from is `after`) or >= from (when it is the prefix).
    const strict = from === after;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareUtf8(sorted[mid], from);
      if (c < 0 || (strict && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < sorted.length; i++) {
      const key = sorted[i];
      if (!key.startsWith(prefix)) return;
      const value = this.#map.get(key);
      if (value !== undefined) yield [key, value];
    }
  }
}
