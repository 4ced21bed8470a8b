/**
 * A signer that asks a server to sign: for browsers and other untrusted
 * places, which send each request's description to a signing route (see
 * `createSigningRoute` in `@ossup/ossup/server`) and get back the headers
 * to add. The access key secret stays on the server.
 *
 * The exchange: `POST <url>` with `x-ossup-ticket: <ticket>` and the JSON
 * `{ method, bucket, key, query: [[name, value | null]], headers: { name: value } }`
 * (only the headers a signature covers: `x-oss-*`, `content-type`, `content-md5`);
 * the answer is `{ headers: { name: value } }`.
 *
 * @module
 */

import { AbortError, NetworkError, OssError } from "../errors/errors.ts";
import type { RequestToSign } from "../signing/signing.ts";
import type { OssSigner, SignerContext } from "./signer.ts";

/**
 * Options of {@linkcode remoteSigner}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type RemoteSignerOptions, remoteSigner } from "@ossup/ossup";
 *
 * let asked = 0;
 * const options: RemoteSignerOptions = {
 *   // Called for every request: cache the ticket and renew it when it expires.
 *   ticket: () => `ticket-${++asked}`,
 *   headers: { "x-csrf-token": "..." },
 *   // What the route receives (normally the global fetch, to your server):
 *   fetch: (_url, init) => {
 *     const headers = new Headers(init?.headers);
 *     assert.equal(headers.get("x-ossup-ticket"), "ticket-1");
 *     assert.equal(headers.get("x-csrf-token"), "...");
 *     return Promise.resolve(Response.json({ headers: { authorization: "OSS4-HMAC-SHA256 ..." } }));
 *   },
 * };
 * const request = { method: "PUT", bucket: "uploads", key: "a.bin", query: [], headers: new Headers() };
 * await remoteSigner("https://app.example/api/oss/sign", options)(request, {
 *   operation: "PutObject",
 *   signatureVersion: "v4",
 *   now: new Date(),
 * });
 * assert.equal(request.headers.get("authorization"), "OSS4-HMAC-SHA256 ...");
 * ```
 */
export interface RemoteSignerOptions {
  /**
   * The upload ticket the application's session route issued, sent in
   * `x-ossup-ticket`; or a function giving it (called for every request, so
   * it may cache and renew). Omit when the route authorizes otherwise (cookies).
   */
  ticket?: string | (() => string | Promise<string>);
  /** Extra headers for the signing route (e.g. a CSRF token). */
  headers?: HeadersInit;
  /** The `fetch` to reach the signing route with. Default: the global `fetch`. */
  fetch?: typeof fetch;
}

/**
 * The header that carries the upload ticket to the signing route.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TICKET_HEADER } from "@ossup/ossup/web";
 *
 * const headers = new Headers({ [TICKET_HEADER]: "<the ticket your server issued>" });
 * assert.equal(headers.get("x-ossup-ticket"), "<the ticket your server issued>");
 * ```
 */
export const TICKET_HEADER = "x-ossup-ticket";

/**
 * Whether a signature covers a header, so the signing route must see it.
 *
 * @param name Header name, lower case.
 */
export function isSignedHeader(name: string): boolean {
  return name.startsWith("x-oss-") || name === "content-type" || name === "content-md5";
}

