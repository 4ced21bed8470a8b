/**
 * Object calls of a bucket: PutObject, GetObject, HeadObject, DeleteObject, and the headers
 * they (and InitiateMultipartUpload) share. `Bucket` delegates here.
 *
 * @module
 */

import type { OssBody } from "./body.ts";
import { contentTypeByName } from "./content_type.ts";
import { assertObjectKey } from "./endpoint.ts";
import type { RequestOptions } from "./oss_client.ts";
import { requestOptions } from "./_request.ts";
import { objectMetadataFromHeaders, parseCrc64, responseInfo } from "./_responses.ts";
import type { GetObjectResult, ObjectMetadata, PutObjectResult, ResponseInfo } from "./results.ts";
import type { BucketTarget } from "./_bucket_target.ts";
import { childElements, childText, parseXml } from "../xml/xml.ts";
import {
  checkWriteSettings,
  type ObjectWriteSettings,
  writeHeadersFor,
} from "./object_write_options.ts";

/**
 * Options of a call that writes an object (PutObject, InitiateMultipartUpload): the
 * {@linkcode ObjectWriteSettings} plus the request's own (signal, timeout, retry, headers).
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
 * const { uploadId } = await bucket.initiateMultipartUpload("video.mp4", {
 *   contentType: "video/mp4",
 *   meta: { owner: "me" },
 * });
 * const part = await bucket.uploadPart("video.mp4", uploadId, 1, new Uint8Array(10));
 * await bucket.completeMultipartUpload("video.mp4", uploadId, [part]);
 * const head = await bucket.headObject("video.mp4");
 * assert.equal(head.contentType, "video/mp4");
 * assert.deepEqual(head.meta, { owner: "me" });
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface ObjectWriteOptions extends RequestOptions, ObjectWriteSettings {}

/**
 * Options of {@linkcode Bucket.putObject}.
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
 * await bucket.putObject("a.txt", "hi", { contentType: "text/plain", forbidOverwrite: true });
 * await assert.rejects(
 *   bucket.putObject("a.txt", "hello", { forbidOverwrite: true }),
 *   (err: OssError) => err.code === "FileAlreadyExists",
 * );
 *
 * await server.close();
 * await storage.close();
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
 * await bucket.putObject("a.txt", "hello world"); // its ETag: the MD5 of the body
 * const head = await bucket.headObject("a.txt", { ifMatch: '"5EB63BBBE01EEED093CB22BB8F5ACDC3"' });
 * assert.equal(head.size, 11);
 * await bucket.putObject("a.txt", "changed since");
 * await assert.rejects(
 *   bucket.headObject("a.txt", { ifMatch: '"5EB63BBBE01EEED093CB22BB8F5ACDC3"' }),
 *   (err: OssError) => err.status === 412,
 * );
 *
 * await server.close();
 * await storage.close();
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
  /** This version of the object, in a versioned bucket (`?versionId=`). */
  versionId?: string;
}

/**
 * Options of {@linkcode Bucket.getObject}.
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
 * await bucket.putObject("log.txt", "0123456789");
 * const tail = await bucket.getObject("log.txt", { range: { start: 6 } });
 * assert.equal(await tail.text(), "6789");
 *
 * await server.close();
 * await storage.close();
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

function conditionalHeaders(o: ConditionalOptions): Headers {
  const headers = new Headers(o.headers);
  if (o.ifMatch !== undefined) headers.set("if-match", o.ifMatch);
  if (o.ifNoneMatch !== undefined) headers.set("if-none-match", o.ifNoneMatch);
  if (o.ifModifiedSince) headers.set("if-modified-since", o.ifModifiedSince.toUTCString());
  if (o.ifUnmodifiedSince) headers.set("if-unmodified-since", o.ifUnmodifiedSince.toUTCString());
  return headers;
}

function versionQuery(o: ConditionalOptions): [string, string][] {
  return o.versionId === undefined ? [] : [["versionId", o.versionId]];
}

/** Uploads an object in one request (PutObject). A `ReadableStream` body is See {@linkcode Bucket.putObject}. */
export async function putObject(
  b: BucketTarget,
  key: string,
  body: OssBody,
  options: PutObjectOptions = {},
): Promise<PutObjectResult> {
  assertObjectKey(key);
  checkWriteSettings(options);
  const headers = writeHeadersFor(withContentTypeOf(key, body, options), "PutObject");
  if (options.contentMd5 !== undefined) headers.set("content-md5", options.contentMd5);
  const res = await b.sender.sendForText({
    ...requestOptions(options),
    operation: "PutObject",
    bucket: b.name,
    key,
    headers,
    body,
  });
  return {
    ...responseInfo(res.headers),
    etag: res.headers.get("etag") ?? "",
    crc64: parseCrc64(res.headers.get("x-oss-hash-crc64ecma")),
    versionId: res.headers.get("x-oss-version-id") ?? undefined,
    // With a callback, OSS answers with the callback server's answer.
    ...(options.callback !== undefined ? { callbackResult: res.text } : {}),
  };
}

