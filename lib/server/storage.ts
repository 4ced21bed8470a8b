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
 * source), `InvalidDigest`, `IncompleteBody` (a body shorter than declared, or
 * whose stream failed). Part sizes (`EntityTooSmall`) are the HTTP layer's
 * to check. Anything else thrown is an internal error (HTTP 500).
 *
 * Keys are arbitrary well-formed UTF-16 strings: any length, any character
 * (`/`, `..`, NUL), compared exactly (case-sensitive). Times are whole
 * seconds, as HTTP dates carry them.
 *
 * @module
 */

/**
 * An error the storage raises; `code` is the OSS error code to answer with.
 *
 * @example
 * ```ts
 * import { StorageError } from "./storage.ts";
 *
 * try {
 *   throw new StorageError("NoSuchKey", "The specified key does not exist.");
 * } catch (err) {
 *   if (err instanceof StorageError && err.code === "NoSuchKey") console.log("404");
 * }
 * ```
 */
export class StorageError extends Error {
  /** OSS error code, e.g. `"NoSuchKey"`. */
  readonly code: string;
  /**
   * @param code OSS error code.
   * @param message OSS-style message.
   */
  constructor(code: string, message: string) {
    super(message);
    this.name = "StorageError";
    this.code = code;
  }
}

/** Headers stored with an object and returned on GET/HEAD. */
export interface ObjectHeaders {
  /** `Content-Type` as the request sent it; `application/octet-stream` when absent. */
  contentType: string;
  /** Other standard headers kept verbatim when sent. */
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  expires?: string;
  /** User metadata, keys lower-cased without the `x-oss-meta-` prefix. */
  userMeta: Record<string, string>;
  /** Object ACL (`default`, `private`, `public-read`, `public-read-write`). */
  acl: string;
  /** Storage class (`Standard` unless set). */
  storageClass: string;
}

/** Metadata of a stored object. */
export interface ObjectMeta extends ObjectHeaders {
  key: string;
  size: number;
  /** ETag without quotes, upper-case hex as OSS writes it; `<md5hex>-<parts>` for multipart objects. */
  etag: string;
  /** CRC64-ECMA of the whole object. */
  crc64: bigint;
  lastModified: Date;
  /** `Normal` for PutObject/CopyObject, `Multipart` for CompleteMultipartUpload. */
  objectType: "Normal" | "Multipart";
}

/** A bucket. */
export interface BucketInfo {
  name: string;
  creationDate: Date;
  /** E.g. `oss-cn-hangzhou`. */
  location: string;
  acl: string;
  storageClass: string;
}

/** An unfinished multipart upload. */
export interface MultipartUploadInfo {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: Date;
  /** Headers given at InitiateMultipartUpload, applied to the completed object. */
  headers: ObjectHeaders;
}

/** A part uploaded to a multipart upload. */
export interface PartMeta {
  partNumber: number;
  size: number;
  /** MD5 hex of the part, upper-case, no quotes. */
  etag: string;
  crc64: bigint;
  lastModified: Date;
}

/** A body to store, consumed exactly once. */
export interface BodyInput {
  stream: ReadableStream<Uint8Array>;
  /**
   * Declared length; the storage fails with `IncompleteBody` if the stream has fewer bytes,
   * `InvalidArgument` if it has more. Either way nothing is stored.
   */
  length?: number;
  /** Expected MD5 (base64, from `Content-MD5`); mismatch → `InvalidDigest`, nothing stored. */
  contentMd5?: string;
}

/** An object opened for reading. */
export interface ObjectReader {
  meta: ObjectMeta;
  /**
   * Streams bytes `[start, end]` inclusive (the whole object when omitted); the range must
   * lie within the object. May be called several times, or never (HEAD). The disk backend
   * opens the file on the first read: if the object was replaced or deleted since
   * `getObject`, the stream errors rather than mix versions.
   */
  stream(range?: { start: number; end: number }): ReadableStream<Uint8Array>;
}

/** One key listed by {@linkcode Storage.listObjects}, in byte order of its UTF-8 key. */
export type ListedObject = Pick<
  ObjectMeta,
  "key" | "size" | "etag" | "lastModified" | "storageClass" | "objectType"
>;

/**
 * What a backend provides. All methods are safe to call concurrently;
 * writes are atomic: after a crash an object is either whole or absent, and
 * a part either whole or absent.
 */
export interface Storage {
  listBuckets(): Promise<BucketInfo[]>;
  /** Creates a bucket; `BucketAlreadyExists` if it exists. */
  createBucket(
    name: string,
    options: { location: string; acl: string; storageClass: string },
  ): Promise<BucketInfo>;
  /** `undefined` when there is no such bucket. */
  getBucket(name: string): Promise<BucketInfo | undefined>;
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
  /** Copies bytes; `headers` replaces metadata when given, else it is copied. */
  copyObject(
    source: { bucket: string; key: string },
    target: { bucket: string; key: string },
    headers?: ObjectHeaders,
  ): Promise<ObjectMeta>;
  setObjectAcl(bucket: string, key: string, acl: string): Promise<void>;
  /** Every key in the bucket with `key > after` (when given) and the prefix, sorted, lazily. */
  listObjects(
    bucket: string,
    options: { prefix?: string; after?: string },
  ): AsyncIterable<ListedObject>;

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
