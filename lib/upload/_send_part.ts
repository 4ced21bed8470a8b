/**
 * UploadPart with the part's CRC-64 checked against the server's: a part that arrives
 * corrupted is read and sent again, a few times, before the upload fails.
 *
 * @module
 */

import { IntegrityError } from "../errors/errors.ts";
import type { MultipartTarget, PartCallOptions } from "./multipart_target.ts";

// Corruption in transit is rare and should not end an upload: this many more tries.
const INTEGRITY_RETRIES = 2;

/** One read of a part: its bytes and their CRC-64. */
export interface PartRead {
  /** The body to send. */
  body: Uint8Array | Blob;
  /** CRC-64 of those bytes. */
  crc64: bigint;
}

/** A part sent and confirmed, with what sending it cost. */
export interface SentPart {
  /** ETag as the server gave it. */
  etag: string;
  /** CRC-64 of the bytes the server confirmed. */
  crc64: bigint;
  /** Bytes put on the wire, every attempt counted. */
  bytesSent: number;
  /** Of those, bytes sent again (request retries and CRC mismatches). */
  bytesResent: number;
}

/**
 * Sends part `partNumber` of `uploadId`, reading it with `read` for each attempt (the first
 * read may already be done: `first`).
 *
 * Contract: resolves only with a part whose CRC-64 the server confirmed (or did not report);
 * throws {@linkcode IntegrityError} after {@linkcode INTEGRITY_RETRIES} more mismatches, and
 * whatever `uploadPart` or `read` throws.
 *
 * @param target The bucket.
 * @param key The object key.
 * @param uploadId The upload.
 * @param partNumber The part.
 * @param size The part's size in bytes.
 * @param read Reads the part (again).
 * @param first The part read already, if it was.
 * @param signal Stops the request.
 * @param partOptions What each UploadPart carries of the object's settings (traffic limit…).
 * @returns The confirmed part.
 */
export async function sendCheckedPart(
  target: MultipartTarget,
  key: string,
  uploadId: string,
  partNumber: number,
  size: number,
  read: () => Promise<PartRead>,
  first: PartRead | undefined,
  signal: AbortSignal,
  partOptions: PartCallOptions = {},
): Promise<SentPart> {
  let bytesSent = 0;
  let bytesResent = 0;
  let part = first;
  for (let attempt = 0;; attempt++) {
    part ??= await read();
    let localCrc = part.crc64;
    let sends = 0;
    const result = await target.uploadPart(key, uploadId, partNumber, async () => {
      // A retried request reads its part again.
      if (sends++ > 0) {
        part = await read();
        localCrc = part.crc64;
        bytesResent += size;
      }
      return part!.body;
    }, { ...partOptions, signal });
    bytesSent += size * sends;
    if (result.crc64 === undefined || result.crc64 === localCrc) {
      return { etag: result.etag, crc64: localCrc, bytesSent, bytesResent };
    }
    if (attempt >= INTEGRITY_RETRIES) {
      throw new IntegrityError(
        `${key}: part ${partNumber} arrived with CRC64 ${result.crc64}, but ${localCrc} was sent ` +
          `(${attempt + 1} attempts)`,
      );
    }
    bytesResent += size;
    part = undefined;
  }
}
