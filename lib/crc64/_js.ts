/**
 * Pure-JS CRC-64/XZ, slicing-by-8 over 32-bit halves. Used where WebAssembly
 * may not be compiled (Cloudflare workerd) and as the reference for the wasm
 * path.
 *
 * @module
 */

import { TABLE_HI, TABLE_LO } from "./_tables.ts";

/**
 * Advances a raw (pre-inverted) CRC register over `data`.
 *
 * @param state `[lo, hi]` halves of the register; updated in place.
 * @param data The bytes to feed.
 */
export function updateCrc64Js(state: Int32Array, data: Uint8Array): void {
  const L = TABLE_LO;
  const H = TABLE_HI;
  let lo = state[0];
  let hi = state[1];
  const n = data.length;
  let i = 0;
  for (const end = n - 7; i < end; i += 8) {
    const a = lo ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    const b = hi ^ (data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24));
    const i7 = 1792 + (a & 0xff);
    const i6 = 1536 + ((a >>> 8) & 0xff);
    const i5 = 1280 + ((a >>> 16) & 0xff);
    const i4 = 1024 + (a >>> 24);
    const i3 = 768 + (b & 0xff);
    const i2 = 512 + ((b >>> 8) & 0xff);
    const i1 = 256 + ((b >>> 16) & 0xff);
    const i0 = b >>> 24;
    lo = L[i7] ^ L[i6] ^ L[i5] ^ L[i4] ^ L[i3] ^ L[i2] ^ L[i1] ^ L[i0];
    hi = H[i7] ^ H[i6] ^ H[i5] ^ H[i4] ^ H[i3] ^ H[i2] ^ H[i1] ^ H[i0];
  }
  for (; i < n; i++) {
    const idx = (lo ^ data[i]) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ L[idx];
    hi = (hi >>> 8) ^ H[idx];
  }
  state[0] = lo;
  state[1] = hi;
}
