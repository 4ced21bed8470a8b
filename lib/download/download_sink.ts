/**
 * The resumable download engine: an object cut into ranges fetched in parallel (If-Match on
 * its ETag, every range's length checked), written into a {@linkcode FileSink}, each finished
 * part recorded in a checkpoint journal, the whole checked against the object's CRC-64 before
 * the sink puts it at its target.
 *
 * @module
 */

import { byobReaderOf } from "../_byob_reader.ts";
import { type RateLimiter, rateLimiterFor } from "../pacing/rate_limiter.ts";
import type { CheckpointLocation } from "../checkpoint/checkpoint_location.ts";
import type { CheckpointHeader, PartRecord } from "../checkpoint/checkpoint_journal.ts";
import { CheckpointSession } from "../checkpoint/checkpoint_session.ts";
import type { ConditionalOptions, GetObjectOptions } from "../client/bucket_objects.ts";
import type { PreconnectOptions } from "../client/bucket_preconnect.ts";
import type { GetObjectResult, ObjectMetadata } from "../client/results.ts";
import { Crc64, crc64 } from "../crc64/crc64.ts";
import { combinedCrc } from "../crc64/part_crcs.ts";
import { IntegrityError, NetworkError, OssError, SourceChangedError } from "../errors/errors.ts";
import type { FileSink } from "../sink/file_sink.ts";
import { isRetryableError } from "../client/retry_policy.ts";
import { PartScheduler, transferAborted } from "../upload/part_scheduler.ts";
import type { AdaptiveRoutines } from "../upload/adaptive_routines.ts";
import { autoPartSize } from "../upload/part_plan.ts";
import {
  forFirstExchange,
  reportFirstExchange,
  type ResolvedParallelism,
  routinesFor,
  routinesForParts,
  routinesNow,
  type RoutinesUsed,
  routinesUsed,
  startingRoutines,
} from "../upload/parallelism.ts";
import { unquote } from "../upload/_upload_result.ts";
import { type Span, type SpanProgress, TailSplit } from "./_tail_split.ts";
import { ArrivalRate } from "./_arrival_rate.ts";
import {
  type DownloadFileOptions,
  type DownloadProgress,
  type DownloadResult,
  resolveDownloadOptions,
} from "./download_options.ts";

/**
 * What the download engine needs from a bucket: `Bucket` fills it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Bucket, type DownloadTarget, OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * const asTarget = (b: Bucket): DownloadTarget => b; // a Bucket is one
 * await bucket.putObject("a.txt", "hello");
 * assert.equal((await asTarget(bucket).headObject("a.txt")).size, 5);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface DownloadTarget {
  /** The bucket name. */
  readonly name: string;
  /** Endpoint host, to bind a checkpoint to where the object is. */
  readonly endpointHost: string;
  /** HeadObject. */
  headObject(key: string, options?: ConditionalOptions): Promise<ObjectMetadata>;
  /** GetObject of a range. */
  getObject(key: string, options?: GetObjectOptions): Promise<GetObjectResult>;
  /**
   * Opens connections ahead of the ranges, while HeadObject is on its way (see
   * `Bucket.preconnect`). Without it every range's connection is opened when it is asked for.
   */
  preconnect?(options: PreconnectOptions): void;
}

/**
 * Options of {@linkcode downloadToSink}: the public options with the checkpoint located.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type DownloadSinkOptions, MemoryCheckpointStore } from "@ossup/ossup";
 *
 * const options: DownloadSinkOptions = { routines: 2, checkpoint: { store: new MemoryCheckpointStore(), id: "dl" } };
 * assert.equal(options.checkpoint?.id, "dl");
 * ```
 */
export interface DownloadSinkOptions
  extends Omit<DownloadFileOptions, "checkpoint" | "checkpointId"> {
  /** The checkpoint's store and id; none disables resuming across runs. */
  checkpoint?: CheckpointLocation;
}

