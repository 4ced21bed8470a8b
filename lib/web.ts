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
 * import { OssClient } from "@ossup/ossup/web";
 *
 * const client = new OssClient({
 *   endpoint: "oss-cn-hangzhou.aliyuncs.com",
 *   credentials: async () => (await fetch("/api/sts-token")).json(),
 * });
 * const file = new Blob(["hello"]);
 * await client.bucket("examplebucket").putObject("hello.txt", file);
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
