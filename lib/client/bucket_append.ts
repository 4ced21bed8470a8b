/**
 * AppendObject: bytes added at the end of an appendable object, with the object's CRC-64
 * chain checked and OSS's `PositionNotEqualToLength` told apart from a lost answer.
 * `Bucket.appendObject` delegates here.
 *
 * @module
 */

import { Crc64, crc64, crc64Combine } from "../crc64/crc64.ts";
import { IntegrityError, OssError } from "../errors/errors.ts";
import { assertObjectKey } from "./endpoint.ts";
import { requestOptions } from "./_request.ts";
import { parseCrc64, responseInfo } from "./_responses.ts";
import type { ResponseInfo } from "./results.ts";
import type { BucketTarget } from "./_bucket_target.ts";
import { headObject, type ObjectWriteOptions } from "./bucket_objects.ts";
import { checkWriteSettings, writeHeadersFor } from "./object_write_options.ts";

/**
 * What `appendObject` appends: bytes it can hash before sending and send again on a retry.
 *
 * @example
 * ```ts
 * import type { AppendBody } from "@ossup/ossup";
 * import assert from "node:assert/strict";
 *
 * const bodies: AppendBody[] = ["a line\n", new Uint8Array([1, 2]), new Blob(["more"])];
 * assert.equal(bodies.length, 3);
 * ```
 */
export type AppendBody = Uint8Array | ArrayBuffer | Blob | string;

/**
 * Options of {@linkcode Bucket.appendObject}.
 *
 * @example
 * ```ts
 * import type { AppendObjectOptions } from "@ossup/ossup";
 * import assert from "node:assert/strict";
 *
 * const first: AppendObjectOptions = { position: 0, contentType: "text/plain" };
 * const next: AppendObjectOptions = { position: 6, crc64: 0x1234n };
 * assert.ok(next.position > first.position);
 * ```
 */
export interface AppendObjectOptions
  extends Omit<ObjectWriteOptions, "callback" | "forbidOverwrite" | "serverSideEncryptionKeyId"> {
  /**
   * Where the bytes go: the object's current length (0 creates the object). OSS refuses
   * any other value with `PositionNotEqualToLength`.
   */
  position: number;
  /**
   * CRC-64 of the object's bytes before this append (the `crc64` of the previous append's
   * result, or of `headObject`). Known (always, at position 0), the object's CRC-64 after
   * the append is checked against it combined with the body's, and an append whose answer
   * was lost (a retry then meets `PositionNotEqualToLength`) is recognised as landed.
   * Content headers (`contentType`, `meta`, `acl`, `tagging`...) apply at position 0 only,
   * as on OSS.
   */
  crc64?: bigint;
}

/**
 * What {@linkcode Bucket.appendObject} returns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AppendObjectResult, OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * const r: AppendObjectResult = await bucket.appendObject("log.txt", "one\n", { position: 0 });
 * const r2 = await bucket.appendObject("log.txt", "two\n", { position: r.nextPosition, crc64: r.crc64 });
 * assert.equal(r2.nextPosition, 8);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface AppendObjectResult extends ResponseInfo {
  /** Where the next append starts: the object's length now (`x-oss-next-append-position`). */
  nextPosition: number;
  /** CRC-64 of the whole object now, when the server sent it. */
  crc64?: bigint;
  /** ETag of the object now, as OSS sent it. */
  etag: string;
  /** Whether the object's CRC-64 was checked against the chain (needs `options.crc64` or position 0). */
  crc64Verified: boolean;
  /**
   * The append's own answer was lost and a retry met `PositionNotEqualToLength`: the object
   * was found holding exactly this append (length and CRC-64 chain), so it is reported done.
   */
  recovered: boolean;
}

/** Size and CRC-64 of an append body, read without keeping a Blob in memory. */
async function bodyDigest(body: AppendBody): Promise<{ size: number; crc64: bigint }> {
  if (typeof body === "string") body = new TextEncoder().encode(body);
  if (body instanceof ArrayBuffer) body = new Uint8Array(body);
  if (body instanceof Uint8Array) return { size: body.byteLength, crc64: crc64(body) };
  if (typeof Blob !== "undefined" && body instanceof Blob) {
    const crc = new Crc64();
    const reader = body.stream().getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      crc.update(value);
    }
    return { size: body.size, crc64: crc.digest() };
  }
  throw new TypeError(
    "appendObject body must be a Uint8Array, ArrayBuffer, Blob or string (for a file, use appendFile)",
  );
}

function checkPosition(position: unknown): asserts position is number {
  if (typeof position !== "number" || !Number.isSafeInteger(position) || position < 0) {
    throw new RangeError(
      `position must be an integer ≥ 0 (the object's current length; 0 for a new object); got ${
        String(position)
      }`,
    );
  }
}

/** Appends bytes at the end of an appendable object (AppendObject). See {@linkcode Bucket.appendObject}. */
export async function appendObject(
  b: BucketTarget,
  key: string,
  body: AppendBody,
  options: AppendObjectOptions,
): Promise<AppendObjectResult> {
  assertObjectKey(key);
  checkPosition(options?.position);
  checkWriteSettings(options);
  const { position } = options;
  const before = position === 0 ? 0n : options.crc64;
  const digest = await bodyDigest(body);
  const expected = before === undefined
    ? undefined
    : crc64Combine(before, digest.crc64, digest.size);
  let res;
  try {
    res = await b.sender.sendForText({
      ...requestOptions(options),
      operation: "AppendObject",
      bucket: b.name,
      key,
      query: [["append", undefined], ["position", String(position)]],
      headers: writeHeadersFor(options, "AppendObject"),
      body,
    });
  } catch (err) {
    const landed = await recognizeLanded(b, key, err, position + digest.size, expected, options);
    if (landed === undefined) throw err;
    return landed;
  }
  const crc = parseCrc64(res.headers.get("x-oss-hash-crc64ecma"));
  if (expected !== undefined && crc !== undefined && crc !== expected) {
    throw new IntegrityError(
      `${key}: after appending ${digest.size} bytes at ${position} the object's CRC64 is ${crc}, ` +
        `but the chain gives ${expected}`,
    );
  }
  const next = Number(res.headers.get("x-oss-next-append-position") ?? NaN);
  return {
    ...responseInfo(res.headers),
    nextPosition: Number.isSafeInteger(next) ? next : position + digest.size,
    crc64: crc,
    etag: res.headers.get("etag") ?? "",
    crc64Verified: expected !== undefined && crc !== undefined,
    recovered: false,
  };
}

/**
 * A `PositionNotEqualToLength` whose object ends exactly where this append would have
 * ended, with exactly the CRC-64 it would have given: the append landed and only its answer
 * was lost (the retry met the object it had made). `undefined` for anything else.
 */
async function recognizeLanded(
  b: BucketTarget,
  key: string,
  err: unknown,
  end: number,
  expected: bigint | undefined,
  options: AppendObjectOptions,
): Promise<AppendObjectResult | undefined> {
  if (
    !(err instanceof OssError) || err.code !== "PositionNotEqualToLength" ||
    err.nextAppendPosition !== end || expected === undefined
  ) return undefined;
  const now = await headObject(b, key, { signal: options.signal, timeout: options.timeout });
  if (now.size !== end || now.crc64 !== expected) return undefined;
  return {
    requestId: now.requestId,
    headers: now.headers,
    nextPosition: end,
    crc64: now.crc64,
    etag: now.etag,
    crc64Verified: true,
    recovered: true,
  };
}
