/**
 * Where requests go: parsing an OSS endpoint, deriving its region, choosing
 * path-style or virtual-hosted addressing, and building request URLs.
 *
 * @module
 */

/**
 * An endpoint parsed by {@linkcode parseEndpoint}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type OssEndpoint, parseEndpoint } from "@ossup/ossup";
 *
 * const ep: OssEndpoint = parseEndpoint("http://127.0.0.1:9000");
 * assert.deepEqual(ep, { protocol: "http:", hostname: "127.0.0.1", host: "127.0.0.1:9000", isIpOrLocalhost: true });
 * ```
 */
export interface OssEndpoint {
  /** `"https:"` or `"http:"`. */
  protocol: "https:" | "http:";
  /** Host name without port, e.g. `"oss-cn-hangzhou.aliyuncs.com"` or `"127.0.0.1"`. */
  hostname: string;
  /** Host with port when one was given, e.g. `"127.0.0.1:9000"`. */
  host: string;
  /** True for an IP address or `localhost`, which get path-style addressing by default. */
  isIpOrLocalhost: boolean;
}

const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;

/**
 * Parses an OSS endpoint: a bare host (`"oss-cn-hangzhou.aliyuncs.com"`,
 * HTTPS assumed), a host with port, or a URL with `http://` or `https://`.
 *
 * @param endpoint The endpoint as the user wrote it.
 * @returns Its protocol and host.
 * @throws {TypeError} When it is empty, has another scheme, or carries a path, query or credentials.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseEndpoint } from "@ossup/ossup";
 *
 * assert.equal(parseEndpoint("oss-cn-hangzhou.aliyuncs.com").protocol, "https:");
 * assert.equal(parseEndpoint("http://127.0.0.1:9000").isIpOrLocalhost, true);
 * ```
 */
