/**
 * Deterministic test bytes, with no imports, so the browser page and the
 * workerd worker can bundle them as well as the tests that run on a runtime.
 *
 * @module
 */

/**
 * Deterministic pseudo-random bytes (xorshift32): the same `length` and
 * `seed` give the same bytes on every runtime; a seed of 0 acts as 1.
 */
export function testBytes(length: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
