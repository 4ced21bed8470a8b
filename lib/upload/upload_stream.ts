/**
 * Multipart upload of a `ReadableStream` of unknown length: parts are
 * buffered one at a time per routine, so memory stays about
 * `routines × partSize`. A stream cannot be read twice, so such an upload
 * resumes only within the process (retries of a buffered part); a failed one
 * is aborted.
 *
 * @module
 */

import { combinedCrc } from "../crc64/part_crcs.ts";
import { Crc64 } from "../crc64/crc64.ts";
import { AbortError, IntegrityError } from "../errors/errors.ts";
import type { MultipartTarget } from "./multipart_target.ts";
import { assertPartSize, MAX_PARTS } from "./part_plan.ts";
import { initiateUpload } from "./_initiate_upload.ts";
import { checkCompletedCrc, unquote, uploadResult } from "./_upload_result.ts";
import { PartScheduler } from "./part_scheduler.ts";
import { sendCheckedPart } from "./_send_part.ts";
import {
  resolveUploadOptions,
  type UploadFileOptions,
  type UploadResult,
  uploadWriteOptions,
} from "./upload_options.ts";

/**
 * Options of {@linkcode uploadStream}: those of `uploadFile` without a checkpoint.
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
 * const body = new Blob(["line 1\n", "line 2\n"]).stream();
 * await bucket.uploadStream("logs/today.txt", body, { partSize: 1024 * 1024, routines: 2 });
 * assert.equal(await (await bucket.getObject("logs/today.txt")).text(), "line 1\nline 2\n");
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export type UploadStreamOptions =
  & Omit<
    UploadFileOptions,
    | "checkpoint"
    | "checkpointId"
    | "waitForCheckpoint"
    | "onFailure"
    | "raisePartSize"
    | "partSize"
    | "routines"
    | "maxRoutines"
    | "maxMemory"
    | "adaptive"
    | "putObjectThreshold"
  >
  & {
    /**
     * Part size in bytes, 100 KB to 5 GB (a stream's length is not known, so there is no
     * `"auto"`). Memory use is about `routines × partSize`.
     * @default {102400}
     */
    partSize?: number;
    /**
     * Parts in flight at once, 1 to 100.
     * @default {1}
     */
    routines?: number;
  };

/** Fills `partSize` bytes from the reader (fewer at the end of the stream). */
async function fillPart(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  partSize: number,
  carry: { bytes?: Uint8Array },
): Promise<{ bytes: Uint8Array; crc64: bigint; ended: boolean }> {
  const buffer = new Uint8Array(partSize);
  const crc = new Crc64();
  let filled = 0;
  let ended = false;
  while (filled < partSize) {
    let chunk = carry.bytes;
    carry.bytes = undefined;
    if (chunk === undefined) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      chunk = value;
    }
    const take = Math.min(chunk.length, partSize - filled);
    buffer.set(chunk.subarray(0, take), filled);
    crc.update(chunk.subarray(0, take));
    filled += take;
    if (take < chunk.length) carry.bytes = chunk.subarray(take);
  }
  return {
    bytes: filled === partSize ? buffer : buffer.slice(0, filled),
    crc64: crc.digest(),
    ended,
  };
}

/**
 * Uploads a stream of unknown length to `key`. A stream that ends within the
 * first part goes up with one PutObject; a longer one as a multipart upload
 * with up to `routines` parts in flight. Its CRC64 is checked per part and
 * for the whole object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient, uploadStream } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS, and for the site the download comes from.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 * await bucket.putObject("site/big.tar", new Uint8Array(250 * 1024));
 *
 * // Mirror a download without holding it in memory or on disk: its body streams into the upload.
 * const response = await fetch(await bucket.presignUrl("site/big.tar"));
 * const result = await uploadStream(bucket, "mirror/big.tar", response.body!, { partSize: 100 * 1024 });
 * assert.equal(result.size, 250 * 1024);
 * assert.equal(result.parts, 3);
 * assert.equal(result.crc64, (await bucket.headObject("site/big.tar")).crc64);
 *
 * await server.close();
 * await storage.close();
 * ```
 *
 * @param target The bucket to upload to.
 * @param key The object key.
 * @param stream The bytes to upload; read to its end.
 * @param options Part size, routines, headers, progress, signal.
 * @returns The object's ETag, CRC64 and size.
 */