/**
 * `options` with the content type of `key`'s extension when none is given and the body is
 * not a typed Blob (whose type the request sends).
 */
function withContentTypeOf(
  key: string,
  body: OssBody,
  options: PutObjectOptions,
): PutObjectOptions {
  if (options.contentType !== undefined || (body instanceof Blob && body.type !== "")) {
    return options;
  }
  const contentType = contentTypeByName(key);
  return contentType === undefined ? options : { ...options, contentType };
}

/** Downloads an object (GetObject), or a byte range of it, as a stream. See {@linkcode Bucket.getObject}. */
export async function getObject(
  b: BucketTarget,
  key: string,
  options: GetObjectOptions = {},
): Promise<GetObjectResult> {
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
  const res = await b.sender.sendForStream({
    ...requestOptions(options),
    headers,
    operation: "GetObject",
    bucket: b.name,
    key,
    query: versionQuery(options),
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

/** Reads an object's metadata without its body (HeadObject). See {@linkcode Bucket.headObject}. */
export async function headObject(
  b: BucketTarget,
  key: string,
  options: ConditionalOptions = {},
): Promise<ObjectMetadata> {
  assertObjectKey(key);
  const res = await b.sender.sendForText({
    ...requestOptions(options),
    headers: conditionalHeaders(options),
    operation: "HeadObject",
    bucket: b.name,
    key,
    query: versionQuery(options),
  });
  return objectMetadataFromHeaders(res.headers, Number(res.headers.get("content-length") ?? 0));
}

/** An object's tags (GetObjectTagging). See {@linkcode Bucket.getObjectTagging}. */
export async function getObjectTagging(
  b: BucketTarget,
  key: string,
  options: RequestOptions = {},
): Promise<Record<string, string>> {
  assertObjectKey(key);
  const res = await b.sender.sendForText({
    ...requestOptions(options),
    operation: "GetObjectTagging",
    bucket: b.name,
    key,
    query: [["tagging", undefined]],
  });
  const tags: Record<string, string> = {};
  const tagSet = childElements(parseXml(res.text), "TagSet")[0];
  for (const tag of tagSet ? childElements(tagSet, "Tag") : []) {
    tags[childText(tag, "Key") ?? ""] = childText(tag, "Value") ?? "";
  }
  return tags;
}

/** An object's ACL (GetObjectAcl). See {@linkcode Bucket.getObjectAcl}. */
export async function getObjectAcl(
  b: BucketTarget,
  key: string,
  options: RequestOptions = {},
): Promise<string> {
  assertObjectKey(key);
  const res = await b.sender.sendForText({
    ...requestOptions(options),
    operation: "GetObjectAcl",
    bucket: b.name,
    key,
    query: [["acl", undefined]],
  });
  const list = childElements(parseXml(res.text), "AccessControlList")[0];
  return (list && childText(list, "Grant")) ?? "default";
}

/** Deletes an object (DeleteObject). Deleting a key that does not exist succeeds. See {@linkcode Bucket.deleteObject}. */
export async function deleteObject(
  b: BucketTarget,
  key: string,
  options: RequestOptions = {},
): Promise<ResponseInfo> {
  assertObjectKey(key);
  const res = await b.sender.sendForText({
    ...requestOptions(options),
    operation: "DeleteObject",
    bucket: b.name,
    key,
  });
  return responseInfo(res.headers);
}
