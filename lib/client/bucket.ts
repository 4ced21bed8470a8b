/**
 * Operations on one bucket: objects, listings, presigned URLs and the
 * multipart-upload calls.
 *
 * @module
 */

import { presignV1, presignV4, type RequestToSign } from "../signing/signing.ts";
import { buildXml } from "../xml/xml.ts";
import type { OssBody } from "./body.ts";
import { assertBucketName, assertObjectKey, buildUrl } from "./endpoint.ts";
import type { OssClient, RequestOptions } from "./oss_client.ts";
import { requestOptions, type RequestSender } from "./_request.ts";
import { objectMetadataFromHeaders, parseCrc64, responseInfo } from "./_responses.ts";
import type {
  CompletedPart,
  CompleteMultipartUploadResult,
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
  UploadPartResult,
} from "./results.ts";
import { uploadFile, type UploadFileInput } from "../upload/upload_file.ts";
import type { UploadFileOptions, UploadResult } from "../upload/upload_options.ts";
import { uploadStream, type UploadStreamOptions } from "../upload/upload_stream.ts";

/**
 * Default validity of a presigned URL, in seconds (as ali-oss's `signatureUrl`): 1800.
 *
 * @example
 * ```ts
 * import { DEFAULT_PRESIGN_EXPIRES } from "@ossup/ossup";
 *
 * console.log(DEFAULT_PRESIGN_EXPIRES); // 1800
 * ```
 */
export const DEFAULT_PRESIGN_EXPIRES = 1800;

/**
 * Headers that describe an object being written (PutObject, InitiateMultipartUpload).
 *
 * @example
 * ```ts
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * await bucket.initiateMultipartUpload("video.mp4", { contentType: "video/mp4", meta: { owner: "me" } });
 * ```
 */
export interface ObjectWriteOptions extends RequestOptions {
  /** `Content-Type` of the object. Default: the Blob's type, else `application/octet-stream`. */
  contentType?: string;
  /** User metadata, sent as `x-oss-meta-<name>` (ASCII values). */
  meta?: Record<string, string>;
  /** Object ACL (`x-oss-object-acl`). */
  acl?: "default" | "private" | "public-read" | "public-read-write";
  /** Storage class (`x-oss-storage-class`), e.g. `Standard`, `IA`. */
  storageClass?: string;
  /** Refuse to replace an existing object (`x-oss-forbid-overwrite: true`). */
  forbidOverwrite?: boolean;
}

/**
 * Options of {@linkcode Bucket.putObject}.
 *
 * @example
 * ```ts
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * await bucket.putObject("a.txt", "hi", { contentType: "text/plain", forbidOverwrite: true });
 * ```
 */
export interface PutObjectOptions extends ObjectWriteOptions {
  /** Base64 MD5 of the body; OSS refuses the body if it differs. */
  contentMd5?: string;
}

/**
 * Conditions on the object's current state (GetObject, HeadObject).
 *
 * @example
 * ```ts
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * await bucket.headObject("a.txt", { ifMatch: '"5EB63BBBE01EEED093CB22BB8F5ACDC3"' });
 * ```
 */
export interface ConditionalOptions extends RequestOptions {
  /** Only if the ETag matches (else 412 PreconditionFailed). */
  ifMatch?: string;
  /** Only if the ETag differs (else 304 NotModified). */
  ifNoneMatch?: string;
  /** Only if modified since (else 304 NotModified). */
  ifModifiedSince?: Date;
  /** Only if not modified since (else 412 PreconditionFailed). */
  ifUnmodifiedSince?: Date;
}

/**
 * Options of {@linkcode Bucket.getObject}.
 *
 * @example
 * ```ts
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * const tail = await bucket.getObject("log.txt", { range: { start: 1000 } });
 * ```
 */
export interface GetObjectOptions extends ConditionalOptions {
  /**
   * Bytes to read: `{ start, end }` (both inclusive; `end` omitted = to the
   * end). Asked with `x-oss-range-behavior: standard`, so an invalid range
   * fails with 416 InvalidRange rather than returning the whole object.
   */
  range?: { start: number; end?: number };
}

/**
 * Options of {@linkcode Bucket.listObjectsPage}.
 *
 * @example
 * ```ts
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * await bucket.listObjectsPage({ prefix: "photos/", delimiter: "/", maxKeys: 1000 });
 * ```
 */
