/**
 * A stream over bytes in given chunk sizes, as request bodies and sockets
 * hand them over.
 *
 * @module
 */

/**
 * A stream of `bytes` in chunks of `chunkSize` bytes, or of the sizes in
 * `chunkSize` taken in turn. Each chunk is a copy, as a socket hands over
 * fresh buffers.
 */
export function streamOf(
  bytes: Uint8Array,
  chunkSize: number | readonly number[],
): ReadableStream<Uint8Array> {
  const sizes = typeof chunkSize === "number" ? [chunkSize] : chunkSize;
  let at = 0;
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.byteLength) return controller.close();
      const n = sizes[i++ % sizes.length];
      controller.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  });
}
