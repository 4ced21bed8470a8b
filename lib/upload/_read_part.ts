/**
 * Reads one part of a source into memory with its CRC64: straight into the
 * routine's buffer where the source can (`readInto`), else from its stream,
 * hashing each chunk on the way. Each part is read once per attempt.
 *
 * A source that offers `slice` (a Bun file, a browser `File` or `Blob`) is
 * only read to hash it, through a small reused buffer, and its slice is the
 * body: the runtime sends the range from the file itself (Bun uses
 * sendfile), so a routine holds 1 MiB instead of a part. The server's CRC64
 * of what it received is checked against this one, so a file changed
 * between hashing and sending is caught like any corrupted part.
 *
 * @module
 */

import { Crc64, crc64 } from "../crc64/crc64.ts";
import { AbortError, SourceChangedError } from "../errors/errors.ts";
import type { FileSource } from "../source/file_source.ts";

/** Bytes of a part and their CRC64. */
export interface PartBytes {
  bytes: Uint8Array;
  crc64: bigint;
}

/** What a part is sent as, and its CRC64. */
export interface PartBody {
  body: Uint8Array | Blob;
  crc64: bigint;
}

/** Size of the buffer a routine hashes sliced parts through. */
export const SLICE_HASH_CHUNK = 1024 * 1024;

/** The size of a routine's buffer for parts of `partSize` from `source`. */
export function partBufferSize(source: FileSource, partSize: number): number {
  const part = Math.min(partSize, source.size);
  return source.slice ? Math.min(part, SLICE_HASH_CHUNK) : part;
}

/**
 * The body to send for a part and its CRC64: the source's slice, hashed
 * through `scratch`, where the source has `slice`; else the part read into
 * `scratch` (see {@linkcode readPart}).
 */
export async function partBody(
  source: FileSource,
  offset: number,
  size: number,
  signal: AbortSignal | undefined,
  scratch: Uint8Array,
): Promise<PartBody> {
  if (!source.slice) {
    const read = await readPart(source, offset, size, signal, scratch);
    return { body: read.bytes, crc64: read.crc64 };
  }
  const crc64 = await hashRange(source, offset, size, signal, scratch);
  return { body: source.slice(offset, size), crc64 };
}

/**
 * The CRC64 of `size` bytes of `source` at `offset`, read through `scratch`
 * (any length): memory stays at the scratch buffer whatever the size.
 */
export async function hashRange(
  source: FileSource,
  offset: number,
  size: number,
  signal: AbortSignal | undefined,
  scratch: Uint8Array,
): Promise<bigint> {
  const crc = new Crc64();
  for (let done = 0; done < size;) {
    const length = Math.min(scratch.length, size - done);
    const read = await readPart(source, offset + done, length, signal, scratch);
    crc.update(read.bytes);
    done += length;
  }
  return crc.digest();
}

/**
 * Reads `size` bytes at `offset`; a short or long read means the source
 * changed. With `into` (at least `size` bytes) the part is read into it, so
 * a routine reuses one buffer for all its parts instead of leaving one
 * part-sized buffer per part for the garbage collector.
 */
export async function readPart(
  source: FileSource,
  offset: number,
  size: number,
  signal?: AbortSignal,
  into?: Uint8Array,
): Promise<PartBytes> {
  const bytes = into && into.length >= size ? into.subarray(0, size) : new Uint8Array(size);
  if (source.readInto) {
    if (signal?.aborted) throw new AbortError("read of a part aborted", { cause: signal.reason });
    const filled = await source.readInto(offset, bytes);
    if (filled !== size) throw shortRead(source, offset, size, filled);
    return { bytes, crc64: crc64(bytes) };
  }
  const crc = new Crc64();
  let filled = 0;
  const reader = source.stream(offset, size).getReader();
  try {
    for (;;) {
      if (signal?.aborted) throw new AbortError("read of a part aborted", { cause: signal.reason });
      const { done, value } = await reader.read();
      if (done) break;
      if (filled + value.length > size) {
        throw new SourceChangedError(
          `${source.name}: read past the expected part length; the source changed`,
        );
      }
      bytes.set(value, filled);
      crc.update(value);
      filled += value.length;
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw err;
  } finally {
    reader.releaseLock();
  }
  if (filled !== size) throw shortRead(source, offset, size, filled);
  return { bytes, crc64: crc.digest() };
}

function shortRead(source: FileSource, offset: number, size: number, filled: number) {
  return new SourceChangedError(
    `${source.name}: expected ${size} bytes at offset ${offset}, read ${filled}; the source changed`,
  );
}
