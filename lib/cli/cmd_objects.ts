/**
 * The object and bucket commands: `ossup rm` (and `rm -r`, `rm -m`), `ossup mb`, `ossup presign`.
 *
 * @module
 */

import type { Bucket } from "../client/bucket.ts";
import type { OssClient } from "../client/oss_client.ts";
import { OssError } from "../errors/errors.ts";
import { parseWhole } from "../command_line/flags.ts";
import type { CliContext } from "./cli_context.ts";
import { CliError, EXIT, UsageError } from "./cli_error.ts";
import { MAX_KEYS_PER_DELETE } from "../client/bucket_delete_objects.ts";
import { type OssUrl, parseObjectUrl, parseOssUrl } from "./oss_url.ts";
import { formatBytes, parseAge } from "./units.ts";

/**
 * `ossup rm oss://bucket/key` deletes an object; `ossup rm --bucket oss://bucket` an empty bucket;
 * `ossup rm -r oss://bucket/prefix` every object under the prefix (`--dry-run`: list them);
 * `ossup rm -m oss://bucket[/prefix] [--older-than 24h]` aborts the unfinished multipart
 * uploads under the prefix (ossutil's `rm -m`), saying how many and the bytes their parts held.
 * A key that does not exist is not an error (exit 0, as with ossutil): it
 * says "did not exist; nothing removed" (`"existed": false` with `--json`).
 *
 * @param ctx The command context.
 * @param target The URL.
 * @returns The exit code.
 */
export async function rmCommand(ctx: CliContext, target: string): Promise<number> {
  const conn = await ctx.connect();
  if (ctx.args.booleans.get("bucket")) {
    const url = parseOssUrl(target);
    if (url.key !== "") throw new UsageError(`rm --bucket takes oss://bucket, not a key`);
    const r = await conn.client.deleteBucket(url.bucket);
    report(ctx, `removed bucket oss://${url.bucket}`, { bucket: url.bucket }, r.requestId);
    return EXIT.ok;
  }
  if (ctx.args.booleans.get("recursive")) return await removePrefix(ctx, parseOssUrl(target));
  if (ctx.args.booleans.get("multipart")) {
    const url = parseOssUrl(target);
    const olderThan = olderThanFlag(ctx.args.strings.get("older-than"));
    const bucket = await conn.bucket(url.bucket, false);
    const r = await bucket.abortMultipartUploads({ prefix: url.key, olderThan });
    report(
      ctx,
      `aborted ${r.uploadsAborted} unfinished multipart upload${
        r.uploadsAborted === 1 ? "" : "s"
      }` +
        ` under oss://${url.bucket}/${url.key}, freeing ${formatBytes(r.bytesFreed)}`,
      {
        bucket: url.bucket,
        prefix: url.key,
        uploadsAborted: r.uploadsAborted,
        bytesFreed: r.bytesFreed,
      },
    );
    return EXIT.ok;
  }
  if (parseOssUrl(target).key === "") {
    throw new UsageError(
      `${target} names no object; to remove every object under a prefix use rm -r, ` +
        "an empty bucket rm --bucket, its unfinished multipart uploads rm -m",
    );
  }
  const url = parseObjectUrl(target);
  const bucket = await conn.bucket(url.bucket, false);
  const existed = await objectExists(bucket, url.key);
  const name = `oss://${url.bucket}/${url.key}`;
  if (existed === false) {
    report(ctx, `${name} did not exist; nothing removed`, {
      bucket: url.bucket,
      key: url.key,
      existed,
    });
    return EXIT.ok;
  }
  const r = await bucket.deleteObject(url.key);
  report(
    ctx,
    existed
      ? `removed ${name}`
      : `removed ${name} (whether it existed is unknown: HEAD was refused)`,
    { bucket: url.bucket, key: url.key, existed: existed ?? null },
    r.requestId,
  );
  return EXIT.ok;
}

/** `--older-than AGE` in milliseconds; a usage error for what is not an age. */
function olderThanFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseAge(text);
  } catch (err) {
    throw new UsageError(`--older-than: ${(err as Error).message}`);
  }
}

/**
 * `ossup rm -r oss://bucket/prefix`: every object whose key starts with the prefix (as
 * ossutil's `rm -r`), listed a page at a time and deleted 1,000 keys a request
 * (DeleteMultipleObjects); memory holds one batch. `--dry-run` lists them and deletes nothing.
 */
async function removePrefix(ctx: CliContext, url: OssUrl): Promise<number> {
  const dryRun = ctx.args.booleans.get("dry-run") === true;
  const conn = await ctx.connect();
  const bucket = await conn.bucket(url.bucket, false);
  const where = `oss://${url.bucket}/${url.key}`;
  let removed = 0;
  let requests = 0;
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const r = await bucket.deleteObjects(batch);
    removed += r.deleted.length;
    requests += r.requests;
    batch = [];
  };
  // Deleting keys already listed does not move the listing: its marker is the last key seen.
  for await (const o of bucket.listObjects({ prefix: url.key || undefined })) {
    if (dryRun) {
      removed++;
      if (!ctx.json && !ctx.quiet) ctx.out(`would remove oss://${url.bucket}/${o.key}\n`);
      continue;
    }
    batch.push(o.key);
    if (batch.length === MAX_KEYS_PER_DELETE) await flush();
  }
  await flush();
  const s = removed === 1 ? "" : "s";
  report(
    ctx,
    dryRun
      ? `would remove ${removed} object${s} under ${where} (--dry-run: nothing removed)`
      : `removed ${removed} object${s} under ${where} in ${requests} request${
        requests === 1 ? "" : "s"
      }`,
    dryRun
      ? { bucket: url.bucket, prefix: url.key, dryRun, objects: removed }
      : { bucket: url.bucket, prefix: url.key, removed, requests },
  );
  return EXIT.ok;
}

