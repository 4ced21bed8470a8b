/**
 * The typed results of the client's operations.
 *
 * ETags are kept exactly as OSS sends them, quotes included
 * (`"5B3C1A2E053D763E1B002CC607C5A0FE"`); CRC64 values are `bigint`s
 * (OSS sends them as decimal strings in `x-oss-hash-crc64ecma`).
 *
 * @module
 */

/**
 * What every result carries about the answer it came from.
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
 * const { requestId, headers } = await bucket.deleteObject("a.txt");
 * assert.ok(requestId); // quote it to Alibaba Cloud support
 * assert.equal(headers.get("x-oss-request-id"), requestId);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface ResponseInfo {
  /** The `x-oss-request-id` of the answer, if any (quote it to Alibaba Cloud support). */
  requestId?: string;
  /** All headers of the answer. */
  headers: Headers;
}

/**
 * Result of `Bucket.putObject`.
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
 * const { etag, crc64 } = await bucket.putObject("a.txt", "hi");
 * assert.match(etag, /^"[0-9A-F]{32}"$/); // quotes included, as OSS sends it
 * assert.equal(crc64, (await bucket.headObject("a.txt")).crc64);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface PutObjectResult extends ResponseInfo {
  /** ETag of the new object, as OSS sent it. */
  etag: string;
  /** CRC64-ECMA of the object, when the server sent it. */
  crc64?: bigint;
  /** Version ID, when the bucket is versioned. */
  versionId?: string;
  /** The callback server's answer (as OSS relays it), when the put had a `callback`. */
  callbackResult?: string;
}

/**
 * Metadata of an object, from `Bucket.headObject` or `Bucket.getObject`.
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
 * await bucket.putObject("a.txt", "hi", { contentType: "text/plain", meta: { author: "me" } });
 * const { size, contentType, meta } = await bucket.headObject("a.txt");
 * assert.deepEqual({ size, contentType, meta }, { size: 2, contentType: "text/plain", meta: { author: "me" } });
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface ObjectMetadata extends ResponseInfo {
  /**
   * Size of the whole object in bytes (`NaN` in the rare case the server
   * sent neither `Content-Length` nor `Content-Range`, i.e. a chunked answer).
   */
  size: number;
  /** ETag as OSS sent it. */
  etag: string;
  /** CRC64-ECMA of the whole object, when the server sent it. */
  crc64?: bigint;
  /** `Content-Type` of the object. */
  contentType: string;
  /** User metadata (`x-oss-meta-*`), names lower-cased without the prefix. */
  meta: Record<string, string>;
  /** `Last-Modified` of the object. */
  lastModified?: Date;
  /** `Normal`, `Multipart` or `Appendable`. */
  objectType?: string;
  /** Storage class, e.g. `Standard`. */
  storageClass?: string;
  /** Version ID, when the bucket is versioned. */
  versionId?: string;
}

/**
 * Result of `Bucket.getObject`: metadata and the body as a stream.
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
 * const { body, size } = await bucket.getObject("a.txt");
 * let received = 0;
 * await body.pipeTo(new WritableStream({ write: (chunk) => void (received += chunk.length) }));
 * assert.equal(received, size);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface GetObjectResult extends ObjectMetadata {
  /** The bytes (all of them, or the requested range). Read it or cancel it. */
  body: ReadableStream<Uint8Array>;
  /** Bytes in `body` (the range's length for a range request; `NaN` when not sent). */
  contentLength: number;
  /** For a range request, the inclusive byte range this body holds. */
  range?: { start: number; end: number };
  /** Reads the whole body into memory. */
  bytes(): Promise<Uint8Array>;
  /** Reads the whole body as UTF-8 text. */
  text(): Promise<string>;
}

