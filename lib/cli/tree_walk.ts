/**
 * The two sides of a tree transfer, listed: the regular files under a local
 * folder, or the objects under an OSS prefix, each with the relative path
 * (`/`-separated whatever the OS) it keeps on the other side.
 *
 * A listing holds paths, sizes and versions, never bodies (a few hundred
 * bytes a file): knowing every file before the first one goes lets the
 * progress show totals and an ETA.
 *
 * Choices, as documented in `ossup --help`: a symbolic link to a file is
 * followed (its target's bytes go up under the link's name, as ossutil
 * does); a link to a folder is not followed (a link back up would loop) and
 * a broken link, a FIFO, socket or device is skipped; each skip is said.
 * Empty folders are not stored (OSS has no folders); on the way down, a
 * `dir/` marker object makes the folder.
 *
 * @module
 */

import { lstat, opendir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Bucket } from "../client/bucket.ts";

/** A file or object to transfer. */
export interface TreeEntry {
  /** Path relative to the tree's root, `/`-separated. */
  rel: string;
  /** Bytes. */
  size: number;
  /** What says it is still the same file: `size:mtimeMs` locally, the ETag of an object. */
  version: string;
  /** Last written, ms since the epoch: a file's mtime, an object's `LastModified` (whole seconds). */
  mtimeMs: number;
}

/** Something the walk left out, and why. */
export interface TreeSkip {
  /** The relative path. */
  rel: string;
  /** Why, as a clause. */
  reason: string;
}

/** What a walk found. */
export interface TreeListing {
  /** What to transfer, in a stable order. */
  entries: TreeEntry[];
  /** What was left out. */
  skipped: TreeSkip[];
  /** Folder markers (`dir/` objects) under a prefix, relative; downloads make them. */
  folders: string[];
}

/** Options of the walks. */
export interface WalkOptions {
  /** Whether a relative path is kept (`--include`/`--exclude`). */
  keep: (rel: string) => boolean;
  /** Absolute paths never listed (the journal and its lock, when inside the tree). */
  ignore?: (path: string) => boolean;
}

/** Names a special file; from lstat, as some runtimes' directory entries do not tell them apart. */
async function specialKind(path: string): Promise<string> {
  const d = await lstat(path);
  if (d.isFIFO()) return "a FIFO";
  if (d.isSocket()) return "a socket";
  if (d.isBlockDevice()) return "a block device";
  return d.isCharacterDevice() ? "a character device" : "a special file";
}

/**
 * Lists the regular files under `root`, depth first, names in code-point order.
 *
 * @param root The folder.
 * @param o Filter and paths to ignore.
 * @returns The files and what was skipped.
 */
export async function walkLocalTree(root: string, o: WalkOptions): Promise<TreeListing> {
  const listing: TreeListing = { entries: [], skipped: [], folders: [] };
  const folders: string[] = [""];
  while (folders.length > 0) {
    const rel = folders.pop()!;
    const names: { name: string; kind: "file" | "dir" | "link" | "other" }[] = [];
    for await (const d of await opendir(join(root, rel))) {
      const kind = d.isFile()
        ? "file"
        : d.isDirectory()
        ? "dir"
        : d.isSymbolicLink()
        ? "link"
        : "other";
      names.push({ name: d.name, kind });
    }
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subfolders: string[] = [];
    for (const n of names) {
      const childRel = rel === "" ? n.name : `${rel}/${n.name}`;
      const path = join(root, childRel);
      if (o.ignore?.(path)) continue;
      if (n.kind === "dir") {
        subfolders.push(childRel);
        continue;
      }
      if (!o.keep(childRel)) continue;
      if (n.kind === "other") {
        listing.skipped.push({
          rel: childRel,
          reason: `${await specialKind(path)}, not a regular file`,
        });
        continue;
      }
      const info = await stat(path).catch(() => undefined);
      if (info === undefined) {
        listing.skipped.push({ rel: childRel, reason: "a broken symbolic link" });
      } else if (info.isDirectory()) {
        listing.skipped.push({
          rel: childRel,
          reason: "a symbolic link to a folder (not followed)",
        });
      } else if (!info.isFile()) {
        listing.skipped.push({ rel: childRel, reason: "a link to something not a regular file" });
      } else {
        listing.entries.push({
          rel: childRel,
          size: info.size,
          version: `${info.size}:${Math.trunc(info.mtimeMs)}`,
          mtimeMs: info.mtimeMs,
        });
      }
    }
    // Popped last-first: push in reverse so folders come out in name order.
    folders.push(...subfolders.reverse());
  }
  return listing;
}

/**
 * Whether a key's path below the prefix can be a local path inside the
 * destination: no empty, `.` or `..` segment, no backslash or NUL (a key
 * like `../../etc/x` must not write outside the folder).
 */
export function safeRelativePath(rel: string): boolean {
  return rel !== "" && !/[\\\0]/.test(rel) &&
    rel.split("/").every((s) => s !== "" && s !== "." && s !== "..");
}

/**
 * Lists the objects under `prefix` (which ends in `/` or is empty).
 *
 * @param bucket The bucket.
 * @param prefix The prefix.
 * @param o Filter.
 * @returns The objects, what was skipped (keys that cannot be local paths), and folder markers.
 */
export async function walkRemoteTree(
  bucket: Bucket,
  prefix: string,
  o: WalkOptions,
): Promise<TreeListing> {
  const listing: TreeListing = { entries: [], skipped: [], folders: [] };
  for await (const obj of bucket.listObjects({ prefix: prefix || undefined })) {
    let rel = obj.key.slice(prefix.length);
    if (rel.endsWith("/") && obj.size === 0) {
      rel = rel.slice(0, -1);
      if (rel !== "" && safeRelativePath(rel)) listing.folders.push(rel);
      continue;
    }
    if (!o.keep(rel)) continue;
    if (!safeRelativePath(rel)) {
      listing.skipped.push({
        rel: obj.key,
        reason:
          "the key cannot be a path inside the folder (an empty, . or .. segment, or a backslash)",
      });
      continue;
    }
    listing.entries.push({
      rel,
      size: obj.size,
      version: obj.etag,
      mtimeMs: obj.lastModified.getTime(),
    });
  }
  return listing;
}
