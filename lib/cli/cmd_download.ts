/**
 * `ossup cp oss://bucket/key <file>`: the library's `bucket.downloadFile` (parallel range
 * GETs, resumable, CRC64-verified; see `lib/download/`), with the CLI's flags and messages.
 *
 * @module
 */

import { mkdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { unquote } from "../upload/_upload_result.ts";
import { checkpointFlags, describeParts, runTransfer } from "./_transfer_run.ts";
import type { CliContext } from "./cli_context.ts";
import { EXIT, UsageError } from "./cli_error.ts";
import { bandwidthLimitFlag, parallelFlag, partSizeFlag } from "./cmd_upload.ts";
import type { OssUrl } from "./oss_url.ts";
import type { DownloadProgress } from "../download/download_options.ts";
import { PARTIAL_DOWNLOAD_SUFFIX } from "../sink/file_sink.ts";
import { formatBytes, formatDuration } from "./units.ts";

/**
 * Checks, before anything is fetched, that the folder a download writes
 * into exists: the error then names the folder the user typed, not the
 * temp file that could not be opened.
 */
async function requireFolder(folder: string, file: string): Promise<void> {
  const info = await stat(folder).catch((err) => {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    throw err;
  });
  if (info === undefined) {
    throw new UsageError(`no such folder: ${folder} (to write ${file}); create it first`);
  }
  if (!info.isDirectory()) {
    throw new UsageError(`${folder} is a file, not a folder (to write ${file}); check the path`);
  }
}

/**
 * Runs the download.
 *
 * @param ctx The command context.
 * @param src The object.
 * @param target The local path; an existing folder (or a path ending in `/`) gets the key's name.
 * @returns The exit code.
 */
export async function downloadCommand(
  ctx: CliContext,
  src: OssUrl,
  target: string,
): Promise<number> {
  let file = target;
  const info = await stat(target).catch(() => undefined);
  if (info?.isDirectory() || target.endsWith("/")) file = join(target, basename(src.key));
  await requireFolder(dirname(file), file);
  const routines = parallelFlag(ctx.args.strings.get("parallel"));
  const limitRate = bandwidthLimitFlag(ctx.args.strings.get("bandwidth-limit"));
  const { path: cpFlag, dir: cpDir, off } = checkpointFlags(ctx);
  const checkpoint = off
    ? false
    : cpFlag ?? (cpDir !== undefined
      ? join(cpDir, `${basename(file)}${PARTIAL_DOWNLOAD_SUFFIX}.cp`)
      : `${file}${PARTIAL_DOWNLOAD_SUFFIX}.cp`);
  // As the upload's checkpoint store does: its folder is made when missing.
  if (checkpoint !== false) await mkdir(dirname(checkpoint), { recursive: true });
  const conn = await ctx.connect();
  const bucket = await conn.bucket(src.bucket, false);
  const head = await bucket.headObject(src.key);
  const partSize = partSizeFlag(ctx.args.strings.get("part-size"));

  let last: DownloadProgress | undefined;
  const started = performance.now();
  const where = () => last ? ` at ${last.partsDone}/${last.partsTotal} parts` : "";
  const result = await runTransfer(
    ctx,
    { checkpoint, where, verb: "downloaded" },
    ({ signal, progress }) =>
      bucket.downloadFile(src.key, file, {
        partSize,
        routines,
        checkpoint,
        limitRate,
        signal,
        onProgress: (p) => {
          // Said from the first sample, so the parts are the download's own (a resumed one's).
          if (!last && !ctx.quiet && !ctx.json) {
            ctx.err(
              `ossup: downloading oss://${src.bucket}/${src.key} (${formatBytes(head.size)}) ` +
                `to ${file} ${describeParts(p, routines)}` +
                `${checkpoint ? `, checkpoint ${checkpoint}` : ", no checkpoint"}\n`,
            );
          }
          if (!last && p.resumed && !ctx.quiet && !ctx.json) {
            ctx.err(
              `ossup: resuming from ${checkpoint}: ${p.partsDone}/${p.partsTotal} parts already on disk\n`,
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
        bucket: src.bucket,
        key: src.key,
        file,
        size: result.size,
        etag: unquote(result.etag),
        crc64: result.crc64.toString(),
        crc64Verified: result.crc64Verified,
        bytesRefetched: result.bytesRefetched,
        parts: result.parts,
        partSize: result.partSize,
        seconds: Math.round(seconds * 1000) / 1000,
        bytesReceived: result.bytesReceived,
        resumed: result.resumed,
      }) + "\n",
    );
  } else if (!ctx.quiet) {
    ctx.out(
      `downloaded oss://${src.bucket}/${src.key} to ${file}: ${formatBytes(result.size)} in ` +
        `${result.parts} parts, ${formatDuration(seconds)}, CRC64 ${result.crc64}` +
        `${result.crc64Verified ? " verified" : " (not reported by the server)"}` +
        `${result.resumed ? ", resumed" : ""}\n`,
    );
  }
  return EXIT.ok;
}
