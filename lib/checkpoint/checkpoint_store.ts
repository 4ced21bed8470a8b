/**
 * The interface a checkpoint store fills: where the upload engine keeps its
 * resumable-upload journal. Stores hold opaque bytes under string ids; the
 * journal format, its checksums and its validation belong to the engine.
 *
 * @module
 */

/**
 * A held lock on one checkpoint id; release it when the upload ends.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CheckpointError, MemoryCheckpointStore } from "@ossup/ossup";
 *
 * const store = new MemoryCheckpointStore();
 * const lock = await store.lock("upload-1");
 * try {
 *   await store.write("upload-1", new Uint8Array([1, 2, 3]));
 *   // Held: a second upload of the same checkpoint is refused.
 *   await assert.rejects(store.lock("upload-1"), CheckpointError);
 * } finally {
 *   await lock.release();
 * }
 * await (await store.lock("upload-1")).release();
 * ```
 */
export interface CheckpointLock {
  /** Releases the lock. Safe to call twice. */
  release(): Promise<void>;
}

/**
 * Persistent storage for upload checkpoints. Adapters: file (one file per id,
 * the id being its path), memory, IndexedDB; users may bring their own
 * (a database, Deno KV, Redis) by filling these five methods.
 *
 * Guarantees the engine relies on:
 * - `write` replaces the whole content atomically: a reader sees the old
 *   content or the new, never a mix (file store: temp file, fsync, rename).
 * - `append` adds bytes at the end; a crash may leave a torn tail, which the
 *   journal's per-record checksums detect and drop.
 * - `lock` is exclusive across every process sharing the store, and throws a
 *   `CheckpointError` with code `"CheckpointLocked"` when another holder has it;
 *   a lock left by a dead process is taken over.
 *
 * @example A store over a Map (what the memory store does)
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CheckpointStore } from "@ossup/ossup";
 *
 * const data = new Map<string, Uint8Array>();
 * const store: CheckpointStore = {
 *   read: (id) => Promise.resolve(data.get(id) ?? null),
 *   write: (id, bytes) => Promise.resolve(void data.set(id, bytes.slice())),
 *   append: (id, bytes) => {
 *     const old = data.get(id) ?? new Uint8Array();
 *     const joined = new Uint8Array(old.length + bytes.length);
 *     joined.set(old);
 *     joined.set(bytes, old.length);
 *     data.set(id, joined);
 *     return Promise.resolve();
 *   },
 *   remove: (id) => Promise.resolve(void data.delete(id)),
 *   lock: () => Promise.resolve({ release: () => Promise.resolve() }),
 * };
 * await store.write("cp", new Uint8Array([1]));
 * await store.append("cp", new Uint8Array([2, 3]));
 * assert.deepEqual(await store.read("cp"), new Uint8Array([1, 2, 3]));
 * await store.remove("cp");
 * assert.equal(await store.read("cp"), null);
 * ```
 */
export interface CheckpointStore {
  /** Returns the content stored under `id`, or `null` if there is none. */
  read(id: string): Promise<Uint8Array | null>;
  /** Replaces the content under `id` atomically. */
  write(id: string, data: Uint8Array): Promise<void>;
  /** Appends to the content under `id` (creating it if absent). */
  append(id: string, data: Uint8Array): Promise<void>;
  /** Removes the content under `id`; no error if absent. */
  remove(id: string): Promise<void>;
  /**
   * Takes the exclusive lock on `id`. Throws `CheckpointError("CheckpointLocked")`
   * if another live holder has it, unless `wait` is true, in which case it
   * polls until the lock is free or `signal` aborts.
   */
  lock(id: string, options?: { wait?: boolean; signal?: AbortSignal }): Promise<CheckpointLock>;
}
