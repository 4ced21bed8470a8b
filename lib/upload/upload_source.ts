/**
 * The resumable upload engine: a source of known size, cut into parts that
 * go up in parallel, recorded in a checkpoint journal, reconciled with the
 * server on resume, and checked end to end with CRC64.
 *
 * @module
 */

import { combinedCrc } from "../crc64/part_crcs.ts";
import type { CheckpointLocation } from "../checkpoint/checkpoint_location.ts";
import { type AbortError, SourceChangedError } from "../errors/errors.ts";
import type { FileSource } from "../source/file_source.ts";
import {
  type CheckpointTarget,
  fingerprintSource,
  type PartRecord,
} from "../checkpoint/checkpoint_journal.ts";
import { CheckpointSession } from "../checkpoint/checkpoint_session.ts";
import type { MultipartTarget, PartCallOptions } from "./multipart_target.ts";
import { autoPartSize, MAX_PART_SIZE, partAt, type PartPlan, planParts } from "./part_plan.ts";
import { type AdaptiveRoutines, INITIAL_ROUTINES } from "./adaptive_routines.ts";
import {
  forFirstExchange,
  reportFirstExchange,
  routinesFor,
  routinesForParts,
  routinesNow,
  type RoutinesUsed,
  routinesUsed,
} from "./parallelism.ts";
import { type PartBody, partBody, partBufferSize } from "./_read_part.ts";
import { PartPrefetch } from "./_prefetch_part.ts";
import { PartScheduler, transferAborted } from "./part_scheduler.ts";
import { sendCheckedPart } from "./_send_part.ts";
import {
  type BegunUpload,
  continueOrInitiate,
  type EarlierRun,
  reclaimEarlierRun,
} from "./_resume_checkpoint.ts";
import { findServerUpload, type ServerUploads } from "./_adopt_server_upload.ts";
import { partsUnchangedInSource } from "./_recheck_parts.ts";
import { giveUpUpload, isNoSuchUpload, setAsideCheckpoint } from "./_stale_uploads.ts";
import { checkCompletedCrc, completedObject, unquote, uploadResult } from "./_upload_result.ts";
import {
  type CheckpointSetAside,
  type ResolvedUploadOptions,
  resolveUploadOptions,
  type UploadFileOptions,
  type UploadProgress,
  type UploadResult,
  type UploadWriteOptions,
  uploadWriteOptions,
} from "./upload_options.ts";

/**
 * Options of {@linkcode uploadSource}: the public options with the checkpoint already located.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blobSource, OssClient, uploadSource } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * const result = await uploadSource(bucket, "hello.txt", blobSource(new Blob(["hello"])), {
 *   partSize: 100 * 1024,
 *   routines: 2,
 * });
 * assert.equal(result.parts, 1);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface UploadSourceOptions
  extends Omit<UploadFileOptions, "checkpoint" | "checkpointId"> {
  /** The checkpoint's store and id; none disables resuming across runs. */
  checkpoint?: CheckpointLocation;
}

/** Where the engine keeps its checkpoint (see `lib/checkpoint/checkpoint_location.ts`). */
export type { CheckpointLocation };

/** The `AbortError` a transfer stopped through `signal` throws, whatever its in-flight call threw. */
export function abortErrorFrom(signal: AbortSignal, what = "upload"): AbortError {
  return transferAborted(signal, what);
}

/**
 * Uploads `source` to `key` as a multipart upload, resuming from the
 * checkpoint when one matches. Runtime entry points wrap this as
 * `bucket.uploadFile(key, filePathOrBlob, options)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blobSource, crc64, OssClient, uploadSource } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * const bytes = new Uint8Array(250 * 1024).fill(7);
 * const source = blobSource(new Blob([bytes]), { name: "big.iso" });
 * const result = await uploadSource(bucket, "backups/big.iso", source, { partSize: 100 * 1024, routines: 2 });
 * assert.equal(result.parts, 3);
 * assert.equal(result.crc64, crc64(bytes)); // checked against OSS's x-oss-hash-crc64ecma
 * await source.close();
 *
 * await server.close();
 * await storage.close();
 * ```
 *
 * @param target The bucket to upload to.
 * @param key The object key.
 * @param source The source, opened; the caller closes it.
 * @param options Part size, routines, checkpoint location, progress, signal.
 * @returns The object's ETag and CRC64, and what this run did.
 */
