/**
 * Fault injection for the local server: make chosen requests fail with an
 * OSS error, cut the connection partway through a request or response body,
 * add latency, or cap bandwidth — so clients can be tested against the
 * failures real networks and real OSS produce.
 *
 * Off by default. Rules are set in-process ({@linkcode FaultInjector.add}) or,
 * when the server was started with a control token, from another process
 * through `/_ossup/faults` guarded by the `x-ossup-control` header.
 *
 * A reset is a real abrupt close that a client sees as a network error, not an
 * HTTP answer. Behind `node:http` (`@hono/node-server`, on any runtime) the
 * socket is destroyed. Behind `Bun.serve` a response body that errors before
 * its first byte aborts the connection before any header is sent. Behind
 * `Deno.serve` there is no way to abort before the status line (an erroring
 * body, a throwing handler or `onError` all still send a status and headers:
 * a client that does not read the body sees a success), so an injector served
 * by `Deno.serve` refuses reset rules, when they are added, with a
 * {@linkcode FaultUnsupportedError}; serve it with `engine: "node"` (the
 * default on Deno when fault injection is on).
 *
 * @module
 */

import { type Context, Hono } from "hono";
import { requestWithBody } from "./_body_intake.ts";
import type { FaultExchange } from "./app.ts";
import type { FetchHandler, ServerEngine } from "./listen.ts";
import type { OssRequestInfo } from "./request_info.ts";
import { isOssOperation, type OssOperation } from "../client/operations.ts";
import { OssupError } from "../errors/errors.ts";
import { ServerError } from "./server_error.ts";

/**
 * What a rule does to the requests it acts on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, type FaultAction, FaultInjector, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server with fault injection stands in for OSS.
 * const faults = new FaultInjector();
 * const { app, storage } = createOssApp({ storage: new MemoryStorage(), faults });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * const cut: FaultAction = { type: "reset", phase: "request", afterBytes: 50_000 };
 * const slow: FaultAction = { type: "bandwidth", phase: "request", bytesPerSecond: 10_000_000 };
 * faults.add({ operation: "UploadPart", partNumber: 1, action: cut }); // the first attempt only
 * faults.add({ operation: "UploadPart", partNumber: 2, action: slow });
 * const result = await bucket.uploadFile("big.bin", new Blob([new Uint8Array(200 * 1024)]));
 * assert.equal(result.bytesResent, 100 * 1024); // part 1 went again after the cut
 * assert.equal(faults.stats().injected, 2);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export type FaultAction =
  /** Answer with this HTTP status and OSS error code (after reading the request body). */
  | { type: "error"; status: number; code: string; message?: string }
  /**
   * Close the connection abruptly after `afterBytes` (default 0) bytes of the
   * request body (the operation never runs) or of the response body (the
   * operation has run: the answer is lost).
   */
  | { type: "reset"; phase: "request" | "response"; afterBytes?: number }
  /** Wait `ms` milliseconds before running the operation. */
  | { type: "latency"; ms: number }
  /** Read the request body, or send the response body, at most `bytesPerSecond`. */
  | { type: "bandwidth"; phase: "request" | "response"; bytesPerSecond: number }
  /**
   * Flip the bits of one byte, at `atByte` (default 0), of the request body
   * before the operation reads it (the stored bytes, ETag and CRC64 then
   * differ from what the client sent), or of the response body on its way
   * out (the client receives bytes the object does not hold): corruption in
   * transit.
   */
  | { type: "corrupt"; phase: "request" | "response"; atByte?: number };

