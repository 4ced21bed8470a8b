// Reading a byte stream to its end with a BYOB reader, one buffer of `size` reused throughout.

/** Every byte of `body`, read into a `size`-byte buffer handed back and forth; and the reads. */
export async function readByob(
  body: ReadableStream<Uint8Array>,
  size: number,
): Promise<{ bytes: Uint8Array; reads: number }> {
  const reader = body.getReader({ mode: "byob" });
  const chunks: Uint8Array[] = [];
  let reads = 0;
  for (let buffer = new Uint8Array(size);;) {
    const { done, value } = await reader.read(buffer);
    if (done) break;
    reads++;
    chunks.push(value.slice());
    buffer = new Uint8Array(value.buffer); // the same memory, handed back
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { bytes, reads };
}