export async function uploadSource(
  target: MultipartTarget,
  key: string,
  source: FileSource,
  options: UploadSourceOptions = {},
): Promise<UploadResult> {
  const opts = resolveUploadOptions(options, options.checkpoint !== undefined);
  const signal = options.signal;
  if (signal?.aborted) throw abortErrorFrom(signal);
  const size = source.size;
  // A bad explicit part size (or one larger than maxMemory) fails before anything is locked.
  let plan = opts.partSize === "auto"
    ? undefined
    : planParts(size, opts.partSize, { raisePartSize: opts.raisePartSize });
  if (plan) routinesFor(opts.parallelism, plan.partCount, plan.partSize);
  const writeOptions = uploadWriteOptions(options, [source.name, key]);
  const connectionsOpenedAt = preconnectParts(target, source, opts, plan, options);
  // The fingerprint reads the source: once per run, whoever asks first.
  let identity: Promise<UploadIdentity> | undefined;
  const identityOnce = () => identity ??= uploadIdentity(target, key, source);

  const session = options.checkpoint
    ? await CheckpointSession.open(options.checkpoint.store, options.checkpoint.id, {
      wait: options.waitForCheckpoint,
      signal,
    })
    : undefined;
  try {
    let partSizeRecorded = true;
    if (plan === undefined) {
      const recorded = await recordedPartSize(source, session, identityOnce);
      partSizeRecorded = recorded !== undefined;
      plan = planParts(size, recorded ?? autoPartSizeOf(source, opts));
    }
    const routines = routinesFor(opts.parallelism, plan.partCount, plan.partSize);
    const run: UploadRun = {
      target,
      key,
      source,
      session,
      plan,
      partSizeChosen: !partSizeRecorded,
      opts,
      routines,
      options,
      writeOptions,
      identity: identityOnce,
      connectionsOpenedAt,
    };
    if (size <= putObjectThreshold(options)) return await uploadWhole(run);
    return await runUpload(run);
  } finally {
    await session?.close();
  }
}

/**
 * `partSize: "auto"`: the part size the checkpoint recorded for this very upload, so a resume
 * keeps its parts (else `undefined`: {@linkcode autoPartSizeOf} chooses).
 */
async function recordedPartSize(
  source: FileSource,
  session: CheckpointSession | undefined,
  identity: () => Promise<UploadIdentity>,
): Promise<number | undefined> {
  if (!session || source.size === 0) return undefined;
  return await session.recordedPartSize(await identity());
}

/**
 * Opens the first parts' connections (or the one PutObject's) before anything else, so their
 * handshakes overlap the run's local work: the lock, the fingerprint, the journal's intent. The
 * count is what the run starts with ({@linkcode routinesFor}: the routines given, `"auto"`'s 8,
 * or every part of a one-wave transfer), for a provisional plan when the part size is `"auto"`,
 * but at most `"auto"`'s 8 now: opening a socket costs the process time its local work is
 * waiting for (0.5 ms each on Node here); a one-wave transfer opens the rest while Initiate is
 * away. Returns when they began opening (`coldExchangeMs` adds back the handshake they spare
 * the first exchange), or `undefined` when nothing was opened ahead.
 */
function preconnectParts(
  target: MultipartTarget,
  source: FileSource,
  opts: ResolvedUploadOptions,
  plan: PartPlan | undefined,
  options: UploadSourceOptions,
): number | undefined {
  if (!target.preconnect) return undefined;
  let connections = 1;
  if (source.size > putObjectThreshold(options)) {
    const p = plan ?? planParts(source.size, autoPartSizeOf(source, opts));
    try {
      connections = routinesNow(routinesFor(opts.parallelism, p.partCount, p.partSize));
    } catch {
      return undefined; // settings the run refuses in its place, with the same call
    }
  }
  target.preconnect({ connections: Math.min(connections, INITIAL_ROUTINES), for: "upload" });
  return performance.now();
}