export interface ListObjectsOptions extends RequestOptions {
  /** Only keys that start with this. */
  prefix?: string;
  /** Roll keys up to their first occurrence of this after the prefix (usually `/`). */
  delimiter?: string;
  /** Start after this key. */
  marker?: string;
  /** Keys per page, up to 1000 (OSS's default 100). */
  maxKeys?: number;
}

/**
 * Options of {@linkcode Bucket.presignUrl}.
 *
 * @example
 * ```ts
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * const url = await bucket.presignUrl("a.pdf", {
 *   expires: 600,
 *   query: { "response-content-disposition": "attachment" },
 * });
 * ```
 */
export interface PresignUrlOptions {
  /**
   * Seconds the URL stays valid, from now (as ali-oss's `signatureUrl`).
   * Default 1800; at most 604 800 (7 days) with signature V4.
   */
  expires?: number;
  /** HTTP method the URL is for. Default `"GET"`. */
  method?: "GET" | "PUT" | "HEAD" | "DELETE" | "POST";
  /** `Content-Type` the user of the URL will send (it is signed). */
  contentType?: string;
  /** `Content-MD5` the user of the URL will send (it is signed). */
  contentMd5?: string;
  /** Further headers the user of the URL will send; `x-oss-*` ones are signed. */
  headers?: HeadersInit;
  /**
   * Query parameters to add and sign, e.g. `{ "response-content-disposition": "attachment" }`
   * or `{ "x-oss-process": "image/resize,w_100" }`.
   */
  query?: Record<string, string>;
}

/**
 * Options of {@linkcode Bucket.uploadPart}.
 *
 * @example
 * ```ts
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * await bucket.uploadPart("k", "<upload id>", 1, new Uint8Array(102400), { timeout: 300_000 });
 * ```
 */
export interface UploadPartOptions extends RequestOptions {
  /** Base64 MD5 of the part; OSS refuses the part if it differs. */
  contentMd5?: string;
}

/**
 * Options of {@linkcode Bucket.listPartsPage}.
 *
 * @example
 * ```ts
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * await bucket.listPartsPage("k", "<upload id>", { maxParts: 1000, partNumberMarker: 1000 });
 * ```
 */
export interface ListPartsOptions extends RequestOptions {
  /** Parts per page, up to 1000. */
  maxParts?: number;
  /** Start after this part number. */
  partNumberMarker?: number;
}

/**
 * Options of {@linkcode Bucket.listMultipartUploadsPage}.
 *
 * @example
 * ```ts
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * await bucket.listMultipartUploadsPage({ prefix: "tmp/", maxUploads: 100 });
 * ```
 */
export interface ListMultipartUploadsOptions extends RequestOptions {
  /** Only uploads whose keys start with this. */
  prefix?: string;
  /** Roll keys up to their first occurrence of this after the prefix. */
  delimiter?: string;
  /** Start after this key (with `uploadIdMarker`: after that upload of this key). */
  keyMarker?: string;
  /** With `keyMarker`: start after this upload ID. */
  uploadIdMarker?: string;
  /** Uploads per page, up to 1000. */
  maxUploads?: number;
}

function objectWriteHeaders(o: ObjectWriteOptions & { contentMd5?: string }): Headers {
  const headers = new Headers(o.headers);
  if (o.contentType !== undefined) headers.set("content-type", o.contentType);
  if (o.contentMd5 !== undefined) headers.set("content-md5", o.contentMd5);
  if (o.acl !== undefined) headers.set("x-oss-object-acl", o.acl);
  if (o.storageClass !== undefined) headers.set("x-oss-storage-class", o.storageClass);
  if (o.forbidOverwrite) headers.set("x-oss-forbid-overwrite", "true");
  for (const [name, value] of Object.entries(o.meta ?? {})) {
    headers.set(`x-oss-meta-${name.toLowerCase()}`, value);
  }
  return headers;
}

function conditionalHeaders(o: ConditionalOptions): Headers {
  const headers = new Headers(o.headers);
  if (o.ifMatch !== undefined) headers.set("if-match", o.ifMatch);
  if (o.ifNoneMatch !== undefined) headers.set("if-none-match", o.ifNoneMatch);
  if (o.ifModifiedSince) headers.set("if-modified-since", o.ifModifiedSince.toUTCString());
  if (o.ifUnmodifiedSince) headers.set("if-unmodified-since", o.ifUnmodifiedSince.toUTCString());
  return headers;
}

function assertPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
    throw new RangeError(`partNumber must be an integer from 1 to 10000, got ${partNumber}`);
  }
}

function assertUploadId(uploadId: string): void {
  if (typeof uploadId !== "string" || uploadId === "") {
    throw new TypeError("uploadId must be a non-empty string");
  }
}

function quoteEtag(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

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
 * import { OssClient } from "@ossup/ossup";
 *
 * const client = new OssClient({ endpoint: "oss-cn-hangzhou.aliyuncs.com", accessKeyId: "id", accessKeySecret: "secret" });
 * const bucket = client.bucket("examplebucket");
 * await bucket.putObject("notes/a.txt", "hello");
 * const { body, size, crc64 } = await bucket.getObject("notes/a.txt");
 * for await (const obj of bucket.listObjects({ prefix: "notes/" })) console.log(obj.key, obj.size);
 * await bucket.deleteObject("notes/a.txt");
 * ```
 */
export class Bucket {
  // Definitely assigned (!): a constructor call without a handed sender returns client.bucket().
  /** The bucket name. */
  readonly name!: string;
  /** The client this bucket belongs to. */
  readonly client!: OssClient;
  #sender!: RequestSender;

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
    this.#sender = sender;
  }

  /** Endpoint host (and port) the bucket is reached at, e.g. `"oss-cn-hangzhou.aliyuncs.com"`. */
  get endpointHost(): string {
    return this.client.endpointHost;
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
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * const result = await bucket.uploadFile("backups/big.iso", "./big.iso", {
   *   partSize: 8 * 1024 * 1024,
   *   routines: 4,
   *   checkpoint: true,
   *   onProgress: (p) => console.log(`${p.bytesDone}/${p.bytesTotal}`),
   * });
   * console.log(result.etag, result.crc64, result.resumed);
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
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * const body = new Blob(["streamed ", "bytes"]).stream();
   * const result = await bucket.uploadStream("logs/today.txt", body, { partSize: 1024 * 1024 });
   * console.log(result.size);
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
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * const { etag, crc64 } = await bucket.putObject("a.json", '{"a":1}', {
   *   contentType: "application/json",
   *   meta: { origin: "example" },
   * });
   * ```
   */
  async putObject(
    key: string,
    body: OssBody,
    options: PutObjectOptions = {},
  ): Promise<PutObjectResult> {
    assertObjectKey(key);
    const res = await this.#sender.sendForText({
      ...requestOptions(options),
      operation: "PutObject",
      bucket: this.name,
      key,
      headers: objectWriteHeaders(options),
      body,
    });
    return {
      ...responseInfo(res.headers),
      etag: res.headers.get("etag") ?? "",
      crc64: parseCrc64(res.headers.get("x-oss-hash-crc64ecma")),
      versionId: res.headers.get("x-oss-version-id") ?? undefined,
    };
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
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * const part = await bucket.getObject("big.bin", { range: { start: 0, end: 1023 } });
   * console.log(part.contentLength, part.size); // 1024, size of the whole object
   * const bytes = await part.bytes();
   * ```
   */
  async getObject(key: string, options: GetObjectOptions = {}): Promise<GetObjectResult> {
    assertObjectKey(key);
    const headers = conditionalHeaders(options);
    const range = options.range;
    if (range !== undefined) {
      const { start, end } = range;
      if (!Number.isSafeInteger(start) || start < 0) {
        throw new RangeError("range.start must be an integer ≥ 0");
      }
      if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
        throw new RangeError("range.end must be an integer ≥ range.start");
      }
      headers.set("range", `bytes=${start}-${end ?? ""}`);
      headers.set("x-oss-range-behavior", "standard");
    }
    const res = await this.#sender.sendForStream({
      ...requestOptions(options),
      headers,
      operation: "GetObject",
      bucket: this.name,
      key,
    });
    const contentLength = Number(res.headers.get("content-length") ?? NaN);
    const contentRange = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(
      res.headers.get("content-range") ?? "",
    );
    const size = contentRange && contentRange[3] !== "*" ? Number(contentRange[3]) : contentLength;
    const body = res.body;
    return {
      ...objectMetadataFromHeaders(res.headers, size),
      body,
      contentLength: Number.isNaN(contentLength) && contentRange
        ? Number(contentRange[2]) - Number(contentRange[1]) + 1
        : contentLength,
      range: contentRange
        ? { start: Number(contentRange[1]), end: Number(contentRange[2]) }
        : undefined,
      bytes: async () => new Uint8Array(await new Response(body).arrayBuffer()),
      text: () => new Response(body).text(),
    };
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
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * const { size, crc64, meta } = await bucket.headObject("a.json");
   * ```
   */
  async headObject(key: string, options: ConditionalOptions = {}): Promise<ObjectMetadata> {
    assertObjectKey(key);
    const res = await this.#sender.sendForText({
      ...requestOptions(options),
      headers: conditionalHeaders(options),
      operation: "HeadObject",
      bucket: this.name,
      key,
    });
    return objectMetadataFromHeaders(res.headers, Number(res.headers.get("content-length") ?? 0));
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
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * await bucket.deleteObject("a.json");
   * ```
   */
  async deleteObject(key: string, options: RequestOptions = {}): Promise<ResponseInfo> {
    assertObjectKey(key);
    const res = await this.#sender.sendForText({
      ...requestOptions(options),
      operation: "DeleteObject",
      bucket: this.name,
      key,
    });
    return responseInfo(res.headers);
  }

  /**
   * One page of ListObjects.
   *
   * @param options Prefix, delimiter, marker, page size.
   * @returns Objects, common prefixes, and the marker of the next page.
   *
   * @example List one "directory" level
   * ```ts
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * const page = await bucket.listObjectsPage({ prefix: "photos/", delimiter: "/" });
   * console.log(page.commonPrefixes, page.objects.map((o) => o.key));
   * ```
   */
  async listObjectsPage(options: ListObjectsOptions = {}): Promise<ListObjectsPage> {
    const query: [string, string | undefined][] = [["encoding-type", "url"]];
    if (options.prefix !== undefined) query.push(["prefix", options.prefix]);
    if (options.delimiter !== undefined) query.push(["delimiter", options.delimiter]);
    if (options.marker !== undefined) query.push(["marker", options.marker]);
    if (options.maxKeys !== undefined) query.push(["max-keys", String(options.maxKeys)]);
    const { result } = await this.#sender.sendAndParse({
      ...requestOptions(options),
      operation: "ListObjects",
      bucket: this.name,
      query,
    });
    return result;
  }

  /**
   * Every object (with the prefix), page after page.
   *
   * @param options Prefix, delimiter, marker, page size.
   * @returns The objects, in key order.
   *
   * @example
   * ```ts
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * let total = 0;
   * for await (const obj of bucket.listObjects({ prefix: "logs/" })) total += obj.size;
   * ```
   */
  async *listObjects(options: ListObjectsOptions = {}): AsyncGenerator<ObjectSummary> {
    let marker = options.marker;
    for (;;) {
      const page = await this.listObjectsPage({ ...options, marker });
      yield* page.objects;
      const next = page.nextMarker ?? page.objects.at(-1)?.key ?? page.commonPrefixes.at(-1);
      if (!page.isTruncated || next === undefined || next === marker) return;
      marker = next;
    }
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
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * const url = await bucket.presignUrl("report.pdf", { expires: 3600 });
   * const res = await fetch(url);
   * ```
   *
   * @example Let a browser upload one object
   * ```ts
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * const url = await bucket.presignUrl("uploads/a.png", { method: "PUT", contentType: "image/png" });
   * // the browser must send the same Content-Type:
   * await fetch(url, { method: "PUT", body: new Blob([]), headers: { "content-type": "image/png" } });
   * ```
   */
  async presignUrl(key: string, options: PresignUrlOptions = {}): Promise<string> {
    assertObjectKey(key);
    const expires = options.expires ?? DEFAULT_PRESIGN_EXPIRES;
    if (!Number.isInteger(expires) || expires <= 0) {
      throw new RangeError("expires must be a positive integer number of seconds");
    }
    const headers = new Headers(options.headers);
    if (options.contentType !== undefined) headers.set("content-type", options.contentType);
    if (options.contentMd5 !== undefined) headers.set("content-md5", options.contentMd5);
    const query = Object.entries(options.query ?? {}) as [string, string | undefined][];
    const req: RequestToSign = {
      method: options.method ?? "GET",
      bucket: this.name,
      key,
      query,
      headers,
    };
    const { ctx } = this.#sender;
    const credentials = await ctx.credentials.get();
    const now = this.#sender.now();
    const params = ctx.signatureVersion === "v1"
      ? await presignV1(req, { credentials, now, expires })
      : await presignV4(req, {
        credentials,
        region: ctx.region!,
        now,
        expires,
        sha256: ctx.sha256,
      });
    return buildUrl(ctx.endpoint, ctx.pathStyle, {
      bucket: this.name,
      key,
      query: [...query, ...params],
    });
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
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * const { uploadId } = await bucket.initiateMultipartUpload("big.iso", { contentType: "application/x-iso9660-image" });
   * ```
   */
  async initiateMultipartUpload(
    key: string,
    options: ObjectWriteOptions = {},
  ): Promise<InitiateMultipartUploadResult> {
    assertObjectKey(key);
    const { result } = await this.#sender.sendAndParse({
      ...requestOptions(options),
      operation: "InitiateMultipartUpload",
      bucket: this.name,
      key,
      query: [["uploads", undefined], ["encoding-type", "url"]],
      headers: objectWriteHeaders(options),
    });
    return result;
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
   * import type { Bucket, FileSource } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * declare const source: FileSource;
   * const partSize = 5 * 1024 * 1024;
   * const { etag, crc64 } = await bucket.uploadPart("big.iso", "<upload id>", 2, () =>
   *   source.slice?.(partSize, partSize) ?? source.stream(partSize, partSize));
   * ```
   */
  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: OssBody,
    options: UploadPartOptions = {},
  ): Promise<UploadPartResult> {
    assertObjectKey(key);
    assertUploadId(uploadId);
    assertPartNumber(partNumber);
    const headers = new Headers(options.headers);
    if (options.contentMd5 !== undefined) headers.set("content-md5", options.contentMd5);
    const res = await this.#sender.sendForText({
      ...requestOptions(options),
      headers,
      operation: "UploadPart",
      bucket: this.name,
      key,
      query: [["partNumber", String(partNumber)], ["uploadId", uploadId]],
      body,
    });
    return {
      ...responseInfo(res.headers),
      partNumber,
      etag: res.headers.get("etag") ?? "",
      crc64: parseCrc64(res.headers.get("x-oss-hash-crc64ecma")),
    };
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
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * const { crc64 } = await bucket.completeMultipartUpload("big.iso", "<upload id>", [
   *   { partNumber: 1, etag: '"A1B2..."' },
   *   { partNumber: 2, etag: '"C3D4..."' },
   * ]);
   * ```
   */
  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
    options: RequestOptions = {},
  ): Promise<CompleteMultipartUploadResult> {
    assertObjectKey(key);
    assertUploadId(uploadId);
    for (const p of parts) assertPartNumber(p.partNumber);
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const xml = buildXml("CompleteMultipartUpload", {
      Part: sorted.map((p) => ({ PartNumber: p.partNumber, ETag: quoteEtag(p.etag) })),
    });
    const headers = new Headers(options.headers);
    headers.set("content-type", "application/xml");
    const { result } = await this.#sender.sendAndParse({
      ...requestOptions(options),
      headers,
      operation: "CompleteMultipartUpload",
      bucket: this.name,
      key,
      query: [["uploadId", uploadId], ["encoding-type", "url"]],
      body: xml,
    });
    return result;
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
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * await bucket.abortMultipartUpload("big.iso", "<upload id>");
   * ```
   */
  async abortMultipartUpload(
    key: string,
    uploadId: string,
    options: RequestOptions = {},
  ): Promise<ResponseInfo> {
    assertObjectKey(key);
    assertUploadId(uploadId);
    const res = await this.#sender.sendForText({
      ...requestOptions(options),
      operation: "AbortMultipartUpload",
      bucket: this.name,
      key,
      query: [["uploadId", uploadId]],
    });
    return responseInfo(res.headers);
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
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * const page = await bucket.listPartsPage("big.iso", "<upload id>", { maxParts: 100 });
   * ```
   */
  async listPartsPage(
    key: string,
    uploadId: string,
    options: ListPartsOptions = {},
  ): Promise<ListPartsPage> {
    assertObjectKey(key);
    assertUploadId(uploadId);
    const query: [string, string | undefined][] = [
      ["uploadId", uploadId],
      ["encoding-type", "url"],
    ];
    if (options.maxParts !== undefined) query.push(["max-parts", String(options.maxParts)]);
    if (options.partNumberMarker !== undefined) {
      query.push(["part-number-marker", String(options.partNumberMarker)]);
    }
    const { result } = await this.#sender.sendAndParse({
      ...requestOptions(options),
      operation: "ListParts",
      bucket: this.name,
      key,
      query,
    });
    return result;
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
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * for await (const part of bucket.listParts("big.iso", "<upload id>")) {
   *   console.log(part.partNumber, part.size, part.etag);
   * }
   * ```
   */
  async *listParts(
    key: string,
    uploadId: string,
    options: ListPartsOptions = {},
  ): AsyncGenerator<PartSummary> {
    let marker = options.partNumberMarker;
    for (;;) {
      const page = await this.listPartsPage(key, uploadId, {
        ...options,
        partNumberMarker: marker,
      });
      yield* page.parts;
      const next = page.nextPartNumberMarker ?? page.parts.at(-1)?.partNumber;
      if (!page.isTruncated || next === undefined || next === marker) return;
      marker = next;
    }
  }

  /**
   * One page of ListMultipartUploads: uploads started and not yet completed or aborted.
   *
   * @param options Prefix, delimiter, markers, page size.
   * @returns The uploads and the markers of the next page.
   *
   * @example
   * ```ts
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * const page = await bucket.listMultipartUploadsPage({ prefix: "backups/" });
   * ```
   */
  async listMultipartUploadsPage(
    options: ListMultipartUploadsOptions = {},
  ): Promise<ListMultipartUploadsPage> {
    const query: [string, string | undefined][] = [
      ["uploads", undefined],
      ["encoding-type", "url"],
    ];
    if (options.prefix !== undefined) query.push(["prefix", options.prefix]);
    if (options.delimiter !== undefined) query.push(["delimiter", options.delimiter]);
    if (options.keyMarker !== undefined) query.push(["key-marker", options.keyMarker]);
    if (options.uploadIdMarker !== undefined) {
      query.push(["upload-id-marker", options.uploadIdMarker]);
    }
    if (options.maxUploads !== undefined) query.push(["max-uploads", String(options.maxUploads)]);
    const { result } = await this.#sender.sendAndParse({
      ...requestOptions(options),
      operation: "ListMultipartUploads",
      bucket: this.name,
      query,
    });
    return result;
  }

  /**
   * Every unfinished multipart upload (with the prefix), page after page.
   *
   * @param options Prefix, page size, signal...
   * @returns The uploads, by key then initiation time.
   *
   * @example Abort every unfinished upload under a prefix
   * ```ts
   * import type { Bucket } from "@ossup/ossup";
   *
   * declare const bucket: Bucket;
   * for await (const u of bucket.listMultipartUploads({ prefix: "tmp/" })) {
   *   await bucket.abortMultipartUpload(u.key, u.uploadId);
   * }
   * ```
   */
  async *listMultipartUploads(
    options: ListMultipartUploadsOptions = {},
  ): AsyncGenerator<MultipartUploadSummary> {
    let keyMarker = options.keyMarker;
    let uploadIdMarker = options.uploadIdMarker;
    for (;;) {
      const page = await this.listMultipartUploadsPage({ ...options, keyMarker, uploadIdMarker });
      yield* page.uploads;
      const last = page.uploads.at(-1);
      const nextKey = page.nextKeyMarker ?? last?.key;
      const nextId = page.nextUploadIdMarker ?? last?.uploadId;
      if (
        !page.isTruncated || nextKey === undefined ||
        (nextKey === keyMarker && nextId === uploadIdMarker)
      ) return;
      keyMarker = nextKey;
      uploadIdMarker = nextId;
    }
  }

  /** Describes the bucket without credentials. */
  toString(): string {
    return `Bucket(${this.name} at ${this.client.endpoint})`;
  }
}
