/**
 * ossup for the web: the runtime-agnostic core (client, errors, CRC64,
 * signing, the interfaces the upload engine fills) and no adapter for
 * Deno, Bun or Node. It runs in browsers, edge workers and every runtime
 * with `fetch`, web streams and `crypto.subtle`.
 *
 * Published as `@ossup/ossup/web` (JSR) and `ossup/web` (npm).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup/web";
 * import { createAuthenticator, createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server that accepts one STS key stands in for OSS.
 * const sts = { accessKeyId: "STS.ak", accessKeySecret: "sk", securityToken: "token" };
 * const { app, storage } = createOssApp({ storage: new MemoryStorage(), authenticate: createAuthenticator({ credentials: [sts] }) });
 * const server = await listen(app.fetch);
 * await storage.createBucket("examplebucket", { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" });
 *
 * const client = new OssClient({
 *   endpoint: server.url, // "oss-cn-hangzhou.aliyuncs.com"
 *   // In a page: async () => (await fetch("/api/sts-token")).json(), from your server.
 *   credentials: () => Promise.resolve({ ...sts, expiration: new Date(Date.now() + 3600_000) }),
 * });
 * const file = new Blob(["hello"]);
 * await client.bucket("examplebucket").putObject("hello.txt", file);
 * assert.equal(await (await client.bucket("examplebucket").getObject("hello.txt")).text(), "hello");
 *
 * await server.close();
 * await storage.close();
 * ```
 *
 * @module
 */

export * from "./_core.ts";
export { OssClient } from "./adapters/web/oss_client.ts";
export { webPlatform } from "./adapters/web/platform.ts";
export { IndexedDbCheckpointStore } from "./adapters/web/indexeddb_checkpoint_store.ts";
export type {
  IdbFactoryLike,
  IdbKeyRangeLike,
  IndexedDbCheckpointStoreOptions,
  LockManagerLike,
} from "./adapters/web/indexeddb_checkpoint_store.ts";