/**
 * A fault rule: which requests it matches and what it does to them. Every
 * field that is set must match. JSON-serializable, so the control route
 * accepts the same shape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, FaultInjector, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server with fault injection stands in for OSS.
 * const faults = new FaultInjector();
 * const { app, storage } = createOssApp({ storage: new MemoryStorage(), faults });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * // The first two attempts at part 3 fail with 500; the client's retries carry it through.
 * faults.add({
 *   operation: "UploadPart",
 *   partNumber: 3,
 *   times: 2,
 *   action: { type: "error", status: 500, code: "InternalError" },
 * });
 * await bucket.uploadFile("big.bin", new Blob([new Uint8Array(300 * 1024)]));
 * assert.equal(faults.stats().requests["UploadPart"], 5);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface FaultRule {
  /** OSS API name, e.g. `"UploadPart"`, `"CompleteMultipartUpload"`; any when unset. */
  operation?: OssOperation;
  /** Part number of UploadPart / UploadPartCopy; any when unset. */
  partNumber?: number;
  /** Bucket name; any when unset. */
  bucket?: string;
  /** Object key; any when unset. */
  key?: string;
  /** The first matching call the rule acts on, counting from 1. Default 1. */
  nth?: number;
  /** How many matching calls it acts on from the `nth` on; `0` = all of them. Default 1. */
  times?: number;
  /** What it does. */
  action: FaultAction;
}

/**
 * A rule as stored: with its id and how many requests it matched and acted on so far.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, FaultInjector, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server with fault injection stands in for OSS.
 * const faults = new FaultInjector();
 * const { app, storage } = createOssApp({ storage: new MemoryStorage(), faults });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * faults.add({ operation: "PutObject", times: 0, action: { type: "latency", ms: 1 } });
 * await bucket.putObject("a.txt", "hi");
 * await bucket.putObject("b.txt", "hi");
 * const states: string[] = [];
 * for (const rule of faults.rules()) states.push(`${rule.id} ${rule.matched} ${rule.applied}`);
 * assert.deepEqual(states, ["1 2 2"]);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface FaultRuleState extends FaultRule {
  /** Id given by {@linkcode FaultInjector.add}. */
  id: number;
  /** Requests that matched the rule's filter. */
  matched: number;
  /** Requests the rule acted on. */
  applied: number;
}

/**
 * Counts since the injector was created or last {@linkcode FaultInjector.clear}ed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, FaultInjector, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server with fault injection stands in for OSS.
 * const faults = new FaultInjector();
 * const { app, storage } = createOssApp({ storage: new MemoryStorage(), faults });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * await bucket.uploadFile("big.bin", new Blob([new Uint8Array(150 * 1024)]));
 * const { requests, parts, partBytes, injected } = faults.stats();
 * assert.equal(requests["UploadPart"], 2);
 * assert.deepEqual(parts, { "1": 1, "2": 1 });
 * assert.equal(partBytes, 150 * 1024);
 * assert.equal(injected, 0);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface FaultStats {
  /** Requests handled, per OSS API name. */
  requests: Record<string, number>;
  /** UploadPart requests answered with success, per part number. */
  parts: Record<string, number>;
  /** Bytes of successful UploadPart requests (by their `Content-Length`). */
  partBytes: number;
  /** Faults acted on, all actions together. */
  injected: number;
}

/**
 * Options of {@linkcode FaultInjector}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, FaultInjector, FAULTS_CONTROL_HEADER, FAULTS_CONTROL_PATH, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server with fault injection stands in for OSS.
 * const token = crypto.randomUUID();
 * const faults = new FaultInjector({ controlToken: token });
 * const { app, storage } = createOssApp({ storage: new MemoryStorage(), faults });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 *
 * // Also reachable over HTTP, by whoever holds the token.
 * const res = await fetch(`${server.url}${FAULTS_CONTROL_PATH}`, { headers: { [FAULTS_CONTROL_HEADER]: token } });
 * assert.deepEqual((await res.json()).rules, []);
 * const refused = await fetch(`${server.url}${FAULTS_CONTROL_PATH}`);
 * assert.equal(refused.status, 403);
 * await refused.body?.cancel();
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface FaultInjectorOptions {
  /**
   * Token the control route requires in `x-ossup-control`. When unset the
   * control route is not mounted and rules can only be set in-process.
   */
  controlToken?: string;
  /**
   * Where latency and bandwidth faults take their time from. Default: the
   * real clock (`performance.now` and timers). A clock whose time moves only
   * when a fault sleeps makes a bandwidth cap exact arithmetic in tests.
   */
  clock?: FaultClock;
}

