/**
 * The interface a runtime adapter fills so the upload engine can read a
 * source by offset without knowing what runtime it runs on.
 *
 * @module
 */

/**
 * Size and modification time of a source, as read from it now.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blobSource } from "@ossup/ossup";
 *
 * const source = blobSource(new File(["hello"], "hello.txt", { lastModified: 1700000000000 }));
 * const { size, lastModified } = await source.stat();
 * assert.deepEqual({ size, lastModified }, { size: 5, lastModified: 1700000000000 });
 * ```
 */
export interface SourceStat {
  /** Size in bytes. */
  size: number;
  /** Modification time in milliseconds since the epoch (0 when the source has none). */
  lastModified: number;
}

/**
 * A random-access byte source of known size: a file on disk, a `Blob`, a
 * `File`. Adapters live in `lib/adapters/<runtime>/`.
 *
 * @example A source over bytes in memory
 * ```ts
 * import assert from "node:assert/strict";
 * import type { FileSource } from "@ossup/ossup";
 *
 * const bytes = new TextEncoder().encode("hello");
 * const source: FileSource = {
 *   name: "hello.txt",
 *   size: bytes.length,
 *   lastModified: 0,
 *   stream: (offset, length) => new Blob([bytes.subarray(offset, offset + length)]).stream(),
 *   stat: () => Promise.resolve({ size: bytes.length, lastModified: 0 }),
 *   close: () => Promise.resolve(),
 * };
 * assert.equal(await new Response(source.stream(1, 3)).text(), "ell");
 * ```
 */
export interface FileSource {
  /** A name for messages and for the checkpoint's source identity (a path, a file name). */
  readonly name: string;
  /** Size in bytes when the source was opened. */
  readonly size: number;
  /** Modification time in milliseconds since the epoch when the source was opened (0 if unknown). */
  readonly lastModified: number;
  /**
   * Reads exactly `length` bytes starting at `offset` as a stream. Each call
   * reads afresh from the source, so a retried part re-reads its bytes.
   * The stream errors with a `SourceChangedError` if the source ends early.
   */
  stream(offset: number, length: number): ReadableStream<Uint8Array>;
  /**
   * Optional zero-copy body for a range (a `Blob` slice), used where a
   * runtime can send a `Blob` without reading it into memory.
   */
  slice?(offset: number, length: number): Blob;
  /**
   * Optional copy-free read: fills `target` with the `target.length` bytes
   * at `offset` and resolves to the number of bytes read, fewer only if the
   * source now ends sooner (it changed). Each call reads afresh. The engine
   * prefers it to `stream()`: a part is read straight into the buffer a
   * routine reuses, instead of copied there from a stream's fresh chunks.
   * Rejects with a `RangeError` if the range is past `size` or negative.
   */
  readInto?(offset: number, target: Uint8Array): Promise<number>;
  /** Reads size and modification time now, to notice a source changed under the upload. */
  stat(): Promise<SourceStat>;
  /** Releases the source (closes a file handle). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Opens a file path as a {@linkcode FileSource}. Each runtime's entry point
 * provides one; the web entry has none (use a `Blob` or `File` instead).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import type { OpenFile } from "@ossup/ossup";
 * import { openNodeFile } from "@ossup/ossup/node";
 *
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * await writeFile(join(dir, "big.iso"), "hello");
 *
 * const open: OpenFile = (path) => openNodeFile(path);
 * const source = await open(join(dir, "big.iso"));
 * assert.equal(source.size, 5);
 * await source.close();
 * await rm(dir, { recursive: true });
 * ```
 */
export type OpenFile = (path: string) => Promise<FileSource>;