/**
 * One object in a listing.
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
 * await bucket.putObject("a.txt", "hi");
 * await bucket.putObject("b.txt", "hello");
 * const listed: string[] = [];
 * for await (const { key, size } of bucket.listObjects()) listed.push(`${key} ${size}`);
 * assert.deepEqual(listed, ["a.txt 2", "b.txt 5"]);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface ObjectSummary {
  /** The object key. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** ETag as OSS sent it. */
  etag: string;
  /** When it was last written. */
  lastModified: Date;
  /** `Normal`, `Multipart` or `Appendable`. */
  type?: string;
  /** E.g. `Standard`. */
  storageClass?: string;
}

/**
 * One page of `Bucket.listObjectsPage`.
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
 * for (const key of ["a", "b", "c"]) await bucket.putObject(key, "x");
 * const { objects, nextMarker } = await bucket.listObjectsPage({ maxKeys: 2 });
 * assert.deepEqual(objects.map((o) => o.key), ["a", "b"]);
 * const rest = await bucket.listObjectsPage({ maxKeys: 2, marker: nextMarker });
 * assert.deepEqual(rest.objects.map((o) => o.key), ["c"]);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface ListObjectsPage extends ResponseInfo {
  /** The objects of this page, in key order. */
  objects: ObjectSummary[];
  /** With a delimiter: the "directories" rolled up at this level. */
  commonPrefixes: string[];
  /** Whether more objects follow this page. */
  isTruncated: boolean;
  /** Pass as `marker` to get the next page. */
  nextMarker?: string;
  /** The prefix asked for. */
  prefix?: string;
  /** The delimiter asked for. */
  delimiter?: string;
  /** The marker asked for. */
  marker?: string;
  /** The page size asked for. */
  maxKeys?: number;
}

/**
 * Result of `Bucket.initiateMultipartUpload`.
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
 * const { uploadId, key } = await bucket.initiateMultipartUpload("big.bin");
 * assert.equal(key, "big.bin");
 * await bucket.abortMultipartUpload("big.bin", uploadId);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface InitiateMultipartUploadResult extends ResponseInfo {
  /** The bucket. */
  bucket: string;
  /** The object key. */
  key: string;
  /** The new upload's ID: pass it to `uploadPart` and `completeMultipartUpload`. */
  uploadId: string;
}

/**
 * Result of `Bucket.uploadPart`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc64 as crc64Of, OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * const { uploadId } = await bucket.initiateMultipartUpload("big.bin");
 * const { etag, crc64 } = await bucket.uploadPart("big.bin", uploadId, 1, new Uint8Array(102400));
 * assert.equal(etag, '"4C6426AC7EF186464ECBB0D81CBFCB1E"'); // the part's MD5
 * assert.equal(crc64, crc64Of(new Uint8Array(102400)));
 * await bucket.abortMultipartUpload("big.bin", uploadId);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface UploadPartResult extends ResponseInfo {
  /** The part number, 1 to 10000. */
  partNumber: number;
  /** ETag of the part as OSS sent it: pass it to `completeMultipartUpload`. */
  etag: string;
  /** CRC64-ECMA of the part, when the server sent it. */
  crc64?: bigint;
}

/**
 * Result of `Bucket.copyObject` (CopyObject).
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
 * await client.bucket("source-bucket").putObject("a.txt", "hello");
 * const { etag, crc64 } = await bucket.copyObject("source-bucket", "a.txt", "copy-of-a.txt");
 * assert.equal(etag, (await bucket.headObject("copy-of-a.txt")).etag);
 * assert.equal(crc64, (await client.bucket("source-bucket").headObject("a.txt")).crc64);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface CopyObjectResult extends ResponseInfo {
  /** ETag of the new object, as OSS sent it. */
  etag: string;
  /** When the new object was written. */
  lastModified?: Date;
  /** CRC64-ECMA of the new object, when the server sent it. */
  crc64?: bigint;
  /** Version ID of the new object, when the bucket is versioned. */
  versionId?: string;
}

