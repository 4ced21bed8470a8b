/**
 * OSS's rules and record-keeping that both storage backends share:
 * argument checks, part selection at CompleteMultipartUpload, the digest of
 * an assembled object, the records of new objects, parts and uploads, and
 * defensive copies of stored records.
 *
 * @module
 */

import { crc64Combine } from "../crc64/crc64.ts";
import type { BodyDigest } from "./_storage_body.ts";
import {
  checkKey,
  compareUtf8,
  multipartEtag,
  newUploadId,
  normalizeEtag,
  nowToSecond,
} from "./_storage_names.ts";
import {
  type BodyInput,
  type MultipartUploadInfo,
  type ObjectHeaders,
  type ObjectMeta,
  type PartMeta,
  StorageError,
} from "./storage.ts";

/** Runs `fn` and turns a synchronous throw into a rejection. */
export function run<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * Runs the checks that come before a body is read; when one fails, the body
 * is cancelled too, so the client is not left sending into nothing.
 */
export function checkBeforeBody(body: BodyInput, check: () => void): void {
  try {
    check();
  } catch (err) {
    body.stream.cancel(err).catch(() => {});
    throw err;
  }
}

/** The `NoSuchUpload` error. */
export function noSuchUpload(): StorageError {
  return new StorageError(
    "NoSuchUpload",
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
  );
}

/** Throws `InvalidArgument` unless `n` is an integer part number in 1..10000. */
export function checkPartNumber(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 10000) {
    throw new StorageError(
      "InvalidArgument",
      "Part number must be an integer between 1 and 10000.",
    );
  }
}

/** Throws `InvalidRange` unless `range` lies within an object of `size` bytes. */
export function checkRange(range: { start: number; end: number } | undefined, size: number): void {
  if (
    range &&
    !(Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end) &&
      range.start >= 0 && range.start <= range.end && range.end < size)
  ) {
    throw new StorageError("InvalidRange", "The requested range is not satisfiable.");
  }
}

/**
 * The stored parts a CompleteMultipartUpload names, in order: `InvalidPartOrder` unless
 * the numbers ascend strictly, `InvalidPart` for a part that is missing or has another
 * ETag. Parts not named are left out.
 */
export function choosePartsFor<P>(
  stored: Map<number, P>,
  wanted: { partNumber: number; etag: string }[],
  metaOf: (part: P) => PartMeta,
): P[] {
  if (wanted.length === 0) {
    throw new StorageError(
      "MalformedXML",
      "The XML you provided was not well-formed or did not validate against our published schema.",
    );
  }
  const chosen: P[] = [];
  let previous = 0;
  for (const { partNumber, etag } of wanted) {
    if (partNumber <= previous) {
      throw new StorageError(
        "InvalidPartOrder",
        "The list of parts was not in ascending order. Parts list must be specified in order by part number.",
      );
    }
    previous = partNumber;
    const part = stored.get(partNumber);
    if (!part || metaOf(part).etag !== normalizeEtag(etag)) {
      throw new StorageError(
        "InvalidPart",
        "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.",
      );
    }
    chosen.push(part);
  }
  return chosen;
}

/** Size, multipart ETag and combined CRC64 of an object assembled from `parts`. */
export function assembledDigest(
  parts: PartMeta[],
): { size: number; etag: string; crc64: bigint } {
  let size = 0;
  let crc = 0n;
  for (const p of parts) {
    crc = crc64Combine(crc, p.crc64, p.size);
    size += p.size;
  }
  return { size, etag: multipartEtag(parts.map((p) => p.etag)), crc64: crc };
}

/** The metadata of a new object `key` with `headers` and the digest of its bytes, modified now. */
export function newObjectMeta(
  key: string,
  headers: ObjectHeaders,
  digest: { size: number; etag: string; crc64: bigint },
  objectType: ObjectMeta["objectType"],
): ObjectMeta {
  return {
    ...copyHeaders(headers),
    key,
    size: digest.size,
    etag: digest.etag,
    crc64: digest.crc64,
    lastModified: nowToSecond(),
    objectType,
  };
}

/** OSS's limit on an appendable object's size: 5 GB. */
export const MAX_APPENDABLE_SIZE = 5 * 1024 ** 3;

/** The `PositionNotEqualToLength` error. */
export function positionNotEqualToLength(): StorageError {
  return new StorageError(
    "PositionNotEqualToLength",
    "Position is not equal to file length.",
  );
}

/**
 * Checks an append at `position` against the object there now (`undefined`: none):
 * `ObjectNotAppendable` for a Normal or Multipart object, `PositionNotEqualToLength` unless
 * `position` is its length (0 with no object).
 */
export function checkAppend(existing: ObjectMeta | undefined, position: number): void {
  if (existing !== undefined && existing.objectType !== "Appendable") {
    throw new StorageError(
      "ObjectNotAppendable",
      "The object is not appendable.",
    );
  }
  if (position !== (existing?.size ?? 0)) throw positionNotEqualToLength();
}

