/**
 * The memory backend of the local server: everything in maps, bodies kept as
 * the chunk arrays they arrived in. Fast, and gone when the process ends.
 *
 * @module
 */

import { type Md5Threads, md5ThreadsFor } from "./_md5_threads.ts";
import { type BodyDigest, drainBody, type DrainOptions } from "./_storage_body.ts";
import {
  bucketAlreadyExists,
  bucketInfoOf,
  bucketNotEmpty,
  findBucket,
  findObject,
  findUpload,
  isBucketInUse,
  listBucketInfos,
  listedObjects,
  listedParts,
  listedUploads,
} from "./_storage_index.ts";
import { checkBucketName, checkKey, nowToSecond } from "./_storage_names.ts";
import {
  appendBase,
  appendedObjectMeta,
  assembledDigest,
  checkBeforeBody,
  checkPartNumber,
  checkRange,
  choosePartsFor,
  copiedObjectMeta,
  copyMeta,
  copyUpload,
  newObjectMeta,
  newPartMeta,
  newUploadInfo,
  positionNotEqualToLength,
  run,
} from "./_storage_rules.ts";
import { SortedKeys } from "./_storage_sorted_keys.ts";
import type {
  BodyInput,
  BucketInfo,
  ListedObject,
  MultipartUploadInfo,
  ObjectHeaders,
  ObjectMeta,
  ObjectReader,
  PartMeta,
  Storage,
} from "./storage.ts";

interface StoredObject {
  meta: ObjectMeta;
  chunks: Uint8Array[];
}

interface StoredPart {
  meta: PartMeta;
  chunks: Uint8Array[];
}

interface StoredUpload {
  info: MultipartUploadInfo;
  parts: Map<number, StoredPart>;
}

interface StoredBucket {
  info: BucketInfo;
  objects: SortedKeys<StoredObject>;
  uploads: Map<string, StoredUpload>;
}

/**
 * Options of {@linkcode MemoryStorage}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryStorage } from "@ossup/ossup/server";
 *
 * const storage = new MemoryStorage({ hashThreads: 0 }); // MD5 on the calling thread
 * await storage.createBucket("demo", { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" });
 * const meta = await storage.putObject("demo", "big.bin", { stream: new Blob([new Uint8Array(2 << 20)]).stream() }, { contentType: "text/plain", userMeta: {}, acl: "default", storageClass: "Standard" });
 * assert.equal(meta.size, 2 << 20);
 * await storage.close();
 * ```
 */
export interface MemoryStorageOptions {
  /**
   * Worker threads computing the MD5 of bodies of 1 MiB and more, while the
   * socket thread reads, computes CRC64 and stores. `0` hashes inline.
   * Default: one less than the cores, at most 4 (0 on one core).
   */
  hashThreads?: number;
}

/**
 * A {@linkcode Storage} held in memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryStorage } from "@ossup/ossup/server";
 *
 * const storage = new MemoryStorage();
 * await storage.createBucket("demo", {
 *   location: "oss-cn-hangzhou",
 *   acl: "private",
 *   storageClass: "Standard",
 * });
 * const meta = await storage.putObject(
 *   "demo",
 *   "hello.txt",
 *   { stream: new Blob(["hello"]).stream() },
 *   { contentType: "text/plain", userMeta: {}, acl: "default", storageClass: "Standard" },
 * );
 * assert.equal(meta.etag, "5D41402ABC4B2A76B9719D911017C592"); // the MD5 of "hello", unquoted
 * await storage.close();
 * ```
 */
export class MemoryStorage implements Storage {
  #buckets = new Map<string, StoredBucket>();
  #md5Threads?: Md5Threads;

  /**
   * Creates an empty storage.
   *
   * @param options Hashing threads.
   */
  constructor(options: MemoryStorageOptions = {}) {
    this.#md5Threads = md5ThreadsFor(options.hashThreads);
  }

  #bucket(name: string): StoredBucket {
    return findBucket(this.#buckets, name);
  }

  #object(bucket: string, key: string): StoredObject {
    return findObject(this.#bucket(bucket), key);
  }

