/**
 * Reads one part of a source into memory with its CRC64: straight into the
 * routine's buffer where the source can (`readInto`), else from its stream,
 * hashing each chunk on the way. Each part is read once per attempt.
 *
 * @module
 */

import { Crc64, crc64 } from "../crc64.ts";
import { AbortError, SourceChangedError } from "../errors.ts";
import type { FileSource } from "../file_source.ts";

/** Bytes of a part and their CRC64. */
export interface PartBytes {
  bytes: Uint8Array;
  crc64: bigint;
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
