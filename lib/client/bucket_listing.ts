/**
 * Listings of a bucket, one page or every page: objects (ListObjects), the parts of an upload
 * (ListParts) and unfinished uploads (ListMultipartUploads). `Bucket` delegates here.
 *
 * @module
 */

import { assertObjectKey } from "./endpoint.ts";
import type { RequestOptions } from "./oss_client.ts";
import { requestOptions } from "./_request.ts";
import type {
  ListMultipartUploadsPage,
  ListObjectsPage,
  ListPartsPage,
  MultipartUploadSummary,
  ObjectSummary,
  PartSummary,
} from "./results.ts";
import type { BucketTarget } from "./_bucket_target.ts";
import { assertUploadId } from "./bucket_multipart.ts";

/**
 * Options of {@linkcode Bucket.listObjectsPage}.
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
 * for (const key of ["photos/a.jpg", "photos/2024/b.jpg"]) await bucket.putObject(key, "jpeg");
 * const page = await bucket.listObjectsPage({ prefix: "photos/", delimiter: "/", maxKeys: 1000 });
 * assert.deepEqual(page.objects.map((o) => o.key), ["photos/a.jpg"]);
 * assert.deepEqual(page.commonPrefixes, ["photos/2024/"]);
 *
 * await server.close();
 * await storage.close();
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
 * Options of {@linkcode Bucket.listPartsPage}.
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
 * const { uploadId } = await bucket.initiateMultipartUpload("k");
 * for (const n of [1, 2, 3]) await bucket.uploadPart("k", uploadId, n, new Uint8Array(100 * 1024));
 * const page = await bucket.listPartsPage("k", uploadId, { maxParts: 1000, partNumberMarker: 1 });
 * assert.deepEqual(page.parts.map((p) => p.partNumber), [2, 3]); // after the marker
 *
 * await server.close();
 * await storage.close();
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
 * const page = await bucket.listMultipartUploadsPage({ prefix: "tmp/", maxUploads: 1 });
 * assert.equal(page.uploads.length, 1);
 * assert.equal(page.isTruncated, true); // nextKeyMarker and nextUploadIdMarker ask for the rest
 *
 * await server.close();
 * await storage.close();
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

/** One page of ListObjects. See {@linkcode Bucket.listObjectsPage}. */
export async function listObjectsPage(
  b: BucketTarget,
  options: ListObjectsOptions = {},
): Promise<ListObjectsPage> {
  const query: [string, string | undefined][] = [["encoding-type", "url"]];
  if (options.prefix !== undefined) query.push(["prefix", options.prefix]);
  if (options.delimiter !== undefined) query.push(["delimiter", options.delimiter]);
  if (options.marker !== undefined) query.push(["marker", options.marker]);
  if (options.maxKeys !== undefined) query.push(["max-keys", String(options.maxKeys)]);
  const { result } = await b.sender.sendAndParse({
    ...requestOptions(options),
    operation: "ListObjects",
    bucket: b.name,
    query,
  });
  return result;
}

/** Every object (with the prefix), page after page. See {@linkcode Bucket.listObjects}. */
export async function* listObjects(
  b: BucketTarget,
  options: ListObjectsOptions = {},
): AsyncGenerator<ObjectSummary> {
  let marker = options.marker;
  for (;;) {
    const page = await listObjectsPage(b, { ...options, marker });
    yield* page.objects;
    const next = page.nextMarker ?? page.objects.at(-1)?.key ?? page.commonPrefixes.at(-1);
    if (!page.isTruncated || next === undefined || next === marker) return;
    marker = next;
  }
}

/** One page of ListParts: the parts OSS holds for an upload. See {@linkcode Bucket.listPartsPage}. */
export async function listPartsPage(
  b: BucketTarget,
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
  const { result } = await b.sender.sendAndParse({
    ...requestOptions(options),
    operation: "ListParts",
    bucket: b.name,
    key,
    query,
  });
  return result;
}

/** Every part of an upload, page after page, by part number. See {@linkcode Bucket.listParts}. */
export async function* listParts(
  b: BucketTarget,
  key: string,
  uploadId: string,
  options: ListPartsOptions = {},
): AsyncGenerator<PartSummary> {
  let marker = options.partNumberMarker;
  for (;;) {
    const page = await listPartsPage(b, key, uploadId, {
      ...options,
      partNumberMarker: marker,
    });
    yield* page.parts;
    const next = page.nextPartNumberMarker ?? page.parts.at(-1)?.partNumber;
    if (!page.isTruncated || next === undefined || next === marker) return;
    marker = next;
  }
}

/** One page of ListMultipartUploads: uploads started and not yet completed or aborted. See {@linkcode Bucket.listMultipartUploadsPage}. */
export async function listMultipartUploadsPage(
  b: BucketTarget,
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
  const { result } = await b.sender.sendAndParse({
    ...requestOptions(options),
    operation: "ListMultipartUploads",
    bucket: b.name,
    query,
  });
  return result;
}

/** Every unfinished multipart upload (with the prefix), page after page. See {@linkcode Bucket.listMultipartUploads}. */
export async function* listMultipartUploads(
  b: BucketTarget,
  options: ListMultipartUploadsOptions = {},
): AsyncGenerator<MultipartUploadSummary> {
  let keyMarker = options.keyMarker;
  let uploadIdMarker = options.uploadIdMarker;
  for (;;) {
    const page = await listMultipartUploadsPage(b, { ...options, keyMarker, uploadIdMarker });
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
