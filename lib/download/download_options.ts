/**
 * Options, progress and result of a resumable download, mirroring the Go SDK's
 * `Bucket.DownloadFile(objectKey, filePath, partSize, oss.Routines(n),
 * oss.Checkpoint(true, cpPath))` in TypeScript idiom.
 *
 * @module
 */

import type { RateLimit } from "../pacing/rate_limiter.ts";
import type { CheckpointOption } from "../upload/upload_options.ts";
import { MAX_PART_SIZE } from "../upload/part_plan.ts";
import { resolvePartSizeSetting } from "../upload/upload_options.ts";
import {
  DEFAULT_ROUTINES,
  type ParallelismOptions,
  type ResolvedParallelism,
  resolveParallelism,
  type RoutinesUsed,
} from "../upload/parallelism.ts";

/**
 * Default size of a download's ranges: 1 MiB. The Go SDK makes callers choose; ranges smaller
 * than this cost a request each for little data.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_DOWNLOAD_PART_SIZE } from "@ossup/ossup";
 *
 * assert.equal(DEFAULT_DOWNLOAD_PART_SIZE, 1024 * 1024);
 * ```
 */
export const DEFAULT_DOWNLOAD_PART_SIZE = 1024 * 1024;

/**
 * Progress of a download, reported at the start and after every part written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DownloadProgress } from "@ossup/ossup";
 *
 * const p: DownloadProgress = { bytesDone: 5, bytesTotal: 10, partsDone: 1, partsTotal: 2, resumed: false };
 * assert.equal(p.bytesDone / p.bytesTotal, 0.5);
 * ```
 */
export interface DownloadProgress {
  /** Bytes written and recorded, including parts kept from an earlier run. */
  bytesDone: number;
  /** Bytes to download (the object's size, or the range's length). */
  bytesTotal: number;
  /** Parts written and recorded. */
  partsDone: number;
  /** Number of parts. */
  partsTotal: number;
  /** True when this run resumed from a checkpoint. */
  resumed: boolean;
  /** Part size used (what `"auto"` chose, or an earlier run's on resume). */
  partSize?: number;
  /** Ranged GETs at once now (with `routines: "auto"`, what the controller wants now). */
  routines?: number;
}

/**
 * Options of `bucket.downloadFile(key, filePath, options)`.
 *
 * Where the state lives (for a file path `<file>`): the bytes go to `<file>.ossup-download`
 * until they are complete and verified, then that file is renamed to `<file>`; with
 * `checkpoint: true` the journal is `<file>.ossup-download.cp`. Both names differ from an
 * upload's checkpoint (`<file>.cp`), so uploading and downloading the same file do not meet.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DownloadFileOptions } from "@ossup/ossup";
 *
 * const options: DownloadFileOptions = { partSize: 8 * 1024 * 1024, routines: 4, checkpoint: true };
 * assert.equal(options.routines, 4);
 * ```
 */
