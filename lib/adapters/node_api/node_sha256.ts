/**
 * V4 signing's hashes on `node:crypto` (Node, and Deno and Bun, which
 * provide it): synchronous, 3–16 µs of CPU per signed request against
 * 60–95 µs for the asynchronous `crypto.subtle` jobs.
 *
 * @module
 */

import { createHash, createHmac, createSecretKey } from "node:crypto";
import type { Sha256Primitives } from "../../signing/signing.ts";

/**
 * {@linkcode Sha256Primitives} on `node:crypto`, which the Node, Deno and
 * Bun entries inject into their clients.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeSha256 } from "./node_sha256.ts";
 *
 * assert.equal(nodeSha256.sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
 * ```
 */
export const nodeSha256: Sha256Primitives = {
  sha256Hex: (text) => createHash("sha256").update(text, "utf8").digest("hex"),
  hmacSha256: (key) => (text) => {
    const mac = createHmac("sha256", key).update(text, "utf8").digest();
    return new Uint8Array(mac.buffer, mac.byteOffset, mac.byteLength);
  },
};

/**
 * {@linkcode nodeSha256} with each HMAC key imported once (`createSecretKey`), for the Node and
 * Bun entries: V4 signs every request of a day under one derived key, and a MAC under an
 * imported key costs 3 µs on Node instead of 9 (0.9 instead of 1.4 on Bun). Deno's entry keeps
 * {@linkcode nodeSha256}: there a MAC under a `KeyObject` costs 26 µs against 8.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keyedNodeSha256, nodeSha256 } from "./node_sha256.ts";
 *
 * const key = new Uint8Array(32).fill(7);
 * assert.deepEqual(keyedNodeSha256.hmacSha256(key)("text"), nodeSha256.hmacSha256(key)("text"));
 * ```
 */
export const keyedNodeSha256: Sha256Primitives = {
  sha256Hex: nodeSha256.sha256Hex,
  hmacSha256: (key) => {
    const imported = createSecretKey(key);
    return (text) => {
      const mac = createHmac("sha256", imported).update(text, "utf8").digest();
      return new Uint8Array(mac.buffer, mac.byteOffset, mac.byteLength);
    };
  },
};
