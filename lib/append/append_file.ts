/**
 * `bucket.appendFile(key, file, options)`: makes an appendable object hold a file by
 * appending what it lacks. The object's current length (`x-oss-next-append-position`)
 * says where to go on, but only after its CRC-64 proves it holds the file's first bytes:
 * an object with other bytes is never continued. Each append's CRC-64 chain is checked,
 * and at the end the object's CRC-64 is the file's.
 *
 * @module
 */

import type { AppendObjectOptions, AppendObjectResult } from "../client/bucket_append.ts";
import type { OssPlatform } from "../client/platform.ts";
import type { ObjectMetadata } from "../client/results.ts";
import { Crc64 } from "../crc64/crc64.ts";
import {
  AbortError,
  AppendConflictError,
  IntegrityError,
  OssError,
  SourceChangedError,
} from "../errors/errors.ts";
import type { FileSource } from "../source/file_source.ts";
import { readPart } from "../upload/_read_part.ts";
import { openUploadInput, type UploadFileInput } from "../upload/upload_file.ts";

/**
 * Default bytes per AppendObject request of `appendFile`: 8 MiB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_APPEND_SIZE } from "@ossup/ossup";
 *
 * assert.equal(DEFAULT_APPEND_SIZE, 8 * 1024 * 1024);
 * ```
 */
export const DEFAULT_APPEND_SIZE = 8 * 1024 * 1024;

// After this many PositionNotEqualToLength in one call, another writer is at work: stop.
const MAX_POSITION_RECHECKS = 3;

/**
 * What `appendFile` needs of a bucket: AppendObject and HeadObject. `Bucket` is one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AppendTarget, OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * const target: AppendTarget = bucket; // a Bucket is one
 * await target.appendObject("a.log", new TextEncoder().encode("x"), { position: 0 });
 * assert.equal((await target.headObject("a.log")).size, 1);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface AppendTarget {
  /** AppendObject. */
  appendObject(
    key: string,
    body: Uint8Array,
    options: AppendObjectOptions,
  ): Promise<AppendObjectResult>;
  /** HeadObject. */
  headObject(key: string, options?: { signal?: AbortSignal }): Promise<ObjectMetadata>;
}

/**
 * Progress of `appendFile`, after the object's state is known and after each append.
 *
 * @example
 * ```ts
 * import type { AppendProgress } from "@ossup/ossup";
 * import assert from "node:assert/strict";
 *
 * const percent = (p: AppendProgress) => Math.round((100 * p.bytesDone) / p.bytesTotal);
 * assert.equal(percent({ bytesDone: 1, bytesTotal: 4 }), 25);
 * ```
 */
export interface AppendProgress {
  /** Bytes of the file the object holds. */
  bytesDone: number;
  /** The file's size. */
  bytesTotal: number;
}

/**
 * Options of {@linkcode Bucket.appendFile}. The content headers (`contentType`, `meta`,
 * `acl`, `storageClass`, `headers`) apply when the object is created (OSS ignores them on
 * later appends).
 *
 * @example
 * ```ts
 * import type { AppendFileOptions } from "@ossup/ossup";
 * import assert from "node:assert/strict";
 *
 * const options: AppendFileOptions = { appendSize: 1024 * 1024, contentType: "text/plain" };
 * assert.equal(options.appendSize, 1048576);
 * ```
 */
export interface AppendFileOptions extends Omit<AppendObjectOptions, "position" | "crc64"> {
  /** Bytes per AppendObject request (and the memory it holds). Default 8 MiB. */
  appendSize?: number;
  /** Called after the object's state is read and after each append. */
  onProgress?: (progress: AppendProgress) => void;
}

/**
 * What {@linkcode Bucket.appendFile} returns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { type AppendFileResult, OssClient } from "@ossup/ossup";
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
 * await writeFile(join(dir, "app.log"), "started\n");
 * const r: AppendFileResult = await bucket.appendFile("logs/app.log", join(dir, "app.log"));
 * assert.equal(r.size, r.continuedFrom + r.bytesSent);
 * assert.equal(r.size, 8);
 *
 * await rm(dir, { recursive: true });
 * await server.close();
 * await storage.close();
 * ```
 */
