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
 * import { openNodeFile } from "@ossup/ossup/node";
 *
 * const source = await openNodeFile("./big.iso", { chunkSize: 1024 * 1024 });
 * await source.close();
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
 * import { openNodeFile } from "./file_source.ts";
 *
 * const source = await openNodeFile("./big.iso");
 * try {
 *   const firstPart = source.stream(0, Math.min(source.size, 1048576));
 *   for await (const chunk of firstPart) console.log(chunk.length);
 * } finally {
 *   await source.close();
 * }
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
