/**
 * Options, progress and result of a resumable upload, mirroring the Go SDK's
 * `Bucket.UploadFile(objectKey, filePath, partSize, oss.Routines(n),
 * oss.Checkpoint(true, cpPath))` in TypeScript idiom.
 *
 * @module
 */

import type { CheckpointStore } from "../checkpoint/checkpoint_store.ts";
import {
  checkWriteSettings,
  type ObjectWriteSettings,
  pickWriteSettings,
  settingsFor,
} from "../client/object_write_options.ts";
import type {
  CompleteCallOptions,
  ObjectWriteOptions,
  PartCallOptions,
} from "./multipart_target.ts";
import { DEFAULT_PART_SIZE } from "./part_plan.ts";
import { contentTypeByName } from "../client/content_type.ts";
import { type RateLimit, rateLimiterFor } from "../pacing/rate_limiter.ts";
import {
  DEFAULT_ROUTINES,
  MAX_ROUTINES,
  type ParallelismOptions,
  type ResolvedParallelism,
  resolveParallelism,
  type RoutinesUsed,
} from "./parallelism.ts";

export { DEFAULT_ROUTINES, MAX_ROUTINES };

/**
 * Progress of an upload, reported once as the parts start (counting what an
 * earlier run finished) and after every finished part.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient, type UploadProgress } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * const lines: string[] = [];
 * const show = (p: UploadProgress) =>
 *   lines.push(`${p.partsDone}/${p.partsTotal} parts, ${Math.round(p.bytesPerSecond / 1024)} KB/s`);
 * await bucket.uploadFile("big.iso", new Blob([new Uint8Array(250 * 1024)]), { onProgress: show });
 * assert.equal(lines.length, 4); // as the parts start, then after each of the 3
 * assert.match(lines[3], /^3\/3 parts, \d+ KB\/s$/);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface UploadProgress {
  /** Bytes confirmed by the server so far, including parts from an earlier run. */
  bytesDone: number;
  /** Size of the source. */
  bytesTotal: number;
  /** Parts confirmed so far, including parts from an earlier run. */
  partsDone: number;
  /** Number of parts. */
  partsTotal: number;
  /** Bytes per second sent in this run, averaged since it started. */
  bytesPerSecond: number;
  /** True when this run resumed from a checkpoint. */
  resumed: boolean;
  /** Part size used (what `"auto"` chose, or an earlier run's on resume). */
  partSize?: number;
  /** Parts sent at once now (with `routines: "auto"`, what the controller wants now). */
  routines?: number;
}

/**
 * Where progress is recorded between runs:
 * - `false`: nowhere; a failed upload starts over (and its parts are aborted).
 * - `true`: a checkpoint file `<filePath>.cp` beside the source (paths only),
 *   as the Go SDK's `Checkpoint(true, "")`. One per file: uploading it to
 *   another destination sets the checkpoint aside and aborts its multipart
 *   upload, and says so (see {@linkcode CheckpointSetAside}).
 * - a string: the checkpoint file's path.
 * - a {@linkcode CheckpointStore}: any store, under `checkpointId`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { type CheckpointOption, MemoryCheckpointStore, OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS, and a file in a temporary directory for big.iso.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * const path = join(dir, "big.iso");
 * await writeFile(path, new Uint8Array(250 * 1024));
 *
 * const beside: CheckpointOption = true; // big.iso.cp, beside the file
 * const elsewhere: CheckpointOption = join(dir, "big.iso.checkpoint");
 * const inMemory: CheckpointOption = new MemoryCheckpointStore();
 * for (const checkpoint of [beside, elsewhere, inMemory]) {
 *   const result = await bucket.uploadFile("big.iso", path, { checkpoint });
 *   assert.equal(result.resumed, false);
 * }
 *
 * await rm(dir, { recursive: true });
 * await server.close();
 * await storage.close();
 * ```
 */
export type CheckpointOption = boolean | string | CheckpointStore;

