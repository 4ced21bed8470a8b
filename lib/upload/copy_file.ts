/**
 * The server-side copy engine behind `bucket.copyFile(sourceBucket, sourceKey, destKey)`:
 * one CopyObject for a source up to `copyObjectLimit`, else a multipart upload whose parts
 * the server copies from the source (UploadPartCopy with `x-oss-copy-source-range`), run
 * by the upload engine's pieces: {@linkcode PartScheduler}, the checkpoint journal through
 * {@linkcode CheckpointSession}, the intent-first initiate with its stray sweep, the
 * reconciliation with ListParts, and the end-to-end CRC-64 check.
 *
 * Every part asks `x-oss-copy-source-if-match` with the ETag the copy started from, so a
 * source replaced mid-copy fails cleanly (`SourceChangedError`, its upload aborted) rather
 * than splicing two versions; the checkpoint is bound to the source's ETag, size,
 * Last-Modified and CRC-64, so a source replaced between runs starts the copy over.
 *
 * @module
 */

import { crc64 } from "../crc64/crc64.ts";
import { combinedCrc } from "../crc64/part_crcs.ts";
import type { CheckpointTarget } from "../checkpoint/checkpoint_journal.ts";
import { CheckpointSession } from "../checkpoint/checkpoint_session.ts";
import type { CheckpointStore } from "../checkpoint/checkpoint_store.ts";
import type {
  CopyObjectOptions,
  CopyPartSource,
  MetadataDirective,
  UploadPartCopyOptions,
} from "../client/bucket_copy.ts";
import type { OssPlatform } from "../client/platform.ts";
import {
  checkWriteSettings,
  type ObjectWriteSettings,
  pickWriteSettings,
  settingsFor,
} from "../client/object_write_options.ts";
import type { ObjectMetadata } from "../client/results.ts";
import { IntegrityError, OssError, SourceChangedError } from "../errors/errors.ts";
import { type BegunUpload, continueOrInitiate, reclaimEarlierRun } from "./_resume_checkpoint.ts";
import { giveUpUpload, isNoSuchUpload, setAsideCheckpoint } from "./_stale_uploads.ts";
import { checkCompletedCrc, completedObject, unquote } from "./_upload_result.ts";
import type { MultipartTarget, ObjectWriteOptions } from "./multipart_target.ts";
import { autoPartSize, partAt, type PartPlan, planParts } from "./part_plan.ts";
import { PartScheduler } from "./part_scheduler.ts";
import type { AdaptiveRoutines } from "./adaptive_routines.ts";
import {
  reportFirstExchange,
  routinesFor,
  routinesForParts,
  routinesNow,
  type RoutinesUsed,
  routinesUsed,
} from "./parallelism.ts";
import { isCheckpointStore } from "../checkpoint/checkpoint_location.ts";
import { abortErrorFrom, type CheckpointLocation } from "./upload_source.ts";
import { type ResolvedUploadOptions, resolveUploadOptions } from "./upload_options.ts";
import type { CheckpointSetAside, UploadProgress } from "./upload_options.ts";
import {
  type CopyFileOptions,
  type CopyResult,
  DEFAULT_COPY_OBJECT_LIMIT,
  DEFAULT_COPY_PART_SIZE,
} from "./copy_options.ts";

/**
 * What the copy engine drives: the upload engine's bucket calls plus the two copy calls.
 * `Bucket` is one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CopyTarget, OssClient } from "@ossup/ossup";
 *
 * const client = new OssClient({ endpoint: "oss-cn-hangzhou.aliyuncs.com", accessKeyId: "ak", accessKeySecret: "sk" });
 * const target: CopyTarget = client.bucket("examplebucket"); // a Bucket is one
 * assert.equal(target.name, "examplebucket");
 * ```
 */
export interface CopyTarget extends MultipartTarget {
  /** CopyObject. */
  copyObject(
    sourceBucket: string,
    sourceKey: string,
    destKey: string,
    options?: CopyObjectOptions,
  ): Promise<{ etag: string; crc64?: bigint; requestId?: string; versionId?: string }>;
  /** UploadPartCopy. */
  uploadPartCopy(
    key: string,
    uploadId: string,
    partNumber: number,
    source: CopyPartSource,
    options?: UploadPartCopyOptions,
  ): Promise<{ etag: string; crc64?: bigint }>;
}

