/**
 * `ossup stat oss://bucket/key`: what OSS keeps about an object (HeadObject and GetObjectAcl),
 * as ossutil's `stat` shows it.
 *
 * @module
 */

import { OssError } from "../errors/errors.ts";
import { unquote } from "../upload/_upload_result.ts";
import type { CliContext } from "./cli_context.ts";
import { EXIT } from "./cli_error.ts";
import type { OssUrl } from "./oss_url.ts";

/** Response headers `stat` shows besides the fields it names (those OSS keeps with the object). */
const SHOWN_HEADERS = [
  "cache-control",
  "content-disposition",
  "content-encoding",
  "content-language",
  "expires",
  "x-oss-server-side-encryption",
  "x-oss-tagging-count",
];

/**
 * Prints the object's size, ETag, CRC64, content type, storage class, ACL, times, user
 * metadata and stored headers, one `Name: value` per line (or one JSON object with `--json`).
 *
 * @param ctx The command context.
 * @param url The object.
 * @returns The exit code.
 */
export async function statCommand(ctx: CliContext, url: OssUrl): Promise<number> {
  const conn = await ctx.connect();
  const bucket = await conn.bucket(url.bucket, false);
  const head = await bucket.headObject(url.key);
  // A key allowed to be read but not its ACL (403) still gets its stat.
  const acl = await bucket.getObjectAcl(url.key).catch((err) => {
    if (err instanceof OssError && err.status === 403) return undefined;
    throw err;
  });
  const headers: Record<string, string> = {};
  for (const name of SHOWN_HEADERS) {
    const value = head.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  const fields = {
    bucket: url.bucket,
    key: url.key,
    size: head.size,
    etag: unquote(head.etag),
    crc64: head.crc64?.toString(),
    contentType: head.contentType,
    storageClass: head.storageClass,
    objectType: head.objectType,
    acl,
    lastModified: head.lastModified?.toISOString(),
    versionId: head.versionId,
    meta: head.meta,
    headers,
  };
  if (ctx.json) {
    ctx.out(JSON.stringify(fields) + "\n");
    return EXIT.ok;
  }
  const lines: [string, string | number | undefined][] = [
    ["Object", `oss://${url.bucket}/${url.key}`],
    ["Size", fields.size],
    ["ETag", fields.etag],
    ["CRC64", fields.crc64],
    ["Content-Type", fields.contentType],
    ["Storage-Class", fields.storageClass],
    ["Object-Type", fields.objectType],
    ["ACL", fields.acl],
    ["Last-Modified", fields.lastModified],
    ["Version-Id", fields.versionId],
    ...Object.entries(headers).map(([k, v]): [string, string] => [k, v]),
    ...Object.entries(head.meta).map(([k, v]): [string, string] => [`X-Oss-Meta-${k}`, v]),
  ];
  for (const [name, value] of lines) {
    if (value !== undefined) ctx.out(`${name}: ${value}\n`);
  }
  return EXIT.ok;
}
