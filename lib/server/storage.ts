/**
 * The storage interface behind the local OSS-compatible server. Two backends
 * fill it: memory (`memory_storage.ts`) and a data directory that survives a
 * restart (`disk_storage.ts`). The HTTP layer (`app.ts`) owns OSS's protocol:
 * parsing, authentication, XML, headers and OSS's request-level rules; the
 * storage owns bytes, metadata and atomicity.
 *
 * Storage errors are `StorageError`s carrying the OSS error code the HTTP
 * layer answers with: `NoSuchBucket`, `NoSuchKey`, `NoSuchUpload`,
 * `BucketAlreadyExists`, `BucketNotEmpty`, `InvalidBucketName` (a malformed
 * bucket name given to any method but `getBucket`, which answers
 * `undefined`), `InvalidObjectName` (an empty key, or one with a lone
 * surrogate), `InvalidPart`, `InvalidPartOrder`, `MalformedXML` (Complete with
 * no parts), `InvalidArgument` (part number outside 1..10000, a body longer
 * than its declared length), `InvalidRange` (UploadPartCopy range outside the
 * source), `InvalidDigest`, `ObjectNotAppendable` and `PositionNotEqualToLength`
 * (AppendObject), `EntityTooLarge` (an append past the size limit), `IncompleteBody` (a body shorter than declared, or
 * whose stream failed). Part sizes (`EntityTooSmall`) are the HTTP layer's
 * to check. Anything else thrown is an internal error (HTTP 500).
 *
 * Keys are arbitrary well-formed UTF-16 strings: any length, any character
 * (`/`, `..`, NUL), compared exactly (case-sensitive). Times are whole
 * seconds, as HTTP dates carry them.
 *
 * @module
 */

import { OssupError } from "../errors/errors.ts";

/**
 * An error the storage raises; `code` is the OSS error code to answer with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryStorage, StorageError } from "@ossup/ossup/server";
 *
 * const storage = new MemoryStorage();
 * await storage.createBucket("examplebucket", { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" });
 * let status = 0;
 * try {
 *   await storage.getObject("examplebucket", "missing.txt");
 * } catch (err) {
 *   if (err instanceof StorageError && err.code === "NoSuchKey") status = 404;
 * }
 * assert.equal(status, 404);
 * await storage.close();
 * ```
 */
export class StorageError extends OssupError {
  /**
   * Creates a storage error carrying an OSS error code.
   *
   * @param code OSS error code.
   * @param message OSS-style message.
   */
  constructor(code: string, message: string) {
    super(code, message);
    this.name = "StorageError";
  }
}

/**
 * Headers stored with an object and returned on GET/HEAD.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryStorage, type ObjectHeaders } from "@ossup/ossup/server";
 *
 * const storage = new MemoryStorage();
 * await storage.createBucket("examplebucket", { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" });
 * const headers: ObjectHeaders = {
 *   contentType: "text/plain",
 *   userMeta: { author: "me" },
 *   acl: "default",
 *   storageClass: "Standard",
 * };
 * await storage.putObject("examplebucket", "hello.txt", { stream: new Blob(["hello"]).stream(), length: 5 }, headers);
 * assert.deepEqual((await storage.getObject("examplebucket", "hello.txt")).meta.userMeta, { author: "me" });
 * await storage.close();
 * ```
 */
export interface ObjectHeaders {
  /** `Content-Type` as the request sent it; `application/octet-stream` when absent. */
  contentType: string;
  /** Other standard headers kept verbatim when sent. */
  cacheControl?: string;
  /** `Content-Disposition`, when sent. */
  contentDisposition?: string;
  /** `Content-Encoding`, when sent. */
  contentEncoding?: string;
  /** `Content-Language`, when sent. */
  contentLanguage?: string;
  /** `Expires`, when sent. */
  expires?: string;
  /** User metadata, keys lower-cased without the `x-oss-meta-` prefix. */
  userMeta: Record<string, string>;
  /** Object ACL (`default`, `private`, `public-read`, `public-read-write`). */
  acl: string;
  /** Storage class (`Standard` unless set). */
  storageClass: string;
  /** Tags, as `x-oss-tagging` carries them (`k1=v1&k2=v2`, URL-encoded), when set. */
  tagging?: string;
  /** Server-side encryption (`AES256`, `KMS`, `SM4`), when set. */
  serverSideEncryption?: string;
  /** The KMS key of `serverSideEncryption: "KMS"`, when given. */
  serverSideEncryptionKeyId?: string;
}

