/**
 * Resuming without a checkpoint (`resume: "server"`): the key's unfinished multipart uploads
 * are listed, and one is adopted only when the server proves every part it holds is the
 * local file's part at that number: the size this upload plans there, and the CRC-64
 * ListParts reports (`HashCrc64ecma`) equal to the local bytes'. Nothing is adopted on a
 * guess: an upload with a part of another size, number or CRC-64, or without a reported
 * CRC-64, is left alone and reported.
 *
 * @module
 */

import type { PartRecord } from "../checkpoint/checkpoint_journal.ts";
import type { FileSource } from "../source/file_source.ts";
import type { MultipartTarget } from "./multipart_target.ts";
import { partAt, type PartPlan } from "./part_plan.ts";
import { hashRange, partBufferSize } from "./_read_part.ts";
import { unquote } from "./_upload_result.ts";

/** What looking on the server found. */
export interface ServerUploads {
  /** The upload adopted, with its parts (all proven), if one qualified. */
  adopted?: { uploadId: string; done: Map<number, PartRecord> };
  /** Uploads of the key not adopted, and why. */
  notAdopted: { uploadId: string; reason: string }[];
}

/** A listed part, as the judge needs it. */
interface ListedPart {
  partNumber: number;
  size: number;
  etag: string;
  crc64?: bigint;
}

/**
 * Finds the upload of `key` to adopt. Best effort as to listing: a target without
 * `listMultipartUploads` finds nothing.
 */
export async function findServerUpload(
  target: MultipartTarget,
  key: string,
  source: FileSource,
  plan: PartPlan,
  signal: AbortSignal | undefined,
): Promise<ServerUploads> {
  const notAdopted: ServerUploads["notAdopted"] = [];
  if (!target.listMultipartUploads) return { notAdopted };
  const ids: string[] = [];
  for await (const u of target.listMultipartUploads({ prefix: key, signal })) {
    if (u.key === key) ids.push(u.uploadId);
  }
  const localCrcs = new Map<number, bigint>();
  const scratch = new Uint8Array(partBufferSize(source, plan.partSize));
  const localCrc = async (n: number): Promise<bigint> => {
    let crc = localCrcs.get(n);
    if (crc === undefined) {
      const { offset, size } = partAt(source.size, plan.partSize, n);
      crc = await hashRange(source, offset, size, signal, scratch);
      localCrcs.set(n, crc);
    }
    return crc;
  };
  let best: { uploadId: string; done: Map<number, PartRecord>; bytes: number } | undefined;
  for (const uploadId of ids) {
    const parts: ListedPart[] = [];
    for await (const p of target.listParts(key, uploadId, { signal })) parts.push(p);
    const reason = misfit(parts, source.size, plan);
    if (reason !== undefined) {
      notAdopted.push({ uploadId, reason });
      continue;
    }
    const done = new Map<number, PartRecord>();
    let bytes = 0;
    let differs: number | undefined;
    for (const p of parts) {
      if (p.crc64 !== await localCrc(p.partNumber)) {
        differs = p.partNumber;
        break;
      }
      done.set(p.partNumber, {
        partNumber: p.partNumber,
        size: p.size,
        etag: unquote(p.etag),
        crc64: p.crc64,
      });
      bytes += p.size;
    }
    if (differs !== undefined) {
      notAdopted.push({
        uploadId,
        reason: `part ${differs} holds other bytes than the file's (CRC64 differs)`,
      });
    } else if (best === undefined || bytes > best.bytes) {
      if (best) notAdopted.push({ uploadId: best.uploadId, reason: "another holds more bytes" });
      best = { uploadId, done, bytes };
    } else {
      notAdopted.push({ uploadId, reason: "another holds more bytes" });
    }
  }
  return best ? { adopted: { uploadId: best.uploadId, done: best.done }, notAdopted } : {
    notAdopted,
  };
}

/** Why `parts` cannot be this upload's parts without reading them; `undefined` if they may. */
function misfit(parts: ListedPart[], size: number, plan: PartPlan): string | undefined {
  if (parts.length === 0) return "it holds no part";
  for (const p of parts) {
    if (!Number.isSafeInteger(p.partNumber) || p.partNumber < 1 || p.partNumber > plan.partCount) {
      return `part ${p.partNumber} is outside this upload's ${plan.partCount} parts`;
    }
    const planned = partAt(size, plan.partSize, p.partNumber).size;
    if (p.size !== planned) {
      return `part ${p.partNumber} has ${p.size} bytes where this upload plans ${planned}`;
    }
    if (p.crc64 === undefined) return "the server gives no CRC64 of its parts";
  }
  return undefined;
}
