/**
 * A {@linkcode FileSource} over a file, through Deno's own file API
 * (`Deno.open`, `FsFile`). Touches the `Deno` global only when called.
 *
 * @module
 */

import type { FileSource } from "../../source/file_source.ts";
import { chunkSizeOption, positionalFileSource } from "../../source/_source_range.ts";

/** The part of `Deno.FileInfo` used here. */
interface DenoFileInfo {
  isFile: boolean;
  size: number;
  mtime: Date | null;
}

/** The part of `Deno.FsFile` used here. */
interface DenoFsFile {
  seek(offset: number, whence: number): Promise<number>;
  read(buffer: Uint8Array): Promise<number | null>;
  stat(): Promise<DenoFileInfo>;
  close(): void;
}

/** The part of the `Deno` namespace used here, so this file type-checks without Deno's types. */
interface DenoLike {
  open(path: string, options: { read: boolean }): Promise<DenoFsFile>;
  stat(path: string): Promise<DenoFileInfo>;
}

const SEEK_START = 0; // Deno.SeekMode.Start

/**
 * Options of {@linkcode openDenoFile}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { openDenoFile } from "@ossup/ossup/deno";
 *
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * await writeFile(join(dir, "big.iso"), new Uint8Array(3 << 20));
 * const source = await openDenoFile(join(dir, "big.iso"), { chunkSize: 1024 * 1024 });
 * const chunks: number[] = [];
 * for await (const chunk of source.stream(0, source.size)) chunks.push(chunk.length);
 * assert.deepEqual(chunks, [1 << 20, 1 << 20, 1 << 20]);
 * await source.close();
 * await rm(dir, { recursive: true });
 * ```
 */
export interface DenoFileSourceOptions {
  /** Largest chunk a part's stream yields, in bytes. Default 262144 (256 KiB). */
  chunkSize?: number;
}

/**
 * Opens a file as a {@linkcode FileSource} with `Deno.open`. An `FsFile`
 * has one file position, so each chunk's seek-and-read runs alone; parts
 * may still be streamed concurrently. `stat()` looks at the path, so a file
 * replaced or deleted is noticed too.
 *
 * @param path The file's path; also the source's name.
 * @param options Chunk size.
 * @returns The open source; close it when done.
 * @throws {TypeError} If the path is not a regular file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { openDenoFile } from "@ossup/ossup/deno";
 *
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * await writeFile(join(dir, "big.iso"), "hello");
 * const source = await openDenoFile(join(dir, "big.iso"));
 * try {
 *   assert.equal(source.size, 5);
 *   assert.ok(source.lastModified > 0);
 *   assert.equal(await new Response(source.stream(1, 3)).text(), "ell");
 * } finally {
 *   await source.close();
 * }
 * await rm(dir, { recursive: true });
 * ```
 */
export async function openDenoFile(
  path: string,
  options: DenoFileSourceOptions = {},
): Promise<FileSource> {
  const chunkSize = chunkSizeOption(options.chunkSize);
  const deno = (globalThis as unknown as { Deno: DenoLike }).Deno;
  const file = await deno.open(path, { read: true });
  let info;
  try {
    info = await file.stat();
  } catch (err) {
    file.close();
    throw err;
  }
  if (!info.isFile) {
    file.close();
    throw new TypeError(`${path} is not a regular file`);
  }
  const size = info.size;
  let closed = false;
  // Serializes seek+read pairs on the shared file position.
  let queue: Promise<unknown> = Promise.resolve();
  const readAt = (buffer: Uint8Array, position: number): Promise<number> => {
    const run = queue.then(async () => {
      await file.seek(position, SEEK_START);
      let filled = 0;
      // read() may return fewer bytes than asked; fill the chunk while we hold the position.
      while (filled < buffer.length) {
        const n = await file.read(buffer.subarray(filled));
        if (n === null || n === 0) break;
        filled += n;
      }
      return filled;
    });
    queue = run.catch(() => {});
    return run;
  };
  return positionalFileSource({
    path,
    size,
    lastModified: mtimeOf(info),
    chunkSize,
    readAt,
    async statPath() {
      const now = await deno.stat(path);
      return { size: now.size, lastModified: mtimeOf(now) };
    },
    async close() {
      if (closed) return;
      closed = true;
      // Let reads in flight finish before the handle goes away.
      await queue;
      file.close();
    },
  });
}

function mtimeOf(info: DenoFileInfo): number {
  return info.mtime ? Math.floor(info.mtime.getTime()) : 0;
}
