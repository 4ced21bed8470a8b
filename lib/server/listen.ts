/**
 * Starts a fetch handler (the Hono app's `app.fetch`) on a socket with the
 * current runtime's server: `Deno.serve`, `Bun.serve`, or `node:http` via
 * `@hono/node-server`. This is the server's runtime edge, so it may look at
 * `globalThis.Deno` / `globalThis.Bun`. Request bodies are streamed to the
 * handler on every runtime, never buffered whole.
 *
 * On Bun the default is Bun's `node:http`, not `Bun.serve`: `Bun.serve`
 * drops a handler's `Content-Length` on streamed bodies and answers chunked
 * (oven-sh/bun#10507), while OSS always sends `Content-Length` on GetObject.
 * `engine: "native"` picks `Bun.serve` anyway (faster, chunked downloads).
 *
 * On Deno the default is `Deno.serve`, except for a handler that must cut
 * connections (fault injection, marked with {@linkcode CUTS_CONNECTIONS}):
 * `Deno.serve` has no way to drop a connection before the status line goes
 * out, so a "reset" reached the client as a `200` without an ETag. Deno's
 * `node:http` destroys the socket before any byte of the answer, as on Bun
 * and Node. A handler learns which server it got through {@linkcode SERVED_BY}
 * (the fault injector then refuses resets on `Deno.serve`).
 *
 * A request head past an engine's own limits never reaches the app, so the
 * engine answers it: node:http (64 KiB here) with OSS's 431
 * `RequestHeaderTooLarge` XML, `Deno.serve` (hyper's 100 headers; measured:
 * 250 headers or a 70 KB header) with a bare 400, `Bun.serve` with a bare
 * 431. Neither offers a hook or a setting (denoland/deno#21047), so
 * `engine: "node"` is the one that answers these as OSS-shaped errors.
 *
 * @module
 */

import { intakeRequest } from "./_body_intake.ts";
import { openFileLimit } from "./_open_file_limit.ts";
import { newRequestId, renderErrorXml, ServerError } from "./server_error.ts";

/**
 * A fetch handler; `env` is runtime-specific (Node: `{ incoming, outgoing }`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type FetchHandler, listen } from "@ossup/ossup/server";
 *
 * const hello: FetchHandler = () => new Response("hello");
 * const server = await listen(hello, { port: 0 });
 * assert.equal(await (await fetch(server.url)).text(), "hello");
 * await server.close();
 * ```
 */
export type FetchHandler = (req: Request, env?: unknown) => Response | Promise<Response>;

/**
 * Property set to `true` on a handler that destroys sockets (through the
 * `node:http` `env.incoming.socket`) to reset connections before answering.
 * `engine: "auto"` then serves it through `node:http` on Deno too.
 * `createOssApp` sets it on `app.fetch` when fault injection is configured.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listen, type ServerEngine } from "@ossup/ossup/server";
 * import { CUTS_CONNECTIONS, SERVED_BY } from "./listen.ts";
 *
 * let engine: ServerEngine | undefined;
 * const handler = Object.assign(() => new Response("ok"), {
 *   [CUTS_CONNECTIONS]: true,
 *   [SERVED_BY]: (e: ServerEngine) => void (engine = e),
 * });
 * const server = await listen(handler, { port: 0 });
 * assert.equal(engine, "node:http"); // on every runtime
 * await server.close();
 * ```
 */
export const CUTS_CONNECTIONS: unique symbol = Symbol.for("ossup.server.cutsConnections");

/**
 * The server that runs a handler: what {@linkcode SERVED_BY} tells it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FaultInjector, type ServerEngine } from "@ossup/ossup/server";
 *
 * const engine: ServerEngine = "node:http";
 * const faults = new FaultInjector();
 * faults.servedBy(engine); // as listen() tells the app it serves
 * faults.add({ operation: "PutObject", action: { type: "reset", phase: "request" } }); // node:http can
 * assert.equal(faults.rules().length, 1);
 * ```
 */
export type ServerEngine = "Deno.serve" | "Bun.serve" | "node:http";

/**
 * Property holding a function `(engine: ServerEngine) => void` that
 * {@linkcode listen} calls with the server it picked, before serving: the
 * handler may refuse that server by throwing (then `listen` throws and serves
 * nothing). `createOssApp` sets it when fault injection is configured, so
 * that rules an engine cannot honour are refused when they are added.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listen, type ServerEngine } from "@ossup/ossup/server";
 * import { SERVED_BY } from "./listen.ts";
 *
 * const served: string[] = [];
 * const handler = Object.assign(() => new Response("ok"), {
 *   [SERVED_BY]: (engine: ServerEngine) => served.push(`served by ${engine}`),
 * });
 * const server = await listen(handler, { port: 0, engine: "node" });
 * assert.deepEqual(served, ["served by node:http"]);
 * await server.close();
 * // A handler may refuse the server by throwing: then nothing is served.
 * const picky = Object.assign(() => new Response("ok"), {
 *   [SERVED_BY]: () => {
 *     throw new Error("not this one");
 *   },
 * });
 * await assert.rejects(listen(picky, { engine: "node" }), /not this one/);
 * ```
 */
