/**
 * ossup for Bun: the core plus Bun's adapters. `new OssClient(…)` can
 * upload by file path with checkpoint files beside the source.
 *
 * Published as `@ossup/ossup/bun` (JSR) and `ossup` under the `bun`
 * export condition (npm).
 *
 * @example On Bun, with OSS credentials in the environment (so not run by the doc tests, which run on Deno)
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup/bun";
 *
 * const bucket = OssClient.fromEnv().bucket("examplebucket"); // OSS_ENDPOINT, OSS_ACCESS_KEY_ID, …
 * const result = await bucket.uploadFile("big.iso", "./big.iso", { routines: 4, checkpoint: true });
 * assert.equal(result.crc64Verified, true);
 * ```
 *
 * @module
 */

export * from "./_core.ts";
export { OssClient } from "./adapters/bun/oss_client.ts";
export { bunPlatform } from "./adapters/bun/platform.ts";
export { FileCheckpointStore } from "./adapters/node_api/file_checkpoint_store.ts";
export type { FileCheckpointStoreOptions } from "./adapters/node_api/file_checkpoint_store.ts";
export { type BunFileSourceOptions, openBunFile } from "./adapters/bun/file_source.ts";
export { openNodeFileSink } from "./adapters/node_api/file_sink.ts";
