/**
 * The in-memory index both storage backends answer from: buckets by name,
 * each with its objects by key and its unfinished uploads by ID. The lookups
 * throw OSS's errors, and the listings hand out copies, so a backend only
 * adds how it keeps the bytes.
 *
 * @module
 */

import { checkBucketName, checkKey, isBucketName, isUploadId } from "./_storage_names.ts";
import { copyUpload, noSuchUpload, sortUploads } from "./_storage_rules.ts";
import type { SortedKeys } from "./_storage_sorted_keys.ts";
import {
  type BucketInfo,
  type ListedObject,
  type MultipartUploadInfo,
  type ObjectMeta,
  type PartMeta,
  StorageError,
} from "./storage.ts";

/** What the index keeps of an unfinished multipart upload. */
export interface IndexedUploadShape {
  info: MultipartUploadInfo;
  parts: Map<number, { meta: PartMeta }>;
}

/** What the index keeps of a bucket; `O` and `U` add the backend's own fields. */
export interface IndexedBucketShape<
  O extends { meta: ObjectMeta } = { meta: ObjectMeta },
  U extends IndexedUploadShape = IndexedUploadShape,
> {
  info: BucketInfo;
  objects: SortedKeys<O>;
  uploads: Map<string, U>;
}

/** The `NoSuchBucket` error. */
export function noSuchBucket(): StorageError {
  return new StorageError("NoSuchBucket", "The specified bucket does not exist.");
}

/** The `BucketAlreadyExists` error. */
export function bucketAlreadyExists(): StorageError {
  return new StorageError("BucketAlreadyExists", "The requested bucket name is not available.");
}

/** The `BucketNotEmpty` error. */
export function bucketNotEmpty(): StorageError {
  return new StorageError("BucketNotEmpty", "The bucket you tried to delete is not empty.");
}

/** The bucket named `name`: `InvalidBucketName` or `NoSuchBucket` otherwise. */
export function findBucket<B>(buckets: Map<string, B>, name: string): B {
  checkBucketName(name);
  const bucket = buckets.get(name);
  if (!bucket) throw noSuchBucket();
  return bucket;
}

/** The object under `key`: `InvalidObjectName` or `NoSuchKey` otherwise. */
export function findObject<O>(bucket: { objects: SortedKeys<O> }, key: string): O {
  checkKey(key);
  const object = bucket.objects.get(key);
  if (!object) throw new StorageError("NoSuchKey", "The specified key does not exist.");
  return object;
}

/** The upload `uploadId` of `key`: `InvalidObjectName` or `NoSuchUpload` otherwise. */
export function findUpload<U extends { info: MultipartUploadInfo }>(
  bucket: { uploads: Map<string, U> },
  key: string,
  uploadId: string,
): U {
  checkKey(key);
  const upload = isUploadId(uploadId) ? bucket.uploads.get(uploadId) : undefined;
  if (!upload || upload.info.key !== key) throw noSuchUpload();
  return upload;
}

/** Whether a bucket holds objects or unfinished uploads, so it may not be deleted. */
export function isBucketInUse(bucket: IndexedBucketShape): boolean {
  return bucket.objects.size > 0 || bucket.uploads.size > 0;
}

/** Copies of all buckets' info, by name. */
export function listBucketInfos(buckets: Map<string, IndexedBucketShape>): BucketInfo[] {
  return [...buckets.values()].map((b) => ({ ...b.info }))
    .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** A copy of the info of bucket `name`, or `undefined` (also for an invalid name). */
export function bucketInfoOf(
  buckets: Map<string, IndexedBucketShape>,
  name: string,
): BucketInfo | undefined {
  const bucket = isBucketName(name) ? buckets.get(name) : undefined;
  return bucket ? { ...bucket.info } : undefined;
}

/** The listing entries of a bucket's objects under `prefix`, after `after`, in key order. */
export function* listedObjects(
  bucket: IndexedBucketShape,
  options: { prefix?: string; after?: string },
): Generator<ListedObject> {
  for (const [, object] of bucket.objects.list(options.prefix, options.after)) {
    const { key, size, etag, lastModified, storageClass, objectType } = object.meta;
    yield { key, size, etag, lastModified: new Date(lastModified), storageClass, objectType };
  }
}

/** Copies of an upload's parts, by part number. */
export function listedParts(upload: IndexedUploadShape): PartMeta[] {
  return [...upload.parts.values()]
    .map((p) => ({ ...p.meta }))
    .sort((a, b) => a.partNumber - b.partNumber);
}

/** Copies of a bucket's unfinished uploads, by key then initiation time. */
export function listedUploads(bucket: IndexedBucketShape): MultipartUploadInfo[] {
  return sortUploads([...bucket.uploads.values()].map((u) => copyUpload(u.info)));
}