/**
 * A checkpoint found where this upload keeps its own but not used (it was
 * for another destination, source or part size, or damaged), and what
 * became of the multipart upload it named: nothing is dropped unmentioned.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { type CheckpointSetAside, OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS, and a file in a temporary directory for big.iso.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * const path = join(dir, "big.iso");
 * await writeFile(path, new Uint8Array(250 * 1024));
 * const checkpoint = join(dir, "big.cp");
 * await writeFile(checkpoint, "not a checkpoint\n"); // what a crash or an editor could leave
 *
 * const told: string[] = [];
 * const tell = (s: CheckpointSetAside) =>
 *   told.push(`${s.checkpoint} set aside (${s.reason}); its upload: ${s.upload}`);
 * await bucket.uploadFile("big.iso", path, { checkpoint, onCheckpointSetAside: tell });
 * assert.deepEqual(told, [`${checkpoint} set aside (damaged: not an ossup checkpoint); its upload: unknown`]);
 *
 * await rm(dir, { recursive: true });
 * await server.close();
 * await storage.close();
 * ```
 */
export interface CheckpointSetAside {
  /** The checkpoint's id in its store (its path, for checkpoint files). */
  checkpoint: string;
  /** Why it was not used, e.g. `"key differs"`, `"source content differs"`, `"damaged: …"`. */
  reason: string;
  /** The destination of the upload it recorded, when it can still be read. */
  destination?: { endpoint: string; bucket: string; key: string };
  /** The multipart upload it recorded, when it can still be read. */
  uploadId?: string;
  /**
   * What became of that multipart upload:
   * - `"aborted"`: AbortMultipartUpload freed its parts (or it was already gone);
   * - `"left"`: it is still on the server: on another endpoint or bucket (out
   *   of this client's reach), or the abort failed; abort it there;
   * - `"unknown"`: the checkpoint is too damaged to name one.
   */
  upload: "aborted" | "left" | "unknown";
}

/**
 * How the parts an earlier run recorded are checked before they are skipped
 * on resume:
 * - `"full"`: each is read again from the source and its CRC64 compared with
 *   the recorded one; a part that differs is sent again. Reading a file
 *   again costs far less than sending it (see the README's figures).
 * - `"sampled"`: only the source's size, modification time and a CRC64 of 4
 *   windows of 4 KiB are compared (for huge files on slow disks); an edit
 *   outside those windows that keeps size and time goes unnoticed, and the
 *   result says `verified: "sampled"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { AbortError, OssClient, type ResumeCheck } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS, and a file in a temporary directory for disk.img.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * const path = join(dir, "disk.img");
 * await writeFile(path, new Uint8Array(250 * 1024));
 *
 * const resumeCheck: ResumeCheck = "sampled"; // a 2 TB image on a network disk
 * // The first run stops after its first part…
 * const stop = new AbortController();
 * await assert.rejects(
 *   bucket.uploadFile("disk.img", path, {
 *     checkpoint: true,
 *     resumeCheck,
 *     signal: stop.signal,
 *     onProgress: (p) => p.partsDone === 1 && stop.abort(),
 *   }),
 *   AbortError,
 * );
 * // …the second resumes, trusting that part on the sampled check.
 * const result = await bucket.uploadFile("disk.img", path, { checkpoint: true, resumeCheck });
 * assert.equal(result.resumed, true);
 * assert.equal(result.verified, "sampled");
 *
 * await rm(dir, { recursive: true });
 * await server.close();
 * await storage.close();
 * ```
 */
export type ResumeCheck = "full" | "sampled";

/**
 * Options of `bucket.uploadFile(key, source, options)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { OssClient, type UploadFileOptions } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS, and a file in a temporary directory for big.iso.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * const path = join(dir, "big.iso");
 * await writeFile(path, new Uint8Array(250 * 1024));
 *
 * const options: UploadFileOptions = {
 *   partSize: 100 * 1024,
 *   routines: 4,
 *   checkpoint: true,
 *   contentType: "application/x-iso9660-image",
 * };
 * await bucket.uploadFile("big.iso", path, options);
 * assert.equal((await bucket.headObject("big.iso")).contentType, "application/x-iso9660-image");
 *
 * await rm(dir, { recursive: true });
 * await server.close();
 * await storage.close();
 * ```
 */
