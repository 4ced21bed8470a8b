/**
 * Runtime pieces the core receives by injection instead of sniffing the
 * runtime: each runtime's entry point fills them; the web entry leaves the
 * file ones out.
 *
 * @module
 */

import type { CheckpointStore } from "../checkpoint_store.ts";
import type { OpenFile } from "../file_source.ts";

/**
 * What a runtime entry point gives the client for the upload engine:
 * opening files by path and the default checkpoint store. All optional;
 * the core works without them (uploads from `Blob`s and streams, with a
 * memory or user-supplied checkpoint store).
 *
 * @example The shape a Node entry point fills
 * ```ts
 * import type { OssPlatform } from "@ossup/ossup";
 * import type { CheckpointStore, FileSource } from "@ossup/ossup";
 *
 * declare function openNodeFile(path: string): Promise<FileSource>;
 * declare function fileCheckpointStore(): CheckpointStore;
 * const platform: OssPlatform = { openFile: openNodeFile, createCheckpointStore: fileCheckpointStore };
 * ```
 */
export interface OssPlatform {
  /** Opens a file path as a random-access source. Absent on the web. */
  openFile?: OpenFile;
  /** Creates the default checkpoint store (a file store, where there are files). */
  createCheckpointStore?: () => CheckpointStore;
}
