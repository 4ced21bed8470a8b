/**
 * A {@linkcode CheckpointStore} in memory: for edge workers, tests, and
 * uploads that need to resume only within the process.
 *
 * @module
 */

import type { CheckpointLock, CheckpointStore } from "./checkpoint_store.ts";
import { AbortError, CheckpointError } from "../errors/errors.ts";
import { concatBytes } from "../_concat_bytes.ts";

/**
 * Keeps checkpoints in memory for the life of the store object. Appends
 * cost the appended bytes only (chunks are joined on read). Locks are
 * exclusive within the store; waiters are served first come, first served.
 *
 * @example Resume within the process
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryCheckpointStore } from "@ossup/ossup";
 *
 * const store = new MemoryCheckpointStore();
 * const lock = await store.lock("upload-1");
 * await store.write("upload-1", new TextEncoder().encode("header\n"));
 * await store.append("upload-1", new TextEncoder().encode("part 1\n"));
 * assert.equal(new TextDecoder().decode((await store.read("upload-1"))!), "header\npart 1\n");
 * await lock.release();
 * ```
 */
export class MemoryCheckpointStore implements CheckpointStore {
  #data = new Map<string, Uint8Array[]>();
  #held = new Set<string>();
  #waiters = new Map<string, (() => void)[]>();

  /** Returns a copy of the content under `id`, or `null`. */
  read(id: string): Promise<Uint8Array | null> {
    const chunks = this.#data.get(id);
    if (chunks === undefined) return Promise.resolve(null);
    if (chunks.length > 1) {
      // Join once, so repeated reads stay cheap.
      const joined = concatBytes(chunks);
      chunks.splice(0, chunks.length, joined);
    }
    return Promise.resolve((chunks[0] ?? new Uint8Array()).slice());
  }

  /** Replaces the content under `id` with a copy of `data`. */
  write(id: string, data: Uint8Array): Promise<void> {
    this.#data.set(id, [data.slice()]);
    return Promise.resolve();
  }

  /** Appends a copy of `data` to the content under `id`. */
  append(id: string, data: Uint8Array): Promise<void> {
    const chunks = this.#data.get(id);
    if (chunks === undefined) this.#data.set(id, [data.slice()]);
    else chunks.push(data.slice());
    return Promise.resolve();
  }

  /** Removes the content under `id`. */
  remove(id: string): Promise<void> {
    this.#data.delete(id);
    return Promise.resolve();
  }

  /**
   * Takes the lock on `id`; throws `CheckpointError("CheckpointLocked")` if it
   * is held, or with `wait` waits for it (an `AbortError` if `signal` fires).
   */
  lock(
    id: string,
    options: { wait?: boolean; signal?: AbortSignal } = {},
  ): Promise<CheckpointLock> {
    const { wait = false, signal } = options;
    if (signal?.aborted) {
      return Promise.reject(
        new AbortError(`waiting for checkpoint lock ${id} was aborted`, {
          cause: signal.reason,
        }),
      );
    }
    if (!this.#held.has(id)) {
      this.#held.add(id);
      return Promise.resolve(this.#handle(id));
    }
    if (!wait) {
      return Promise.reject(
        new CheckpointError("CheckpointLocked", `checkpoint ${id} is in use by another upload`),
      );
    }
    return new Promise((resolve, reject) => {
      const queue = this.#waiters.get(id) ?? [];
      this.#waiters.set(id, queue);
      const onAbort = () => {
        const at = queue.indexOf(grant);
        if (at >= 0) queue.splice(at, 1);
        reject(
          new AbortError(`waiting for checkpoint lock ${id} was aborted`, {
            cause: signal?.reason,
          }),
        );
      };
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve(this.#handle(id));
      };
      queue.push(grant);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #handle(id: string): CheckpointLock {
    let released = false;
    return {
      release: () => {
        if (released) return Promise.resolve();
        released = true;
        // Hand the lock straight to the next waiter, so no newcomer slips in.
        const next = this.#waiters.get(id)?.shift();
        if (next) next();
        else {
          this.#held.delete(id);
          this.#waiters.delete(id);
        }
        return Promise.resolve();
      },
    };
  }
}
