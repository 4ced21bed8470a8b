/**
 * The options a caller sets on an object being written (ACL, storage class, tagging,
 * encryption, overwrite protection, upload callback, traffic limit, requester pays), checked
 * before any request and turned into OSS's headers for each request of a write: PutObject
 * carries them all; a multipart upload spreads them over InitiateMultipartUpload, UploadPart
 * and CompleteMultipartUpload as OSS documents (and as the Go SDK v2's request types place
 * them); a copy over CopyObject or InitiateMultipartUpload and UploadPartCopy. One module for
 * `putObject`, `uploadFile`, `uploadStream` and `copyFile`.
 *
 * @module
 */

import type { OssOperation } from "./operations.ts";

/**
 * An object ACL (`x-oss-object-acl`); `"default"` inherits the bucket's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OBJECT_ACLS, type ObjectAcl } from "@ossup/ossup";
 *
 * const acl: ObjectAcl = "public-read";
 * assert.ok(OBJECT_ACLS.includes(acl));
 * ```
 */
export type ObjectAcl = "default" | "private" | "public-read" | "public-read-write";

/**
 * The object ACLs OSS accepts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OBJECT_ACLS } from "@ossup/ossup";
 *
 * assert.ok(OBJECT_ACLS.includes("private"));
 * ```
 */
export const OBJECT_ACLS: readonly ObjectAcl[] = [
  "default",
  "private",
  "public-read",
  "public-read-write",
];

/**
 * A storage class (`x-oss-storage-class`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { STORAGE_CLASSES, type StorageClass } from "@ossup/ossup";
 *
 * const cold: StorageClass = "ColdArchive";
 * assert.ok(STORAGE_CLASSES.includes(cold));
 * ```
 */
export type StorageClass = "Standard" | "IA" | "Archive" | "ColdArchive" | "DeepColdArchive";

/**
 * The storage classes OSS accepts for an object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { STORAGE_CLASSES } from "@ossup/ossup";
 *
 * assert.ok(STORAGE_CLASSES.includes("IA"));
 * ```
 */
export const STORAGE_CLASSES: readonly StorageClass[] = [
  "Standard",
  "IA",
  "Archive",
  "ColdArchive",
  "DeepColdArchive",
];

/**
 * A server-side encryption algorithm (`x-oss-server-side-encryption`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SERVER_SIDE_ENCRYPTIONS, type ServerSideEncryption } from "@ossup/ossup";
 *
 * const sse: ServerSideEncryption = "KMS";
 * assert.ok(SERVER_SIDE_ENCRYPTIONS.includes(sse));
 * ```
 */
export type ServerSideEncryption = "AES256" | "KMS" | "SM4";

/**
 * The server-side encryption algorithms OSS accepts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SERVER_SIDE_ENCRYPTIONS } from "@ossup/ossup";
 *
 * assert.deepEqual(SERVER_SIDE_ENCRYPTIONS, ["AES256", "KMS", "SM4"]);
 * ```
 */
export const SERVER_SIDE_ENCRYPTIONS: readonly ServerSideEncryption[] = ["AES256", "KMS", "SM4"];

/**
 * Object tags: a record of key → value, or an already encoded `k1=v1&k2=v2` string (each
 * key and value URL-encoded), as `x-oss-tagging` carries them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ObjectTagging } from "@ossup/ossup";
 *
 * const tags: ObjectTagging = { project: "apollo", "retention:days": "30" };
 * const same: ObjectTagging = "project=apollo&retention%3Adays=30";
 * assert.equal(new URLSearchParams(same).get("retention:days"), tags["retention:days"]);
 * ```
 */
export type ObjectTagging = Record<string, string> | string;

/**
 * Most tags an object may have (OSS: 10).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_OBJECT_TAGS } from "@ossup/ossup";
 *
 * assert.equal(MAX_OBJECT_TAGS, 10);
 * ```
 */
export const MAX_OBJECT_TAGS = 10;
/**
 * Longest tag key, in characters (OSS: 128).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_TAG_KEY_LENGTH } from "@ossup/ossup";
 *
 * assert.equal(MAX_TAG_KEY_LENGTH, 128);
 * ```
 */
export const MAX_TAG_KEY_LENGTH = 128;
/**
 * Longest tag value, in characters (OSS: 256).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_TAG_VALUE_LENGTH } from "@ossup/ossup";
 *
 * assert.equal(MAX_TAG_VALUE_LENGTH, 256);
 * ```
 */
