/**
 * `bucket.uploadFile(key, file, options)`: resolves what the caller gave (a
 * path, a `Blob`/`File`, or any `FileSource`) and where its checkpoint goes,
 * with the runtime pieces the entry point injected, then runs the engine.
 *
 * @module
 */

import { locateCheckpoint } from "../checkpoint/checkpoint_location.ts";
import type { FileSource } from "../source/file_source.ts";
import type { OssPlatform } from "../client/platform.ts";
import { blobSource } from "../source/blob_source.ts";
import type { MultipartTarget } from "./multipart_target.ts";
import type { UploadFileOptions, UploadResult } from "./upload_options.ts";
import { uploadSource } from "./upload_source.ts";

/**
 * What `uploadFile` accepts as the thing to upload.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { blobSource, OssClient, type UploadFileInput } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS, and a file in a temporary directory for big.iso.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * await writeFile(join(dir, "big.iso"), "hello");
 *
 * const inputs: UploadFileInput[] = [
 *   join(dir, "big.iso"), // a path (not in the web entry)
 *   new Blob(["hello"]), // a Blob or a File
 *   blobSource(new Blob(["hello"])), // any FileSource
 * ];
 * for (const [i, input] of inputs.entries()) await bucket.uploadFile(`upload-${i}`, input);
 * for (const i of [0, 1, 2]) assert.equal((await bucket.headObject(`upload-${i}`)).size, 5);
 *
 * await rm(dir, { recursive: true });
 * await server.close();
 * await storage.close();
 * ```
 */
export type UploadFileInput = string | Blob | FileSource;

function isFileSource(value: unknown): value is FileSource {
  const v = value as FileSource;
  return typeof value === "object" && value !== null && typeof v.stream === "function" &&
    typeof v.stat === "function" && typeof v.size === "number";
}

/** The default id of a checkpoint in a store, for sources without a path. */
function defaultCheckpointId(target: MultipartTarget, key: string, source: FileSource): string {
  return `ossup:${target.endpointHost}/${target.name}/${key}#${source.name}:${source.size}`;
}

/**
 * Opens what the caller gave (a path through the platform, a `Blob`/`File`, or a
 * `FileSource` taken as it is). The caller closes `source` when it is not `file` itself.
 *
 * @param platform The runtime pieces the entry point injected.
 * @param file A path, a `Blob`/`File`, or a `FileSource`.
 * @param doing What needs it, for the error message (`"uploading"`, `"appending"`).
 * @returns The source, and the path when `file` is one.
 */
export async function openUploadInput(
  platform: OssPlatform,
  file: UploadFileInput,
  doing: string,
): Promise<{ source: FileSource; path?: string }> {
  if (typeof file === "string") {
    if (!platform.openFile) {
      throw new TypeError(
        `${doing} by file path needs a runtime entry with files (Deno, Bun, Node); in browsers and edge ` +
          "workers pass a Blob or File",
      );
    }
    return { source: await platform.openFile(file), path: file };
  }
  if (typeof Blob !== "undefined" && file instanceof Blob) return { source: blobSource(file) };
  if (isFileSource(file)) return { source: file };
  throw new TypeError("file must be a path, a Blob/File, or a FileSource");
}

/**
 * Uploads a file path, `Blob`/`File` or `FileSource` to `key` with resumable
 * multipart upload. This is what `bucket.uploadFile` runs.
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
 * // A local OSS server stands in for OSS, and a file in a temporary directory for big.iso.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * const path = join(dir, "big.iso");
 * await writeFile(path, new Uint8Array(300 * 1024));
 *
 * const result = await bucket.uploadFile("backups/big.iso", path, {
 *   partSize: 100 * 1024,
 *   routines: 4,
 *   checkpoint: true, // big.iso.cp beside the file, removed once the upload completes
 * });
 * assert.equal(result.parts, 3);
 * assert.equal(result.crc64Verified, true);
 * assert.equal(result.resumed, false);
 *
 * await rm(dir, { recursive: true });
 * await server.close();
 * await storage.close();
 * ```
 *
 * @param target The bucket.
 * @param platform The runtime pieces the entry point injected.
 * @param key The object key.
 * @param file A path (needs a runtime entry with files), a `Blob`/`File`, or a `FileSource`.
 * @param options Part size, routines, checkpoint, progress, signal.
 * @returns The object's ETag and CRC64, and what this run did.
 */
export async function uploadFile(
  target: MultipartTarget,
  platform: OssPlatform,
  key: string,
  file: UploadFileInput,
  options: UploadFileOptions = {},
): Promise<UploadResult> {
  const { source, path } = await openUploadInput(platform, file, "uploading");
  try {
    // One checkpoint per file, as the Go SDK's Checkpoint(true, ""): one for
    // another destination is set aside out loud and its upload aborted.
    const checkpoint = locateCheckpoint(options.checkpoint, {
      checkpointId: options.checkpointId,
      beside: path === undefined ? undefined : `${path}.cp`,
      fallbackId: defaultCheckpointId(target, key, source),
      withoutPath: "a Blob or a custom source",
    }, platform);
    return await uploadSource(target, key, source, { ...options, checkpoint });
  } finally {
    if (source !== file) await source.close();
  }
}