export interface AppendFileResult {
  /** Object key. */
  key: string;
  /** The object's length now: the file's size. */
  size: number;
  /** CRC-64 of the object, equal to the file's. */
  crc64: bigint;
  /** Whether the server reported the object's CRC-64 and it equals the file's. */
  crc64Verified: boolean;
  /** ETag of the object now. */
  etag: string;
  /** Length the object had when this call found it (0 when it created the object). */
  continuedFrom: number;
  /** File bytes appended by this call. */
  bytesSent: number;
  /** AppendObject requests that landed. */
  appends: number;
}

/** The object's state as far as appending goes: its length and the CRC-64 of those bytes. */
interface ObjectEnd {
  length: number;
  crc64: bigint;
  etag: string;
  exists: boolean;
  /** Whether `crc64` is the server's (else it is the file's, the server having given none). */
  reported: boolean;
}

/** Reads the object's length and CRC-64; a missing object is empty. */
async function objectEnd(
  target: AppendTarget,
  key: string,
  signal: AbortSignal | undefined,
): Promise<ObjectEnd> {
  let head: ObjectMetadata;
  try {
    head = await target.headObject(key, { signal });
  } catch (err) {
    if (err instanceof OssError && err.code === "NoSuchKey") {
      return { length: 0, crc64: 0n, etag: "", exists: false, reported: true };
    }
    throw err;
  }
  if (head.objectType !== undefined && head.objectType !== "Appendable") {
    throw new AppendConflictError(
      `${key} is a ${head.objectType} object, and only Appendable objects take appends; ` +
        "delete it or append to another key",
    );
  }
  const next = Number(head.headers.get("x-oss-next-append-position") ?? head.size);
  if (!Number.isSafeInteger(next) || head.crc64 === undefined) {
    throw new AppendConflictError(
      `${key}: the server did not give its length and CRC64, so its bytes cannot be ` +
        "checked against the file; nothing was appended",
    );
  }
  return { length: next, crc64: head.crc64, etag: head.etag, exists: true, reported: true };
}

/**
 * Reads `source` from `from` to `to`, extending `crc` (the CRC-64 of its first `from` bytes),
 * through `scratch`.
 */
async function extendCrc(
  source: FileSource,
  crc: Crc64,
  from: number,
  to: number,
  scratch: Uint8Array,
  signal: AbortSignal | undefined,
): Promise<void> {
  for (let at = from; at < to;) {
    const n = Math.min(scratch.length, to - at);
    crc.update((await readPart(source, at, n, signal, scratch)).bytes);
    at += n;
  }
}

/** The file's prefix of the object's length: the file's CRC-64 up to there must be the object's. */
async function checkOurs(
  key: string,
  source: FileSource,
  end: ObjectEnd,
  prefix: { crc: Crc64; length: number },
  scratch: Uint8Array,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (end.length > source.size) {
    throw new AppendConflictError(
      `${key} holds ${end.length} bytes but ${source.name} only ${source.size}: it is not ` +
        "a part of this file; nothing was appended",
    );
  }
  if (end.length < prefix.length) {
    throw new AppendConflictError(
      `${key} shrank to ${end.length} bytes while ${prefix.length} were appended: it was ` +
        "replaced by another writer; nothing more was appended",
    );
  }
  await extendCrc(source, prefix.crc, prefix.length, end.length, scratch, signal);
  prefix.length = end.length;
  if (prefix.crc.digest() !== end.crc64) {
    throw new AppendConflictError(
      `${key} holds ${end.length} bytes that are not the first ${end.length} bytes of ` +
        `${source.name} (CRC64 ${end.crc64}, the file's ${prefix.crc.digest()}); nothing was appended`,
    );
  }
}

/**
 * Appends to `key` what it lacks of `file`. See {@linkcode Bucket.appendFile}.
 *
 * @param target The bucket.
 * @param platform The runtime pieces the entry point injected (to open a path).
 * @param key The object key.
 * @param file A path, a `Blob`/`File`, or a `FileSource`.
 * @param options Append size, progress, signal, content headers.
 * @returns The object's length and CRC-64, and what this call appended.
 */
