/**
 * Starting a multipart upload without leaving one behind unrecorded: the
 * journal first gets an intent (a header with no upload ID), then
 * InitiateMultipartUpload runs, then the header names the upload, then
 * strays (uploads a lost answer or a killed run left) are looked for and
 * aborted while the parts go, once the parts that are ready have been handed
 * to the transport: the look costs a round trip (ListMultipartUploads) that
 * the parts need not wait for, since a stray is never this upload.
 *
 * @module
 */

import type { CheckpointHeader } from "../checkpoint/checkpoint_journal.ts";
import type { CheckpointSession } from "../checkpoint/checkpoint_session.ts";
import type { MultipartTarget, ObjectWriteOptions } from "./multipart_target.ts";
import { abortStrayUploads } from "./_stale_uploads.ts";
import { coldExchangeMs } from "./parallelism.ts";

/** Where the upload being initiated is journaled. */
export interface InitiateJournal {
  /** The locked checkpoint. */
  session: CheckpointSession;
  /** Its header, less what initiating gives. */
  header: Omit<CheckpointHeader, "uploadId" | "createdAt">;
  /** When an earlier run that died initiating wrote its intent (local time), if one did. */
  earlierIntent?: number;
}

/** A multipart upload just initiated. */
export interface InitiatedUpload {
  /** Its upload ID. */
  uploadId: string;
  /** The header the journal now has, with a journal. */
  header?: CheckpointHeader;
  /**
   * Strays of this upload found and aborted, running alongside the parts: the engine awaits
   * it once its parts are done, before it completes or gives up (it never rejects).
   */
  strayUploadsAborted: Promise<string[]>;
  /**
   * Milliseconds InitiateMultipartUpload took as a cold exchange ({@linkcode coldExchangeMs}):
   * the transfer's first exchange with the server, which tells `routines: "auto"` how far away
   * it is.
   */
  exchangeMs: number;
}

/** What a transfer does around its InitiateMultipartUpload. */
export interface InitiateHooks {
  /** When the transfer began opening its connections ahead (`performance.now()`), if it did. */
  connectionsOpenedAt?: number;
  /** Called once the request is made (its intent journaled): work to do while it is away. */
  meanwhile?: () => void;
}

/** Initiates the upload of `key`, journaled in `journal` when given. */
export async function initiateUpload(
  target: MultipartTarget,
  key: string,
  writeOptions: Omit<ObjectWriteOptions, "signal">,
  signal: AbortSignal | undefined,
  journal?: InitiateJournal,
  hooks: InitiateHooks = {},
): Promise<InitiatedUpload> {
  const since = Date.now();
  if (journal) await journal.session.begin({ ...journal.header, uploadId: "", createdAt: since });
  const asked = performance.now();
  const initiating = target.initiateMultipartUpload(key, { ...writeOptions, signal });
  hooks.meanwhile?.();
  const { uploadId } = await initiating;
  const exchangeMs = coldExchangeMs(asked, performance.now(), hooks.connectionsOpenedAt);
  const answeredAt = Date.now();
  let header: CheckpointHeader | undefined;
  if (journal) {
    header = { ...journal.header, uploadId, createdAt: since };
    await journal.session.begin(header);
  }
  // After the parts that are ready to go: a timer's task runs once the promise chains that
  // take them to the transport have run, so the listing's signing and its connection (2–4 ms
  // of a cold process here) do not delay the first part, nor take a connection opened for one.
  // Only the caller's abort makes it throw, and the engine then fails with that abort anyway.
  const strayUploadsAborted = nextTask().then(() =>
    abortStrayUploads(target, key, {
      uploadId,
      since: Math.min(since, journal?.earlierIntent ?? since),
      answeredAt,
    }, signal)
  ).catch(() => []);
  return { uploadId, header, strayUploadsAborted, exchangeMs };
}

/** Resolves in a task of its own, after the microtasks queued before it. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
