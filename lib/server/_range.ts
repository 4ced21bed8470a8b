/**
 * `Range: bytes=...` as OSS reads it: one range only; a malformed header is
 * ignored (the whole object is sent, 200); a well-formed range starting past
 * the end is unsatisfiable (416 InvalidRange).
 *
 * @module
 */

/** What a Range header asks for, against an object of a given size. */
export type RangeRequest =
  | { kind: "whole" }
  | { kind: "range"; start: number; end: number }
  | { kind: "unsatisfiable" };

/**
 * Parses a `Range` header against an object of `size` bytes.
 *
 * @param header The header value, or `null`.
 * @param size The object size.
 * @returns `whole` (absent or malformed), a clamped inclusive range, or `unsatisfiable`.
 */
export function parseRange(header: string | null, size: number): RangeRequest {
  if (header === null) return { kind: "whole" };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return { kind: "whole" };
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "range", start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? Number.MAX_SAFE_INTEGER : Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
    return { kind: "whole" };
  }
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "range", start, end: Math.min(end, size - 1) };
}
