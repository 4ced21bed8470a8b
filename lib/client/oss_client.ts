/**
 * The OSS client: where to send requests, who signs them, and how they are
 * retried. Buckets hang off it (`client.bucket(name)`).
 *
 * Built on `fetch`, streams and `crypto.subtle` only: the same code runs on
 * Deno, Bun, Node, browsers and edge workers.
 *
 * @module
 */

import { buildXml } from "../xml/xml.ts";
import { type Bucket, bucketWithSender } from "./bucket.ts";
import {
  CredentialsCache,
  type OssCredentials,
  type OssCredentialsProvider,
} from "./credentials.ts";
import {
  assertBucketName,
  LOCAL_ENDPOINT_REGION,
  parseEndpoint,
  regionFromEndpoint,
} from "./endpoint.ts";
import type { OssPlatform } from "./platform.ts";
import type { RateLimit } from "../pacing/rate_limiter.ts";
import type { OssSigner } from "./signer.ts";
import { requestOptions, RequestSender } from "./_request.ts";
import { responseInfo } from "./_responses.ts";
import type { BucketSummary, ListBucketsPage, ResponseInfo } from "./results.ts";
import { resolveRetryPolicy, type RetryPolicy } from "./retry_policy.ts";

/**
 * Default per-attempt timeout: 60 seconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_TIMEOUT_MS, OssClient } from "@ossup/ossup";
 *
 * assert.equal(DEFAULT_TIMEOUT_MS, 60_000);
 * // Twice as long per attempt, for a slow link; operations take `timeout` too.
 * new OssClient({
 *   endpoint: "oss-cn-hangzhou.aliyuncs.com",
 *   accessKeyId: "ak",
 *   accessKeySecret: "sk",
 *   timeout: 2 * DEFAULT_TIMEOUT_MS,
 * });
 * ```
 */