/**
 * Metadata of a stored object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc64 } from "@ossup/ossup";
 * import { MemoryStorage, type Storage } from "@ossup/ossup/server";
 *
 * const storage: Storage = new MemoryStorage();
 * await storage.createBucket("examplebucket", { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" });
 * await storage.putObject("examplebucket", "hello.txt", { stream: new Blob(["hello"]).stream() }, { contentType: "text/plain", userMeta: {}, acl: "default", storageClass: "Standard" });
 * const { meta } = await storage.getObject("examplebucket", "hello.txt");
 * assert.equal(meta.size, 5);
 * assert.equal(meta.etag, "5D41402ABC4B2A76B9719D911017C592");
 * assert.equal(meta.crc64, crc64(new TextEncoder().encode("hello")));
 * assert.ok(meta.lastModified instanceof Date);
 * await storage.close();
 * ```
 */
export interface ObjectMeta extends ObjectHeaders {
  /** The object key. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** ETag without quotes, upper-case hex as OSS writes it; `<md5hex>-<parts>` for multipart objects. */
  etag: string;
  /** CRC64-ECMA of the whole object. */
  crc64: bigint;
  /** When it was last written. */
  lastModified: Date;
  /**
   * `Normal` for PutObject/CopyObject, `Multipart` for CompleteMultipartUpload,
   * `Appendable` for AppendObject.
   */
  objectType: "Normal" | "Multipart" | "Appendable";
}

/**
 * A bucket.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryStorage, type Storage } from "@ossup/ossup/server";
 *
 * const storage: Storage = new MemoryStorage();
 * await storage.createBucket("examplebucket", { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" });
 * const bucket = await storage.getBucket("examplebucket");
 * assert.equal(bucket?.location, "oss-cn-hangzhou");
 * assert.ok(bucket?.creationDate instanceof Date);
 * assert.equal(await storage.getBucket("other"), undefined);
 * await storage.close();
 * ```
 */
export interface BucketInfo {
  /** The bucket name. */
  name: string;
  /** When it was created. */
  creationDate: Date;
  /** E.g. `oss-cn-hangzhou`. */
  location: string;
  /** Bucket ACL (`private`, `public-read`, `public-read-write`). */
  acl: string;
  /** Default storage class, e.g. `Standard`. */
  storageClass: string;
}

/**
 * An unfinished multipart upload.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryStorage, type ObjectHeaders, type Storage } from "@ossup/ossup/server";
 *
 * const storage: Storage = new MemoryStorage();
 * await storage.createBucket("examplebucket", { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" });
 * const headers: ObjectHeaders = { contentType: "text/plain", userMeta: {}, acl: "default", storageClass: "Standard" };
 * const { uploadId, initiated } = await storage.initiateMultipartUpload("examplebucket", "big.bin", headers);
 * assert.ok(uploadId.length > 0);
 * assert.ok(initiated instanceof Date);
 * await storage.close();
 * ```
 */
export interface MultipartUploadInfo {
  /** The upload ID. */
  uploadId: string;
  /** The bucket it uploads to. */
  bucket: string;
  /** The object key it will complete into. */
  key: string;
  /** When it was initiated. */
  initiated: Date;
  /** Headers given at InitiateMultipartUpload, applied to the completed object. */
  headers: ObjectHeaders;
}

/**
 * A part uploaded to a multipart upload.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc64 } from "@ossup/ossup";
 * import { MemoryStorage, type Storage } from "@ossup/ossup/server";
 *
 * const storage: Storage = new MemoryStorage();
 * await storage.createBucket("examplebucket", { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" });
 * const { uploadId } = await storage.initiateMultipartUpload("examplebucket", "big.bin", { contentType: "text/plain", userMeta: {}, acl: "default", storageClass: "Standard" });
 * const bytes = new Uint8Array(100 * 1024);
 * const part = await storage.uploadPart("examplebucket", "big.bin", uploadId, 1, {
 *   stream: new Blob([bytes]).stream(),
 *   length: bytes.length,
 * });
 * assert.equal(part.etag, "4C6426AC7EF186464ECBB0D81CBFCB1E");
 * assert.equal(part.crc64, crc64(bytes));
 * await storage.close();
 * ```
 */
