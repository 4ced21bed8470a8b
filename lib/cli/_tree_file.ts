/**
 * One file of a tree transfer, any way: at most the threshold in one
 * request (PutObject, GetObject, CopyObject) with its CRC-64 checked; above
 * it, the library's `uploadFile`/`downloadFile`/`copyFile` in parallel
 * parts, resumable from a checkpoint kept in the tree's journal.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, utimes, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Bucket } from "../client/bucket.ts";
import type { CheckpointStore } from "../checkpoint/checkpoint_store.ts";
import type { ObjectWriteSettings } from "../client/object_write_options.ts";
import { crc64 } from "../crc64/crc64.ts";
import { IntegrityError } from "../errors/errors.ts";
import type { RateLimiter } from "../pacing/rate_limiter.ts";
import { PARTIAL_DOWNLOAD_SUFFIX } from "../sink/file_sink.ts";
import type { CheckpointSetAside } from "../upload/upload_options.ts";

/**
 * Files up to this size are read with one synchronous `readFileSync`: for a tree of small files
 * the promise-based `readFile` (open, fstat, read, close, each an asynchronous operation) was
 * the largest cost per file in a CPU profile on Deno (a fifth of the process's time) and 8% on
 * Node, where `readFileSync` costs a few tens of µs; a read of at most 1 MiB from the page
 * cache holds the event loop for well under a millisecond. Larger files (a raised
 * `--bigfile-threshold`) are read without blocking.
 */
const SYNC_READ_LIMIT = 1024 * 1024;

/** How every file of one tree transfer goes. */
export interface TreeFileOptions {
  /** The bucket written (uploads, copies) or read (downloads). */
  bucket: Bucket;
  /** A copy's source bucket. */
  sourceBucket: string;
  /** Files up to this many bytes go in one request. */
  threshold: number;
  /** Bytes per part of a large file (`--part-size`; `"auto"`: the engine's choice). */
  partSize: number | "auto";
  /** Parts of one large file at once (`--parallel`; `"auto"`: the engine's choice). */
  routines: number | "auto";
  /** One limiter for the whole tree, or none. */
  limitRate?: RateLimiter;
  /** The journal's nested store for large files' checkpoints; `undefined` with `--no-checkpoint`. */
  checkpoints?: CheckpointStore;
  /**
   * What every uploaded object stores besides its bytes (`--acl`, `--meta`...), on its
   * PutObject or its multipart upload's requests alike; `--content-type` replaces the type
   * each file's extension would give. Empty for downloads.
   */
  settings: ObjectWriteSettings;
  /** Stops the transfer. */
  signal: AbortSignal;
  /** Said when a large file's checkpoint is not used. */
  onSetAside: (s: CheckpointSetAside) => void;
}

/** One file to move: its local path, its key, its size. */
export interface TreeFile {
  /** The relative path, the checkpoint's name in the journal. */
  rel: string;
  /** The local file. */
  path: string;
  /** The object key: written (uploads, copies) or read (downloads). */
  key: string;
  /** A copy's source key. */
  sourceKey: string;
  /** Bytes, as listed. */
  size: number;
  /**
   * Last written, as listed (ms since the epoch). A downloaded file takes
   * its object's `LastModified` as mtime, so `sync` can tell it unchanged
   * from the listing alone.
   */
  mtimeMs: number;
}

function checkCrc(what: string, expected: bigint | undefined, bytes: Uint8Array): void {
  // A server that reports no CRC-64 (some proxies) leaves the length check alone.
  if (expected === undefined) return;
  const actual = crc64(bytes);
  if (actual !== expected) {
    throw new IntegrityError(
      `CRC64 mismatch for ${what}: computed ${actual}, the server reported ${expected}`,
    );
  }
}

/** The options a large file's `uploadFile` and `downloadFile` share; its checkpoint is named by direction and path. */
function inParts(
  f: TreeFile,
  o: TreeFileOptions,
  onBytes: (done: number) => void,
  direction: "up" | "down" | "copy",
) {
  return {
    partSize: o.partSize,
    routines: o.routines,
    limitRate: o.limitRate,
    checkpoint: o.checkpoints ?? false,
    checkpointId: `${direction}:${f.rel}`,
    signal: o.signal,
    onProgress: (p: { bytesDone: number }) => onBytes(p.bytesDone),
  };
}

/**
 * Uploads one file.
 *
 * @param f The file.
 * @param o The tree's options.
 * @param onBytes Bytes done of this file so far (large files report as their parts go).
 */
export async function uploadTreeFile(
  f: TreeFile,
  o: TreeFileOptions,
  onBytes: (done: number) => void,
): Promise<void> {
  if (f.size <= o.threshold) {
    const bytes = f.size <= SYNC_READ_LIMIT ? readFileSync(f.path) : await readFile(f.path);
    const result = await o.bucket.putObject(f.key, bytes, {
      ...o.settings,
      signal: o.signal,
      limitRate: o.limitRate,
    });
    checkCrc(`oss://${o.bucket.name}/${f.key}`, result.crc64, bytes);
    onBytes(bytes.length);
    return;
  }
  await o.bucket.uploadFile(f.key, f.path, {
    ...o.settings,
    ...inParts(f, o, onBytes, "up"),
    onCheckpointSetAside: o.onSetAside,
  });
}

/**
 * Downloads one object; the folders on its path are made first, and the
 * file's mtime is the object's `LastModified`.
 *
 * @param f The file.
 * @param o The tree's options.
 * @param onBytes Bytes done of this file so far.
 */
export async function downloadTreeFile(
  f: TreeFile,
  o: TreeFileOptions,
  onBytes: (done: number) => void,
): Promise<void> {
  await mkdir(dirname(f.path), { recursive: true });
  await downloadBytes(f, o, onBytes);
  const mtime = new Date(f.mtimeMs);
  await utimes(f.path, mtime, mtime);
}

async function downloadBytes(
  f: TreeFile,
  o: TreeFileOptions,
  onBytes: (done: number) => void,
): Promise<void> {
  if (f.size <= o.threshold) {
    const res = await o.bucket.getObject(f.key, { signal: o.signal, limitRate: o.limitRate });
    const bytes = await res.bytes();
    const what = `oss://${o.bucket.name}/${f.key}`;
    if (bytes.length !== res.size) {
      throw new IntegrityError(`${what}: received ${bytes.length} bytes of ${res.size}`);
    }
    checkCrc(what, res.crc64, bytes);
    // Written beside and renamed over: the file is whole or absent, never half.
    const partial = f.path + PARTIAL_DOWNLOAD_SUFFIX;
    try {
      await writeFile(partial, bytes);
      await rename(partial, f.path);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
    onBytes(bytes.length);
    return;
  }
  await o.bucket.downloadFile(f.key, f.path, inParts(f, o, onBytes, "down"));
}

/**
 * Copies one object inside OSS with `copyFile`: one CopyObject up to the threshold, else
 * UploadPartCopy parts checkpointed in the tree's journal; its CRC-64 checked against the
 * source's either way.
 *
 * @param f The file (`sourceKey` in `o.sourceBucket` to `key` in `o.bucket`).
 * @param o The tree's options.
 * @param onBytes Bytes the server has copied of this object so far.
 */
export async function copyTreeFile(
  f: TreeFile,
  o: TreeFileOptions,
  onBytes: (done: number) => void,
): Promise<void> {
  await o.bucket.copyFile(o.sourceBucket, f.sourceKey, f.key, {
    ...inParts(f, o, onBytes, "copy"),
    copyObjectLimit: o.threshold,
    onCheckpointSetAside: o.onSetAside,
  });
}
