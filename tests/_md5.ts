/**
 * MD5 digests as OSS writes them: the ETag of an object (upper-case hex), the
 * `Content-MD5` header (base64), and the ETag of a multipart object.
 *
 * @module
 */

import { createHash } from "node:crypto";

const enc = new TextEncoder();

function md5(data: Uint8Array | string) {
  return createHash("md5").update(typeof data === "string" ? enc.encode(data) : data);
}

/** Upper-case MD5 hex of bytes or text, as OSS writes an object's ETag. */
export function md5Hex(data: Uint8Array | string): string {
  return md5(data).digest("hex").toUpperCase();
}

/** Base64 MD5 of bytes or text, as `Content-MD5` carries it. */
export function md5Base64(data: Uint8Array | string): string {
  return md5(data).digest("base64");
}

/** The ETag of an object completed from `parts`: MD5 of the parts' MD5s, then `-<count>`. */
export function multipartEtag(parts: readonly Uint8Array[]): string {
  const whole = createHash("md5");
  for (const p of parts) whole.update(md5(p).digest());
  return `${whole.digest("hex").toUpperCase()}-${parts.length}`;
}