export interface UploadFileOptions extends ObjectWriteSettings, ParallelismOptions {
  /**
   * Part size in bytes, 100 KB (102,400) to 5 GB, or `"auto"`: chosen from the size,
   * `maxRoutines`, `maxMemory` and how long InitiateMultipartUpload took (a far server gets
   * smaller parts), before the first part (see `autoPartSize`), and recorded in the checkpoint
   * (a resume keeps the recorded size, whatever `"auto"` would choose now).
   * @default {102400}
   */
  partSize?: number | "auto";
  /**
   * When the source needs more than 10,000 parts at `partSize`, raise the
   * part size (reported as `partSizeRaised` in the result) instead of failing.
   * @default {true}
   */
  raisePartSize?: boolean;
  /**
   * Parts uploaded at once, 1 to 100 (memory use is about `routines × partSize`), or
   * `"auto"`: adapted to the measured throughput within `maxRoutines` and `maxMemory`.
   * @default {1}
   */
  routines?: number | "auto";
  /**
   * Sources of at most this many bytes go up in one PutObject, their CRC64 checked against
   * the server's, instead of a multipart upload of one part (three requests, and a
   * checkpoint for nothing), as ossutil's `--bigfile-threshold` does. At most 5 GiB; memory
   * use is one part of the source's size. The default sends only an empty source so.
   * @default {0}
   */
  putObjectThreshold?: number;
  /**
   * Resumable-upload checkpoint: `true` for `<filePath>.cp`, a path, or a
   * store. Off by default, as in the Go SDK.
   * @default {false}
   */
  checkpoint?: CheckpointOption;
  /**
   * Id of the checkpoint inside a `CheckpointStore` given as `checkpoint`.
   * Default: `<filePath>.cp` for a path; otherwise derived from the
   * destination and the source's name and size.
   */
  checkpointId?: string;
  /**
   * How parts recorded by an earlier run are checked against the source
   * before they are skipped (see {@linkcode ResumeCheck}).
   * @default {"full"}
   */
  resumeCheck?: ResumeCheck;
  /**
   * Where an earlier run's parts are looked for. `"checkpoint"`: only in the checkpoint.
   * `"server"`: in the checkpoint when one is usable, and otherwise (none, no checkpoint
   * option, or one set aside) on the server: the key's unfinished multipart uploads are
   * listed with their parts, and one is adopted only when every part it holds has the size
   * this upload plans at that number and the CRC-64 the server reports for it (ListParts'
   * `HashCrc64ecma`) equals the CRC-64 of the local bytes there. An upload with any other
   * part, or whose server gives no part CRC-64, is never adopted, and is left as it is
   * (listed in the result's `serverUploadsNotAdopted`). Among several that qualify, the one
   * holding the most bytes is adopted. The adopted upload keeps the headers it was
   * initiated with. Costs a read of the listed parts' local bytes.
   * @default {"checkpoint"}
   */
  resume?: "checkpoint" | "server";
  /**
   * Called when a checkpoint found at this upload's place is not used (see
   * {@linkcode CheckpointSetAside}); the result's `checkpointSetAside` says
   * it too.
   */
  onCheckpointSetAside?: (setAside: CheckpointSetAside) => void;
  /**
   * When another process holds the checkpoint, wait for it instead of failing
   * with a `CheckpointError("CheckpointLocked")`.
   * @default {false}
   */
  waitForCheckpoint?: boolean;
  /**
   * What to do with the multipart upload when the upload fails or is aborted
   * through `signal`: `"keep"` leaves its parts and the checkpoint for a later
   * resume; `"abort"` calls AbortMultipartUpload and removes the checkpoint.
   * @default {"keep" with a checkpoint or `resume: "server"`, "abort" otherwise}
   */
  onFailure?: "keep" | "abort";
  /**
   * Other headers for InitiateMultipartUpload, or PutObject for an empty source (e.g.
   * `Cache-Control`). The object's ACL, storage class, tagging, encryption, callback and
   * traffic limit have their own options, each sent on the request OSS takes it on.
   */
  headers?: Record<string, string>;
  /** Pauses (with a checkpoint) or cancels the upload. */
  signal?: AbortSignal;
  /** Called after every finished part. */
  onProgress?: (progress: UploadProgress) => void;
  /**
   * Most bytes per second the upload sends, all routines together: a number from 1024 (a
   * limiter of its own), or a {@linkcode RateLimiter} shared with other transfers, as the Go
   * SDK's `LimitUploadSpeed`. Paces the bytes as they go to the socket. Default: no limit.
   */
  limitRate?: RateLimit;
}

