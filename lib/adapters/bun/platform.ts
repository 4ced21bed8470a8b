/**
 * Bun's runtime pieces: files through `Bun.file`, checkpoint files beside
 * them (the file store's `node:fs` works on Bun).
 *
 * @module
 */

import type { OssPlatform } from "../../client/platform.ts";
import { FileCheckpointStore } from "../node_api/file_checkpoint_store.ts";
import { openBunFile } from "./file_source.ts";
import { openNodeFileSink } from "../node_api/file_sink.ts";
import { nodeSha1 } from "../node_api/node_sha1.ts";
import { keyedNodeSha256 } from "../node_api/node_sha256.ts";

/**
 * The platform the Bun entry injects into every `OssClient`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BaseOssClient, bunPlatform } from "@ossup/ossup/bun";
 *
 * // What the Bun entry's OssClient is: the core client with these pieces.
 * const client = new BaseOssClient({ endpoint: "http://127.0.0.1:9000", region: "cn-hangzhou",
 *   accessKeyId: "ak", accessKeySecret: "sk", platform: bunPlatform });
 * assert.equal(client.bucket("examplebucket").name, "examplebucket");
 * assert.equal(typeof bunPlatform.openFile, "function"); // Bun.file underneath: file paths upload on Bun
 * ```
 */
export const bunPlatform: OssPlatform = {
  openFile: (path) => openBunFile(path),
  createFileSink: (path) => openNodeFileSink(path),
  createCheckpointStore: () => new FileCheckpointStore(),
  sha256: keyedNodeSha256,
  sha1: nodeSha1,
};
