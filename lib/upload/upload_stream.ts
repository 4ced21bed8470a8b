/**
 * Multipart upload of a `ReadableStream` of unknown length: parts are
 * buffered one at a time per routine, so memory stays about
 * `routines × partSize`. A stream cannot be read twice, so such an upload
 * resumes only within the process (retries of a buffered part); a failed one
 * is aborted.
 *
 * @module
 */

import { Crc64, crc64Combine } from "../crc64/crc64.ts";
import { AbortError, IntegrityError } from "../errors/errors.ts";
import type { MultipartTarget } from "./multipart_target.ts";
import { assertPartSize, MAX_PARTS } from "./part_plan.ts";
import { initiateUpload } from "./_initiate_upload.ts";
import { checkCompletedCrc, unquote, uploadResult } from "./_upload_result.ts";
import {
  resolveUploadOptions,
  type UploadFileOptions,
  type UploadResult,
} from "./upload_options.ts";

/**
 * Options of {@linkcode uploadStream}: those of `uploadFile` without a checkpoint.
 *
 * @example
 * ```ts
 * import type { Bucket } from "@ossup/ossup";
 *
 * declare const bucket: Bucket;
 * const body = new Blob(["line 1\n", "line 2\n"]).stream();
 * await bucket.uploadStream("logs/today.txt", body, { partSize: 1024 * 1024, routines: 2 });
 * ```
 */
export type UploadStreamOptions = Omit<
  UploadFileOptions,
  "checkpoint" | "checkpointId" | "waitForCheckpoint" | "onFailure" | "raisePartSize"
>;

// As in uploadSource: a part whose CRC disagrees is sent again this many times.
const INTEGRITY_RETRIES = 2;

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
 * ```ts ignore
 * import { uploadStream } from "@ossup/ossup";
 *
 * const response = await fetch("https://example.com/big.tar");
 * const result = await uploadStream(bucket, "mirror/big.tar", response.body!, { partSize: 8 << 20 });
 * console.log(result.size, result.crc64);
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
  assertPartSize(opts.partSize);
  const signal = options.signal;
  const writeOptions = {
    contentType: options.contentType,
    meta: options.meta,
    headers: options.headers,
    signal,
  };
  const reader = stream.getReader();
  const carry: { bytes?: Uint8Array } = {};
  const started = Date.now();
  try {
    const first = await fillPart(reader, opts.partSize, carry);
    if (first.ended) {
      const put = await target.putObject(key, first.bytes, writeOptions);
      if (put.crc64 !== undefined && put.crc64 !== first.crc64) {
        await target.deleteObject(key).catch(() => {});
        throw new IntegrityError(
          `${key}: server CRC64 ${put.crc64} differs from the ${first.crc64} sent`,
        );
      }
      return uploadResult(target, key, put, first.crc64, put.crc64, {
        size: first.bytes.length,
        partSize: opts.partSize,
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
      writeOptions,
      signal,
    );
    const parts: { partNumber: number; etag: string; crc64: bigint; size: number }[] = [];
    let bytesSent = 0;
    let bytesResent = 0;
    let size = 0;
    const inFlight = new Set<Promise<void>>();
    let firstError: unknown;
    const internal = new AbortController();
    const onAbort = () => internal.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });

    const send = (partNumber: number, bytes: Uint8Array, crc: bigint) => {
      const task = (async () => {
        let result;
        // The part is still in memory: one that arrives corrupted is sent again.
        for (let attempt = 0;; attempt++) {
          let sends = 0;
          result = await target.uploadPart(key, uploadId, partNumber, () => {
            sends++;
            return Promise.resolve(bytes);
          }, { signal: internal.signal });
          bytesSent += bytes.length * sends;
          bytesResent += bytes.length * (sends - 1 + (attempt > 0 ? 1 : 0));
          if (result.crc64 === undefined || result.crc64 === crc) break;
          if (attempt >= INTEGRITY_RETRIES) {
            throw new IntegrityError(
              `${key}: part ${partNumber} arrived with CRC64 ${result.crc64}, but ${crc} was sent ` +
                `(${attempt + 1} attempts)`,
            );
          }
        }
        parts.push({ partNumber, etag: unquote(result.etag), crc64: crc, size: bytes.length });
        options.onProgress?.({
          bytesDone: parts.reduce((n, p) => n + p.size, 0),
          bytesTotal: Number.NaN,
          partsDone: parts.length,
          partsTotal: Number.NaN,
          bytesPerSecond: bytesSent / Math.max((Date.now() - started) / 1000, 0.001),
          resumed: false,
        });
      })().catch((err) => {
        if (firstError === undefined) firstError = err;
        internal.abort(err);
      });
      inFlight.add(task);
      task.finally(() => inFlight.delete(task));
    };

    try {
      let part = first;
      for (let partNumber = 1;; partNumber++) {
        if (partNumber > MAX_PARTS) {
          throw new RangeError(
            `the stream is longer than ${MAX_PARTS} parts of ${opts.partSize} bytes; pass a larger partSize`,
          );
        }
        if (signal?.aborted) throw new AbortError("upload aborted", { cause: signal.reason });
        size += part.bytes.length;
        send(partNumber, part.bytes, part.crc64);
        if (part.ended) break;
        while (inFlight.size >= opts.routines) await Promise.race(inFlight);
        if (firstError !== undefined) break;
        part = await fillPart(reader, opts.partSize, carry);
        // An empty tail after a full part adds no part.
        if (part.ended && part.bytes.length === 0) break;
      }
      await Promise.all(inFlight);
      if (signal?.aborted) throw new AbortError("upload aborted", { cause: signal.reason });
      if (firstError !== undefined) throw firstError;

      parts.sort((a, b) => a.partNumber - b.partNumber);
      let expected = 0n;
      for (const p of parts) expected = crc64Combine(expected, p.crc64, p.size);
      const completed = await target.completeMultipartUpload(key, uploadId, parts, { signal });
      const serverCrc = await checkCompletedCrc(target, key, completed.crc64, expected, signal);
      return uploadResult(target, key, completed, expected, serverCrc, {
        size,
        partSize: opts.partSize,
        partSizeRaised: false,
        parts: parts.length,
        uploadId,
        resumed: false,
        partsUploaded: parts.length,
        bytesSent,
        bytesResent,
        ...(strayUploadsAborted.length > 0 ? { strayUploadsAborted } : {}),
      });
    } catch (err) {
      internal.abort(err);
      await Promise.allSettled(inFlight);
      await target.abortMultipartUpload(key, uploadId).catch(() => {});
      throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
