/**
 * How an upload ends the same way for a source and a stream: the ETag in the
 * form results keep, the check of the completed object's CRC64 against the
 * bytes read, and the {@linkcode UploadResult} that reports it.
 *
 * @module
 */

import { IntegrityError, OssError } from "../errors/errors.ts";
import type { MultipartTarget } from "./multipart_target.ts";
import type { UploadResult } from "./upload_options.ts";

/** An ETag as OSS sends it (quoted, any case) in the form results and checkpoints keep. */
export function unquote(etag: string): string {
  return etag.replace(/^"|"$/g, "").toUpperCase();
}

/** What a result says besides the object's name, ETag, CRC64 and request ID. */
export type UploadCounts = Omit<
  UploadResult,
  "bucket" | "key" | "etag" | "crc64" | "crc64Verified" | "verified" | "requestId"
>;

/**
 * The result of an upload whose last answer (PutObject or
 * CompleteMultipartUpload) was `answer`.
 *
 * @param crc64 The CRC64 of the bytes read.
 * @param serverCrc The CRC64 the server told, already checked; `undefined` when it never said.
 * @param sampled True when parts from an earlier run were trusted without being read again.
 */
export function uploadResult(
  target: MultipartTarget,
  key: string,
  answer: { etag: string; requestId?: string; versionId?: string; callbackResult?: string },
  crc64: bigint,
  serverCrc: bigint | undefined,
  counts: UploadCounts,
  sampled = false,
): UploadResult {
  return {
    bucket: target.name,
    key,
    etag: unquote(answer.etag),
    crc64,
    crc64Verified: serverCrc !== undefined,
    verified: serverCrc === undefined ? "none" : sampled ? "sampled" : "full",
    ...counts,
    requestId: answer.requestId,
    ...(answer.versionId !== undefined ? { versionId: answer.versionId } : {}),
    ...(answer.callbackResult !== undefined ? { callbackResult: answer.callbackResult } : {}),
  };
}

/**
 * Checks a completed multipart object's CRC64 (asking HEAD when Complete's
 * answer did not tell it) against the `expected` CRC64 of the bytes read.
 * A known-wrong object is deleted, so it does not stay under the user's key;
 * then `onMismatch` runs and `IntegrityError` is thrown.
 *
 * @returns The server's CRC64, or `undefined` when it never tells it.
 */
export async function checkCompletedCrc(
  target: MultipartTarget,
  key: string,
  completedCrc: bigint | undefined,
  expected: bigint,
  signal: AbortSignal | undefined,
  onMismatch?: () => Promise<void>,
): Promise<bigint | undefined> {
  const serverCrc = completedCrc ?? (await target.headObject(key, { signal })).crc64;
  if (serverCrc !== undefined && serverCrc !== expected) {
    await target.deleteObject(key).catch(() => {});
    await onMismatch?.();
    throw new IntegrityError(
      `${key}: the completed object's CRC64 ${serverCrc} differs from the ${expected} of the bytes read; ` +
        `the object was deleted`,
    );
  }
  return serverCrc;
}

/**
 * The object at `key` if it has the size and CRC64 of the parts this upload
 * sent (so a Complete of this upload made it); `undefined` otherwise, also
 * when the server does not tell the object's CRC64.
 */
export async function completedObject(
  target: MultipartTarget,
  key: string,
  size: number,
  crc: bigint,
  signal: AbortSignal | undefined,
): Promise<{ etag: string; crc64: bigint; requestId?: string } | undefined> {
  let head;
  try {
    head = await target.headObject(key, { signal });
  } catch (err) {
    if (err instanceof OssError && err.status === 404) return undefined;
    throw err;
  }
  if (head.crc64 !== crc || (head.size !== undefined && head.size !== size)) return undefined;
  return { etag: unquote(head.etag ?? ""), crc64: crc, requestId: head.requestId };
}
