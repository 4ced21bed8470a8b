/**
 * A signing route for browsers: the page describes one OSS request it wants
 * to make, the route checks it may (an upload ticket for that bucket and key,
 * an upload operation, the application's own `authorize`), signs it with
 * credentials only the server holds, and answers with the headers to add.
 * The access key secret never leaves the server.
 *
 * The client side is `remoteSigner` (core): `POST /sign` with
 * `x-ossup-ticket: <ticket>` and `{ method, bucket, key, query, headers }`;
 * the answer is `{ headers: { authorization, "x-oss-date", ... } }`, or with
 * `"presign": true` in the request, `{ query: [[name, value]] }` to append
 * to the URL. Refusals are `403 { "error": "SigningRefused" }`, with no detail.
 *
 * @module
 */

import { Hono } from "hono";
import { CredentialsCache, type OssCredentialsProvider } from "../client/credentials.ts";
import { isSignedHeader, TICKET_HEADER } from "../client/remote_signer.ts";
import {
  type OssCredentials,
  presignV1,
  presignV4,
  type RequestToSign,
  signV1,
  signV4,
} from "../signing/signing.ts";
import type { FetchHandler } from "./listen.ts";
import { operationOf } from "./operation.ts";
import { UPLOAD_SIGNABLE_OPERATIONS } from "../client/operations.ts";
import type { UploadTicket, UploadTickets } from "./upload_tickets.ts";

/**
 * One request the page asks to have signed, as {@linkcode SigningRouteOptions.authorize} sees it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allowUploads, type SigningRequest } from "@ossup/ossup/server";
 *
 * const req: SigningRequest = {
 *   method: "PUT",
 *   bucket: "uploads",
 *   key: "user-7/video.mp4",
 *   query: [["partNumber", "3"], ["uploadId", "0004B9..."]],
 *   headers: new Headers({ "content-type": "video/mp4" }),
 *   operation: "UploadPart",
 * };
 * assert.equal(allowUploads(req), true);
 * assert.equal(allowUploads({ ...req, method: "DELETE", query: [], operation: "DeleteObject" }), false);
 * ```
 */
export interface SigningRequest extends RequestToSign {
  /** OSS API name, e.g. `"UploadPart"`. */
  operation: string;
}

/**
 * What else {@linkcode SigningRouteOptions.authorize} gets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSigningRoute, type SigningContext, UploadTickets } from "@ossup/ossup/server";
 *
 * const tickets = new UploadTickets({ secret: "at least thirty-two characters of secret" });
 * const seen: string[] = [];
 * const signing = createSigningRoute({
 *   credentials: { accessKeyId: "ak", accessKeySecret: "sk" },
 *   region: "cn-hangzhou",
 *   tickets,
 *   authorize: (_req, ctx: SigningContext) => {
 *     seen.push(`${ctx.ticket?.key} ${ctx.request.headers.get("x-ossup-ticket") !== null}`);
 *     return ctx.ticket !== undefined;
 *   },
 * });
 * // What remoteSigner sends for part 3 of an upload to uploads/user-7/video.mp4:
 * const ask = (ticket: string) =>
 *   new Request("http://127.0.0.1/api/oss/sign", {
 *     method: "POST",
 *     headers: { "x-ossup-ticket": ticket, "content-type": "application/json" },
 *     body: JSON.stringify({
 *       method: "PUT",
 *       bucket: "uploads",
 *       key: "user-7/video.mp4",
 *       query: [["partNumber", "3"], ["uploadId", "0004B9"]],
 *       headers: {},
 *     }),
 *   });
 * const res = await signing.fetch(ask(await tickets.issue({ bucket: "uploads", key: "user-7/video.mp4" })));
 * assert.equal(res.status, 200);
 * await res.body?.cancel();
 * assert.deepEqual(seen, ["user-7/video.mp4 true"]);
 * ```
 */
export interface SigningContext {
  /** The verified upload ticket, when the route has `tickets`. */
  ticket?: UploadTicket;
  /** The signing request itself (cookies, other headers). */
  request: Request;
  /**
   * What the caller passed to {@linkcode SigningRoute.fetch} after the
   * request: a Worker's bindings, or the Hono context when mounted as
   * `(c) => signing.fetch(c.req.raw, c)`, for what middleware stored.
   */
  env: unknown;
}

