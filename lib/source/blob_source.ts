/**
 * A {@linkcode FileSource} over a `Blob` or `File`: what a browser or an
 * edge worker uploads.
 *
 * @module
 */

import type { FileSource, SourceStat } from "./file_source.ts";
import { checkRange, exactLengthStream } from "./_source_range.ts";

/**
 * Options of {@linkcode blobSource}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blobSource } from "@ossup/ossup/web";
 *
 * const source = blobSource(new Blob(["hello"]), { name: "hello.txt" });
 * assert.equal(source.name, "hello.txt"); // a plain Blob would be "blob"
 * ```
 */
export interface BlobSourceOptions {
  /** Name for messages and the checkpoint; default the `File`'s name, else `"blob"`. */
  name?: string;
}

/**
 * Wraps a `Blob` or `File` as a {@linkcode FileSource}. Parts are
 * `blob.slice()`s: streamed by `stream()`, or handed whole to `fetch` by
 * `slice()` without copying. Size and modification time are the blob's
 * (0 for a plain `Blob`). A `File` whose file changed on disk fails to read
 * (`NotReadableError` in browsers), reported as `SourceChangedError`.
 *
 * @param blob The data.
 * @param options Name.
 * @returns The source (closing it does nothing).
 *
 * @example Upload from an `<input type="file">`
 * ```ts
 * import assert from "node:assert/strict";
 * import { blobSource } from "@ossup/ossup/web";
 *
 * const file = new File(["hello world"], "hello.txt", { lastModified: 1700000000000 });
 * const source = blobSource(file);
 * assert.equal(source.name, "hello.txt");
 * assert.equal(source.size, 11);
 * assert.equal(source.lastModified, 1700000000000);
 * assert.equal(await new Response(source.stream(6, 5)).text(), "world");
 * ```
 */
export function blobSource(blob: Blob, options: BlobSourceOptions = {}): FileSource {
  // Only a File has a name and a time (Bun gives a plain Blob a bogus lastModified).
  const file = typeof File === "function" && blob instanceof File ? blob : undefined;
  const name = options.name ?? file?.name ?? "blob";
  const lastModified = file && Number.isFinite(file.lastModified)
    ? Math.max(0, Math.floor(file.lastModified))
    : 0;
  const size = blob.size;
  return {
    name,
    size,
    lastModified,
    stream(offset: number, length: number): ReadableStream<Uint8Array> {
      checkRange(name, size, offset, length);
      return exactLengthStream(blob.slice(offset, offset + length).stream(), name, offset, length);
    },
    slice(offset: number, length: number): Blob {
      checkRange(name, size, offset, length);
      return blob.slice(offset, offset + length);
    },
    stat(): Promise<SourceStat> {
      return Promise.resolve({ size: blob.size, lastModified });
    },
    close(): Promise<void> {
      return Promise.resolve();
    },
  };
}