/**
 * Result of `Bucket.uploadPartCopy` (UploadPartCopy).
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
 * await client.bucket("source-bucket").putObject("big.iso", new Uint8Array(8 * 1024 * 1024));
 * const { uploadId } = await bucket.initiateMultipartUpload("big.iso");
 * const part = await bucket.uploadPartCopy("big.iso", uploadId, 1, {
 *   bucket: "source-bucket",
 *   key: "big.iso",
 *   range: { start: 0, end: 8 * 1024 * 1024 - 1 },
 * });
 * assert.match(part.etag, /^"[0-9A-F]{32}"$/);
 * assert.equal(typeof part.crc64, "bigint");
 * await bucket.abortMultipartUpload("big.iso", uploadId);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface UploadPartCopyResult extends ResponseInfo {
  /** The part number, 1 to 10000. */
  partNumber: number;
  /** ETag of the part as OSS sent it: pass it to `completeMultipartUpload`. */
  etag: string;
  /** When the part was written. */
  lastModified?: Date;
  /** CRC64-ECMA of the part, when the server sent it. */
  crc64?: bigint;
}

/**
 * A part named in `Bucket.completeMultipartUpload`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CompletedPart, OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * const { uploadId } = await bucket.initiateMultipartUpload("big.bin");
 * const { etag } = await bucket.uploadPart("big.bin", uploadId, 1, new Uint8Array(102400));
 * const parts: CompletedPart[] = [{ partNumber: 1, etag }];
 * await bucket.completeMultipartUpload("big.bin", uploadId, parts);
 * assert.equal((await bucket.headObject("big.bin")).size, 102400);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface CompletedPart {
  /** The part number, 1 to 10000. */
  partNumber: number;
  /** The part's ETag, with or without quotes. */
  etag: string;
}

/**
 * Result of `Bucket.completeMultipartUpload`.
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
 * const { uploadId } = await bucket.initiateMultipartUpload("big.bin");
 * const part = await bucket.uploadPart("big.bin", uploadId, 1, new Uint8Array(10));
 * const { etag, crc64 } = await bucket.completeMultipartUpload("big.bin", uploadId, [part]);
 * const head = await bucket.headObject("big.bin");
 * assert.equal(etag, head.etag);
 * assert.equal(crc64, head.crc64);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface CompleteMultipartUploadResult extends ResponseInfo {
  /** The bucket. */
  bucket: string;
  /** The object key. */
  key: string;
  /** ETag of the object (`"<hex>-<parts>"`). */
  etag: string;
  /** The object's URL, as OSS sent it. */
  location?: string;
  /** CRC64-ECMA of the whole object, when the server sent it. */
  crc64?: bigint;
  /** The object's version, in a versioned bucket. */
  versionId?: string;
  /** The callback server's answer (as OSS relays it), when Complete had a `callback`. */
  callbackResult?: string;
}

/**
 * One part of a multipart upload, from `Bucket.listParts`.
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
 * const { uploadId } = await bucket.initiateMultipartUpload("big.bin");
 * await bucket.uploadPart("big.bin", uploadId, 1, new Uint8Array(102400));
 * const listed: string[] = [];
 * for await (const { partNumber, size } of bucket.listParts("big.bin", uploadId)) {
 *   listed.push(`${partNumber} ${size}`);
 * }
 * assert.deepEqual(listed, ["1 102400"]);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface PartSummary {
  /** The part number, 1 to 10000. */
  partNumber: number;
  /** Size in bytes. */
  size: number;
  /** ETag as OSS sent it. */
  etag: string;
  /** When it was uploaded. */
  lastModified: Date;
  /** CRC64-ECMA of the part, when the server sent it. */
  crc64?: bigint;
}

