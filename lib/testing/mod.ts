/**
 * Contract suites for what third parties plug into ossup, as `node:test` tests that run on
 * Deno, Bun and Node: a `CheckpointStore` of your own (Redis, Deno KV, a database) proves it
 * behaves as the upload engine needs by calling {@linkcode checkpointStoreContract} from one
 * test file. ossup's own stores pass the same suite.
 *
 * @example
 * ```ts ignore
 * // my_store.test.ts: node --test, deno test -A or bun test
 * import { checkpointStoreContract } from "@ossup/ossup/testing";
 * import { MyKvStore } from "./my_kv_store.ts";
 *
 * let n = 0;
 * const store = new MyKvStore();
 * checkpointStoreContract("my kv store", { store, peer: new MyKvStore(), newId: () => `t-${++n}` });
 * ```
 *
 * @module
 */

export { checkpointStoreContract } from "./checkpoint_store_contract.ts";
export type { CheckpointStoreSetup } from "./checkpoint_store_contract.ts";
export { fileSourceContract } from "./file_source_contract.ts";
export type { FileSourceFixture, FileSourceSetup } from "./file_source_contract.ts";
// Named by the setups: the interfaces a store and a source implement.
export type { CheckpointLock, CheckpointStore } from "../checkpoint/checkpoint_store.ts";
export type { FileSource, SourceStat } from "../source/file_source.ts";
