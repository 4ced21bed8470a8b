/**
 * The disk backend of the local server: a data directory that survives a
 * restart, including a SIGKILL at any moment.
 *
 * Layout (no file name ever comes from a key):
 *
 * ```
 * <dataDir>/tmp/                                  temp files; emptied on open
 * <dataDir>/buckets/<bucket>/bucket.json          BucketInfo
 * <dataDir>/buckets/<bucket>/objects/<h2>/<h>.obj object: bytes + record (key, headers, ETag...)
 * <dataDir>/buckets/<bucket>/objects/<h2>/<h>.acl ACL set after the put, for one version
 * <dataDir>/buckets/<bucket>/uploads/<ID>/upload.json  unfinished multipart upload
 * <dataDir>/buckets/<bucket>/uploads/<ID>/<nnnnn>.part part: bytes + record
 * ```
 *
 * `<h>` is the SHA-256 hex of the key's UTF-8 bytes and `<h2>` its first two
 * characters; bucket names and upload IDs are validated before they name a
 * folder. Every write goes to a temp file, is fsynced, and is renamed into
 * place (see `_storage_blob_file.ts`); folders are created whole in `tmp/` and
 * renamed in, and removed by renaming them into `tmp/` first. On open the
 * directory is scanned into an in-memory index, which then serves lookups
 * and listings; the files stay the truth.
 *
 * @module
 */

import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { type Md5Threads, md5ThreadsFor } from "./_md5_threads.ts";
import { drainBody } from "./_storage_body.ts";
import {
  blobStream,
  BlobWriter,
  commitFile,
  readRecord,
  tempPath,
  writeFileAtomic,
  writeNewFile,
} from "./_storage_blob_file.ts";
import { KeyedLock } from "./_storage_lock.ts";
import { fsyncDir } from "../adapters/node_api/fsync_dir.ts";
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
  noSuchBucket,
} from "./_storage_index.ts";
import {
  checkBucketName,
  checkKey,
  isBucketName,
  isUploadId,
  keyDigest,
  nowToSecond,
} from "./_storage_names.ts";
import {
  appendBase,
  appendedObjectMeta,
  assembledDigest,
  checkBeforeBody,
  checkPartNumber,
  checkRange,
  choosePartsFor,
  copiedObjectMeta,
  copyHeaders,
  copyMeta,
  copyUpload,
  newObjectMeta,
  newPartMeta,
  newUploadInfo,
  positionNotEqualToLength,
} from "./_storage_rules.ts";
import { SortedKeys } from "./_storage_sorted_keys.ts";
import {
  type BodyInput,
  type BucketInfo,
  type ListedObject,
  type MultipartUploadInfo,
  type ObjectHeaders,
  type ObjectMeta,
  type ObjectReader,
  type PartMeta,
  type Storage,
  StorageError,
} from "./storage.ts";

/**
 * Options of {@linkcode DiskStorage}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { DiskStorage } from "@ossup/ossup/server";
 *
 * const dir = await mkdtemp(join(tmpdir(), "ossup-data-"));
 * // Still atomic, not durable across a power cut: faster, for tests.
 * const storage = await DiskStorage.open(dir, { fsync: false });
 * await storage.createBucket("demo", { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" });
 * assert.equal((await storage.getBucket("demo"))?.location, "oss-cn-hangzhou");
 * await storage.close();
 * await rm(dir, { recursive: true });
 * ```
 */
export interface DiskStorageOptions {
  /**
   * fsync files and directories so writes survive a power cut, not just a
   * process crash. Default `true`; `false` is faster and still atomic.
   */
  fsync?: boolean;
  /**
   * Worker threads computing the MD5 of bodies of 1 MiB and more, while the
   * socket thread reads, computes CRC64 and writes. `0` hashes inline.
   * Default: one less than the cores, at most 4 (0 on one core).
   */
  hashThreads?: number;
}

interface IndexedObject {
  meta: ObjectMeta;
  /** Random tag of this version of the file, to detect a replacement under a reader. */
  version: string;
}

interface IndexedPart {
  meta: PartMeta;
  version: string;
}