/**
 * The stored object an append at `position` to `key` builds on (`undefined`: none), found by
 * `find` and checked with {@linkcode checkAppend} before the body is read (cancelled if not).
 */
export function appendBase<O extends { meta: ObjectMeta }>(
  body: BodyInput,
  key: string,
  position: number,
  find: () => O | undefined,
): O | undefined {
  let base: O | undefined;
  checkBeforeBody(body, () => {
    checkKey(key);
    base = find();
    checkAppend(base?.meta, position);
  });
  return base;
}

/**
 * The metadata of `existing` (or a new appendable object `key` with `headers`) after `added`
 * was appended: size and CRC64 chained, modified now. `EntityTooLarge` past `maxSize`.
 */
export function appendedObjectMeta(
  existing: ObjectMeta | undefined,
  key: string,
  headers: ObjectHeaders,
  added: BodyDigest,
  maxSize = MAX_APPENDABLE_SIZE,
): ObjectMeta {
  const size = (existing?.size ?? 0) + added.size;
  if (size > maxSize) {
    throw new StorageError(
      "EntityTooLarge",
      `An appendable object may hold at most ${maxSize} bytes; this append would make it ${size}.`,
    );
  }
  const crc64 = crc64Combine(existing?.crc64 ?? 0n, added.crc64, added.size);
  // Not an MD5 (OSS's appendable ETags are not either): it changes with every append.
  const etag = (crc64.toString(16).padStart(16, "0") + size.toString(16).padStart(12, "0"))
    .toUpperCase();
  return newObjectMeta(key, existing ?? headers, { size, etag, crc64 }, "Appendable");
}

/**
 * The metadata of a copy of `from` under `key`: with `headers` (REPLACE), those headers
 * alone describe the copy, none of the source's is kept.
 */
export function copiedObjectMeta(
  from: ObjectMeta,
  key: string,
  headers?: ObjectHeaders,
): ObjectMeta {
  const { size, etag, crc64, objectType } = from;
  return {
    ...copyHeaders(headers ?? from),
    size,
    etag,
    crc64,
    objectType,
    key,
    lastModified: nowToSecond(),
  };
}

/** The metadata of part `partNumber` with the digest of its bytes, modified now. */
export function newPartMeta(partNumber: number, digest: BodyDigest): PartMeta {
  return { partNumber, ...digest, lastModified: nowToSecond() };
}

/** A new multipart upload of `key`, initiated now, with the headers the object will get. */
export function newUploadInfo(
  bucket: string,
  key: string,
  headers: ObjectHeaders,
): MultipartUploadInfo {
  return {
    uploadId: newUploadId(),
    bucket,
    key,
    initiated: new Date(),
    headers: copyHeaders(headers),
  };
}

/** Uploads sorted by key (UTF-8 order) then initiation time. */
export function sortUploads(uploads: MultipartUploadInfo[]): MultipartUploadInfo[] {
  return uploads.sort((a, b) =>
    compareUtf8(a.key, b.key) || a.initiated.getTime() - b.initiated.getTime() ||
    (a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0)
  );
}

/** A deep copy of headers, so callers cannot mutate what is stored. */
export function copyHeaders(h: ObjectHeaders): ObjectHeaders {
  const out: ObjectHeaders = {
    contentType: h.contentType,
    userMeta: { ...h.userMeta },
    acl: h.acl,
    storageClass: h.storageClass,
  };
  if (h.cacheControl !== undefined) out.cacheControl = h.cacheControl;
  if (h.contentDisposition !== undefined) out.contentDisposition = h.contentDisposition;
  if (h.contentEncoding !== undefined) out.contentEncoding = h.contentEncoding;
  if (h.contentLanguage !== undefined) out.contentLanguage = h.contentLanguage;
  if (h.expires !== undefined) out.expires = h.expires;
  if (h.tagging !== undefined) out.tagging = h.tagging;
  if (h.serverSideEncryption !== undefined) out.serverSideEncryption = h.serverSideEncryption;
  if (h.serverSideEncryptionKeyId !== undefined) {
    out.serverSideEncryptionKeyId = h.serverSideEncryptionKeyId;
  }
  return out;
}

/** A deep copy of object metadata. */
export function copyMeta(m: ObjectMeta): ObjectMeta {
  return {
    ...copyHeaders(m),
    key: m.key,
    size: m.size,
    etag: m.etag,
    crc64: m.crc64,
    lastModified: new Date(m.lastModified),
    objectType: m.objectType,
  };
}

/** A deep copy of upload info. */
export function copyUpload(u: MultipartUploadInfo): MultipartUploadInfo {
  return { ...u, initiated: new Date(u.initiated), headers: copyHeaders(u.headers) };
}