export interface DownloadFileOptions extends ParallelismOptions {
  /**
   * Bytes per ranged GET, 1 to 5 GiB, or `"auto"` (chosen from the size, `maxRoutines` and
   * how long HeadObject took, see `autoPartSize`; an earlier run's on resume). Memory stays
   * within `routines × 256 KiB` (ranges are written to the file as they arrive, through two
   * 128 KiB buffers per routine, so it does not grow with the part size); a killed run fetches
   * at most `routines × partSize` bytes again.
   * @default {1048576}
   */
  partSize?: number | "auto";
  /**
   * Ranged GETs at once, 1 to 100, or `"auto"`: adapted to the measured throughput within
   * `maxRoutines` and `maxMemory` (each range in flight holds `2 × min(partSize, 128 KiB)`).
   * With `"auto"`, the routines that start together fetch different shares of their first
   * parts (the `k`-th of `n` the front `(k + 1) / n`, then another part's back), so their
   * parts do not end all at once and leave the link idle while they ask for the next ones;
   * and a routine that finds no part left to start takes the back half of the
   * unfetched rest of a range still in flight (down to 64 KiB pieces; the range's own answer
   * is read up to there and cancelled), so the last parts, or one fetched again after a reset,
   * are shared across the routines instead of going at one connection's pace; a part is still
   * recorded in the checkpoint only once all of its pieces are in the file. A number means one
   * ranged GET per part.
   * @default {1}
   */
  routines?: number | "auto";
  /**
   * Resumable-download checkpoint: `true` for `<file>.ossup-download.cp`, a path, or a
   * `CheckpointStore` (id `checkpointId`, default the same path). Off by default, as in the
   * Go SDK: then a failed download removes its partial file.
   * @default {false}
   */
  checkpoint?: CheckpointOption;
  /** Id of the checkpoint inside a `CheckpointStore` given as `checkpoint`. */
  checkpointId?: string;
  /**
   * When another process holds the checkpoint, wait for it instead of failing with a
   * `CheckpointError("CheckpointLocked")`.
   * @default {false}
   */
  waitForCheckpoint?: boolean;
  /**
   * Only these bytes of the object (`end` inclusive, default the last byte); the file holds
   * just them. OSS reports no CRC-64 for a range, so the result is not CRC-verified
   * (`crc64Verified: false`); every range's length is still checked.
   */
  range?: { start: number; end?: number };
  /** A version of the object, in a versioned bucket (`?versionId=` on every request). */
  versionId?: string;
  /** Pauses (with a checkpoint: run again to resume) or cancels the download. */
  signal?: AbortSignal;
  /** Called at the start and after every part written. */
  onProgress?: (progress: DownloadProgress) => void;
  /**
   * Most bytes per second the download receives, all routines together: a number from 1024 (a
   * limiter of its own), or a `RateLimiter` shared with other transfers, as ossutil's
   * `--bandwidth-limit`. Default: no limit.
   */
  limitRate?: RateLimit;
}

/**
 * The result of a finished download.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DownloadResult } from "@ossup/ossup";
 *
 * const ok = (r: DownloadResult) => r.crc64Verified && r.bytesReceived <= r.size;
 * assert.equal(typeof ok, "function");
 * ```
 */
export interface DownloadResult {
  /** Bucket name. */
  bucket: string;
  /** Object key. */
  key: string;
  /** Where the bytes are now (the file path, or the sink's name). */
  file: string;
  /** Bytes written (the object's size, or the range's length). */
  size: number;
  /** The object's ETag, without quotes; every range was fetched under it (If-Match). */
  etag: string;
  /** The object's version, when the server named one. */
  versionId?: string;
  /** CRC-64 of the bytes written, combined from the parts'. */
  crc64: bigint;
  /** True when the server reported the object's CRC-64 and it equals `crc64` (never for a range). */
  crc64Verified: boolean;
  /** Part size used (an earlier run's, when resumed). */
  partSize: number;
  /** The routines this run used. */
  routines: RoutinesUsed;
  /** Number of parts. */
  parts: number;
  /** True when this run resumed from a checkpoint. */
  resumed: boolean;
  /** Bytes received in this run, retries included. */
  bytesReceived: number;
  /**
   * Of those, bytes fetched again: what a broken range received but had not yet written (it
   * is fetched again from there), and parts an earlier run recorded that were not intact in the
   * partial file.
   */
  bytesRefetched: number;
  /**
   * Why a checkpoint found at this download's place was not used (the object changed on the
   * server, another target, damaged): the download started over.
   */
  checkpointDiscarded?: string;
}

/** Options after validation, with defaults applied. */
export interface ResolvedDownloadOptions {
  partSize: number | "auto";
  parallelism: ResolvedParallelism;
}

/**
 * Validates download options and applies defaults.
 *
 * @throws {RangeError} For a part size outside 1 B–5 GiB or routines outside 1–100.
 * @throws {TypeError} For a part size or routines neither a number nor `"auto"`.
 */
export function resolveDownloadOptions(
  options: Pick<
    DownloadFileOptions,
    "partSize" | "routines" | "maxRoutines" | "maxMemory" | "adaptive"
  >,
): ResolvedDownloadOptions {
  const partSize = resolvePartSizeSetting(options.partSize, DEFAULT_DOWNLOAD_PART_SIZE);
  if (
    partSize !== "auto" &&
    (!Number.isSafeInteger(partSize) || partSize < 1 || partSize > MAX_PART_SIZE)
  ) {
    throw new RangeError(
      `partSize must be "auto" or a whole number of bytes from 1 to ${MAX_PART_SIZE}; got ${partSize}`,
    );
  }
  return { partSize, parallelism: resolveParallelism(options, DEFAULT_ROUTINES) };
}