/**
 * What {@linkcode createSigningRoute} returns: a request handler for any
 * framework or runtime.
 *
 * @example Mounted in a Hono app
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { createSigningRoute, type SigningRoute, UploadTickets } from "@ossup/ossup/server";
 *
 * const tickets = new UploadTickets({ secret: "at least thirty-two characters of secret" });
 * const signing: SigningRoute = createSigningRoute({
 *   credentials: { accessKeyId: "ak", accessKeySecret: "sk" },
 *   region: "cn-hangzhou",
 *   tickets,
 * });
 * const app = new Hono();
 * app.post("/api/oss/sign", (c) => signing.fetch(c.req.raw, c));
 *
 * // What remoteSigner sends for part 3 of an upload to uploads/user-7/video.mp4:
 * const ask = (ticket: string) =>
 *   new Request("http://127.0.0.1/api/oss/sign", {
 *     method: "POST",
 *     headers: { "x-ossup-ticket": ticket, "content-type": "application/json" },
 *     body: JSON.stringify({
 *       method: "PUT",
 *       bucket: "uploads",
 *       key: "user-7/video.mp4",
 *       query: [["partNumber", "3"], ["uploadId", "0004B9"]],
 *       headers: {},
 *     }),
 *   });
 * const res = await app.fetch(ask(await tickets.issue({ bucket: "uploads", key: "user-7/video.mp4" })));
 * const { headers } = await res.json();
 * assert.match(headers.authorization, /^OSS4-HMAC-SHA256 Credential=ak\//);
 * ```
 */
export interface SigningRoute {
  /**
   * Answers one signing request: a `POST`, at whatever path it is mounted
   * (other methods get 404). The second argument reaches `authorize` as
   * {@linkcode SigningContext.env}.
   */
  fetch: FetchHandler;
}

/**
 * Options of {@linkcode createSigningRoute}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSigningRoute, type SigningRouteOptions, UploadTickets } from "@ossup/ossup/server";
 *
 * const options: SigningRouteOptions = {
 *   credentials: { accessKeyId: "ak", accessKeySecret: "sk" },
 *   region: "cn-hangzhou",
 *   tickets: new UploadTickets({ secret: "at least thirty-two characters of secret" }),
 * };
 * const signing = createSigningRoute(options);
 * // What remoteSigner sends for part 3 of an upload to uploads/user-7/video.mp4:
 * const ask = (ticket: string) =>
 *   new Request("http://127.0.0.1/api/oss/sign", {
 *     method: "POST",
 *     headers: { "x-ossup-ticket": ticket, "content-type": "application/json" },
 *     body: JSON.stringify({
 *       method: "PUT",
 *       bucket: "uploads",
 *       key: "user-7/video.mp4",
 *       query: [["partNumber", "3"], ["uploadId", "0004B9"]],
 *       headers: {},
 *     }),
 *   });
 * const res = await signing.fetch(ask("not a ticket"));
 * assert.equal(res.status, 403); // no detail given
 * assert.deepEqual(await res.json(), { error: "SigningRefused" });
 * ```
 */
export interface SigningRouteOptions {
  /** Who signs: a key pair, or a provider of STS credentials (cached, refreshed). */
  credentials: OssCredentials | OssCredentialsProvider;
  /** The region of the OSS endpoint the page talks to, e.g. `"cn-hangzhou"`. Needed for V4. */
  region?: string;
  /** Signature version. Default `"v4"`. */
  signatureVersion?: "v4" | "v1";
  /**
   * Verifies the upload ticket (`x-ossup-ticket` header) of every request:
   * without a valid, unexpired ticket for the request's bucket and key, the
   * route refuses. Issue tickets from your own session route.
   */
  tickets?: UploadTickets;
  /**
   * Decides whether to sign; anything but `true` refuses (403). Called after
   * the ticket check. Default (only with `tickets`): {@linkcode allowUploads}.
   * Required without `tickets`.
   */
  authorize?: (
    request: SigningRequest,
    context: SigningContext,
  ) => boolean | Promise<boolean>;
  /** Validity of presigned URLs (`"presign": true`), in seconds. Default 300. */
  expiresSeconds?: number;
  /** Milliseconds since the epoch; the signing time. Default `Date.now`. */
  now?: () => number;
}

/**
 * The operations an upload needs (ossup's `uploadFile` and `uploadStream`):
 * what {@linkcode allowUploads} signs; the rows of the operation table marked
 * `uploadSignable`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UPLOAD_OPERATIONS } from "@ossup/ossup/server";
 *
 * assert.equal(UPLOAD_OPERATIONS.has("UploadPart"), true);
 * assert.equal(UPLOAD_OPERATIONS.has("GetObject"), false);
 * ```
 */
export const UPLOAD_OPERATIONS: ReadonlySet<string> = UPLOAD_SIGNABLE_OPERATIONS;