/**
 * The time source of latency and bandwidth faults ({@linkcode FaultInjectorOptions.clock}).
 *
 * @example A clock that moves only when a fault waits
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, type FaultClock, FaultInjector, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server with fault injection stands in for OSS.
 * let now = 0;
 * const clock: FaultClock = {
 *   now: () => now,
 *   sleep: (ms) => {
 *     now += ms;
 *     return Promise.resolve();
 *   },
 * };
 * const faults = new FaultInjector({ clock });
 * const { app, storage } = createOssApp({ storage: new MemoryStorage(), faults });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * // 100 KB at 50 KB/s: two seconds on this clock, none on the real one.
 * faults.add({ operation: "PutObject", action: { type: "bandwidth", phase: "request", bytesPerSecond: 50 * 1024 } });
 * await bucket.putObject("a.bin", new Uint8Array(100 * 1024));
 * assert.equal(Math.round(now), 2000);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export interface FaultClock {
  /** Milliseconds on a clock that never goes back. */
  now(): number;
  /** Resolves once `ms` milliseconds have passed on this clock. */
  sleep(ms: number): Promise<void>;
}

/**
 * A fault rule the server the injector is served by cannot carry out (a
 * reset behind `Deno.serve`): refused when it is added, or when the injector
 * holding it is served by such a server.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FaultInjector, FaultUnsupportedError } from "@ossup/ossup/server";
 *
 * const faults = new FaultInjector();
 * faults.servedBy("Deno.serve"); // as `listen` does on Deno with `engine: "native"`
 * assert.throws(
 *   () => faults.add({ operation: "PutObject", action: { type: "reset", phase: "request" } }),
 *   (err) => err instanceof FaultUnsupportedError && err.engine === "Deno.serve",
 * );
 * ```
 */
export class FaultUnsupportedError extends OssupError {
  /** This class's code: `"FaultUnsupported"`. */
  static override readonly code: "FaultUnsupported" = "FaultUnsupported";
  /** Stable machine-readable code: `"FaultUnsupported"`. */
  declare readonly code: "FaultUnsupported";
  /** The server that cannot carry out the rule. */
  readonly engine: ServerEngine;

  /**
   * Creates the error.
   *
   * @param engine The server that cannot carry out the rule.
   * @param message What it cannot do, and what to use instead.
   */
  constructor(engine: ServerEngine, message: string) {
    super(FaultUnsupportedError.code, message);
    this.name = "FaultUnsupportedError";
    this.engine = engine;
  }
}

/** Why an engine cannot carry out an action, or `undefined` when it can. */
function unsupportedOn(engine: ServerEngine, action: FaultAction): string | undefined {
  if (engine !== "Deno.serve" || action.type !== "reset") return undefined;
  return `a "reset" fault cannot run behind Deno.serve: it always sends a status line and ` +
    `headers before it can close a connection, so a client that does not read the body would ` +
    `see a success; serve the app with engine "node" (node:http) to inject resets`;
}

/** The real clock. */
const REAL_CLOCK: FaultClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Path of the control route.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, FaultInjector, FAULTS_CONTROL_HEADER, FAULTS_CONTROL_PATH, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server with fault injection stands in for OSS.
 * const token = crypto.randomUUID();
 * const faults = new FaultInjector({ controlToken: token });
 * const { app, storage } = createOssApp({ storage: new MemoryStorage(), faults });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 *
 * await fetch(`${server.url}${FAULTS_CONTROL_PATH}`, {
 *   method: "POST",
 *   headers: { [FAULTS_CONTROL_HEADER]: token, "content-type": "application/json" },
 *   body: JSON.stringify({ operation: "PutObject", action: { type: "error", status: 503, code: "ServiceUnavailable" } }),
 * }).then((res) => res.body?.cancel());
 * assert.equal(faults.rules()[0].action.type, "error");
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export const FAULTS_CONTROL_PATH = "/_ossup/faults";

