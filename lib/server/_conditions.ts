/**
 * Conditional requests (`If-Match`, `If-None-Match`, `If-Modified-Since`,
 * `If-Unmodified-Since`, and their `x-oss-copy-source-if-*` forms) evaluated
 * in RFC 9110's order.
 *
 * @module
 */

import { ServerError } from "./server_error.ts";
import type { ObjectMeta } from "./storage.ts";

function etagMatches(list: string, etag: string): boolean {
  return list.split(",").some((raw) => {
    const t = raw.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
    return t === "*" || t.toUpperCase() === etag.toUpperCase();
  });
}

function seconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}

function parseDate(value: string | null): number | undefined {
  if (value === null) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
}

/** Which headers to read: the plain ones, or the copy-source ones. */
export interface ConditionNames {
  ifMatch: string;
  ifNoneMatch: string;
  ifModifiedSince: string;
  ifUnmodifiedSince: string;
}

/** Header names of GetObject / HeadObject conditions. */
export const GET_CONDITIONS: ConditionNames = {
  ifMatch: "if-match",
  ifNoneMatch: "if-none-match",
  ifModifiedSince: "if-modified-since",
  ifUnmodifiedSince: "if-unmodified-since",
};

/** Header names of CopyObject / UploadPartCopy source conditions. */
export const COPY_SOURCE_CONDITIONS: ConditionNames = {
  ifMatch: "x-oss-copy-source-if-match",
  ifNoneMatch: "x-oss-copy-source-if-none-match",
  ifModifiedSince: "x-oss-copy-source-if-modified-since",
  ifUnmodifiedSince: "x-oss-copy-source-if-unmodified-since",
};

/**
 * Evaluates the conditions against `meta`.
 *
 * @returns `"not-modified"` when the answer is 304, `undefined` to proceed.
 * @throws {ServerError} `PreconditionFailed` (412).
 */
export function evaluateConditions(
  headers: Headers,
  meta: ObjectMeta,
  names: ConditionNames = GET_CONDITIONS,
): "not-modified" | undefined {
  const failed = (header: string) =>
    new ServerError(
      412,
      "PreconditionFailed",
      "At least one of the pre-conditions you specified did not hold.",
      {
        Condition: header,
      },
    );
  const modified = seconds(meta.lastModified);
  const ifMatch = headers.get(names.ifMatch);
  if (ifMatch !== null) {
    if (!etagMatches(ifMatch, meta.etag)) throw failed(names.ifMatch);
  } else {
    const since = parseDate(headers.get(names.ifUnmodifiedSince));
    if (since !== undefined && modified > since) throw failed(names.ifUnmodifiedSince);
  }
  const ifNoneMatch = headers.get(names.ifNoneMatch);
  if (ifNoneMatch !== null) {
    if (etagMatches(ifNoneMatch, meta.etag)) return "not-modified";
  } else {
    const since = parseDate(headers.get(names.ifModifiedSince));
    if (since !== undefined && modified <= since) return "not-modified";
  }
  return undefined;
}
