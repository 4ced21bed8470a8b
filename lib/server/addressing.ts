/**
 * How a request names its bucket and key: path-style (`/bucket/key`) or
 * virtual-hosted (`Host: bucket.<any host>`), with the key percent-decoded
 * exactly once (`+` decodes to a space, `%2F` and `/` both give `/`).
 *
 * @module
 */

import { ServerError } from "./server_error.ts";

/** Bucket and key a request addresses. */
export interface Address {
  /** `undefined` for service-level requests (ListBuckets). */
  bucket?: string;
  /** Decoded key; `undefined` for bucket-level requests. */
  key?: string;
  /** Whether the bucket came from the Host header. */
  virtualHosted: boolean;
}

/** Options of {@linkcode resolveAddress}. */
export interface AddressingOptions {
  /**
   * Host names (without port, lower case) that address the service itself,
   * so a bucket in front of one of them is split off exactly. IP addresses,
   * `localhost` and `oss-*.aliyuncs.com` always do. Default: none more.
   */
  serviceHosts?: string[];
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const OSS_SERVICE_HOST = /^oss(-[a-z0-9]+)+(-internal)?\.aliyuncs\.com$/;

/**
 * The host name of a `Host` header, lower case, without the port.
 *
 * @param host The header value.
 * @returns The host name (`""` when absent).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostName } from "./addressing.ts";
 *
 * assert.equal(hostName("Bucket.OSS-cn-hangzhou.aliyuncs.com:8080"), "bucket.oss-cn-hangzhou.aliyuncs.com");
 * ```
 */
export function hostName(host: string | null | undefined): string {
  if (!host) return "";
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return colon === -1 ? h : h.slice(0, colon);
}

/**
 * The bucket a `Host` header names in virtual-hosted style, if any.
 *
 * An IP address, `localhost`, a host without a dot, a configured service
 * host or an OSS region endpoint (`oss-cn-hangzhou.aliyuncs.com`) names no
 * bucket. `bucket.<service host>` names `bucket`; any other `a.b...` names
 * its first label, so `Host: bucket.oss-cn-hangzhou.aliyuncs.com` sent to an
 * IP endpoint (as ali-oss does) works.
 *
 * @param host The `Host` header.
 * @param options Extra service hosts.
 * @returns The bucket, or `undefined` for path-style.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bucketFromHost } from "./addressing.ts";
 *
 * assert.equal(bucketFromHost("b1.oss-cn-hangzhou.aliyuncs.com"), "b1");
 * assert.equal(bucketFromHost("127.0.0.1:9000"), undefined);
 * ```
 */
export function bucketFromHost(
  host: string | null | undefined,
  options: AddressingOptions = {},
): string | undefined {
  const name = hostName(host);
  if (name === "" || name.startsWith("[") || IPV4.test(name) || name === "localhost") {
    return undefined;
  }
  if (OSS_SERVICE_HOST.test(name)) return undefined;
  for (const service of options.serviceHosts ?? []) {
    const s = service.toLowerCase();
    if (name === s) return undefined;
    if (name.endsWith("." + s)) {
      const bucket = name.slice(0, -s.length - 1);
      return bucket.includes(".") ? undefined : bucket;
    }
  }
  const dot = name.indexOf(".");
  if (dot <= 0 || dot === name.length - 1) return undefined;
  return name.slice(0, dot);
}

/**
 * Percent-decodes a path or query component once, `+` giving a space.
 *
 * @param raw The component as sent.
 * @returns The decoded string.
 * @throws {ServerError} `InvalidURI` (400) when it is not valid percent-encoded UTF-8.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeComponent } from "./addressing.ts";
 *
 * assert.equal(decodeComponent("dir%2Fa%2Bb+c.bin"), "dir/a+b c.bin");
 * ```
 */
export function decodeComponent(raw: string): string {
  const s = raw.replaceAll("+", " ");
  if (!s.includes("%")) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ServerError(400, "InvalidURI", "The URI is not valid percent-encoded UTF-8.");
  }
}

/**
 * The raw (still percent-encoded) path and query of a request URL, without
 * re-parsing it (a `URL` would normalise dot segments again).
 *
 * @param url An absolute URL as the runtime built it.
 * @returns The path (starting with `/`) and the query without `?` (`""` when none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitUrl } from "./addressing.ts";
 *
 * assert.deepEqual(splitUrl("http://h:1/b/k?uploads"), { path: "/b/k", query: "uploads" });
 * ```
 */
export function splitUrl(url: string): { path: string; query: string } {
  const scheme = url.indexOf("://");
  const start = scheme === -1 ? 0 : url.indexOf("/", scheme + 3);
  if (start === -1) return { path: "/", query: "" };
  const hash = url.indexOf("#", start);
  const end = hash === -1 ? url.length : hash;
  const q = url.indexOf("?", start);
  if (q === -1 || q > end) return { path: url.slice(start, end), query: "" };
  return { path: url.slice(start, q), query: url.slice(q + 1, end) };
}