export interface PartMeta {
  /** Part number, 1 to 10000. */
  partNumber: number;
  /** Size in bytes. */
  size: number;
  /** MD5 hex of the part, upper-case, no quotes. */
  etag: string;
  /** CRC64-ECMA of the part. */
  crc64: bigint;
  /** When it was uploaded. */
  lastModified: Date;
}

/**
 * A body to store, consumed exactly once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type BodyInput, MemoryStorage } from "@ossup/ossup/server";
 *
 * const bytes = new TextEncoder().encode("hello");
 * const body: BodyInput = { stream: new Blob([bytes]).stream(), length: bytes.length };
 * const storage = new MemoryStorage();
 * await storage.createBucket("examplebucket", { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" });
 * assert.equal((await storage.putObject("examplebucket", "hello.txt", body, { contentType: "text/plain", userMeta: {}, acl: "default", storageClass: "Standard" })).size, 5);
 * await storage.close();
 * ```
 */
export interface BodyInput {
  /** The bytes. */
  stream: ReadableStream<Uint8Array>;
  /**
   * Declared length; the storage fails with `IncompleteBody` if the stream has fewer bytes,
   * `InvalidArgument` if it has more. Either way nothing is stored.
   */
  length?: number;
  /** Expected MD5 (base64, from `Content-MD5`); mismatch → `InvalidDigest`, nothing stored. */
  contentMd5?: string;
}

/**
 * An object opened for reading.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryStorage, type Storage } from "@ossup/ossup/server";
 *
 * const storage: Storage = new MemoryStorage();
 * await storage.createBucket("examplebucket", { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" });
 * await storage.putObject("examplebucket", "big.bin", { stream: new Blob([new Uint8Array(4096)]).stream() }, { contentType: "text/plain", userMeta: {}, acl: "default", storageClass: "Standard" });
 * const reader = await storage.getObject("examplebucket", "big.bin");
 * const firstKilobyte = reader.stream({ start: 0, end: 1023 });
 * assert.equal((await new Response(firstKilobyte).arrayBuffer()).byteLength, 1024);
 * await storage.close();
 * ```
 */
export interface ObjectReader {
  /** The object's metadata as of `getObject`. */
  meta: ObjectMeta;
  /**
   * Streams bytes `[start, end]` inclusive (the whole object when omitted); the range must
   * lie within the object. May be called several times, or never (HEAD). The disk backend
   * opens the file on the first read: if the object was replaced or deleted since
   * `getObject`, the stream errors rather than mix versions.
   */
  stream(range?: { start: number; end: number }): ReadableStream<Uint8Array>;
}

/**
 * One key listed by {@linkcode Storage.listObjects}, in byte order of its UTF-8 key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryStorage, type Storage } from "@ossup/ossup/server";
 *
 * const storage: Storage = new MemoryStorage();
 * await storage.createBucket("examplebucket", { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" });
 * for (const key of ["logs/a.txt", "logs/b.txt", "other.txt"]) {
 *   await storage.putObject("examplebucket", key, { stream: new Blob(["hi"]).stream() }, { contentType: "text/plain", userMeta: {}, acl: "default", storageClass: "Standard" });
 * }
 * const listed: string[] = [];
 * for await (const { key, size } of storage.listObjects("examplebucket", { prefix: "logs/" })) listed.push(`${key} ${size}`);
 * assert.deepEqual(listed, ["logs/a.txt 2", "logs/b.txt 2"]);
 * await storage.close();
 * ```
 */
export type ListedObject = Pick<
  ObjectMeta,
  "key" | "size" | "etag" | "lastModified" | "storageClass" | "objectType"
>;

/**
 * What a backend provides. All methods are safe to call concurrently;
 * writes are atomic: after a crash an object is either whole or absent, and
 * a part either whole or absent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { createOssApp, DiskStorage, MemoryStorage, type Storage } from "@ossup/ossup/server";
 *
 * const dir = await mkdtemp(join(tmpdir(), "ossup-data-"));
 * for (const inMemory of [true, false]) {
 *   const storage: Storage = inMemory
 *     ? new MemoryStorage()
 *     : await DiskStorage.open(dir);
 *   const { app } = createOssApp({ storage });
 *   assert.equal((await app.fetch(new Request("http://127.0.0.1/"))).status, 200); // ListBuckets
 *   await storage.close();
 * }
 * await rm(dir, { recursive: true });
 * ```
 */
