/**
 * ossup for Deno: the core plus Deno's adapters. `new OssClient(…)` can
 * upload by file path with checkpoint files beside the source.
 *
 * Published as `@ossup/ossup/deno` (JSR) and `ossup` under the `deno`
 * export condition (npm).
 *
 * @example
 * ```ts ignore
 * import { OssClient } from "@ossup/ossup/deno";
 *
 * const bucket = OssClient.fromEnv().bucket("examplebucket");
 * const result = await bucket.uploadFile("big.iso", "./big.iso", { routines: 4, checkpoint: true });
 * console.log(result.crc64);
 * ```
 *
 * @module
 */

export * from "./_core.ts";
export { OssClient } from "./adapters/deno/oss_client.ts";
export { denoPlatform } from "./adapters/deno/platform.ts";
export { FileCheckpointStore } from "./adapters/node_api/file_checkpoint_store.ts";
export type { FileCheckpointStoreOptions } from "./adapters/node_api/file_checkpoint_store.ts";
export { openDenoFile } from "./adapters/deno/file_source.ts";
export type { DenoFileSourceOptions } from "./adapters/deno/file_source.ts";
export { openNodeFileSink } from "./adapters/node_api/file_sink.ts";
