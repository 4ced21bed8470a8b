/**
 * Server-side copy calls of a bucket: CopyObject and UploadPartCopy, with the
 * `x-oss-copy-source*` headers they share. `Bucket` delegates here; the resumable
 * `copyFile` engine (`lib/upload/copy_file.ts`) drives them.
 *
 * @module
 */

import { assertBucketName, assertObjectKey } from "./endpoint.ts";
import { requestOptions } from "./_request.ts";
import type { CopyObjectResult, UploadPartCopyResult } from "./results.ts";
import type { BucketTarget } from "./_bucket_target.ts";
import type { ObjectWriteOptions } from "./bucket_objects.ts";
import {
  checkWriteSettings,
  type ObjectWriteSettings,
  writeHeadersFor,
} from "./object_write_options.ts";
import { assertPartNumber, assertUploadId } from "./bucket_multipart.ts";
import type { RequestOptions } from "./oss_client.ts";

/**
 * Conditions on the copy's source object (`x-oss-copy-source-if-*`): OSS answers 412
 * PreconditionFailed when `sourceIfMatch` or `sourceIfUnmodifiedSince` does not hold, and
 * 304 NotModified when `sourceIfNoneMatch` or `sourceIfModifiedSince` does not.
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
 * await bucket.putObject("a.txt", "hello");
 * const { etag } = await bucket.headObject("a.txt");
 * await bucket.copyObject(bucket.name, "a.txt", "b.txt", { sourceIfMatch: etag });
 * await bucket.putObject("a.txt", "changed");
 * await assert.rejects(
 *   bucket.copyObject(bucket.name, "a.txt", "c.txt", { sourceIfMatch: etag }),
 *   { status: 412 }, // the source is no longer the one we read
 * );
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface CopySourceConditions {
  /** Copy only if the source's ETag is this one (else 412 PreconditionFailed). */
  sourceIfMatch?: string;
  /** Copy only if the source's ETag is not this one (else 304 NotModified). */
  sourceIfNoneMatch?: string;
  /** Copy only if the source changed after this time (else 304 NotModified). */
  sourceIfModifiedSince?: Date;
  /** Copy only if the source did not change after this time (else 412 PreconditionFailed). */
  sourceIfUnmodifiedSince?: Date;
}

/**
 * What happens to the source's metadata (content type, user metadata, cache headers…):
 * `"COPY"` keeps it (the request's metadata is ignored), `"REPLACE"` gives the copy only
 * the metadata of the request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { MetadataDirective } from "@ossup/ossup";
 *
 * const directive: MetadataDirective = "REPLACE";
 * assert.ok(["COPY", "REPLACE"].includes(directive));
 * ```
 */
export type MetadataDirective = "COPY" | "REPLACE";

/**
 * Options of {@linkcode Bucket.copyObject}.
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
 * await client.createBucket("photos");
 * await client.bucket("photos").putObject("a.png", "png", { meta: { owner: "me" } });
 * await bucket.copyObject("photos", "a.png", "a-copy.png", {
 *   metadataDirective: "REPLACE",
 *   contentType: "image/png",
 *   meta: { copied: "yes" },
 * });
 * const head = await bucket.headObject("a-copy.png");
 * assert.equal(head.contentType, "image/png");
 * assert.deepEqual(head.meta, { copied: "yes" }); // REPLACE: this call's, not the source's
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface CopyObjectOptions
  extends Omit<ObjectWriteOptions, "callback">, CopySourceConditions {
  /**
   * Keep the source's metadata or replace it with this request's `contentType`, `meta` and
   * `headers` (see {@linkcode MetadataDirective}).
   * @default {"COPY"}
   */
  metadataDirective?: MetadataDirective;
}

/**
 * The source of an UploadPartCopy: an object (in any bucket of the same region) and, when
 * not the whole of it, the byte range to copy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CopyPartSource } from "@ossup/ossup";
 *
 * const firstMiB: CopyPartSource = { bucket: "src", key: "big.iso", range: { start: 0, end: 1048575 } };
 * assert.equal(firstMiB.range!.end - firstMiB.range!.start + 1, 1024 * 1024);
 * ```
 */
export interface CopyPartSource {
  /** The source bucket. */
  bucket: string;
  /** The source object key. */
  key: string;
  /** Bytes `start` to `end` (both inclusive); the whole object when absent. */
  range?: { start: number; end: number };
}