/**
 * `partSize: "auto"` with nothing recorded: {@linkcode autoPartSize} of the source's size and
 * the budgets, and once InitiateMultipartUpload has answered, of its time too.
 */
function autoPartSizeOf(
  source: FileSource,
  opts: ResolvedUploadOptions,
  firstExchangeMs?: number,
): number {
  const { maxRoutines, maxMemory } = opts.parallelism;
  return autoPartSize(source.size, { maxRoutines, maxMemory, firstExchangeMs });
}

/**
 * A new upload whose part size `"auto"` chose: InitiateMultipartUpload's time says how far the
 * server is, so the part size is chosen again with it (a far server gets smaller parts), before
 * the first part; a different one is journalled (the header rewritten, no part recorded yet)
 * and the run's plan and routines follow it (a far server may also get more routines, see
 * {@linkcode forFirstExchange}). Then the controller hears of the exchange.
 */
async function fitToFirstExchange(run: UploadRun, begun: Begun): Promise<void> {
  const exchangeMs = begun.exchangeMs;
  if (exchangeMs === undefined) return;
  const parallelism = forFirstExchange(run.opts.parallelism, exchangeMs);
  if (parallelism !== run.opts.parallelism) {
    run.opts = { ...run.opts, parallelism };
    run.routines = routinesFor(parallelism, run.plan.partCount, run.plan.partSize);
  }
  if (run.partSizeChosen && !begun.resumed) {
    const partSize = autoPartSizeOf(run.source, run.opts, exchangeMs);
    if (partSize !== run.plan.partSize) {
      const plan = planParts(run.source.size, partSize);
      // Parts read ahead are of the old size; their buffers serve the new parts (a far server's
      // parts are smaller).
      const needed = partBufferSize(run.source, plan.partSize);
      run.spareBuffers = (await run.prefetch?.release())?.filter((b) => b.length >= needed);
      run.prefetch = undefined;
      if (run.session && begun.header) {
        await run.session.begin({ ...begun.header, partSize, partCount: plan.partCount });
      }
      run.plan = plan;
      run.routines = routinesFor(run.opts.parallelism, plan.partCount, plan.partSize);
    }
  }
  reportFirstExchange(run.routines, exchangeMs);
}

/** What a checkpoint of this upload names, but for its part size. */
type UploadIdentity = Omit<CheckpointTarget, "partSize">;

/** The {@linkcode UploadIdentity} of `source` going to `key` (its fingerprint read). */
async function uploadIdentity(
  target: MultipartTarget,
  key: string,
  source: FileSource,
): Promise<UploadIdentity> {
  return {
    endpoint: target.endpointHost,
    bucket: target.name,
    key,
    source: {
      name: source.name,
      size: source.size,
      lastModified: source.lastModified,
      fingerprint: await fingerprintSource(source),
    },
  };
}

/** `options.putObjectThreshold`, checked: 0 to OSS's 5 GiB PutObject limit. */
function putObjectThreshold(options: UploadSourceOptions): number {
  const t = options.putObjectThreshold ?? 0;
  if (!Number.isSafeInteger(t) || t < 0 || t > MAX_PART_SIZE) {
    throw new RangeError(
      `putObjectThreshold must be a whole number of bytes from 0 to ${MAX_PART_SIZE} ` +
        `(5 GiB, OSS's PutObject limit); got ${t}`,
    );
  }
  return t;
}

/**
 * A source of at most `putObjectThreshold` bytes (an empty one always): nothing to resume, one
 * PutObject of the bytes read with their CRC64, checked against the server's as a multipart
 * upload's is. A checkpoint at its place (the file was longer before) is set aside like any
 * other.
 */
