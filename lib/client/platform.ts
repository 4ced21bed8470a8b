/**
 * Runtime pieces the core receives by injection instead of sniffing the
 * runtime: each runtime's entry point fills them; the web entry leaves the
 * file ones out.
 *
 * @module
 */

import type { CheckpointStore } from "../checkpoint/checkpoint_store.ts";
import type { OpenFile } from "../source/file_source.ts";
import type { CreateFileSink } from "../sink/file_sink.ts";
import type { Sha256Primitives } from "../signing/signing.ts";

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
  /** Makes the sink `downloadFile` writes a file path through. Absent on the web. */
  createFileSink?: CreateFileSink;
  /**
   * Creates the store for checkpoint files (`checkpoint: true` or a path):
   * ids are file paths. Absent on the web.
   */
  createCheckpointStore?: () => CheckpointStore;
  /**
   * Creates the store for `checkpoint: true` when the source is a `Blob` or
   * `File` (no path to put a `.cp` beside): IndexedDB in browsers.
   */
  createBlobCheckpointStore?: () => CheckpointStore;
  /** The hashes V4 signing runs on. Default: `crypto.subtle` ({@linkcode webCryptoSha256}). */
  sha256?: Sha256Primitives;
}

/**
 * Options with `platform` filled in: the entry point's pieces, overridden
 * by any the caller gave.
 *
 * @example
 * ```ts
 * import { type OssClientOptions, withPlatform } from "@ossup/ossup";
 *
 * declare const base: OssClientOptions;
 * const options = withPlatform(base, { openFile: undefined });
 * console.log(typeof options.platform); // "object"
 * ```
 *
 * @param options Client options.
 * @param platform The entry point's runtime pieces.
 * @returns The options with the merged platform.
 */
export function withPlatform<T extends { platform?: OssPlatform }>(
  options: T,
  platform: OssPlatform,
): T {
  return { ...options, platform: { ...platform, ...options?.platform } };
}
