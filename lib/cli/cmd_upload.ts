/**
 * `ossup cp <file> oss://bucket/key`: resumable multipart upload with
 * `bucket.uploadFile`, a checkpoint beside the file by default, progress,
 * Ctrl-C to pause and the same command to resume.
 *
 * @module
 */

import { MIN_RATE_LIMIT, RateLimiter } from "../pacing/rate_limiter.ts";
import { stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { MAX_PART_SIZE, MIN_PART_SIZE } from "../upload/part_plan.ts";
import type { CheckpointSetAside, UploadProgress } from "../upload/upload_options.ts";
import { parseWhole } from "../command_line/flags.ts";
import { checkpointFlags, describeParts, runTransfer, writtenObjectJson } from "./_transfer_run.ts";
import { objectWriteSettings } from "./object_write_flags.ts";
import type { CliContext } from "./cli_context.ts";
import { EXIT, UsageError } from "./cli_error.ts";
import type { OssUrl } from "./oss_url.ts";
import { formatBytes, formatDuration, parseSize } from "./units.ts";

/**
 * Reads `--part-size`: a size, or `auto` (the default: the library's `partSize: "auto"`,
 * chosen from the size; a resumed transfer keeps its checkpoint's).
 *
 * @param text The flag's value, if given.
 * @returns Bytes per part, or `"auto"`.
 * @throws {UsageError} When malformed or outside 100 KB–5 GB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { partSizeFlag } from "./cmd_upload.ts";
 *
 * assert.equal(partSizeFlag("8MB"), 8388608);
 * assert.equal(partSizeFlag(undefined), "auto");
 * assert.throws(() => partSizeFlag("1KB"), { code: "Usage" });
 * ```
 */
export function partSizeFlag(text: string | undefined): number | "auto" {
  if (text === undefined || text === "auto") return "auto";
  let bytes: number;
  try {
    bytes = parseSize(text);
  } catch (err) {
    throw new UsageError(`--part-size: ${(err as Error).message}`);
  }
  if (bytes < MIN_PART_SIZE || bytes > MAX_PART_SIZE) {
    throw new UsageError(
      `--part-size must be from 100KB to 5GB (1 KB = 1024 bytes); got "${text}" (${bytes} bytes)`,
    );
  }
  return bytes;
}

/**
 * Reads `--parallel`: parts at once, 1–100, or `auto` (the default: the library's
 * `routines: "auto"`, adapted to the measured throughput).
 *
 * @param text The flag's value, if given.
 * @returns Parts at once, or `"auto"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parallelFlag } from "./cmd_upload.ts";
 *
 * assert.equal(parallelFlag(undefined), "auto");
 * assert.equal(parallelFlag("4"), 4);
 * ```
 */
export function parallelFlag(text: string | undefined): number | "auto" {
  if (text === undefined || text === "auto") return "auto";
  return parseWhole("parallel", text, 1, 100);
}

/**
 * Reads `--bandwidth-limit`: bytes per second, with ossutil's units (K, M, G: powers of 1024).
 *
 * @param text The flag's value, if given.
 * @returns One limiter for the whole transfer, or `undefined` without the flag.
 * @throws {UsageError} For a value that is not a rate from 1024 bytes per second.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bandwidthLimitFlag } from "./cmd_upload.ts";
 *
 * assert.equal(bandwidthLimitFlag("50M")?.bytesPerSecond, 52428800);
 * assert.equal(bandwidthLimitFlag(undefined), undefined); // no limit
 * ```
 */
export function bandwidthLimitFlag(text: string | undefined): RateLimiter | undefined {
  if (text === undefined) return undefined;
  let bytes = NaN;
  try {
    bytes = parseSize(text.replace(/\/s$/i, ""));
  } catch { /* worded below */ }
  if (!(bytes >= MIN_RATE_LIMIT)) {
    throw new UsageError(
      `--bandwidth-limit must be bytes per second from ${MIN_RATE_LIMIT}, e.g. 20971520 or 20M ` +
        `(K, M, G: KiB/s, MiB/s, GiB/s); got "${text}"`,
    );
  }
  return new RateLimiter(bytes);
}

/**
 * Reads `--bigfile-threshold` (named as ossutil's flag): for copies, the largest source copied
 * with one CopyObject; for uploads, the largest file sent with one PutObject.
 *
 * @param text The flag's value, if given.
 * @returns Bytes, or `undefined` when not given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bigfileThreshold } from "./cmd_upload.ts";
 *
 * assert.equal(bigfileThreshold("1MB"), 1048576);
 * assert.equal(bigfileThreshold(undefined), undefined);
 * ```
 */
export function bigfileThreshold(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseSize(text);
  } catch (err) {
    throw new UsageError(`--bigfile-threshold: ${(err as Error).message}`);
  }
}