async function uploadWhole(run: UploadRun): Promise<UploadResult> {
  const { target, key, source, session, plan, options, writeOptions } = run;
  const signal = options.signal;
  let setAside: CheckpointSetAside | undefined;
  if (session) {
    const found = await session.read();
    if (found !== undefined) {
      setAside = await setAsideCheckpoint(target, session.id, found.reason, found.header, signal);
      options.onCheckpointSetAside?.(setAside);
    }
  }
  const size = source.size;
  const started = Date.now();
  const whole = size === 0
    ? { body: new Uint8Array(0), crc64: 0n }
    : await partBody(source, 0, size, signal, new Uint8Array(partBufferSize(source, size)));
  const put = await target.putObject(key, whole.body, writeOptions.put);
  const serverCrc = await checkCompletedCrc(target, key, put.crc64, whole.crc64, signal);
  await session?.remove();
  // One event even here, so a progress bar reaches its end for small and empty files too.
  const seconds = (Date.now() - started) / 1000;
  options.onProgress?.({
    bytesDone: size,
    bytesTotal: size,
    partsDone: 0,
    partsTotal: 0,
    bytesPerSecond: seconds > 0 ? size / seconds : 0,
    resumed: false,
    partSize: plan.partSize,
    routines: 0,
  });
  return uploadResult(target, key, put, whole.crc64, serverCrc, {
    size,
    partSize: plan.partSize,
    partSizeRaised: false,
    routines: routinesUsed(undefined, run.routines),
    parts: 0,
    resumed: false,
    partsUploaded: 0,
    bytesSent: size,
    bytesResent: 0,
    ...(setAside ? { checkpointSetAside: setAside } : {}),
  });
}

/**
 * What every phase of one upload works on: fixed for the run, but `plan` and `routines`, which
 * {@linkcode fitToFirstExchange} may choose again before the first part.
 */
interface UploadRun {
  target: MultipartTarget;
  key: string;
  source: FileSource;
  /** The checkpoint, when the upload has one. */
  session: CheckpointSession | undefined;
  plan: PartPlan;
  /** `partSize: "auto"` chose `plan`'s part size (none was given or recorded). */
  partSizeChosen: boolean;
  opts: ResolvedUploadOptions;
  /** How many parts at once: a number, or the controller of `routines: "auto"`. */
  routines: number | AdaptiveRoutines;
  options: UploadSourceOptions;
  writeOptions: UploadWriteOptions;
  /** What the checkpoint names (the fingerprint read once, on first ask). */
  identity: () => Promise<UploadIdentity>;
  /** When the parts' connections began opening ahead (`performance.now()`), if they did. */
  connectionsOpenedAt: number | undefined;
  /** A new upload's first parts, read while InitiateMultipartUpload is on its way. */
  prefetch?: PartPrefetch;
  /** Buffers of parts read ahead for a plan that then changed, for the routines to reuse. */
  spareBuffers?: Uint8Array[];
}

/** The multipart upload the parts go to, and what is known to be in it. */
type Begun = BegunUpload & {
  /** Where the continued upload was found. */
  resumedFrom?: "checkpoint" | "server";
  /** With `resume: "server"`: the key's uploads looked at and not adopted. */
  notAdopted?: ServerUploads["notAdopted"];
};

/**
 * The phases of a source upload, top to bottom: reclaim what an earlier run finished, or
 * initiate a new upload; send the missing parts; complete and verify end to end.
 */
async function runUpload(run: UploadRun): Promise<UploadResult> {
  try {
    return await uploadPhases(run);
  } finally {
    await run.prefetch?.release(); // parts read ahead and never sent: no read in flight
  }
}

