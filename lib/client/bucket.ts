/**
 * `Bucket`, the facade of the operations on one bucket. Each area is its own module:
 * objects (`bucket_objects.ts`), listings (`bucket_listing.ts`), the multipart calls
 * (`bucket_multipart.ts`) and presigned URLs (`bucket_presign.ts`); the resumable uploads
 * are the engine's (`lib/upload/`). The methods here hold the documentation and delegate.
 *
 * @module
 */

import type { OssBody } from "./body.ts";
import { assertBucketName, assertObjectKey } from "./endpoint.ts";
import type { OssClient, RequestOptions } from "./oss_client.ts";
import type { RequestSender } from "./_request.ts";
import type {
  CompletedPart,
  CompleteMultipartUploadResult,
  CopyObjectResult,
  GetObjectResult,
  InitiateMultipartUploadResult,
  ListMultipartUploadsPage,
  ListObjectsPage,
  ListPartsPage,
  MultipartUploadSummary,
  ObjectMetadata,
  ObjectSummary,
  PartSummary,
  PutObjectResult,
  ResponseInfo,
  UploadPartCopyResult,
  UploadPartResult,
} from "./results.ts";
import type { BucketTarget } from "./_bucket_target.ts";
import { preconnectBucket, type PreconnectOptions } from "./bucket_preconnect.ts";
import {
  type ConditionalOptions,
  deleteObject,
  getObject,
  getObjectAcl,
  type GetObjectOptions,
  getObjectTagging,
  headObject,
  type ObjectWriteOptions,
  putObject,
  type PutObjectOptions,
} from "./bucket_objects.ts";
import {
  listMultipartUploads,
  type ListMultipartUploadsOptions,
  listMultipartUploadsPage,
  listObjects,
  type ListObjectsOptions,
  listObjectsPage,
  listParts,
  type ListPartsOptions,
  listPartsPage,
} from "./bucket_listing.ts";
import {
  abortMultipartUpload,
  completeMultipartUpload,
  type CompleteMultipartUploadOptions,
  initiateMultipartUpload,
  uploadPart,
  type UploadPartOptions,
} from "./bucket_multipart.ts";
import { presignUrl, type PresignUrlOptions } from "./bucket_presign.ts";
import {
  deleteObjects,
  type DeleteObjectsOptions,
  type DeleteObjectsResult,
} from "./bucket_delete_objects.ts";
import {
  type AppendBody,
  appendObject,
  type AppendObjectOptions,
  type AppendObjectResult,
} from "./bucket_append.ts";
import {
  abortMultipartUploads,
  type AbortMultipartUploadsOptions,
  type AbortMultipartUploadsResult,
} from "./bucket_cleanup.ts";
import {
  appendFile,
  type AppendFileOptions,
  type AppendFileResult,
} from "../append/append_file.ts";
import {
  copyObject,
  type CopyObjectOptions,
  type CopyPartSource,
  uploadPartCopy,
  type UploadPartCopyOptions,
} from "./bucket_copy.ts";
import { copyFile } from "../upload/copy_file.ts";
import type { CopyFileOptions, CopyResult } from "../upload/copy_options.ts";
import { uploadFile, type UploadFileInput } from "../upload/upload_file.ts";
import type { UploadFileOptions, UploadResult } from "../upload/upload_options.ts";
import { uploadStream, type UploadStreamOptions } from "../upload/upload_stream.ts";
import { downloadFile, type DownloadFileOutput } from "../download/download_file.ts";
import type { DownloadFileOptions, DownloadResult } from "../download/download_options.ts";

/** The sender {@linkcode bucketWithSender} hands to the `Bucket` it is constructing. */
let handedSender: RequestSender | undefined;

/**
 * A `Bucket` that sends through `sender`: how {@linkcode OssClient.bucket} hands a bucket its
 * client's sender without putting the sender (and the credentials it holds) on either's public
 * surface.
 *
 * @param client The client the bucket belongs to.
 * @param name The bucket name.
 * @param sender The client's request sender.
 * @returns The bucket.
 * @throws {TypeError} When the name is not a valid bucket name.
 */
export function bucketWithSender(client: OssClient, name: string, sender: RequestSender): Bucket {
  handedSender = sender;
  try {
    return new Bucket(client, name);
  } finally {
    handedSender = undefined;
  }
}

