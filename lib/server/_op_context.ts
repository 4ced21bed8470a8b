/**
 * What every operation handler receives, and the request-reading helpers
 * they share (query values, bodies, copy sources).
 *
 * @module
 */

import type { Context } from "hono";
import { decodeComponent } from "./addressing.ts";
import type { OssRequestInfo } from "./request_info.ts";
import { ServerError } from "./server_error.ts";
import type { BodyInput, Storage } from "./storage.ts";
import { concatBytes } from "../_concat_bytes.ts";
import { ByteBudget } from "./_byte_budget.ts";
import { throttled } from "./_traffic_limit.ts";

/** Settings the handlers read. */
export interface OpSettings {
  /** Region without `oss-`, e.g. `cn-hangzhou`. */
  region: string;
  /** Owner ID written in listings and ACLs. */
  ownerId: string;
  /** Host names the server POSTs upload callbacks to (others fail with `CallbackFailed`). */
  callbackHosts: readonly string[];
  /** The largest an appendable object may grow, in bytes (OSS: 5 GB). */
  maxAppendableSize: number;
}

/** One request on its way through an operation handler. */
export interface OpContext {
  c: Context;
  info: OssRequestInfo;
  storage: Storage;
  settings: OpSettings;
  requestId: string;
  /** The request's `x-oss-traffic-limit` (bit/s), checked: its data bodies are paced to it. */
  trafficLimit?: number;
}

/** An operation handler: answers one OSS API call. */
export type OpHandler = (op: OpContext) => Promise<Response>;

/** The first value of query parameter `name` (`""` for a bare flag), or `undefined`. */
export function queryValue(op: OpContext, name: string): string | undefined {
  const pair = op.info.query.find(([k]) => k === name);
  return pair === undefined ? undefined : pair[1] ?? "";
}

/** The bucket of a bucket- or object-level operation. */
export function bucketOf(op: OpContext): string {
  return op.info.bucket!;
}

/** The key of an object-level operation. */
export function keyOf(op: OpContext): string {
  return op.info.key!;
}

/**
 * An integer query parameter within `[min, max]`, `fallback` when absent.
 * @throws {ServerError} `InvalidArgument` otherwise.
 */
export function intQuery(
  op: OpContext,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = queryValue(op, name);
  if (raw === undefined || raw === "") return fallback;
  const n = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) {
    throw new ServerError(
      400,
      "InvalidArgument",
      `Argument ${name} must be an integer between ${min} and ${max}.`,
      { ArgumentName: name, ArgumentValue: raw },
    );
  }
  return n;
}

/** OSS's cap on one PutObject / UploadPart body: 5 GB. */
export const MAX_OBJECT_BODY = 5 * 1024 ** 3;

/**
 * The request body as a {@linkcode BodyInput} for the storage: streamed,
 * with its declared length and `Content-MD5`.
 * @throws {ServerError} `InvalidArgument` for a malformed Content-Length,
 * `EntityTooLarge` above 5 GB.
 */
export function requestBody(op: OpContext): BodyInput {
  const raw = op.c.req.raw;
  const declared = raw.headers.get("content-length");
  let length: number | undefined;
  if (declared !== null) {
    if (!/^\d{1,16}$/.test(declared.trim())) {
      throw new ServerError(400, "InvalidArgument", "The Content-Length header is not valid.");
    }
    length = Number(declared.trim());
  }
  if (length !== undefined && length > MAX_OBJECT_BODY) {
    throw new ServerError(
      400,
      "EntityTooLarge",
      "Your proposed upload exceeds the maximum allowed size.",
      { MaxSizeAllowed: String(MAX_OBJECT_BODY), ProposedSize: String(length) },
    );
  }
  const body = raw.body ?? new ReadableStream<Uint8Array>({ start: (ctl) => ctl.close() });
  const stream = op.trafficLimit === undefined ? body : throttled(body, op.trafficLimit);
  const md5 = raw.headers.get("content-md5");
  return { stream, length, contentMd5: md5 === null ? undefined : md5.trim() };
}

/**
 * Bytes of small bodies (XML documents) read whole at once, across the process: two bodies of
 * the largest size (8 MiB, CompleteMultipartUpload). A body costs a few times its size while it
 * is read, decoded and parsed, so this bounds that memory; later bodies wait, unread, in their
 * sockets.
 */
const SMALL_BODIES = new ByteBudget(16 * 1024 * 1024);

/**
 * Reads a small request body (an XML document) whole, up to `limit` bytes, once
 * {@linkcode SMALL_BODIES} has room for it (its Content-Length, or `limit` when chunked).
 * @throws {ServerError} `InvalidArgument` when larger, `IncompleteBody` when cut short.
 */
export async function readSmallBody(op: OpContext, limit: number): Promise<Uint8Array> {
  const body = op.c.req.raw.body;
  if (!body) return new Uint8Array(0);
  const declaredText = op.c.req.raw.headers.get("content-length")?.trim();
  const declared = declaredText !== undefined && /^\d{1,16}$/.test(declaredText)
    ? Number(declaredText)
    : undefined;
  if (declared !== undefined && declared > limit) throw tooLarge(limit);
  const release = await SMALL_BODIES.reserve(declared ?? limit);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (err) {
        if (err instanceof ServerError) throw err; // the intake's RequestTimeout
        throw new ServerError(
          400,
          "IncompleteBody",
          "The request body could not be read to its end.",
        );
      }
      if (r.done) break;
      size += r.value.byteLength;
      if (size > limit) throw tooLarge(limit);
      chunks.push(r.value);
    }
    if (declared !== undefined && declared !== size) {
      throw new ServerError(
        400,
        "IncompleteBody",
        "The request body is shorter than its declared Content-Length.",
      );
    }
    return concatBytes(chunks);
  } finally {
    reader.releaseLock();
    release();
  }
}

function tooLarge(limit: number): ServerError {
  return new ServerError(
    400,
    "InvalidArgument",
    `The request body exceeds the ${limit} bytes allowed for this operation.`,
  );
}

/**
 * Parses `x-oss-copy-source: /bucket/key` (key URL-encoded; `+` is a space).
 * @throws {ServerError} `InvalidArgument` when malformed.
 */
export function copySource(value: string): { bucket: string; key: string } {
  const v = value.trim().replace(/\?versionId=.*$/, "");
  const path = v.startsWith("/") ? v.slice(1) : v;
  const slash = path.indexOf("/");
  if (slash <= 0 || slash === path.length - 1) {
    throw new ServerError(
      400,
      "InvalidArgument",
      "x-oss-copy-source must be /<bucket>/<key>, URL-encoded.",
      { ArgumentName: "x-oss-copy-source", ArgumentValue: value },
    );
  }
  return {
    bucket: decodeComponent(path.slice(0, slash)),
    key: decodeComponent(path.slice(slash + 1)),
  };
}