/**
 * Files up to this size go up with one PutObject unless `--bigfile-threshold` says otherwise:
 * one part of the size ossutil and the Go SDK default to (1 MiB).
 */
export const DEFAULT_BIGFILE_THRESHOLD = 1024 * 1024;

/**
 * The largest file an upload sends with one PutObject: `--bigfile-threshold`, else one part
 * (`--part-size`, or 1 MiB with `auto`): a file of one part gains nothing from a multipart
 * upload's three requests.
 */
function putObjectThresholdFlag(text: string | undefined, partSize: number | "auto"): number {
  const bytes = bigfileThreshold(text) ??
    (partSize === "auto" ? DEFAULT_BIGFILE_THRESHOLD : partSize);
  if (bytes > MAX_PART_SIZE) {
    throw new UsageError(
      `--bigfile-threshold for an upload is at most 5GB (OSS's PutObject limit); got "${text}"`,
    );
  }
  return bytes;
}

async function checkpointPath(
  ctx: CliContext,
  file: string,
  dst: OssUrl,
  key: string,
): Promise<string | false> {
  const { path, dir, off } = checkpointFlags(ctx);
  if (off) return false;
  if (path !== undefined) return path;
  if (dir !== undefined) {
    // One file per (source, destination) in the folder, named so people can tell them apart.
    const digest = new Uint8Array(
      await crypto.subtle.digest(
        "SHA-256",
        new TextEncoder().encode(`${resolve(file)}\n${dst.bucket}/${key}`),
      ),
    );
    const tag = Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
    return join(dir, `${basename(file)}.${tag}.cp`);
  }
  // The library's checkpoint: true: one per file, set aside out loud for another destination.
  return `${file}.cp`;
}

/**
 * The line saying a checkpoint was set aside and what became of its upload.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { setAsideLine } from "./cmd_upload.ts";
 *
 * const line = setAsideLine({
 *   checkpoint: "a.cp",
 *   reason: "key differs",
 *   upload: "aborted",
 *   uploadId: "U1",
 *   destination: { endpoint: "127.0.0.1:9000", bucket: "b", key: "k" },
 * });
 * assert.equal(
 *   line,
 *   "set aside checkpoint a.cp (it was for oss://b/k at 127.0.0.1:9000: key differs); " +
 *     "its multipart upload U1 was aborted",
 * );
 * ```
 */
export function setAsideLine(s: CheckpointSetAside): string {
  const was = s.destination
    ? ` (it was for oss://${s.destination.bucket}/${s.destination.key} at ${s.destination.endpoint}: ${s.reason})`
    : ` (${s.reason})`;
  const upload = s.upload === "aborted"
    ? `its multipart upload ${s.uploadId} was aborted`
    : s.upload === "left"
    ? `its multipart upload ${s.uploadId} is left on the server: abort it there or resume it with that checkpoint`
    : "the multipart upload it named, if any, cannot be identified";
  return `set aside checkpoint ${s.checkpoint}${was}; ${upload}`;
}

/**
 * Runs the upload.
 *
 * @param ctx The command context.
 * @param file The local file.
 * @param dst The destination; a key ending in `/` (or none) gets the file's name appended.
 * @returns The exit code.
 */