/**
 * Header that carries the control token.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, FaultInjector, FAULTS_CONTROL_HEADER, FAULTS_CONTROL_PATH, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server with fault injection stands in for OSS.
 * const token = crypto.randomUUID();
 * const faults = new FaultInjector({ controlToken: token });
 * const { app, storage } = createOssApp({ storage: new MemoryStorage(), faults });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 *
 * faults.add({ operation: "UploadPart", action: { type: "latency", ms: 1 } });
 * const res = await fetch(`${server.url}${FAULTS_CONTROL_PATH}`, {
 *   headers: { [FAULTS_CONTROL_HEADER]: token },
 * });
 * const { rules, stats } = await res.json();
 * assert.equal(rules.length, 1);
 * assert.equal(stats.injected, 0);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export const FAULTS_CONTROL_HEADER = "x-ossup-control";

const DEFAULT_MESSAGES: Record<string, string> = {
  InternalError: "We encountered an internal error. Please try again.",
  ServiceUnavailable: "Please reduce your request rate.",
  RequestTimeout: "Your socket connection to the server was not read from or written to within " +
    "the timeout period.",
  SlowDown: "Please reduce your request rate.",
};

/**
 * Applies fault rules to the requests of the local server and counts what it
 * sees. `app.ts` calls {@linkcode FaultInjector.handle} around each operation.
 *
 * @example Fail the second attempt at part 3, then inspect the counts
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, FaultInjector, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server with fault injection stands in for OSS.
 * const faults = new FaultInjector();
 * const { app, storage } = createOssApp({ storage: new MemoryStorage(), faults });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * faults.add({
 *   operation: "UploadPart",
 *   partNumber: 3,
 *   nth: 2,
 *   action: { type: "error", status: 503, code: "ServiceUnavailable" },
 * });
 * // Part 3 twice: the second attempt fails, the client retries it.
 * await bucket.uploadFile("a.bin", new Blob([new Uint8Array(300 * 1024)]));
 * await bucket.uploadFile("b.bin", new Blob([new Uint8Array(300 * 1024)]));
 * assert.equal(faults.stats().parts["3"], 2); // successes
 * assert.equal(faults.stats().injected, 1);
 * faults.clear();
 * assert.deepEqual(faults.rules(), []);
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export class FaultInjector {
  readonly #controlToken?: string;
  readonly #clock: FaultClock;
  #rules: FaultRuleState[] = [];
  #nextId = 1;
  #stats: FaultStats = emptyStats();
  /** The servers the injector is served by ({@linkcode FaultInjector.servedBy}). */
  #engines = new Set<ServerEngine>();
  /** Who waits in {@linkcode FaultInjector.when}; checked whenever a count changes. */
  #waiters: { ready: () => boolean; resolve: () => void }[] = [];

  /**
   * Creates an injector with no rules (see {@linkcode FaultInjectorOptions}).
   *
   * @param options The control token, if the control route is wanted.
   */
  constructor(options: FaultInjectorOptions = {}) {
    if (options.controlToken !== undefined && options.controlToken.length < 8) {
      throw new RangeError("controlToken must be at least 8 characters");
    }
    this.#controlToken = options.controlToken;
    this.#clock = options.clock ?? REAL_CLOCK;
  }

  /** Whether the control route is enabled (a control token was given). */
  get controlEnabled(): boolean {
    return this.#controlToken !== undefined;
  }

  /**
   * Adds a rule; rules act in the order they were added.
   *
   * @param rule The rule.
   * @returns Its id, for {@linkcode FaultInjector.remove}.
   */
  add(rule: FaultRule): number {
    validateRule(rule);
    for (const engine of this.#engines) this.#assertSupported(engine, rule);
    const id = this.#nextId++;
    this.#rules.push({ ...structuredClone(rule), id, matched: 0, applied: 0 });
    return id;
  }

  /**
   * Records which server runs the app this injector serves (`listen` calls
   * it, through `createOssApp`, before serving). From then on
   * {@linkcode FaultInjector.add} refuses rules that server cannot carry out.
   *
   * @param engine The server.
   * @throws {FaultUnsupportedError} A rule already set cannot run on that server.
   */
  servedBy(engine: ServerEngine): void {
    for (const rule of this.#rules) this.#assertSupported(engine, rule);
    this.#engines.add(engine);
  }

  #assertSupported(engine: ServerEngine, rule: FaultRule): void {
    const why = unsupportedOn(engine, rule.action);
    if (why !== undefined) throw new FaultUnsupportedError(engine, why);
  }

  /**
   * Removes one rule.
   *
   * @param id The id {@linkcode FaultInjector.add} returned.
   * @returns Whether there was such a rule.
   */
  remove(id: number): boolean {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((r) => r.id !== id);
    return this.#rules.length !== before;
  }

  /** Removes every rule and resets the counts. */
  clear(): void {
    this.#rules = [];
    this.#stats = emptyStats();
    this.#changed();
  }

  /**
   * The rules in force, copied.
   *
   * @returns The rules with their match counts.
   */
  rules(): FaultRuleState[] {
    return structuredClone(this.#rules);
  }

  /**
   * What the injector saw and did so far, copied.
   *
   * @returns A snapshot of the counts.
   */
  stats(): FaultStats {
    return structuredClone(this.#stats);
  }

  /**
   * Waits for the counts to reach a state, without polling: `condition` is
   * checked now and again whenever a count changes.
   *
   * @example Wait until 4 parts have been stored
   * ```ts
   * import assert from "node:assert/strict";
   * import { OssClient } from "@ossup/ossup";
   * import { createOssApp, FaultInjector, listen, MemoryStorage } from "@ossup/ossup/server";
   *
   * // A local OSS server with fault injection stands in for OSS.
   * const faults = new FaultInjector();
   * const { app, storage } = createOssApp({ storage: new MemoryStorage(), faults });
   * const server = await listen(app.fetch);
   * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
   * await client.createBucket("examplebucket");
   * const bucket = client.bucket("examplebucket");
   *
   * const upload = bucket.uploadFile("big.bin", new Blob([new Uint8Array(400 * 1024)]));
   * await faults.when((s) => Object.keys(s.parts).length >= 4); // no polling, no sleeps
   * assert.equal((await upload).parts, 4);
   *
   * await server.close();
   * await storage.close();
   * ```
   *
   * @param condition Called with a snapshot of the counts.
   * @returns A promise that resolves once `condition` returns true.
   */
  when(condition: (stats: FaultStats) => boolean): Promise<void> {
    const ready = () => condition(this.stats());
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ ready, resolve }));
  }

  /** Wakes the {@linkcode FaultInjector.when} callers whose condition now holds. */
  #changed(): void {
    if (this.#waiters.length === 0) return;
    const woken = this.#waiters.filter((w) => w.ready());
    this.#waiters = this.#waiters.filter((w) => !woken.includes(w));
    for (const w of woken) w.resolve();
  }

  /**
   * Runs one operation under the rules that match it.
   *
   * @param info The addressed request (with the part number of part uploads).
   * @param c The request being answered: its body and, behind `node:http`, the socket.
   * @param run Runs the operation; it reads the request body from `c.req.raw`.
   * @returns The response to send.
   */
  async handle(
    info: OssRequestInfo & { partNumber?: number },
    c: FaultExchange,
    run: () => Promise<Response>,
  ): Promise<Response> {
    const stats = this.#stats;
    stats.requests[info.operation] = (stats.requests[info.operation] ?? 0) + 1;
    const actions: FaultAction[] = [];
    for (const rule of this.#rules) {
      if (!matches(rule, info)) continue;
      rule.matched++;
      const nth = rule.nth ?? 1;
      const times = rule.times ?? 1;
      if (rule.matched < nth || (times > 0 && rule.matched >= nth + times)) continue;
      rule.applied++;
      stats.injected++;
      actions.push(rule.action);
    }
    this.#changed();

    if (actions.length === 0) {
      const res = await run();
      this.#countPart(info, res);
      return res;
    }

    for (const a of actions) {
      if (a.type === "latency") await this.#clock.sleep(a.ms);
    }
    const error = actions.find((a) => a.type === "error");
    if (error) {
      await drain(c.req.raw.body);
      throw new ServerError(
        error.status,
        error.code,
        error.message ?? DEFAULT_MESSAGES[error.code] ?? "Injected fault.",
      );
    }
    const requestReset = actions.find((a) => a.type === "reset" && a.phase === "request");
    if (requestReset?.type === "reset") {
      await readAtMost(c.req.raw.body, requestReset.afterBytes ?? 0);
      return abortConnection(c);
    }

    const corrupt = actions.find((a) => a.type === "corrupt" && a.phase === "request");
    if (corrupt?.type === "corrupt") {
      replaceRequestBody(c, (body) => flipByte(body, corrupt.atByte ?? 0));
    }
    const inCap = actions.find((a) => a.type === "bandwidth" && a.phase === "request");
    if (inCap?.type === "bandwidth") {
      replaceRequestBody(c, (body) => throttled(body, inCap.bytesPerSecond, this.#clock));
    }
    let res = await run();
    this.#countPart(info, res);

    const outCorrupt = actions.find((a) => a.type === "corrupt" && a.phase === "response");
    if (outCorrupt?.type === "corrupt" && res.body) {
      res = withBody(res, flipByte(res.body, outCorrupt.atByte ?? 0));
    }
    const outCap = actions.find((a) => a.type === "bandwidth" && a.phase === "response");
    if (outCap?.type === "bandwidth" && res.body) {
      res = withBody(res, throttled(res.body, outCap.bytesPerSecond, this.#clock));
    }
    const responseReset = actions.find((a) => a.type === "reset" && a.phase === "response");
    if (responseReset?.type === "reset") {
      const after = responseReset.afterBytes ?? 0;
      if (after === 0 || !res.body) {
        await res.body?.cancel();
        return abortConnection(c);
      }
      res = withBody(res, cutOff(res.body, after, () => killSocket(c)));
    }
    return res;
  }

  #countPart(info: OssRequestInfo & { partNumber?: number }, res: Response) {
    if (info.operation !== "UploadPart" || !res.ok || info.partNumber === undefined) return;
    const parts = this.#stats.parts;
    parts[info.partNumber] = (parts[info.partNumber] ?? 0) + 1;
    this.#stats.partBytes += Number(info.headers.get("content-length") ?? 0) || 0;
    this.#changed();
  }

  /**
   * The control route, when a control token was given (`undefined`
   * otherwise); `createOssApp` sends it the requests under
   * {@linkcode FAULTS_CONTROL_PATH}, before the OSS routes.
   *
   * - `GET /_ossup/faults` → `{ rules, stats }`
   * - `POST /_ossup/faults` with a rule or an array of rules as JSON → `{ ids }`
   * - `DELETE /_ossup/faults` → removes every rule and resets the counts;
   *   `DELETE /_ossup/faults/<id>` removes one rule.
   *
   * Every request must carry the token in `x-ossup-control`, else 403.
   *
   * @returns The route's request handler, or `undefined` without a control token.
   */
  controlRoute(): FetchHandler | undefined {
    const token = this.#controlToken;
    if (token === undefined) return undefined;
    const app = new Hono();
    const guard = (c: Context): Response | undefined => {
      const given = c.req.header(FAULTS_CONTROL_HEADER) ?? "";
      if (equalStrings(given, token)) return undefined;
      return c.json({ error: `missing or wrong ${FAULTS_CONTROL_HEADER} header` }, 403);
    };
    app.get(FAULTS_CONTROL_PATH, (c) => {
      return guard(c) ?? c.json({ rules: this.rules(), stats: this.stats() });
    });
    app.post(FAULTS_CONTROL_PATH, async (c) => {
      const denied = guard(c);
      if (denied) return denied;
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        return c.json({ error: "body must be a JSON rule or array of rules" }, 400);
      }
      const list = Array.isArray(body) ? body : [body];
      try {
        for (const rule of list) {
          validateRule(rule);
          for (const engine of this.#engines) this.#assertSupported(engine, rule);
        }
      } catch (err) {
        return c.json({ error: (err as Error).message }, 400);
      }
      return c.json({ ids: list.map((r) => this.add(r as FaultRule)) });
    });
    app.delete(FAULTS_CONTROL_PATH, (c) => {
      const denied = guard(c);
      if (denied) return denied;
      this.clear();
      return c.json({ cleared: true });
    });
    app.delete(`${FAULTS_CONTROL_PATH}/:id`, (c) => {
      const denied = guard(c);
      if (denied) return denied;
      return c.json({ removed: this.remove(Number(c.req.param("id"))) });
    });
    return app.fetch;
  }
}

function emptyStats(): FaultStats {
  return { requests: {}, parts: {}, partBytes: 0, injected: 0 };
}

function matches(rule: FaultRule, info: OssRequestInfo & { partNumber?: number }): boolean {
  return (rule.operation === undefined || rule.operation === info.operation) &&
    (rule.partNumber === undefined || rule.partNumber === info.partNumber) &&
    (rule.bucket === undefined || rule.bucket === info.bucket) &&
    (rule.key === undefined || rule.key === info.key);
}

function validateRule(value: unknown): void {
  if (typeof value !== "object" || value === null) throw new TypeError("a rule must be an object");
  const rule = value as FaultRule;
  const optionalString = (name: "operation" | "bucket" | "key") => {
    if (rule[name] !== undefined && typeof rule[name] !== "string") {
      throw new TypeError(`rule.${name} must be a string`);
    }
  };
  optionalString("operation");
  if (rule.operation !== undefined && !isOssOperation(rule.operation)) {
    throw new TypeError(
      `rule.operation must be an OSS operation name such as "UploadPart", not ${
        JSON.stringify(rule.operation)
      }`,
    );
  }
  optionalString("bucket");
  optionalString("key");
  const count = (name: "partNumber" | "nth" | "times", min: number) => {
    const v = rule[name];
    if (v !== undefined && (!Number.isInteger(v) || v < min)) {
      throw new RangeError(`rule.${name} must be an integer ≥ ${min}`);
    }
  };
  count("partNumber", 1);
  count("nth", 1);
  count("times", 0);
  const a = rule.action as FaultAction | undefined;
  if (typeof a !== "object" || a === null) throw new TypeError("rule.action must be an object");
  switch (a.type) {
    case "error":
      if (!Number.isInteger(a.status) || a.status < 300 || a.status > 599) {
        throw new RangeError("action.status must be an HTTP error status (300-599)");
      }
      if (typeof a.code !== "string" || a.code === "") {
        throw new TypeError("action.code must be an OSS error code");
      }
      if (a.message !== undefined && typeof a.message !== "string") {
        throw new TypeError("action.message must be a string");
      }
      return;
    case "reset":
      if (a.phase !== "request" && a.phase !== "response") {
        throw new TypeError('action.phase must be "request" or "response"');
      }
      if (a.afterBytes !== undefined && (!Number.isInteger(a.afterBytes) || a.afterBytes < 0)) {
        throw new RangeError("action.afterBytes must be an integer ≥ 0");
      }
      return;
    case "latency":
      if (typeof a.ms !== "number" || !(a.ms >= 0)) throw new RangeError("action.ms must be ≥ 0");
      return;
    case "bandwidth":
      if (a.phase !== "request" && a.phase !== "response") {
        throw new TypeError('action.phase must be "request" or "response"');
      }
      if (typeof a.bytesPerSecond !== "number" || !(a.bytesPerSecond >= 1)) {
        throw new RangeError("action.bytesPerSecond must be ≥ 1");
      }
      return;
    case "corrupt":
      if (a.phase !== "request" && a.phase !== "response") {
        throw new TypeError('action.phase must be "request" or "response"');
      }
      if (a.atByte !== undefined && (!Number.isInteger(a.atByte) || a.atByte < 0)) {
        throw new RangeError("action.atByte must be an integer ≥ 0");
      }
      return;
    default:
      throw new TypeError(
        'action.type must be "error", "reset", "latency", "bandwidth" or "corrupt"',
      );
  }
}

/** Compares without an early exit, so timing does not reveal how much of a token matched. */
function equalStrings(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < y.length; i++) diff |= (x[i] ?? 0) ^ y[i];
  return diff === 0;
}

async function drain(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body) return;
  try {
    for await (const _ of body) { /* discard */ }
  } catch {
    // The client went away: nothing to answer anyway.
  }
}

