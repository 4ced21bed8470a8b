/**
 * What the upload engine needs from a bucket: the multipart calls, and where
 * the bucket is (to bind a checkpoint to its destination). `Bucket` fills it;
 * the engine depends on nothing else of the client.
 *
 * @module
 */

import type { ObjectWriteSettings } from "../client/object_write_options.ts";
import type { PreconnectOptions } from "../client/bucket_preconnect.ts";
import type { RateLimiter } from "../pacing/rate_limiter.ts";

/**
 * Body of a part, made afresh on every attempt: the bytes read from the
 * source, or a `Blob` slice of it where the runtime sends one from the file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PartBodyFactory } from "@ossup/ossup";
 *
 * const bytes = new Uint8Array(100 * 1024);
 * const body: PartBodyFactory = () => Promise.resolve(bytes.slice());
 * assert.notEqual(await body(), await body()); // a fresh body for every attempt
 * ```
 */
export type PartBodyFactory = () => Promise<Uint8Array | Blob>;

/**
 * Options every engine call passes through.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AbortError, type MultipartTarget, OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 *
 * const target: MultipartTarget = client.bucket("examplebucket");
 * const { uploadId } = await target.initiateMultipartUpload("big.bin");
 * const controller = new AbortController();
 * controller.abort();
 * await assert.rejects(
 *   target.abortMultipartUpload("big.bin", uploadId, { signal: controller.signal }),
 *   AbortError,
 * );
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface TargetCallOptions {
  /** Aborts the call. */
  signal?: AbortSignal;
  /** Called with the failure before each retry of the call. */
  onRetry?: (error: unknown) => void;
}

/**
 * What a call that moves an object's bytes carries: the transfer's bandwidth limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type DataCallOptions, RateLimiter } from "@ossup/ossup";
 *
 * const options: DataCallOptions = { limitRate: new RateLimiter(1024 * 1024) };
 * assert.equal(options.limitRate?.bytesPerSecond, 1024 * 1024);
 * ```
 */
export interface DataCallOptions extends TargetCallOptions {
  /** Paces the call's body; one limiter for every call of a transfer. Default: no limit. */
  limitRate?: RateLimiter;
}

/**
 * Headers an upload gives its object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type MultipartTarget, OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 *
 * const target: MultipartTarget = client.bucket("examplebucket");
 * const { uploadId } = await target.initiateMultipartUpload("big.bin", {
 *   contentType: "application/octet-stream",
 *   meta: { owner: "me" },
 * });
 * assert.ok(uploadId.length > 0);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface ObjectWriteOptions extends DataCallOptions, ObjectWriteSettings {
  /** Other headers to send (e.g. `Cache-Control`). */
  headers?: Record<string, string>;
}

/**
 * What an UploadPart of the engine carries besides its body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MIN_TRAFFIC_LIMIT, type PartCallOptions } from "@ossup/ossup";
 *
 * const options: PartCallOptions = { trafficLimit: 8_388_608 }; // 1 MB/s
 * assert.ok(options.trafficLimit! >= MIN_TRAFFIC_LIMIT);
 * ```
 */
export interface PartCallOptions
  extends DataCallOptions, Pick<ObjectWriteSettings, "trafficLimit" | "requestPayer"> {}

/**
 * What the engine's CompleteMultipartUpload carries besides the parts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CompleteCallOptions } from "@ossup/ossup";
 *
 * const options: CompleteCallOptions = { acl: "private", forbidOverwrite: true };
 * assert.equal(options.acl, "private");
 * ```
 */
export interface CompleteCallOptions
  extends
    TargetCallOptions,
    Pick<ObjectWriteSettings, "acl" | "forbidOverwrite" | "callback" | "requestPayer"> {}

/**
 * What a write that made the object answered, beyond its ETag and CRC64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { WrittenObjectInfo } from "@ossup/ossup";
 *
 * const info: WrittenObjectInfo = { versionId: "CAEQ…", callbackResult: '{"ok":true}' };
 * assert.deepEqual(JSON.parse(info.callbackResult!), { ok: true });
 * ```
 */
