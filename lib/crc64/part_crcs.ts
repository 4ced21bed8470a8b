/**
 * The CRC-64 of a whole object from its parts' CRC-64s: the bookkeeping every part-based
 * transfer (upload, download, copy) checks the object against. Not part of the public surface.
 *
 * @module
 */

import { crc64Combine } from "./crc64.ts";

/** What the combination needs of a part. */
export interface PartCrc {
  /** 1-based position of the part in the object. */
  partNumber: number;
  /** CRC-64 of the part's bytes. */
  crc64: bigint;
  /** The part's size in bytes. */
  size: number;
}

/**
 * CRC-64 of the whole object from its parts' CRC-64s, whatever order they come in.
 *
 * @param parts Every part of the object.
 * @returns The object's CRC-64 (`0n` for no parts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc64 } from "@ossup/ossup";
 * import { combinedCrc } from "./part_crcs.ts";
 *
 * const a = new TextEncoder().encode("hello ");
 * const b = new TextEncoder().encode("world");
 * const whole = combinedCrc([
 *   { partNumber: 2, crc64: crc64(b), size: b.length },
 *   { partNumber: 1, crc64: crc64(a), size: a.length },
 * ]);
 * assert.equal(whole, crc64(new TextEncoder().encode("hello world")));
 * ```
 */
export function combinedCrc(parts: Iterable<PartCrc>): bigint {
  const ordered = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  let crc = 0n;
  for (const part of ordered) crc = crc64Combine(crc, part.crc64, part.size);
  return crc;
}