/**
 * Whether `key` exists, by HEAD: OSS's DeleteObject answers 204 whether or
 * not it did, so `rm` asks first (as ossutil's `rm` does, lib/rm.go). A key
 * allowed to delete but not to read gets 403 on HEAD: `undefined`, unknown.
 */
async function objectExists(bucket: Bucket, key: string): Promise<boolean | undefined> {
  try {
    await bucket.headObject(key);
    return true;
  } catch (err) {
    // A missing bucket is an error, as DeleteObject would have said.
    if (err instanceof OssError && err.status === 404 && err.code !== "NoSuchBucket") return false;
    if (err instanceof OssError && err.status === 403) return undefined;
    throw err;
  }
}

/**
 * `ossup mb oss://bucket` creates a bucket.
 *
 * @param ctx The command context.
 * @param target The URL.
 * @returns The exit code.
 */
export async function mbCommand(ctx: CliContext, target: string): Promise<number> {
  const url = parseOssUrl(target);
  if (url.key !== "") throw new UsageError(`mb takes oss://bucket, not a key`);
  const conn = await ctx.connect();
  const alreadyYours = () =>
    new CliError(
      EXIT.oss,
      `oss://${url.bucket} already exists and is yours (ossup ls lists it); nothing was changed`,
    );
  // OSS answers a PutBucket on your own bucket with success (and applies its ACL), so ask
  // first: "created" would be untrue, and "already exists" is what the user needs to hear.
  if (await ownsBucket(conn.client, url.bucket)) throw alreadyYours();
  let r;
  try {
    r = await conn.client.createBucket(url.bucket);
  } catch (err) {
    // Made by us between the check and the create: still ours, still not created now.
    if (
      err instanceof OssError && err.code === "BucketAlreadyExists" &&
      await ownsBucket(conn.client, url.bucket)
    ) throw alreadyYours();
    throw err;
  }
  report(ctx, `created bucket oss://${url.bucket}`, { bucket: url.bucket }, r.requestId);
  return EXIT.ok;
}

/** Whether `name` is among the caller's buckets (false when they cannot be listed). */
async function ownsBucket(client: OssClient, name: string): Promise<boolean> {
  try {
    const page = await client.listBucketsPage({ prefix: name, maxKeys: 1 });
    return page.buckets.some((b) => b.name === name);
  } catch {
    return false;
  }
}

/**
 * `ossup presign oss://bucket/key [--expires 3600] [--method GET] [--content-type TYPE]`
 * prints a presigned URL; with `--content-type` the type is signed, and whoever uses the URL
 * sends that `Content-Type`.
 *
 * @param ctx The command context.
 * @param target The URL.
 * @returns The exit code.
 */
export async function presignCommand(ctx: CliContext, target: string): Promise<number> {
  const url = parseObjectUrl(target);
  const expiresText = ctx.args.strings.get("expires");
  const expires = expiresText === undefined
    ? 3600
    : parseWhole("expires", expiresText, 1, 7 * 24 * 3600);
  const method = (ctx.args.strings.get("method") ?? "GET").toUpperCase();
  // Signed: whoever uses the URL must send this very Content-Type (and curl sends one).
  const contentType = ctx.args.strings.get("content-type");
  if (!["GET", "PUT", "HEAD", "DELETE"].includes(method)) {
    throw new UsageError(`--method must be GET, PUT, HEAD or DELETE`);
  }
  const conn = await ctx.connect();
  const bucket = await conn.bucket(url.bucket, false);
  const signed = await bucket.presignUrl(url.key, {
    expires,
    method: method as "GET" | "PUT" | "HEAD" | "DELETE",
    contentType,
  });
  if (conn.local && !conn.local.shared && !ctx.quiet) {
    ctx.err(
      "ossup: note: this URL works only while a local server runs at that address; " +
        "run `ossup serve` to keep one up\n",
    );
  }
  ctx.out(ctx.json ? JSON.stringify({ url: signed, expires, method }) + "\n" : signed + "\n");
  return EXIT.ok;
}

function report(ctx: CliContext, line: string, json: object, requestId?: string): void {
  const id = ctx.verbose && requestId ? { requestId } : {};
  if (ctx.json) ctx.out(JSON.stringify({ ...json, ...id }) + "\n");
  else if (!ctx.quiet) ctx.out(line + "\n");
  if (!ctx.json && ctx.verbose && requestId) ctx.err(`ossup: request ID ${requestId}\n`);
}
