/**
 * Presigned URLs of a bucket's objects: signed with the client's signature version, no
 * request sent. `Bucket` delegates here.
 *
 * @module
 */

import { presignV1, presignV4, type RequestToSign } from "../signing/signing.ts";
import { assertObjectKey, buildUrl } from "./endpoint.ts";
import type { BucketTarget } from "./_bucket_target.ts";

/**
 * Default validity of a presigned URL, in seconds (as ali-oss's `signatureUrl`): 1800.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_PRESIGN_EXPIRES, OssClient } from "@ossup/ossup";
 *
 * assert.equal(DEFAULT_PRESIGN_EXPIRES, 1800); // half an hour
 * const client = new OssClient({ endpoint: "oss-cn-hangzhou.aliyuncs.com", accessKeyId: "ak", accessKeySecret: "sk" });
 * const url = new URL(await client.bucket("examplebucket").presignUrl("a.pdf"));
 * assert.equal(url.searchParams.get("x-oss-expires"), String(DEFAULT_PRESIGN_EXPIRES));
 * ```
 */
export const DEFAULT_PRESIGN_EXPIRES = 1800;

/**
 * Options of {@linkcode Bucket.presignUrl}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 *
 * const client = new OssClient({ endpoint: "oss-cn-hangzhou.aliyuncs.com", accessKeyId: "ak", accessKeySecret: "sk" });
 * const url = new URL(await client.bucket("examplebucket").presignUrl("a.pdf", {
 *   expires: 600,
 *   query: { "response-content-disposition": "attachment" },
 * }));
 * assert.equal(url.origin, "https://examplebucket.oss-cn-hangzhou.aliyuncs.com");
 * assert.equal(url.searchParams.get("x-oss-expires"), "600");
 * assert.equal(url.searchParams.get("response-content-disposition"), "attachment");
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

/** A URL that grants the request it describes (by default a GET of the See {@linkcode Bucket.presignUrl}. */
export async function presignUrl(
  b: BucketTarget,
  key: string,
  options: PresignUrlOptions = {},
): Promise<string> {
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
    bucket: b.name,
    key,
    query,
    headers,
  };
  const { ctx } = b.sender;
  const credentials = await ctx.credentials.get();
  const now = b.sender.now();
  const params = ctx.signatureVersion === "v1"
    ? await presignV1(req, { credentials, now, expires, sha1: ctx.sha1 })
    : await presignV4(req, {
      credentials,
      region: ctx.region!,
      now,
      expires,
      sha256: ctx.sha256,
    });
  return buildUrl(ctx.endpoint, ctx.pathStyle, {
    bucket: b.name,
    key,
    query: [...query, ...params],
  });
}