/**
 * The object a copy reads: where it is, and how to read its metadata (HeadObject).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CopySourceObject, OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * await bucket.putObject("big.iso", "iso");
 * const source: CopySourceObject = {
 *   bucket: bucket.name,
 *   key: "big.iso",
 *   head: (options) => bucket.headObject("big.iso", options),
 * };
 * assert.equal((await source.head({})).size, 3); // what copyFile reads the source by
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface CopySourceObject {
  /** The source bucket. */
  bucket: string;
  /** The source key. */
  key: string;
  /** HeadObject of the source. */
  head(options: { signal?: AbortSignal }): Promise<ObjectMetadata>;
  /**
   * GetObjectTagging of the source: a multipart copy with `metadataDirective: "COPY"` and no
   * `tagging` of its own carries the source's tags over, as CopyObject does.
   */
  tagging?(options: { signal?: AbortSignal }): Promise<Record<string, string>>;
}

/** The source as the copy started from it: what every part and the checkpoint are bound to. */
interface SourceState {
  bucket: string;
  key: string;
  size: number;
  /** ETag without quotes. */
  etag: string;
  lastModified: number;
  crc64?: bigint;
  head: ObjectMetadata;
  /** The source's tags, when a COPY in parts carries them over (else not read). */
  tagging?: Record<string, string>;
}

/** Headers describing an object that a COPY directive carries over to a multipart copy. */
const CARRIED_HEADERS = [
  "cache-control",
  "content-disposition",
  "content-encoding",
  "content-language",
  "expires",
];

/**
 * Copies `source` to `destKey` of `target` inside OSS. This is what `bucket.copyFile` runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * await client.createBucket("source-bucket");
 * await client.bucket("source-bucket").putObject("big.iso", new Uint8Array(300 * 1024));
 * const result = await bucket.copyFile("source-bucket", "big.iso", "copies/big.iso", {
 *   partSize: 100 * 1024,
 *   routines: 4,
 *   checkpoint: true, // ossup-copy-<hash>.cp in the working directory, removed when done
 *   copyObjectLimit: 0, // in parts even though it is small, to show them
 * });
 * assert.equal(result.method, "UploadPartCopy");
 * assert.equal(result.crc64Verified, true);
 *
 * await server.close();
 * await storage.close();
 * ```
 *
 * @param target The destination bucket.
 * @param platform The runtime pieces the entry point injected (checkpoint stores).
 * @param source The source object.
 * @param destKey The destination key.
 * @param options Part size, routines, checkpoint, metadata, progress, signal.
 * @returns The copy's ETag and CRC64, and what this run did.
 */
export async function copyFile(
  target: CopyTarget,
  platform: OssPlatform,
  source: CopySourceObject,
  destKey: string,
  options: CopyFileOptions = {},
): Promise<CopyResult> {
  const directive = options.metadataDirective ?? "COPY";
  if (directive !== "COPY" && directive !== "REPLACE") {
    throw new TypeError(
      `metadataDirective must be "COPY" or "REPLACE"; got ${JSON.stringify(directive)}`,
    );
  }
  if ((options as { callback?: unknown }).callback !== undefined) {
    throw new TypeError(
      "copyFile takes no callback: CopyObject has none (use completeMultipartUpload's for a copy in parts)",
    );
  }
  const settings = pickWriteSettings(options);
  checkWriteSettings(settings);
  const limit = options.copyObjectLimit ?? DEFAULT_COPY_OBJECT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`copyObjectLimit must be a whole number of bytes ≥ 0; got ${limit}`);
  }
  const checkpoint = locateCopyCheckpoint(target, platform, source, destKey, options);
  const opts = resolveUploadOptions(
    { ...options, partSize: options.partSize ?? DEFAULT_COPY_PART_SIZE },
    checkpoint !== undefined,
  );
  const signal = options.signal;
  if (signal?.aborted) throw abortErrorFrom(signal, "copy");
  const state = await readSource(source, signal);
  const multipart = state.size > limit;
  // Planned before anything is sent, so a bad part size fails with nothing started.
  let plan = multipart && opts.partSize !== "auto"
    ? planParts(state.size, opts.partSize, { raisePartSize: opts.raisePartSize })
    : undefined;
  const tagCount = Number(state.head.headers.get("x-oss-tagging-count") ?? 0);
  if (multipart && directive === "COPY" && settings.tagging === undefined && tagCount > 0) {
    state.tagging = await source.tagging?.({ signal });
  }
  const session = checkpoint
    ? await CheckpointSession.open(checkpoint.store, checkpoint.id, {
      wait: options.waitForCheckpoint,
      signal,
    })
    : undefined;
  try {
    const run: CopyRun = {
      target,
      destKey,
      state,
      session,
      opts,
      routines: 1,
      options,
      directive,
      settings,
    };
    if (!multipart) return await copyWhole(run);
    if (plan === undefined) {
      // "auto": the part size an earlier run of this copy recorded, else one from the size.
      const recorded = await session?.recordedPartSize(copyIdentity(target, destKey, state));
      const { maxRoutines } = opts.parallelism;
      plan = planParts(
        state.size,
        recorded ?? autoPartSize(state.size, { maxRoutines, maxMemory: Infinity }),
      );
    }
    // A part copied by the server holds no bytes here: only maxRoutines bounds "auto".
    run.routines = routinesFor(opts.parallelism, plan.partCount, 0);
    return await copyInParts(run, plan);
  } finally {
    await session?.close();
  }
}

