/**
 * Arithmetic on CRC-64/XZ values as polynomials modulo P, for combining the
 * CRCs of consecutive pieces: crc(A || B) = crc(A) * x^(8 * |B|) mod P xor
 * crc(B). The pre- and post-inversion of the CRC cancel out in that identity
 * because both are all ones over the same width.
 *
 * Values use the reflected layout of the CRC itself: the coefficient of x^0
 * is bit 63, of x^63 bit 0. Halves are 32-bit numbers so no BigInt is needed.
 *
 * @module
 */

import { POLY_HI, POLY_LO } from "./_tables.ts";

/** x^(2^k) mod P for k = 0..63, as [lo, hi] pairs at 2k and 2k+1. */
const X2N = new Int32Array(128);

/** Scratch for results, to avoid allocating per multiplication. */
const product = new Int32Array(2);

/** Multiplies a by b modulo P into `product`. */
function multiply(aLo: number, aHi: number, bLo: number, bHi: number): void {
  let pLo = 0;
  let pHi = 0;
  // Walk a's coefficients from x^0 (bit 63) upwards, multiplying b by x each step.
  for (let bit = 63; bit >= 0; bit--) {
    const set = bit >= 32 ? (aHi >>> (bit - 32)) & 1 : (aLo >>> bit) & 1;
    if (set) {
      pLo ^= bLo;
      pHi ^= bHi;
      // Nothing left in a below this bit: stop early.
      const rest = bit > 32 ? (aHi << (64 - bit)) | aLo : bit === 32 ? aLo : aLo << (32 - bit);
      if (bit === 0 || rest === 0) break;
    }
    const carry = bLo & 1;
    bLo = (bLo >>> 1) | (bHi << 31);
    bHi = bHi >>> 1;
    if (carry) {
      bLo ^= POLY_LO;
      bHi ^= POLY_HI;
    }
  }
  product[0] = pLo;
  product[1] = pHi;
}

X2N[0] = 0;
X2N[1] = 0x40000000; // x^1
for (let k = 1; k < 64; k++) {
  const lo = X2N[2 * k - 2];
  const hi = X2N[2 * k - 1];
  multiply(lo, hi, lo, hi);
  X2N[2 * k] = product[0];
  X2N[2 * k + 1] = product[1];
}

/**
 * Combines two raw CRC values (as halves): the CRC of A followed by B, given
 * crc(A), crc(B) and |B| in bytes. Writes the result into `out`.
 *
 * @param length2 Byte length of B; a non-negative safe integer.
 */
export function combineCrc64(
  lo1: number,
  hi1: number,
  lo2: number,
  hi2: number,
  length2: number,
  out: Int32Array,
): void {
  // p = x^(8 * length2) mod P, by repeated squaring over the bits of length2.
  let pLo = 0;
  let pHi = 0x80000000 | 0; // x^0
  let n = length2;
  let k = 3; // 8 = 2^3
  while (n > 0) {
    if (n % 2 === 1) {
      multiply(X2N[2 * k], X2N[2 * k + 1], pLo, pHi);
      pLo = product[0];
      pHi = product[1];
    }
    n = Math.floor(n / 2);
    k++;
  }
  multiply(pLo, pHi, lo1, hi1);
  out[0] = product[0] ^ lo2;
  out[1] = product[1] ^ hi2;
}