/**
 * The result of a finished upload.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { crc64, OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS, and a file in a temporary directory for big.iso.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * const path = join(dir, "big.iso");
 * const bytes = new Uint8Array(250 * 1024).fill(1);
 * await writeFile(path, bytes);
 *
 * const { etag, crc64: crc, parts, resumed, bytesSent } = await bucket.uploadFile("big.iso", path, {
 *   checkpoint: true,
 * });
 * assert.equal(`"${etag}"`, (await bucket.headObject("big.iso")).etag); // HEAD's is quoted
 * assert.equal(crc, crc64(bytes));
 * assert.deepEqual({ parts, resumed, bytesSent }, { parts: 3, resumed: false, bytesSent: bytes.length });
 *
 * await rm(dir, { recursive: true });
 * await server.close();
 * await storage.close();
 * ```
 */
export interface UploadResult {
  /** Bucket name. */
  bucket: string;
  /** Object key. */
  key: string;
  /** ETag of the object, without quotes. */
  etag: string;
  /** CRC64-ECMA of the object, checked end to end against the bytes read. */
  crc64: bigint;
  /** True when the server reported the object's CRC64 and it matched. */
  crc64Verified: boolean;
  /**
   * What the matching CRC64 vouches for:
   * - `"full"`: the object equals the source as read in this run, every
   *   byte (parts recorded by an earlier run were read and hashed again);
   * - `"sampled"`: parts from an earlier run were trusted on the sampled
   *   check of `resumeCheck: "sampled"`;
   * - `"none"`: the server did not report the object's CRC64.
   */
  verified: "full" | "sampled" | "none";
  /** Size in bytes. */
  size: number;
  /** Part size used. */
  partSize: number;
  /** True when `partSize` was raised to fit within 10,000 parts. */
  partSizeRaised: boolean;
  /** The routines this run used (absent from `uploadStream`'s result). */
  routines?: RoutinesUsed;
  /** Number of parts of the object (0 for an empty source, sent with PutObject). */
  parts: number;
  /** The multipart upload ID (absent for PutObject). */
  uploadId?: string;
  /** True when this run resumed an earlier upload (from a checkpoint, or adopted from the server). */
  resumed: boolean;
  /** Where the earlier upload was found, when `resumed`: `"checkpoint"` or `"server"`. */
  resumedFrom?: "checkpoint" | "server";
  /**
   * With `resume: "server"`: unfinished uploads of this key found on the server and not
   * adopted, and why (a part of another size, CRC-64 or number; no part CRC-64 given).
   * They are left as they are: abort them with `abortMultipartUploads` when they are stale.
   */
  serverUploadsNotAdopted?: { uploadId: string; reason: string }[];
  /** Parts uploaded in this run. */
  partsUploaded: number;
  /** Bytes sent in this run (retries included). */
  bytesSent: number;
  /** Bytes sent in this run more than once (retries), or again although a checkpoint recorded them. */
  bytesResent: number;
  /** Request ID of the completing request. */
  requestId?: string;
  /** The object's version, in a versioned bucket (`x-oss-version-id`). */
  versionId?: string;
  /** The upload callback server's answer, as OSS relayed it, when `callback` was set. */
  callbackResult?: string;
  /** A checkpoint found at this upload's place but not used, and what became of its upload. */
  checkpointSetAside?: CheckpointSetAside;
  /**
   * Multipart uploads of this key that were started for this upload but
   * never recorded (an InitiateMultipartUpload whose answer was lost and
   * retried, or a run killed before it wrote the upload ID), found and
   * aborted in this run.
   */
  strayUploadsAborted?: string[];
}

/** Options after validation, with defaults applied. */
export interface ResolvedUploadOptions {
  partSize: number | "auto";
  raisePartSize: boolean;
  parallelism: ResolvedParallelism;
  onFailure: "keep" | "abort";
  resumeCheck: ResumeCheck;
  resume: "checkpoint" | "server";
}

/**
 * `partSize` as given: `"auto"`, a number (checked by the planner against the engine's limits),
 * or the default.
 *
 * @param partSize The caller's `partSize`.
 * @param defaultSize The engine's default.
 * @returns The setting.
 * @throws {TypeError} For anything else, naming what is allowed.
 */
