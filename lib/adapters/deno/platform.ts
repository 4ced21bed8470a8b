/**
 * Deno's runtime pieces: files through `Deno.open`, checkpoint files beside
 * them (the file store's `node:fs` works on Deno).
 *
 * @module
 */

import type { OssPlatform } from "../../client/platform.ts";
import { FileCheckpointStore } from "../node_api/file_checkpoint_store.ts";
import { openDenoFile } from "./file_source.ts";
import { openDenoFileSink } from "./file_sink.ts";
import { nodeSha256 } from "../node_api/node_sha256.ts";

/**
 * The platform the Deno entry injects into every `OssClient`.
 *
 * @example
 * ```ts
 * import { BaseOssClient, denoPlatform } from "@ossup/ossup/deno";
 *
 * const client = new BaseOssClient({ endpoint: "http://127.0.0.1:9000", region: "cn-hangzhou",
 *   accessKeyId: "ak", accessKeySecret: "sk", platform: denoPlatform });
 * ```
 */
export const denoPlatform: OssPlatform = {
  openFile: (path) => openDenoFile(path),
  createFileSink: (path) => openDenoFileSink(path),
  createCheckpointStore: () => new FileCheckpointStore(),
  sha256: nodeSha256,
};
