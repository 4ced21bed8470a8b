/**
 * Building the server's answers: XML bodies, empty answers, object headers,
 * dates and ETags written the way OSS writes them.
 *
 * @module
 */

import type { ObjectMeta } from "./storage.ts";

/** `Last-Modified` / `Date` format: RFC 1123 in GMT. */
export function httpDate(d: Date): string {
  return d.toUTCString();
}

/** XML date format of OSS listings: `2023-12-16T16:20:57.000Z`. */
export function isoDate(d: Date): string {
  return d.toISOString();
}

/** An ETag as OSS sends it in headers and XML: quoted. */
export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}

/** A 200 (or `status`) answer with an XML body. */
export function xmlResponse(xml: string, status = 200, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/xml");
  return new Response(xml, { status, headers: h });
}

/** An answer without a body. */
export function emptyResponse(status: number, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  if (status !== 204 && status !== 304) h.set("content-length", "0");
  return new Response(null, { status, headers: h });
}

/** Encodes a key for `encoding-type=url` listings. */
export function urlEncodeKey(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

/** The headers describing a stored object on GET / HEAD / 304 answers. */
export function objectResponseHeaders(meta: ObjectMeta): Headers {
  const h = new Headers({
    "content-type": meta.contentType,
    "etag": quoteEtag(meta.etag),
    "last-modified": httpDate(meta.lastModified),
    "x-oss-object-type": meta.objectType,
    "x-oss-storage-class": meta.storageClass,
    "x-oss-hash-crc64ecma": meta.crc64.toString(),
    "accept-ranges": "bytes",
  });
  if (meta.objectType === "Appendable") h.set("x-oss-next-append-position", String(meta.size));
  if (meta.cacheControl !== undefined) h.set("cache-control", meta.cacheControl);
  if (meta.contentDisposition !== undefined) h.set("content-disposition", meta.contentDisposition);
  if (meta.contentEncoding !== undefined) h.set("content-encoding", meta.contentEncoding);
  if (meta.contentLanguage !== undefined) h.set("content-language", meta.contentLanguage);
  if (meta.expires !== undefined) h.set("expires", meta.expires);
  for (const [name, value] of Object.entries(meta.userMeta)) h.set(`x-oss-meta-${name}`, value);
  if (meta.tagging !== undefined) {
    h.set("x-oss-tagging-count", String(meta.tagging.split("&").length));
  }
  if (meta.serverSideEncryption !== undefined) {
    h.set("x-oss-server-side-encryption", meta.serverSideEncryption);
    if (meta.serverSideEncryptionKeyId !== undefined) {
      h.set("x-oss-server-side-encryption-key-id", meta.serverSideEncryptionKeyId);
    }
  }
  return h;
}
