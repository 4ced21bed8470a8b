/**
 * ossup: resumable multipart upload to Alibaba Cloud OSS, for Deno, Bun,
 * Node, browsers and edge workers. This entry serves Deno, Bun and Node
 * alike: files are opened with the adapter of the runtime it runs on. The
 * web entry (`@ossup/ossup/web`) holds the core without file adapters.
 *
 * @example The Go SDK's UploadFile(key, file, 100 KB, Routines(3), Checkpoint(true, "")), on OSS
 * (it needs your AccessKey, so the doc tests do not run it; `OssClient`'s example runs the same
 * call against the local server)
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 *
 * const client = new OssClient({
 *   endpoint: "oss-cn-hangzhou.aliyuncs.com",
 *   accessKeyId: "<yourAccessKeyId>",
 *   accessKeySecret: "<yourAccessKeySecret>",
 * });
 * const result = await client.bucket("examplebucket").uploadFile("abc/efg/123.jpg", "LocalFile", {
 *   partSize: 100 * 1024,
 *   routines: 3,
 *   checkpoint: true, // LocalFile.cp beside the file
 * });
 * assert.equal(result.crc64Verified, true); // the object's CRC-64 is the file's
 * ```
 *
 * @module
 */

export * from "./lib/_core.ts";
export { OssClient } from "./lib/adapters/auto/oss_client.ts";
export { autoPlatform } from "./lib/adapters/auto/platform.ts";
export { FileCheckpointStore } from "./lib/adapters/node_api/file_checkpoint_store.ts";
export type { FileCheckpointStoreOptions } from "./lib/adapters/node_api/file_checkpoint_store.ts";
export { openNodeFile } from "./lib/adapters/node_api/file_source.ts";
export type { NodeFileSourceOptions } from "./lib/adapters/node_api/file_source.ts";
export { openDenoFile } from "./lib/adapters/deno/file_source.ts";
export type { DenoFileSourceOptions } from "./lib/adapters/deno/file_source.ts";
export { openBunFile } from "./lib/adapters/bun/file_source.ts";
export type { BunFileSourceOptions } from "./lib/adapters/bun/file_source.ts";
export { openNodeFileSink } from "./lib/adapters/node_api/file_sink.ts";
