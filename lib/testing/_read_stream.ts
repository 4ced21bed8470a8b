/**
 * Reading a byte stream to its end, for checking what a body held.
 *
 * @module
 */

import { concatBytes } from "../_concat_bytes.ts";

/** The chunks of `stream`, read to its end, as they came. */
export async function readChunks(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return chunks;
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
}

/** The bytes of `stream`, read to its end and joined. */
export async function readAll(
  stream: ReadableStream<Uint8Array>,
): Promise<Uint8Array<ArrayBuffer>> {
  return concatBytes(await readChunks(stream));
}