/** The default id of a copy's checkpoint in a store: endpoint, source and destination. */
export function copyCheckpointId(
  endpointHost: string,
  source: { bucket: string; key: string },
  destBucket: string,
  destKey: string,
): string {
  return `ossup-copy:${endpointHost}/${source.bucket}/${source.key}>${destBucket}/${destKey}`;
}

/** The file name `checkpoint: true` gives a copy's checkpoint: `ossup-copy-<CRC-64 of its id>.cp`. */
export function copyCheckpointFileName(id: string): string {
  return `ossup-copy-${crc64(new TextEncoder().encode(id)).toString(16).padStart(16, "0")}.cp`;
}

/** Where the checkpoint of a copy is: `true` names one from the source and destination. */
function locateCopyCheckpoint(
  target: CopyTarget,
  platform: OssPlatform,
  source: CopySourceObject,
  destKey: string,
  options: CopyFileOptions,
): CheckpointLocation | undefined {
  const option = options.checkpoint;
  if (option === undefined || option === false) return undefined;
  const id = options.checkpointId ??
    copyCheckpointId(target.endpointHost, source, target.name, destKey);
  if (isCheckpointStore(option)) return { store: option, id };
  if (typeof option === "string") {
    if (!platform.createCheckpointStore) {
      throw new TypeError(
        "checkpoint files need a runtime with files (Deno, Bun, Node); here pass a CheckpointStore as checkpoint",
      );
    }
    return { store: platform.createCheckpointStore(), id: option };
  }
  if (option === true) {
    if (platform.createCheckpointStore) {
      return { store: platform.createCheckpointStore(), id: copyCheckpointFileName(id) };
    }
    const store: CheckpointStore | undefined = platform.createBlobCheckpointStore?.();
    if (!store) {
      throw new TypeError(
        "checkpoint: true needs a runtime with files or IndexedDB; pass a CheckpointStore as checkpoint",
      );
    }
    return { store, id };
  }
  throw new TypeError(
    `checkpoint must be true, false, a file path or a CheckpointStore; got ${typeof option}`,
  );
}

async function readSource(
  source: CopySourceObject,
  signal: AbortSignal | undefined,
): Promise<SourceState> {
  const head = await source.head({ signal });
  return {
    bucket: source.bucket,
    key: source.key,
    size: head.size,
    etag: unquote(head.etag),
    lastModified: head.lastModified?.getTime() ?? 0,
    crc64: head.crc64,
    head,
  };
}

/** What every phase of one copy works on: fixed for the run. */
interface CopyRun {
  target: CopyTarget;
  destKey: string;
  state: SourceState;
  session: CheckpointSession | undefined;
  opts: ResolvedUploadOptions;
  /** How many parts at once: a number, or the controller of `routines: "auto"`. */
  routines: number | AdaptiveRoutines;
  options: CopyFileOptions;
  directive: MetadataDirective;
  /** The object settings of the call, checked. */
  settings: ObjectWriteSettings;
}

/** `x-oss-copy-source-if-match` for the source the copy started from. */
function sourceIfMatch(state: SourceState): string {
  return `"${state.etag}"`;
}

/**
 * A 412 on a request conditioned on the source's ETag means the source is not the object
 * the copy started from; anything else is passed on.
 */
function sourceChangedOr(err: unknown, state: SourceState): unknown {
  if (!(err instanceof OssError) || err.status !== 412) return err;
  return new SourceChangedError(
    `oss://${state.bucket}/${state.key} changed during the copy (it is no longer the object ` +
      `with ETag ${state.etag}); run again to copy it whole`,
    { cause: err },
  );
}