/**
 * A signer that has each request signed by a signing route.
 *
 * A refusal (401/403) throws an {@linkcode OssError} with code
 * `"SigningRefused"`; other error answers throw one with code
 * `"SigningFailed"` (retried when 5xx or 429); an unreachable route throws a
 * {@linkcode NetworkError} (retried).
 *
 * @param url The signing route, e.g. `"/api/oss/sign"` (relative URLs resolve against the page).
 * @param options Ticket, extra headers, fetch.
 * @returns The signer, for `OssClientOptions.signer`.
 *
 * @example Upload a file from a page that never sees the secret
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { OssClient, remoteSigner } from "@ossup/ossup/web";
 * import {
 *   createAuthenticator,
 *   createOssApp,
 *   createSigningRoute,
 *   listen,
 *   MemoryStorage,
 *   UploadTickets,
 * } from "@ossup/ossup/server";
 *
 * // Stand-ins: a local OSS server, and your application's server with its two routes.
 * const credentials = { accessKeyId: "ak", accessKeySecret: "sk" };
 * const oss = createOssApp({ storage: new MemoryStorage(), authenticate: createAuthenticator({ credentials: [credentials] }) });
 * const ossServer = await listen(oss.app.fetch);
 * await oss.storage.createBucket("uploads", { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" });
 * const tickets = new UploadTickets({ secret: "at least thirty-two characters of secret" });
 * const signing = createSigningRoute({ credentials, region: "cn-hangzhou", tickets });
 * const site = new Hono();
 * site.get("/api/upload-ticket", async (c) =>
 *   c.json({ ticket: await tickets.issue({ bucket: "uploads", key: c.req.query("name")! }) }));
 * site.post("/api/oss/sign", (c) => signing.fetch(c.req.raw, c));
 * const siteServer = await listen(site.fetch);
 *
 * // The page (its URLs relative there: "/api/upload-ticket", "/api/oss/sign").
 * const file = new File(["hello"], "a.bin"); // document.querySelector("input")!.files![0]
 * const { ticket } = await (await fetch(`${siteServer.url}/api/upload-ticket?name=${encodeURIComponent(file.name)}`)).json();
 * const client = new OssClient({
 *   endpoint: ossServer.url, // "oss-cn-hangzhou.aliyuncs.com"
 *   signer: remoteSigner(`${siteServer.url}/api/oss/sign`, { ticket }),
 * });
 * const result = await client.bucket("uploads").uploadFile(file.name, file);
 * assert.equal(result.size, 5);
 * // The ticket is for a.bin only: the route refuses to sign anything else.
 * await assert.rejects(client.bucket("uploads").putObject("b.bin", "x"), { code: "SigningRefused" });
 *
 * await siteServer.close();
 * await ossServer.close();
 * await oss.storage.close();
 * ```
 */
export function remoteSigner(url: string | URL, options: RemoteSignerOptions = {}): OssSigner {
  if (typeof url !== "string" && !(url instanceof URL)) {
    throw new TypeError("remoteSigner needs the URL of the signing route");
  }
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return async (request: RequestToSign, context: SignerContext): Promise<void> => {
    const headers = new Headers(options.headers);
    headers.set("content-type", "application/json");
    const ticket = typeof options.ticket === "function" ? await options.ticket() : options.ticket;
    if (ticket) headers.set(TICKET_HEADER, ticket);
    const signed: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      if (isSignedHeader(name)) signed[name] = value;
    });
    const body = JSON.stringify({
      method: request.method,
      bucket: request.bucket,
      key: request.key,
      query: request.query.map(([k, v]) => [k, v ?? null]),
      headers: signed,
    });
    let res: Response;
    try {
      res = await doFetch(url, { method: "POST", headers, body, signal: context.signal });
    } catch (err) {
      if (context.signal?.aborted) {
        throw new AbortError(`${context.operation} was aborted`, { cause: context.signal.reason });
      }
      throw new NetworkError(`${context.operation}: the signing route could not be reached`, {
        cause: err,
      });
    }
    const text = await res.text().catch(() => "");
    if (!res.ok) {
      const refused = res.status === 401 || res.status === 403;
      throw new OssError({
        status: res.status,
        code: refused ? "SigningRefused" : "SigningFailed",
        message: refused
          ? "the signing route refused to sign this request"
          : "the signing route failed to sign this request",
        operation: context.operation,
      });
    }
    const answer = parseAnswer(text);
    if (!answer) {
      throw new OssError({
        status: res.status,
        code: "SigningFailed",
        message: "the signing route's answer is not { headers: { name: value } }",
        operation: context.operation,
      });
    }
    for (const [name, value] of Object.entries(answer)) request.headers.set(name, value);
  };
}

function parseAnswer(text: string): Record<string, string> | undefined {
  try {
    const parsed = JSON.parse(text) as { headers?: unknown };
    const h = parsed?.headers;
    if (!h || typeof h !== "object" || Array.isArray(h)) return undefined;
    const entries = Object.entries(h as Record<string, unknown>);
    if (entries.some(([, v]) => typeof v !== "string")) return undefined;
    return h as Record<string, string>;
  } catch {
    return undefined;
  }
}