/**
 * Parses a raw query string into decoded pairs in order; a parameter
 * without `=` (like `uploads`) has the value `undefined`.
 *
 * @param raw The query without `?`.
 * @returns The pairs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseQuery } from "./addressing.ts";
 *
 * assert.deepEqual(parseQuery("uploadId=A1&partNumber=2&acl"), [
 *   ["uploadId", "A1"],
 *   ["partNumber", "2"],
 *   ["acl", undefined],
 * ]);
 * ```
 */
export function parseQuery(raw: string): [string, string | undefined][] {
  const out: [string, string | undefined][] = [];
  if (raw === "") return out;
  for (const part of raw.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq === -1) out.push([decodeComponent(part), undefined]);
    else out.push([decodeComponent(part.slice(0, eq)), decodeComponent(part.slice(eq + 1))]);
  }
  return out;
}

/**
 * Resolves the bucket and key of a request from its raw path and `Host` header.
 *
 * @param rawPath The path as sent (percent-encoded), starting with `/`.
 * @param host The `Host` header.
 * @param options Extra service hosts.
 * @returns Bucket and decoded key.
 * @throws {ServerError} `InvalidURI` for bad percent-encoding.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveAddress } from "./addressing.ts";
 *
 * assert.deepEqual(
 *   resolveAddress("/b/dir%2Fa%2Bb+c.bin", "127.0.0.1:9000"),
 *   { bucket: "b", key: "dir/a+b c.bin", virtualHosted: false },
 * );
 * assert.deepEqual(
 *   resolveAddress("/dir/x.txt", "b.oss-cn-hangzhou.aliyuncs.com"),
 *   { bucket: "b", key: "dir/x.txt", virtualHosted: true },
 * );
 * ```
 */
export function resolveAddress(
  rawPath: string,
  host: string | null | undefined,
  options: AddressingOptions = {},
): Address {
  const path = rawPath.startsWith("/") ? rawPath.slice(1) : rawPath;
  const hostBucket = bucketFromHost(host, options);
  if (hostBucket !== undefined) {
    return {
      bucket: hostBucket,
      key: path === "" ? undefined : decodeComponent(path),
      virtualHosted: true,
    };
  }
  if (path === "") return { virtualHosted: false };
  const slash = path.indexOf("/");
  const rawBucket = slash === -1 ? path : path.slice(0, slash);
  const rawKey = slash === -1 ? "" : path.slice(slash + 1);
  return {
    bucket: decodeComponent(rawBucket),
    key: rawKey === "" ? undefined : decodeComponent(rawKey),
    virtualHosted: false,
  };
}

/**
 * Checks a bucket name against OSS's rules: 3–63 characters of lower-case
 * letters, digits and hyphens, starting and ending with a letter or digit.
 *
 * @param name The bucket name.
 * @throws {ServerError} `InvalidBucketName` (400).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkBucketName } from "./addressing.ts";
 *
 * checkBucketName("my-bucket-1"); // ok
 * assert.throws(() => checkBucketName("My_Bucket"), { code: "InvalidBucketName", status: 400 });
 * ```
 */
export function checkBucketName(name: string): void {
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name)) {
    throw new ServerError(400, "InvalidBucketName", "The specified bucket is not valid.", {
      BucketName: name,
    });
  }
}

const KEY_BYTES_MAX = 1023;

/**
 * Checks an object key against OSS's rules: 1–1023 bytes of UTF-8, not
 * starting with `/` or `\`, and without NUL, which no XML document (a
 * listing, an error) can carry, even as `&#0;`.
 *
 * @param key The decoded key.
 * @throws {ServerError} `InvalidObjectName` (400).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkObjectKey } from "./addressing.ts";
 *
 * checkObjectKey("dir/a+b c.bin"); // ok
 * assert.throws(() => checkObjectKey(""), { code: "InvalidObjectName", status: 400 });
 * ```
 */
export function checkObjectKey(key: string): void {
  if (key.length === 0 || new TextEncoder().encode(key).length > KEY_BYTES_MAX) {
    throw new ServerError(
      400,
      "InvalidObjectName",
      `The length of the object name must be between 1 and ${KEY_BYTES_MAX} bytes.`,
    );
  }
  if (key.startsWith("/") || key.startsWith("\\")) {
    throw new ServerError(
      400,
      "InvalidObjectName",
      "The object name must not start with '/' or '\\'.",
    );
  }
  if (key.includes("\0")) {
    throw new ServerError(
      400,
      "InvalidObjectName",
      "The object name must not contain the NUL character (%00).",
      { EC: "0016-00000002" },
    );
  }
}