/**
 * The settings `operation` carries, with the copy's metadata as the directive says: the
 * source's content type, user metadata, cache headers (and tags, unless the call gives some) for
 * COPY, the call's for REPLACE.
 */
function writeOptionsOf(
  run: CopyRun,
  operation: "CopyObject" | "InitiateMultipartUpload",
): Omit<ObjectWriteOptions, "signal"> {
  const { options, state } = run;
  const settings = settingsFor(run.settings, operation);
  if (run.directive === "REPLACE") return { ...settings, headers: options.headers };
  const { contentType: _type, meta: _meta, ...others } = settings;
  // CopyObject copies the source's metadata itself; a multipart copy must say it.
  if (operation === "CopyObject") return { ...others, headers: options.headers };
  const carried: Record<string, string> = {};
  for (const name of CARRIED_HEADERS) {
    const value = state.head.headers.get(name);
    if (value !== null) carried[name] = value;
  }
  return {
    ...others,
    contentType: state.head.contentType,
    meta: state.head.meta,
    ...(others.tagging === undefined && state.tagging ? { tagging: state.tagging } : {}),
    headers: { ...carried, ...options.headers },
  };
}

/**
 * The copy's CRC-64 checked against the source's; a known-wrong copy is deleted. Returns
 * whether both were known (and so compared).
 */
async function checkCopyCrc(
  run: CopyRun,
  copied: bigint | undefined,
  onMismatch?: () => Promise<void>,
): Promise<boolean> {
  const expected = run.state.crc64;
  if (expected === undefined) return false;
  const server = await checkCompletedCrc(
    run.target,
    run.destKey,
    copied,
    expected,
    run.options.signal,
    onMismatch,
  );
  return server !== undefined;
}

function progressReporter(
  run: CopyRun,
  partsTotal: number,
  resumed: boolean,
  partSize?: number,
): (bytesDone: number, partsDone: number, bytesCopied: number) => void {
  const started = Date.now();
  return (bytesDone, partsDone, bytesCopied) =>
    run.options.onProgress?.(
      {
        bytesDone,
        bytesTotal: run.state.size,
        partsDone,
        partsTotal,
        bytesPerSecond: bytesCopied / Math.max((Date.now() - started) / 1000, 0.001),
        resumed,
        ...(partSize === undefined ? {} : { partSize, routines: routinesNow(run.routines) }),
      } satisfies UploadProgress,
    );
}

/**
 * A source up to `copyObjectLimit`: one CopyObject conditioned on the source's ETag. A
 * checkpoint at this copy's place (left by a multipart copy of an earlier, larger source)
 * is set aside out loud.
 */
async function copyWhole(run: CopyRun): Promise<CopyResult> {
  const { target, destKey, state, session, options } = run;
  const signal = options.signal;
  let setAside: CheckpointSetAside | undefined;
  const found = await session?.read();
  if (session && found) {
    setAside = await setAsideCheckpoint(target, session.id, found.reason, found.header, signal);
    options.onCheckpointSetAside?.(setAside);
  }
  let copied;
  try {
    copied = await target.copyObject(state.bucket, state.key, destKey, {
      ...writeOptionsOf(run, "CopyObject"),
      metadataDirective: run.directive,
      sourceIfMatch: sourceIfMatch(state),
      signal,
    });
  } catch (err) {
    if (signal?.aborted) throw abortErrorFrom(signal, "copy");
    throw sourceChangedOr(err, state);
  }
  const verified = await checkCopyCrc(run, copied.crc64);
  await session?.remove();
  progressReporter(run, 0, false)(state.size, 0, state.size);
  return {
    bucket: target.name,
    key: destKey,
    sourceBucket: state.bucket,
    sourceKey: state.key,
    etag: unquote(copied.etag),
    crc64: copied.crc64 ?? state.crc64 ?? 0n,
    crc64Verified: verified,
    size: state.size,
    method: "CopyObject",
    parts: 0,
    resumed: false,
    partsCopied: 0,
    bytesCopied: state.size,
    requestId: copied.requestId,
    ...(copied.versionId !== undefined ? { versionId: copied.versionId } : {}),
    ...(setAside ? { checkpointSetAside: setAside } : {}),
  };
}

type Begun = BegunUpload;

/**
 * A source above `copyObjectLimit`: reclaim what an earlier run copied or initiate, copy the
 * missing parts, complete and check the CRC-64 against the source's.
 */
