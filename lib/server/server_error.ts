/**
 * OSS error answers of the local server: a `ServerError` thrown anywhere in
 * the request path becomes OSS's error XML (`Code`, `Message`, `RequestId`,
 * `HostId`, then any extras such as `Key` or `UploadId`) with its HTTP status
 * and an `x-oss-request-id` header.
 *
 * @module
 */

import { OssupError } from "../errors/errors.ts";
import { buildXml } from "../xml/xml.ts";

/**
 * An error the server answers with, as OSS would.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ServerError } from "./server_error.ts";
 *
 * const err = new ServerError(404, "NoSuchKey", "The specified key does not exist.", { Key: "a.txt" });
 * assert.equal(err.status, 404);
 * assert.equal(err.code, "NoSuchKey");
 * assert.deepEqual(err.extra, { Key: "a.txt" }); // written after HostId
 * ```
 */
export class ServerError extends OssupError {
  /** HTTP status, e.g. `404`. */
  readonly status: number;
  /** Extra elements written after `HostId`, in order (e.g. `{ Key: "a.txt" }`). */
  readonly extra: Record<string, string>;
  /** Extra response headers (e.g. `Allow` for MethodNotAllowed). */
  readonly headers: Record<string, string>;

  /**
   * @param status HTTP status.
   * @param code OSS error code.
   * @param message OSS-style message.
   * @param extra Extra elements of the error body.
   * @param headers Extra response headers.
   */
  constructor(
    status: number,
    code: string,
    message: string,
    extra?: Record<string, string>,
    headers?: Record<string, string>,
  ) {
    super(code, message);
    this.name = "ServerError";
    this.status = status;
    this.extra = extra ?? {};
    this.headers = headers ?? {};
  }
}

/**
 * A fresh request ID in OSS's form: 24 upper-case hex characters.
 *
 * @returns The ID.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newRequestId } from "./server_error.ts";
 *
 * assert.match(newRequestId(), /^[0-9A-F]{24}$/); // e.g. "5C3D9175B6FC201293AD4890"
 * ```
 */
export function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s.toUpperCase();
}

/** Where an error answer happened: identifies the request in the body and headers. */
export interface ErrorContext {
  /** The request's `x-oss-request-id`. */
  requestId: string;
  /** `HostId` of the body: the host the request addressed, e.g. `bucket.oss-cn-hangzhou.aliyuncs.com`. */
  hostId: string;
  /** The request method; HEAD answers carry no body. */
  method?: string;
}

/**
 * The OSS error XML body of `err`.
 *
 * @param err The error.
 * @param ctx The request it answers.
 * @returns The document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderErrorXml, ServerError } from "./server_error.ts";
 *
 * const xml = renderErrorXml(new ServerError(404, "NoSuchBucket", "The specified bucket does not exist."), {
 *   requestId: "5C3D9175B6FC201293AD0000",
 *   hostId: "b.oss-cn-hangzhou.aliyuncs.com",
 * });
 * assert.equal(
 *   xml,
 *   '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchBucket</Code>' +
 *     "<Message>The specified bucket does not exist.</Message>" +
 *     "<RequestId>5C3D9175B6FC201293AD0000</RequestId><HostId>b.oss-cn-hangzhou.aliyuncs.com</HostId></Error>",
 * );
 * ```
 */
export function renderErrorXml(err: ServerError, ctx: ErrorContext): string {
  return buildXml("Error", {
    Code: err.code,
    Message: err.message,
    RequestId: ctx.requestId,
    HostId: ctx.hostId,
    ...err.extra,
  });
}

/**
 * The HTTP answer for `err`: status, OSS error XML, `x-oss-request-id`,
 * `Content-Type: application/xml`, `Server: AliyunOSS` and `Date`. HEAD answers
 * carry no body; the XML goes base64-encoded in `x-oss-err` instead, as OSS sends it.
 *
 * @param err The error.
 * @param ctx The request it answers.
 * @returns The response.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorResponse, ServerError } from "./server_error.ts";
 *
 * const res = errorResponse(new ServerError(403, "AccessDenied", "Anonymous access is forbidden."), {
 *   requestId: "5C3D9175B6FC201293AD0000",
 *   hostId: "127.0.0.1",
 * });
 * assert.equal(res.status, 403);
 * assert.equal(res.headers.get("x-oss-request-id"), "5C3D9175B6FC201293AD0000");
 * assert.match(await res.text(), /<Code>AccessDenied<\/Code>/);
 * ```
 */
export function errorResponse(err: ServerError, ctx: ErrorContext): Response {
  const headers = new Headers({
    "content-type": "application/xml",
    "x-oss-request-id": ctx.requestId,
    "server": "AliyunOSS",
    "date": new Date().toUTCString(),
  });
  if (err.extra.EC) headers.set("x-oss-ec", err.extra.EC);
  for (const [k, v] of Object.entries(err.headers)) headers.set(k, v);
  if (err.status === 304) {
    headers.delete("content-type");
    return new Response(null, { status: err.status, headers });
  }
  if (ctx.method === "HEAD") {
    // A HEAD answer has no body: OSS repeats the error XML, base64, in `x-oss-err`
    // (the Go SDK v2 and Python SDK v2 read the code and message from it).
    headers.set("content-length", "0");
    headers.delete("content-type");
    headers.set("x-oss-err", errHeaderValue(renderErrorXml(err, ctx)));
    return new Response(null, { status: err.status, headers });
  }
  return new Response(renderErrorXml(err, ctx), { status: err.status, headers });
}

/** Base64 of the UTF-8 bytes of `xml`: the `x-oss-err` header value. */
function errHeaderValue(xml: string): string {
  const bytes = new TextEncoder().encode(xml);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
