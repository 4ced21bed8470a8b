/**
 * DeleteMultipleObjects: up to 1,000 keys a request, as OSS takes them, in as many requests as
 * the keys need. OSS requires the body's `Content-MD5`, which `crypto.subtle` does not compute:
 * `@noble/hashes` (audited, no dependencies, runs on every runtime and in browsers) does.
 *
 * @module
 */

import { md5 } from "@noble/hashes/legacy.js";
import { assertObjectKey } from "./endpoint.ts";
import type { RequestOptions } from "./oss_client.ts";
import { requestOptions } from "./_request.ts";
import type { BucketTarget } from "./_bucket_target.ts";
import { buildXml, childElements, childText, parseXml } from "../xml/xml.ts";

/**
 * Most keys OSS takes in one DeleteMultipleObjects request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_KEYS_PER_DELETE } from "@ossup/ossup";
 *
 * // 2,500 keys go in three requests.
 * assert.equal(Math.ceil(2500 / MAX_KEYS_PER_DELETE), 3);
 * ```
 */
export const MAX_KEYS_PER_DELETE = 1000;

/**
 * Options of `bucket.deleteObjects`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DeleteObjectsOptions } from "@ossup/ossup";
 *
 * const seen: string[] = [];
 * const options: DeleteObjectsOptions = {
 *   onProgress: (deleted, total) => seen.push(`${deleted}/${total}`),
 * };
 * options.onProgress?.(1000, 2500);
 * assert.deepEqual(seen, ["1000/2500"]);
 * ```
 */
export interface DeleteObjectsOptions extends RequestOptions {
  /** Called after each request with the keys it deleted so far, for progress. */
  onProgress?: (deleted: number, total: number) => void;
}

/**
 * What `bucket.deleteObjects` did.
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
 * await bucket.putObject("a.txt", "a");
 * const { deleted, requests } = await bucket.deleteObjects(["a.txt", "b.txt"]);
 * assert.deepEqual([deleted.sort(), requests], [["a.txt", "b.txt"], 1]);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface DeleteObjectsResult {
  /** The keys OSS answered as deleted (a key that did not exist is answered as deleted too). */
  deleted: string[];
  /** Requests sent (one per 1,000 keys). */
  requests: number;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * Deletes `keys`, 1,000 a request (DeleteMultipleObjects). See {@linkcode Bucket.deleteObjects}.
 *
 * @throws {TypeError} When a key is not a valid object key (before any request).
 */
export async function deleteObjects(
  b: BucketTarget,
  keys: readonly string[],
  options: DeleteObjectsOptions = {},
): Promise<DeleteObjectsResult> {
  for (const key of keys) assertObjectKey(key);
  const deleted: string[] = [];
  let requests = 0;
  for (let i = 0; i < keys.length; i += MAX_KEYS_PER_DELETE) {
    const batch = keys.slice(i, i + MAX_KEYS_PER_DELETE);
    const body = new TextEncoder().encode(buildXml("Delete", {
      Quiet: "false",
      Object: batch.map((Key) => ({ Key })),
    }));
    const res = await b.sender.sendForText({
      ...requestOptions(options),
      operation: "DeleteMultipleObjects",
      bucket: b.name,
      query: [["delete", undefined]],
      headers: { "content-md5": base64(md5(body)), "content-type": "application/xml" },
      body,
    });
    requests++;
    const root = parseXml(res.text);
    deleted.push(...childElements(root, "Deleted").map((d) => childText(d, "Key") ?? ""));
    options.onProgress?.(deleted.length, keys.length);
  }
  return { deleted, requests };
}