export interface WrittenObjectInfo {
  /** The object's version, in a versioned bucket (`x-oss-version-id`). */
  versionId?: string;
  /** The callback server's answer, when the write had a callback. */
  callbackResult?: string;
}

/**
 * An unfinished multipart upload, as `listMultipartUploads` yields it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { TargetUploadSummary } from "@ossup/ossup";
 *
 * const upload: TargetUploadSummary = { key: "big.bin", uploadId: "0004B9…", initiated: new Date(0) };
 * assert.equal(upload.initiated.toISOString(), "1970-01-01T00:00:00.000Z");
 * ```
 */
export interface TargetUploadSummary {
  /** The object key. */
  key: string;
  /** The upload ID. */
  uploadId: string;
  /** When the server initiated it, by the server's clock. */
  initiated: Date;
}

/**
 * The part of a bucket the upload engine drives.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type MultipartTarget, OssClient } from "@ossup/ossup";
 *
 * const client = new OssClient({ endpoint: "oss-cn-hangzhou.aliyuncs.com", accessKeyId: "ak", accessKeySecret: "sk" });
 * const target: MultipartTarget = client.bucket("examplebucket"); // a Bucket is one
 * assert.equal(target.name, "examplebucket");
 * assert.equal(target.endpointHost, "oss-cn-hangzhou.aliyuncs.com");
 * ```
 */
export interface MultipartTarget {
  /** Bucket name. */
  readonly name: string;
  /** Endpoint host (and port) the bucket is reached at, e.g. `oss-cn-hangzhou.aliyuncs.com`. */
  readonly endpointHost: string;
  /** InitiateMultipartUpload. */
  initiateMultipartUpload(key: string, options?: ObjectWriteOptions): Promise<{ uploadId: string }>;
  /** UploadPart; `body` is called again for every retry. */
  uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: PartBodyFactory,
    options?: PartCallOptions,
  ): Promise<{ etag: string; crc64?: bigint }>;
  /** CompleteMultipartUpload. */
  completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
    options?: CompleteCallOptions,
  ): Promise<{ etag: string; crc64?: bigint; requestId?: string } & WrittenObjectInfo>;
  /** AbortMultipartUpload. */
  abortMultipartUpload(
    key: string,
    uploadId: string,
    options?: TargetCallOptions,
  ): Promise<unknown>;
  /** ListParts, every page. */
  listParts(
    key: string,
    uploadId: string,
    options?: TargetCallOptions,
  ): AsyncIterable<{ partNumber: number; size: number; etag: string; crc64?: bigint }>;
  /**
   * ListMultipartUploads, every page: lets the engine find and abort uploads
   * it started but never recorded (a retried InitiateMultipartUpload, a run
   * killed before its checkpoint named the upload). Without it they stay.
   */
  listMultipartUploads?(
    options?: { prefix?: string } & TargetCallOptions,
  ): AsyncIterable<TargetUploadSummary>;
  /** PutObject, for sources that fit one request (`putObjectThreshold`, and empty ones). */
  putObject(
    key: string,
    body: Uint8Array | Blob,
    options?: ObjectWriteOptions,
  ): Promise<{ etag: string; crc64?: bigint; requestId?: string } & WrittenObjectInfo>;
  /**
   * HeadObject, to read an object's CRC64 when Complete did not send it, or
   * to recognize the object a Complete whose answer was lost has made.
   */
  headObject(
    key: string,
    options?: TargetCallOptions,
  ): Promise<{ crc64?: bigint; size?: number; etag?: string; requestId?: string }>;
  /** DeleteObject, to remove an object that failed its end-to-end CRC check. */
  deleteObject(key: string, options?: TargetCallOptions): Promise<unknown>;
  /**
   * Opens connections ahead of the parts, while the first exchange is on its way (see
   * `Bucket.preconnect`). Without it every part's connection is opened when the part is sent.
   */
  preconnect?(options: PreconnectOptions): void;
}
