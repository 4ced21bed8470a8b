/**
 * CRC-64/XZ, the "CRC64-ECMA" that Alibaba Cloud OSS returns in the
 * `x-oss-hash-crc64ecma` header (as a decimal string): reflected polynomial
 * 0x42F0E1EBA9EA3693, initial value and final xor all ones. The check value
 * of `"123456789"` is `0x995dc9bbdf1939fa`.
 *
 * Runs on WebAssembly where the runtime allows compiling it, and on a
 * table-driven pure-JS path where it does not (e.g. Cloudflare workerd).
 *
 * @module
 */

import { updateCrc64 } from "./_engine.ts";
import { combineCrc64 } from "./_combine.ts";

const MAX_U64 = (1n << 64n) - 1n;

// Reused registers: allocating typed arrays per call is slow on some runtimes
// (about 0.7 µs on Deno), and every use below is synchronous.
const scratch1 = new Int32Array(2);
const scratch2 = new Int32Array(2);

function toHalves(value: bigint, name: string, out: Int32Array): void {
  if (typeof value !== "bigint") {
    throw new TypeError(`${name} must be a bigint, got ${typeof value}`);
  }
  if (value < 0n || value > MAX_U64) {
    throw new RangeError(`${name} must be an unsigned 64-bit value, got ${value}`);
  }
  out[0] = Number(value & 0xffffffffn);
  out[1] = Number(value >> 32n);
}

function fromHalves(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function checkData(data: Uint8Array): void {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError("data must be a Uint8Array");
  }
}

/**
 * Computes the CRC-64/XZ of `data`, optionally continuing from the CRC of
 * the bytes before it.
 *
 * @param data The bytes to checksum.
 * @param previous The CRC of the preceding bytes; defaults to `0n` (no preceding bytes).
 * @returns The CRC as an unsigned 64-bit bigint.
 * @throws {TypeError} If `data` is not a `Uint8Array` or `previous` is not a bigint.
 * @throws {RangeError} If `previous` is not in `[0, 2^64)`.
 *
 * @example Check value, and continuing across pieces
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc64 } from "@ossup/ossup";
 *
 * const bytes = new TextEncoder().encode("123456789");
 * assert.equal(crc64(bytes).toString(16), "995dc9bbdf1939fa");
 * const split = crc64(bytes.subarray(4), crc64(bytes.subarray(0, 4)));
 * assert.equal(split, crc64(bytes));
 * // OSS sends it as a decimal string:
 * assert.equal(crc64(bytes).toString(), "11051210869376104954");
 * ```
 */
export function crc64(data: Uint8Array, previous: bigint = 0n): bigint {
  checkData(data);
  const state = scratch1;
  if (previous === 0n) state[0] = state[1] = 0;
  else toHalves(previous, "previous", state);
  state[0] = ~state[0];
  state[1] = ~state[1];
  updateCrc64(state, data);
  return fromHalves(~state[0], ~state[1]);
}

/**
 * Streaming CRC-64/XZ: feed the bytes in any number of pieces, then read the
 * CRC of everything fed so far.
 *
 * @example Checksum a stream
 * ```ts
 * import assert from "node:assert/strict";
 * import { Crc64 } from "@ossup/ossup";
 *
 * const stream = new Blob(["1234", "56789"]).stream();
 * const crc = new Crc64();
 * for await (const chunk of stream) crc.update(chunk);
 * assert.equal(crc.digest(), 0x995dc9bbdf1939fan);
 * ```
 */
export class Crc64 {
  // Raw register (pre-inverted), as 32-bit halves.
  #lo = -1;
  #hi = -1;

  /**
   * Starts a CRC, empty or continuing from the CRC of earlier bytes.
   *
   * @param initial The CRC of bytes already processed; defaults to `0n`.
   * @throws {TypeError} If `initial` is not a bigint.
   * @throws {RangeError} If `initial` is not in `[0, 2^64)`.
   */
  constructor(initial: bigint = 0n) {
    if (initial !== 0n) {
      toHalves(initial, "initial", scratch1);
      this.#lo = ~scratch1[0];
      this.#hi = ~scratch1[1];
    }
  }

  /**
   * Feeds more bytes.
   *
   * @param data The next bytes.
   * @returns This instance, for chaining.
   * @throws {TypeError} If `data` is not a `Uint8Array`.
   */
  update(data: Uint8Array): this {
    checkData(data);
    const state = scratch1;
    state[0] = this.#lo;
    state[1] = this.#hi;
    updateCrc64(state, data);
    this.#lo = state[0];
    this.#hi = state[1];
    return this;
  }

  /**
   * The CRC of all bytes fed so far. Does not reset; more updates may follow.
   *
   * @returns The CRC as an unsigned 64-bit bigint.
   */
  digest(): bigint {
    return fromHalves(~this.#lo, ~this.#hi);
  }
}

/**
 * Combines the CRCs of two consecutive pieces into the CRC of both, without
 * the bytes: `crc64Combine(crc64(a), crc64(b), b.length) === crc64(a ++ b)`.
 * This is how the CRC of a multipart object follows from its parts' CRCs.
 *
 * @param crc1 CRC of the first piece.
 * @param crc2 CRC of the second piece.
 * @param length2 Byte length of the second piece (a non-negative safe integer).
 * @returns The CRC of the first piece followed by the second.
 * @throws {TypeError} If a CRC is not a bigint or `length2` is not a number.
 * @throws {RangeError} If a CRC is out of range or `length2` is not a non-negative safe integer.
 *
 * @example CRC of a multipart object from its parts
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc64, crc64Combine } from "@ossup/ossup";
 *
 * const part1 = new TextEncoder().encode("1234");
 * const part2 = new TextEncoder().encode("56789");
 * const whole = crc64Combine(crc64(part1), crc64(part2), part2.length);
 * assert.equal(whole, 0x995dc9bbdf1939fan);
 * ```
 */
export function crc64Combine(crc1: bigint, crc2: bigint, length2: number): bigint {
  if (typeof length2 !== "number") {
    throw new TypeError(`length2 must be a number, got ${typeof length2}`);
  }
  if (!Number.isSafeInteger(length2) || length2 < 0) {
    throw new RangeError(`length2 must be a non-negative safe integer, got ${length2}`);
  }
  const a = scratch1;
  const b = scratch2;
  toHalves(crc1, "crc1", a);
  toHalves(crc2, "crc2", b);
  combineCrc64(a[0], a[1], b[0], b[1], length2, a);
  return fromHalves(a[0], a[1]);
}