// Ranges cut short or broken mid-body are fetched again this many more times, per part.
const BODY_RETRIES = 3;
// Bytes a range gathers before it writes them: two such buffers per routine (one filling, one
// being written), so the network and the disk work at once. Not larger: on the bench machine
// (Linux 6.18 in a VM, ext4) 1 GiB written in 1 MiB pieces cost 0.2 to 2.9 s of system CPU from
// run to run, in 128 KiB pieces 0.25 to 0.65 s (the kernel's copy into the page cache), and the
// 1 GiB download's system CPU fell by about half with it.
const WRITE_BUFFER = 128 * 1024;
// The shortest window the download's rate is measured over: nearby (a loopback server answers
// in a millisecond or two) shorter ones would see each range's arrivals, not the link's.
const MIN_ARRIVAL_WINDOW_MS = 10;

/**
 * The two buffers a routine gathers its ranges in, reused from range to range. Mutable: a body
 * read into one of them takes its memory over and hands it back as another `Uint8Array`.
 */
type WriteBuffers = [Uint8Array, Uint8Array];

/**
 * Gathers a range's bytes into large writes at consecutive offsets of the sink, one write in
 * flight while the other buffer fills: copied in chunk by chunk ({@linkcode add}), or read
 * straight into the free end of the filling buffer ({@linkcode readInto}). Each write, once
 * done, adds its bytes to the span's {@linkcode SpanProgress} (hashed there, in order), so what
 * a broken range leaves is exactly what the sink holds.
 */
class RangeWriter {
  #sink: FileSink;
  #at: number;
  #buffers: WriteBuffers;
  #progress: SpanProgress;
  #filling: Uint8Array;
  #spare: Uint8Array;
  #fill = 0;
  #writing: Promise<Uint8Array> | undefined;