export const MAX_TAG_VALUE_LENGTH = 256;

/**
 * The lowest `trafficLimit`, in bit/s (OSS documents 819,200, that is 100 KB/s, in
 * "Single-connection bandwidth throttling" and error 0004-00000502).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MIN_TRAFFIC_LIMIT } from "@ossup/ossup";
 *
 * assert.equal(MIN_TRAFFIC_LIMIT, 100 * 1024 * 8); // 100 KB/s
 * ```
 */
export const MIN_TRAFFIC_LIMIT = 819_200;
/**
 * The highest `trafficLimit`, in bit/s (OSS: 838,860,800, that is 100 MB/s).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_TRAFFIC_LIMIT } from "@ossup/ossup";
 *
 * assert.equal(MAX_TRAFFIC_LIMIT, 100 * 1024 * 1024 * 8); // 100 MB/s
 * ```
 */
export const MAX_TRAFFIC_LIMIT = 838_860_800;

/**
 * An OSS upload callback: after the object is stored, OSS POSTs `body` to `url` and hands
 * the callback server's answer back as the upload's result (`callbackResult`). When the
 * callback fails the object is stored all the same and the upload fails with
 * `CallbackFailedError` (OSS's 203 `CallbackFailed`).
 *
 * `body` may use OSS's system variables `${bucket}`, `${object}`, `${etag}`, `${size}`,
 * `${mimeType}` and the custom ones of `vars` as `${x:name}`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { UploadCallback } from "@ossup/ossup";
 *
 * // bucket.putObject("a.txt", "hi", { callback }) then has the app's answer as `callbackResult`.
 * const callback: UploadCallback = {
 *   url: "https://app.example.com/uploaded",
 *   body: "bucket=${bucket}&object=${object}&size=${size}&uid=${x:uid}",
 *   vars: { uid: "42" },
 * };
 * assert.ok(callback.body.includes("${x:uid}"));
 * ```
 */
export interface UploadCallback {
  /** The callback server's URL (`callbackUrl`), `http://` or `https://`. */
  url: string;
  /** The body OSS POSTs (`callbackBody`), with variables substituted. Not empty. */
  body: string;
  /**
   * The body's content type (`callbackBodyType`).
   * @default {"application/x-www-form-urlencoded"}
   */
  bodyType?: "application/x-www-form-urlencoded" | "application/json";
  /** The `Host` header of the callback request (`callbackHost`). Default: the URL's host. */
  host?: string;
  /**
   * Custom variables, sent as `x-oss-callback-var` under `x:<name>`: names of lower-case
   * letters, digits and `_` (without the `x:`, which is added).
   */
  vars?: Record<string, string>;
}

/**
 * What a caller may set on an object being written, besides its bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_TRAFFIC_LIMIT, type ObjectWriteSettings } from "@ossup/ossup";
 *
 * const settings: ObjectWriteSettings = {
 *   acl: "private",
 *   storageClass: "IA",
 *   tagging: { project: "apollo" },
 *   serverSideEncryption: "AES256",
 *   forbidOverwrite: true,
 *   trafficLimit: 8 * 1024 * 1024 * 8, // 8 MB/s
 * };
 * assert.ok(settings.trafficLimit! <= MAX_TRAFFIC_LIMIT);
 * ```
 */