/**
 * Options of {@linkcode Bucket.uploadPartCopy}.
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
 * await client.bucket("source-bucket").putObject("k", "hello world"); // ETag: its MD5
 * const { uploadId } = await bucket.initiateMultipartUpload("dst");
 * const part = await bucket.uploadPartCopy("dst", uploadId, 1, { bucket: "source-bucket", key: "k" }, {
 *   sourceIfMatch: '"5EB63BBBE01EEED093CB22BB8F5ACDC3"',
 * });
 * assert.equal(part.partNumber, 1);
 * await bucket.abortMultipartUpload("dst", uploadId);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface UploadPartCopyOptions
  extends
    RequestOptions,
    CopySourceConditions,
    Pick<ObjectWriteSettings, "trafficLimit" | "requestPayer"> {}

/** `x-oss-copy-source`: `/<bucket>/<key>`, the key URL-encoded with its slashes kept. */
export function copySourceHeader(bucket: string, key: string): string {
  return `/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

function setSourceConditions(headers: Headers, o: CopySourceConditions): void {
  if (o.sourceIfMatch !== undefined) headers.set("x-oss-copy-source-if-match", o.sourceIfMatch);
  if (o.sourceIfNoneMatch !== undefined) {
    headers.set("x-oss-copy-source-if-none-match", o.sourceIfNoneMatch);
  }
  if (o.sourceIfModifiedSince) {
    headers.set("x-oss-copy-source-if-modified-since", o.sourceIfModifiedSince.toUTCString());
  }
  if (o.sourceIfUnmodifiedSince) {
    headers.set("x-oss-copy-source-if-unmodified-since", o.sourceIfUnmodifiedSince.toUTCString());
  }
}

function assertSource(bucket: string, key: string): void {
  assertBucketName(bucket);
  assertObjectKey(key);
}

/** Copies an object inside OSS (CopyObject). See {@linkcode Bucket.copyObject}. */
export async function copyObject(
  b: BucketTarget,
  sourceBucket: string,
  sourceKey: string,
  destKey: string,
  options: CopyObjectOptions = {},
): Promise<CopyObjectResult> {
  assertSource(sourceBucket, sourceKey);
  assertObjectKey(destKey);
  const directive = options.metadataDirective ?? "COPY";
  if (directive !== "COPY" && directive !== "REPLACE") {
    throw new TypeError(
      `metadataDirective must be "COPY" or "REPLACE"; got ${JSON.stringify(directive)}`,
    );
  }
  checkWriteSettings(options);
  const headers = writeHeadersFor(options, "CopyObject");
  headers.set("x-oss-copy-source", copySourceHeader(sourceBucket, sourceKey));
  headers.set("x-oss-metadata-directive", directive);
  // OSS copies the source's tags unless told to take the request's.
  if (options.tagging !== undefined) headers.set("x-oss-tagging-directive", "Replace");
  setSourceConditions(headers, options);
  const { result } = await b.sender.sendAndParse({
    ...requestOptions(options),
    operation: "CopyObject",
    bucket: b.name,
    key: destKey,
    headers,
  });
  return result;
}

/** Uploads a part by copying bytes of an object (UploadPartCopy). See {@linkcode Bucket.uploadPartCopy}. */
export async function uploadPartCopy(
  b: BucketTarget,
  key: string,
  uploadId: string,
  partNumber: number,
  source: CopyPartSource,
  options: UploadPartCopyOptions = {},
): Promise<UploadPartCopyResult> {
  assertObjectKey(key);
  assertUploadId(uploadId);
  assertPartNumber(partNumber);
  assertSource(source.bucket, source.key);
  checkWriteSettings(options);
  const headers = writeHeadersFor(options, "UploadPartCopy");
  headers.set("x-oss-copy-source", copySourceHeader(source.bucket, source.key));
  if (source.range !== undefined) {
    const { start, end } = source.range;
    if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(end) || end < start) {
      throw new RangeError(
        `range must be whole numbers with 0 ≤ start ≤ end; got start ${start}, end ${end}`,
      );
    }
    headers.set("x-oss-copy-source-range", `bytes=${start}-${end}`);
  }
  setSourceConditions(headers, options);
  const { result } = await b.sender.sendAndParse({
    ...requestOptions(options),
    operation: "UploadPartCopy",
    bucket: b.name,
    key,
    query: [["partNumber", String(partNumber)], ["uploadId", uploadId]],
    headers,
  });
  return { ...result, partNumber };
}
