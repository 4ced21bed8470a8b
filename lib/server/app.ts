/**
 * The local OSS-compatible server as a Hono app: addressing, authentication,
 * fault injection, and OSS's operations over a {@linkcode Storage}. Start it
 * on a socket with `listen.ts`.
 *
 * @module
 */

import { Hono } from "hono";
import { parseQuery, resolveAddress } from "./addressing.ts";
import type { OpContext, OpHandler, OpSettings } from "./_op_context.ts";
import { bucketRoutes } from "./_routes_bucket.ts";
import { listingRoutes } from "./_routes_listing.ts";
import { multipartRoutes } from "./_routes_multipart.ts";
import { objectRoutes } from "./_routes_object.ts";
import { operationOf } from "./operation.ts";
import { CUTS_CONNECTIONS, type FetchHandler, SERVED_BY, type ServerEngine } from "./listen.ts";
import { parseRequestTarget, requestTarget } from "./request_target.ts";
import type { Authenticator } from "./auth.ts";
import { FAULTS_CONTROL_PATH } from "./faults.ts";
import { throttled, trafficLimitOf } from "./_traffic_limit.ts";
import { DEFAULT_CALLBACK_HOSTS } from "./_upload_callback.ts";
import type { OssRequestInfo } from "./request_info.ts";
import { errorResponse, newRequestId, ServerError } from "./server_error.ts";
import { type Storage, StorageError } from "./storage.ts";
import { MAX_APPENDABLE_SIZE } from "./_storage_rules.ts";

export type { Authenticator } from "./auth.ts";

/**
 * One request as a {@linkcode FaultHandler} sees it while the server answers
 * it. Hono's `Context` fits this shape; the server passes its own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOssApp, type FaultExchange, type FaultHandler, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A fault handler that answers every UploadPart with 503 without running it.
 * const seen: FaultExchange[] = [];
 * const busy: FaultHandler = {
 *   handle: (info, exchange, run) => {
 *     seen.push(exchange);
 *     return info.operation === "UploadPart" ? Promise.resolve(new Response(null, { status: 503 })) : run();
 *   },
 * };
 * const { app } = createOssApp({ storage: new MemoryStorage(), faults: busy });
 * const res = await app.fetch(new Request("http://127.0.0.1/b/k?partNumber=1&uploadId=U", { method: "PUT" }));
 * assert.equal(res.status, 503);
 * assert.equal(seen[0].req.raw.method, "PUT");
 * ```
 */
export interface FaultExchange {
  /** The request; replace `raw` to change the body the operation will read. */
  req: { raw: Request };
  /**
   * What the server passed along with the request: behind `node:http`,
   * `{ incoming, outgoing }`, whose `incoming.socket` a reset destroys.
   */
  env: unknown;
}

/**
 * What the app needs of a fault injector (`faults.ts`'s `FaultInjector`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, FaultInjector, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server with fault injection stands in for OSS.
 * const faults = new FaultInjector(); // fills FaultHandler
 * const { app, storage } = createOssApp({ storage: new MemoryStorage(), faults });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * faults.add({ operation: "PutObject", action: { type: "error", status: 503, code: "SlowDown" } });
 * await bucket.putObject("a.txt", "hi"); // the first attempt fails, the retry succeeds
 * assert.equal(faults.stats().requests["PutObject"], 2);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface FaultHandler {
  /** Runs the operation (`run`) under the fault rules that match it, or answers in its place. */
  handle(
    info: OssRequestInfo & { partNumber?: number },
    exchange: FaultExchange,
    run: () => Promise<Response>,
  ): Promise<Response>;
  /**
   * The handler's control route, when it has one: the app sends it every
   * request under {@linkcode FAULTS_CONTROL_PATH}.
   */
  controlRoute?(): FetchHandler | undefined;
  /**
   * Told by `listen` which server runs the app, before it serves; throws to
   * refuse a server that cannot carry out the rules already set.
   */
  servedBy?(engine: ServerEngine): void;
}

/**
 * Options of {@linkcode createOssApp}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { OssClient } from "@ossup/ossup";
 * import { createAuthenticator, createOssApp, DiskStorage, listen } from "@ossup/ossup/server";
 *
 * const dir = await mkdtemp(join(tmpdir(), "ossup-data-"));
 * const { app, storage } = createOssApp({
 *   storage: await DiskStorage.open(dir),
 *   region: "cn-hangzhou",
 *   authenticate: createAuthenticator({ credentials: [{ accessKeyId: "ak", accessKeySecret: "sk" }] }),
 * });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * assert.equal((await storage.getBucket("examplebucket"))?.location, "oss-cn-hangzhou");
 * await server.close();
 * await storage.close();
 * await rm(dir, { recursive: true });
 * ```
 */
