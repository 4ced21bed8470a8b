/**
 * Reading what a client signed: the `Authorization` header parsers and a constant-time
 * signature comparison. Only the local server verifies; signing itself is in lib/signing/.
 *
 * @module
 */

import { ALGORITHM_V4 } from "../signing/signing.ts";

/** The fields of a V4 `Authorization` header; see {@linkcode parseAuthorizationV4}. */
export interface AuthorizationV4 {
  /** The AccessKey ID of the credential. */
  accessKeyId: string;
  /** The scope's day, `yyyymmdd`. */
  day: string;
  /** The scope's region, e.g. `"cn-hangzhou"`. */
  region: string;
  /** The scope's product, `"oss"` (or `"oss-cloudbox"`). */
  product: string;
  /** The signed additional headers, as listed (lower case, sorted by the signer). */
  additionalHeaders: string[];
  /** The signature, lower-case hex. */
  signature: string;
}

/** The fields of a V1 `Authorization` header; see {@linkcode parseAuthorizationV1}. */
export interface AuthorizationV1 {
  /** The AccessKey ID. */
  accessKeyId: string;
  /** The signature, base64. */
  signature: string;
}

/**
 * Parses a V4 `Authorization` header
 * (`OSS4-HMAC-SHA256 Credential=ak/day/region/oss/aliyun_v4_request,AdditionalHeaders=a;b,Signature=hex`).
 * Returns `undefined` when the value is not of that form.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAuthorizationV4 } from "./_authorization.ts";
 *
 * assert.deepEqual(
 *   parseAuthorizationV4("OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d"),
 *   { accessKeyId: "ak", day: "20231216", region: "cn-hangzhou", product: "oss", additionalHeaders: [], signature: "e21d" },
 * );
 * ```
 */
export function parseAuthorizationV4(value: string): AuthorizationV4 | undefined {
  const prefix = `${ALGORITHM_V4} `;
  if (!value.startsWith(prefix)) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(prefix.length).split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) return undefined;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = parseCredentialV4(fields.get("Credential") ?? "");
  const signature = fields.get("Signature");
  if (!credential || !signature) return undefined;
  const additional = fields.get("AdditionalHeaders");
  return {
    ...credential,
    additionalHeaders: additional ? additional.split(";") : [],
    signature,
  };
}

/**
 * Parses the V4 credential `ak/yyyymmdd/region/product/aliyun_v4_request` (the `Credential=` of
 * `Authorization`, or the `x-oss-credential` parameter of a presigned URL). Returns `undefined`
 * when the value is not of that form.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCredentialV4 } from "./_authorization.ts";
 *
 * assert.deepEqual(
 *   parseCredentialV4("ak/20231216/cn-hangzhou/oss/aliyun_v4_request"),
 *   { accessKeyId: "ak", day: "20231216", region: "cn-hangzhou", product: "oss" },
 * );
 * ```
 */
export function parseCredentialV4(
  value: string,
): { accessKeyId: string; day: string; region: string; product: string } | undefined {
  const parts = value.split("/");
  if (parts.length !== 5 || parts[4] !== "aliyun_v4_request") return undefined;
  const [accessKeyId, day, region, product] = parts;
  if (!accessKeyId || !/^\d{8}$/.test(day) || !region || !product) return undefined;
  return { accessKeyId, day, region, product };
}

/**
 * Parses a V1 `Authorization` header (`OSS ak:signature`). Returns `undefined` when the value is
 * not of that form.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAuthorizationV1 } from "./_authorization.ts";
 *
 * assert.deepEqual(
 *   parseAuthorizationV1("OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M="),
 *   { accessKeyId: "ak", signature: "kSHKmLxlyEAKtZPkJhG9bZb5k7M=" },
 * );
 * ```
 */
export function parseAuthorizationV1(value: string): AuthorizationV1 | undefined {
  if (!value.startsWith("OSS ")) return undefined;
  const rest = value.slice(4).trim();
  const colon = rest.indexOf(":");
  if (colon <= 0 || colon === rest.length - 1) return undefined;
  return { accessKeyId: rest.slice(0, colon), signature: rest.slice(colon + 1) };
}

/**
 * Compares two signatures in time independent of where they differ, so that a verifier does not
 * leak how much of a guessed signature is right.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signaturesEqual } from "./_authorization.ts";
 *
 * assert.equal(signaturesEqual("abc", "abc"), true);
 * assert.equal(signaturesEqual("abc", "abd"), false);
 * ```
 */
export function signaturesEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  }
  return diff === 0;
}
