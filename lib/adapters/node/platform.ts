/**
 * Node's runtime pieces: files through `node:fs/promises`, checkpoint files
 * beside them.
 *
 * @module
 */

import type { OssPlatform } from "../../client/platform.ts";
import { FileCheckpointStore } from "../node_api/file_checkpoint_store.ts";
import { openNodeFile } from "../node_api/file_source.ts";
import { openNodeFileSink } from "../node_api/file_sink.ts";
import { nodeSha1 } from "../node_api/node_sha1.ts";
import { keyedNodeSha256 } from "../node_api/node_sha256.ts";

/**
 * The platform the Node entry injects into every `OssClient`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { BaseOssClient, nodePlatform, OssClient } from "@ossup/ossup/node";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS, and a temporary directory for the files.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * await writeFile(join(dir, "a.txt"), "hello");
 *
 * // What the node entry's OssClient is: the core client with these pieces.
 * const withFiles = new BaseOssClient({ endpoint: server.url, region: "cn-hangzhou",
 *   accessKeyId: "ak", accessKeySecret: "sk", platform: nodePlatform });
 * const result = await withFiles.bucket("examplebucket").uploadFile("a.txt", join(dir, "a.txt"));
 * assert.equal(result.size, 5);
 *
 * await rm(dir, { recursive: true });
 * await server.close();
 * await storage.close();
 * ```
 */
export const nodePlatform: OssPlatform = {
  openFile: (path) => openNodeFile(path),
  createFileSink: (path) => openNodeFileSink(path),
  createCheckpointStore: () => new FileCheckpointStore(),
  sha256: keyedNodeSha256,
  sha1: nodeSha1,
};
