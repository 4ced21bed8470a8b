/**
 * The interface a runtime adapter fills so the download engine can write an object's ranges
 * by offset without knowing where they go: the mirror of `FileSource` for uploads.
 *
 * @module
 */

/**
 * Suffix of the partial file a file sink writes beside its target (`<file>.ossup-download`)
 * until the download is complete and verified.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PARTIAL_DOWNLOAD_SUFFIX } from "@ossup/ossup";
 *
 * assert.equal(`big.iso${PARTIAL_DOWNLOAD_SUFFIX}`, "big.iso.ossup-download");
 * ```
 */
export const PARTIAL_DOWNLOAD_SUFFIX = ".ossup-download";

/**
 * Where a download writes: random-access writes into partial data that appears at the target
 * only on {@linkcode FileSink.commit}. File sinks for Deno, Bun and Node write a partial file
 * beside the target (`<path>.ossup-download`) and rename it into place; other sinks (a
 * database, an in-memory buffer, a browser's file handle) fill the same seven members.
 *
 * Contract the engine relies on:
 * - nothing appears at the target before `commit`, and `commit` replaces it in one step;
 * - `write` calls for different ranges may run at once; each resolves when all its bytes are
 *   written (a crash of the process afterwards does not lose them);
 * - partial data survives `close` (the next run's `open(true)` finds it) and `discard` removes
 *   it.
 *
 * @example A sink over memory
 * ```ts
 * import assert from "node:assert/strict";
 * import type { FileSink } from "@ossup/ossup";
 *
 * let partial = new Uint8Array(0);
 * let target: Uint8Array | undefined;
 * const sink: FileSink = {
 *   name: "memory",
 *   open: (keep) => {
 *     if (!keep) partial = new Uint8Array(0);
 *     return Promise.resolve(partial.length);
 *   },
 *   write: (offset, bytes) => {
 *     if (partial.length < offset + bytes.length) {
 *       const grown = new Uint8Array(offset + bytes.length);
 *       grown.set(partial);
 *       partial = grown;
 *     }
 *     partial.set(bytes, offset);
 *     return Promise.resolve();
 *   },
 *   readInto: (offset, into) => {
 *     const got = partial.subarray(offset, offset + into.length);
 *     into.set(got);
 *     return Promise.resolve(got.length);
 *   },
 *   commit: (size) => Promise.resolve(void (target = partial.slice(0, size))),
 *   discard: () => Promise.resolve(void (partial = new Uint8Array(0))),
 *   close: () => Promise.resolve(),
 * };
 * await sink.open(false);
 * await sink.write(0, new TextEncoder().encode("hello"));
 * await sink.commit(5);
 * assert.equal(new TextDecoder().decode(target), "hello");
 * ```
 */
export interface FileSink {
  /** The target's name, for messages and for binding a checkpoint to it (a file's path). */
  readonly name: string;
  /**
   * Opens the partial data for writing. With `keep`, what an earlier run wrote is kept and
   * its size returned (`undefined` when there is none); without, the partial data starts
   * empty (and the result is 0). Nothing appears at the target.
   */
  open(keep: boolean): Promise<number | undefined>;
  /** Writes all of `bytes` at `offset` of the partial data. */
  write(offset: number, bytes: Uint8Array): Promise<void>;
  /**
   * Reads the partial data back into `target` from `offset`; resolves to the bytes read
   * (fewer at its end). The engine checks the parts an earlier run recorded with it.
   */
  readInto(offset: number, target: Uint8Array): Promise<number>;
  /**
   * Cuts the partial data to `size` bytes, makes it durable and puts it at the target in one
   * step (a file sink: fsync, rename over the target, fsync the folder). Then closed.
   */
  commit(size: number): Promise<void>;
  /** Removes the partial data (a download that cannot be resumed). Then closed. */
  discard(): Promise<void>;
  /** Releases the sink, keeping the partial data for a later run. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Makes the {@linkcode FileSink} for a file path. Each runtime's entry point provides one; the
 * web entry has none (pass a `FileSink` of your own).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodePlatform } from "@ossup/ossup/node";
 *
 * const sink = nodePlatform.createFileSink!("./big.iso");
 * assert.equal(sink.name, "./big.iso");
 * ```
 */
export type CreateFileSink = (path: string) => FileSink;