interface IndexedUpload {
  info: MultipartUploadInfo;
  parts: Map<number, IndexedPart>;
}

interface IndexedBucket {
  info: BucketInfo;
  objects: SortedKeys<IndexedObject>;
  uploads: Map<string, IndexedUpload>;
  /** Writes between their bucket check and their index update; deleteBucket waits for none. */
  pending: number;
}

interface ObjectRecord {
  kind: "object";
  version: string;
  key: string;
  size: number;
  etag: string;
  crc64: string;
  lastModified: number;
  objectType: ObjectMeta["objectType"];
  headers: ObjectHeaders;
}

interface PartRecord {
  kind: "part";
  version: string;
  partNumber: number;
  size: number;
  etag: string;
  crc64: string;
  lastModified: number;
}

interface AclRecord {
  /** The object version the ACL applies to. */
  version: string;
  acl: string;
}

interface UploadRecord {
  uploadId: string;
  key: string;
  initiated: number;
  headers: ObjectHeaders;
}

interface BucketRecord {
  name: string;
  creationDate: number;
  location: string;
  acl: string;
  storageClass: string;
}

/**
 * A {@linkcode Storage} in a data directory that survives restarts. The
 * directory must be used by one `DiskStorage` at a time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { DiskStorage } from "@ossup/ossup/server";
 *
 * const dir = await mkdtemp(join(tmpdir(), "ossup-data-"));
 * for (const run of [1, 2]) {
 *   const storage = await DiskStorage.open(dir);
 *   if (!await storage.getBucket("demo")) {
 *     assert.equal(run, 1); // the second run finds it on disk
 *     await storage.createBucket("demo", {
 *       location: "oss-cn-hangzhou",
 *       acl: "private",
 *       storageClass: "Standard",
 *     });
 *   }
 *   await storage.close();
 * }
 * await rm(dir, { recursive: true });
 * ```
 */
export class DiskStorage implements Storage {
  /** The data directory. */
  readonly dataDir: string;
  #tmp: string;
  #bucketsDir: string;
  #fsync: boolean;
  #md5Threads?: Md5Threads;
  #buckets = new Map<string, IndexedBucket>();
  #locks = new KeyedLock();
  #ready: Promise<void>;

  /**
   * Starts loading `dataDir` (created if missing); every method waits for
   * the load. Prefer {@linkcode DiskStorage.open}, which reports load errors.
   */
  constructor(dataDir: string, options: DiskStorageOptions = {}) {
    if (typeof dataDir !== "string" || dataDir === "") {
      throw new TypeError("dataDir must be a non-empty path");
    }
    this.dataDir = dataDir;
    this.#tmp = join(dataDir, "tmp");
    this.#bucketsDir = join(dataDir, "buckets");
    this.#fsync = options.fsync ?? true;
    this.#md5Threads = md5ThreadsFor(options.hashThreads);
    this.#ready = this.#load();
    this.#ready.catch(() => {}); // reported by the first method call
  }

  /** Opens (creating if needed) a data directory and loads its index. */
  static async open(dataDir: string, options?: DiskStorageOptions): Promise<DiskStorage> {
    const storage = new DiskStorage(dataDir, options);
    await storage.#ready;
    return storage;
  }

  // ---- loading ----

