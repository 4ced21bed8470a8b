/**
 * The multipart-upload calls of a bucket: InitiateMultipartUpload, UploadPart,
 * CompleteMultipartUpload, AbortMultipartUpload. `Bucket` delegates here.
 *
 * @module
 */

import { buildXml } from "../xml/xml.ts";
import type { OssBody } from "./body.ts";
import { assertObjectKey } from "./endpoint.ts";
import type { RequestOptions } from "./oss_client.ts";
import { requestOptions } from "./_request.ts";
import { parseCrc64, responseInfo } from "./_responses.ts";
import type {
  CompletedPart,
  CompleteMultipartUploadResult,
  InitiateMultipartUploadResult,
  ResponseInfo,
  UploadPartResult,
} from "./results.ts";
import type { BucketTarget } from "./_bucket_target.ts";
import type { ObjectWriteOptions } from "./bucket_objects.ts";
import {
  checkWriteSettings,
  type ObjectWriteSettings,
  pickWriteSettings,
  writeHeadersFor,
} from "./object_write_options.ts";

/**
 * Options of {@linkcode Bucket.uploadPart}.
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
 * // Five minutes per attempt for this call, whatever the client's timeout.
 * const part = await bucket.uploadPart("k", uploadId, 1, new Uint8Array(102400), { timeout: 300_000 });
 * assert.equal(part.partNumber, 1);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface UploadPartOptions
  extends RequestOptions, Pick<ObjectWriteSettings, "trafficLimit" | "requestPayer"> {
  /** Base64 MD5 of the part; OSS refuses the part if it differs. */
  contentMd5?: string;
}

/**
 * Options of {@linkcode Bucket.completeMultipartUpload}: the settings OSS takes on the request
 * that makes the object (its ACL, overwrite protection, the upload callback).
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
 * const part = await bucket.uploadPart("big.iso", uploadId, 1, new Uint8Array(10));
 * const done = await bucket.completeMultipartUpload("big.iso", uploadId, [part], {
 *   acl: "private",
 *   forbidOverwrite: true,
 * });
 * assert.equal(done.key, "big.iso");
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface CompleteMultipartUploadOptions
  extends
    RequestOptions,
    Pick<ObjectWriteSettings, "acl" | "forbidOverwrite" | "callback" | "requestPayer"> {}

export function assertPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
    throw new RangeError(`partNumber must be an integer from 1 to 10000, got ${partNumber}`);
  }
}

export function assertUploadId(uploadId: string): void {
  if (typeof uploadId !== "string" || uploadId === "") {
    throw new TypeError("uploadId must be a non-empty string");
  }
}

function quoteEtag(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

/** Starts a multipart upload (InitiateMultipartUpload). The headers given See {@linkcode Bucket.initiateMultipartUpload}. */
export async function initiateMultipartUpload(
  b: BucketTarget,
  key: string,
  options: ObjectWriteOptions = {},
): Promise<InitiateMultipartUploadResult> {
  assertObjectKey(key);
  checkWriteSettings(options);
  const { result } = await b.sender.sendAndParse({
    ...requestOptions(options),
    operation: "InitiateMultipartUpload",
    bucket: b.name,
    key,
    query: [["uploads", undefined], ["encoding-type", "url"]],
    headers: writeHeadersFor(options, "InitiateMultipartUpload"),
  });
  return result;
}

/** Uploads one part (UploadPart). Give the body as a function to have a See {@linkcode Bucket.uploadPart}. */
export async function uploadPart(
  b: BucketTarget,
  key: string,
  uploadId: string,
  partNumber: number,
  body: OssBody,
  options: UploadPartOptions = {},
): Promise<UploadPartResult> {
  assertObjectKey(key);
  assertUploadId(uploadId);
  assertPartNumber(partNumber);
  checkWriteSettings(pickWriteSettings(options));
  const headers = writeHeadersFor(options, "UploadPart");
  if (options.contentMd5 !== undefined) headers.set("content-md5", options.contentMd5);
  const res = await b.sender.sendForText({
    ...requestOptions(options),
    headers,
    operation: "UploadPart",
    bucket: b.name,
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

/** Assembles the uploaded parts into the object (CompleteMultipartUpload). See {@linkcode Bucket.completeMultipartUpload}. */
export async function completeMultipartUpload(
  b: BucketTarget,
  key: string,
  uploadId: string,
  parts: readonly CompletedPart[],
  options: CompleteMultipartUploadOptions = {},
): Promise<CompleteMultipartUploadResult> {
  assertObjectKey(key);
  assertUploadId(uploadId);
  for (const p of parts) assertPartNumber(p.partNumber);
  checkWriteSettings(pickWriteSettings(options));
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  const xml = buildXml("CompleteMultipartUpload", {
    Part: sorted.map((p) => ({ PartNumber: p.partNumber, ETag: quoteEtag(p.etag) })),
  });
  const headers = writeHeadersFor(options, "CompleteMultipartUpload");
  headers.set("content-type", "application/xml");
  const request = {
    ...requestOptions(options),
    headers,
    operation: "CompleteMultipartUpload" as const,
    bucket: b.name,
    key,
    query: [["uploadId", uploadId], ["encoding-type", "url"]] as [string, string][],
    body: xml,
  };
  if (options.callback === undefined) return (await b.sender.sendAndParse(request)).result;
  // With a callback, OSS answers with the callback server's answer instead of the XML.
  const res = await b.sender.sendForText(request);
  return {
    ...responseInfo(res.headers),
    bucket: b.name,
    key,
    etag: res.headers.get("etag") ?? "",
    crc64: parseCrc64(res.headers.get("x-oss-hash-crc64ecma")),
    versionId: res.headers.get("x-oss-version-id") ?? undefined,
    callbackResult: res.text,
  };
}

/** Cancels a multipart upload and frees its parts (AbortMultipartUpload). See {@linkcode Bucket.abortMultipartUpload}. */
export async function abortMultipartUpload(
  b: BucketTarget,
  key: string,
  uploadId: string,
  options: RequestOptions = {},
): Promise<ResponseInfo> {
  assertObjectKey(key);
  assertUploadId(uploadId);
  const res = await b.sender.sendForText({
    ...requestOptions(options),
    operation: "AbortMultipartUpload",
    bucket: b.name,
    key,
    query: [["uploadId", uploadId]],
  });
  return responseInfo(res.headers);
}