export async function appendFile(
  target: AppendTarget,
  platform: OssPlatform,
  key: string,
  file: UploadFileInput,
  options: AppendFileOptions = {},
): Promise<AppendFileResult> {
  const appendSize = options.appendSize ?? DEFAULT_APPEND_SIZE;
  if (!Number.isSafeInteger(appendSize) || appendSize < 1) {
    throw new RangeError(`appendSize must be a whole number of bytes ≥ 1; got ${appendSize}`);
  }
  const { source } = await openUploadInput(platform, file, "appending");
  try {
    return await appendSource(target, key, source, appendSize, options);
  } finally {
    if (source !== file) await source.close();
  }
}

async function appendSource(
  target: AppendTarget,
  key: string,
  source: FileSource,
  appendSize: number,
  options: AppendFileOptions,
): Promise<AppendFileResult> {
  const { signal, onProgress } = options;
  const scratch = new Uint8Array(Math.max(1, Math.min(appendSize, source.size)));
  const prefix = { crc: new Crc64(), length: 0 };
  let end = await objectEnd(target, key, signal);
  await checkOurs(key, source, end, prefix, scratch, signal);
  const continuedFrom = end.length;
  const progress = () => onProgress?.({ bytesDone: end.length, bytesTotal: source.size });
  progress();
  let bytesSent = 0;
  let appends = 0;
  let rechecks = 0;
  const { appendSize: _, onProgress: __, ...writeOptions } = options;
  // An empty file and no object: one empty append creates the (empty) object.
  while (end.length < source.size || !end.exists) {
    if (signal?.aborted) throw new AbortError("appendFile aborted", { cause: signal.reason });
    const n = Math.min(appendSize, source.size - end.length);
    const { bytes } = await readPart(source, end.length, n, signal, scratch);
    let landed: AppendObjectResult;
    try {
      landed = await target.appendObject(key, bytes, {
        ...writeOptions,
        position: end.length,
        crc64: end.crc64,
      });
    } catch (err) {
      if (!(err instanceof OssError && err.code === "PositionNotEqualToLength")) throw err;
      // Another writer moved the end: go on only from bytes that are this file's.
      if (++rechecks > MAX_POSITION_RECHECKS) throw err;
      end = await objectEnd(target, key, signal);
      await checkOurs(key, source, end, prefix, scratch, signal);
      progress();
      continue;
    }
    prefix.crc.update(bytes);
    prefix.length += n;
    end = {
      length: landed.nextPosition,
      crc64: landed.crc64 ?? prefix.crc.digest(),
      etag: landed.etag,
      exists: true,
      reported: landed.crc64 !== undefined,
    };
    bytesSent += n;
    appends++;
    progress();
  }
  return await finish(key, source, end, prefix.crc.digest(), {
    continuedFrom,
    bytesSent,
    appends,
  });
}

/** Checks the file did not change under the appends and the object is the file. */
async function finish(
  key: string,
  source: FileSource,
  end: ObjectEnd,
  fileCrc: bigint,
  counts: Pick<AppendFileResult, "continuedFrom" | "bytesSent" | "appends">,
): Promise<AppendFileResult> {
  const now = await source.stat();
  if (now.size !== source.size || now.lastModified !== source.lastModified) {
    throw new SourceChangedError(
      `${source.name} changed while it was appended (size ${source.size} → ${now.size}); ` +
        `${key} holds its first ${end.length} bytes as read; run again to append the rest`,
    );
  }
  if (end.length !== source.size || end.crc64 !== fileCrc) {
    throw new IntegrityError(
      `${key}: after appending, the object holds ${end.length} bytes with CRC64 ${end.crc64}, ` +
        `but ${source.name} has ${source.size} bytes with CRC64 ${fileCrc}`,
    );
  }
  return {
    key,
    size: end.length,
    crc64: end.crc64,
    crc64Verified: end.reported,
    etag: end.etag,
    ...counts,
  };
}
