/**
 * The web's runtime pieces: no file paths; `checkpoint: true` on a `File`
 * keeps its checkpoint in IndexedDB where there is one, else in memory.
 *
 * @module
 */

import type { CheckpointStore } from "../../checkpoint/checkpoint_store.ts";
import type { OssPlatform } from "../../client/platform.ts";
import { MemoryCheckpointStore } from "../../checkpoint/memory_checkpoint_store.ts";
import { IndexedDbCheckpointStore } from "./indexeddb_checkpoint_store.ts";

/**
 * The platform the web entry injects into every `OssClient`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient, webPlatform } from "@ossup/ossup/web";
 *
 * assert.equal(webPlatform.openFile, undefined); // pass Blobs and Files
 * const client = new OssClient({ endpoint: "http://127.0.0.1:9000", accessKeyId: "ak", accessKeySecret: "sk" });
 * await assert.rejects(client.bucket("examplebucket").uploadFile("a.bin", "./a.bin"), TypeError);
 * ```
 */
export const webPlatform: OssPlatform = {
  // One store per page or worker, so a retry in the same process finds its checkpoint.
  createBlobCheckpointStore: () =>
    shared ??= "indexedDB" in globalThis
      ? new IndexedDbCheckpointStore()
      : new MemoryCheckpointStore(),
};

let shared: CheckpointStore | undefined;
