/**
 * A {@linkcode FileSource} over a file, through Bun's own file API
 * (`Bun.file`). Touches the `Bun` global only when called.
 *
 * @module
 */

import { type FileHandle, open } from "node:fs/promises";
import type { FileSource, SourceStat } from "../../source/file_source.ts";
import { SourceChangedError } from "../../errors/errors.ts";
import { checkRange, exactLengthStream, readIntoAt } from "../../source/_source_range.ts";

/** The part of a `BunFile` used here. */
interface BunFileLike extends Blob {
  readonly lastModified: number;
  exists(): Promise<boolean>;
  stat(): Promise<{ size: number; mtimeMs: number; isFile(): boolean }>;
}

/** The part of the `Bun` namespace used here, so this file type-checks without Bun's types. */
interface BunLike {
  file(path: string): BunFileLike;
}

/**
 * Options of {@linkcode openBunFile}.
 *
 * @example Bun only: the doc tests run on Deno, so they do not run this one
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { openBunFile } from "@ossup/ossup/bun";
 *
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * await writeFile(join(dir, "big.iso"), new Uint8Array(200 * 1024));
 * const source = await openBunFile(join(dir, "big.iso"), { sendSlices: true });
 * assert.equal(source.slice?.(0, 1024).size, 1024); // a part Bun sends straight from the file
 * await source.close();
 * await rm(dir, { recursive: true });
 * ```
 */
export interface BunFileSourceOptions {
  /**
   * Offer `slice()`, so the upload engine sends each part from the file
   * (Bun uses sendfile) and reads it only to hash it, through 1 MiB: a
   * routine then holds 1 MiB instead of a part. Default false: measured on
   * loopback (1 GiB, 4 × 8 MiB parts), Bun's file bodies went at 0.75× the
   * throughput of byte bodies, for a peak of 62 instead of 129 MiB. Turn it
   * on where memory matters more than speed.
   */
  sendSlices?: boolean;
}

/**
 * Opens a file as a {@linkcode FileSource} with `Bun.file`. Ranges are file
 * slices, streamed by `stream()`; with `sendSlices`, also handed to `fetch`
 * by `slice()`, which Bun sends straight from the file. `readInto()` reads by position into the
 * caller's buffer through a `node:fs` handle, opened on its first call (Bun
 * has no positional read of its own that fills a given buffer). `stat()`
 * looks at the path afresh.
 *
 * @param path The file's path; also the source's name.
 * @param options Whether to offer `slice()` bodies.
 * @returns The source; close it when done (it closes the handle `readInto()` opened).
 * @throws {TypeError} If the path is not a regular file.
 *
 * @example Bun only: the doc tests run on Deno, so they do not run this one
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { openBunFile } from "@ossup/ossup/bun";
 *
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * await writeFile(join(dir, "big.iso"), "hello");
 * const source = await openBunFile(join(dir, "big.iso"));
 * assert.equal(source.size, 5);
 * assert.equal(await new Response(source.stream(1, 3)).text(), "ell");
 * await source.close();
 * await rm(dir, { recursive: true });
 * ```
 */
export async function openBunFile(
  path: string,
  options: BunFileSourceOptions = {},
): Promise<FileSource> {
  const bun = (globalThis as unknown as { Bun: BunLike }).Bun;
  const file = bun.file(path);
  // Bun.file is lazy; stat() opens nothing but fails for a missing path like open would.
  const info = await file.stat();
  if (!info.isFile()) throw new TypeError(`${path} is not a regular file`);
  const size = info.size;
  let handle: Promise<FileHandle> | undefined;
  let closed: Promise<void> | undefined;
  const readAt = async (buffer: Uint8Array, position: number) => {
    if (closed) throw new TypeError(`${path}: the source is closed`);
    handle ??= open(path, "r").catch((err) => {
      throw new SourceChangedError(`${path} can no longer be opened: it was moved or deleted`, {
        cause: err,
      });
    });
    return (await (await handle).read(buffer, 0, buffer.length, position)).bytesRead;
  };
  const source: FileSource = {
    name: path,
    size,
    lastModified: Math.floor(info.mtimeMs),
    stream(offset: number, length: number): ReadableStream<Uint8Array> {
      checkRange(path, size, offset, length);
      if (length === 0) return new Blob([]).stream();
      const part = file.slice(offset, offset + length).stream() as ReadableStream<Uint8Array>;
      return exactLengthStream(part, path, offset, length);
    },
    readInto(offset: number, target: Uint8Array): Promise<number> {
      return readIntoAt(readAt, path, size, offset, target);
    },
    async stat(): Promise<SourceStat> {
      try {
        const now = await bun.file(path).stat();
        return { size: now.size, lastModified: Math.floor(now.mtimeMs) };
      } catch (err) {
        throw new SourceChangedError(`${path} can no longer be found: it was moved or deleted`, {
          cause: err,
        });
      }
    },
    close(): Promise<void> {
      closed ??= handle ? handle.then((h) => h.close(), () => {}) : Promise.resolve();
      return closed;
    },
  };
  if (options.sendSlices) {
    source.slice = (offset: number, length: number): Blob => {
      checkRange(path, size, offset, length);
      return file.slice(offset, offset + length);
    };
  }
  return source;
}