  async #load(): Promise<void> {
    await mkdir(this.#bucketsDir, { recursive: true });
    // Whatever is in tmp/ is a write or a removal that a crash cut short.
    await rm(this.#tmp, { recursive: true, force: true });
    await mkdir(this.#tmp, { recursive: true });
    for (const name of await readdir(this.#bucketsDir)) {
      if (!isBucketName(name)) continue;
      const record = await readJson<BucketRecord>(join(this.#bucketsDir, name, "bucket.json"));
      if (!record || record.name !== name) continue;
      const bucket: IndexedBucket = {
        info: {
          name,
          creationDate: new Date(record.creationDate),
          location: record.location,
          acl: record.acl,
          storageClass: record.storageClass,
        },
        objects: new SortedKeys(),
        uploads: new Map(),
        pending: 0,
      };
      this.#buckets.set(name, bucket);
      await this.#loadObjects(bucket);
      await this.#loadUploads(bucket);
    }
  }

  async #loadObjects(bucket: IndexedBucket): Promise<void> {
    const dir = join(this.#bucketsDir, bucket.info.name, "objects");
    for (const shard of await readdir(dir)) {
      for (const file of await readdir(join(dir, shard))) {
        const path = join(dir, shard, file);
        const found = file.endsWith(".obj") ? await readRecord(path) : undefined;
        const record = found?.record as ObjectRecord | undefined;
        if (
          !found || record?.kind !== "object" || typeof record.key !== "string" ||
          `${keyDigest(record.key)}.obj` !== file || shard !== file.slice(0, 2) ||
          record.size !== found.dataSize
        ) {
          continue; // not ours; never written by a rename, so not a partial object
        }
        const meta = objectMetaOf(record);
        const acl = await readJson<AclRecord>(path.slice(0, -4) + ".acl");
        if (acl?.version === record.version && typeof acl.acl === "string") meta.acl = acl.acl;
        bucket.objects.set(record.key, { meta, version: record.version });
      }
    }
  }

  async #loadUploads(bucket: IndexedBucket): Promise<void> {
    const dir = join(this.#bucketsDir, bucket.info.name, "uploads");
    for (const id of await readdir(dir)) {
      if (!isUploadId(id)) continue;
      const record = await readJson<UploadRecord>(join(dir, id, "upload.json"));
      if (!record || record.uploadId !== id) continue;
      const upload: IndexedUpload = {
        info: {
          uploadId: id,
          bucket: bucket.info.name,
          key: record.key,
          initiated: new Date(record.initiated),
          headers: record.headers,
        },
        parts: new Map(),
      };
      for (const file of await readdir(join(dir, id))) {
        if (!/^\d{5}\.part$/.test(file)) continue;
        const found = await readRecord(join(dir, id, file));
        const part = found?.record as PartRecord | undefined;
        if (
          !found || part?.kind !== "part" || partFile(part.partNumber) !== file ||
          part.size !== found.dataSize
        ) continue;
        upload.parts.set(part.partNumber, { meta: partMetaOf(part), version: part.version });
      }
      bucket.uploads.set(id, upload);
    }
  }

  // ---- paths and lookups ----

  #bucketDir(name: string): string {
    return join(this.#bucketsDir, name);
  }

  #objectDir(bucket: string, key: string): { dir: string; path: string; acl: string } {
    const digest = keyDigest(key);
    const dir = join(this.#bucketsDir, bucket, "objects", digest.slice(0, 2));
    return { dir, path: join(dir, `${digest}.obj`), acl: join(dir, `${digest}.acl`) };
  }

  #uploadDir(bucket: string, uploadId: string): string {
    return join(this.#bucketsDir, bucket, "uploads", uploadId);
  }

  #bucket(name: string): IndexedBucket {
    return findBucket(this.#buckets, name);
  }

  #object(bucket: string, key: string): IndexedObject {
    return findObject(this.#bucket(bucket), key);
  }

  #upload(bucket: string, key: string, uploadId: string): IndexedUpload {
    return findUpload(this.#bucket(bucket), key, uploadId);
  }

  async #syncDir(dir: string): Promise<void> {
    if (this.#fsync) await fsyncDir(dir);
  }

  /** Renames a folder into tmp/ (atomic removal), then deletes it. */
  async #removeDir(dir: string, parent: string): Promise<void> {
    const grave = join(this.#tmp, `${randomBytes(12).toString("hex")}.rm`);
    await rename(dir, grave);
    await this.#syncDir(parent);
    await rm(grave, { recursive: true, force: true });
  }

  /** Creates a folder whole: built in tmp/ by `fill`, then renamed to `target`. */
  async #createDir(
    target: string,
    parent: string,
    fill: (dir: string) => Promise<void>,
  ): Promise<void> {
    const staging = tempPath(this.#tmp);
    await mkdir(staging);
    try {
      await fill(staging);
      await this.#syncDir(staging);
      await rename(staging, target);
    } catch (err) {
      await rm(staging, { recursive: true, force: true }).catch(() => {});
      throw err;
    }
    await this.#syncDir(parent);
  }

  // ---- buckets ----

  /** All buckets. */
  async listBuckets(): Promise<BucketInfo[]> {
    await this.#ready;
    return listBucketInfos(this.#buckets);
  }

  async createBucket(
    name: string,
    options: { location: string; acl: string; storageClass: string },
  ): Promise<BucketInfo> {
    await this.#ready;
    checkBucketName(name);
    return await this.#locks.run(`b:${name}`, async () => {
      if (this.#buckets.has(name)) throw bucketAlreadyExists();
      const info: BucketInfo = { name, creationDate: nowToSecond(), ...options };
      await this.#createDir(this.#bucketDir(name), this.#bucketsDir, async (dir) => {
        await mkdir(join(dir, "objects"));
        await mkdir(join(dir, "uploads"));
        await writeNewFile(
          join(dir, "bucket.json"),
          JSON.stringify(bucketRecordOf(info)),
          this.#fsync,
        );
      });
      this.#buckets.set(name, {
        info,
        objects: new SortedKeys(),
        uploads: new Map(),
        pending: 0,
      });
      return { ...info };
    });
  }

  async getBucket(name: string): Promise<BucketInfo | undefined> {
    await this.#ready;
    return bucketInfoOf(this.#buckets, name);
  }

  /** Sets a bucket's ACL. */
  async setBucketAcl(name: string, acl: string): Promise<void> {
    await this.#ready;
    this.#bucket(name);
    await this.#locks.run(`b:${name}`, async () => {
      const bucket = this.#bucket(name);
      const info = { ...bucket.info, acl };
      const dir = this.#bucketDir(name);
      await writeFileAtomic(
        this.#tmp,
        join(dir, "bucket.json"),
        dir,
        JSON.stringify(bucketRecordOf(info)),
        this.#fsync,
      );
      bucket.info = info;
    });
  }

