/**
 * Sizes and durations as people read them (sizes as people type them: `parseSize`, shared with
 * the server's flags, lives in `lib/command_line/units.ts`).
 *
 * @module
 */

export { parseSize } from "../command_line/units.ts";

/**
 * Formats bytes for people: `"0 B"`, `"512 B"`, `"1.5 MiB"`, `"48.0 MiB"`.
 *
 * @param bytes A byte count.
 * @returns The count with a binary unit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatBytes } from "./units.ts";
 *
 * assert.equal(formatBytes(1536), "1.5 KiB");
 * ```
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "? B";
  if (Math.round(bytes) < 1024) return `${Math.round(bytes)} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let i = 0;
  // The unit is picked on the value as printed: 1,048,575 bytes is "1.0 MiB", not "1024.0 KiB".
  while (Number(value.toFixed(1)) >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value.toFixed(1)} ${units[i]}`;
}

/**
 * Formats seconds for an ETA or an elapsed time: `"7s"`, `"2m05s"`, `"1h02m"`.
 *
 * @param seconds A duration in seconds.
 * @returns The duration, or `"?"` when unknown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./units.ts";
 *
 * assert.equal(formatDuration(125), "2m05s");
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

const AGE_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Reads an age as ossutil's and people's durations are typed: a number and `s`, `m`, `h` or
 * `d` (`24h`, `90m`, `7d`; a bare number is seconds).
 *
 * @param text The age.
 * @returns Milliseconds.
 * @throws {RangeError} When it is not such an age.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAge } from "./units.ts";
 *
 * assert.equal(parseAge("24h"), 86400000);
 * assert.equal(parseAge("90"), 90000);
 * ```
 */
export function parseAge(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/i.exec(text.trim());
  if (m === null) {
    throw new RangeError(`"${text}" is not an age: a number and s, m, h or d (e.g. 24h, 7d)`);
  }
  return Math.round(Number(m[1]) * AGE_UNITS[(m[2] || "s").toLowerCase()]);
}
