/**
 * Joins byte arrays into one new array.
 *
 * @module
 */

/**
 * The bytes of `parts`, one after another, in a new array.
 *
 * @param parts The pieces, in order.
 * @returns A new array holding all of them.
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