export async function uploadStream(
  target: MultipartTarget,
  key: string,
  stream: ReadableStream<Uint8Array>,
  options: UploadStreamOptions = {},
): Promise<UploadResult> {
  const opts = resolveUploadOptions(options, false);
  const { partSize } = opts, { routines } = opts.parallelism;
  if (partSize === "auto" || routines === "auto") {
    throw new TypeError(
      'uploadStream takes numbers for partSize and routines ("auto" needs a known size: use ' +
        "uploadFile)",
    );
  }
  assertPartSize(partSize);
  const signal = options.signal;
  const writeOptions = uploadWriteOptions(options, [key]);
  const reader = stream.getReader();
  const carry: { bytes?: Uint8Array } = {};
  const started = Date.now();
  try {
    const first = await fillPart(reader, partSize, carry);
    if (first.ended) {
      const put = await target.putObject(key, first.bytes, writeOptions.put);
      if (put.crc64 !== undefined && put.crc64 !== first.crc64) {
        await target.deleteObject(key).catch(() => {});
        throw new IntegrityError(
          `${key}: server CRC64 ${put.crc64} differs from the ${first.crc64} sent`,
        );
      }
      return uploadResult(target, key, put, first.crc64, put.crc64, {
        size: first.bytes.length,
        partSize: partSize,
        partSizeRaised: false,
        parts: 0,
        resumed: false,
        partsUploaded: 0,
        bytesSent: first.bytes.length,
        bytesResent: 0,
      });
    }

    const { uploadId, strayUploadsAborted } = await initiateUpload(
      target,
      key,
      writeOptions.initiate,
      signal,
    );
    const parts: { partNumber: number; etag: string; crc64: bigint; size: number }[] = [];
    let bytesSent = 0;
    let bytesResent = 0;
    let size = 0;
    const scheduler = new PartScheduler(signal);

    const send = async (partNumber: number, bytes: Uint8Array, crc: bigint) => {
      // The part is still in memory: one that arrives corrupted is sent again.
      const sent = await sendCheckedPart(
        target,
        key,
        uploadId,
        partNumber,
        bytes.length,
        () => Promise.resolve({ body: bytes, crc64: crc }),
        undefined,
        scheduler.signal,
        writeOptions.part,
      );
      bytesSent += sent.bytesSent;
      bytesResent += sent.bytesResent;
      parts.push({ partNumber, etag: unquote(sent.etag), crc64: crc, size: bytes.length });
      options.onProgress?.({
        bytesDone: parts.reduce((n, p) => n + p.size, 0),
        bytesTotal: Number.NaN,
        partsDone: parts.length,
        partsTotal: Number.NaN,
        bytesPerSecond: bytesSent / Math.max((Date.now() - started) / 1000, 0.001),
        resumed: false,
      });
    };

    try {
      let part = first;
      for (let partNumber = 1;; partNumber++) {
        if (partNumber > MAX_PARTS) {
          throw new RangeError(
            `the stream is longer than ${MAX_PARTS} parts of ${partSize} bytes; pass a larger partSize`,
          );
        }
        if (signal?.aborted) throw new AbortError("upload aborted", { cause: signal.reason });
        size += part.bytes.length;
        const { bytes, crc64 } = part;
        scheduler.start(() => send(partNumber, bytes, crc64));
        if (part.ended) break;
        await scheduler.roomFor(routines);
        if (scheduler.stopped) break;
        part = await fillPart(reader, partSize, carry);
        // An empty tail after a full part adds no part.
        if (part.ended && part.bytes.length === 0) break;
      }
      await scheduler.settle();
      const strays = await strayUploadsAborted;
      if (signal?.aborted) throw new AbortError("upload aborted", { cause: signal.reason });
      if (scheduler.firstError !== undefined) throw scheduler.firstError;

      parts.sort((a, b) => a.partNumber - b.partNumber);
      const expected = combinedCrc(parts);
      const completed = await target.completeMultipartUpload(
        key,
        uploadId,
        parts,
        writeOptions.complete,
      );
      const serverCrc = await checkCompletedCrc(target, key, completed.crc64, expected, signal);
      return uploadResult(target, key, completed, expected, serverCrc, {
        size,
        partSize: partSize,
        partSizeRaised: false,
        parts: parts.length,
        uploadId,
        resumed: false,
        partsUploaded: parts.length,
        bytesSent,
        bytesResent,
        ...(strays.length > 0 ? { strayUploadsAborted: strays } : {}),
      });
    } catch (err) {
      scheduler.fail(err);
      await scheduler.settle();
      await strayUploadsAborted;
      await target.abortMultipartUpload(key, uploadId).catch(() => {});
      throw err;
    } finally {
      scheduler.dispose();
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
