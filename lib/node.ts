/**
 * ossup for Node: the core plus Node's adapters. `new OssClient(…)` can
 * upload by file path with checkpoint files beside the source.
 *
 * Published as `@ossup/ossup/node` (JSR) and `ossup` under the `node`
 * export condition (npm).
 *
 * @example
 * ```ts ignore
 * import { OssClient } from "@ossup/ossup/node";
 *
 * const bucket = OssClient.fromEnv().bucket("examplebucket");
 * const result = await bucket.uploadFile("big.iso", "./big.iso", { routines: 4, checkpoint: true });
 * console.log(result.crc64);
 * ```
 *
 * @module
 */

export * from "./_core.ts";
export { OssClient } from "./adapters/node/oss_client.ts";
export { nodePlatform } from "./adapters/node/platform.ts";
export { FileCheckpointStore } from "./adapters/node_api/file_checkpoint_store.ts";
export type { FileCheckpointStoreOptions } from "./adapters/node_api/file_checkpoint_store.ts";
export { openNodeFile } from "./adapters/node_api/file_source.ts";
export type { NodeFileSourceOptions } from "./adapters/node_api/file_source.ts";
export { openNodeFileSink } from "./adapters/node_api/file_sink.ts";