async function copyInParts(run: CopyRun, plan: PartPlan): Promise<CopyResult> {
  const { target, destKey, state, session, options } = run;
  const signal = options.signal;
  const begun = await beginCopy(run, plan);
  if ("finished" in begun) return begun.finished;
  reportFirstExchange(run.routines, begun.exchangeMs);
  const copied = await copyMissingParts(run, plan, begun).finally(() => begun.strayUploadsAborted);
  const strayUploadsAborted = await begun.strayUploadsAborted;
  const failure = copied.firstError ??
    (signal?.aborted ? abortErrorFrom(signal, "copy") : undefined);
  if (failure !== undefined) {
    await giveUp(run, begun.uploadId, signal?.aborted ? abortErrorFrom(signal, "copy") : failure);
  }
  const ordered = [...begun.done.values()].sort((a, b) => a.partNumber - b.partNumber);
  let completed;
  try {
    completed = await target.completeMultipartUpload(
      destKey,
      begun.uploadId,
      ordered.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
      { ...settingsFor(run.settings, "CompleteMultipartUpload"), signal },
    );
  } catch (err) {
    if (signal?.aborted) await giveUp(run, begun.uploadId, abortErrorFrom(signal, "copy"));
    if (!isNoSuchUpload(err) || state.crc64 === undefined) await giveUp(run, begun.uploadId, err);
    // A retried Complete whose first answer was lost: the object is ours iff it is the source's.
    completed = await completedObject(target, destKey, state.size, state.crc64!, signal);
    if (completed === undefined) {
      await session?.remove();
      throw err;
    }
  }
  const verified = await checkCopyCrc(run, completed.crc64, async () => await session?.remove());
  await session?.remove();
  return {
    bucket: target.name,
    key: destKey,
    sourceBucket: state.bucket,
    sourceKey: state.key,
    etag: unquote(completed.etag),
    crc64: completed.crc64 ?? state.crc64 ?? combinedCrc(ordered),
    crc64Verified: verified,
    size: state.size,
    method: "UploadPartCopy",
    partSize: plan.partSize,
    partSizeRaised: plan.partSizeRaised,
    routines: copied.routines,
    parts: plan.partCount,
    uploadId: begun.uploadId,
    resumed: begun.resumed,
    partsCopied: copied.partsCopied,
    bytesCopied: copied.bytesCopied,
    requestId: completed.requestId,
    ...("versionId" in completed && completed.versionId !== undefined
      ? { versionId: completed.versionId }
      : {}),
    ...(begun.setAside ? { checkpointSetAside: begun.setAside } : {}),
    ...(strayUploadsAborted.length > 0 ? { strayUploadsAborted } : {}),
  };
}

/** What a checkpoint of this copy names, but for its part size. */
function copyIdentity(
  target: CopyTarget,
  destKey: string,
  state: SourceState,
): Omit<CheckpointTarget, "partSize"> {
  return {
    endpoint: target.endpointHost,
    bucket: target.name,
    key: destKey,
    source: {
      name: `oss://${state.bucket}/${state.key}`,
      size: state.size,
      lastModified: state.lastModified,
      fingerprint: `${state.etag}/${state.crc64 ?? ""}`,
    },
  };
}

/**
 * Phase 1, reclaim or initiate, as the upload engine does: the checkpoint is used only when
 * it names this destination, part size and the same source (bucket/key, size,
 * Last-Modified, ETag and CRC-64); its parts only when ListParts still shows them.
 */
async function beginCopy(run: CopyRun, plan: PartPlan): Promise<Begun | { finished: CopyResult }> {
  const { target, destKey, state, session, options } = run;
  const signal = options.signal;
  const checkpointTarget: CheckpointTarget = {
    ...copyIdentity(target, destKey, state),
    partSize: plan.partSize,
  };
  const earlier = session
    ? await reclaimEarlierRun(
      target,
      destKey,
      state.size,
      session,
      checkpointTarget,
      plan,
      undefined,
      signal,
    )
    : { kind: "fresh" as const };
  const setAside = earlier.kind === "fresh" ? earlier.setAside : undefined;
  if (setAside) options.onCheckpointSetAside?.(setAside);
  if (earlier.kind === "finished") {
    await session?.remove();
    return {
      finished: {
        bucket: target.name,
        key: destKey,
        sourceBucket: state.bucket,
        sourceKey: state.key,
        etag: unquote(earlier.object.etag),
        crc64: earlier.object.crc64,
        crc64Verified: state.crc64 === earlier.object.crc64,
        size: state.size,
        method: "UploadPartCopy",
        partSize: plan.partSize,
        partSizeRaised: plan.partSizeRaised,
        routines: routinesUsed(undefined, run.routines),
        parts: plan.partCount,
        uploadId: earlier.uploadId,
        resumed: true,
        partsCopied: 0,
        bytesCopied: 0,
        requestId: earlier.object.requestId,
      },
    };
  }
  return await continueOrInitiate(
    target,
    destKey,
    earlier,
    session,
    { ...checkpointTarget, partCount: plan.partCount },
    writeOptionsOf(run, "InitiateMultipartUpload"),
    signal,
  );
}

