/**
 * `ossup ls`: buckets; `ossup ls oss://bucket[/prefix]`: objects under a prefix;
 * `ossup ls -m oss://bucket[/prefix]`: unfinished multipart uploads.
 *
 * @module
 */

import { unquote } from "../upload/_upload_result.ts";
import type { CliContext } from "./cli_context.ts";
import { EXIT, UsageError } from "./cli_error.ts";
import type { Bucket } from "../client/bucket.ts";
import { type OssUrl, parseOssUrl } from "./oss_url.ts";

/**
 * Lists buckets or objects, one per line (or one JSON object per line with `--json`).
 *
 * @param ctx The command context.
 * @param target `oss://bucket[/prefix]`, or none for the buckets.
 * @returns The exit code.
 */
export async function lsCommand(ctx: CliContext, target: string | undefined): Promise<number> {
  if (target === undefined && ctx.args.booleans.get("multipart")) {
    throw new UsageError(
      "ls -m lists the unfinished multipart uploads of a bucket: ls -m oss://bucket",
    );
  }
  const conn = await ctx.connect();
  if (target === undefined) {
    let n = 0;
    for await (const b of conn.client.listBuckets()) {
      n++;
      ctx.out(
        ctx.json
          ? JSON.stringify({
            bucket: b.name,
            created: b.creationDate.toISOString(),
            region: b.region,
          }) +
            "\n"
          : `${b.creationDate.toISOString()}  oss://${b.name}\n`,
      );
    }
    if (!ctx.json && !ctx.quiet) ctx.err(`ossup: ${n} bucket${n === 1 ? "" : "s"}\n`);
    return EXIT.ok;
  }
  const url = parseOssUrl(target);
  const bucket = await conn.bucket(url.bucket, false);
  if (ctx.args.booleans.get("multipart")) return await listUploads(ctx, bucket, url);
  let n = 0;
  let bytes = 0;
  for await (const o of bucket.listObjects({ prefix: url.key || undefined })) {
    n++;
    bytes += o.size;
    ctx.out(
      ctx.json
        ? JSON.stringify({
          key: o.key,
          size: o.size,
          etag: unquote(o.etag),
          lastModified: o.lastModified.toISOString(),
        }) + "\n"
        : `${o.lastModified.toISOString()}  ${
          String(o.size).padStart(12)
        }  oss://${url.bucket}/${o.key}\n`,
    );
  }
  if (!ctx.json && !ctx.quiet) {
    ctx.err(`ossup: ${n} object${n === 1 ? "" : "s"}, ${bytes} bytes\n`);
  }
  return EXIT.ok;
}

/**
 * `ossup ls -m oss://bucket[/prefix]`: the unfinished multipart uploads under the prefix, each
 * with its parts and their bytes (ListParts), as `rm -m` would count them.
 */
async function listUploads(ctx: CliContext, bucket: Bucket, url: OssUrl): Promise<number> {
  let n = 0;
  let total = 0;
  for await (const u of bucket.listMultipartUploads({ prefix: url.key || undefined })) {
    let parts = 0;
    let bytes = 0;
    for await (const p of bucket.listParts(u.key, u.uploadId)) {
      parts++;
      bytes += p.size;
    }
    n++;
    total += bytes;
    ctx.out(
      ctx.json
        ? JSON.stringify({
          key: u.key,
          uploadId: u.uploadId,
          initiated: u.initiated.toISOString(),
          parts,
          bytes,
        }) + "\n"
        : `${u.initiated.toISOString()}  ${String(parts).padStart(5)} parts  ` +
          `${String(bytes).padStart(12)}  ${u.uploadId}  oss://${url.bucket}/${u.key}\n`,
    );
  }
  if (!ctx.json && !ctx.quiet) {
    ctx.err(
      `ossup: ${n} unfinished multipart upload${n === 1 ? "" : "s"}, ${total} bytes in parts` +
        `${n > 0 ? ` (ossup rm -m oss://${url.bucket}/${url.key} aborts them)` : ""}\n`,
    );
  }
  return EXIT.ok;
}
