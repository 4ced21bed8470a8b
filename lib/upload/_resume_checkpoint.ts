/**
 * What an earlier run of an upload left in its checkpoint, judged before
 * this run sends anything: parts to skip (recorded, still on the server,
 * and still what the source holds), an object that run already completed,
 * or a fresh start, with any checkpoint not used set aside out loud.
 *
 * @module
 */

import { combinedCrc } from "../crc64/part_crcs.ts";
import type {
  CheckpointHeader,
  CheckpointTarget,
  PartRecord,
} from "../checkpoint/checkpoint_journal.ts";
import type { CheckpointSession } from "../checkpoint/checkpoint_session.ts";
import type { MultipartTarget, ObjectWriteOptions } from "./multipart_target.ts";
import { type InitiateHooks, initiateUpload } from "./_initiate_upload.ts";
import type { PartPlan } from "./part_plan.ts";
import { isNoSuchUpload, setAsideCheckpoint } from "./_stale_uploads.ts";
import { completedObject, unquote } from "./_upload_result.ts";
import type { CheckpointSetAside } from "./upload_options.ts";

/** What this run does with what an earlier one left. */
export type EarlierRun =
  | {
    kind: "finished";
    uploadId: string;
    object: { etag: string; crc64: bigint; requestId?: string };
  }
  | {
    kind: "resume";
    header: CheckpointHeader;
    /** Parts to skip. */
    done: Map<number, PartRecord>;
    /** Bytes of recorded parts to send again (gone from the server, or changed in the source). */
    bytesResent: number;
  }
  | {
    kind: "fresh";
    /** When a run that died initiating wrote its intent, for the stray sweep. */
    earlierIntent?: number;
    setAside?: CheckpointSetAside;
  };

/**
 * Keeps the recorded parts whose bytes are still what the source holds (an upload's
 * `resumeCheck: "full"` reads and hashes them again); the others are sent again.
 */
export type RecheckParts = (
  parts: Map<number, PartRecord>,
) => Promise<Map<number, PartRecord>>;

/**
 * Reads the checkpoint of `session` and decides, for a transfer of `size` bytes. With
 * `recheck`, recorded parts are checked against the source first, and one that changed is
 * sent again rather than skipped.
 */
export async function reclaimEarlierRun(
  target: MultipartTarget,
  key: string,
  size: number,
  session: CheckpointSession,
  checkpointTarget: CheckpointTarget,
  plan: PartPlan,
  recheck: RecheckParts | undefined,
  signal: AbortSignal | undefined,
): Promise<EarlierRun> {
  const loaded = await session.load(checkpointTarget);
  if (loaded.kind === "none") return { kind: "fresh" };
  if (loaded.kind === "intent") {
    const h = loaded.header;
    const here = h.endpoint === target.endpointHost && h.bucket === target.name && h.key === key;
    if (here) return { kind: "fresh", earlierIntent: h.createdAt };
    return {
      kind: "fresh",
      setAside: await setAsideCheckpoint(
        target,
        session.id,
        "an unfinished start of an upload to another destination",
        h,
        signal,
      ),
    };
  }
  if (loaded.kind === "discarded") {
    return {
      kind: "fresh",
      setAside: await setAsideCheckpoint(target, session.id, loaded.reason, loaded.header, signal),
    };
  }

  const { header, parts } = loaded;
  const unchanged = recheck ? await recheck(parts) : parts;
  const confirmed = await confirmWithServer(target, key, header.uploadId, unchanged, signal);
  if (confirmed === undefined) {
    // The upload is gone: completed by a run that ended before removing its checkpoint
    // (the object is there, with the CRC64 of the parts recorded), or expired or aborted.
    const object = unchanged.size === plan.partCount
      ? await completedObject(target, key, size, combinedCrc(unchanged.values()), signal)
      : undefined;
    return object ? { kind: "finished", uploadId: header.uploadId, object } : { kind: "fresh" };
  }
  let bytesResent = 0;
  for (const [n, part] of parts) if (!confirmed.has(n)) bytesResent += part.size;
  if (loaded.needsRewrite || confirmed.size !== parts.size) {
    await session.begin(header, confirmed.values());
  } else {
    session.adopt(header);
  }
  return { kind: "resume", header, done: confirmed, bytesResent };
}

/**
 * Keeps the checkpoint's parts that the server still holds with the same
 * size and ETag; `undefined` when the upload itself is gone.
 */
async function confirmWithServer(
  target: MultipartTarget,
  key: string,
  uploadId: string,
  parts: Map<number, PartRecord>,
  signal: AbortSignal | undefined,
): Promise<Map<number, PartRecord> | undefined> {
  const onServer = new Map<number, { size: number; etag: string }>();
  try {
    for await (const part of target.listParts(key, uploadId, { signal })) {
      onServer.set(part.partNumber, { size: part.size, etag: unquote(part.etag) });
    }
  } catch (err) {
    if (isNoSuchUpload(err)) return undefined;
    throw err;
  }
  const confirmed = new Map<number, PartRecord>();
  for (const [n, part] of parts) {
    const there = onServer.get(n);
    if (there && there.size === part.size && there.etag === unquote(part.etag)) {
      confirmed.set(n, part);
    }
  }
  return confirmed;
}

/** The multipart upload a run's parts go to, and what is known to be in it. */
export interface BegunUpload {
  uploadId: string;
  /** Whether an earlier run's upload is continued. */
  resumed: boolean;
  /** Parts already in the upload (confirmed by the server); the transfer adds to it. */
  done: Map<number, PartRecord>;
  /** Recorded parts that had to be sent again (gone from the server or changed). */
  bytesResent: number;
  /** Strays of this upload found and aborted (see `InitiatedUpload`: await it after the parts). */
  strayUploadsAborted: Promise<string[]>;
  /** A checkpoint found at this run's place but not used. */
  setAside?: CheckpointSetAside;
  /** A new upload: how long InitiateMultipartUpload took (see `InitiatedUpload`). */
  exchangeMs?: number;
  /** A new upload with a checkpoint: the header its journal now has. */
  header?: CheckpointHeader;
}

/**
 * Continues the earlier run's upload (`resume`), or initiates a new one (`fresh`), journaled
 * in `session` under `header` when there is a checkpoint.
 */
export async function continueOrInitiate(
  target: MultipartTarget,
  key: string,
  earlier: Exclude<EarlierRun, { kind: "finished" }>,
  session: CheckpointSession | undefined,
  header: Omit<CheckpointHeader, "uploadId" | "createdAt">,
  writeOptions: Omit<ObjectWriteOptions, "signal">,
  signal: AbortSignal | undefined,
  hooks?: InitiateHooks,
): Promise<BegunUpload> {
  if (earlier.kind === "resume") {
    return {
      uploadId: earlier.header.uploadId,
      resumed: true,
      done: earlier.done,
      bytesResent: earlier.bytesResent,
      strayUploadsAborted: Promise.resolve([]),
    };
  }
  const journal = session && { session, header, earlierIntent: earlier.earlierIntent };
  const { uploadId, strayUploadsAborted, exchangeMs, header: begunHeader } = await initiateUpload(
    target,
    key,
    writeOptions,
    signal,
    journal,
    hooks,
  );
  return {
    uploadId,
    resumed: false,
    done: new Map(),
    bytesResent: 0,
    strayUploadsAborted,
    exchangeMs,
    ...(begunHeader ? { header: begunHeader } : {}),
    ...(earlier.setAside ? { setAside: earlier.setAside } : {}),
  };
}