export function parseEndpoint(endpoint: string): OssEndpoint {
  if (typeof endpoint !== "string" || endpoint.trim() === "") {
    throw new TypeError("endpoint must be a non-empty string, e.g. 'oss-cn-hangzhou.aliyuncs.com'");
  }
  const text = endpoint.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new TypeError(`endpoint is not a valid host or URL: ${text}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TypeError(`endpoint must use http or https, not ${url.protocol}`);
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    throw new TypeError(`endpoint must be a host without path or query: ${text}`);
  }
  if (url.username || url.password) {
    throw new TypeError("endpoint must not carry credentials");
  }
  const hostname = url.hostname;
  const bare = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  const isIpOrLocalhost = IPV4.test(bare) || bare.includes(":") || bare === "localhost";
  return { protocol: url.protocol, hostname, host: url.host, isIpOrLocalhost };
}

/**
 * Derives the region from an Alibaba Cloud OSS endpoint host:
 * `oss-cn-hangzhou.aliyuncs.com` and `oss-cn-hangzhou-internal.aliyuncs.com`
 * give `"cn-hangzhou"`. Other hosts (IP addresses, acceleration endpoints,
 * custom domains) give `undefined`.
 *
 * @param hostname The endpoint's host name.
 * @returns The region ID, or `undefined` when the host does not name one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { regionFromEndpoint } from "@ossup/ossup";
 *
 * assert.equal(regionFromEndpoint("oss-cn-hangzhou.aliyuncs.com"), "cn-hangzhou");
 * assert.equal(regionFromEndpoint("127.0.0.1"), undefined);
 * ```
 */
export function regionFromEndpoint(hostname: string): string | undefined {
  const match = /^oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$/i.exec(hostname);
  if (!match) return undefined;
  const region = match[1].toLowerCase();
  // Global endpoints name no region.
  if (region === "accelerate" || region === "accelerate-overseas") return undefined;
  return region;
}

/**
 * The region a client signs for at an IP address or `localhost` endpoint when
 * given none: `"cn-hangzhou"`, the region ossup's local server (and the
 * `ossup` command line) use by default. Such an endpoint is a local or test
 * server, whose host name cannot name a region.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LOCAL_ENDPOINT_REGION, OssClient } from "@ossup/ossup";
 *
 * const client = new OssClient({ endpoint: "http://127.0.0.1:9000", accessKeyId: "ak", accessKeySecret: "sk" });
 * assert.equal(client.region, LOCAL_ENDPOINT_REGION);
 * ```
 */
export const LOCAL_ENDPOINT_REGION = "cn-hangzhou";

/** Bytes of a key that stay literal in a URL path: RFC 3986 unreserved characters and `/`. */
const PATH_SAFE = /[A-Za-z0-9\-_.~/]/;
const PATH_SAFE_KEY = /^[A-Za-z0-9\-_.~/]*$/;
const DOT_SEGMENT = /(^|\/)\.\.?(\/|$)/;

function escapeChar(ch: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(ch)) {
    out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/**
 * Escapes an object key for a URL path: everything but unreserved characters
 * and `/` is percent-encoded as UTF-8. A key with a `.` or `..` segment has
 * its `/` escaped too, so that URL parsers cannot collapse the segments
 * (OSS decodes `%2F` back to `/`).
 *
 * @param key The object key.
 * @returns The escaped path (without a leading `/`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeKey } from "./endpoint.ts";
 *
 * assert.equal(escapeKey("dir/a+b c.bin"), "dir/a%2Bb%20c.bin");
 * ```
 */
export function escapeKey(key: string): string {
  // Most keys need no escaping: one test instead of a test per character.
  if (PATH_SAFE_KEY.test(key) && !DOT_SEGMENT.test(key)) return key;
  const hasDotSegment = key.split("/").some((s) => s === "." || s === "..");
  let out = "";
  for (const ch of key) {
    if (ch === "/" && hasDotSegment) out += "%2F";
    else out += PATH_SAFE.test(ch) ? ch : escapeChar(ch);
  }
  return out;
}

/**
 * Escapes a query parameter name or value (RFC 3986: everything but
 * unreserved characters is percent-encoded).
 *
 * @param value The raw text.
 * @returns The escaped text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeQuery } from "./endpoint.ts";
 *
 * assert.equal(escapeQuery("a b/c"), "a%20b%2Fc");
 * ```
 */
export function escapeQuery(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

/**
 * What {@linkcode buildUrl} addresses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseEndpoint } from "@ossup/ossup";
 * import { buildUrl, type UrlParts } from "./endpoint.ts";
 *
 * const parts: UrlParts = { bucket: "b", key: "k", query: [["uploads", undefined]] };
 * const url = buildUrl(parseEndpoint("oss-cn-hangzhou.aliyuncs.com"), false, parts);
 * assert.equal(url, "https://b.oss-cn-hangzhou.aliyuncs.com/k?uploads");
 * ```
 */
export interface UrlParts {
  /** Bucket, or `undefined` for a service-level request such as ListBuckets. */
  bucket?: string;
  /** Object key, raw. */
  key?: string;
  /** Query parameters; an `undefined` value is a bare flag such as `uploads`. */
  query?: readonly (readonly [string, string | undefined])[];
}

/**
 * Builds the URL of a request: `https://bucket.host/key` (virtual-hosted) or
 * `https://host/bucket/key` (path-style).
 *
 * @param endpoint The parsed endpoint.
 * @param pathStyle Whether the bucket goes into the path.
 * @param parts Bucket, key and query.
 * @returns The URL as a string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseEndpoint } from "@ossup/ossup";
 * import { buildUrl } from "./endpoint.ts";
 *
 * const ep = parseEndpoint("oss-cn-hangzhou.aliyuncs.com");
 * assert.equal(
 *   buildUrl(ep, false, { bucket: "b", key: "a b.txt", query: [["uploads", undefined]] }),
 *   "https://b.oss-cn-hangzhou.aliyuncs.com/a%20b.txt?uploads",
 * );
 * // Path-style, as the client addresses an IP endpoint:
 * const local = parseEndpoint("http://127.0.0.1:9000");
 * assert.equal(buildUrl(local, true, { bucket: "b", key: "k" }), "http://127.0.0.1:9000/b/k");
 * ```
 */
export function buildUrl(endpoint: OssEndpoint, pathStyle: boolean, parts: UrlParts): string {
  const { bucket, key } = parts;
  let origin = `${endpoint.protocol}//${endpoint.host}`;
  let path = "/";
  if (bucket !== undefined) {
    if (pathStyle) path += `${bucket}/`;
    else origin = `${endpoint.protocol}//${bucket}.${endpoint.host}`;
    if (key !== undefined) path += escapeKey(key);
  }
  const query = (parts.query ?? [])
    .map(([k, v]) => (v === undefined ? escapeQuery(k) : `${escapeQuery(k)}=${escapeQuery(v)}`))
    .join("&");
  return origin + path + (query ? `?${query}` : "");
}

/**
 * Checks a bucket name against OSS's rules: 3 to 63 characters of lower-case
 * letters, digits and hyphens, starting and ending with a letter or digit.
 *
 * @param name The bucket name.
 * @throws {TypeError} When the name breaks the rules.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertBucketName } from "./endpoint.ts";
 *
 * assertBucketName("my-bucket"); // ok
 * assert.throws(() => assertBucketName("My_Bucket"), {
 *   name: "TypeError",
 *   message: 'invalid bucket name "My_Bucket": 3-63 lower-case letters, digits and hyphens',
 * });
 * ```
 */
export function assertBucketName(name: string): void {
  if (typeof name !== "string" || !/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name)) {
    throw new TypeError(
      `invalid bucket name ${JSON.stringify(name)}: 3-63 lower-case letters, digits and hyphens`,
    );
  }
}

/**
 * Checks an object key: a non-empty string of at most 1023 UTF-8 bytes, and
 * not `.` or `..` alone: URL parsers (`fetch`'s included) collapse those into
 * the bucket's own path, so `PUT /bucket/.` would reach the bucket, not a key.
 *
 * @param key The object key.
 * @throws {TypeError} When the key is empty, not a string, too long, or `.`/`..`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertObjectKey } from "./endpoint.ts";
 *
 * assertObjectKey("dir/file.bin"); // ok
 * assert.throws(() => assertObjectKey(""), TypeError);
 * ```
 */
export function assertObjectKey(key: string): void {
  if (typeof key !== "string" || key === "") {
    throw new TypeError("object key must be a non-empty string");
  }
  if (new TextEncoder().encode(key).length > 1023) {
    throw new TypeError("object key must be at most 1023 bytes of UTF-8");
  }
  if (key === "." || key === "..") {
    throw new TypeError(
      `object key "${key}" cannot be addressed in a URL; a key may hold "." and ".." only beside other text`,
    );
  }
}