/** Largest signing request body accepted. */
const MAX_BODY_BYTES = 64 * 1024;

/** Headers the route sets itself: a page may not choose them. */
const SERVER_SET = new Set([
  "authorization",
  "date",
  "x-oss-date",
  "x-oss-content-sha256",
  "x-oss-security-token",
]);

/**
 * The default policy with tickets: upload operations only, and no ACL that
 * would make the object public.
 *
 * @param request The request to sign.
 * @returns Whether to sign it.
 *
 * @example Add a size cap on top
 * ```ts
 * import assert from "node:assert/strict";
 * import { allowUploads, createSigningRoute, UploadTickets } from "@ossup/ossup/server";
 *
 * const tickets = new UploadTickets({ secret: "at least thirty-two characters of secret" });
 * const signing = createSigningRoute({
 *   credentials: { accessKeyId: "ak", accessKeySecret: "sk" },
 *   region: "cn-hangzhou",
 *   tickets,
 *   authorize: (req) =>
 *     allowUploads(req) &&
 *     Number(req.query.find(([k]) => k === "partNumber")?.[1] ?? 1) <= 2,
 * });
 * // What remoteSigner sends for part 3 of an upload to uploads/user-7/video.mp4:
 * const ask = (ticket: string) =>
 *   new Request("http://127.0.0.1/api/oss/sign", {
 *     method: "POST",
 *     headers: { "x-ossup-ticket": ticket, "content-type": "application/json" },
 *     body: JSON.stringify({
 *       method: "PUT",
 *       bucket: "uploads",
 *       key: "user-7/video.mp4",
 *       query: [["partNumber", "3"], ["uploadId", "0004B9"]],
 *       headers: {},
 *     }),
 *   });
 * const res = await signing.fetch(ask(await tickets.issue({ bucket: "uploads", key: "user-7/video.mp4" })));
 * assert.equal(res.status, 403); // part 3 of at most 2
 * await res.body?.cancel();
 * ```
 */
export function allowUploads(request: SigningRequest): boolean {
  if (!UPLOAD_OPERATIONS.has(request.operation)) return false;
  for (const name of ["x-oss-object-acl", "x-oss-acl"]) {
    const acl = request.headers.get(name);
    if (acl !== null && acl !== "private" && acl !== "default") return false;
  }
  return true;
}

/**
 * Creates the signing route: a request handler that answers `POST`s at
 * whatever path you mount it, e.g. in Hono
 * `app.post("/api/oss/sign", (c) => signing.fetch(c.req.raw, c))`, or on its
 * own with `Deno.serve(signing.fetch)`.
 *
 * @param options Credentials, region, tickets and policy.
 * @returns The route's handler.
 * @throws {TypeError} Without `tickets` or `authorize`, or V4 without a region.
 *
 * @example A session route issues tickets, the signing route signs for them
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { createSigningRoute, UploadTickets } from "@ossup/ossup/server";
 *
 * const tickets = new UploadTickets({ secret: "at least thirty-two characters of secret" });
 * const app = new Hono();
 * app.post("/api/upload-ticket", async (c) => {
 *   // ...check who the user is first...
 *   return c.json({ ticket: await tickets.issue({ bucket: "uploads", key: "user-7/video.mp4" }) });
 * });
 * const signing = createSigningRoute({
 *   credentials: { accessKeyId: "ak", accessKeySecret: "sk" },
 *   region: "cn-hangzhou",
 *   tickets,
 * });
 * app.post("/api/oss/sign", (c) => signing.fetch(c.req.raw, c));
 *
 * // What remoteSigner sends for part 3 of an upload to uploads/user-7/video.mp4:
 * const ask = (ticket: string) =>
 *   new Request("http://127.0.0.1/api/oss/sign", {
 *     method: "POST",
 *     headers: { "x-ossup-ticket": ticket, "content-type": "application/json" },
 *     body: JSON.stringify({
 *       method: "PUT",
 *       bucket: "uploads",
 *       key: "user-7/video.mp4",
 *       query: [["partNumber", "3"], ["uploadId", "0004B9"]],
 *       headers: {},
 *     }),
 *   });
 * const { ticket } = await (await app.fetch(new Request("http://127.0.0.1/api/upload-ticket", { method: "POST" }))).json();
 * const res = await app.fetch(ask(ticket));
 * assert.equal(res.status, 200);
 * assert.ok((await res.json()).headers["x-oss-date"]);
 * ```
 */
