/**
 * Where a transfer keeps its checkpoint, from what the caller gave as `checkpoint`: `true`
 * (a file beside the local file, or the runtime's store for sources without a path), a file
 * path, or a `CheckpointStore`. Shared by uploads and downloads. Not part of the public surface.
 *
 * @module
 */

import type { CheckpointStore } from "./checkpoint_store.ts";
import type { OssPlatform } from "../client/platform.ts";

/**
 * Where the engine keeps its checkpoint: a store and the id inside it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blobSource, MemoryCheckpointStore, OssClient, uploadSource } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * const store = new MemoryCheckpointStore();
 * await uploadSource(bucket, "hello.txt", blobSource(new Blob(["hello"])), {
 *   checkpoint: { store, id: "hello-upload" },
 * });
 * assert.equal(await store.read("hello-upload"), null); // removed once the upload completed
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface CheckpointLocation {
  /** The store that keeps the checkpoint. */
  store: CheckpointStore;
  /** The checkpoint's id in that store. */
  id: string;
}

/** What {@linkcode locateCheckpoint} needs besides the option. */
export interface CheckpointPlace {
  /** `checkpointId` as the caller gave it. */
  checkpointId: string | undefined;
  /** The checkpoint file `checkpoint: true` means, when the transfer has a local path. */
  beside: string | undefined;
  /** The id in a store when there is no path (derived from the transfer's ends). */
  fallbackId: string;
  /** What `checkpoint: true` needs a path for, for the error without one, e.g. `"a Blob"`. */
  withoutPath: string;
}

/** Whether `value` is a `CheckpointStore` (has read, write, append and lock). */
export function isCheckpointStore(value: unknown): value is CheckpointStore {
  const v = value as CheckpointStore;
  return typeof value === "object" && value !== null && typeof v.read === "function" &&
    typeof v.write === "function" && typeof v.append === "function" && typeof v.lock === "function";
}

/**
 * Resolves a `checkpoint` option: `undefined` for none.
 *
 * @param option The caller's `checkpoint`.
 * @param place The transfer's defaults.
 * @param platform The runtime's stores.
 * @returns The store and id, or `undefined` for `false`/absent.
 * @throws {TypeError} When the option is of another type, or names a file on a runtime
 * without files.
 */
export function locateCheckpoint(
  option: boolean | string | CheckpointStore | undefined,
  place: CheckpointPlace,
  platform: OssPlatform,
): CheckpointLocation | undefined {
  if (option === undefined || option === false) return undefined;
  const { checkpointId, beside, fallbackId } = place;
  if (isCheckpointStore(option)) return { store: option, id: checkpointId ?? beside ?? fallbackId };
  if (option === true || typeof option === "string") {
    if (beside !== undefined || typeof option === "string") {
      const create = platform.createCheckpointStore;
      if (!create) {
        throw new TypeError(
          "checkpoint files need a runtime with files (Deno, Bun, Node); here pass a CheckpointStore as checkpoint",
        );
      }
      return { store: create(), id: typeof option === "string" ? option : beside! };
    }
    const createForBlob = platform.createBlobCheckpointStore;
    if (!createForBlob) {
      throw new TypeError(
        `checkpoint: true needs a file path to put its checkpoint beside; for ${place.withoutPath} pass a ` +
          "checkpoint file path or a CheckpointStore as checkpoint",
      );
    }
    return { store: createForBlob(), id: checkpointId ?? fallbackId };
  }
  throw new TypeError(
    `checkpoint must be true, false, a file path or a CheckpointStore; got ${typeof option}`,
  );
}