  async deleteBucket(name: string): Promise<void> {
    await this.#ready;
    this.#bucket(name);
    await this.#locks.run(`b:${name}`, async () => {
      const bucket = this.#bucket(name);
      if (isBucketInUse(bucket) || bucket.pending > 0) throw bucketNotEmpty();
      this.#buckets.delete(name);
      await this.#removeDir(this.#bucketDir(name), this.#bucketsDir);
    });
  }

  // ---- objects ----

  /** Streams `body` into a finished temp file; the caller commits or discards it. */
  async #receive(
    body: BodyInput,
  ): Promise<{ writer: BlobWriter; size: number; etag: string; crc64: bigint }> {
    const writer = await BlobWriter.create(this.#tmp);
    try {
      const digest = await drainBody(body, (chunk) => writer.write(chunk), {
        md5Threads: this.#md5Threads,
      });
      return { writer, ...digest };
    } catch (err) {
      await writer.discard();
      throw err;
    }
  }

  /**
   * Publishes a temp file holding an object's bytes under `meta.key`, atomically. With
   * `expect`, only over that version of the object (`undefined`: over no object), else
   * `PositionNotEqualToLength`: an append built on what was there.
   */
  async #publishObject(
    bucket: string,
    writer: BlobWriter,
    meta: ObjectMeta,
    expect?: { version: string | undefined },
  ): Promise<ObjectMeta> {
    const version = randomBytes(8).toString("hex");
    let b: IndexedBucket;
    try {
      b = this.#bucket(bucket);
      await writer.finish(objectRecordOf(meta, version), this.#fsync);
    } catch (err) {
      await writer.discard();
      throw err;
    }
    b.pending++;
    try {
      return await this.#locks.run(`o:${bucket}/${meta.key}`, async () => {
        if (this.#buckets.get(bucket) !== b) throw noSuchBucket();
        if (expect && b.objects.get(meta.key)?.version !== expect.version) {
          throw positionNotEqualToLength();
        }
        const { dir, path, acl } = this.#objectDir(bucket, meta.key);
        await this.#ensureShard(dir);
        await rename(writer.path, path);
        await this.#syncDir(dir);
        b.objects.set(meta.key, { meta, version });
        await unlink(acl).catch(() => {}); // voided by the new version anyway
        return copyMeta(meta);
      });
    } catch (err) {
      await writer.discard();
      throw err;
    } finally {
      b.pending--;
    }
  }

  async #ensureShard(dir: string): Promise<void> {
    try {
      await mkdir(dir);
      await this.#syncDir(join(dir, ".."));
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST") throw err;
    }
  }

  async putObject(
    bucket: string,
    key: string,
    body: BodyInput,
    headers: ObjectHeaders,
  ): Promise<ObjectMeta> {
    await this.#ready;
    checkBeforeBody(body, () => {
      this.#bucket(bucket);
      checkKey(key);
    });
    const { writer, ...digest } = await this.#receive(body);
    return await this.#publishObject(
      bucket,
      writer,
      newObjectMeta(key, headers, digest, "Normal"),
    );
  }

  async appendObject(
    bucket: string,
    key: string,
    position: number,
    body: BodyInput,
    headers: ObjectHeaders,
    options: { maxSize?: number } = {},
  ): Promise<ObjectMeta> {
    await this.#ready;
    const before = appendBase(body, key, position, () => this.#bucket(bucket).objects.get(key));
    // The new version is written whole (old bytes, then the body) and renamed into place,
    // so a crash leaves the old object or the new one.
    const writer = await BlobWriter.create(this.#tmp);
    let meta: ObjectMeta;
    try {
      if (before) await this.#copyObjectBytes(bucket, before, writer, body);
      const digest = await drainBody(body, (chunk) => writer.write(chunk), {
        md5Threads: this.#md5Threads,
      });
      meta = appendedObjectMeta(before?.meta, key, headers, digest, options.maxSize);
    } catch (err) {
      await writer.discard();
      throw err;
    }
    return await this.#publishObject(bucket, writer, meta, { version: before?.version });
  }

  /** Writes the bytes of `object` to `writer`; cancels `body` when they cannot be read. */
  async #copyObjectBytes(
    bucket: string,
    object: IndexedObject,
    writer: BlobWriter,
    body: BodyInput,
  ): Promise<void> {
    try {
      for await (const chunk of iterate(this.#objectStream(bucket, object))) {
        await writer.write(chunk);
      }
    } catch (err) {
      body.stream.cancel(err).catch(() => {});
      // Replaced or deleted under the append: its position is stale.
      if (err instanceof StorageError && err.code === "NoSuchKey") throw positionNotEqualToLength();
      throw err;
    }
  }

  async getObject(bucket: string, key: string): Promise<ObjectReader> {
    await this.#ready;
    const object = this.#object(bucket, key);
    return {
      meta: copyMeta(object.meta),
      stream: (range) => this.#objectStream(bucket, object, range),
    };
  }

  #objectStream(
    bucket: string,
    object: IndexedObject,
    range?: { start: number; end: number },
  ): ReadableStream<Uint8Array> {
    const { path } = this.#objectDir(bucket, object.meta.key);
    return blobStream(
      path,
      range?.start ?? 0,
      range ? range.end + 1 : object.meta.size,
      (record) => (record as ObjectRecord).version === object.version,
      () => new StorageError("NoSuchKey", "The object was replaced or deleted while being read."),
    );
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    await this.#ready;
    this.#bucket(bucket);
    checkKey(key);
    await this.#locks.run(`o:${bucket}/${key}`, async () => {
      const b = this.#buckets.get(bucket);
      if (!b?.objects.get(key)) return;
      const { dir, path, acl } = this.#objectDir(bucket, key);
      await unlink(path);
      await this.#syncDir(dir);
      b.objects.delete(key);
      await unlink(acl).catch(() => {});
    });
  }

  async copyObject(
    source: { bucket: string; key: string },
    target: { bucket: string; key: string },
    headers?: ObjectHeaders,
  ): Promise<ObjectMeta> {
    await this.#ready;
    const from = this.#object(source.bucket, source.key);
    this.#bucket(target.bucket);
    checkKey(target.key);
    const { writer } = await this.#receive({ stream: this.#objectStream(source.bucket, from) });
    return await this.#publishObject(
      target.bucket,
      writer,
      copiedObjectMeta(from.meta, target.key, headers),
    );
  }

  /** Sets an object's ACL. */
  async setObjectAcl(bucket: string, key: string, acl: string): Promise<void> {
    await this.#ready;
    this.#object(bucket, key);
    // A sidecar names the version it applies to, so a later put (a new version) voids it
    // without touching it, and changing an ACL never rewrites the object's bytes.
    await this.#locks.run(`o:${bucket}/${key}`, async () => {
      const object = this.#object(bucket, key);
      const { dir, acl: aclPath } = this.#objectDir(bucket, key);
      const record: AclRecord = { version: object.version, acl };
      await writeFileAtomic(this.#tmp, aclPath, dir, JSON.stringify(record), this.#fsync);
      object.meta.acl = acl;
    });
  }

  async *listObjects(
    bucket: string,
    options: { prefix?: string; after?: string },
  ): AsyncIterable<ListedObject> {
    await this.#ready;
    yield* listedObjects(this.#bucket(bucket), options);
  }

  // ---- multipart uploads ----

  /** Starts a multipart upload of `key` with the headers the object will get. */
  async initiateMultipartUpload(
    bucket: string,
    key: string,
    headers: ObjectHeaders,
  ): Promise<MultipartUploadInfo> {
    await this.#ready;
    const b = this.#bucket(bucket);
    checkKey(key);
    const info = newUploadInfo(bucket, key, headers);
    const record: UploadRecord = {
      uploadId: info.uploadId,
      key,
      initiated: info.initiated.getTime(),
      headers: info.headers,
    };
    b.pending++;
    try {
      const parent = join(this.#bucketDir(bucket), "uploads");
      await this.#createDir(this.#uploadDir(bucket, info.uploadId), parent, async (dir) => {
        await writeNewFile(join(dir, "upload.json"), JSON.stringify(record), this.#fsync);
      });
      b.uploads.set(info.uploadId, { info, parts: new Map() });
    } finally {
      b.pending--;
    }
    return copyUpload(info);
  }

  /** Publishes a temp file holding a part's bytes, replacing any earlier part of that number. */
  async #publishPart(
    bucket: string,
    key: string,
    uploadId: string,
    writer: BlobWriter,
    meta: PartMeta,
  ): Promise<PartMeta> {
    const version = randomBytes(8).toString("hex");
    try {
      await writer.finish(partRecordOf(meta, version), this.#fsync);
      return await this.#locks.run(`u:${uploadId}`, async () => {
        const upload = this.#upload(bucket, key, uploadId);
        const dir = this.#uploadDir(bucket, uploadId);
        await commitFile(writer.path, join(dir, partFile(meta.partNumber)), dir, this.#fsync);
        upload.parts.set(meta.partNumber, { meta, version });
        return { ...meta };
      });
    } catch (err) {
      await writer.discard();
      throw err;
    }
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: BodyInput,
  ): Promise<PartMeta> {
    await this.#ready;
    checkBeforeBody(body, () => {
      this.#upload(bucket, key, uploadId);
      checkPartNumber(partNumber);
    });
    const { writer, ...digest } = await this.#receive(body);
    return await this.#publishPart(bucket, key, uploadId, writer, newPartMeta(partNumber, digest));
  }

  async uploadPartCopy(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    source: { bucket: string; key: string; range?: { start: number; end: number } },
  ): Promise<PartMeta> {
    await this.#ready;
    this.#upload(bucket, key, uploadId);
    checkPartNumber(partNumber);
    const from = this.#object(source.bucket, source.key);
    checkRange(source.range, from.meta.size);
    const stream = this.#objectStream(source.bucket, from, source.range);
    const { writer, ...digest } = await this.#receive({ stream });
    return await this.#publishPart(bucket, key, uploadId, writer, newPartMeta(partNumber, digest));
  }

  async listParts(bucket: string, key: string, uploadId: string): Promise<PartMeta[]> {
    await this.#ready;
    return listedParts(this.#upload(bucket, key, uploadId));
  }

  async completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<ObjectMeta> {
    await this.#ready;
    this.#upload(bucket, key, uploadId);
    return await this.#locks.run(`u:${uploadId}`, async () => {
      const upload = this.#upload(bucket, key, uploadId);
      const chosen = choosePartsFor(upload.parts, parts, (p) => p.meta);
      const dir = this.#uploadDir(bucket, uploadId);
      // Concatenate into a temp file; parts cannot change while the upload's lock is held.
      const writer = await BlobWriter.create(this.#tmp);
      try {
        for (const part of chosen) {
          const path = join(dir, partFile(part.meta.partNumber));
          for await (const chunk of iterate(blobStream(path, 0, part.meta.size))) {
            await writer.write(chunk);
          }
        }
      } catch (err) {
        await writer.discard();
        throw err;
      }
      const meta = await this.#publishObject(
        bucket,
        writer,
        newObjectMeta(
          key,
          upload.info.headers,
          assembledDigest(chosen.map((p) => p.meta)),
          "Multipart",
        ),
      );
      // Only now that the object is published may the upload and its parts go.
      await this.#forgetUpload(bucket, uploadId);
      return meta;
    });
  }

  async #forgetUpload(bucket: string, uploadId: string): Promise<void> {
    const b = this.#bucket(bucket);
    b.uploads.delete(uploadId);
    await this.#removeDir(
      this.#uploadDir(bucket, uploadId),
      join(this.#bucketDir(bucket), "uploads"),
    );
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.#ready;
    this.#upload(bucket, key, uploadId);
    await this.#locks.run(`u:${uploadId}`, async () => {
      this.#upload(bucket, key, uploadId);
      await this.#forgetUpload(bucket, uploadId);
    });
  }

  async listMultipartUploads(bucket: string): Promise<MultipartUploadInfo[]> {
    await this.#ready;
    return listedUploads(this.#bucket(bucket));
  }

  async getMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
  ): Promise<MultipartUploadInfo> {
    await this.#ready;
    return copyUpload(this.#upload(bucket, key, uploadId).info);
  }

  async close(): Promise<void> {
    await this.#ready.catch(() => {});
    await this.#md5Threads?.close();
  }
}

