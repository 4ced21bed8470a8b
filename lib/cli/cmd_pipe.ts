/**
 * Pipes: `ossup cp - oss://bucket/key` uploads standard input through `bucket.uploadStream`
 * (parts buffered one at a time, no checkpoint: a pipe cannot be read again), and
 * `ossup cp oss://bucket/key -` and `ossup cat oss://bucket/key` write an object to standard
 * output with its CRC64 checked at the end.
 *
 * @module
 */

import { Crc64 } from "../crc64/crc64.ts";
import { runTransfer, writtenObjectJson } from "./_transfer_run.ts";
import type { CliContext } from "./cli_context.ts";
import { CliError, EXIT, UsageError } from "./cli_error.ts";
import { bandwidthLimitFlag, partSizeFlag } from "./cmd_upload.ts";
import { objectWriteSettings } from "./object_write_flags.ts";
import type { OssUrl } from "./oss_url.ts";
import { formatBytes, formatDuration } from "./units.ts";

/**
 * The part size of a pipe without `--part-size`: its length is unknown, so 8 MiB parts, which
 * take it up to 78 GiB in OSS's 10,000 parts, with one part (8 MiB) in memory.
 */
export const PIPE_PART_SIZE = 8 * 1024 * 1024;

/**
 * Uploads standard input to `dst`.
 *
 * @param ctx The command context.
 * @param dst The destination; it must name an object (a pipe has no file name to append).
 * @returns The exit code.
 */
export async function uploadStdinCommand(ctx: CliContext, dst: OssUrl): Promise<number> {
  if (dst.key === "" || dst.key.endsWith("/")) {
    throw new UsageError(
      `standard input has no name: write the whole key, e.g. oss://${dst.bucket}/${dst.key}data.bin`,
    );
  }
  const asked = partSizeFlag(ctx.args.strings.get("part-size"));
  // A stream's length is unknown, so "auto" (the default) cannot size its parts from it.
  const partSize = asked === "auto" ? PIPE_PART_SIZE : asked;
  const limitRate = bandwidthLimitFlag(ctx.args.strings.get("bandwidth-limit"));
  const settings = objectWriteSettings(ctx);
  const conn = await ctx.connect();
  const bucket = await conn.bucket(dst.bucket);
  const started = performance.now();
  const result = await runTransfer(
    ctx,
    {
      checkpoint: false,
      where: () => "",
      verb: "uploaded",
      nothingKeptNote: ": a pipe cannot be resumed",
    },
    ({ signal }) =>
      bucket.uploadStream(dst.key, ctx.stdin(), { ...settings, partSize, limitRate, signal }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (ctx.json) {
    ctx.out(
      JSON.stringify({ ...writtenObjectJson(result, seconds), parts: result.parts }) + "\n",
    );
  } else if (!ctx.quiet) {
    ctx.out(
      `uploaded standard input to oss://${result.bucket}/${result.key}: ` +
        `${formatBytes(result.size)} ${
          result.parts === 0 ? "in one PutObject" : `in ${result.parts} parts`
        }, ${formatDuration(seconds)}, CRC64 ${result.crc64}` +
        `${result.crc64Verified ? " verified" : " (not reported by the server)"}\n`,
    );
  }
  return EXIT.ok;
}

/**
 * Writes the object to standard output: one GetObject, each chunk's bytes counted and hashed
 * on the way, then the count and the CRC64 compared with the object's. The bytes are already
 * out when a mismatch shows, so it is said on stderr and the exit code is 5: a script's
 * `set -o pipefail` stops there.
 *
 * @param ctx The command context.
 * @param src The object.
 * @param summary Whether to say what was written on stderr (`cp`: yes; `cat`: no, as `cat`).
 * @returns The exit code.
 */
export async function writeObjectToStdout(
  ctx: CliContext,
  src: OssUrl,
  summary: boolean,
): Promise<number> {
  const limitRate = bandwidthLimitFlag(ctx.args.strings.get("bandwidth-limit"));
  const conn = await ctx.connect();
  const bucket = await conn.bucket(src.bucket, false);
  const started = performance.now();
  const crc = new Crc64();
  let written = 0;
  const object = await runTransfer(
    ctx,
    { checkpoint: false, where: () => "", verb: "downloaded" },
    async ({ signal }) => {
      const got = await bucket.getObject(src.key, { signal, limitRate });
      const reader = got.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        crc.update(value);
        written += value.length;
        await ctx.writeOut(value);
      }
      return got;
    },
  );
  const name = `oss://${src.bucket}/${src.key}`;
  if (Number.isFinite(object.size) && written !== object.size) {
    throw new CliError(
      EXIT.integrity,
      `${name}: wrote ${written} bytes to standard output but the object has ${object.size}; ` +
        "what was written is not the object",
    );
  }
  const local = crc.digest();
  if (object.crc64 !== undefined && object.crc64 !== local) {
    throw new CliError(
      EXIT.integrity,
      `${name}: CRC64 mismatch: the ${written} bytes written to standard output have ${local}, ` +
        `the object has ${object.crc64}; what was written is not the object`,
    );
  }
  if (summary && !ctx.quiet) {
    const seconds = (performance.now() - started) / 1000;
    ctx.err(
      `ossup: wrote ${name} to standard output: ${formatBytes(written)}, ` +
        `${formatDuration(seconds)}, CRC64 ${local}` +
        `${object.crc64 !== undefined ? " verified" : " (not reported by the server)"}\n`,
    );
  }
  return EXIT.ok;
}
