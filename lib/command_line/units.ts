/**
 * Sizes as people type them, for every command line (`ossup`'s and the server's). A unit
 * letter means powers of 1024, as the OSS documentation and ossutil use them ("100 KB" parts
 * are 102,400 bytes): `KB` = `KiB` = `K` = 1024, `MB` = `MiB` = `M` = 1024², `GB` = `GiB` =
 * `G` = 1024³. No unit (or `B`) means bytes.
 *
 * @module
 */

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/**
 * Parses a size such as `"8MB"`, `"100KB"`, `"1.5GiB"` or `"102400"` into bytes.
 *
 * @param text The size as typed.
 * @returns The size in whole bytes.
 * @throws {RangeError} When the text is not a size.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSize } from "./units.ts";
 *
 * assert.equal(parseSize("100KB"), 102400); // 1 KB = 1024 bytes, as ossutil counts
 * assert.equal(parseSize("8MiB"), 8388608);
 * assert.throws(() => parseSize("8 parsecs"), RangeError);
 * ```
 */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new RangeError(
      `"${text}" is not a size; write bytes or a number with KB, MB or GB (1 KB = 1024 bytes)`,
    );
  }
  const bytes = Number(m[1]) * unit;
  if (!Number.isFinite(bytes) || !Number.isSafeInteger(Math.round(bytes))) {
    throw new RangeError(`"${text}" is too large`);
  }
  return Math.round(bytes);
}