export function resolvePartSizeSetting(
  partSize: number | "auto" | undefined,
  defaultSize: number,
): number | "auto" {
  const p = partSize ?? defaultSize;
  if (p !== "auto" && typeof p !== "number") {
    throw new TypeError(
      `partSize must be "auto" or a whole number of bytes; got ${JSON.stringify(p)}`,
    );
  }
  return p;
}

/**
 * Validates upload options and applies defaults.
 *
 * @throws {RangeError} For `routines` outside 1–100 (part size is checked by the planner).
 * @throws {TypeError} For a `routines` or `partSize` neither a number nor `"auto"`, an
 * `onFailure` other than `"keep"` or `"abort"`, or a
 * `resumeCheck` other than `"full"` or `"sampled"`, or a `resume` other than `"checkpoint"` or
 * `"server"`.
 */
export function resolveUploadOptions(
  options: Pick<
    UploadFileOptions,
    | "partSize"
    | "raisePartSize"
    | "routines"
    | "maxRoutines"
    | "maxMemory"
    | "adaptive"
    | "onFailure"
    | "resumeCheck"
    | "resume"
  >,
  hasCheckpoint: boolean,
): ResolvedUploadOptions {
  const parallelism = resolveParallelism(options, DEFAULT_ROUTINES);
  const partSize = resolvePartSizeSetting(options.partSize, DEFAULT_PART_SIZE);
  const resume = options.resume ?? "checkpoint";
  if (resume !== "checkpoint" && resume !== "server") {
    throw new TypeError(`resume must be "checkpoint" or "server"; got ${JSON.stringify(resume)}`);
  }
  // Parts left on the server are what a later run resumes from, by checkpoint or by listing.
  const onFailure = options.onFailure ?? (hasCheckpoint || resume === "server" ? "keep" : "abort");
  if (onFailure !== "keep" && onFailure !== "abort") {
    throw new TypeError(`onFailure must be "keep" or "abort"; got ${JSON.stringify(onFailure)}`);
  }
  const resumeCheck = options.resumeCheck ?? "full";
  if (resumeCheck !== "full" && resumeCheck !== "sampled") {
    throw new TypeError(
      `resumeCheck must be "full" or "sampled"; got ${JSON.stringify(resumeCheck)}`,
    );
  }
  return {
    partSize,
    raisePartSize: options.raisePartSize ?? true,
    parallelism,
    onFailure,
    resumeCheck,
    resume,
  };
}

/** What each request of an upload carries of the caller's object settings. */
export interface UploadWriteOptions {
  /** InitiateMultipartUpload, or PutObject for a source that fits one request (all settings). */
  initiate: ObjectWriteOptions;
  /** PutObject: every setting. */
  put: ObjectWriteOptions;
  /** Each UploadPart. */
  part: PartCallOptions;
  /** CompleteMultipartUpload. */
  complete: CompleteCallOptions;
}

/**
 * Checks the caller's object settings (before any request) and splits them over the requests
 * of an upload as OSS takes them (`WRITE_SETTINGS_BY_OPERATION`). Without a `contentType`,
 * the object gets the one of the first of `names` with a known extension
 * (`contentTypeByName`): the file's path, then the key.
 *
 * @throws {TypeError} For a setting OSS does not allow (the message names those it does).
 * @throws {RangeError} For a number or count outside OSS's limits, or a `limitRate` below 1 KiB/s.
 */
export function uploadWriteOptions(
  options: ObjectWriteSettings & {
    headers?: Record<string, string>;
    signal?: AbortSignal;
    limitRate?: RateLimit;
  },
  names: (string | undefined)[] = [],
): UploadWriteOptions {
  const settings = pickWriteSettings(options);
  const contentType = settings.contentType ?? contentTypeByName(...names);
  if (contentType !== undefined) settings.contentType = contentType;
  checkWriteSettings(settings);
  const { headers, signal } = options;
  // One limiter for every request of the transfer: the limit holds across its routines.
  const limitRate = rateLimiterFor(options.limitRate);
  return {
    initiate: { ...settingsFor(settings, "InitiateMultipartUpload"), headers, signal },
    put: { ...settings, headers, signal, limitRate },
    part: { ...settingsFor(settings, "UploadPart"), signal, limitRate },
    complete: { ...settingsFor(settings, "CompleteMultipartUpload"), signal },
  };
}