  #upload(bucket: string, key: string, uploadId: string): StoredUpload {
    return findUpload(this.#bucket(bucket), key, uploadId);
  }

  /** All buckets. */
  listBuckets(): Promise<BucketInfo[]> {
    return Promise.resolve(listBucketInfos(this.#buckets));
  }

  createBucket(
    name: string,
    options: { location: string; acl: string; storageClass: string },
  ): Promise<BucketInfo> {
    return run(() => {
      checkBucketName(name);
      if (this.#buckets.has(name)) throw bucketAlreadyExists();
      const info: BucketInfo = { name, creationDate: nowToSecond(), ...options };
      this.#buckets.set(name, { info, objects: new SortedKeys(), uploads: new Map() });
      return { ...info };
    });
  }

  getBucket(name: string): Promise<BucketInfo | undefined> {
    return Promise.resolve(bucketInfoOf(this.#buckets, name));
  }

  /** Sets a bucket's ACL. */
  setBucketAcl(name: string, acl: string): Promise<void> {
    return run(() => {
      this.#bucket(name).info.acl = acl;
    });
  }

  deleteBucket(name: string): Promise<void> {
    return run(() => {
      if (isBucketInUse(this.#bucket(name))) throw bucketNotEmpty();
      this.#buckets.delete(name);
    });
  }

  async putObject(
    bucket: string,
    key: string,
    body: BodyInput,
    headers: ObjectHeaders,
  ): Promise<ObjectMeta> {
    checkBeforeBody(body, () => {
      this.#bucket(bucket);
      checkKey(key);
    });
    const { chunks, digest } = await drainToChunks(body, { md5Threads: this.#md5Threads });
    const meta = newObjectMeta(key, headers, digest, "Normal");
    // The bucket may have gone while the body streamed.
    this.#bucket(bucket).objects.set(key, { meta, chunks });
    return copyMeta(meta);
  }

  async appendObject(
    bucket: string,
    key: string,
    position: number,
    body: BodyInput,
    headers: ObjectHeaders,
    options: { maxSize?: number } = {},
  ): Promise<ObjectMeta> {
    const before = appendBase(body, key, position, () => this.#bucket(bucket).objects.get(key));
    const { chunks, digest } = await drainToChunks(body, { md5Threads: this.#md5Threads });
    const b = this.#bucket(bucket);
    // Another write landed while the body streamed: this append's position is stale.
    if (b.objects.get(key) !== before) throw positionNotEqualToLength();
    const meta = appendedObjectMeta(before?.meta, key, headers, digest, options.maxSize);
    // Chunks are never mutated, so the new object shares the old one's.
    b.objects.set(key, { meta, chunks: [...(before?.chunks ?? []), ...chunks] });
    return copyMeta(meta);
  }

  getObject(bucket: string, key: string): Promise<ObjectReader> {
    return run(() => {
      const object = this.#object(bucket, key);
      return {
        meta: copyMeta(object.meta),
        stream: (range) => chunkStream(object.chunks, range),
      };
    });
  }

  deleteObject(bucket: string, key: string): Promise<void> {
    return run(() => {
      const b = this.#bucket(bucket);
      checkKey(key);
      b.objects.delete(key);
    });
  }

  copyObject(
    source: { bucket: string; key: string },
    target: { bucket: string; key: string },
    headers?: ObjectHeaders,
  ): Promise<ObjectMeta> {
    return run(() => {
      const from = this.#object(source.bucket, source.key);
      const to = this.#bucket(target.bucket);
      checkKey(target.key);
      const meta = copiedObjectMeta(from.meta, target.key, headers);
      // Chunks are never mutated, so the copy can share them.
      to.objects.set(target.key, { meta, chunks: from.chunks });
      return copyMeta(meta);
    });
  }

  /** Sets an object's ACL. */
  setObjectAcl(bucket: string, key: string, acl: string): Promise<void> {
    return run(() => {
      this.#object(bucket, key).meta.acl = acl;
    });
  }

  async *listObjects(
    bucket: string,
    options: { prefix?: string; after?: string },
  ): AsyncIterable<ListedObject> {
    yield* listedObjects(this.#bucket(bucket), options);
  }

  /** Starts a multipart upload of `key` with the headers the object will get. */
  initiateMultipartUpload(
    bucket: string,
    key: string,
    headers: ObjectHeaders,
  ): Promise<MultipartUploadInfo> {
    return run(() => {
      const b = this.#bucket(bucket);
      checkKey(key);
      const info = newUploadInfo(bucket, key, headers);
      b.uploads.set(info.uploadId, { info, parts: new Map() });
      return copyUpload(info);
    });
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: BodyInput,
  ): Promise<PartMeta> {
    checkBeforeBody(body, () => {
      this.#upload(bucket, key, uploadId);
      checkPartNumber(partNumber);
    });
    const { chunks, digest } = await drainToChunks(body, { md5Threads: this.#md5Threads });
    const meta = newPartMeta(partNumber, digest);
    // The upload may have been completed or aborted while the body streamed.
    this.#upload(bucket, key, uploadId).parts.set(partNumber, { meta, chunks });
    return { ...meta };
  }

  uploadPartCopy(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    source: { bucket: string; key: string; range?: { start: number; end: number } },
  ): Promise<PartMeta> {
    return run(async () => {
      this.#upload(bucket, key, uploadId);
      checkPartNumber(partNumber);
      const from = this.#object(source.bucket, source.key);
      checkRange(source.range, from.meta.size);
      const { chunks, digest } = await drainToChunks({
        stream: chunkStream(from.chunks, source.range),
      });
      const meta = newPartMeta(partNumber, digest);
      this.#upload(bucket, key, uploadId).parts.set(partNumber, { meta, chunks });
      return { ...meta };
    });
  }

  listParts(bucket: string, key: string, uploadId: string): Promise<PartMeta[]> {
    return run(() => listedParts(this.#upload(bucket, key, uploadId)));
  }

  completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<ObjectMeta> {
    return run(() => {
      const b = this.#bucket(bucket);
      const upload = this.#upload(bucket, key, uploadId);
      const chosen = choosePartsFor(upload.parts, parts, (p) => p.meta);
      const chunks = chosen.flatMap((p) => p.chunks);
      const meta = newObjectMeta(
        key,
        upload.info.headers,
        assembledDigest(chosen.map((p) => p.meta)),
        "Multipart",
      );
      b.objects.set(key, { meta, chunks });
      b.uploads.delete(uploadId);
      return copyMeta(meta);
    });
  }

  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    return run(() => {
      this.#upload(bucket, key, uploadId);
      this.#bucket(bucket).uploads.delete(uploadId);
    });
  }

  listMultipartUploads(bucket: string): Promise<MultipartUploadInfo[]> {
    return run(() => listedUploads(this.#bucket(bucket)));
  }

  getMultipartUpload(bucket: string, key: string, uploadId: string): Promise<MultipartUploadInfo> {
    return run(() => copyUpload(this.#upload(bucket, key, uploadId).info));
  }

  /** Stops the hashing threads. */
  async close(): Promise<void> {
    await this.#md5Threads?.close();
  }
}

/** Reads `body` whole into the chunks it arrived in. */
async function drainToChunks(
  body: BodyInput,
  options?: DrainOptions,
): Promise<{ chunks: Uint8Array[]; digest: BodyDigest }> {
  const chunks: Uint8Array[] = [];
  const digest = await drainBody(body, (chunk) => {
    chunks.push(chunk);
  }, options);
  return { chunks, digest };
}

/** Streams bytes `[start, end]` of the concatenated chunks. */
function chunkStream(
  chunks: Uint8Array[],
  range?: { start: number; end: number },
): ReadableStream<Uint8Array> {
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const start = range?.start ?? 0;
  const end = range ? range.end + 1 : total;
  let index = 0;
  let offset = 0; // byte offset of chunks[index]
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      while (index < chunks.length) {
        const chunk = chunks[index];
        const from = Math.max(start - offset, 0);
        const to = Math.min(end - offset, chunk.byteLength);
        offset += chunk.byteLength;
        index++;
        if (to > from) {
          controller.enqueue(chunk.subarray(from, to));
          return;
        }
        if (offset >= end) break;
      }
      controller.close();
    },
  }, { highWaterMark: 0 });
}
