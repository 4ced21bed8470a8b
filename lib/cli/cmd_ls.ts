/**
 * `ossup ls`: buckets; `ossup ls oss://bucket[/prefix]`: objects under a prefix.
 *
 * @module
 */

import { unquote } from "../upload/_upload_result.ts";
import type { CliContext } from "./cli_context.ts";
import { EXIT } from "./cli_error.ts";
import { parseOssUrl } from "./oss_url.ts";

/**
 * Lists buckets or objects, one per line (or one JSON object per line with `--json`).
 *
 * @param ctx The command context.
 * @param target `oss://bucket[/prefix]`, or none for the buckets.
 * @returns The exit code.
 */
export async function lsCommand(ctx: CliContext, target: string | undefined): Promise<number> {
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