export const SERVED_BY: unique symbol = Symbol.for("ossup.server.servedBy");

/**
 * Options of {@linkcode listen}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * const { app } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch, { host: "127.0.0.1", port: 0, engine: "node" });
 * assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
 * assert.notEqual(server.port, 0); // the free port it picked
 * await server.close();
 * ```
 */
export interface ListenOptions {
  /** Interface to bind. Default `"127.0.0.1"`. */
  host?: string;
  /** Port; `0` picks a free one. Default `0`. */
  port?: number;
  /** Largest request body `Bun.serve` accepts. Default 6 GiB. */
  maxRequestBodySize?: number;
  /**
   * Which server: `"native"` (`Deno.serve` / `Bun.serve`), `"node"`
   * (`node:http` via `@hono/node-server`, on any runtime that has it), or
   * `"auto"`: `Deno.serve` on Deno (`node:http` for a handler marked with
   * {@linkcode CUTS_CONNECTIONS}), `node:http` on Bun and Node. Default `"auto"`.
   */
  engine?: "auto" | "native" | "node";
  /**
   * Milliseconds a request body may stall (no byte arriving while the
   * server waits for one) before the request fails with OSS's
   * `RequestTimeout` (400) and what it wrote is discarded; `0` never times
   * out. The connection is then closed, except on `Deno.serve`, which offers
   * no way to close it and keeps it until the client leaves. Default
   * {@linkcode DEFAULT_BODY_IDLE_TIMEOUT_MS}.
   */
  bodyIdleTimeoutMs?: number;
  /**
   * Called once the handler is done with a request: its answer decided, its
   * body read or abandoned, what it wrote kept or discarded. Lets a caller
   * (a test) wait for a request whose client went away. Default: none.
   */
  onRequestHandled?: (request: HandledRequest) => void;
  /**
   * Most connections node:http holds at once; more are closed as they come
   * in until some end. Each connection may hold a socket and a temp file, so
   * the default keeps both under the process's open-file limit
   * (`(limit - 64) / 2` where the limit can be read, Linux; else none): past
   * it, `accept` fails with `EMFILE`, which Deno's node:http never recovers
   * from. `Deno.serve` instead starts listening again once it can (see
   * {@linkcode ListenOptions.onAccepting}); `Bun.serve` recovers by itself.
   */
  maxConnections?: number;
  /**
   * Called when the server stops taking new connections (`false`, with why:
   * the connection cap, or `Deno.serve` failing to accept, e.g. `EMFILE`)
   * and when it takes them again (`true`). Default: a line on stderr.
   */
  onAccepting?: (accepting: boolean, reason?: string) => void;
}

/**
 * What {@linkcode ListenOptions.onRequestHandled} learns of a request.
 *
 * @example Wait until the server has answered a request, not for a fixed time
 * ```ts
 * import assert from "node:assert/strict";
 * import { type HandledRequest, listen } from "@ossup/ossup/server";
 *
 * const handled: HandledRequest[] = [];
 * const server = await listen(() => new Response("ok"), {
 *   onRequestHandled: (r) => handled.push(r),
 * });
 * await (await fetch(server.url + "/x")).text();
 * await server.close();
 * assert.deepEqual(handled.map((r) => [r.method, new URL(r.url).pathname, r.status]), [["GET", "/x", 200]]);
 * ```
 */
export interface HandledRequest {
  /** The request method. */
  method: string;
  /** The request URL. */
  url: string;
  /** The answer's status; absent when the handler threw. */
  status?: number;
}

/**
 * Default of {@linkcode ListenOptions.bodyIdleTimeoutMs}: one minute.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_BODY_IDLE_TIMEOUT_MS } from "@ossup/ossup/server";
 *
 * assert.equal(DEFAULT_BODY_IDLE_TIMEOUT_MS / 1000, 60);
 * ```
 */
export const DEFAULT_BODY_IDLE_TIMEOUT_MS = 60_000;

/**
 * A running server.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * const { app } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * assert.equal(server.url, `http://${server.host}:${server.port}`);
 * assert.ok(["deno", "bun", "node"].includes(server.runtime));
 * await server.close();
 * ```
 */
