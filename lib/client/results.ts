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
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * const { requestId } = await bucket.deleteObject("a.txt");
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
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * const { etag, crc64 } = await bucket.putObject("a.txt", "hi");
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
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * const { size, contentType, meta } = await bucket.headObject("a.txt");
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
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * const { body, size } = await bucket.getObject("a.txt");
 * await body.pipeTo(new WritableStream());
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
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * for await (const { key, size } of bucket.listObjects()) console.log(key, size);
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
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * const { objects, nextMarker } = await bucket.listObjectsPage({ maxKeys: 10 });
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
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * const { uploadId } = await bucket.initiateMultipartUpload("big.bin");
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
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * const { etag, crc64 } = await bucket.uploadPart("big.bin", "<id>", 1, new Uint8Array(102400));
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
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * const { etag, crc64 } = await bucket.copyObject("source-bucket", "a.txt", "copy-of-a.txt");
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
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * const part = await bucket.uploadPartCopy("big.iso", "<upload id>", 1, {
 *   bucket: "source-bucket",
 *   key: "big.iso",
 *   range: { start: 0, end: 8 * 1024 * 1024 - 1 },
 * });
 * console.log(part.etag, part.crc64);
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
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * await bucket.completeMultipartUpload("big.bin", "<id>", [{ partNumber: 1, etag: '"AB12"' }]);
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
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * const { etag, crc64 } = await bucket.completeMultipartUpload("big.bin", "<id>", []);
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
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * for await (const { partNumber, size } of bucket.listParts("big.bin", "<id>")) console.log(partNumber, size);
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
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * const { parts, nextPartNumberMarker } = await bucket.listPartsPage("big.bin", "<id>");
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
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * for await (const { key, uploadId } of bucket.listMultipartUploads()) console.log(key, uploadId);
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
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * const { uploads, isTruncated } = await bucket.listMultipartUploadsPage();
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
 * import type { OssClient } from "@ossup/ossup";
 *
 * declare const client: OssClient;
 * for await (const { name } of client.listBuckets()) console.log(name);
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
 * import type { OssClient } from "@ossup/ossup";
 *
 * declare const client: OssClient;
 * const { buckets, nextMarker } = await client.listBucketsPage();
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