export interface ObjectWriteSettings {
  /**
   * `Content-Type` of the object. Default: `putObject`: a Blob's type, else by the key's
   * extension; `uploadFile`: by the file's extension, else the key's; `uploadStream`: by the
   * key's (`contentTypeByName`, the `mime` package's table); else
   * `application/octet-stream`.
   */
  contentType?: string;
  /** `Cache-Control` of the object, sent back when it is read, e.g. `"max-age=3600"`. */
  cacheControl?: string;
  /** `Content-Disposition` of the object, e.g. `'attachment; filename="report.pdf"'`. */
  contentDisposition?: string;
  /** User metadata, sent as `x-oss-meta-<name>` (ASCII values). */
  meta?: Record<string, string>;
  /** Object ACL (`x-oss-object-acl`). Default: the bucket's (`"default"`). */
  acl?: ObjectAcl;
  /** Storage class (`x-oss-storage-class`). Default: the bucket's. */
  storageClass?: StorageClass;
  /** Object tags (`x-oss-tagging`): at most 10, keys ≤ 128 and values ≤ 256 characters. */
  tagging?: ObjectTagging;
  /** Server-side encryption (`x-oss-server-side-encryption`). */
  serverSideEncryption?: ServerSideEncryption;
  /** The KMS key of `serverSideEncryption: "KMS"` (`x-oss-server-side-encryption-key-id`). */
  serverSideEncryptionKeyId?: string;
  /**
   * Refuse to replace an existing object (`x-oss-forbid-overwrite: true`): the write fails
   * with `ObjectExistsError` (OSS's `FileAlreadyExists`).
   * @default {false}
   */
  forbidOverwrite?: boolean;
  /** An upload callback (`x-oss-callback`, `x-oss-callback-var`); see {@linkcode UploadCallback}. */
  callback?: UploadCallback;
  /**
   * Bandwidth cap of each data request (`x-oss-traffic-limit`), in bit/s, from 819,200
   * (100 KB/s) to 838,860,800 (100 MB/s).
   */
  trafficLimit?: number;
  /** `"requester"` to have the requester pay for a requester-pays bucket (`x-oss-request-payer`). */
  requestPayer?: "requester";
}

/** One setting, as the name of its field. */
type Setting = keyof ObjectWriteSettings;

const ALL_SETTINGS: readonly Setting[] = [
  "contentType",
  "cacheControl",
  "contentDisposition",
  "meta",
  "acl",
  "storageClass",
  "tagging",
  "serverSideEncryption",
  "serverSideEncryptionKeyId",
  "forbidOverwrite",
  "callback",
  "trafficLimit",
  "requestPayer",
];

/**
 * Which settings each request of a write carries, as OSS documents each request's headers
 * (and as the Go SDK v2's request types place them): an ACL set at InitiateMultipartUpload is
 * not honoured by OSS, so it goes with CompleteMultipartUpload; the callback fires on the
 * request that makes the object; the traffic limit is on every request that carries data.
 */
export const WRITE_SETTINGS_BY_OPERATION: Partial<Record<OssOperation, readonly Setting[]>> = {
  PutObject: ALL_SETTINGS,
  InitiateMultipartUpload: [
    "contentType",
    "cacheControl",
    "contentDisposition",
    "meta",
    "storageClass",
    "tagging",
    "serverSideEncryption",
    "serverSideEncryptionKeyId",
    "forbidOverwrite",
    "requestPayer",
  ],
  UploadPart: ["trafficLimit", "requestPayer"],
  CompleteMultipartUpload: ["acl", "forbidOverwrite", "callback", "requestPayer"],
  CopyObject: ALL_SETTINGS.filter((s) => s !== "callback"),
  UploadPartCopy: ["trafficLimit", "requestPayer"],
  // OSS's AppendObject takes no callback, and no KMS key id for an appendable object.
  AppendObject: [
    "contentType",
    "cacheControl",
    "contentDisposition",
    "meta",
    "acl",
    "storageClass",
    "tagging",
    "serverSideEncryption",
    "trafficLimit",
    "requestPayer",
  ],
};

/** The settings of `options` (which may hold other fields too), without the others. */
export function pickWriteSettings(options: ObjectWriteSettings): ObjectWriteSettings {
  const picked: Record<string, unknown> = {};
  for (const name of ALL_SETTINGS) {
    if (options[name] !== undefined) picked[name] = options[name];
  }
  return picked as ObjectWriteSettings;
}

/**
 * The settings of `options` that request `operation` carries (see
 * {@linkcode WRITE_SETTINGS_BY_OPERATION}): what an engine hands each call of a multipart write.
 */
export function settingsFor(
  options: ObjectWriteSettings,
  operation: OssOperation,
): ObjectWriteSettings {
  const picked: Record<string, unknown> = {};
  for (const name of WRITE_SETTINGS_BY_OPERATION[operation] ?? []) {
    if (options[name] !== undefined) picked[name] = options[name];
  }
  return picked as ObjectWriteSettings;
}

function oneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if (!allowed.includes(value as T)) {
    throw new TypeError(
      `${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}; got ${
        JSON.stringify(value)
      }`,
    );
  }
}

/** Tag characters OSS allows: letters, digits, space and `+ - = . _ : /`. */
const TAG_CHARACTERS = /^[\p{L}\p{N} +\-=._:/]*$/u;

/**
 * The tags of `tagging` as pairs, checked against OSS's limits.
 * @throws {TypeError} For a malformed string or characters OSS does not allow.
 * @throws {RangeError} For too many tags, too long a key or value, an empty or repeated key.
 */