export interface ServerOptions {
  /** Where buckets and objects live. */
  storage: Storage;
  /** Region id without `oss-`. Default `"cn-hangzhou"`. */
  region?: string;
  /**
   * Host names (no port) that address the service itself, so `bucket.<host>`
   * is read as virtual-hosted exactly. IPs, `localhost` and
   * `oss-*.aliyuncs.com` always are. Default: none more.
   */
  serviceHosts?: string[];
  /**
   * Checks each request's signature (see `auth.ts`'s `createAuthenticator`).
   * Default: none — every request is accepted as anonymous.
   */
  authenticate?: Authenticator;
  /** Fault injection around each operation (see `faults.ts`). Default: none. */
  faults?: FaultHandler;
  /** Owner ID shown in listings and ACLs. Default `"1234567890123456"`. */
  ownerId?: string;
  /**
   * The largest an appendable object may grow (AppendObject answers `EntityTooLarge`
   * past it). Default 5 GB, OSS's limit; smaller in tests.
   */
  maxAppendableSize?: number;
  /**
   * Answer CORS preflights and expose OSS's headers (ETag, CRC64, request ID)
   * to any origin, like a bucket with a permissive CORS rule, so browser
   * clients work. Default `true`.
   */
  cors?: boolean;
  /**
   * Host names the server POSTs upload callbacks (`x-oss-callback`) to; a callback to any other
   * answers 203 `CallbackFailed`. Default: loopback only (`127.0.0.1`, `localhost`, `[::1]`).
   */
  callbackHosts?: string[];
  /** Called with unexpected errors (answered 500 InternalError). Default `console.error`. */
  onError?: (err: unknown, info?: OssRequestInfo) => void;
}

/**
 * What {@linkcode createOssApp} returns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * await storage.createBucket("examplebucket", { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" });
 * const res = await fetch(`${server.url}/examplebucket/`); // ListObjects, through the app
 * assert.equal(res.status, 200);
 * await res.body?.cancel();
 * await server.close();
 * await storage.close();
 * ```
 */
export interface OssApp {
  /** The app; `app.fetch` is the request handler (a Hono app's, mountable anywhere). */
  app: { fetch: FetchHandler };
  /** The storage it serves. */
  storage: Storage;
}

const ROUTES: Record<string, OpHandler> = {
  ...bucketRoutes,
  ...objectRoutes,
  ...listingRoutes,
  ...multipartRoutes,
};

const STORAGE_STATUS: Record<string, number> = {
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  BucketAlreadyExists: 409,
  BucketNotEmpty: 409,
  FileAlreadyExists: 409,
  ObjectNotAppendable: 409,
  PositionNotEqualToLength: 409,
  InvalidRange: 416,
  InternalError: 500,
};

const STORAGE_MESSAGES: Record<string, string> = {
  NoSuchBucket: "The specified bucket does not exist.",
  NoSuchKey: "The specified key does not exist.",
  NoSuchUpload: "The specified upload does not exist. The upload ID may be invalid, " +
    "or the upload may have been aborted or completed.",
};

/** Turns a storage error into the OSS answer, adding what identifies the resource. */
function fromStorageError(err: StorageError, info?: OssRequestInfo): ServerError {
  const extra: Record<string, string> = {};
  if (err.code === "NoSuchBucket" && info?.bucket !== undefined) extra.BucketName = info.bucket;
  if (err.code === "NoSuchKey" && info?.key !== undefined) extra.Key = info.key;
  if (err.code === "NoSuchUpload") {
    const id = info?.query.find(([k]) => k === "uploadId")?.[1];
    if (id !== undefined) extra.UploadId = id;
  }
  return new ServerError(
    STORAGE_STATUS[err.code] ?? 400,
    err.code,
    err.message || STORAGE_MESSAGES[err.code] || err.code,
    extra,
  );
}

/**
 * Creates the OSS-compatible Hono app.
 *
 * @param options Storage, region, authentication and fault injection.
 * @returns The app and its storage.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOssApp, MemoryStorage } from "@ossup/ossup/server";
 *
 * const { app } = createOssApp({ storage: new MemoryStorage() });
 * const res = await app.fetch(new Request("http://127.0.0.1/")); // no socket: mountable anywhere
 * assert.equal(res.status, 200); // ListBuckets
 * await res.body?.cancel();
 * ```
 */
