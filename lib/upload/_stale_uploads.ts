/**
 * Multipart uploads that are no longer this upload's own, so that none is
 * left on the server unmentioned: the upload of a checkpoint set aside, and
 * strays: uploads initiated for this upload whose ID never reached its
 * journal (an InitiateMultipartUpload whose answer was lost and that was
 * retried, or a run killed between Initiate and writing the upload ID).
 *
 * @module
 */

import { OssError } from "../errors/errors.ts";
import type { CheckpointSession } from "../checkpoint/checkpoint_session.ts";
import type { CheckpointHeader } from "../checkpoint/checkpoint_journal.ts";
import type { MultipartTarget } from "./multipart_target.ts";
import type { CheckpointSetAside } from "./upload_options.ts";

/** True for OSS's answer about an upload that no longer exists. */
export function isNoSuchUpload(err: unknown): boolean {
  return err instanceof OssError && err.code === "NoSuchUpload";
}

/**
 * Sets aside the checkpoint `checkpoint` that this upload will not use, for
 * `reason`: aborts the multipart upload its header names when this client
 * reaches it (same endpoint and bucket), and says what became of it.
 *
 * @param header The checkpoint's header, if it could be read.
 */
export async function setAsideCheckpoint(
  target: MultipartTarget,
  checkpoint: string,
  reason: string,
  header: CheckpointHeader | undefined,
  signal: AbortSignal | undefined,
): Promise<CheckpointSetAside> {
  if (header === undefined || header.uploadId === "") {
    return { checkpoint, reason, upload: "unknown" };
  }
  const known = {
    checkpoint,
    reason,
    destination: { endpoint: header.endpoint, bucket: header.bucket, key: header.key },
    uploadId: header.uploadId,
  };
  if (header.endpoint !== target.endpointHost || header.bucket !== target.name) {
    return { ...known, upload: "left" };
  }
  try {
    await target.abortMultipartUpload(header.key, header.uploadId, { signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    if (!isNoSuchUpload(err)) return { ...known, upload: "left" };
  }
  return { ...known, upload: "aborted" };
}

/**
 * What a transfer does with its multipart upload on a fatal error: with `abort`, aborts it
 * and removes the checkpoint (nothing is left behind); otherwise leaves both for a later
 * resume. Contract: always throws `err`.
 */
export async function giveUpUpload(
  target: MultipartTarget,
  key: string,
  uploadId: string,
  session: CheckpointSession | undefined,
  abort: boolean,
  err: unknown,
): Promise<never> {
  if (abort) {
    await target.abortMultipartUpload(key, uploadId).catch(() => {});
    await session?.remove();
  }
  throw err;
}

// Server times may be whole seconds; the clock offset below is measured to within a round trip.
const CLOCK_SLACK_MS = 1000;

/** The upload this run initiated, and when (by the local clock). */
export interface InitiatedAt {
  /** Its upload ID. */
  uploadId: string;
  /** Local time before the first InitiateMultipartUpload of this upload (or of a run that died). */
  since: number;
  /** Local time its InitiateMultipartUpload answered. */
  answeredAt: number;
}

/**
 * Aborts the uploads of `key` that are strays of `ours`: initiated by the
 * server between `ours.since` and our own upload, and holding no part.
 * The window is placed on the server's clock through our own upload's
 * `Initiated` time, so the two clocks need not agree. Best effort: without
 * `listMultipartUploads`, or without permission to list, nothing is aborted.
 *
 * @returns The upload IDs aborted.
 */
export async function abortStrayUploads(
  target: MultipartTarget,
  key: string,
  ours: InitiatedAt,
  signal: AbortSignal | undefined,
): Promise<string[]> {
  if (!target.listMultipartUploads) return [];
  const aborted: string[] = [];
  try {
    const uploads = [];
    for await (const u of target.listMultipartUploads({ prefix: key, signal })) {
      if (u.key === key) uploads.push(u);
    }
    const mine = uploads.find((u) => u.uploadId === ours.uploadId);
    if (mine === undefined) return aborted;
    const until = mine.initiated.getTime();
    // Server minus local, at most the true offset: the window only grows earlier.
    const from = ours.since + (until - ours.answeredAt) - CLOCK_SLACK_MS;
    for (const u of uploads) {
      const at = u.initiated.getTime();
      if (u.uploadId === ours.uploadId || at < from || at > until) continue;
      if (await hasParts(target, key, u.uploadId, signal)) continue;
      await target.abortMultipartUpload(key, u.uploadId, { signal });
      aborted.push(u.uploadId);
    }
  } catch (err) {
    if (signal?.aborted) throw err;
  }
  return aborted;
}

async function hasParts(
  target: MultipartTarget,
  key: string,
  uploadId: string,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  for await (const _ of target.listParts(key, uploadId, { signal })) return true;
  return false;
}
