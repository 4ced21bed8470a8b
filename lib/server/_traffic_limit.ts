/**
 * `x-oss-traffic-limit`, single-connection bandwidth throttling: checked against OSS's range
 * on the operations OSS takes it on, then enforced by pacing the request's body (uploads) or
 * the answer's body (downloads) to the limit.
 *
 * @module
 */

import { MAX_TRAFFIC_LIMIT, MIN_TRAFFIC_LIMIT } from "../client/object_write_options.ts";
import type { OssOperation } from "../client/operations.ts";
import { ServerError } from "./server_error.ts";

/** The operations OSS documents `x-oss-traffic-limit` on (PostObject aside). */
const LIMITED: ReadonlySet<string> = new Set<OssOperation>([
  "PutObject",
  "AppendObject",
  "CopyObject",
  "UploadPart",
  "UploadPartCopy",
  "GetObject",
]);

/**
 * The request's traffic limit in bit/s, or `undefined` when it has none (or its operation
 * does not take one).
 * @throws {ServerError} 400 `InvalidArgument` (EC 0004-00000502) outside 819,200–838,860,800.
 */
export function trafficLimitOf(operation: string, headers: Headers): number | undefined {
  const raw = headers.get("x-oss-traffic-limit");
  if (raw === null || !LIMITED.has(operation)) return undefined;
  const value = /^\d{1,10}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(value >= MIN_TRAFFIC_LIMIT && value <= MAX_TRAFFIC_LIMIT)) {
    throw new ServerError(
      400,
      "InvalidArgument",
      `x-oss-traffic-limit must be an integer from ${MIN_TRAFFIC_LIMIT} to ${MAX_TRAFFIC_LIMIT} (bit/s).`,
      { ArgumentName: "x-oss-traffic-limit", ArgumentValue: raw, EC: "0004-00000502" },
    );
  }
  return value;
}

/** Pieces a chunk is cut into, so pacing stays smooth: a tenth of a second's worth. */
const SLICES_PER_SECOND = 10;

/**
 * `stream` paced to `bitsPerSecond`: each byte passes no sooner than the limit allows since
 * the first one did.
 */
export function throttled(
  stream: ReadableStream<Uint8Array>,
  bitsPerSecond: number,
): ReadableStream<Uint8Array> {
  const bytesPerSecond = bitsPerSecond / 8;
  const slice = Math.max(1, Math.floor(bytesPerSecond / SLICES_PER_SECOND));
  let started: number | undefined;
  let passed = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async transform(chunk, controller) {
        started ??= performance.now();
        for (let at = 0; at < chunk.byteLength; at += slice) {
          const piece = chunk.subarray(at, Math.min(at + slice, chunk.byteLength));
          const due = started + (passed / bytesPerSecond) * 1000;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          controller.enqueue(piece);
          passed += piece.byteLength;
        }
      },
    }),
  );
}