/** Reads and discards up to `limit` bytes, then stops reading. */
async function readAtMost(body: ReadableStream<Uint8Array> | null, limit: number): Promise<void> {
  if (!body || limit === 0) return;
  const reader = body.getReader();
  let n = 0;
  try {
    while (n < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.byteLength;
    }
  } catch {
    // Already broken: the reset happens anyway.
  } finally {
    reader.releaseLock();
  }
}

/** Node-style socket, as `@hono/node-server` exposes it in `c.env.incoming.socket`. */
interface RawSocket {
  destroy(): void;
  destroyed?: boolean;
}

function nodeSocket(c: FaultExchange): RawSocket | undefined {
  // deno-lint-ignore no-explicit-any
  const socket = (c.env as any)?.incoming?.socket;
  return socket && typeof socket.destroy === "function" ? socket : undefined;
}

function killSocket(c: FaultExchange): boolean {
  const socket = nodeSocket(c);
  if (!socket) return false;
  if (!socket.destroyed) socket.destroy();
  return true;
}

/**
 * Closes the connection without an answer. Behind `node:http` the socket is
 * destroyed; behind `Bun.serve` the returned body errors before its first
 * byte, which aborts the connection before the status line. (`Deno.serve`
 * would send the status and headers first: resets are refused there.)
 */
