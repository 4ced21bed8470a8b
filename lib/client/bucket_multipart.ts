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
import { objectWriteHeaders, type ObjectWriteOptions } from "./bucket_objects.ts";

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
  const { result } = await b.sender.sendAndParse({
    ...requestOptions(options),
    operation: "InitiateMultipartUpload",
    bucket: b.name,
    key,
    query: [["uploads", undefined], ["encoding-type", "url"]],
    headers: objectWriteHeaders(options),
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
  const headers = new Headers(options.headers);
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
  const { result } = await b.sender.sendAndParse({
    ...requestOptions(options),
    headers,
    operation: "CompleteMultipartUpload",
    bucket: b.name,
    key,
    query: [["uploadId", uploadId], ["encoding-type", "url"]],
    body: xml,
  });
  return result;
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
