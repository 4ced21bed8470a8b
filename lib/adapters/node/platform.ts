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
import { nodeSha256 } from "../node_api/node_sha256.ts";

/**
 * The platform the Node entry injects into every `OssClient`.
 *
 * @example
 * ```ts
 * import { BaseOssClient, nodePlatform } from "@ossup/ossup/node";
 *
 * const client = new BaseOssClient({ endpoint: "http://127.0.0.1:9000", region: "cn-hangzhou",
 *   accessKeyId: "ak", accessKeySecret: "sk", platform: nodePlatform });
 * ```
 */
export const nodePlatform: OssPlatform = {
  openFile: (path) => openNodeFile(path),
  createFileSink: (path) => openNodeFileSink(path),
  createCheckpointStore: () => new FileCheckpointStore(),
  sha256: nodeSha256,
};
