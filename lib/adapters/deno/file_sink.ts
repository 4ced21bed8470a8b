/**
 * The file sink Deno's entry uses: the `node:fs` sink, with the bytes written through
 * `Deno.FsFile`s. Touches the `Deno` global only when a write comes.
 *
 * Why: Deno's `node:fs` writes (`FileHandle.write`, `fs.write`) run `pwrite` on the event loop's
 * own thread, so every write stalls the download's sockets, parsing and CRC-64 for as long as
 * the kernel takes; in the 1 GiB download bench the main thread spent 42% of its samples in
 * `pwrite`. `FsFile.write` runs on Deno's blocking-task threads: 1 GiB of 1 MiB writes, 4 at a
 * time, held the event loop 40-70 ms instead of 340-540 ms, and the 1 GiB download (8 MiB parts,
 * 4 routines) took 7.1-7.7 s instead of 15.7-24.6 s on the same loaded machine.
 *
 * @module
 */

import type { FileSink } from "../../sink/file_sink.ts";
import { openFileSinkWith, type PositionalWriter } from "../node_api/file_sink.ts";

/** The part of `Deno.FsFile` used here. */
interface DenoFsFile {
  seek(offset: number, whence: number): Promise<number>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

/** The part of the `Deno` namespace used here, so this file type-checks without Deno's types. */
interface DenoLike {
  open(path: string, options: { write: boolean }): Promise<DenoFsFile>;
}

const SEEK_START = 0; // Deno.SeekMode.Start

/** An open `FsFile` and where its position is. */
interface PositionedFile {
  file: DenoFsFile;
  at: number;
}

/**
 * Writes through `FsFile`s on the partial file. An `FsFile` has one file position, so each
 * seek-and-write holds its own: a write takes an idle one (one already at its offset when there
 * is: a range's writes follow each other, and each seek is one more hop to Deno's blocking
 * threads) or opens another (as many as writes run at once, i.e. the download's routines).
 */
function denoPositionalWriter(partialPath: string): PositionalWriter {
  const idle: PositionedFile[] = [];
  let closed = false;
  const take = async (offset: number): Promise<PositionedFile> => {
    const there = idle.findIndex((f) => f.at === offset);
    if (there >= 0) return idle.splice(there, 1)[0];
    const deno = (globalThis as { Deno?: DenoLike }).Deno;
    if (deno === undefined) throw new Error("the Deno file sink needs the Deno runtime");
    const taken = idle.pop() ?? { file: await deno.open(partialPath, { write: true }), at: 0 };
    taken.at = -1; // unknown until the seek is done
    await taken.file.seek(offset, SEEK_START).catch((err) => {
      taken.file.close();
      throw err;
    });
    taken.at = offset;
    return taken;
  };
  return {
    async write(offset, bytes) {
      if (closed) throw new Error(`file sink ${partialPath}: written after close`);
      const taken = await take(offset);
      try {
        for (let done = 0; done < bytes.length;) {
          const n = await taken.file.write(bytes.subarray(done));
          done += n;
          taken.at += n;
        }
      } catch (err) {
        taken.file.close();
        throw err;
      }
      if (closed) taken.file.close();
      else idle.push(taken);
    },
    close() {
      closed = true;
      for (const { file } of idle.splice(0)) file.close();
      return Promise.resolve();
    },
  };
}

/**
 * A {@linkcode FileSink} over a file path for Deno: ranges are written by position into
 * `<path>.ossup-download` through `Deno.FsFile`s, which is renamed over `<path>` only once the
 * download is complete and verified (everything but the writes is the `node:fs` sink's).
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
 * import { openDenoFileSink } from "./file_sink.ts";
 *
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * const sink = openDenoFileSink(join(dir, "big.iso"));
 * await sink.open(false);
 * await sink.write(0, new TextEncoder().encode("hello"));
 * await sink.commit(5);
 * assert.equal(await readFile(join(dir, "big.iso"), "utf8"), "hello");
 * await rm(dir, { recursive: true });
 * ```
 */
export function openDenoFileSink(path: string): FileSink {
  return openFileSinkWith(path, { openWriter: denoPositionalWriter });
}
