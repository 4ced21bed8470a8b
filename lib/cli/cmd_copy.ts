/**
 * `ossup cp oss://bucket/key oss://bucket/key`: a server-side copy with `bucket.copyFile`
 * (CopyObject up to 1 GiB, UploadPartCopy parts above), resumable, CRC64-verified.
 *
 * @module
 */

import { basename, join } from "node:path";
import { copyCheckpointFileName, copyCheckpointId } from "../upload/copy_file.ts";
import type { UploadProgress } from "../upload/upload_options.ts";
import { checkpointFlags, describeParts, runTransfer, writtenObjectJson } from "./_transfer_run.ts";
import type { CliContext } from "./cli_context.ts";
import { EXIT, UsageError } from "./cli_error.ts";
import { bigfileThreshold, parallelFlag, partSizeFlag } from "./cmd_upload.ts";
import type { OssUrl } from "./oss_url.ts";
import { formatBytes, formatDuration } from "./units.ts";

/**
 * Refuses `--bandwidth-limit` on a copy between `oss://` URLs, rather than ignoring it: the
 * limit paces bytes through this machine, and a copy has none.
 *
 * @param ctx The command context.
 * @throws {UsageError} When the flag is given.
 */
export function refuseBandwidthLimit(ctx: CliContext): void {
  if (ctx.args.strings.has("bandwidth-limit")) {
    throw new UsageError(
      "--bandwidth-limit paces what goes through this machine; a copy between oss:// URLs " +
        "sends no object bytes (OSS copies them)",
    );
  }
}

/**
 * Runs the copy.
 *
 * @param ctx The command context.
 * @param src The source object.
 * @param dst The destination; a key ending in `/` (or none) gets the source key's name.
 * @returns The exit code.
 */
export async function copyCommand(ctx: CliContext, src: OssUrl, dst: OssUrl): Promise<number> {
  if (src.key === "" || src.key.endsWith("/")) {
    throw new UsageError(`cp needs a source object, e.g. oss://${src.bucket}/<key>`);
  }
  const key = dst.key === "" || dst.key.endsWith("/") ? dst.key + basename(src.key) : dst.key;
  refuseBandwidthLimit(ctx);
  const routines = parallelFlag(ctx.args.strings.get("parallel"));
  const partSizeText = ctx.args.strings.get("part-size");
  const conn = await ctx.connect();
  const bucket = await conn.bucket(dst.bucket, true);
  const source = { bucket: src.bucket, key: src.key };
  const { path, dir, off } = checkpointFlags(ctx);
  const checkpoint = off ? false : path ?? join(
    dir ?? ".",
    copyCheckpointFileName(copyCheckpointId(bucket.endpointHost, source, dst.bucket, key)),
  );
  const head = await (await conn.bucket(src.bucket, false)).headObject(src.key);
  const partSize = partSizeFlag(partSizeText);
  const copyObjectLimit = bigfileThreshold(ctx.args.strings.get("bigfile-threshold"));

  let last: UploadProgress | undefined;
  const started = performance.now();
  const where = () => last ? ` at ${last.partsDone}/${last.partsTotal} parts` : "";
  const result = await runTransfer(
    ctx,
    { checkpoint, where, verb: "copied" },
    ({ signal, progress }) =>
      bucket.copyFile(src.bucket, src.key, key, {
        partSize,
        routines,
        checkpoint,
        copyObjectLimit,
        signal,
        onProgress: (p) => {
          if (!last && !ctx.quiet && !ctx.json) {
            ctx.err(
              `ossup: copying oss://${src.bucket}/${src.key} (${formatBytes(head.size)}) to ` +
                `oss://${dst.bucket}/${key} ` +
                (p.partsTotal === 0 ? "with one CopyObject" : `${describeParts(p, routines)}` +
                  `${checkpoint ? `, checkpoint ${checkpoint}` : ", no checkpoint"}`) +
                "\n",
            );
          }
          if (!last && p.resumed && !ctx.quiet && !ctx.json) {
            ctx.err(
              `ossup: resuming from ${checkpoint}: ${p.partsDone}/${p.partsTotal} parts already copied\n`,
            );
          }
          last = p;
          progress.update(p);
        },
      }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (ctx.json) {
    ctx.out(
      JSON.stringify({
        sourceBucket: result.sourceBucket,
        sourceKey: result.sourceKey,
        ...writtenObjectJson(result, seconds),
        method: result.method,
        parts: result.parts,
        ...(result.partSize !== undefined ? { partSize: result.partSize } : {}),
        resumed: result.resumed,
      }) + "\n",
    );
  } else if (!ctx.quiet) {
    ctx.out(
      `copied oss://${src.bucket}/${src.key} to oss://${result.bucket}/${result.key}: ` +
        `${formatBytes(result.size)}${
          result.method === "CopyObject" ? " with CopyObject" : ` in ${result.parts} parts`
        }, ${formatDuration(seconds)}, CRC64 ${result.crc64}` +
        `${result.crc64Verified ? " verified" : " (not reported by the server)"}` +
        `${result.resumed ? ", resumed" : ""}\n`,
    );
  }
  return EXIT.ok;
}
