/**
 * V1 signing's HMAC-SHA1 on `node:crypto` (Node, and Deno and Bun, which
 * provide it): synchronous, where each `crypto.subtle` call is an
 * asynchronous job.
 *
 * @module
 */

import { createHmac } from "node:crypto";
import type { Sha1Primitives } from "../../signing/signing.ts";

/**
 * {@linkcode Sha1Primitives} on `node:crypto`, which the Node, Deno and
 * Bun entries inject into their clients, and the local server into its
 * signature checks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeSha1 } from "./node_sha1.ts";
 *
 * const sign = nodeSha1.hmacSha1(new TextEncoder().encode("key"));
 * const mac = await sign("The quick brown fox jumps over the lazy dog"); // synchronous here
 * assert.equal(Buffer.from(mac).toString("hex"), "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9");
 * ```
 */
export const nodeSha1: Sha1Primitives = {
  hmacSha1: (key) => (text) => {
    const mac = createHmac("sha1", key).update(text, "utf8").digest();
    return new Uint8Array(mac.buffer, mac.byteOffset, mac.byteLength);
  },
};