export interface Listening {
  /** `http://host:port` (IPv6 hosts in brackets). */
  url: string;
  /** The bound host. */
  host: string;
  /** The bound port. */
  port: number;
  /** Which server runs it. */
  runtime: "deno" | "bun" | "node";
  /** Stops accepting connections and closes open ones. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY = 6 * 1024 ** 3;

/** Open files kept free of connections: the runtime's own, storage indexes, listeners. */
const RESERVED_FILES = 64;

/** Longest wait between two attempts to listen again after accepting failed. */
const MAX_RELISTEN_DELAY_MS = 1000;

function logAccepting(accepting: boolean, reason?: string): void {
  console.error(
    `ossup server: ${accepting ? "accepting connections again" : `not accepting: ${reason}`}`,
  );
}

/** Largest request head `node:http` accepts (Node's default is 16 KiB). */
const NODE_MAX_HEADER_SIZE = 64 * 1024;

function urlOf(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * Serves `fetch` on `host:port`.
 *
 * @param fetch The handler, e.g. `createOssApp(...).app.fetch`.
 * @param options Host and port.
 * @returns The URL and a close function.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * const { app } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch, { port: 0 });
 * const res = await fetch(server.url); // ListBuckets
 * assert.equal(res.status, 200);
 * assert.match(await res.text(), /<ListAllMyBucketsResult>/);
 * await server.close();
 * ```
 */
export async function listen(fetch: FetchHandler, options: ListenOptions = {}): Promise<Listening> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError("port must be an integer from 0 to 65535");
  }
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  const engine = options.engine ?? "auto";
  const cuts = (fetch as { [CUTS_CONNECTIONS]?: boolean })[CUTS_CONNECTIONS] === true;
  const idleTimeoutMs = options.bodyIdleTimeoutMs ?? DEFAULT_BODY_IDLE_TIMEOUT_MS;
  if (!(Number.isSafeInteger(idleTimeoutMs) && idleTimeoutMs >= 0)) {
    throw new RangeError("bodyIdleTimeoutMs must be an integer from 0 (no timeout) up");
  }
  const onAccepting = options.onAccepting ?? logAccepting;
  const deno = engine === "native" || (engine === "auto" && !cuts);
  const servedBy = (fetch as { [SERVED_BY]?: (engine: ServerEngine) => void })[SERVED_BY];
  if (deno && g.Deno?.serve) {
    servedBy?.("Deno.serve");
    const handler = intake(fetch, idleTimeoutMs, options.onRequestHandled);
    return listenDeno(g.Deno, handler, host, port, onAccepting);
  }
  if (engine === "native" && g.Bun?.serve) {
    servedBy?.("Bun.serve");
    const handler = intake(fetch, idleTimeoutMs, options.onRequestHandled);
    return listenBun(g.Bun, handler, host, port, options.maxRequestBodySize);
  }
  servedBy?.("node:http");
  // node:http: a body ends whole only if the parser saw its end (see _body_intake.ts).
  const complete = (env: unknown) => () =>
    (env as { incoming?: { complete?: boolean } }).incoming?.complete === true;
  const limit = openFileLimit();
  const maxConnections = options.maxConnections ??
    (limit === undefined ? Infinity : Math.max(1, Math.floor((limit - RESERVED_FILES) / 2)));
  const handler = intake(fetch, idleTimeoutMs, options.onRequestHandled, complete);
  return await listenNode(handler, host, port, maxConnections, onAccepting);
}

/** `fetch` reading bodies through the intake, reporting each request it is done with. */
function intake(
  fetch: FetchHandler,
  idleTimeoutMs: number,
  onHandled?: (request: HandledRequest) => void,
  completeOf?: (env: unknown) => () => boolean,
): FetchHandler {
  return async (req, env) => {
    const { method, url } = req;
    let status: number | undefined;
    try {
      const intake = intakeRequest(req, { idleTimeoutMs, complete: completeOf?.(env) });
      let res = await fetch(intake.request, env);
      status = res.status;
      if (!intake.bodyEnded()) res = closingConnection(res);
      return res;
    } finally {
      onHandled?.({ method, url, status });
    }
  };
}

function listenDeno(
  // deno-lint-ignore no-explicit-any
  Deno: any,
  fetch: FetchHandler,
  host: string,
  port: number,
  onAccepting: (accepting: boolean, reason?: string) => void,
): Promise<Listening> {
  let closing = false;
  const start = (at: number) => {
    const server = Deno.serve({
      hostname: host,
      port: at,
      onListen() {},
      onError(err: unknown) {
        // A body stream errored with `undefined` is a deliberate cut, not a failure.
        if (err !== undefined) console.error("ossup server:", err);
        return new Response("internal error", { status: 500 });
      },
    }, (req: Request, info: unknown) => fetch(req, info));
    // Deno.serve stops for good when accepting fails (EMFILE): listen again on the same port.
    server.finished.catch((err: unknown) => {
      if (closing) return;
      onAccepting(false, String((err as Error)?.message ?? err));
      relisten(bound, MAX_RELISTEN_DELAY_MS / 200);
    });
    return server;
  };
  const relisten = (at: number, delay: number) => {
    setTimeout(() => {
      if (closing) return;
      try {
        current = start(at);
        onAccepting(true);
      } catch {
        relisten(at, Math.min(delay * 2, MAX_RELISTEN_DELAY_MS));
      }
    }, delay);
  };
  let current = start(port);
  const bound = current.addr.port as number;
  return Promise.resolve({
    url: urlOf(host, bound),
    host,
    port: bound,
    runtime: "deno",
    close: async () => {
      closing = true;
      await current.shutdown();
    },
  });
}

function listenBun(
  // deno-lint-ignore no-explicit-any
  Bun: any,
  fetch: FetchHandler,
  host: string,
  port: number,
  maxBody?: number,
): Promise<Listening> {
  const server = Bun.serve({
    hostname: host,
    port,
    // Bun buffers nothing but refuses bodies above this (default 128 MiB).
    maxRequestBodySize: maxBody ?? DEFAULT_MAX_BODY,
    // Slow (throttled) uploads must not be cut by Bun's 10 s default.
    idleTimeout: 0,
    fetch: (req: Request, srv: unknown) => fetch(req, srv),
    error(err: unknown) {
      if (err !== undefined) console.error("ossup server:", err);
      return new Response("internal error", { status: 500 });
    },
  });
  const bound = server.port as number;
  return Promise.resolve({
    url: urlOf(host, bound),
    host,
    port: bound,
    runtime: "bun",
    close: async () => {
      await server.stop(true);
    },
  });
}

async function listenNode(
  fetch: FetchHandler,
  host: string,
  port: number,
  maxConnections: number,
  onAccepting: (accepting: boolean, reason?: string) => void,
): Promise<Listening> {
  const { getRequestListener } = await import("@hono/node-server");
  const { createServer } = await import("node:http");
  const listener = getRequestListener(fetch as never, {
    hostname: host,
    // Replacing the global Request/Response would break every Deno.serve and
    // every `instanceof Response` check elsewhere in the process.
    overrideGlobalObjects: false,
    // A target @hono/node-server cannot turn into a Request (a raw `\\`) fails before the app
    // runs; answer it as the app answers the same target on Deno.serve, in OSS's XML.
    // (createAdaptorServer does not pass this option on, hence the listener built here.)
    errorHandler: (err: unknown) => answerUnbuiltRequest(err),
  });
  // No overall request deadline: large uploads may take long (Node's default is 300 s).
  const server = createServer(
    { requestTimeout: 0, maxHeaderSize: NODE_MAX_HEADER_SIZE },
    listener,
    // deno-lint-ignore no-explicit-any
  ) as any;
  // Requests node:http cannot parse never reach the app: answer them in OSS's form too.
  server.on("clientError", (err: { code?: string }, socket: NodeSocketLike) => {
    answerClientError(err, socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Listening again takes the same port, the one given or the one picked.
  let closed = false;
  const place = { port: server.address().port as number, host, closed: () => closed };
  capConnections(server, maxConnections, place, onAccepting);
  // Later errors (a failed accept) must not end the process: the listener keeps going.
  server.on("error", (err: Error) => console.error("ossup server:", err.message));
  const bound = server.address().port as number;
  return {
    url: urlOf(host, bound),
    host,
    port: bound,
    runtime: "node",
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

interface NodeServerLike {
  on(event: "connection", listener: (socket: NodeSocketLike) => void): void;
  once(event: "listening" | "error", listener: () => void): void;
  off(event: "listening" | "error", listener: () => void): void;
  /** Stops listening (connections already open go on). */
  close(): void;
  listen(port: number, host: string): void;
}

/** Where a capped server listens, and whether its owner has closed it (then it stays closed). */
interface CapPlace {
  port: number;
  host: string;
  closed(): boolean;
}

/**
 * Closes connections past `max` as they come in (the same as Node's
 * `server.maxConnections`, which not every runtime's node:http has), stops
 * listening meanwhile and listens again once one has ended, and reports when
 * that starts and stops. Stopping matters on Deno: its node:http accepts a
 * burst of connections faster than they can be refused, and an `accept` that
 * fails with `EMFILE` ends its accepting for good (measured: 400 stalled
 * uploads at a 300-file limit took the process to 258–300 open files with
 * the listener left open, and at 300 it never answered again).
 */
function capConnections(
  server: NodeServerLike,
  max: number,
  where: CapPlace,
  onAccepting: (accepting: boolean, reason?: string) => void,
): void {
  let open = 0;
  let full = false;
  server.on("connection", (socket) => {
    if (open >= max) {
      if (!full) {
        full = true;
        server.close();
        onAccepting(false, `${max} connections open, the most allowed`);
      }
      // OSS's answer to more than it will take at once.
      const busy = new ServerError(503, "ServiceUnavailable", "Please reduce your request rate.");
      return answerOnSocket(socket, 503, "Service Unavailable", busy);
    }
    open++;
    socket.once("close", () => {
      open--;
      if (full && open < max && !where.closed()) {
        full = false;
        listenAgain(server, where, MAX_RELISTEN_DELAY_MS / 200, () => onAccepting(true));
      }
    });
  });
}

/**
 * Listens on `where` again, then calls `listening`; if the port cannot be had at once (another
 * process took it meanwhile), tries again after `delay` ms, doubling up to a second, until it
 * can or the server's owner closes it.
 */
function listenAgain(
  server: NodeServerLike,
  where: CapPlace,
  delay: number,
  listening: () => void,
): void {
  const done = () => {
    server.off("error", failed);
    listening();
  };
  const failed = () => {
    server.off("listening", done);
    setTimeout(() => {
      if (!where.closed()) {
        listenAgain(server, where, Math.min(delay * 2, MAX_RELISTEN_DELAY_MS), listening);
      }
    }, delay);
  };
  server.once("listening", done);
  server.once("error", failed);
  server.listen(where.port, where.host);
}

/**
 * `res` with `Connection: close`, for an answer given before the request's
 * body ended (a refusal, a `RequestTimeout`): every engine then closes the
 * socket after the answer instead of waiting for, or misreading, the rest.
 */
function closingConnection(res: Response): Response {
  try {
    res.headers.set("connection", "close");
    return res;
  } catch {
    // Immutable headers (a Response built by the runtime): copy them.
    const headers = new Headers(res.headers);
    headers.set("connection", "close");
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  }
}

interface NodeSocketLike {
  once(event: "close", listener: () => void): void;
  writable: boolean;
  end(data: string, written?: () => void): void;
  destroy(): void;
}

function answerClientError(err: { code?: string }, socket: NodeSocketLike): void {
  const [status, reason, code, message] = err.code === "HPE_HEADER_OVERFLOW"
    ? [
      431,
      "Request Header Fields Too Large",
      "RequestHeaderTooLarge",
      "The request headers are too large.",
    ]
    : err.code === "HPE_INVALID_EOF_STATE"
    ? [
      400,
      "Bad Request",
      "IncompleteBody",
      "The request body is shorter than its declared Content-Length.",
    ]
    : [400, "Bad Request", "InvalidRequest", "The request could not be parsed as HTTP/1.1."];
  answerOnSocket(socket, status, reason, new ServerError(status, code, message));
}

/**
 * The answer to a request @hono/node-server could not build (its `RequestError`, e.g. a target
 * `new URL` refuses): 400 `InvalidURI`, as `parseRequestTarget` gives on the other engines.
 */
function answerUnbuiltRequest(err: unknown): Response {
  const unbuilt = err instanceof Error && err.name === "RequestError";
  const answer = unbuilt
    ? new ServerError(400, "InvalidURI", "The request target could not be parsed.")
    : new ServerError(500, "InternalError", "The server failed to handle the request.");
  const requestId = newRequestId();
  return new Response(renderErrorXml(answer, { requestId, hostId: "" }), {
    status: answer.status,
    headers: { "content-type": "application/xml", "x-oss-request-id": requestId },
  });
}

/** Writes OSS's error answer straight to a socket node:http does not answer itself, and closes it. */
function answerOnSocket(
  socket: NodeSocketLike,
  status: number,
  reason: string,
  err: ServerError,
): void {
  if (!socket.writable) return socket.destroy();
  const requestId = newRequestId();
  const body = renderErrorXml(err, { requestId, hostId: "" });
  const bytes = new TextEncoder().encode(body).length;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/xml\r\nContent-Length: ${bytes}\r\n` +
      `x-oss-request-id: ${requestId}\r\nServer: AliyunOSS\r\nConnection: close\r\n\r\n${body}`,
    // Once written, free the descriptor now rather than when the client closes its side.
    () => socket.destroy(),
  );
}