export function tagPairs(tagging: ObjectTagging): [string, string][] {
  let pairs: [string, string][];
  if (typeof tagging === "string") {
    pairs = tagging === "" ? [] : tagging.split("&").map((item) => {
      const parts = item.split("=");
      if (parts.length > 2) {
        throw new TypeError(
          `tagging must be k1=v1&k2=v2 with each key and value URL-encoded; "${item}" has two '='`,
        );
      }
      try {
        return [decodeURIComponent(parts[0]), decodeURIComponent(parts[1] ?? "")];
      } catch {
        throw new TypeError(`tagging: "${item}" is not URL-encoded properly`);
      }
    });
  } else if (typeof tagging === "object" && tagging !== null) {
    pairs = Object.entries(tagging);
  } else {
    throw new TypeError("tagging must be a record of key → value or a k1=v1&k2=v2 string");
  }
  if (pairs.length > MAX_OBJECT_TAGS) {
    throw new RangeError(`tagging: at most ${MAX_OBJECT_TAGS} tags; got ${pairs.length}`);
  }
  const seen = new Set<string>();
  for (const [k, v] of pairs) {
    if (typeof v !== "string") throw new TypeError(`tagging: the value of "${k}" is not a string`);
    if (k === "") throw new RangeError("tagging: a tag key must not be empty");
    if (seen.has(k)) throw new RangeError(`tagging: key "${k}" appears twice`);
    seen.add(k);
    if ([...k].length > MAX_TAG_KEY_LENGTH) {
      throw new RangeError(`tagging: key "${k}" is longer than ${MAX_TAG_KEY_LENGTH} characters`);
    }
    if ([...v].length > MAX_TAG_VALUE_LENGTH) {
      throw new RangeError(
        `tagging: the value of "${k}" is longer than ${MAX_TAG_VALUE_LENGTH} characters`,
      );
    }
    if (!TAG_CHARACTERS.test(k) || !TAG_CHARACTERS.test(v)) {
      throw new TypeError(
        `tagging: "${k}=${v}" has a character OSS does not allow in tags ` +
          "(letters, digits, space and + - = . _ : / are)",
      );
    }
  }
  return pairs;
}

/** `x-oss-tagging`'s value: each key and value URL-encoded, `k=v` joined by `&`. */
export function encodeTagging(tagging: ObjectTagging): string {
  return tagPairs(tagging)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join("&");
}

/** Custom callback variable names OSS accepts after `x:`. */
const CALLBACK_VAR_NAME = /^[a-z0-9_]+$/;