export interface Storage {
  /** All buckets. */
  listBuckets(): Promise<BucketInfo[]>;
  /** Creates a bucket; `BucketAlreadyExists` if it exists. */
  createBucket(
    name: string,
    options: { location: string; acl: string; storageClass: string },
  ): Promise<BucketInfo>;
  /** `undefined` when there is no such bucket. */
  getBucket(name: string): Promise<BucketInfo | undefined>;
  /** Sets a bucket's ACL. */
  setBucketAcl(name: string, acl: string): Promise<void>;
  /** `BucketNotEmpty` if it holds objects or unfinished multipart uploads. */
  deleteBucket(name: string): Promise<void>;

  /** Streams the body to storage computing MD5 and CRC64 on the way, then publishes it atomically. */
  putObject(
    bucket: string,
    key: string,
    body: BodyInput,
    headers: ObjectHeaders,
  ): Promise<ObjectMeta>;
  /** `NoSuchKey` if absent. */
  getObject(bucket: string, key: string): Promise<ObjectReader>;
  /** No error if absent (OSS answers 204 either way). */
  deleteObject(bucket: string, key: string): Promise<void>;
  /**
   * AppendObject: adds the body at the end of an appendable object, atomically. With no
   * object at `key`, `position` 0 creates one with `headers` (later appends keep the
   * headers it was created with). `ObjectNotAppendable` for a Normal or Multipart object;
   * `PositionNotEqualToLength` when `position` is not the object's length (checked before
   * the body is read and again when it is published, so two appends at one position never
   * both land); `EntityTooLarge` when the object would outgrow `options.maxSize`. The CRC64
   * is the whole object's, combined from the old one and the body's.
   */
  appendObject(
    bucket: string,
    key: string,
    position: number,
    body: BodyInput,
    headers: ObjectHeaders,
    options?: { maxSize?: number },
  ): Promise<ObjectMeta>;
  /** Copies bytes; `headers` replaces metadata when given, else it is copied. */
  copyObject(
    source: { bucket: string; key: string },
    target: { bucket: string; key: string },
    headers?: ObjectHeaders,
  ): Promise<ObjectMeta>;
  /** Sets an object's ACL. */
  setObjectAcl(bucket: string, key: string, acl: string): Promise<void>;
  /** Every key in the bucket with `key > after` (when given) and the prefix, sorted, lazily. */
  listObjects(
    bucket: string,
    options: { prefix?: string; after?: string },
  ): AsyncIterable<ListedObject>;

  /** Starts a multipart upload of `key` with the headers the object will get. */
  initiateMultipartUpload(
    bucket: string,
    key: string,
    headers: ObjectHeaders,
  ): Promise<MultipartUploadInfo>;
  /** `NoSuchUpload` if unknown. A part uploaded twice replaces the first. */
  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: BodyInput,
  ): Promise<PartMeta>;
  /** Copies a range of an object into a part. */
  uploadPartCopy(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    source: { bucket: string; key: string; range?: { start: number; end: number } },
  ): Promise<PartMeta>;
  /** Parts sorted by number. `NoSuchUpload` if unknown. */
  listParts(bucket: string, key: string, uploadId: string): Promise<PartMeta[]>;
  /**
   * Assembles the listed parts (already validated by the HTTP layer for
   * order, ETags and sizes — the storage re-checks existence and ETag) into
   * the object atomically, computes the combined CRC64 and the multipart ETag,
   * and forgets the upload. `NoSuchUpload`, `InvalidPart`.
   */
  completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<ObjectMeta>;
  /** `NoSuchUpload` if unknown. */
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void>;
  /** Unfinished uploads of the bucket sorted by key then initiation time. */
  listMultipartUploads(bucket: string): Promise<MultipartUploadInfo[]>;
  /** `NoSuchUpload` if unknown. */
  getMultipartUpload(bucket: string, key: string, uploadId: string): Promise<MultipartUploadInfo>;

  /** Releases resources (file handles). */
  close(): Promise<void>;
}