function abortConnection(c: FaultExchange): Response {
  // The socket is gone: whatever is answered goes nowhere.
  if (killSocket(c)) return new Response(null, { status: 500 });
  c.req.raw.body?.cancel().catch(() => {});
  return new Response(
    new ReadableStream<Uint8Array>({
      pull(controller) {
        // `undefined` rather than an Error: the runtimes log an Error as unhandled.
        controller.error(undefined);
      },
    }),
    { status: 200, headers: { "content-length": "1" } },
  );
}

/**
 * Passes `limit` bytes, then cuts the connection: behind `node:http` the
 * socket is destroyed once the bytes had a moment to leave; elsewhere the
 * stream errors, which aborts the connection.
 */
function cutOff(
  body: ReadableStream<Uint8Array>,
  limit: number,
  kill: () => boolean,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= limit) {
        await reader.cancel().catch(() => {});
        await REAL_CLOCK.sleep(20); // let the bytes already queued reach the client
        if (kill()) controller.close();
        else controller.error(undefined);
        return;
      }
      const { done, value } = await reader.read();
      if (done) {
        // Shorter than the cut: the client got everything; still drop the connection.
        if (kill()) controller.close();
        else controller.error(undefined);
        return;
      }
      const take = Math.min(value.byteLength, limit - sent);
      sent += take;
      controller.enqueue(take === value.byteLength ? value : value.subarray(0, take));
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/** Delivers `body` at no more than `bytesPerSecond`, in slices of about a tenth of a second. */
function throttled(
  body: ReadableStream<Uint8Array>,
  bytesPerSecond: number,
  clock: FaultClock,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const slice = Math.max(1, Math.floor(bytesPerSecond / 10));
  let pending: Uint8Array | undefined;
  let start: number | undefined;
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!pending || pending.byteLength === 0) {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        pending = value;
      }
      start ??= clock.now();
      const chunk = pending.subarray(0, slice);
      pending = pending.subarray(chunk.byteLength);
      sent += chunk.byteLength;
      const due = start + (sent / bytesPerSecond) * 1000;
      const wait = due - clock.now();
      if (wait > 0) await clock.sleep(wait);
      controller.enqueue(chunk);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/** Passes `body` with the byte at `at` inverted (unchanged when the body is shorter). */
function flipByte(body: ReadableStream<Uint8Array>, at: number): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (at >= seen && at < seen + chunk.byteLength) {
          // A copy: the chunk may be a view the runtime reuses.
          const copy = chunk.slice();
          copy[at - seen] ^= 0xff;
          chunk = copy;
        }
        seen += chunk.byteLength;
        controller.enqueue(chunk);
      },
    }),
  );
}

/** Swaps the request body that the operation will read from `c.req.raw`. */
function replaceRequestBody(
  c: FaultExchange,
  wrap: (body: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>,
): void {
  const raw = c.req.raw;
  if (!raw.body) return;
  c.req.raw = requestWithBody(raw, wrap(raw.body));
}

function withBody(res: Response, body: ReadableStream<Uint8Array>): Response {
  return new Response(body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}