export function createSigningRoute(options: SigningRouteOptions): SigningRoute {
  if (!options || typeof options !== "object") {
    throw new TypeError("createSigningRoute needs an options object");
  }
  const version = options.signatureVersion ?? "v4";
  if (version !== "v4" && version !== "v1") {
    throw new TypeError(`signatureVersion must be "v4" or "v1"`);
  }
  if (version === "v4" && !options.region) throw new TypeError("signature V4 needs a region");
  const { tickets } = options;
  if (!tickets && !options.authorize) {
    throw new TypeError("createSigningRoute needs tickets or an authorize function (or both)");
  }
  const authorize = options.authorize ?? allowUploads;
  const expires = options.expiresSeconds ?? 300;
  if (!Number.isInteger(expires) || expires <= 0) {
    throw new RangeError("expiresSeconds must be a positive integer");
  }
  const now = options.now ?? Date.now;
  const credentials = new CredentialsCache(options.credentials, now);

  const app = new Hono();
  app.post("*", async (c) => {
    const answer = (body: unknown, status: 200 | 400 | 403) =>
      c.json(body, status, { "cache-control": "no-store", "x-content-type-options": "nosniff" });
    const refuse = () => answer({ error: "SigningRefused" }, 403);

    const text = await readBounded(c.req.raw, MAX_BODY_BYTES);
    if (text === undefined) return answer({ error: "InvalidRequest" }, 400);
    const parsed = parseBody(text);
    if (!parsed) return answer({ error: "InvalidRequest" }, 400);
    const { request: req, presign } = parsed;

    let operation: string;
    try {
      operation = operationOf(req.method, req.bucket, req.key, req.query, req.headers);
    } catch {
      return refuse();
    }
    let ticket: UploadTicket | undefined;
    if (tickets) {
      ticket = await tickets.verify(c.req.header(TICKET_HEADER));
      if (!ticket || ticket.bucket !== req.bucket || ticket.key !== req.key) return refuse();
    }
    const allowed = await authorize({ ...req, operation }, {
      ticket,
      request: c.req.raw,
      env: c.env,
    });
    if (allowed !== true) return refuse();

    const creds = await credentials.get();
    const signedAt = new Date(now());
    if (presign) {
      const query = version === "v1"
        ? await presignV1(req, { credentials: creds, now: signedAt, expires })
        : await presignV4(req, {
          credentials: creds,
          region: options.region!,
          now: signedAt,
          expires,
        });
      return answer({ query }, 200);
    }
    if (version === "v1") {
      // Browsers may not send `Date`: sign `x-oss-date` instead (signV1 overwrites the value).
      req.headers.set("x-oss-date", "");
      await signV1(req, { credentials: creds, now: signedAt });
    } else {
      await signV4(req, { credentials: creds, region: options.region!, now: signedAt });
    }
    const headers: Record<string, string> = {};
    for (const name of SERVER_SET) {
      const value = req.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    return answer({ headers }, 200);
  });
  return { fetch: app.fetch };
}

/** The body as text, or `undefined` when it is longer than `limit` bytes (not read further). */
async function readBounded(request: Request, limit: number): Promise<string | undefined> {
  if (Number(request.headers.get("content-length") ?? 0) > limit) return undefined;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}

/** Reads and checks the JSON body; `undefined` when it is not a well-formed request. */
function parseBody(text: string): { request: RequestToSign; presign: boolean } | undefined {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!body || typeof body !== "object") return undefined;
  const { method, bucket, key, query, headers, presign } = body;
  if (typeof method !== "string" || !/^(GET|HEAD|PUT|POST|DELETE)$/.test(method)) return undefined;
  if (bucket !== undefined && (typeof bucket !== "string" || bucket === "")) return undefined;
  if (key !== undefined && (typeof key !== "string" || key === "")) return undefined;
  if (presign !== undefined && typeof presign !== "boolean") return undefined;
  if (!Array.isArray(query)) return undefined;
  const pairs: [string, string | undefined][] = [];
  for (const pair of query) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string") return undefined;
    if (pair[1] !== null && typeof pair[1] !== "string") return undefined;
    pairs.push([pair[0], pair[1] ?? undefined]);
  }
  if (!headers || typeof headers !== "object" || Array.isArray(headers)) return undefined;
  const signed = new Headers();
  try {
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== "string") return undefined;
      const lower = name.toLowerCase();
      if (isSignedHeader(lower) && !SERVER_SET.has(lower)) signed.set(lower, value);
    }
  } catch {
    return undefined; // a name or value Headers refuses
  }
  return {
    request: { method, bucket, key, query: pairs, headers: signed },
    presign: presign === true,
  };
}
