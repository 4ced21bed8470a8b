/**
 * What `ossup sync` copies and deletes: the source's listing against the
 * destination's, file by relative path.
 *
 * By default a file is "changed" from the two listings alone, with no
 * request per file:
 * - its size differs, or
 * - going up (folder → OSS): the file was modified in a later second than
 *   the object's `LastModified` (the object is older than the file: the
 *   rule of ossutil's `cp -u`, which skips a file whose object was written
 *   at or after its mtime); between two prefixes in OSS likewise, the
 *   source object's `LastModified` against its copy's;
 * - coming down (OSS → folder): the file's mtime, in whole seconds, is not
 *   the object's `LastModified` (downloads give the file that mtime, so
 *   anything else means the object or the file changed since).
 *
 * `LastModified` has whole seconds: a file rewritten with the same size in
 * the second its object was written, or given an older mtime (`cp -p`,
 * `touch -d`), looks unchanged; `--checksum` compares content instead:
 * the same size and the same CRC-64 (the local file's computed, the
 * object's `x-oss-hash-crc64ecma` by HeadObject, one per same-size file,
 * as ListObjects does not return it). An object without a CRC-64 is
 * copied.
 *
 * @module
 */

import { open } from "node:fs/promises";
import { join } from "node:path";
import type { Bucket } from "../client/bucket.ts";
import { Crc64 } from "../crc64/crc64.ts";
import type { TreeEntry, TreeListing } from "./tree_walk.ts";

/** Why a file is copied: missing, another size, another time, other content. */
export type SyncReason = "new" | "size" | "time" | "content";

/** One file to copy, and why. */
export interface SyncCopy {
  /** The source's entry. */
  entry: TreeEntry;
  /** Why. */
  reason: SyncReason;
}

/** What a sync does. */
export interface SyncDecision {
  /** Files to copy, in the source's order. */
  copy: SyncCopy[];
  /** Files the destination has the same. */
  unchanged: number;
  /** Destination files the source does not have (deleted only with `--delete`). */
  extra: TreeEntry[];
}

/** Says whether a same-size pair has the same content. */
export type SameContent = (source: TreeEntry, destination: TreeEntry) => Promise<boolean>;

/** Options of {@linkcode planSync}. */
export interface SyncPlanOptions {
  /** Which way: `"up"` (folder → OSS), `"down"`, or `"copy"` (OSS → OSS). */
  direction: "up" | "down" | "copy";
  /** Compare content, not times (`--checksum`); `undefined`: listings only. */
  sameContent?: SameContent;
  /** Content comparisons at once. */
  jobs: number;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** The listing rule (see the module's doc); `undefined` when the pair looks the same. */
function listedChange(
  direction: SyncPlanOptions["direction"],
  source: TreeEntry,
  destination: TreeEntry,
): SyncReason | undefined {
  if (source.size !== destination.size) return "size";
  const [from, to] = [seconds(source.mtimeMs), seconds(destination.mtimeMs)];
  // A download gives its file the object's time; an upload or a copy makes a newer object.
  const changed = direction === "down" ? from !== to : from > to;
  return changed ? "time" : undefined;
}

/**
 * Compares the two sides of a sync.
 *
 * @param source The source's listing.
 * @param destination The destination's listing (empty when it does not exist).
 * @param o Direction, the content comparison, how many at once.
 * @returns What to copy, how many are the same, what the source lacks.
 */
export async function planSync(
  source: TreeListing,
  destination: TreeListing,
  o: SyncPlanOptions,
): Promise<SyncDecision> {
  const there = new Map(destination.entries.map((e) => [e.rel, e]));
  const reasons: (SyncReason | undefined)[] = new Array(source.entries.length);
  const toCompare: number[] = [];
  source.entries.forEach((e, i) => {
    const d = there.get(e.rel);
    if (d === undefined) reasons[i] = "new";
    else if (e.size !== d.size) reasons[i] = "size";
    else if (o.sameContent) toCompare.push(i);
    else reasons[i] = listedChange(o.direction, e, d);
  });
  let next = 0;
  const compare = async () => {
    while (next < toCompare.length) {
      const i = toCompare[next++];
      const e = source.entries[i];
      if (!await o.sameContent!(e, there.get(e.rel)!)) reasons[i] = "content";
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, toCompare.length) }, compare));
  const copy: SyncCopy[] = [];
  source.entries.forEach((entry, i) => {
    const reason = reasons[i];
    if (reason !== undefined) copy.push({ entry, reason });
  });
  const inSource = new Set(source.entries.map((e) => e.rel));
  return {
    copy,
    unchanged: source.entries.length - copy.length,
    extra: destination.entries.filter((e) => !inSource.has(e.rel)),
  };
}

/**
 * The CRC-64 of a local file, read 1 MiB at a time.
 *
 * @param path The file.
 * @returns Its CRC-64/ECMA (OSS's).
 */
export async function fileCrc64(path: string): Promise<bigint> {
  const file = await open(path, "r");
  try {
    const crc = new Crc64();
    const buffer = new Uint8Array(1024 * 1024);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return crc.digest();
      crc.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
}

/**
 * `--checksum`'s comparison: the local file's CRC-64 against the object's
 * (HeadObject's `x-oss-hash-crc64ecma`).
 *
 * @param bucket The bucket.
 * @param root The local folder.
 * @param prefix The key prefix.
 * @returns The comparison (for either direction: the pair is a file and an object).
 */
export function crc64Comparison(bucket: Bucket, root: string, prefix: string): SameContent {
  return async (e) => {
    const [local, head] = await Promise.all([
      fileCrc64(join(root, ...e.rel.split("/"))),
      bucket.headObject(prefix + e.rel),
    ]);
    return head.crc64 !== undefined && head.crc64 === local;
  };
}

/**
 * `--checksum`'s comparison between two prefixes in OSS: the source object's CRC-64 against its
 * copy's, both by HeadObject (ListObjects does not return it).
 *
 * @param source The source bucket.
 * @param sourcePrefix Its key prefix.
 * @param target The destination bucket.
 * @param targetPrefix Its key prefix.
 * @returns The comparison.
 */
export function objectCrc64Comparison(
  source: Bucket,
  sourcePrefix: string,
  target: Bucket,
  targetPrefix: string,
): SameContent {
  return async (e) => {
    const [from, to] = await Promise.all([
      source.headObject(sourcePrefix + e.rel),
      target.headObject(targetPrefix + e.rel),
    ]);
    return from.crc64 !== undefined && from.crc64 === to.crc64;
  };
}