export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Options of {@linkcode OssClient}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient, type OssClientOptions } from "@ossup/ossup";
 *
 * const options: OssClientOptions = {
 *   endpoint: "http://127.0.0.1:9000", // path-style, as for any IP endpoint
 *   region: "cn-hangzhou",
 *   accessKeyId: "test-ak",
 *   accessKeySecret: "test-secret-key",
 *   signatureVersion: "v1",
 *   timeout: 120_000,
 *   retry: { maxAttempts: 6 },
 * };
 * const client = new OssClient(options);
 * assert.equal(String(client), "OssClient(http://127.0.0.1:9000, v1)"); // never the secret
 * ```
 */
export interface OssClientOptions {
  /**
   * The OSS endpoint: `"oss-cn-hangzhou.aliyuncs.com"` (HTTPS), or a URL such
   * as `"https://oss-cn-hangzhou.aliyuncs.com"` or `"http://127.0.0.1:9000"`.
   */
  endpoint: string;
  /**
   * Region ID, e.g. `"cn-hangzhou"`; signature V4 needs it. Default: derived
   * from an `oss-<region>.aliyuncs.com` endpoint; for an IP address or
   * `localhost` endpoint (a local server), {@linkcode LOCAL_ENDPOINT_REGION}
   * (`"cn-hangzhou"`, the local server's default).
   */
  region?: string;
  /** AccessKey ID (ali-oss's name); give `accessKeySecret` too, or `credentials` instead. */
  accessKeyId?: string;
  /** AccessKey secret. Never appears in an error, a log line or `toString()`. */
  accessKeySecret?: string;
  /** STS security token, with temporary credentials. */
  securityToken?: string;
  /**
   * Credentials, instead of the three fields above: a static set, or an async
   * provider whose result is cached and fetched again shortly before its `expiration`.
   */
  credentials?: OssCredentials | OssCredentialsProvider;
  /**
   * Signs each request instead of credentials, for a client that must not
   * hold the secret (a browser): e.g. `remoteSigner("/api/oss/sign", { ticket })`.
   * Give no credentials with it; `presignUrl` is then unavailable.
   */
  signer?: OssSigner;
  /** Signature version. Default `"v4"`. */
  signatureVersion?: "v4" | "v1";
  /**
   * Put the bucket in the path (`host/bucket/key`) instead of the host name
   * (`bucket.host/key`). Default: `true` for an IP address or `localhost`
   * endpoint, `false` otherwise. (The official SDKs go path-style for an IP
   * address only: for `localhost` they address `bucket.localhost`.)
   */
  pathStyle?: boolean;
  /**
   * The `fetch` to send requests with. Default: the global `fetch`; the Node and Deno entries
   * (and the default entry on those runtimes) send byte bodies, such as parts, through
   * `node:http` instead, which writes the part's buffer to the socket without copying it
   * (Deno keeps its own `fetch` when a proxy variable such as `HTTPS_PROXY` is set).
   */
  fetch?: typeof fetch;
  /**
   * Per-attempt timeout in milliseconds: the time to get an answer's headers
   * and, for answers read whole, its body (a `getObject` body stream is not
   * timed; abort it with a signal). 0 disables it. Default 60 000. Large
   * uploads over slow links need more: pass `timeout` per call.
   */
  timeout?: number;
  /** Retry policy, or `false` to never retry. Default: 4 attempts, 200 ms base, 20 s cap. */
  retry?: RetryPolicy | false;
  /** Milliseconds since the epoch; signs requests and times credentials. Default `Date.now`. */
  clock?: () => number;
  /** Runtime pieces for the upload engine (file access, default checkpoint store). */
  platform?: OssPlatform;
}

/**
 * Options every operation accepts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient, OssupError } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * await bucket.putObject("a.txt", "hi");
 * const head = await bucket.headObject("a.txt", { signal: AbortSignal.timeout(5000), retry: false });
 * assert.equal(head.size, 2);
 * await assert.rejects(
 *   bucket.headObject("a.txt", { signal: AbortSignal.abort() }),
 *   (err: OssupError) => err.code === "Aborted",
 * );
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface RequestOptions {
  /** Aborts the operation, including any wait between retries. */
  signal?: AbortSignal;
  /** Per-attempt timeout in ms for this call, overriding the client's. */
  timeout?: number;
  /** Retry policy for this call, overriding the client's; `false` for none. */
  retry?: RetryPolicy | false;
  /** Extra headers to send. */
  headers?: HeadersInit;
  /**
   * Most bytes per second this call's body moves (sent, or read from an answer handed back as
   * a stream): a number from 1024, or a {@linkcode RateLimiter} shared with other calls.
   * Default: no limit.
   */
  limitRate?: RateLimit;
  /**
   * Called with the failure before each retry (throttling, a reset connection…): how the
   * transfer engines' `routines: "auto"` learns to back off.
   */
  onRetry?: (error: unknown) => void;
}

/**
 * Options of {@linkcode OssClient.listBucketsPage}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 *
 * for (const name of ["logs-2024", "logs-2025", "media"]) await client.createBucket(name);
 * const page = await client.listBucketsPage({ prefix: "logs-", maxKeys: 50 });
 * assert.deepEqual(page.buckets.map((b) => b.name), ["logs-2024", "logs-2025"]);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface ListBucketsOptions extends RequestOptions {
  /** Only buckets whose names start with this. */
  prefix?: string;
  /** Start after this bucket name. */
  marker?: string;
  /** Buckets per page, up to 1000. */
  maxKeys?: number;
}

/**
 * Options of {@linkcode OssClient.createBucket}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 *
 * await client.createBucket("examplebucket", { acl: "private", storageClass: "IA" });
 * const [summary] = (await client.listBucketsPage()).buckets;
 * assert.equal(summary.storageClass, "IA");
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface CreateBucketOptions extends RequestOptions {
  /** Bucket ACL: `private` (default), `public-read` or `public-read-write`. */
  acl?: "private" | "public-read" | "public-read-write";
  /** Storage class, e.g. `Standard` (default), `IA`, `Archive`. */
  storageClass?: string;
}

function resolveCredentials(o: OssClientOptions): OssCredentials | OssCredentialsProvider {
  if (o.signer !== undefined) {
    if (typeof o.signer !== "function") throw new TypeError("signer must be a function");
    if (
      o.credentials !== undefined || o.accessKeyId !== undefined || o.accessKeySecret !== undefined
    ) {
      throw new TypeError("give either a signer or credentials, not both");
    }
    return () =>
      Promise.reject(new TypeError("this client has a signer and no credentials to presign with"));
  }
  if (o.credentials !== undefined) {
    if (o.accessKeyId !== undefined || o.accessKeySecret !== undefined) {
      throw new TypeError("give either credentials or accessKeyId/accessKeySecret, not both");
    }
    return o.credentials;
  }
  if (!o.accessKeyId || !o.accessKeySecret) {
    throw new TypeError("OssClient needs accessKeyId and accessKeySecret, or credentials");
  }
  return {
    accessKeyId: o.accessKeyId,
    accessKeySecret: o.accessKeySecret,
    securityToken: o.securityToken,
  };
}

/**
 * A client for Alibaba Cloud OSS (and OSS-compatible servers).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS: on OSS, the endpoint would be e.g. oss-cn-hangzhou.aliyuncs.com.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 *
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 * await bucket.putObject("hello.txt", "hello", { contentType: "text/plain" });
 * const obj = await bucket.getObject("hello.txt");
 * assert.equal(await obj.text(), "hello");
 *
 * await server.close();
 * await storage.close();
 * ```
 *
 * @example Temporary credentials from a provider, refreshed before they expire
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createAuthenticator, createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server that accepts one STS key (with its security token) stands in for OSS.
 * const sts = { accessKeyId: "STS.ak", accessKeySecret: "sk", securityToken: "token" };
 * const { app, storage } = createOssApp({
 *   storage: new MemoryStorage(),
 *   authenticate: createAuthenticator({ credentials: [sts] }),
 * });
 * const server = await listen(app.fetch);
 *
 * let calls = 0;
 * // Your server's STS endpoint, e.g. fetch("/api/sts-token").then((r) => r.json()), goes here.
 * const fetchStsToken = () => {
 *   calls++;
 *   return Promise.resolve({ ...sts, expiration: new Date(Date.now() + 3600_000) });
 * };
 * const client = new OssClient({ endpoint: server.url, credentials: fetchStsToken });
 * await client.createBucket("examplebucket");
 * await client.bucket("examplebucket").putObject("a.txt", "hi");
 * assert.equal(calls, 1); // reused until shortly before it expires
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export class OssClient {
  #sender: RequestSender;
  #platform: OssPlatform;

  /**
   * Creates a client (see {@linkcode OssClientOptions} for the endpoint, credentials and defaults).
   *
   * @param options Where and how to connect; see {@linkcode OssClientOptions}.
   * @throws {TypeError} When credentials are missing, the endpoint is malformed, or
   * signature V4 is asked for without a region that can be known.
   */
  constructor(options: OssClientOptions) {
    if (!options || typeof options !== "object") {
      throw new TypeError("OssClient needs an options object");
    }
    const endpoint = parseEndpoint(options.endpoint);
    const signatureVersion = options.signatureVersion ?? "v4";
    if (signatureVersion !== "v4" && signatureVersion !== "v1") {
      throw new TypeError(`signatureVersion must be "v4" or "v1"`);
    }
    const region = options.region ?? regionFromEndpoint(endpoint.hostname) ??
      (endpoint.isIpOrLocalhost ? LOCAL_ENDPOINT_REGION : undefined);
    if (signatureVersion === "v4" && !region && !options.signer) {
      throw new TypeError(
        `signature V4 needs a region: the endpoint ${endpoint.host} names none; pass region, e.g. "cn-hangzhou"`,
      );
    }
    const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    if (!(timeout >= 0)) throw new RangeError("timeout must be ≥ 0 milliseconds");
    const clock = options.clock ?? Date.now;
    const userFetch = options.fetch;
    this.#platform = { ...options.platform };
    this.#sender = new RequestSender({
      endpoint,
      pathStyle: options.pathStyle ?? endpoint.isIpOrLocalhost,
      region,
      signatureVersion,
      credentials: new CredentialsCache(resolveCredentials(options), clock),
      signer: options.signer,
      // Called through a wrapper: some runtimes reject a detached `fetch` ("Illegal invocation").
      fetch: userFetch ?? ((input, init) => globalThis.fetch(input, init)),
      timeout,
      retry: resolveRetryPolicy(options.retry),
      clock,
      clockOffset: 0,
      sha256: this.#platform.sha256,
      sha1: this.#platform.sha1,
    });
  }

  /** The endpoint as a URL origin, e.g. `"https://oss-cn-hangzhou.aliyuncs.com"`. */
  get endpoint(): string {
    const { protocol, host } = this.#sender.ctx.endpoint;
    return `${protocol}//${host}`;
  }

  /** Endpoint host and port, e.g. `"oss-cn-hangzhou.aliyuncs.com"` or `"127.0.0.1:9000"`. */
  get endpointHost(): string {
    return this.#sender.ctx.endpoint.host;
  }

  /** Region ID, when known. */
  get region(): string | undefined {
    return this.#sender.ctx.region;
  }

  /** `"v4"` or `"v1"`. */
  get signatureVersion(): "v4" | "v1" {
    return this.#sender.ctx.signatureVersion;
  }

  /** Whether buckets go in the path rather than the host name. */
  get pathStyle(): boolean {
    return this.#sender.ctx.pathStyle;
  }

  /** Milliseconds added to the clock when signing, learnt from a `RequestTimeTooSkewed` answer. */
  get clockOffset(): number {
    return this.#sender.ctx.clockOffset;
  }

  /** Runtime pieces given at construction (empty on the web). */
  get platform(): OssPlatform {
    return this.#platform;
  }

  /**
   * A handle on one bucket (no request is sent).
   *
   * @param name The bucket name.
   * @returns The bucket.
   * @throws {TypeError} When the name is not a valid bucket name.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { OssClient } from "@ossup/ossup";
   *
   * const client = new OssClient({ endpoint: "oss-cn-hangzhou.aliyuncs.com", accessKeyId: "ak", accessKeySecret: "sk" });
   * const bucket = client.bucket("examplebucket"); // no request is sent
   * assert.equal(bucket.name, "examplebucket");
   * assert.throws(() => client.bucket("Not_A_Bucket"), TypeError);
   * ```
   */
  bucket(name: string): Bucket {
    return bucketWithSender(this, name, this.#sender);
  }

  /**
   * One page of ListBuckets (GetService).
   *
   * @param options Prefix, marker and page size.
   * @returns The page.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { OssClient } from "@ossup/ossup";
   * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
   *
   * // A local OSS server stands in for OSS.
   * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
   * const server = await listen(app.fetch);
   * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
   *
   * for (const name of ["logs-2024", "logs-2025", "media"]) await client.createBucket(name);
   * const page = await client.listBucketsPage({ maxKeys: 2 });
   * assert.deepEqual(page.buckets.map((b) => b.name), ["logs-2024", "logs-2025"]);
   * assert.equal(page.isTruncated, true);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  async listBucketsPage(options: ListBucketsOptions = {}): Promise<ListBucketsPage> {
    const query: [string, string | undefined][] = [];
    if (options.prefix !== undefined) query.push(["prefix", options.prefix]);
    if (options.marker !== undefined) query.push(["marker", options.marker]);
    if (options.maxKeys !== undefined) query.push(["max-keys", String(options.maxKeys)]);
    const { result } = await this.#sender.sendAndParse({
      ...requestOptions(options),
      operation: "ListBuckets",
      query,
    });
    return result;
  }

  /**
   * Every bucket, page after page.
   *
   * @param options Prefix and page size.
   * @returns The buckets.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { OssClient } from "@ossup/ossup";
   * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
   *
   * // A local OSS server stands in for OSS.
   * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
   * const server = await listen(app.fetch);
   * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
   *
   * for (const name of ["logs-2024", "logs-2025", "media"]) await client.createBucket(name);
   * const names: string[] = [];
   * for await (const b of client.listBuckets({ maxKeys: 2 })) names.push(b.name); // page after page
   * assert.deepEqual(names, ["logs-2024", "logs-2025", "media"]);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  async *listBuckets(options: ListBucketsOptions = {}): AsyncGenerator<BucketSummary> {
    let marker = options.marker;
    for (;;) {
      const page = await this.listBucketsPage({ ...options, marker });
      yield* page.buckets;
      if (!page.isTruncated || !page.nextMarker || page.nextMarker === marker) return;
      marker = page.nextMarker;
    }
  }

  /**
   * Creates a bucket (PutBucket).
   *
   * @param name The bucket name.
   * @param options ACL and storage class.
   * @returns The answer's request ID and headers.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { OssClient } from "@ossup/ossup";
   * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
   *
   * // A local OSS server stands in for OSS.
   * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
   * const server = await listen(app.fetch);
   * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
   *
   * await client.createBucket("examplebucket", { acl: "private" });
   * // Creating your own bucket again succeeds, as on OSS (another owner's: BucketAlreadyExists).
   * await client.createBucket("examplebucket");
   * assert.deepEqual((await client.listBucketsPage()).buckets.map((b) => b.name), ["examplebucket"]);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  async createBucket(name: string, options: CreateBucketOptions = {}): Promise<ResponseInfo> {
    assertBucketName(name);
    const headers = new Headers(options.headers);
    if (options.acl) headers.set("x-oss-acl", options.acl);
    const body = options.storageClass
      ? buildXml("CreateBucketConfiguration", { StorageClass: options.storageClass })
      : undefined;
    if (body) headers.set("content-type", "application/xml");
    const res = await this.#sender.sendForText({
      ...requestOptions(options),
      operation: "PutBucket",
      bucket: name,
      headers,
      body,
    });
    return responseInfo(res.headers);
  }

  /**
   * Deletes an empty bucket (DeleteBucket).
   *
   * @param name The bucket name.
   * @param options Signal, timeout, retry.
   * @returns The answer's request ID and headers.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { OssClient } from "@ossup/ossup";
   * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
   *
   * // A local OSS server stands in for OSS.
   * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
   * const server = await listen(app.fetch);
   * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
   *
   * await client.createBucket("examplebucket");
   * await client.deleteBucket("examplebucket");
   * assert.deepEqual((await client.listBucketsPage()).buckets, []);
   *
   * await server.close();
   * await storage.close();
   * ```
   */
  async deleteBucket(name: string, options: RequestOptions = {}): Promise<ResponseInfo> {
    assertBucketName(name);
    const res = await this.#sender.sendForText({
      ...requestOptions(options),
      operation: "DeleteBucket",
      bucket: name,
    });
    return responseInfo(res.headers);
  }

  /** Describes the client without its credentials. */
  toString(): string {
    return `OssClient(${this.endpoint}, ${this.signatureVersion})`;
  }
}