/**
 * On a fatal error: a changed source or parts that do not combine to the source's CRC-64
 * abort the upload and remove the checkpoint (those parts can never make the copy);
 * otherwise as `onFailure` says. Always throws `err`.
 */
function giveUp(run: CopyRun, uploadId: string, err: unknown): Promise<never> {
  const unusable = err instanceof SourceChangedError || err instanceof IntegrityError;
  const abort = run.opts.onFailure === "abort" || unusable;
  return giveUpUpload(run.target, run.destKey, uploadId, run.session, abort, err);
}

/**
 * Phase 2, copy the parts not in `begun.done`, `routines` at a time, each conditioned on the
 * source's ETag and recorded in the checkpoint when the server confirms it. Stops at the
 * first error (returned, not thrown) or when the signal aborts.
 */
async function copyMissingParts(
  run: CopyRun,
  plan: PartPlan,
  begun: Begun,
): Promise<{
  partsCopied: number;
  bytesCopied: number;
  firstError: unknown;
  routines: RoutinesUsed;
}> {
  const { target, destKey, state, session, options } = run;
  const { done, uploadId } = begun;
  let partsCopied = 0;
  let bytesCopied = 0;
  let bytesDone = 0;
  for (const p of done.values()) bytesDone += p.size;
  const report = progressReporter(run, plan.partCount, begun.resumed, plan.partSize);
  report(bytesDone, done.size, 0);

  const missing: number[] = [];
  for (let n = 1; n <= plan.partCount; n++) if (!done.has(n)) missing.push(n);
  const scheduler = new PartScheduler(options.signal);
  const copyOne = async (partNumber: number): Promise<void> => {
    const { offset, size } = partAt(state.size, plan.partSize, partNumber);
    let part;
    try {
      part = await scheduler.track(
        size,
        () =>
          target.uploadPartCopy(destKey, uploadId, partNumber, {
            bucket: state.bucket,
            key: state.key,
            range: { start: offset, end: offset + size - 1 },
          }, {
            ...settingsFor(run.settings, "UploadPartCopy"),
            sourceIfMatch: sourceIfMatch(state),
            signal: scheduler.signal,
            onRetry: scheduler.retried,
          }),
      );
    } catch (err) {
      throw sourceChangedOr(err, state);
    }
    bytesCopied += size;
    // No byte passes through here, so a part's CRC-64 is the server's word (0 if it gave none:
    // then only the whole copy's CRC-64 is checked).
    const record = { partNumber, size, etag: unquote(part.etag), crc64: part.crc64 ?? 0n };
    await session?.record(record);
    done.set(partNumber, record);
    partsCopied++;
    bytesDone += size;
    report(bytesDone, done.size, bytesCopied);
  };
  let next = 0;
  try {
    await scheduler.routines(routinesForParts(run.routines, missing.length), async (nextTurn) => {
      while (next < missing.length && nextTurn()) await copyOne(missing[next++]);
    });
  } finally {
    scheduler.dispose();
  }
  // With every part's CRC-64 known, the parts must combine to the source's before Complete.
  const crcs = [...done.values()];
  if (
    scheduler.firstError === undefined && state.crc64 !== undefined &&
    crcs.every((p) => p.crc64 !== 0n) && combinedCrc(crcs) !== state.crc64
  ) {
    return {
      partsCopied,
      bytesCopied,
      routines: routinesUsed(scheduler, run.routines),
      firstError: new IntegrityError(
        `${destKey}: the copied parts' CRC64 ${combinedCrc(crcs)} differs from the source's ` +
          `${state.crc64}`,
      ),
    };
  }
  return {
    partsCopied,
    bytesCopied,
    firstError: scheduler.firstError,
    routines: routinesUsed(scheduler, run.routines),
  };
}
