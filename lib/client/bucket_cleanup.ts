/**
 * Cleaning up unfinished multipart uploads: their parts are stored (and billed) until the
 * upload is completed or aborted. `Bucket.abortMultipartUploads` delegates here.
 *
 * @module
 */

import { OssError } from "../errors/errors.ts";
import type { RequestOptions } from "./oss_client.ts";
import type { BucketTarget } from "./_bucket_target.ts";
import { listMultipartUploads, listParts } from "./bucket_listing.ts";
import { abortMultipartUpload } from "./bucket_multipart.ts";

/**
 * Options of {@linkcode Bucket.abortMultipartUploads}.
 *
 * @example
 * ```ts
 * import type { AbortMultipartUploadsOptions } from "@ossup/ossup";
 * import assert from "node:assert/strict";
 *
 * const dayOld: AbortMultipartUploadsOptions = { prefix: "backups/", olderThan: 24 * 3600 * 1000 };
 * const before: AbortMultipartUploadsOptions = { olderThan: new Date("2026-01-01T00:00:00Z") };
 * assert.equal(typeof dayOld.olderThan, "number");
 * assert.ok(before.olderThan instanceof Date);
 * ```
 */
export interface AbortMultipartUploadsOptions extends Omit<RequestOptions, "headers"> {
  /** Only uploads of keys starting with this. Default: every key. */
  prefix?: string;
  /**
   * Only uploads initiated before this `Date`, or at least this many milliseconds ago (by
   * this machine's clock against the server's `Initiated` times). Default: every upload,
   * including ones running now: give an age when other uploads may be in progress.
   */
  olderThan?: Date | number;
}

/**
 * One upload {@linkcode Bucket.abortMultipartUploads} aborted.
 *
 * @example
 * ```ts
 * import type { AbortedUpload } from "@ossup/ossup";
 * import assert from "node:assert/strict";
 *
 * const u: AbortedUpload = { key: "big.iso", uploadId: "0004B9…", initiated: new Date(), parts: 3, bytes: 300 };
 * assert.equal(u.bytes / u.parts, 100);
 * ```
 */
export interface AbortedUpload {
  /** Object key. */
  key: string;
  /** Upload ID. */
  uploadId: string;
  /** When the server initiated it. */
  initiated: Date;
  /** Parts it held. */
  parts: number;
  /** Bytes of those parts: what aborting it freed. */
  bytes: number;
}

/**
 * What {@linkcode Bucket.abortMultipartUploads} did.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * await bucket.initiateMultipartUpload("tmp/a.bin");
 * await bucket.initiateMultipartUpload("tmp/b.bin");
 * const { uploadsAborted, bytesFreed, uploads } = await bucket.abortMultipartUploads({ prefix: "tmp/" });
 * assert.equal(uploads.length, uploadsAborted);
 * assert.equal(`${uploadsAborted} uploads aborted, ${bytesFreed} bytes freed`, "2 uploads aborted, 0 bytes freed");
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface AbortMultipartUploadsResult {
  /** Uploads aborted. */
  uploadsAborted: number;
  /** Bytes of their parts, counted with ListParts before each abort. */
  bytesFreed: number;
  /** Each upload aborted, in listing order (key, then initiation time). */
  uploads: AbortedUpload[];
}

function cutoff(olderThan: Date | number | undefined): number {
  if (olderThan === undefined) return Infinity;
  if (olderThan instanceof Date) {
    const t = olderThan.getTime();
    if (Number.isNaN(t)) throw new RangeError("olderThan is an invalid Date");
    return t;
  }
  if (typeof olderThan !== "number" || !Number.isFinite(olderThan) || olderThan < 0) {
    throw new RangeError(
      `olderThan must be a Date or an age in milliseconds ≥ 0; got ${String(olderThan)}`,
    );
  }
  return Date.now() - olderThan;
}

function isNoSuchUpload(err: unknown): boolean {
  return err instanceof OssError && err.code === "NoSuchUpload";
}

/**
 * Aborts the unfinished multipart uploads under a prefix, older than a cutoff, and counts
 * what that freed. See {@linkcode Bucket.abortMultipartUploads}.
 */
export async function abortMultipartUploads(
  b: BucketTarget,
  options: AbortMultipartUploadsOptions = {},
): Promise<AbortMultipartUploadsResult> {
  const before = cutoff(options.olderThan);
  const call = { signal: options.signal, timeout: options.timeout, retry: options.retry };
  // Listed whole first: aborting while paging would move the markers under the listing.
  const candidates = [];
  for await (const u of listMultipartUploads(b, { ...call, prefix: options.prefix })) {
    if (u.initiated.getTime() < before) candidates.push(u);
  }
  const uploads: AbortedUpload[] = [];
  for (const u of candidates) {
    let parts = 0;
    let bytes = 0;
    try {
      for await (const p of listParts(b, u.key, u.uploadId, call)) {
        parts++;
        bytes += p.size;
      }
      await abortMultipartUpload(b, u.key, u.uploadId, call);
    } catch (err) {
      // Completed or aborted by someone else meanwhile: not ours to count.
      if (isNoSuchUpload(err)) continue;
      throw err;
    }
    uploads.push({ key: u.key, uploadId: u.uploadId, initiated: u.initiated, parts, bytes });
  }
  return {
    uploadsAborted: uploads.length,
    bytesFreed: uploads.reduce((n, u) => n + u.bytes, 0),
    uploads,
  };
}
