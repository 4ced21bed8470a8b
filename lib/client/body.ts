/**
 * Request bodies: values the client can send, and factories it calls again
 * on every attempt so that a retried request re-reads its bytes from the
 * source instead of keeping them all in memory.
 *
 * @module
 */

/**
 * Bytes the client can send as a request body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isReplayableBody, type OssBodyValue } from "@ossup/ossup";
 *
 * const bodies: OssBodyValue[] = ["hello", new TextEncoder().encode("hello"), new Blob(["hello"])];
 * assert.ok(bodies.every((body) => isReplayableBody(body)));
 * ```
 */
export type OssBodyValue =
  | Uint8Array
  | ArrayBuffer
  | Blob
  | string
  | ReadableStream<Uint8Array>;

/**
 * A request body: a value, or a factory called once per attempt.
 *
 * `Uint8Array`, `ArrayBuffer`, `Blob` and `string` bodies can be sent again
 * as they are. A bare `ReadableStream` can be read only once, so a request
 * with one is never retried; pass a factory returning a fresh stream (e.g.
 * `() => source.stream(offset, length)`) to make it retryable.
 *
 * @example A part re-read from its source on each attempt
 * ```ts
 * import assert from "node:assert/strict";
 * import { blobSource, type OssBody, OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * const source = blobSource(new Blob([new Uint8Array(4096)]));
 * let attempts = 0;
 * const body: OssBody = () => {
 *   attempts++;
 *   return source.slice?.(0, 1024) ?? source.stream(0, 1024);
 * };
 * await bucket.putObject("first-kilobyte", body);
 * assert.equal(attempts, 1); // called again only if the request is retried
 * assert.equal((await bucket.headObject("first-kilobyte")).size, 1024);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export type OssBody = OssBodyValue | (() => OssBodyValue | Promise<OssBodyValue>);

/**
 * Whether a body can be sent more than once (everything but a bare stream).
 *
 * @param body The body.
 * @returns `false` only for a bare `ReadableStream`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isReplayableBody } from "@ossup/ossup";
 *
 * assert.equal(isReplayableBody(new Uint8Array(3)), true);
 * assert.equal(isReplayableBody(new Blob(["x"]).stream()), false); // read once: never retried
 * assert.equal(isReplayableBody(() => new Blob(["x"]).stream()), true); // a fresh stream each time
 * ```
 */
export function isReplayableBody(body: OssBody | undefined): boolean {
  return !(body instanceof ReadableStream);
}

/**
 * A body value ready for `fetch`, with what the signer needs to know about it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type PreparedBody, prepareBody } from "./body.ts";
 *
 * const prepared: PreparedBody = await prepareBody("hello");
 * assert.deepEqual(prepared, { body: new TextEncoder().encode("hello"), isStream: false, length: 5 });
 * ```
 */
export interface PreparedBody {
  body: BodyInit | undefined;
  /** True when `fetch` needs `duplex: "half"`. */
  isStream: boolean;
  /** `Blob.type`, when the body is a typed Blob. */
  blobType?: string;
  /** Byte length when known without reading. */
  length?: number;
}

/**
 * Turns a body (calling it when it is a factory) into something `fetch` sends.
 *
 * @param body The body, or `undefined` for none.
 * @returns The value for `fetch` and facts about it.
 * @throws {TypeError} When the body (or what the factory returned) is of another type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prepareBody } from "./body.ts";
 *
 * const { length, isStream } = await prepareBody(() => new Uint8Array(5));
 * assert.equal(length, 5);
 * assert.equal(isStream, false);
 * ```
 */
export async function prepareBody(body: OssBody | undefined): Promise<PreparedBody> {
  const value = typeof body === "function" ? await body() : body;
  if (value === undefined) return { body: undefined, isStream: false, length: 0 };
  if (value instanceof ReadableStream) return { body: value, isStream: true };
  if (value instanceof Uint8Array) {
    return { body: value as Uint8Array<ArrayBuffer>, isStream: false, length: value.byteLength };
  }
  if (value instanceof ArrayBuffer) {
    return { body: value, isStream: false, length: value.byteLength };
  }
  if (value instanceof Blob) {
    return { body: value, isStream: false, blobType: value.type || undefined, length: value.size };
  }
  if (typeof value === "string") {
    const bytes = new TextEncoder().encode(value);
    return { body: bytes, isStream: false, length: bytes.byteLength };
  }
  throw new TypeError(
    "body must be a Uint8Array, ArrayBuffer, Blob, string, ReadableStream, or a function returning one",
  );
}
