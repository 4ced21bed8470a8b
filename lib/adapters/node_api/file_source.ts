/**
 * A {@linkcode FileSource} over a file, through `node:fs/promises` (which
 * Deno and Bun provide too).
 *
 * @module
 */

import { open, stat } from "node:fs/promises";
import type { FileSource } from "../../source/file_source.ts";
import { chunkSizeOption, positionalFileSource } from "../../source/_source_range.ts";

/**
 * Options of {@linkcode openNodeFile}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { openNodeFile } from "@ossup/ossup/node";
 *
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * await writeFile(join(dir, "big.iso"), new Uint8Array(3 << 20));
 * const source = await openNodeFile(join(dir, "big.iso"), { chunkSize: 1024 * 1024 });
 * const chunks: number[] = [];
 * for await (const chunk of source.stream(0, source.size)) chunks.push(chunk.length);
 * assert.deepEqual(chunks, [1 << 20, 1 << 20, 1 << 20]);
 * await source.close();
 * await rm(dir, { recursive: true });
 * ```
 */
export interface NodeFileSourceOptions {
  /** Largest chunk a part's stream yields, in bytes. Default 262144 (256 KiB). */
  chunkSize?: number;
}

/**
 * Opens a file as a {@linkcode FileSource}: one `FileHandle`, read by
 * position, so parts can be read concurrently and retried, and `readInto`
 * reads a part straight into the caller's buffer. `stat()` looks
 * at the path, so a file replaced (renamed over) or deleted is noticed too.
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
 * import { openNodeFile } from "@ossup/ossup/node";
 *
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * await writeFile(join(dir, "big.iso"), new Uint8Array(3 << 20));
 * const source = await openNodeFile(join(dir, "big.iso"));
 * let read = 0;
 * try {
 *   const firstPart = source.stream(0, Math.min(source.size, 1048576));
 *   for await (const chunk of firstPart) read += chunk.length;
 * } finally {
 *   await source.close();
 * }
 * assert.equal(read, 1048576);
 * await rm(dir, { recursive: true });
 * ```
 */
export async function openNodeFile(
  path: string,
  options: NodeFileSourceOptions = {},
): Promise<FileSource> {
  const chunkSize = chunkSizeOption(options.chunkSize);
  const handle = await open(path, "r");
  let info;
  try {
    info = await handle.stat();
  } catch (err) {
    await handle.close();
    throw err;
  }
  if (!info.isFile()) {
    await handle.close();
    throw new TypeError(`${path} is not a regular file`);
  }
  const size = info.size;
  let closed: Promise<void> | undefined;
  const readAt = async (buffer: Uint8Array, position: number) =>
    (await handle.read(buffer, 0, buffer.length, position)).bytesRead;
  return positionalFileSource({
    path,
    size,
    lastModified: Math.floor(info.mtimeMs),
    chunkSize,
    readAt,
    async statPath() {
      const now = await stat(path);
      return { size: now.size, lastModified: Math.floor(now.mtimeMs) };
    },
    close() {
      closed ??= handle.close();
      return closed;
    },
  });
}
