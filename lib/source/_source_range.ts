/**
 * Pieces shared by the file-source adapters: range checks and the streams
 * that read exactly a range, failing with `SourceChangedError` when the
 * source comes up short. Runtime-neutral.
 *
 * @module
 */

import { SourceChangedError } from "../errors/errors.ts";
import type { FileSource, SourceStat } from "./file_source.ts";

/** Default size of the chunks a positional read stream enqueues: 256 KiB. */
export const DEFAULT_CHUNK_SIZE = 256 * 1024;

/**
 * Throws a RangeError unless `[offset, offset + length)` lies within `size`.
 *
 * @param name The source's name, for the message.
 * @param size The source's size.
 * @param offset First byte.
 * @param length Number of bytes.
 */
export function checkRange(name: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
  }
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`length must be a non-negative integer, got ${length}`);
  }
  if (offset + length > size) {
    throw new RangeError(
      `range ${offset}+${length} is past the end of ${name} (${size} bytes)`,
    );
  }
}

/**
 * Checks a chunk size option.
 *
 * @param chunkSize The option's value, or undefined for the default.
 * @returns The chunk size to use.
 */
export function chunkSizeOption(chunkSize: number | undefined): number {
  const size = chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new RangeError(`chunkSize must be a positive integer, got ${size}`);
  }
  return size;
}

/** The error for a source that ended before a range did. */
export function endedEarly(name: string, offset: number, length: number, got: number) {
  return new SourceChangedError(
    `${name} ended early: read ${got} of ${length} bytes at offset ${offset}; ` +
      "it changed during the upload, run again to upload it whole",
  );
}

/**
 * A stream of exactly `length` bytes from `offset`, read by positional reads
 * into fresh buffers of at most `chunkSize` bytes (so consumers may keep
 * them).
 *
 * @param readAt Reads into `buffer` from `position`; returns the bytes read, 0 at end of file.
 * @param name The source's name, for errors.
 * @param offset First byte.
 * @param length Number of bytes.
 * @param chunkSize Largest chunk enqueued.
 * @returns The stream; it errors with `SourceChangedError` if the file ends early.
 */
export function positionalReadStream(
  readAt: (buffer: Uint8Array, position: number) => Promise<number>,
  name: string,
  offset: number,
  length: number,
  chunkSize: number,
): ReadableStream<Uint8Array> {
  let done = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (done === length) {
        controller.close();
        return;
      }
      const buffer = new Uint8Array(Math.min(chunkSize, length - done));
      const n = await readAt(buffer, offset + done);
      if (n <= 0) {
        controller.error(endedEarly(name, offset, length, done));
        return;
      }
      done += n;
      controller.enqueue(n === buffer.length ? buffer : buffer.subarray(0, n));
      if (done === length) controller.close();
    },
  }, { highWaterMark: 1 });
}

/**
 * Fills `target` with the bytes at `offset` by positional reads straight
 * into it (no chunk buffers), for a source's `readInto`.
 *
 * @param readAt Reads into `buffer` from `position`; returns the bytes read, 0 at end of file.
 * @param name The source's name, for errors.
 * @param size The source's size when opened.
 * @param offset First byte.
 * @param target Where the bytes go; its length is the number asked for.
 * @returns The bytes read: `target.length`, or fewer if the file now ends sooner.
 * @throws {RangeError} If the range is negative or past `size`.
 */
export async function readIntoAt(
  readAt: (buffer: Uint8Array, position: number) => Promise<number>,
  name: string,
  size: number,
  offset: number,
  target: Uint8Array,
): Promise<number> {
  checkRange(name, size, offset, target.length);
  let filled = 0;
  while (filled < target.length) {
    const n = await readAt(target.subarray(filled), offset + filled);
    if (n <= 0) break;
    filled += n;
  }
  return filled;
}

/**
 * Passes `stream` through, checking it yields exactly `length` bytes: fewer
 * or more, or a `NotReadableError` (a `File` whose file changed on disk),
 * error the stream with `SourceChangedError`.
 *
 * @param stream The stream of a range.
 * @param name The source's name, for errors.
 * @param offset The range's first byte, for errors.
 * @param length The range's length.
 * @returns The checked stream.
 */
export function exactLengthStream(
  stream: ReadableStream<Uint8Array>,
  name: string,
  offset: number,
  length: number,
): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let done = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result;
      try {
        result = await reader.read();
      } catch (err) {
        const notReadable = err instanceof Error && err.name === "NotReadableError";
        controller.error(
          notReadable
            ? new SourceChangedError(`${name} can no longer be read: it changed on disk`, {
              cause: err,
            })
            : err,
        );
        return;
      }
      if (result.done) {
        if (done === length) controller.close();
        else controller.error(endedEarly(name, offset, length, done));
        return;
      }
      done += result.value.length;
      if (done > length) {
        await reader.cancel().catch(() => {});
        controller.error(
          new SourceChangedError(`${name} gave more than the ${length} bytes asked for`),
        );
        return;
      }
      controller.enqueue(result.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/** What {@linkcode positionalFileSource} builds a source from. */
export interface PositionalFile {
  /** The file's path: the source's name. */
  path: string;
  /** Size and modification time when opened. */
  size: number;
  lastModified: number;
  /** Largest chunk a stream yields. */
  chunkSize: number;
  /** Reads up to `buffer.length` bytes at `position`; resolves with the count read. */
  readAt(buffer: Uint8Array, position: number): Promise<number>;
  /** Size and modification time of the path now. */
  statPath(): Promise<SourceStat>;
  /** Releases the file. */
  close(): Promise<void>;
}

/**
 * A {@linkcode FileSource} over a file read by position: streams in chunks,
 * reads into a caller's buffer, and stats the path afresh (a file renamed
 * over or deleted is a `SourceChangedError`).
 *
 * @param file The open file's facts and operations.
 * @returns The source.
 */
export function positionalFileSource(file: PositionalFile): FileSource {
  const { path, size, readAt } = file;
  return {
    name: path,
    size,
    lastModified: file.lastModified,
    stream(offset: number, length: number): ReadableStream<Uint8Array> {
      checkRange(path, size, offset, length);
      return positionalReadStream(readAt, path, offset, length, file.chunkSize);
    },
    readInto(offset: number, target: Uint8Array): Promise<number> {
      return readIntoAt(readAt, path, size, offset, target);
    },
    async stat(): Promise<SourceStat> {
      try {
        return await file.statPath();
      } catch (err) {
        throw new SourceChangedError(`${path} can no longer be found: it was moved or deleted`, {
          cause: err,
        });
      }
    },
    close: () => file.close(),
  };
}
