/**
 * ossup for Deno: the core plus Deno's adapters. `new OssClient(…)` can
 * upload by file path with checkpoint files beside the source.
 *
 * Published as `@ossup/ossup/deno` (JSR) and `ossup` under the `deno`
 * export condition (npm).
 *
 * @example Upload a file by path, resumably
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { OssClient } from "@ossup/ossup/deno";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS (`OssClient.fromEnv()` would read OSS_ENDPOINT and the keys),
 * // and a temporary directory for big.iso.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * await writeFile(join(dir, "big.iso"), new Uint8Array(250 * 1024));
 *
 * const result = await bucket.uploadFile("big.iso", join(dir, "big.iso"), { routines: 4, checkpoint: true });
 * assert.equal(result.parts, 3);
 * assert.equal(result.crc64Verified, true);
 *
 * await rm(dir, { recursive: true });
 * await server.close();
 * await storage.close();
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