/** {@linkcode runUpload}'s phases. */
async function uploadPhases(run: UploadRun): Promise<UploadResult> {
  const { target, key, source, session, opts, options, writeOptions } = run;
  const begun = await beginUpload(run);
  if ("finished" in begun) return begun.finished;
  await fitToFirstExchange(run, begun);
  const plan = run.plan;
  // Parts trusted on the sampled check alone, not read again in this run.
  // (Parts adopted from the server were all read and hashed.)
  const sampled = opts.resumeCheck === "sampled" && begun.resumedFrom === "checkpoint" &&
    begun.done.size > 0;
  const sent = await sendMissingParts({
    target,
    key,
    uploadId: begun.uploadId,
    source,
    plan,
    routines: run.routines,
    session,
    done: begun.done,
    resumed: begun.resumed,
    signal: options.signal,
    onProgress: options.onProgress,
    partOptions: writeOptions.part,
    prefetch: run.prefetch,
    spareBuffers: run.spareBuffers,
  }).finally(() => begun.strayUploadsAborted);
  const strayUploadsAborted = await begun.strayUploadsAborted;
  const signal = options.signal;
  const firstError = sent.firstError ?? (signal?.aborted ? abortErrorFrom(signal) : undefined);
  if (firstError !== undefined) {
    // A user's abort surfaces as AbortError whatever the in-flight call threw.
    await giveUp(run, begun.uploadId, signal?.aborted ? abortErrorFrom(signal) : firstError);
  }
  const { completed, expected, serverCrc } = await completeAndVerify(run, begun);
  await session?.remove();
  return uploadResult(target, key, completed, expected, serverCrc, {
    size: source.size,
    partSize: plan.partSize,
    partSizeRaised: plan.partSizeRaised,
    routines: sent.routines,
    parts: plan.partCount,
    uploadId: begun.uploadId,
    resumed: begun.resumed,
    ...(begun.resumedFrom ? { resumedFrom: begun.resumedFrom } : {}),
    ...(begun.notAdopted?.length ? { serverUploadsNotAdopted: begun.notAdopted } : {}),
    partsUploaded: sent.partsUploaded,
    bytesSent: sent.bytesSent,
    bytesResent: begun.bytesResent + sent.bytesResent,
    ...(begun.setAside ? { checkpointSetAside: begun.setAside } : {}),
    ...(strayUploadsAborted.length > 0 ? { strayUploadsAborted } : {}),
  }, sampled);
}

/**
 * Phase 1, reclaim or initiate. Contract: with a checkpoint, reads it and keeps only what the
 * server and the source confirm (a checkpoint that does not match is set aside and reported
 * through `onCheckpointSetAside`); returns the upload to continue with its confirmed parts,
 * or a new one (journalled before it is used), or, when an earlier run already completed the
 * object and only its checkpoint was left, the finished result (the checkpoint removed).
 */
async function beginUpload(run: UploadRun): Promise<Begun | { finished: UploadResult }> {
  const { target, key, source, session, plan, opts, options } = run;
  const signal = options.signal;
  const checkpointTarget = { ...await run.identity(), partSize: plan.partSize };
  const earlier: EarlierRun = session
    ? await reclaimEarlierRun(
      target,
      key,
      source.size,
      session,
      checkpointTarget,
      plan,
      opts.resumeCheck === "full"
        ? (parts) => partsUnchangedInSource(source, plan.partSize, parts, signal)
        : undefined,
      signal,
    )
    : { kind: "fresh" };
  const setAside = earlier.kind === "fresh" ? earlier.setAside : undefined;
  if (setAside) options.onCheckpointSetAside?.(setAside);
  if (earlier.kind === "finished") {
    // A run that ended between Complete and removing its checkpoint: the object is there.
    await session?.remove();
    const object = earlier.object;
    return {
      finished: uploadResult(target, key, object, object.crc64, object.crc64, {
        size: source.size,
        partSize: plan.partSize,
        partSizeRaised: plan.partSizeRaised,
        routines: routinesUsed(undefined, run.routines),
        parts: plan.partCount,
        uploadId: earlier.uploadId,
        resumed: true,
        partsUploaded: 0,
        bytesSent: 0,
        bytesResent: 0,
      }, opts.resumeCheck === "sampled"),
    };
  }
  const header = { ...checkpointTarget, partCount: plan.partCount };
  if (earlier.kind === "resume") {
    const continued = await continueOrInitiate(
      target,
      key,
      earlier,
      session,
      header,
      run.writeOptions.initiate,
      signal,
    );
    return { ...continued, resumedFrom: "checkpoint" };
  }
  let notAdopted: ServerUploads["notAdopted"] | undefined;
  if (opts.resume === "server") {
    const found = await findServerUpload(target, key, source, plan, signal);
    notAdopted = found.notAdopted;
    if (found.adopted) {
      const { uploadId, done } = found.adopted;
      await session?.begin({ ...header, uploadId, createdAt: Date.now() }, done.values());
      return {
        uploadId,
        resumed: true,
        resumedFrom: "server",
        notAdopted,
        done,
        bytesResent: 0,
        strayUploadsAborted: Promise.resolve([]),
        ...(setAside ? { setAside } : {}),
      };
    }
  }
  const begun = await continueOrInitiate(
    target,
    key,
    earlier,
    session,
    header,
    run.writeOptions.initiate,
    signal,
    {
      connectionsOpenedAt: run.connectionsOpenedAt,
      // A new upload: its first parts are read, and the rest of a one-wave transfer's
      // connections opened, while Initiate is on its way.
      meanwhile: () => {
        const starting = routinesNow(run.routines);
        target.preconnect?.({ connections: starting, for: "upload" });
        run.prefetch = new PartPrefetch(source, plan, starting, signal);
      },
    },
  );
  return { ...begun, notAdopted };
}