  constructor(sink: FileSink, offset: number, buffers: WriteBuffers, progress: SpanProgress) {
    this.#sink = sink;
    this.#at = offset;
    this.#buffers = buffers;
    this.#progress = progress;
    [this.#filling, this.#spare] = buffers;
  }

  /** Copies `chunk` in, writing each buffer as it fills. */
  async add(chunk: Uint8Array): Promise<void> {
    for (let used = 0; used < chunk.length;) {
      const n = Math.min(chunk.length - used, this.#filling.length - this.#fill);
      this.#filling.set(chunk.subarray(used, used + n), this.#fill);
      this.#fill += n;
      used += n;
      if (this.#fill === this.#filling.length) await this.#flush();
    }
  }

  /**
   * Reads the next bytes of `reader`, at most `most`, into the free end of the filling buffer;
   * resolves to them (not yet written: call {@linkcode commit} to keep them), or undefined at
   * the body's end.
   */
  async readInto(
    reader: ReadableStreamBYOBReader,
    most: number,
  ): Promise<Uint8Array | undefined> {
    const free = this.#filling.subarray(this.#fill, this.#fill + most);
    let read: ReadableStreamReadResult<Uint8Array>;
    try {
      read = await reader.read(free);
    } catch (err) {
      // The failed read kept the buffer's memory: a new one for the next range.
      this.#filling = new Uint8Array(free.buffer.byteLength || this.#spare.byteLength);
      this.#fill = 0;
      throw err;
    }
    // The read took the buffer's memory over; `value` is a view of it, handed back.
    if (read.value !== undefined) this.#filling = new Uint8Array(read.value.buffer);
    return read.done ? undefined : read.value;
  }

  /** Keeps the `n` bytes {@linkcode readInto} just read, writing the buffer once it is full. */
  async commit(n: number): Promise<void> {
    this.#fill += n;
    if (this.#fill === this.#filling.length) await this.#flush();
  }

  /**
   * After a failure: waits for the write in flight, whatever its outcome; writes no more. The
   * buffers are free again when it resolves.
   */
  async abandon(): Promise<void> {
    await this.#writing?.catch(() => {});
    this.#writing = undefined;
    this.#handBack();
  }

  /**
   * Writes what is left and waits for every write: the range is in the sink, and the buffers
   * free again, when it resolves.
   */
  async end(): Promise<void> {
    if (this.#fill > 0) await this.#flush();
    await this.#writing;
    this.#writing = undefined;
    this.#handBack();
  }

  /** Puts the buffers, as they are now, back for the routine's next range. */
  #handBack(): void {
    // A body cancelled mid-read keeps the memory it was reading into.
    if (this.#filling.byteLength === 0) this.#filling = new Uint8Array(this.#spare.byteLength);
    this.#buffers[0] = this.#filling;
    this.#buffers[1] = this.#spare;
  }

  async #flush(): Promise<void> {
    // The write before this one must be done: its buffer is the next to fill.
    const free = (await this.#writing) ?? this.#spare;
    const full = this.#filling.subarray(0, this.#fill);
    const at = this.#at;
    this.#at += this.#fill;
    const buffer = this.#filling;
    const progress = this.#progress;
    // Writes run one at a time, in order: each hashes its bytes before its buffer is reused.
    this.#writing = this.#sink.write(at, full).then(() => {
      progress.crc = crc64(full, progress.crc);
      progress.kept += full.length;
      return buffer;
    });
    this.#spare = buffer;
    this.#filling = free;
    this.#fill = 0;
  }
}

/** The object as the download found it, and the bytes of it to fetch. */
interface ObjectPlan {
  head: ObjectMetadata;
  /** The If-Match value every range is fetched under. */
  ifMatch: string;
  /** First byte of the object to fetch. */
  start: number;
  /** Bytes to fetch. */
  length: number;
  partSize: number;
  partCount: number;
  /**
   * Milliseconds HeadObject took, request to answer: the download's first exchange, which tells
   * `routines: "auto"` how far away the server is.
   */
  exchangeMs: number;
}

/** What every phase of one download works on: fixed for the run. */
interface DownloadRun {
  target: DownloadTarget;
  key: string;
  sink: FileSink;
  session: CheckpointSession | undefined;
  plan: ObjectPlan;
  /** How many ranges at once: a number, or the controller of `routines: "auto"`. */
  routines: number | AdaptiveRoutines;
  options: DownloadSinkOptions;
  /** Paces every ranged GET's body: one limiter for the whole download. */
  limiter: RateLimiter | undefined;
}

/** What the reclaim phase found. */
interface Begun {
  resumed: boolean;
  /** Parts written and recorded (by an earlier run and checked, or by this one). */
  done: Map<number, PartRecord>;
  /** Recorded parts that were not intact in the sink (fetched again). */
  bytesRefetched: number;
  discarded?: string;
}

/** Offset and size of part `n` (1-based) of the bytes to fetch. */
function partAt(plan: ObjectPlan, n: number): { offset: number; size: number } {
  const offset = (n - 1) * plan.partSize;
  return { offset, size: Math.min(plan.partSize, plan.length - offset) };
}

/**
 * Downloads `key` into `sink`, resuming from the checkpoint when it matches the object as it
 * is now. `bucket.downloadFile` runs this with the runtime's file sink.
 *
 * @param target The bucket.
 * @param key The object key.
 * @param sink Where the bytes go; the caller made it, the engine opens and closes it.
 * @param options Part size, routines, checkpoint location, range, version, progress, signal.
 * @returns What was written and how it was checked.
 * @throws {IntegrityError} When the bytes' CRC-64 differs from the object's (nothing is left
 * at the target, nor any partial data or checkpoint).
 * @throws {SourceChangedError} When the object changed during the download (its partial data
 * and checkpoint are removed: the next run starts over).
 * @throws {AbortError} When `signal` aborted it (the partial data and checkpoint are kept).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { downloadToSink, OssClient } from "@ossup/ossup";
 * import { openNodeFileSink } from "@ossup/ossup/node";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS, and a temporary directory for the files.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 *
 * await bucket.putObject("big.iso", new Uint8Array(300 * 1024));
 * const mySink = openNodeFileSink(join(dir, "big.iso")); // or a FileSink of your own
 * const result = await downloadToSink(bucket, "big.iso", mySink, { partSize: 100 * 1024, routines: 4 });
 * assert.equal(result.crc64Verified, true);
 *
 * await rm(dir, { recursive: true });
 * await server.close();
 * await storage.close();
 * ```
 */
export async function downloadToSink(
  target: DownloadTarget,
  key: string,
  sink: FileSink,
  options: DownloadSinkOptions = {},
): Promise<DownloadResult> {
  const { partSize: partSizeSetting, parallelism: asked } = resolveDownloadOptions(options);
  const limiter = rateLimiterFor(options.limitRate);
  const signal = options.signal;
  if (signal?.aborted) throw transferAborted(signal, "download");
  // The ranges' connections open while HeadObject is on its way; it takes one of them, so its
  // time is still a cold exchange's. The checkpoint is locked meanwhile too.
  target.preconnect?.({ connections: startingRoutines(asked), for: "download" });
  const locking = options.checkpoint
    ? CheckpointSession.open(options.checkpoint.store, options.checkpoint.id, {
      wait: options.waitForCheckpoint,
      signal,
    })
    : undefined;
  locking?.catch(() => {}); // met below, after HeadObject's own failure if it has one
  let span: ObjectSpan;
  try {
    span = await planObject(target, key, options);
  } catch (err) {
    await (await locking?.catch(() => undefined))?.close();
    throw err;
  }
  const parallelism = forFirstExchange(asked, span.exchangeMs);
  const session = await locking;
  try {
    const partSize = partSizeSetting === "auto"
      ? await chooseAutoPartSize(target, key, sink, session, span, options, parallelism)
      : partSizeSetting;
    const plan = { ...span, partSize, partCount: Math.ceil(span.length / partSize) };
    const routines = routinesFor(parallelism, plan.partCount, rangeMemory(partSize));
    reportFirstExchange(routines, span.exchangeMs);
    const run: DownloadRun = { target, key, sink, session, plan, routines, options, limiter };
    const begun = await reclaimOrBegin(run);
    const fetched = await fetchMissingParts(run, begun);
    const firstError = signal?.aborted ? transferAborted(signal, "download") : fetched.firstError;
    if (firstError !== undefined) await giveUp(run, firstError);
    const crc64 = await verifyAndCommit(run, begun.done);
    await session?.remove();
    return {
      bucket: target.name,
      key,
      file: sink.name,
      size: plan.length,
      etag: unquote(plan.head.etag),
      ...(plan.head.versionId ? { versionId: plan.head.versionId } : {}),
      crc64,
      crc64Verified: options.range === undefined && plan.head.crc64 !== undefined,
      partSize: plan.partSize,
      routines: fetched.routines,
      parts: plan.partCount,
      resumed: begun.resumed,
      bytesReceived: fetched.bytesReceived,
      bytesRefetched: begun.bytesRefetched + fetched.bytesRefetched,
      ...(begun.discarded ? { checkpointDiscarded: begun.discarded } : {}),
    };
  } finally {
    await sink.close();
    await session?.close();
  }
}

/** Bytes one range in flight holds: its two write buffers. */
function rangeMemory(partSize: number): number {
  return 2 * Math.min(partSize, WRITE_BUFFER);
}

/**
 * `partSize: "auto"`: the part size the checkpoint recorded for this very download (same object
 * identity and sink), so a resume keeps its parts; else {@linkcode autoPartSize} of the length
 * and HeadObject's time (a range holds at most 2 MiB whatever its size, so only `maxRoutines`
 * weighs).
 */
async function chooseAutoPartSize(
  target: DownloadTarget,
  key: string,
  sink: FileSink,
  session: CheckpointSession | undefined,
  span: ObjectSpan,
  options: DownloadSinkOptions,
  parallelism: ResolvedParallelism,
): Promise<number> {
  if (session) {
    const unsized = { ...span, partSize: 0, partCount: 0 };
    const identity = headerOf({ target, key, sink, plan: unsized, options });
    const recorded = await session.recordedPartSize(identity);
    if (recorded !== undefined) return recorded;
  }
  return autoPartSize(span.length, {
    maxRoutines: parallelism.maxRoutines,
    maxMemory: Infinity,
    firstExchangeMs: span.exchangeMs,
  });
}

/** The object and the bytes of it to fetch, before they are cut into parts. */
type ObjectSpan = Omit<ObjectPlan, "partSize" | "partCount">;

/** Phase 0: what the object is now (HeadObject) and which of its bytes to fetch. */
async function planObject(
  target: DownloadTarget,
  key: string,
  options: DownloadSinkOptions,
): Promise<ObjectSpan> {
  const asked = performance.now();
  const head = await target.headObject(key, {
    signal: options.signal,
    ...versionQuery(options.versionId),
  });
  const exchangeMs = performance.now() - asked;
  if (!Number.isSafeInteger(head.size)) {
    throw new NetworkError(`oss://${target.name}/${key}: the server sent no size for the object`);
  }
  let start = 0, length = head.size;
  const range = options.range;
  if (range !== undefined) {
    const end = range.end ?? head.size - 1;
    if (!Number.isSafeInteger(range.start) || range.start < 0 || !Number.isSafeInteger(end)) {
      throw new RangeError("range.start and range.end must be whole numbers ≥ 0");
    }
    if (range.start >= head.size || end < range.start) {
      throw new RangeError(
        `range ${range.start}-${range.end ?? ""} is not within oss://${target.name}/${key} ` +
          `(${head.size} bytes): start must be below the size and end at least start`,
      );
    }
    start = range.start;
    length = Math.min(end, head.size - 1) - start + 1;
  }
  return {
    head,
    ifMatch: head.etag.startsWith('"') ? head.etag : `"${head.etag}"`,
    start,
    length,
    exchangeMs,
  };
}

function versionQuery(versionId: string | undefined): { versionId?: string } {
  return versionId === undefined ? {} : { versionId };
}

/** The checkpoint header of this download: the object's identity and the sink's name. */
function headerOf(
  run: Pick<DownloadRun, "target" | "key" | "plan" | "sink" | "options">,
): CheckpointHeader {
  const { target, key, plan, sink, options } = run;
  const version = options.versionId === undefined ? "" : `?versionId=${options.versionId}`;
  const range = options.range === undefined
    ? ""
    : `#bytes=${plan.start}-${plan.start + plan.length - 1}`;
  return {
    endpoint: target.endpointHost,
    bucket: target.name,
    key,
    uploadId: "",
    partSize: plan.partSize,
    partCount: plan.partCount,
    source: {
      name: `oss://${target.name}/${key}${version}${range}`,
      size: plan.length,
      lastModified: plan.head.lastModified?.getTime() ?? 0,
      // ETag, size and CRC-64 together: a replaced object differs in at least one.
      fingerprint: `etag=${unquote(plan.head.etag)};size=${plan.head.size};crc64=${
        plan.head.crc64 ?? ""
      }`,
    },
    createdAt: Date.now(),
    download: { sink: sink.name },
  };
}

/**
 * Phase 1, reclaim or begin. Contract: with a usable checkpoint (same object identity, part
 * size and sink), the partial data is kept and every recorded part read back and checked
 * against its recorded CRC-64; parts that fail are fetched again. Otherwise (no checkpoint,
 * another object, damaged) the partial data starts empty and a new journal is begun.
 */
async function reclaimOrBegin(run: DownloadRun): Promise<Begun> {
  const { sink, session } = run;
  const header = headerOf(run);
  if (session === undefined) {
    await sink.open(false);
    return { resumed: false, done: new Map(), bytesRefetched: 0 };
  }
  const loaded = await session.load(header);
  if (loaded.kind === "usable") {
    const kept = await sink.open(true);
    if (kept !== undefined) {
      const { intact, bytesRefetched } = await checkKeptParts(run, loaded.parts.values());
      if (loaded.needsRewrite || intact.size < loaded.parts.size) {
        await session.begin(loaded.header, intact.values());
      } else {
        session.adopt(loaded.header);
      }
      return { resumed: intact.size > 0, done: intact, bytesRefetched };
    }
    // The partial data is gone: its parts are fetched again.
    let bytesRefetched = 0;
    for (const p of loaded.parts.values()) bytesRefetched += p.size;
    await sink.open(false);
    await session.begin(loaded.header);
    return { resumed: false, done: new Map(), bytesRefetched };
  }
  const discarded = loaded.kind === "none"
    ? undefined
    : loaded.kind === "intent"
    ? "it is for another kind of transfer"
    : loaded.reason;
  // A new journal: the ranges need not wait for it (their records do, and fail if it failed),
  // and a crash before it is stored leaves nothing to resume but nothing lost on the server.
  const journaled = session.begin(header);
  journaled.catch(() => {});
  await sink.open(false);
  return { resumed: false, done: new Map(), bytesRefetched: 0, discarded };
}

/** Reads back each recorded part from the sink; keeps those whose CRC-64 still matches. */
async function checkKeptParts(
  run: DownloadRun,
  recorded: Iterable<PartRecord>,
): Promise<{ intact: Map<number, PartRecord>; bytesRefetched: number }> {
  const intact = new Map<number, PartRecord>();
  let bytesRefetched = 0;
  const chunk = new Uint8Array(Math.min(run.plan.partSize, 1 << 20));
  for (const part of recorded) {
    const { offset, size } = partAt(run.plan, part.partNumber);
    const crc = new Crc64();
    let at = 0;
    while (at < size) {
      const want = chunk.subarray(0, Math.min(chunk.length, size - at));
      const got = await run.sink.readInto(offset + at, want);
      crc.update(want.subarray(0, got));
      at += got;
      if (got < want.length) break;
    }
    if (at === size && crc.digest() === part.crc64) intact.set(part.partNumber, part);
    else bytesRefetched += size;
  }
  return { intact, bytesRefetched };
}

/**
 * Phase 2, transfer. Contract: fetches the parts not in `begun.done`, `run.routines` at a time,
 * each under If-Match, written to the sink as it arrives and recorded (CRC-64 of the bytes
 * received) once all its bytes are written and its length is exact; a range cut short or
 * broken mid-body is fetched again from where its bytes stopped reaching the sink. With
 * `"auto"`, the first wave is staggered ({@linkcode TailSplit.stagger}) and routines with no
 * part left to start split the rest of the ranges still in flight ({@linkcode TailSplit.take}):
 * a part is then recorded once all its spans are in the sink, its CRC-64 theirs combined.
 * Stops at the first error (returned) or the caller's abort.
 */
async function fetchMissingParts(
  run: DownloadRun,
  begun: Begun,
): Promise<{
  bytesReceived: number;
  bytesRefetched: number;
  firstError: unknown;
  routines: RoutinesUsed;
}> {
  const { plan, session, options } = run;
  const done = begun.done;
  let bytesReceived = 0;
  let bytesRefetched = 0;
  let bytesDone = 0;
  for (const p of done.values()) bytesDone += p.size;
  const progress = (): DownloadProgress => ({
    bytesDone,
    bytesTotal: plan.length,
    partsDone: done.size,
    partsTotal: plan.partCount,
    resumed: begun.resumed,
    partSize: plan.partSize,
    routines: routinesNow(run.routines),
  });
  options.onProgress?.(progress());
  const missing: number[] = [];
  for (let n = 1; n <= plan.partCount; n++) if (!done.has(n)) missing.push(n);

  const scheduler = new PartScheduler(options.signal);
  const split = new TailSplit();
  // Only "auto" splits the tail: a fixed count and part size mean what they say, one range
  // per part.
  const splitsTail = typeof run.routines !== "number";
  // How fast bytes came at best, over about a round trip (HeadObject's exchange, a handshake's
  // and a request's, is up to two): for the tail split, what the link carries in one.
  const arrivals = new ArrivalRate(
    Math.max(MIN_ARRIVAL_WINDOW_MS, plan.exchangeMs / 2),
    options.adaptive?.clock ?? (() => performance.now()),
  );
  const fetchSpan = async (span: Span, buffers: WriteBuffers): Promise<void> => {
    const { partNumber, size } = span.part;
    const written = span.progress;
    const length = () => span.end - span.from;
    for (let attempt = 0;; attempt++) {
      let received = 0;
      const keptBefore = written.kept;
      try {
        await scheduler.track(
          length() - written.kept,
          () =>
            fetchRange(run, span, buffers, scheduler, split, (n) => {
              received += n;
              bytesReceived += n;
              if (splitsTail) arrivals.add(n);
            }),
        );
        const crc64 = split.finished(span);
        if (crc64 === undefined) return; // another span of the part is still on its way
        const record = { partNumber, size, etag: unquote(plan.head.etag), crc64 };
        await session?.record(record);
        done.set(partNumber, record);
        bytesDone += size;
        options.onProgress?.(progress());
        return;
      } catch (err) {
        if (scheduler.signal.aborted || attempt >= BODY_RETRIES || !isBodyFailure(err)) throw err;
        if (written.kept < length()) {
          // What reached the sink stays; the rest of the span is fetched again.
          bytesRefetched += received - (written.kept - keptBefore);
        } else {
          // Every byte written, yet it failed (a body longer than asked): all of it again.
          bytesRefetched += received + keptBefore;
          written.kept = 0;
          written.crc = 0n;
        }
      }
    }
  };
  let next = 0;
  try {
    const bufferSize = Math.min(plan.partSize, WRITE_BUFFER);
    const routines = routinesForParts(run.routines, missing.length);
    // "auto" staggers its first wave when there are at least two waves' worth of parts.
    const wave = typeof routines === "number" || missing.length < 2 * routines.routines
      ? 0
      : routines.routines;
    let started = 0;
    await scheduler.routines(routines, async (nextTurn) => {
      const buffers: WriteBuffers = [new Uint8Array(bufferSize), new Uint8Array(bufferSize)];
      const k = started++;
      while (nextTurn()) {
        if (next < missing.length) {
          const { offset, size } = partAt(plan, missing[next]);
          const span = split.begin(missing[next++], offset, size);
          if (k < wave && span.part.partNumber === missing[k]) split.stagger(span, k, wave);
          await fetchSpan(span, buffers);
          // A retired routine leaves its back piece to the others (TailSplit.take).
          const back = k < wave && nextTurn() ? split.takeStaggered(k) : undefined;
          if (back !== undefined) await fetchSpan(back, buffers);
          continue;
        }
        if (!splitsTail || !split.busy) return;
        // A rest the link carries within a round trip gains nothing from a cut (HeadObject's
        // exchange is one or two: two on a new connection, which errs toward not cutting).
        const piece = split.take((arrivals.best ?? 0) * plan.exchangeMs);
        if (piece !== undefined) await fetchSpan(piece, buffers);
        else await split.changed(scheduler.signal);
      }
    });
  } finally {
    scheduler.dispose();
  }
  return {
    bytesReceived,
    bytesRefetched,
    firstError: scheduler.firstError,
    routines: routinesUsed(scheduler, run.routines),
  };
}

/** A failure a new request for the same range may not have: the body broke or was cut short. */
function isBodyFailure(err: unknown): boolean {
  return isRetryableError(err) || (err instanceof TypeError && !(err instanceof RangeError));
}

/**
 * One ranged GET under If-Match of the span's bytes not yet in the sink, written to the sink
 * chunk by chunk as they arrive (hashed into `span.progress`). When the tail split gives the
 * span's rest to another routine mid-answer, reading stops where that rest begins and the
 * answer is cancelled. Throws `NetworkError` when the body is longer than asked or ends short
 * (Go SDK #300: a truncated body must not pass), `SourceChangedError` when the object changed;
 * either way `span.progress` says what was written.
 */
async function fetchRange(
  run: DownloadRun,
  span: Span,
  buffers: WriteBuffers,
  scheduler: PartScheduler,
  split: TailSplit,
  onBytes: (n: number) => void,
): Promise<void> {
  const signal = scheduler.signal;
  const { target, key, plan, sink, options } = run;
  const where = `oss://${target.name}/${key}`;
  const { partNumber } = span.part;
  split.beforeRequest(span);
  const from = span.from + span.progress.kept;
  const start = plan.start + span.part.offset;
  const asked = span.end - from;
  const bytes = `bytes ${start + from}-${start + span.end - 1}`;
  // Bytes to take from the answer: the asked ones, fewer once a split takes the rest.
  const wanted = () => span.end - from;
  try {
    let res: GetObjectResult;
    try {
      res = await target.getObject(key, {
        range: { start: start + from, end: start + span.end - 1 },
        ifMatch: plan.ifMatch,
        signal,
        limitRate: run.limiter,
        onRetry: scheduler.retried,
        ...versionQuery(options.versionId),
      });
    } catch (err) {
      if (err instanceof OssError && err.status === 412) throw changed(where, err);
      throw err;
    }
    if (unquote(res.etag) !== unquote(plan.head.etag)) {
      await res.body.cancel().catch(() => {});
      throw changed(where, undefined);
    }
    let received = 0;
    const writer = new RangeWriter(sink, span.part.offset + from, buffers, span.progress);
    // How many of `chunk`'s bytes to keep: all, or those before a split's piece.
    const take = (chunk: Uint8Array): number => {
      if (received + chunk.length > asked) {
        throw new NetworkError(
          `${where}: part ${partNumber} (${bytes}) sent more than ${asked} bytes`,
        );
      }
      const n = Math.min(chunk.length, wanted() - received);
      received += n;
      span.reached = from + received;
      onBytes(n);
      return n;
    };
    const byob = byobReaderOf(res.body);
    try {
      if (byob !== undefined) {
        // Straight into the write buffers: no chunk allocated, none copied. Read to the
        // body's end (a byte more than asked is an error), unless a split took the rest.
        while (received < wanted() || received === asked) {
          const chunk = await writer.readInto(byob, Math.max(1, wanted() - received));
          if (chunk === undefined) break;
          await writer.commit(take(chunk));
        }
        if (received < asked) await byob.cancel().catch(() => {});
      } else {
        for await (const chunk of res.body) {
          await writer.add(chunk.subarray(0, take(chunk)));
          if (received === wanted() && received < asked) break; // cancels the answer
        }
      }
    } catch (err) {
      await byob?.cancel().catch(() => {});
      await writer.abandon();
      throw err;
    }
    await writer.end();
    if (received !== wanted()) {
      throw new NetworkError(
        `${where}: part ${partNumber} (${bytes}) ended after ${received} of ${wanted()} bytes`,
      );
    }
  } finally {
    split.afterRequest(span);
  }
}

function changed(where: string, cause: unknown): SourceChangedError {
  return new SourceChangedError(
    `${where} changed on the server during the download (its ETag is no longer the one the ` +
      `download started with); run again to download the new object from the start`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * On a fatal error. Contract: always throws `err`. A changed object, or a download without a
 * checkpoint, leaves nothing behind (partial data and checkpoint removed); otherwise both stay
 * for the next run to resume.
 */
async function giveUp(run: DownloadRun, err: unknown): Promise<never> {
  if (run.session === undefined || err instanceof SourceChangedError) {
    await run.sink.discard().catch(() => {});
    await run.session?.remove().catch(() => {});
  }
  throw err;
}

/**
 * Phase 3, verify and commit. Contract: combines the parts' CRC-64s and, for a whole object
 * whose CRC-64 the server reported, compares them: a mismatch removes the partial data and the
 * checkpoint (which part is wrong cannot be known) and throws `IntegrityError`; a match (or no
 * CRC to check) commits the sink, which puts the bytes at the target.
 */
async function verifyAndCommit(run: DownloadRun, done: Map<number, PartRecord>): Promise<bigint> {
  const { target, key, plan, sink, session, options } = run;
  const crc64 = combinedCrc(done.values());
  const expected = plan.head.crc64;
  if (options.range === undefined && expected !== undefined && expected !== crc64) {
    await sink.discard();
    await session?.remove();
    throw new IntegrityError(
      `oss://${target.name}/${key}: the downloaded bytes have CRC64 ${crc64}, the object ` +
        `${expected}; nothing was written to ${sink.name} and the partial download was removed: run again`,
    );
  }
  await sink.commit(plan.length);
  return crc64;
}
