/**
 * Names and identifiers shared by the storage backends: bucket-name and key
 * validation, upload IDs, ETags, and the UTF-8 byte order OSS lists keys in.
 *
 * @module
 */

import { createHash, randomBytes } from "node:crypto";
import { StorageError } from "./storage.ts";

const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** Whether `name` is a valid OSS bucket name: 3-63 chars of `a-z`, `0-9`, `-`, not starting or ending with `-`. */
export function isBucketName(name: string): boolean {
  return typeof name === "string" && BUCKET_NAME.test(name);
}

/** Throws `InvalidBucketName` unless `name` is a valid bucket name. */
export function checkBucketName(name: string): void {
  if (!isBucketName(name)) {
    throw new StorageError("InvalidBucketName", "The specified bucket is not valid.");
  }
}

// In `u` mode a well-formed surrogate pair is one code point, so this only matches lone halves.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Throws `InvalidObjectName` for an empty key or one that is not well-formed
 * UTF-16 (a lone surrogate has no UTF-8 form, so two such keys would collide).
 */
export function checkKey(key: string): void {
  if (typeof key !== "string" || key.length === 0 || LONE_SURROGATE.test(key)) {
    throw new StorageError("InvalidObjectName", "The specified object name is not valid.");
  }
}

const UPLOAD_ID = /^[0-9A-F]{32}$/;

/** A new upload ID: 32 upper-case hex characters, like OSS's. */
export function newUploadId(): string {
  return randomBytes(16).toString("hex").toUpperCase();
}

/** Whether `id` has the shape of an upload ID this storage issued (safe as a file name). */
export function isUploadId(id: string): boolean {
  return typeof id === "string" && UPLOAD_ID.test(id);
}

/** An ETag as given by a client (maybe quoted, any case) in the form the storage keeps. */
export function normalizeEtag(etag: string): string {
  return etag.trim().replace(/^"|"$/g, "").toUpperCase();
}

/**
 * The ETag OSS gives a multipart object: the upper-case hex MD5 of the
 * concatenated binary MD5s of its parts, then `-` and the part count
 * (e.g. `9AA9C1783224A1536D3F1E222C9C791B-6`).
 */
export function multipartEtag(partEtags: string[]): string {
  const md5 = createHash("md5");
  for (const etag of partEtags) md5.update(Buffer.from(etag, "hex"));
  return `${md5.digest("hex").toUpperCase()}-${partEtags.length}`;
}

/** The SHA-256 hex of a key's UTF-8 bytes: the key's file name on disk. */
export function keyDigest(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/**
 * Compares two strings in the byte order of their UTF-8 encodings (which is
 * code point order). Plain `<` compares UTF-16 code units, which puts
 * U+E000..U+FFFF after supplementary characters; this corrects for that.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixUnit(x) - fixUnit(y);
  }
  return a.length - b.length;
}

function fixUnit(u: number): number {
  // Move surrogates (supplementary code points) above U+E000..U+FFFF.
  if (u >= 0xe000) return u - 0x800;
  if (u >= 0xd800) return u + 0x2000;
  return u;
}

/** Now, truncated to whole seconds: HTTP dates carry seconds, so conditional requests compare exactly. */
export function nowToSecond(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}
