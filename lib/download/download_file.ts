/**
 * `bucket.downloadFile(key, file, options)`: resolves where the bytes go (a path, through the
 * runtime's file sink, or any `FileSink`) and where the checkpoint goes, then runs the engine.
 *
 * @module
 */

import { locateCheckpoint } from "../checkpoint/checkpoint_location.ts";
import type { OssPlatform } from "../client/platform.ts";
import { type FileSink, PARTIAL_DOWNLOAD_SUFFIX } from "../sink/file_sink.ts";
import type { DownloadFileOptions, DownloadResult } from "./download_options.ts";
import { type DownloadTarget, downloadToSink } from "./download_sink.ts";

/**
 * What `downloadFile` writes to: a file path (runtime entries with files) or a
 * {@linkcode FileSink}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DownloadFileOutput } from "@ossup/ossup";
 *
 * const output: DownloadFileOutput = "./big.iso";
 * assert.equal(typeof output, "string");
 * ```
 */
export type DownloadFileOutput = string | FileSink;

function isFileSink(value: unknown): value is FileSink {
  const v = value as FileSink;
  return typeof value === "object" && value !== null && typeof v.name === "string" &&
    typeof v.open === "function" && typeof v.write === "function" &&
    typeof v.commit === "function";
}

/**
 * Downloads `key` to a file path or a `FileSink` with parallel ranged GETs, resumable through
 * a checkpoint. This is what `bucket.downloadFile` runs.
 *
 * @param target The bucket.
 * @param platform The runtime pieces the entry point injected.
 * @param key The object key.
 * @param file A path (needs a runtime entry with files) or a `FileSink`.
 * @param options Part size, routines, checkpoint, range, version, progress, signal.
 * @returns What was written and how it was checked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS, and a temporary directory for the files.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 *
 * await bucket.putObject("backups/big.iso", new Uint8Array(300 * 1024));
 * const result = await bucket.downloadFile("backups/big.iso", join(dir, "big.iso"), {
 *   partSize: 100 * 1024,
 *   routines: 4,
 *   checkpoint: true,
 * });
 * assert.equal(result.crc64Verified, true);
 *
 * await rm(dir, { recursive: true });
 * await server.close();
 * await storage.close();
 * ```
 */
export async function downloadFile(
  target: DownloadTarget,
  platform: OssPlatform,
  key: string,
  file: DownloadFileOutput,
  options: DownloadFileOptions = {},
): Promise<DownloadResult> {
  let sink: FileSink;
  let path: string | undefined;
  if (typeof file === "string") {
    if (!platform.createFileSink) {
      throw new TypeError(
        "downloading to a file path needs a runtime entry with files (Deno, Bun, Node); in browsers and " +
          "edge workers pass a FileSink",
      );
    }
    if (file === "") throw new TypeError("file must be a non-empty path");
    path = file;
    sink = platform.createFileSink(file);
  } else if (isFileSink(file)) {
    sink = file;
  } else {
    throw new TypeError("file must be a path or a FileSink");
  }
  const checkpoint = locateCheckpoint(options.checkpoint, {
    checkpointId: options.checkpointId,
    // Not <file>.cp: that is the upload's checkpoint of the same file.
    beside: path === undefined ? undefined : `${path}${PARTIAL_DOWNLOAD_SUFFIX}.cp`,
    fallbackId: `ossup-download:${target.endpointHost}/${target.name}/${key}#${sink.name}`,
    withoutPath: "a FileSink",
  }, platform);
  return await downloadToSink(target, key, sink, { ...options, checkpoint });
}