/**
 * One page of `Bucket.listPartsPage`.
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
 * const { uploadId } = await bucket.initiateMultipartUpload("big.bin");
 * await bucket.uploadPart("big.bin", uploadId, 1, new Uint8Array(102400));
 * const { parts, nextPartNumberMarker } = await bucket.listPartsPage("big.bin", uploadId);
 * assert.equal(parts.length, 1);
 * assert.equal(nextPartNumberMarker, 1);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface ListPartsPage extends ResponseInfo {
  /** The bucket. */
  bucket: string;
  /** The object key. */
  key: string;
  /** The upload ID. */
  uploadId: string;
  /** The parts of this page, by part number. */
  parts: PartSummary[];
  /** Whether more parts follow this page. */
  isTruncated: boolean;
  /** Pass as `partNumberMarker` to get the next page. */
  nextPartNumberMarker?: number;
  /** The marker asked for. */
  partNumberMarker?: number;
  /** The page size asked for. */
  maxParts?: number;
}

/**
 * An unfinished multipart upload, from `Bucket.listMultipartUploads`.
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
 * const { uploadId } = await bucket.initiateMultipartUpload("big.bin");
 * const listed: string[] = [];
 * for await (const { key, uploadId } of bucket.listMultipartUploads()) listed.push(`${key} ${uploadId}`);
 * assert.deepEqual(listed, [`big.bin ${uploadId}`]);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface MultipartUploadSummary {
  /** The object key. */
  key: string;
  /** The upload ID. */
  uploadId: string;
  /** When it was initiated. */
  initiated: Date;
  /** E.g. `Standard`. */
  storageClass?: string;
}

/**
 * One page of `Bucket.listMultipartUploadsPage`.
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
 * await bucket.initiateMultipartUpload("big.bin");
 * const { uploads, isTruncated } = await bucket.listMultipartUploadsPage();
 * assert.equal(uploads.length, 1);
 * assert.equal(isTruncated, false);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface ListMultipartUploadsPage extends ResponseInfo {
  /** The uploads of this page. */
  uploads: MultipartUploadSummary[];
  /** With a delimiter: the "directories" rolled up at this level. */
  commonPrefixes: string[];
  /** Whether more uploads follow this page. */
  isTruncated: boolean;
  /** Pass as `keyMarker` (with `uploadIdMarker`) to get the next page. */
  nextKeyMarker?: string;
  /** Pass as `uploadIdMarker` (with `keyMarker`) to get the next page. */
  nextUploadIdMarker?: string;
  /** The prefix asked for. */
  prefix?: string;
  /** The delimiter asked for. */
  delimiter?: string;
  /** The key marker asked for. */
  keyMarker?: string;
  /** The upload ID marker asked for. */
  uploadIdMarker?: string;
  /** The page size asked for. */
  maxUploads?: number;
}

/**
 * A bucket, from `OssClient.listBuckets`.
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
 *
 * const names: string[] = [];
 * for await (const { name } of client.listBuckets()) names.push(name);
 * assert.deepEqual(names, ["examplebucket"]);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface BucketSummary {
  /** The bucket name. */
  name: string;
  /** When it was created. */
  creationDate: Date;
  /** E.g. `oss-cn-hangzhou`. */
  location?: string;
  /** E.g. `cn-hangzhou`. */
  region?: string;
  /** Default storage class, e.g. `Standard`. */
  storageClass?: string;
  /** Public endpoint, e.g. `oss-cn-hangzhou.aliyuncs.com`. */
  extranetEndpoint?: string;
  /** Endpoint inside Alibaba Cloud, e.g. `oss-cn-hangzhou-internal.aliyuncs.com`. */
  intranetEndpoint?: string;
}

/**
 * One page of `OssClient.listBucketsPage`.
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
 *
 * const { buckets, nextMarker } = await client.listBucketsPage();
 * assert.deepEqual(buckets.map((b) => b.name), ["examplebucket"]);
 * assert.equal(nextMarker, undefined); // no more pages
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface ListBucketsPage extends ResponseInfo {
  /** The buckets of this page, by name. */
  buckets: BucketSummary[];
  /** Whether more buckets follow this page. */
  isTruncated: boolean;
  /** Pass as `marker` to get the next page. */
  nextMarker?: string;
  /** The prefix asked for. */
  prefix?: string;
  /** The marker asked for. */
  marker?: string;
  /** The page size asked for. */
  maxKeys?: number;
}