export function createOssApp(options: ServerOptions): OssApp {
  if (!options?.storage) throw new TypeError("options.storage is required");
  const settings: OpSettings = {
    region: options.region ?? "cn-hangzhou",
    ownerId: options.ownerId ?? "1234567890123456",
    callbackHosts: options.callbackHosts ?? DEFAULT_CALLBACK_HOSTS,
    maxAppendableSize: options.maxAppendableSize ?? MAX_APPENDABLE_SIZE,
  };
  const serviceHosts = (options.serviceHosts ?? []).map((h) => h.toLowerCase());
  const onError = options.onError ?? ((err: unknown) => console.error("ossup server:", err));
  const app = new Hono();
  const control = options.faults?.controlRoute?.();
  if (control) {
    const toControl = (c: { req: { raw: Request }; env: unknown }) => control(c.req.raw, c.env);
    app.all(FAULTS_CONTROL_PATH, toControl);
    app.all(`${FAULTS_CONTROL_PATH}/*`, toControl);
  }

  const toServerError = (err: unknown, info?: OssRequestInfo): ServerError => {
    if (err instanceof ServerError) return err;
    if (err instanceof StorageError) return fromStorageError(err, info);
    onError(err, info);
    return new ServerError(
      500,
      "InternalError",
      "We encountered an internal error. Please try again.",
    );
  };

  const cors = options.cors ?? true;
  app.all("*", async (c) => {
    const started = performance.now();
    const requestId = newRequestId();
    const method = c.req.raw.method.toUpperCase();
    const origin = cors ? c.req.header("origin") : undefined;
    if (origin !== undefined && method === "OPTIONS") {
      return finish(preflight(origin, c.req.raw.headers), requestId, method, started, origin);
    }
    const host = c.req.header("host") ?? "";
    let info: OssRequestInfo | undefined;
    let res: Response;
    try {
      // The target as sent, not `c.req.url`: node:http's Request has its dot segments resolved.
      const { path, query: rawQuery } = parseRequestTarget(requestTarget(c.req.raw, c.env));
      const address = resolveAddress(path, host, { serviceHosts });
      const query = parseQuery(rawQuery);
      const headers = c.req.raw.headers;
      const operation = operationOf(method, address.bucket, address.key, query, headers);
      const current: OssRequestInfo = {
        method,
        bucket: address.bucket,
        key: address.key,
        query,
        headers,
        operation,
      };
      info = current;
      if (options.authenticate) {
        await options.authenticate(current, { region: settings.region });
      }
      const handler = ROUTES[operation];
      const run = async (): Promise<Response> => {
        try {
          const trafficLimit = trafficLimitOf(operation, headers);
          const op: OpContext = {
            c,
            info: current,
            storage: options.storage,
            settings,
            requestId,
            trafficLimit,
          };
          const answer = await handler(op);
          // A download is paced on its way out; an upload's body was paced on its way in.
          if (trafficLimit === undefined || answer.body === null) return answer;
          return new Response(throttled(answer.body, trafficLimit), answer);
        } catch (err) {
          return errorResponse(toServerError(err, current), { requestId, hostId: host, method });
        }
      };
      if (options.faults) {
        const pn = query.find(([k]) => k === "partNumber")?.[1];
        const partNumber = pn !== undefined && /^\d+$/.test(pn) ? Number(pn) : undefined;
        res = await options.faults.handle({ ...current, partNumber }, c, run);
      } else {
        res = await run();
      }
    } catch (err) {
      res = errorResponse(toServerError(err, info), { requestId, hostId: host, method });
    }
    return finish(res, requestId, method, started, origin);
  });
  const faults = options.faults;
  if (faults) {
    // Resets must reach the client before any answer byte: `listen` serves this through node:http.
    Object.defineProperty(app.fetch, CUTS_CONNECTIONS, { value: true });
    // ...and, served otherwise, the injector refuses what that server cannot do.
    const servedBy = faults.servedBy?.bind(faults);
    if (servedBy) Object.defineProperty(app.fetch, SERVED_BY, { value: servedBy });
  }
  return { app, storage: options.storage };
}

/** Headers a browser may read from answers (OSS's CORS `ExposeHeader`). */
const EXPOSED_HEADERS = [
  "ETag",
  "x-oss-request-id",
  "x-oss-hash-crc64ecma",
  "x-oss-object-type",
  "x-oss-next-append-position",
  "x-oss-storage-class",
  "Content-Length",
  "Content-Range",
  "Content-MD5",
  "Last-Modified",
  "Date",
  "x-oss-server-time",
  "x-oss-err",
  "x-oss-ec",
];

function preflight(origin: string, headers: Headers): Response {
  const h = new Headers({
    "access-control-allow-methods": "GET, PUT, POST, DELETE, HEAD",
    "access-control-max-age": "600",
    "content-length": "0",
  });
  const asked = headers.get("access-control-request-headers");
  if (asked) h.set("access-control-allow-headers", asked);
  h.set("access-control-allow-origin", origin);
  return new Response(null, { status: 200, headers: h });
}

/** Adds the headers every OSS answer has, and drops the body of HEAD answers. */
function finish(
  res: Response,
  requestId: string,
  method: string,
  started: number,
  origin?: string,
): Response {
  let out = res;
  const apply = (h: Headers) => {
    setCommon(h, requestId);
    // OSS reports the milliseconds it spent on the request (before the answer's body).
    h.set("x-oss-server-time", String(Math.max(0, Math.round(performance.now() - started))));
    if (origin !== undefined) {
      h.set("access-control-allow-origin", origin);
      h.set("access-control-expose-headers", EXPOSED_HEADERS.join(", "));
      h.append("vary", "Origin");
    }
  };
  try {
    apply(out.headers);
  } catch {
    // Immutable headers (a Response built by the runtime): copy them.
    out = new Response(res.body, { status: res.status, headers: new Headers(res.headers) });
    apply(out.headers);
  }
  if (method === "HEAD" && out.body) {
    out.body.cancel().catch(() => {});
    out = new Response(null, { status: out.status, headers: out.headers });
  }
  return out;
}

function setCommon(h: Headers, requestId: string): void {
  if (!h.has("x-oss-request-id")) h.set("x-oss-request-id", requestId);
  h.set("server", "AliyunOSS");
  if (!h.has("date")) h.set("date", new Date().toUTCString());
}