export async function uploadCommand(ctx: CliContext, file: string, dst: OssUrl): Promise<number> {
  const key = dst.key === "" || dst.key.endsWith("/") ? dst.key + basename(file) : dst.key;
  let size: number;
  try {
    const info = await stat(file);
    if (info.isDirectory()) {
      throw new UsageError(`${file} is a folder: add -r to upload the folder's files (cp -r)`);
    }
    if (!info.isFile()) throw new UsageError(`${file} is not a regular file; cp uploads one file`);
    size = info.size;
  } catch (err) {
    // Other file system errors (EACCES, ENOTDIR...) are worded by error_report.ts.
    if ((err as { code?: string }).code !== "ENOENT") throw err;
    throw new UsageError(`no such file: ${file} (check the path)`);
  }
  const partSize = partSizeFlag(ctx.args.strings.get("part-size"));
  const routines = parallelFlag(ctx.args.strings.get("parallel"));
  const limitRate = bandwidthLimitFlag(ctx.args.strings.get("bandwidth-limit"));
  const putObjectThreshold = putObjectThresholdFlag(
    ctx.args.strings.get("bigfile-threshold"),
    partSize,
  );
  const settings = objectWriteSettings(ctx);
  const checkpoint = await checkpointPath(ctx, file, dst, key);
  const conn = await ctx.connect();
  const bucket = await conn.bucket(dst.bucket);

  let last: UploadProgress | undefined;
  let saidResume = false;
  const started = performance.now();
  const where = () =>
    last
      ? ` at ${last.partsDone}/${last.partsTotal} parts (${formatBytes(last.bytesDone)} of ` +
        `${formatBytes(last.bytesTotal)})`
      : "";
  const nothingKeptNote = ": the next run starts over";
  const result = await runTransfer(
    ctx,
    { checkpoint, where, verb: "uploaded", nothingKeptNote },
    ({ signal, progress }) =>
      bucket.uploadFile(key, file, {
        ...settings,
        putObjectThreshold,
        partSize,
        routines,
        limitRate,
        checkpoint: checkpoint === false ? false : checkpoint,
        signal,
        onCheckpointSetAside: (setAside) => {
          if (!ctx.quiet && !ctx.json) ctx.err(`ossup: ${setAsideLine(setAside)}\n`);
        },
        onProgress: (p) => {
          // One PutObject (partsTotal 0) reports once, when done: the summary line says it all.
          if (p.partsTotal === 0) return;
          // Said once the upload is under way, so a failure before it is the only line.
          if (!last && !ctx.quiet && !ctx.json) {
            ctx.err(
              `ossup: uploading ${file} (${formatBytes(size)}) to oss://${dst.bucket}/${key} ` +
                `${describeParts(p, routines)}` +
                `${checkpoint ? `, checkpoint ${checkpoint}` : ", no checkpoint"}\n`,
            );
          }
          last = p;
          if (p.resumed && !saidResume && !ctx.quiet && !ctx.json) {
            saidResume = true;
            ctx.err(
              `ossup: resuming from ${checkpoint}: ${p.partsDone}/${p.partsTotal} parts ` +
                `(${formatBytes(p.bytesDone)}) already uploaded\n`,
            );
          }
          progress.update(p);
        },
      }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (ctx.json) {
    ctx.out(
      JSON.stringify({
        ...writtenObjectJson(result, seconds),
        parts: result.parts,
        partSize: result.partSize,
        bytesSent: result.bytesSent,
        bytesResent: result.bytesResent,
        resumed: result.resumed,
        verified: result.verified,
        ...(result.checkpointSetAside ? { checkpointSetAside: result.checkpointSetAside } : {}),
        ...(result.strayUploadsAborted ? { strayUploadsAborted: result.strayUploadsAborted } : {}),
        ...(ctx.verbose && result.requestId ? { requestId: result.requestId } : {}),
      }) + "\n",
    );
  } else if (!ctx.quiet) {
    const strays = result.strayUploadsAborted ?? [];
    if (strays.length > 0) {
      ctx.err(
        `ossup: aborted ${strays.length} multipart upload(s) of oss://${result.bucket}/${result.key} ` +
          `started but never recorded by an interrupted or retried run: ${strays.join(", ")}\n`,
      );
    }
    const rate = seconds > 0 ? result.bytesSent / seconds : 0;
    ctx.out(
      `uploaded ${file} to oss://${result.bucket}/${result.key}: ${formatBytes(result.size)} ` +
        `${result.parts === 0 ? "in one PutObject" : `in ${result.parts} parts`}, ` +
        `${formatDuration(seconds)} (${formatBytes(rate)}/s), ` +
        `CRC64 ${result.crc64}${
          result.crc64Verified ? " verified" : " (not reported by the server)"
        }` +
        `${result.resumed ? `, resumed (${formatBytes(result.bytesSent)} sent this run)` : ""}\n`,
    );
    if (ctx.verbose && result.requestId) ctx.err(`ossup: request ID ${result.requestId}\n`);
  }
  return EXIT.ok;
}
