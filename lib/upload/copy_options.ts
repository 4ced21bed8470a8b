/**
 * Options and result of `bucket.copyFile(sourceBucket, sourceKey, destKey, options)`, the
 * Go SDK's `bucket.CopyFile(srcBucket, srcKey, destKey, partSize, oss.Routines(n),
 * oss.Checkpoint(true, ""))` in TypeScript idiom.
 *
 * @module
 */

import type { MetadataDirective } from "../client/bucket_copy.ts";
import type { ObjectWriteSettings } from "../client/object_write_options.ts";
import type { CheckpointOption, CheckpointSetAside, UploadProgress } from "./upload_options.ts";
import type { ParallelismOptions, RoutinesUsed } from "./parallelism.ts";

/**
 * Largest source `copyFile` copies with one CopyObject by default: 1 GiB, the size OSS
 * documents for CopyObject (larger objects must be copied with UploadPartCopy).
 *
 * @example
 * ```ts
 * import { DEFAULT_COPY_OBJECT_LIMIT } from "@ossup/ossup";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_COPY_OBJECT_LIMIT, 1024 ** 3);
 * ```
 */
export const DEFAULT_COPY_OBJECT_LIMIT = 1024 ** 3;

/**
 * Default part size of a multipart copy: 16 MiB. No byte passes through the client in a
 * server-side copy, so the part size only sets how many requests a copy takes (64 for 1 GiB).
 *
 * @example
 * ```ts
 * import { DEFAULT_COPY_PART_SIZE } from "@ossup/ossup";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_COPY_PART_SIZE, 16 * 1024 * 1024);
 * ```
 */
export const DEFAULT_COPY_PART_SIZE = 16 * 1024 * 1024;

/**
 * Options of `bucket.copyFile(sourceBucket, sourceKey, destKey, options)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CopyFileOptions, OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * await client.createBucket("source-bucket");
 * await client.bucket("source-bucket").putObject("big.iso", new Uint8Array(300 * 1024));
 * const options: CopyFileOptions = { partSize: 100 * 1024, routines: 4, copyObjectLimit: 0 };
 * const result = await bucket.copyFile("source-bucket", "big.iso", "copies/big.iso", options);
 * assert.equal(result.partSize, 100 * 1024);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface CopyFileOptions extends Omit<ObjectWriteSettings, "callback">, ParallelismOptions {
  /**
   * Part size in bytes of a multipart copy, 100 KB (102,400) to 5 GB, or `"auto"` (chosen from
   * the size and `maxRoutines`, see `autoPartSize`; an earlier run's on resume).
   * @default {16777216}
   */
  partSize?: number | "auto";
  /**
   * When the source needs more than 10,000 parts at `partSize`, raise the part size
   * (reported as `partSizeRaised`) instead of failing.
   * @default {true}
   */
  raisePartSize?: boolean;
  /**
   * Parts copied at once, 1 to 100, or `"auto"`: adapted to the measured throughput within
   * `maxRoutines` (a copy's parts hold no bytes here, so `maxMemory` does not bound it).
   * @default {1}
   */
  routines?: number | "auto";
  /**
   * Sources up to this many bytes are copied with one CopyObject; larger ones with
   * InitiateMultipartUpload and UploadPartCopy parts.
   * @default {1073741824}
   */
  copyObjectLimit?: number;
  /**
   * Resumable-copy checkpoint (multipart copies only): `true` for a file
   * `ossup-copy-<hash of source and destination>.cp` in the current directory (an IndexedDB
   * store in browsers), a path, or a `CheckpointStore`. Off by default, as in the Go SDK.
   * @default {false}
   */
  checkpoint?: CheckpointOption;
  /**
   * Id of the checkpoint inside a `CheckpointStore` given as `checkpoint`. Default:
   * derived from the endpoint, the source and the destination.
   */
  checkpointId?: string;
  /** Called when a checkpoint found at this copy's place is not used (see {@linkcode CheckpointSetAside}). */
  onCheckpointSetAside?: (setAside: CheckpointSetAside) => void;
  /**
   * When another process holds the checkpoint, wait for it instead of failing with a
   * `CheckpointError("CheckpointLocked")`.
   * @default {false}
   */
  waitForCheckpoint?: boolean;
  /**
   * What to do with the multipart upload when the copy fails or is aborted through
   * `signal`: `"keep"` leaves its parts and the checkpoint for a later resume; `"abort"`
   * calls AbortMultipartUpload and removes the checkpoint. A source that changed during the
   * copy always aborts: its parts can never be completed.
   * @default {"keep" with a checkpoint, "abort" without}
   */
  onFailure?: "keep" | "abort";
  /**
   * `"COPY"` gives the copy the source's content type, user metadata and cache headers
   * (`contentType` and `meta` are then not used); `"REPLACE"` gives it those of this call
   * instead. The other settings (`acl`, `storageClass`, `tagging`, `serverSideEncryption`,
   * `forbidOverwrite`, `trafficLimit`, `requestPayer`) apply either way, each on the requests
   * OSS takes it on.
   * @default {"COPY"}
   */
  metadataDirective?: MetadataDirective;
  /** Other headers for CopyObject or InitiateMultipartUpload (e.g. `Cache-Control`). */
  headers?: Record<string, string>;
  /** Pauses (with a checkpoint) or cancels the copy. */
  signal?: AbortSignal;
  /** Called after every copied part (and once for a CopyObject). */
  onProgress?: (progress: UploadProgress) => void;
}

/**
 * The result of a finished copy.
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
 * await client.createBucket("source-bucket");
 * await client.bucket("source-bucket").putObject("big.iso", new Uint8Array(300 * 1024));
 * const result = await bucket.copyFile("source-bucket", "big.iso", "copies/big.iso");
 * assert.equal(result.method, "CopyObject"); // under 1 GiB: one request
 * assert.equal(result.crc64, (await bucket.headObject("copies/big.iso")).crc64);
 * assert.equal(result.crc64Verified, true);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface CopyResult {
  /** Destination bucket. */
  bucket: string;
  /** Destination key. */
  key: string;
  /** Source bucket. */
  sourceBucket: string;
  /** Source key. */
  sourceKey: string;
  /** ETag of the copy, without quotes. */
  etag: string;
  /** CRC64-ECMA of the copy. */
  crc64: bigint;
  /** True when the server reported the CRC64 of both the source and the copy, and they matched. */
  crc64Verified: boolean;
  /** Size in bytes. */
  size: number;
  /** How the copy was made: one CopyObject, or a multipart upload of UploadPartCopy parts. */
  method: "CopyObject" | "UploadPartCopy";
  /** Part size used (multipart copies). */
  partSize?: number;
  /** True when `partSize` was raised to fit within 10,000 parts. */
  partSizeRaised?: boolean;
  /** The routines used (multipart copies). */
  routines?: RoutinesUsed;
  /** Number of parts of the copy (0 for a CopyObject). */
  parts: number;
  /** The multipart upload ID (multipart copies). */
  uploadId?: string;
  /** True when this run resumed from a checkpoint. */
  resumed: boolean;
  /** Parts copied in this run. */
  partsCopied: number;
  /** Bytes the server copied in this run (retries included). */
  bytesCopied: number;
  /** Request ID of the completing request. */
  requestId?: string;
  /** Version ID of the copy, when the bucket is versioned. */
  versionId?: string;
  /** A checkpoint found at this copy's place but not used, and what became of its upload. */
  checkpointSetAside?: CheckpointSetAside;
  /** Multipart uploads of this copy left by a lost answer or a killed run, found and aborted. */
  strayUploadsAborted?: string[];
}
