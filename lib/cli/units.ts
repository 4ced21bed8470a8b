/**
 * Sizes and durations as people type and read them. A unit letter means
 * powers of 1024, as the OSS documentation and ossutil use them ("100 KB"
 * parts are 102,400 bytes): `KB` = `KiB` = `K` = 1024, `MB` = `MiB` = `M` =
 * 1024², `GB` = `GiB` = `G` = 1024³. No unit (or `B`) means bytes.
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
 * import { parseSize } from "./units.ts";
 *
 * console.log(parseSize("100KB")); // 102400
 * console.log(parseSize("8MiB")); // 8388608
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

/**
 * Formats bytes for people: `"0 B"`, `"512 B"`, `"1.5 MiB"`, `"48.0 MiB"`.
 *
 * @param bytes A byte count.
 * @returns The count with a binary unit.
 *
 * @example
 * ```ts
 * import { formatBytes } from "./units.ts";
 *
 * console.log(formatBytes(1536)); // "1.5 KiB"
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
 * import { formatDuration } from "./units.ts";
 *
 * console.log(formatDuration(125)); // "2m05s"
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
