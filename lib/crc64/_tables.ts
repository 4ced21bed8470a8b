/**
 * Lookup tables for CRC-64/XZ (the CRC64-ECMA of OSS), shared by the pure-JS
 * path and the WebAssembly path (which copies them into its memory).
 *
 * The CRC is reflected, so the register is kept as two 32-bit halves: `lo`
 * holds bits 0-31 and `hi` bits 32-63. Table `k` (k = 0..15) at offset
 * `k * 256` maps a byte to the CRC of that byte followed by `k` zero bytes,
 * which is what slicing-by-N needs.
 *
 * @module
 */

/** Low half of the reflected polynomial 0xC96C5795D7870F42. */
export const POLY_LO = 0xd7870f42 | 0;
/** High half of the reflected polynomial 0xC96C5795D7870F42. */
export const POLY_HI = 0xc96c5795 | 0;

/** Number of sliced tables built. */
export const TABLE_COUNT = 16;

/** Low 32 bits of every table entry; table k starts at k * 256. */
export const TABLE_LO: Int32Array = new Int32Array(TABLE_COUNT * 256);
/** High 32 bits of every table entry; table k starts at k * 256. */
export const TABLE_HI: Int32Array = new Int32Array(TABLE_COUNT * 256);

for (let n = 0; n < 256; n++) {
  let lo = n;
  let hi = 0;
  for (let bit = 0; bit < 8; bit++) {
    const carry = lo & 1;
    lo = (lo >>> 1) | (hi << 31);
    hi = hi >>> 1;
    if (carry) {
      lo ^= POLY_LO;
      hi ^= POLY_HI;
    }
  }
  TABLE_LO[n] = lo;
  TABLE_HI[n] = hi;
}
for (let k = 1; k < TABLE_COUNT; k++) {
  for (let n = 0; n < 256; n++) {
    const lo = TABLE_LO[(k - 1) * 256 + n];
    const hi = TABLE_HI[(k - 1) * 256 + n];
    const idx = lo & 0xff;
    TABLE_LO[k * 256 + n] = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[idx];
    TABLE_HI[k * 256 + n] = (hi >>> 8) ^ TABLE_HI[idx];
  }
}