/**
 * One bucket of an {@linkcode OssClient}. Get it with `client.bucket(name)`.
 *
 * @example Put, read back, list and delete
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
 * await bucket.putObject("notes/a.txt", "hello");
 * const { body, size, crc64 } = await bucket.getObject("notes/a.txt");
 * assert.equal(await new Response(body).text(), "hello");
 * assert.equal(size, 5);
 * assert.equal(typeof crc64, "bigint");
 * const listed: string[] = [];
 * for await (const obj of bucket.listObjects({ prefix: "notes/" })) listed.push(`${obj.key} ${obj.size}`);
 * assert.deepEqual(listed, ["notes/a.txt 5"]);
 * await bucket.deleteObject("notes/a.txt");
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export class Bucket {
  // Definitely assigned (!): a constructor call without a handed sender returns client.bucket().
  /** The bucket name. */
  readonly name!: string;
  /** The client this bucket belongs to. */
  readonly client!: OssClient;
  #target!: BucketTarget;

  /**
   * Addresses bucket `name` through `client`; usually made with `client.bucket(name)`.
   *
   * @param client The client.
   * @param name The bucket name.
   * @throws {TypeError} When the name is not a valid bucket name.
   */
  constructor(client: OssClient, name: string) {
    const sender = handedSender;
    // Made directly: the client makes it, handing over its sender (see bucketWithSender).
    if (sender === undefined) return client.bucket(name);
    assertBucketName(name);
    this.client = client;
    this.name = name;
    this.#target = { name, sender };
  }

  /** Endpoint host (and port) the bucket is reached at, e.g. `"oss-cn-hangzhou.aliyuncs.com"`. */
  get endpointHost(): string {
    return this.client.endpointHost;
  }

  /**
   * Opens connections to the bucket's host in the background, ahead of the requests that will
   * use them, so that each of those starts without a handshake's round trip (one, two or more
   * with TLS). `uploadFile`, `downloadFile` and `cp -r` do this themselves while their first
   * exchange is on its way; call it before a burst of your own requests. Only the client's
   * transport can do it (the Deno, Bun and Node entries' own); with any other `fetch` it does
   * nothing. Connections left idle close after the transport's keep-alive timeout.
   *
   * @param options How many connections, and for uploads or downloads.
   * @throws {RangeError} When `connections` is not an integer from 1 to 100.
   * @throws {TypeError} When `for` is neither `"upload"` nor `"download"`.
   *
   * @example Four connections opened while the first request is being prepared
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
   * bucket.preconnect({ connections: 4, for: "upload" });
   * const keys = ["a.txt", "b.txt", "c.txt", "d.txt"];
   * await Promise.all(keys.map((key) => bucket.putObject(key, new TextEncoder().encode(key))));
   * assert.throws(() => bucket.preconnect({ connections: 0 }), RangeError);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  preconnect(options: PreconnectOptions = {}): void {
    preconnectBucket(this.#target, options);
  }

  /**
   * Resumable multipart upload of a file, the Go SDK's
   * `bucket.UploadFile(objectKey, filePath, partSize, oss.Routines(n), oss.Checkpoint(true, cpPath))`:
   * the source is cut into parts (`partSize`, 100 KB to 5 GB; raised when it
   * would need more than 10,000 parts), `routines` parts go up at once, each
   * part's CRC64 is checked against the server's and the object's against the
   * combination of them. With `checkpoint`, progress is journalled (by default
   * in `<filePath>.cp`); calling again after a failure, a pause through
   * `signal` or a killed process resumes and sends only the missing parts.
   * The checkpoint is deleted once the object is complete.
   *
   * @param key The object key.
   * @param file A file path (runtime entries for Deno, Bun and Node), a `Blob`/`File`, or a `FileSource`.
   * @param options Part size, routines, checkpoint, progress, signal.
   * @returns The object's ETag and CRC64, and what this run did.
   *
   * @example Upload with four parts at once, resumable through big.iso.cp
   * ```ts
   * import assert from "node:assert/strict";
   * import { mkdtemp, rm, writeFile } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { OssClient } from "@ossup/ossup";
   * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
   *
   * // A local OSS server stands in for OSS, and a temporary directory for the files.
   * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
   * const server = await listen(app.fetch);
   * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
   * await client.createBucket("examplebucket");
   * const bucket = client.bucket("examplebucket");
   * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
   * await writeFile(join(dir, "big.iso"), new Uint8Array(400 * 1024));
   *
   * const progress: string[] = [];
   * const result = await bucket.uploadFile("backups/big.iso", join(dir, "big.iso"), {
   *   partSize: 100 * 1024,
   *   routines: 4,
   *   checkpoint: true,
   *   onProgress: (p) => progress.push(`${p.bytesDone}/${p.bytesTotal}`),
   * });
   * assert.equal(progress.at(-1), "409600/409600");
   * assert.equal(result.parts, 4);
   * assert.equal(result.resumed, false);
   * assert.equal(result.crc64Verified, true);
   *
   * await rm(dir, { recursive: true });
   * await server.close();
   * await storage.close();
   * ```
   */
  uploadFile(
    key: string,
    file: UploadFileInput,
    options: UploadFileOptions = {},
  ): Promise<UploadResult> {
    assertObjectKey(key);
    return uploadFile(this, this.client.platform, key, file, options);
  }

  /**
   * Resumable server-side copy, the Go SDK's
   * `bucket.CopyFile(srcBucket, srcKey, destKey, partSize, oss.Routines(n), oss.Checkpoint(true, ""))`:
   * a source up to `copyObjectLimit` (default 1 GiB, OSS's CopyObject limit) is copied
   * with one CopyObject; a larger one with InitiateMultipartUpload and UploadPartCopy
   * parts (`partSize`, `routines` at once). No byte passes through the client. Every
   * request is conditioned on the source's ETag, so a source replaced mid-copy fails with
   * `SourceChangedError` (its upload aborted); with `checkpoint`, a failed, paused or
   * killed copy resumes and copies only the missing parts. The copy's CRC64 is checked
   * against the source's (`IntegrityError` otherwise). Metadata is kept
   * (`metadataDirective: "COPY"`, the default) or replaced (`"REPLACE"`).
   *
   * @param sourceBucket The source bucket (same region).
   * @param sourceKey The source key.
   * @param destKey The destination key in this bucket.
   * @param options Part size, routines, checkpoint, metadata directive, progress, signal.
   * @returns The copy's ETag and CRC64, and what this run did.
   *
   * @example Copy in parts on a local server, the copy's CRC64 checked against the source's
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryCheckpointStore, OssClient } from "@ossup/ossup";
   * import { createAuthenticator, createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
   *
   * const credentials = { accessKeyId: "ak", accessKeySecret: "sk" };
   * const { app } = createOssApp({
   *   storage: new MemoryStorage(),
   *   authenticate: createAuthenticator({ credentials: [credentials] }),
   * });
   * const server = await listen(app.fetch, { host: "127.0.0.1", port: 0 });
   * try {
   *   const client = new OssClient({ endpoint: server.url, ...credentials });
   *   await client.createBucket("source-bucket");
   *   await client.createBucket("copies");
   *   await client.bucket("source-bucket").putObject("big.bin", new Uint8Array(300 * 1024).fill(7));
   *   const result = await client.bucket("copies").copyFile("source-bucket", "big.bin", "big.bin", {
   *     partSize: 100 * 1024,
   *     routines: 2,
   *     copyObjectLimit: 200 * 1024, // larger sources go in parts (default 1 GiB)
   *     checkpoint: new MemoryCheckpointStore(),
   *   });
   *   assert.equal(result.method, "UploadPartCopy");
   *   assert.equal(result.parts, 3);
   *   assert.equal(result.crc64Verified, true);
   * } finally {
   *   await server.close();
   * }
   * ```
   */
  copyFile(
    sourceBucket: string,
    sourceKey: string,
    destKey: string,
    options: CopyFileOptions = {},
  ): Promise<CopyResult> {
    assertBucketName(sourceBucket);
    assertObjectKey(sourceKey);
    assertObjectKey(destKey);
    const source = this.client.bucket(sourceBucket);
    return copyFile(
      this,
      this.client.platform,
      {
        bucket: sourceBucket,
        key: sourceKey,
        head: (o) => source.headObject(sourceKey, o),
        tagging: (o) => source.getObjectTagging(sourceKey, o),
      },
      destKey,
      options,
    );
  }

  /**
   * Copies an object inside OSS in one request (CopyObject): up to 1 GB (OSS's limit; use
   * `copyFile` for any size). The source may be in another bucket of the same region.
   *
   * @param sourceBucket The source bucket.
   * @param sourceKey The source key.
   * @param destKey The destination key in this bucket.
   * @param options Metadata directive, source conditions, write headers, signal...
   * @returns The copy's ETag and CRC64.
   * @throws {OssError} `PreconditionFailed` (412) or `NotModified` (304) when a source condition does not hold.
   *
   * @example Rename metadata in place
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
   * await bucket.putObject("a.json", "{}", { contentType: "text/plain" });
   * // Copying an object onto itself with REPLACE changes its headers without sending the body again.
   * await bucket.copyObject(bucket.name, "a.json", "a.json", {
   *   metadataDirective: "REPLACE",
   *   contentType: "application/json",
   * });
   * assert.equal((await bucket.headObject("a.json")).contentType, "application/json");
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  copyObject(
    sourceBucket: string,
    sourceKey: string,
    destKey: string,
    options: CopyObjectOptions = {},
  ): Promise<CopyObjectResult> {
    return copyObject(this.#target, sourceBucket, sourceKey, destKey, options);
  }

  /**
   * Uploads one part by copying bytes of an existing object (UploadPartCopy), the range
   * sent as `x-oss-copy-source-range: bytes=start-end`.
   *
   * @param key The object key of the upload.
   * @param uploadId The upload ID.
   * @param partNumber 1 to 10 000.
   * @param source The source object and the range of it to copy.
   * @param options Source conditions, signal, timeout, retry.
   * @returns The part's ETag (for `completeMultipartUpload`) and CRC64.
   * @throws {RangeError} When `partNumber` or the range is out of range.
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
   * await client.bucket("source-bucket").putObject("big.iso", new Uint8Array(2 * 1024 * 1024));
   * const { uploadId } = await bucket.initiateMultipartUpload("copy.bin");
   * const part = await bucket.uploadPartCopy("copy.bin", uploadId, 1, {
   *   bucket: "source-bucket",
   *   key: "big.iso",
   *   range: { start: 0, end: 1024 * 1024 - 1 },
   * });
   * await bucket.completeMultipartUpload("copy.bin", uploadId, [part]);
   * assert.equal((await bucket.headObject("copy.bin")).size, 1024 * 1024);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  uploadPartCopy(
    key: string,
    uploadId: string,
    partNumber: number,
    source: CopyPartSource,
    options: UploadPartCopyOptions = {},
  ): Promise<UploadPartCopyResult> {
    return uploadPartCopy(this.#target, key, uploadId, partNumber, source, options);
  }

  /**
   * Resumable download of an object to a file, the Go SDK's
   * `bucket.DownloadFile(objectKey, filePath, partSize, oss.Routines(n), oss.Checkpoint(true, cpPath))`:
   * `routines` ranged GETs of `partSize` bytes at once, each under If-Match on the object's
   * ETag and checked for its exact length, written into `<file>.ossup-download`; once every
   * part is there, the combined CRC-64 is checked against the object's and only then is the
   * file renamed to `file`. With `checkpoint`, each finished part is journalled (by default
   * in `<file>.ossup-download.cp`): calling again after a failure, a pause through `signal` or
   * a killed process resumes, checking the parts already written and fetching only the rest.
   * A checkpoint for another state of the object (ETag, size, Last-Modified, CRC-64) starts
   * the download over. Nothing is left but `file` after success.
   *
   * @param key The object key.
   * @param file A file path (runtime entries for Deno, Bun and Node) or a `FileSink`.
   * @param options Part size, routines, checkpoint, range, version, progress, signal.
   * @returns What was written and how it was checked.
   * @throws {IntegrityError} When the CRC-64 differs: nothing is at `file`.
   * @throws {SourceChangedError} When the object changed during the download.
   *
   * @example Four ranges at once, resumable through big.iso.ossup-download.cp
   * ```ts
   * import assert from "node:assert/strict";
   * import { mkdtemp, rm, writeFile } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { OssClient } from "@ossup/ossup";
   * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
   *
   * // A local OSS server stands in for OSS, and a temporary directory for the files.
   * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
   * const server = await listen(app.fetch);
   * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
   * await client.createBucket("examplebucket");
   * const bucket = client.bucket("examplebucket");
   * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
   *
   * await bucket.putObject("backups/big.iso", new Uint8Array(300 * 1024).fill(1));
   * const result = await bucket.downloadFile("backups/big.iso", join(dir, "big.iso"), {
   *   partSize: 100 * 1024,
   *   routines: 4,
   *   checkpoint: true,
   * });
   * assert.equal(result.parts, 3);
   * assert.equal(result.crc64Verified, true);
   * assert.equal(result.resumed, false);
   *
   * await rm(dir, { recursive: true });
   * await server.close();
   * await storage.close();
   * ```
   */
  downloadFile(
    key: string,
    file: DownloadFileOutput,
    options: DownloadFileOptions = {},
  ): Promise<DownloadResult> {
    assertObjectKey(key);
    return downloadFile(this, this.client.platform, key, file, options);
  }

  /**
   * Multipart upload of a stream of unknown length. Parts are buffered one at
   * a time per routine (memory about `routines × partSize`); a stream cannot
   * be read twice, so it resumes only within this call (part retries), and a
   * failed upload is aborted.
   *
   * @param key The object key.
   * @param stream The bytes, read to the end.
   * @param options Part size, routines, headers, progress, signal.
   * @returns The object's ETag, CRC64 and size.
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
   * const body = new Blob(["streamed ", "bytes"]).stream();
   * const result = await bucket.uploadStream("logs/today.txt", body, { partSize: 1024 * 1024 });
   * assert.equal(result.size, 14);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  uploadStream(
    key: string,
    stream: ReadableStream<Uint8Array>,
    options: UploadStreamOptions = {},
  ): Promise<UploadResult> {
    assertObjectKey(key);
    return uploadStream(this, key, stream, options);
  }

  /**
   * Uploads an object in one request (PutObject). A `ReadableStream` body is
   * sent once, without retries; pass a function returning one to allow them.
   *
   * @param key The object key.
   * @param body The bytes, or a function returning them (called on each attempt).
   * @param options Content type, metadata, ACL, signal...
   * @returns ETag and CRC64 of the new object.
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
   * const { etag, crc64 } = await bucket.putObject("a.json", '{"a":1}', {
   *   contentType: "application/json",
   *   meta: { origin: "example" },
   * });
   * const head = await bucket.headObject("a.json");
   * assert.equal(head.etag, etag);
   * assert.equal(head.crc64, crc64);
   * assert.equal(head.contentType, "application/json");
   * assert.deepEqual(head.meta, { origin: "example" });
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  putObject(
    key: string,
    body: OssBody,
    options: PutObjectOptions = {},
  ): Promise<PutObjectResult> {
    return putObject(this.#target, key, body, options);
  }

  /**
   * Appends bytes at the end of an appendable object (AppendObject): `position` must be
   * the object's current length (0 creates the object, as Appendable). OSS refuses any
   * other position with `PositionNotEqualToLength`, an {@linkcode OssError} whose
   * `nextAppendPosition` is the length to use, and a Normal or Multipart object with
   * `ObjectNotAppendable`. Give `crc64` (the previous result's) to have the object's CRC-64
   * checked against the chain after the append ({@linkcode IntegrityError} otherwise) and a
   * retry whose first attempt landed (its answer lost) recognised as done (`recovered`).
   *
   * @param key The object key.
   * @param body The bytes: a `Uint8Array`, `ArrayBuffer`, `Blob` or string.
   * @param options `position` (required), `crc64`, content headers for a new object, signal...
   * @returns Where the next append starts, the object's CRC-64, and whether it was checked.
   * @throws {RangeError} When `position` is not an integer ≥ 0.
   *
   * @example Two appends, the CRC-64 chain checked
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
   * const first = await bucket.appendObject("logs/app.log", "started\n", { position: 0 });
   * const second = await bucket.appendObject("logs/app.log", "ready\n", {
   *   position: first.nextPosition,
   *   crc64: first.crc64,
   * });
   * assert.equal(second.nextPosition, 14);
   * assert.equal(second.crc64Verified, true);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  appendObject(
    key: string,
    body: AppendBody,
    options: AppendObjectOptions,
  ): Promise<AppendObjectResult> {
    return appendObject(this.#target, key, body, options);
  }

  /**
   * Makes an appendable object hold a file by appending what it lacks: the object's length
   * (HeadObject's `x-oss-next-append-position`) says where to go on, but only once the
   * CRC-64 of the file's first bytes equals the object's, so an object holding other bytes
   * is never continued ({@linkcode AppendConflictError}; nothing is appended). A missing
   * object is created. Each append's CRC-64 chain is checked and, at the end, the object's
   * CRC-64 equals the file's. Another writer moving the end meanwhile
   * (`PositionNotEqualToLength`) is met by checking the object again: appending goes on
   * while it still holds only the file's first bytes. Run it again after a failure or a
   * kill: it continues where the object ends. Memory: one `appendSize` buffer.
   *
   * @param key The object key.
   * @param file A file path (runtime entries for Deno, Bun and Node), a `Blob`/`File`, or a `FileSource`.
   * @param options Bytes per append (default 8 MiB), progress, signal, content headers.
   * @returns The object's length and CRC-64, where this call started, and what it sent.
   *
   * @example Ship a growing log: each run appends what is new
   * ```ts
   * import assert from "node:assert/strict";
   * import { mkdtemp, rm, writeFile } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { OssClient } from "@ossup/ossup";
   * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
   *
   * // A local OSS server stands in for OSS, and a temporary directory for the files.
   * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
   * const server = await listen(app.fetch);
   * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
   * await client.createBucket("examplebucket");
   * const bucket = client.bucket("examplebucket");
   * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
   *
   * const log = join(dir, "app.log");
   * await writeFile(log, "started\n");
   * const r1 = await bucket.appendFile("logs/app.log", log, { appendSize: 1024 * 1024 });
   * await writeFile(log, "started\nready\n"); // the log grew
   * const r = await bucket.appendFile("logs/app.log", log, { appendSize: 1024 * 1024 });
   * assert.deepEqual([r1.bytesSent, r.continuedFrom, r.bytesSent], [8, 8, 6]); // only what is new
   * assert.equal(r.size, r.continuedFrom + r.bytesSent);
   *
   * await rm(dir, { recursive: true });
   * await server.close();
   * await storage.close();
   * ```
   */
  appendFile(
    key: string,
    file: UploadFileInput,
    options: AppendFileOptions = {},
  ): Promise<AppendFileResult> {
    assertObjectKey(key);
    return appendFile(this, this.client.platform, key, file, options);
  }

  /**
   * Downloads an object (GetObject), or a byte range of it, as a stream.
   *
   * @param key The object key.
   * @param options Range, conditions, signal...
   * @returns The body as a `ReadableStream` and the object's metadata.
   *
   * @example Read the first kilobyte
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
   * await bucket.putObject("big.bin", new Uint8Array(4096));
   * const part = await bucket.getObject("big.bin", { range: { start: 0, end: 1023 } });
   * assert.equal(part.contentLength, 1024);
   * assert.equal(part.size, 4096); // the size of the whole object
   * const bytes = await part.bytes();
   * assert.equal(bytes.length, 1024);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  getObject(key: string, options: GetObjectOptions = {}): Promise<GetObjectResult> {
    return getObject(this.#target, key, options);
  }

  /**
   * Reads an object's metadata without its body (HeadObject).
   *
   * @param key The object key.
   * @param options Conditions, signal...
   * @returns Size, ETag, CRC64, content type, user metadata...
   * @throws {OssError} `NoSuchKey` when there is no such object.
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
   * await bucket.putObject("a.json", "{}", { meta: { origin: "example" } });
   * const { size, crc64, meta } = await bucket.headObject("a.json");
   * assert.equal(size, 2);
   * assert.equal(typeof crc64, "bigint");
   * assert.deepEqual(meta, { origin: "example" });
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  headObject(key: string, options: ConditionalOptions = {}): Promise<ObjectMetadata> {
    return headObject(this.#target, key, options);
  }

  /**
   * Reads an object's tags (GetObjectTagging).
   *
   * @param key The object key.
   * @param options Signal, timeout, retry.
   * @returns The tags, key → value (empty when it has none).
   * @throws {OssError} `NoSuchKey` when there is no such object.
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
   * await bucket.putObject("report.pdf", "…", { tagging: { project: "apollo" } });
   * assert.deepEqual(await bucket.getObjectTagging("report.pdf"), { project: "apollo" });
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  getObjectTagging(key: string, options: RequestOptions = {}): Promise<Record<string, string>> {
    return getObjectTagging(this.#target, key, options);
  }

  /**
   * Reads an object's ACL (GetObjectAcl).
   *
   * @param key The object key.
   * @param options Signal, timeout, retry.
   * @returns `"default"` (the bucket's), `"private"`, `"public-read"` or `"public-read-write"`.
   * @throws {OssError} `NoSuchKey` when there is no such object.
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
   * await bucket.putObject("page.html", "<p>hi</p>", { acl: "public-read" });
   * assert.equal(await bucket.getObjectAcl("page.html"), "public-read");
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  getObjectAcl(key: string, options: RequestOptions = {}): Promise<string> {
    return getObjectAcl(this.#target, key, options);
  }

  /**
   * Deletes many objects, 1,000 keys a request (DeleteMultipleObjects, with the body's
   * `Content-MD5` that OSS requires). A key that does not exist is answered as deleted.
   *
   * @param keys The keys.
   * @param options Progress after each request, signal, timeout, retry.
   * @returns The keys deleted and the requests sent.
   * @throws {TypeError} When a key is not a valid object key (before any request).
   *
   * @example Empty a prefix
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
   * for (let i = 0; i < 3; i++) await bucket.putObject(`tmp/${i}.txt`, "x");
   * const keys: string[] = [];
   * for await (const o of bucket.listObjects({ prefix: "tmp/" })) keys.push(o.key);
   * const { deleted, requests } = await bucket.deleteObjects(keys);
   * assert.deepEqual([deleted.length, requests], [3, 1]);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  deleteObjects(
    keys: readonly string[],
    options: DeleteObjectsOptions = {},
  ): Promise<DeleteObjectsResult> {
    return deleteObjects(this.#target, keys, options);
  }

  /**
   * Deletes an object (DeleteObject). Deleting a key that does not exist succeeds.
   *
   * @param key The object key.
   * @param options Signal, timeout, retry.
   * @returns The answer's request ID and headers.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { OssClient, OssError } from "@ossup/ossup";
   * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
   *
   * // A local OSS server stands in for OSS.
   * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
   * const server = await listen(app.fetch);
   * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
   * await client.createBucket("examplebucket");
   * const bucket = client.bucket("examplebucket");
   *
   * await bucket.putObject("a.json", "{}");
   * await bucket.deleteObject("a.json");
   * await assert.rejects(bucket.headObject("a.json"), (err: OssError) => err.status === 404);
   * await bucket.deleteObject("a.json"); // deleting what is gone succeeds, as on OSS
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  deleteObject(key: string, options: RequestOptions = {}): Promise<ResponseInfo> {
    return deleteObject(this.#target, key, options);
  }

  /**
   * One page of ListObjects.
   *
   * @param options Prefix, delimiter, marker, page size.
   * @returns Objects, common prefixes, and the marker of the next page.
   *
   * @example List one "directory" level
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
   * for (const key of ["photos/a.jpg", "photos/2024/b.jpg", "photos/2025/c.jpg"]) {
   *   await bucket.putObject(key, "jpeg");
   * }
   * const page = await bucket.listObjectsPage({ prefix: "photos/", delimiter: "/" });
   * assert.deepEqual(page.commonPrefixes, ["photos/2024/", "photos/2025/"]);
   * assert.deepEqual(page.objects.map((o) => o.key), ["photos/a.jpg"]);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  listObjectsPage(options: ListObjectsOptions = {}): Promise<ListObjectsPage> {
    return listObjectsPage(this.#target, options);
  }

  /**
   * Every object (with the prefix), page after page.
   *
   * @param options Prefix, delimiter, marker, page size.
   * @returns The objects, in key order.
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
   * await bucket.putObject("logs/a.txt", "12345");
   * await bucket.putObject("logs/b.txt", "678");
   * let total = 0;
   * for await (const obj of bucket.listObjects({ prefix: "logs/" })) total += obj.size;
   * assert.equal(total, 8);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  listObjects(options: ListObjectsOptions = {}): AsyncGenerator<ObjectSummary> {
    return listObjects(this.#target, options);
  }

  /**
   * A URL that grants the request it describes (by default a GET of the
   * object) to whoever holds it, until it expires. Signed with the client's
   * signature version; no request is sent.
   *
   * @param key The object key.
   * @param options Expiry in seconds (default 1800), method, signed headers and query.
   * @returns The URL.
   * @throws {RangeError} When `expires` is not a positive integer (or exceeds 7 days with V4).
   *
   * @example Share a download for an hour
   * ```ts
   * import assert from "node:assert/strict";
   * import { OssClient } from "@ossup/ossup";
   * import { createAuthenticator, createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
   *
   * // A local OSS server that checks signatures stands in for OSS.
   * const { app, storage } = createOssApp({
   *   storage: new MemoryStorage(),
   *   authenticate: createAuthenticator({ credentials: [{ accessKeyId: "ak", accessKeySecret: "sk" }] }),
   * });
   * const server = await listen(app.fetch);
   * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
   * await client.createBucket("examplebucket");
   * const bucket = client.bucket("examplebucket");
   *
   * await bucket.putObject("report.pdf", "%PDF-1.7");
   * const url = await bucket.presignUrl("report.pdf", { expires: 3600 });
   * const res = await fetch(url); // no credentials needed: the URL carries the signature
   * assert.equal(await res.text(), "%PDF-1.7");
   *
   * await server.close();
   * await storage.close();
   * ```
   *
   * @example Let a browser upload one object
   * ```ts
   * import assert from "node:assert/strict";
   * import { OssClient } from "@ossup/ossup";
   * import { createAuthenticator, createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
   *
   * // A local OSS server that checks signatures stands in for OSS.
   * const { app, storage } = createOssApp({
   *   storage: new MemoryStorage(),
   *   authenticate: createAuthenticator({ credentials: [{ accessKeyId: "ak", accessKeySecret: "sk" }] }),
   * });
   * const server = await listen(app.fetch);
   * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
   * await client.createBucket("examplebucket");
   * const bucket = client.bucket("examplebucket");
   *
   * const url = await bucket.presignUrl("uploads/a.png", { method: "PUT", contentType: "image/png" });
   * // the browser must send the same Content-Type:
   * const res = await fetch(url, { method: "PUT", body: new Blob([]), headers: { "content-type": "image/png" } });
   * assert.equal(res.status, 200);
   * await res.body?.cancel();
   * const other = await fetch(url, { method: "PUT", body: "x", headers: { "content-type": "text/plain" } });
   * assert.equal(other.status, 403);
   * await other.body?.cancel();
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  presignUrl(key: string, options: PresignUrlOptions = {}): Promise<string> {
    return presignUrl(this.#target, key, options);
  }

  /**
   * Starts a multipart upload (InitiateMultipartUpload). The headers given
   * here (content type, metadata, ACL) apply to the completed object.
   *
   * @param key The object key.
   * @param options Content type, metadata, ACL, storage class, signal...
   * @returns The upload ID.
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
   * const { uploadId } = await bucket.initiateMultipartUpload("big.iso", {
   *   contentType: "application/x-iso9660-image",
   * });
   * const page = await bucket.listMultipartUploadsPage();
   * assert.deepEqual(page.uploads.map((u) => u.uploadId), [uploadId]);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  initiateMultipartUpload(
    key: string,
    options: ObjectWriteOptions = {},
  ): Promise<InitiateMultipartUploadResult> {
    return initiateMultipartUpload(this.#target, key, options);
  }

  /**
   * Uploads one part (UploadPart). Give the body as a function to have a
   * retried part re-read its bytes from the source (nothing is kept for the
   * retry); a bare `ReadableStream` is sent once, without retries.
   *
   * @param key The object key.
   * @param uploadId The upload ID.
   * @param partNumber 1 to 10 000.
   * @param body The part's bytes, or a function returning them (called on each attempt).
   * @param options Content-MD5, signal, timeout, retry.
   * @returns The part's ETag (for `completeMultipartUpload`) and CRC64.
   * @throws {RangeError} When `partNumber` is out of range.
   *
   * @example A part read from a file source on each attempt
   * ```ts
   * import assert from "node:assert/strict";
   * import { blobSource, OssClient } from "@ossup/ossup";
   * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
   *
   * // A local OSS server stands in for OSS.
   * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
   * const server = await listen(app.fetch);
   * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
   * await client.createBucket("examplebucket");
   * const bucket = client.bucket("examplebucket");
   *
   * const partSize = 100 * 1024;
   * const source = blobSource(new Blob([new Uint8Array(2 * partSize)]));
   * const { uploadId } = await bucket.initiateMultipartUpload("big.iso");
   * // A function: called again on each attempt, so a retry re-reads the part.
   * const { etag, crc64 } = await bucket.uploadPart("big.iso", uploadId, 2, () =>
   *   source.slice?.(partSize, partSize) ?? source.stream(partSize, partSize));
   * const [part] = (await bucket.listPartsPage("big.iso", uploadId)).parts;
   * assert.deepEqual([part.partNumber, part.size, part.etag], [2, partSize, etag]);
   * assert.equal(typeof crc64, "bigint");
   * await bucket.abortMultipartUpload("big.iso", uploadId);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: OssBody,
    options: UploadPartOptions = {},
  ): Promise<UploadPartResult> {
    return uploadPart(this.#target, key, uploadId, partNumber, body, options);
  }

  /**
   * Assembles the uploaded parts into the object (CompleteMultipartUpload).
   * Parts are sent in ascending part-number order whatever order they are given in.
   *
   * @param key The object key.
   * @param uploadId The upload ID.
   * @param parts Part numbers and the ETags `uploadPart` returned.
   * @param options Signal, timeout, retry.
   * @returns The object's ETag and CRC64.
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
   * const partSize = 100 * 1024;
   * const { uploadId } = await bucket.initiateMultipartUpload("big.iso");
   * const part1 = await bucket.uploadPart("big.iso", uploadId, 1, new Uint8Array(partSize));
   * const part2 = await bucket.uploadPart("big.iso", uploadId, 2, new Uint8Array(10));
   * const { crc64 } = await bucket.completeMultipartUpload("big.iso", uploadId, [
   *   { partNumber: 2, etag: part2.etag }, // any order: sent sorted
   *   { partNumber: 1, etag: part1.etag },
   * ]);
   * assert.equal(crc64, (await bucket.headObject("big.iso")).crc64);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    options: CompleteMultipartUploadOptions = {},
  ): Promise<CompleteMultipartUploadResult> {
    return completeMultipartUpload(this.#target, key, uploadId, parts, options);
  }

  /**
   * Cancels a multipart upload and frees its parts (AbortMultipartUpload).
   *
   * @param key The object key.
   * @param uploadId The upload ID.
   * @param options Signal, timeout, retry.
   * @returns The answer's request ID and headers.
   * @throws {OssError} `NoSuchUpload` when the upload is unknown.
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
   * const { uploadId } = await bucket.initiateMultipartUpload("big.iso");
   * await bucket.uploadPart("big.iso", uploadId, 1, new Uint8Array(100 * 1024));
   * await bucket.abortMultipartUpload("big.iso", uploadId); // its parts are freed
   * assert.deepEqual((await bucket.listMultipartUploadsPage()).uploads, []);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  abortMultipartUpload(
    key: string,
    uploadId: string,
    options: RequestOptions = {},
  ): Promise<ResponseInfo> {
    return abortMultipartUpload(this.#target, key, uploadId, options);
  }

  /**
   * One page of ListParts: the parts OSS holds for an upload.
   *
   * @param key The object key.
   * @param uploadId The upload ID.
   * @param options Page size and marker.
   * @returns The parts and the marker of the next page.
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
   * const { uploadId } = await bucket.initiateMultipartUpload("big.iso");
   * await bucket.uploadPart("big.iso", uploadId, 1, new Uint8Array(100 * 1024));
   * const page = await bucket.listPartsPage("big.iso", uploadId, { maxParts: 100 });
   * assert.deepEqual(page.parts.map((p) => p.partNumber), [1]);
   * assert.equal(page.isTruncated, false);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  listPartsPage(
    key: string,
    uploadId: string,
    options: ListPartsOptions = {},
  ): Promise<ListPartsPage> {
    return listPartsPage(this.#target, key, uploadId, options);
  }

  /**
   * Every part of an upload, page after page, by part number.
   *
   * @param key The object key.
   * @param uploadId The upload ID.
   * @param options Page size, signal...
   * @returns The parts.
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
   * const { uploadId } = await bucket.initiateMultipartUpload("big.iso");
   * await bucket.uploadPart("big.iso", uploadId, 1, new Uint8Array(100 * 1024));
   * await bucket.uploadPart("big.iso", uploadId, 2, new Uint8Array(10));
   * const listed: string[] = [];
   * for await (const part of bucket.listParts("big.iso", uploadId)) {
   *   listed.push(`${part.partNumber} ${part.size}`);
   * }
   * assert.deepEqual(listed, ["1 102400", "2 10"]);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  listParts(
    key: string,
    uploadId: string,
    options: ListPartsOptions = {},
  ): AsyncGenerator<PartSummary> {
    return listParts(this.#target, key, uploadId, options);
  }

  /**
   * One page of ListMultipartUploads: uploads started and not yet completed or aborted.
   *
   * @param options Prefix, delimiter, markers, page size.
   * @returns The uploads and the markers of the next page.
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
   * const { uploadId } = await bucket.initiateMultipartUpload("backups/big.iso");
   * await bucket.initiateMultipartUpload("other/big.iso");
   * const page = await bucket.listMultipartUploadsPage({ prefix: "backups/" });
   * assert.deepEqual(page.uploads.map((u) => u.uploadId), [uploadId]);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  listMultipartUploadsPage(
    options: ListMultipartUploadsOptions = {},
  ): Promise<ListMultipartUploadsPage> {
    return listMultipartUploadsPage(this.#target, options);
  }

  /**
   * Every unfinished multipart upload (with the prefix), page after page.
   *
   * @param options Prefix, page size, signal...
   * @returns The uploads, by key then initiation time.
   *
   * @example Abort every unfinished upload under a prefix
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
   * for await (const u of bucket.listMultipartUploads({ prefix: "tmp/" })) {
   *   await bucket.abortMultipartUpload(u.key, u.uploadId);
   * }
   * assert.deepEqual((await bucket.listMultipartUploadsPage({ prefix: "tmp/" })).uploads, []);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  listMultipartUploads(
    options: ListMultipartUploadsOptions = {},
  ): AsyncGenerator<MultipartUploadSummary> {
    return listMultipartUploads(this.#target, options);
  }

  /**
   * Aborts the unfinished multipart uploads under `prefix` initiated before `olderThan`,
   * and says how many it aborted and how many bytes of parts that freed (counted with
   * ListParts before each abort). An upload completed or aborted by someone else meanwhile
   * is skipped. Without `olderThan` every upload goes, including ones running now.
   *
   * @param options Prefix, age or date cutoff, signal.
   * @returns Uploads aborted, bytes freed, and each upload.
   * @throws {RangeError} When `olderThan` is neither a valid `Date` nor an age ≥ 0.
   *
   * @example Free what interrupted uploads older than a day left behind
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
   * const { uploadId } = await bucket.initiateMultipartUpload("backups/big.iso");
   * await bucket.uploadPart("backups/big.iso", uploadId, 1, new Uint8Array(100 * 1024));
   * // An age in ms (a day: 24 * 60 * 60 * 1000) or a Date; 0 takes every upload begun before now.
   * const { uploadsAborted, bytesFreed } = await bucket.abortMultipartUploads({
   *   prefix: "backups/",
   *   olderThan: 0,
   * });
   * assert.deepEqual([uploadsAborted, bytesFreed], [1, 100 * 1024]);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  abortMultipartUploads(
    options: AbortMultipartUploadsOptions = {},
  ): Promise<AbortMultipartUploadsResult> {
    return abortMultipartUploads(this.#target, options);
  }

  /** Describes the bucket without credentials. */
  toString(): string {
    return `Bucket(${this.name} at ${this.client.endpoint})`;
  }
}