function checkCallback(callback: UploadCallback): void {
  if (typeof callback !== "object" || callback === null) {
    throw new TypeError("callback must be an object { url, body, bodyType?, host?, vars? }");
  }
  let url: URL;
  try {
    url = new URL(callback.url);
  } catch {
    throw new TypeError(`callback.url must be an http:// or https:// URL; got ${callback.url}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`callback.url must be an http:// or https:// URL; got ${callback.url}`);
  }
  if (typeof callback.body !== "string" || callback.body === "") {
    throw new TypeError("callback.body must be a non-empty string (OSS refuses an empty one)");
  }
  if (callback.bodyType !== undefined) {
    oneOf("callback.bodyType", callback.bodyType, [
      "application/x-www-form-urlencoded",
      "application/json",
    ]);
  }
  for (const [name, value] of Object.entries(callback.vars ?? {})) {
    if (!CALLBACK_VAR_NAME.test(name)) {
      throw new TypeError(
        `callback.vars: "${name}" must be lower-case letters, digits and _ (sent as x:${name})`,
      );
    }
    if (typeof value !== "string") {
      throw new TypeError(`callback.vars: the value of "${name}" is not a string`);
    }
  }
}

/**
 * Checks every setting of `options`, before any request is sent.
 *
 * @throws {TypeError} A value of the wrong kind or not among those OSS allows (the message
 * names what is allowed).
 * @throws {RangeError} A number or a count outside OSS's limits.
 */
export function checkWriteSettings(options: ObjectWriteSettings): void {
  const o = options;
  if (o.acl !== undefined) oneOf("acl", o.acl, OBJECT_ACLS);
  if (o.storageClass !== undefined) oneOf("storageClass", o.storageClass, STORAGE_CLASSES);
  if (o.serverSideEncryption !== undefined) {
    oneOf("serverSideEncryption", o.serverSideEncryption, SERVER_SIDE_ENCRYPTIONS);
  }
  if (o.serverSideEncryptionKeyId !== undefined && o.serverSideEncryption !== "KMS") {
    throw new TypeError('serverSideEncryptionKeyId needs serverSideEncryption: "KMS"');
  }
  if (o.forbidOverwrite !== undefined && typeof o.forbidOverwrite !== "boolean") {
    throw new TypeError("forbidOverwrite must be true or false");
  }
  if (o.requestPayer !== undefined) oneOf("requestPayer", o.requestPayer, ["requester"]);
  if (o.tagging !== undefined) tagPairs(o.tagging);
  if (o.callback !== undefined) checkCallback(o.callback);
  if (o.trafficLimit !== undefined) {
    const t = o.trafficLimit;
    if (!Number.isSafeInteger(t) || t < MIN_TRAFFIC_LIMIT || t > MAX_TRAFFIC_LIMIT) {
      throw new RangeError(
        `trafficLimit must be a whole number of bit/s from ${MIN_TRAFFIC_LIMIT} (100 KB/s) to ` +
          `${MAX_TRAFFIC_LIMIT} (100 MB/s); got ${t}`,
      );
    }
  }
}

/** Base64 of a string's UTF-8 bytes. */
function base64Utf8(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** `x-oss-callback`'s value: the base64 of the callback's JSON. */
export function encodeCallback(callback: UploadCallback): string {
  const json: Record<string, string> = { callbackUrl: callback.url, callbackBody: callback.body };
  if (callback.host !== undefined) json.callbackHost = callback.host;
  if (callback.bodyType !== undefined) json.callbackBodyType = callback.bodyType;
  return base64Utf8(JSON.stringify(json));
}

/** `x-oss-callback-var`'s value: the base64 of `{ "x:name": value }`. */
export function encodeCallbackVars(vars: Record<string, string>): string {
  const json: Record<string, string> = {};
  for (const [name, value] of Object.entries(vars)) json[`x:${name}`] = value;
  return base64Utf8(JSON.stringify(json));
}

/**
 * The headers request `operation` of a write carries for `options`: those of
 * {@linkcode WRITE_SETTINGS_BY_OPERATION}, on top of `options.headers` (the caller's own).
 * Settings are assumed checked ({@linkcode checkWriteSettings}).
 *
 * @param options The settings (and the caller's headers).
 * @param operation The request being built.
 * @returns The headers.
 */
export function writeHeadersFor(
  options: ObjectWriteSettings & { headers?: HeadersInit },
  operation: OssOperation,
): Headers {
  const headers = new Headers(options.headers);
  const o = settingsFor(options, operation);
  if (o.contentType !== undefined) headers.set("content-type", o.contentType);
  if (o.cacheControl !== undefined) headers.set("cache-control", o.cacheControl);
  if (o.contentDisposition !== undefined) {
    headers.set("content-disposition", o.contentDisposition);
  }
  for (const [name, value] of Object.entries(o.meta ?? {})) {
    headers.set(`x-oss-meta-${name.toLowerCase()}`, value);
  }
  if (o.acl !== undefined) headers.set("x-oss-object-acl", o.acl);
  if (o.storageClass !== undefined) headers.set("x-oss-storage-class", o.storageClass);
  if (o.tagging !== undefined) headers.set("x-oss-tagging", encodeTagging(o.tagging));
  if (o.serverSideEncryption !== undefined) {
    headers.set("x-oss-server-side-encryption", o.serverSideEncryption);
  }
  if (o.serverSideEncryptionKeyId !== undefined) {
    headers.set("x-oss-server-side-encryption-key-id", o.serverSideEncryptionKeyId);
  }
  if (o.forbidOverwrite) headers.set("x-oss-forbid-overwrite", "true");
  if (o.callback !== undefined) {
    headers.set("x-oss-callback", encodeCallback(o.callback));
    if (o.callback.vars !== undefined && Object.keys(o.callback.vars).length > 0) {
      headers.set("x-oss-callback-var", encodeCallbackVars(o.callback.vars));
    }
  }
  if (o.trafficLimit !== undefined) headers.set("x-oss-traffic-limit", String(o.trafficLimit));
  if (o.requestPayer !== undefined) headers.set("x-oss-request-payer", o.requestPayer);
  return headers;
}
