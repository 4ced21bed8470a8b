/**
 * Runtime pieces the core receives by injection instead of sniffing the
 * runtime: each runtime's entry point fills them; the web entry leaves the
 * file ones out.
 *
 * @module
 */

import type { CheckpointStore } from "../checkpoint/checkpoint_store.ts";
import type { OpenFile } from "../source/file_source.ts";
import type { CreateFileSink } from "../sink/file_sink.ts";
import type { Sha1Primitives, Sha256Primitives } from "../signing/signing.ts";

/**
 * What a runtime entry point gives the client for the upload engine:
 * opening files by path and the default checkpoint store. All optional;
 * the core works without them (uploads from `Blob`s and streams, with a
 * memory or user-supplied checkpoint store).
 *
 * @example The shape a Node entry point fills
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { BaseOssClient, FileCheckpointStore, OssClient, type OssPlatform } from "@ossup/ossup";
 * import { openNodeFile } from "@ossup/ossup/node";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS, and a temporary directory for the files.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * await writeFile(join(dir, "a.bin"), "hello");
 *
 * const platform: OssPlatform = {
 *   openFile: openNodeFile,
 *   createCheckpointStore: () => new FileCheckpointStore(),
 * };
 * // BaseOssClient has no runtime pieces of its own: with these, it uploads file paths.
 * const withFiles = new BaseOssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk", platform });
 * const result = await withFiles.bucket("examplebucket").uploadFile("a.bin", join(dir, "a.bin"), { checkpoint: true });
 * assert.equal(result.size, 5);
 *
 * await rm(dir, { recursive: true });
 * await server.close();
 * await storage.close();
 * ```
 */
export interface OssPlatform {
  /** Opens a file path as a random-access source. Absent on the web. */
  openFile?: OpenFile;
  /** Makes the sink `downloadFile` writes a file path through. Absent on the web. */
  createFileSink?: CreateFileSink;
  /**
   * Creates the store for checkpoint files (`checkpoint: true` or a path):
   * ids are file paths. Absent on the web.
   */
  createCheckpointStore?: () => CheckpointStore;
  /**
   * Creates the store for `checkpoint: true` when the source is a `Blob` or
   * `File` (no path to put a `.cp` beside): IndexedDB in browsers.
   */
  createBlobCheckpointStore?: () => CheckpointStore;
  /** The hashes V4 signing runs on. Default: `crypto.subtle` ({@linkcode webCryptoSha256}). */
  sha256?: Sha256Primitives;
  /** The HMAC-SHA1 V1 signing runs on. Default: `crypto.subtle` ({@linkcode webCryptoSha1}). */
  sha1?: Sha1Primitives;
}

/**
 * Options with `platform` filled in: the entry point's pieces, overridden
 * by any the caller gave.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type OssClientOptions, withPlatform } from "@ossup/ossup";
 *
 * const base: OssClientOptions = { endpoint: "http://127.0.0.1:9000", accessKeyId: "ak", accessKeySecret: "sk" };
 * const open = () => Promise.reject(new Error("no files here"));
 * const options = withPlatform(base, { openFile: open });
 * assert.equal(options.platform?.openFile, open);
 * // What the caller gave wins over the entry point's:
 * assert.equal(withPlatform({ ...base, platform: { openFile: undefined } }, { openFile: open }).platform?.openFile, undefined);
 * ```
 *
 * @param options Client options.
 * @param platform The entry point's runtime pieces.
 * @returns The options with the merged platform.
 */
export function withPlatform<T extends { platform?: OssPlatform }>(
  options: T,
  platform: OssPlatform,
): T {
  return { ...options, platform: { ...platform, ...options?.platform } };
}
