/**
 * Contract suites for what third parties plug into ossup, as `node:test` tests that run on
 * Deno, Bun and Node: a `CheckpointStore` of your own (Redis, Deno KV, a database), a
 * `FileSource`, a `FileSink` or a `fetch` (an undici `Agent`, a proxy-aware fetch) proves it
 * behaves as the upload and download engines need by calling {@linkcode checkpointStoreContract},
 * {@linkcode fileSourceContract}, {@linkcode fileSinkContract} or {@linkcode transportContract}
 * from one test file. ossup's
 * own stores, sources and transports pass the same suites. Every server a suite needs, it starts
 * itself on 127.0.0.1 and a free port.
 *
 * @example A test file of your own (it registers `node:test` tests, which a doc test cannot hold)
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
export { fileSinkContract } from "./file_sink_contract.ts";
export type { FileSinkFixture, FileSinkSetup } from "./file_sink_contract.ts";
export { transportContract } from "./transport_contract.ts";
export type {
  TransportClient,
  TransportClientOptions,
  TransportOptions,
  TransportSetup,
} from "./transport_contract.ts";
// Named by the setups: the interfaces a store and a source implement.
export type { CheckpointLock, CheckpointStore } from "../checkpoint/checkpoint_store.ts";
export type { FileSource, SourceStat } from "../source/file_source.ts";
export type { FileSink } from "../sink/file_sink.ts";