// ---- records ----

function partFile(partNumber: number): string {
  return `${String(partNumber).padStart(5, "0")}.part`;
}

function objectRecordOf(meta: ObjectMeta, version: string): ObjectRecord {
  return {
    kind: "object",
    version,
    key: meta.key,
    size: meta.size,
    etag: meta.etag,
    crc64: meta.crc64.toString(),
    lastModified: meta.lastModified.getTime(),
    objectType: meta.objectType,
    headers: copyHeaders(meta),
  };
}

function objectMetaOf(record: ObjectRecord): ObjectMeta {
  return {
    ...copyHeaders(record.headers),
    key: record.key,
    size: record.size,
    etag: record.etag,
    crc64: BigInt(record.crc64),
    lastModified: new Date(record.lastModified),
    objectType: record.objectType,
  };
}

function partRecordOf(meta: PartMeta, version: string): PartRecord {
  return {
    kind: "part",
    version,
    partNumber: meta.partNumber,
    size: meta.size,
    etag: meta.etag,
    crc64: meta.crc64.toString(),
    lastModified: meta.lastModified.getTime(),
  };
}

function partMetaOf(record: PartRecord): PartMeta {
  return {
    partNumber: record.partNumber,
    size: record.size,
    etag: record.etag,
    crc64: BigInt(record.crc64),
    lastModified: new Date(record.lastModified),
  };
}

function bucketRecordOf(info: BucketInfo): BucketRecord {
  return {
    name: info.name,
    creationDate: info.creationDate.getTime(),
    location: info.location,
    acl: info.acl,
    storageClass: info.storageClass,
  };
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** Async iteration over a ReadableStream that also works where streams are not async-iterable. */
async function* iterate(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
