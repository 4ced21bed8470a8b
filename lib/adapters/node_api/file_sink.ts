/**
 * A {@linkcode FileSink} over a file path, through `node:fs/promises` (which Deno and Bun
 * provide too): ranges are written by position into `<path>.ossup-download`, which is renamed
 * over `<path>` only once the download is complete and verified.
 *
 * @module
 */

import { type FileHandle, open, rename, stat, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { type FileSink, PARTIAL_DOWNLOAD_SUFFIX } from "../../sink/file_sink.ts";
import { fsyncDir } from "./fsync_dir.ts";

/**
 * Positional writes into an open partial file, by a route other than the sink's `FileHandle`
 * (a runtime whose `node:fs` writes block its event loop brings its own).
 */
export interface PositionalWriter {
  /** Writes all of `bytes` at `offset`; calls for different ranges may run at once. */
  write(offset: number, bytes: Uint8Array): Promise<void>;
  /** Releases what the writer opened; called with no write in flight. */
  close(): Promise<void>;
}

/** Options of {@linkcode openNodeFileSink}. */
export interface NodeFileSinkOptions {
  /**
   * Opens the writer of the partial file (`<path>.ossup-download`, which exists then) each
   * time the sink is opened. Default: none, bytes go through the sink's `node:fs` `FileHandle`.
   */
  openWriter?: (partialPath: string) => PositionalWriter;
}

/**
 * Bytes written since the last flush began after which the sink starts the next one in the
 * background (`datasync`, one at a time): 8 MiB. Without it the whole file waits in the page
 * cache for the commit's `sync`: 97–132 ms at the end of 256 MiB written in about 1.15 s on
 * the build machine; with it the commit waited 4–7 ms, the writes took as long and the process
 * as much CPU. Through the 20 ms link profile (`npm run bench:wan -- --profiles 1`), downloads
 * of 256 MiB moved 87–90% of the link before and 92–94% after.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WRITEBACK_BYTES } from "./file_sink.ts";
 *
 * assert.equal(WRITEBACK_BYTES, 8 * 1024 * 1024);
 * ```
 */
export const WRITEBACK_BYTES = 8 * 1024 * 1024;

function isMissing(err: unknown): boolean {
  return (err as { code?: string })?.code === "ENOENT";
}

/**
 * The file sink Deno, Bun and Node use: one `FileHandle` on the partial file, written by
 * position so that routines write their ranges at once. One implementation serves the three
 * runtimes because positional writes are what a parallel download needs, and only `node:fs`
 * has them on all three (`Deno.FsFile` writes at a shared seek position, `Bun.file`'s writer
 * only appends). Deno's entry uses {@linkcode openFileSinkWith} (`../deno/file_sink.ts`):
 * Deno's `node:fs` writes block its event loop.
 *
 * @param path The target file; the partial file is `<path>.ossup-download` beside it.
 * @returns The sink (nothing is opened until `open`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, readFile, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { openNodeFileSink } from "@ossup/ossup/node";
 *
 * const dir = await mkdtemp(join(tmpdir(), "sink-"));
 * const path = join(dir, "hello.txt");
 * const sink = openNodeFileSink(path);
 * await sink.open(false);
 * await sink.write(0, new TextEncoder().encode("hello"));
 * await sink.commit(5);
 * assert.equal(await readFile(path, "utf8"), "hello");
 * await rm(dir, { recursive: true });
 * ```
 */
export function openNodeFileSink(path: string): FileSink {
  return openFileSinkWith(path, {});
}

/**
 * {@linkcode openNodeFileSink} with its writes taken by another route (an adapter's, not public).
 *
 * @param path The target file.
 * @param options Another route for the writes.
 * @returns The sink.
 */
export function openFileSinkWith(path: string, options: NodeFileSinkOptions): FileSink {
  const partial = path + PARTIAL_DOWNLOAD_SUFFIX;
  let handle: FileHandle | undefined;
  let writer: PositionalWriter | undefined;
  // Early writeback: bytes written since the last flush began, the flush under way, and the
  // first error one met (kept for the commit: a lost write must not pass for a durable one).
  let unflushed = 0;
  let flushing: Promise<void> | undefined;
  let flushError: unknown;
  const opened = (): FileHandle => {
    if (handle === undefined) throw new Error(`file sink ${path}: open() it first`);
    return handle;
  };
  const written = (h: FileHandle, n: number) => {
    unflushed += n;
    if (unflushed < WRITEBACK_BYTES || flushing !== undefined || handle !== h) return;
    unflushed = 0;
    // The file's pages, whichever descriptor wrote them (a writer's own included).
    flushing = h.datasync().catch((err) => {
      flushError ??= err;
    }).finally(() => {
      flushing = undefined;
    });
  };
  const close = async () => {
    const h = handle, w = writer;
    handle = writer = undefined;
    try {
      await w?.close();
    } finally {
      await flushing;
      await h?.close();
    }
  };
  const opening = (h: FileHandle) => {
    handle = h;
    writer = options.openWriter?.(partial);
    unflushed = 0;
    flushError = undefined;
  };
  return {
    name: path,
    async open(keep) {
      await close();
      if (keep) {
        try {
          opening(await open(partial, "r+"));
          return (await opened().stat()).size;
        } catch (err) {
          if (!isMissing(err)) throw err;
        }
      }
      opening(await open(partial, "w+"));
      return keep ? undefined : 0;
    },
    async write(offset, bytes) {
      const h = opened();
      if (writer !== undefined) await writer.write(offset, bytes);
      else {
        let done = 0;
        while (done < bytes.length) {
          const { bytesWritten } = await h.write(bytes, done, bytes.length - done, offset + done);
          done += bytesWritten;
        }
      }
      written(h, bytes.length);
    },
    async readInto(offset, target) {
      const h = opened();
      let done = 0;
      while (done < target.length) {
        const { bytesRead } = await h.read(target, done, target.length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done;
    },
    async commit(size) {
      const h = opened();
      await writer?.close();
      writer = undefined;
      await flushing;
      if (flushError !== undefined) throw flushError;
      await h.truncate(size);
      await h.sync();
      await close();
      // A folder at the target would take the rename's error; say what is in the way instead.
      const there = await stat(path).catch(() => undefined);
      if (there?.isDirectory()) {
        throw new TypeError(
          `cannot download to ${path}: it is a folder; the bytes stay in ${partial}`,
        );
      }
      await rename(partial, path);
      await fsyncDir(dirname(path));
    },
    async discard() {
      await close();
      await unlink(partial).catch((err) => {
        if (!isMissing(err)) throw err;
      });
    },
    close,
  };
}