/**
 * On a fatal error: leave the parts for a later resume (`onFailure: "keep"`), or abort the
 * upload and remove the checkpoint (`"abort"`). Contract: always throws `err`.
 */
function giveUp(run: UploadRun, uploadId: string, err: unknown): Promise<never> {
  const abort = run.opts.onFailure === "abort";
  return giveUpUpload(run.target, run.key, uploadId, run.session, abort, err);
}

/**
 * Phase 3, complete and verify. Contract: the source must still be what was read (else
 * `SourceChangedError`); completes with every part in order, accepts an earlier Complete whose
 * answer was lost only if the object is ours, and checks the object's CRC-64 against the
 * combination of the parts' (`IntegrityError` otherwise). Failures go through `giveUp`; the
 * checkpoint is left for the caller to remove.
 */
async function completeAndVerify(
  run: UploadRun,
  begun: Begun,
): Promise<{
  completed: { etag: string; crc64?: bigint; requestId?: string };
  expected: bigint;
  serverCrc?: bigint;
}> {
  const { target, key, source, session, options } = run;
  const { uploadId, done } = begun;
  const signal = options.signal;
  const now = await source.stat();
  if (now.size !== source.size || now.lastModified !== source.lastModified) {
    await giveUp(
      run,
      uploadId,
      new SourceChangedError(
        `${source.name} changed during the upload (size ${source.size} → ${now.size}, ` +
          `modified ${source.lastModified} → ${now.lastModified}); run again to upload it whole`,
      ),
    );
  }
  const ordered = [...done.values()].sort((a, b) => a.partNumber - b.partNumber);
  const expected = combinedCrc(ordered);
  let completed;
  try {
    completed = await target.completeMultipartUpload(
      key,
      uploadId,
      ordered.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
      run.writeOptions.complete,
    );
  } catch (err) {
    if (signal?.aborted) await giveUp(run, uploadId, abortErrorFrom(signal));
    if (!isNoSuchUpload(err)) await giveUp(run, uploadId, err);
    // A retried Complete whose first answer was lost finds the upload gone,
    // because that first one made the object: accept it iff it is ours.
    completed = await completedObject(target, key, source.size, expected, signal);
    if (completed === undefined) {
      await session?.remove();
      throw err;
    }
  }
  const serverCrc = await checkCompletedCrc(
    target,
    key,
    completed.crc64,
    expected,
    signal,
    async () => await session?.remove(),
  );
  return { completed, expected, serverCrc };
}

/** What {@linkcode sendMissingParts} needs. */
interface PartsRun {
  target: MultipartTarget;
  key: string;
  uploadId: string;
  source: FileSource;
  plan: PartPlan;
  routines: number | AdaptiveRoutines;
  session: CheckpointSession | undefined;
  /** Parts done so far; each part sent and recorded is added. */
  done: Map<number, PartRecord>;
  resumed: boolean;
  signal: AbortSignal | undefined;
  onProgress: ((progress: UploadProgress) => void) | undefined;
  /** What each UploadPart carries of the object's settings. */
  partOptions: PartCallOptions;
  /** Parts read ahead (each taken by the routine that sends it). */
  prefetch?: PartPrefetch;
  /** Buffers to use before allocating any. */
  spareBuffers?: Uint8Array[];
}

/**
 * Phase 2, transfer. Contract: sends the parts not in `run.done`, `run.routines` at a time,
 * each checked by CRC-64 and recorded in the checkpoint before the routine sends its next;
 * stops at the first error (returned, not thrown) or when `run.signal` aborts. `run.done`
 * holds every part recorded when it returns.
 */
async function sendMissingParts(
  run: PartsRun,
): Promise<{
  bytesSent: number;
  partsUploaded: number;
  bytesResent: number;
  firstError: unknown;
  routines: RoutinesUsed;
}> {
  const { target, key, uploadId, source, plan, session, done, resumed, signal } = run;
  const started = Date.now();
  let bytesSent = 0;
  let partsUploaded = 0;
  let bytesResent = 0;
  let bytesDone = 0;
  for (const part of done.values()) bytesDone += part.size;
  const progress = (): UploadProgress => ({
    bytesDone,
    bytesTotal: source.size,
    partsDone: done.size,
    partsTotal: plan.partCount,
    bytesPerSecond: bytesSent / Math.max((Date.now() - started) / 1000, 0.001),
    resumed,
    partSize: plan.partSize,
    routines: routinesNow(run.routines),
  });
  run.onProgress?.(progress());

  const missing: number[] = [];
  for (let n = 1; n <= plan.partCount; n++) if (!done.has(n)) missing.push(n);

  const scheduler = new PartScheduler(signal);

  // Records a finished part, then counts it. Resolves once the record is stored.
  const finish = async (record: PartRecord): Promise<void> => {
    await session?.record(record);
    done.set(record.partNumber, record);
    partsUploaded++;
    bytesDone += record.size;
    run.onProgress?.(progress());
  };

  // Sends one part. `previous` is the routine's last part still being recorded: this part is
  // read and hashed meanwhile, but sent only once that record is stored, so a killed process
  // leaves at most one sent-but-unrecorded part per routine. Returns this part's record (wrapped:
  // an async function would wait for a promise it returns).
  const uploadOne = async (
    partNumber: number,
    buffer: Uint8Array,
    previous: Promise<void> | undefined,
    readAhead?: Promise<PartBody>,
  ): Promise<{ recorded: Promise<void> }> => {
    const { offset, size } = partAt(source.size, plan.partSize, partNumber);
    const read = () => partBody(source, offset, size, scheduler.signal, buffer);
    const first = await (readAhead ?? read());
    await previous;
    const sent = await scheduler.track(
      size,
      () =>
        sendCheckedPart(target, key, uploadId, partNumber, size, read, first, scheduler.signal, {
          ...run.partOptions,
          onRetry: scheduler.retried,
        }),
    );
    bytesSent += sent.bytesSent;
    bytesResent += sent.bytesResent;
    const recorded = finish({ partNumber, size, etag: unquote(sent.etag), crc64: sent.crc64 });
    recorded.catch((err) => scheduler.fail(err)); // also awaited: by the next part, or at the end
    return { recorded };
  };

  let next = 0;
  try {
    await scheduler.routines(routinesForParts(run.routines, missing.length), async (nextTurn) => {
      // One buffer per routine, reused part after part: memory stays about
      // routines × part size (1 MiB for sources sent by slice), not waiting on
      // the garbage collector. A part's request has ended (its body sent)
      // before the next part is read into it.
      let buffer: Uint8Array | undefined;
      let recording: Promise<void> | undefined;
      while (next < missing.length && nextTurn()) {
        const partNumber = missing[next++];
        const ahead = run.prefetch?.take(partNumber, plan.partSize);
        // A part read ahead is in a buffer of its own, which this routine keeps.
        if (ahead) buffer = ahead.buffer;
        buffer ??= run.spareBuffers?.pop() ?? new Uint8Array(partBufferSize(source, plan.partSize));
        try {
          ({ recorded: recording } = await uploadOne(partNumber, buffer, recording, ahead?.read));
        } catch (err) {
          scheduler.fail(err);
        }
      }
      await recording?.catch(() => {});
    });
  } finally {
    scheduler.dispose();
  }
  const firstError = scheduler.firstError;
  return {
    bytesSent,
    partsUploaded,
    bytesResent,
    firstError,
    routines: routinesUsed(scheduler, run.routines),
  };
}
