/**
 * Bun's default `fetch` for the client: requests with a byte body (parts and
 * small PutObjects alike), and bodiless ones other than GET and HEAD
 * (InitiateMultipartUpload, which then goes on a connection a transfer opened
 * ahead), go over HTTP/1.1 on `Bun.connect` sockets, written straight from the
 * caller's buffer (a small body in the head's write); bodiless GETs and HEADs to
 * `http:` URLs over `node:net` ones (`../node_api/socket_request.ts`); every
 * other request goes to Bun's own `fetch`.
 *
 * Why: Bun's `fetch` copies a byte body whole before sending it, so each
 * part in flight is held twice. Measured against a loopback sink (128 PUTs
 * of 8 MiB, 4 in flight): 110 MiB peak with `fetch`, 69 MiB on sockets, at
 * the same speed and CPU. Bun's other bodies cost more (`node:http`: 168
 * MiB and 35% more CPU; a file slice: 0.75× the throughput; a stream of
 * views: slower in the full benchmark). Small bodies too: Bun's `fetch` adds
 * four headers (`Accept`, `Accept-Encoding`, `Connection`, `User-Agent`),
 * which the server parses on every small PutObject.
 *
 * @module
 */

/** The part of a Bun socket used here, so this file type-checks without Bun's types. */
interface BunSocket {
  write(data: Uint8Array, byteOffset?: number, byteLength?: number): number;
  end(): void;
  terminate(): void;
  ref(): void;
  unref(): void;
}

interface BunSocketHandlers {
  data(socket: BunSocket, data: Uint8Array): void;
  drain(socket: BunSocket): void;
  close(socket: BunSocket, error?: Error): void;
  error(socket: BunSocket, error: Error): void;
  end(socket: BunSocket): void;
  connectError(socket: BunSocket, error: Error): void;
  handshake(socket: BunSocket, success: boolean, authorizationError: Error | null): void;
}

interface BunConnect {
  connect(options: {
    hostname: string;
    port: number;
    tls?: boolean | { serverName?: string; ca?: string | string[] };
    socket: BunSocketHandlers;
  }): Promise<BunSocket>;
}

import { concatBytes } from "../../_concat_bytes.ts";
import {
  bodyFraming,
  indexOfHeadEnd,
  isInterim,
  latin1Bytes,
  latin1Text,
  MAX_HEAD_BYTES,
  NULL_BODY_STATUSES,
  parseAnswerHead,
  parseChunkSize,
  requestHead,
} from "../_http1_wire.ts";
import { type IdleConnection, IdlePool } from "../_idle_pool.ts";
import { createSocketRequest } from "../node_api/socket_request.ts";
import type {
  PreconnectingFetch,
  TransportPreconnectOptions,
} from "../../client/bucket_preconnect.ts";

type FetchFn = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** Options of {@linkcode createSocketFetch}. */
export interface SocketFetchOptions {
  /**
   * The `fetch` for every other request. Default: the global `fetch`, looked up per call, with
   * `decompress: false` and `accept-encoding: identity` (unless the caller set one), so that a
   * body arrives as the server stored it: Bun's `fetch` would otherwise ask for gzip and inflate
   * any gzip body, even one stored with `Content-Encoding: gzip`, and a download's length and
   * CRC-64 are of the stored bytes.
   */
  fallback?: typeof fetch;
  /**
   * Byte bodies at least this large go over sockets. Default 0, every one: a small body is cheap
   * to copy, but the headers Bun's `fetch` adds cost the server more per small PutObject (see
   * the module's notes).
   */
  minBodySize?: number;
  /**
   * Whether GET and HEAD requests without a body to `http:` URLs go over `node:net`
   * connections that read each answer into one reused buffer ({@linkcode createSocketRequest}).
   * Default `true`: Bun's `fetch` reads a body ahead of its reader, so a download of 4 × 8 MiB
   * ranges peaked at 155 MiB through it and at 73-76 MiB this way, at the same speed.
   */
  socketGets?: boolean;
  /**
   * How long an idle connection is kept, in milliseconds. Default 4000, under
   * the 5 s idle timeout common to HTTP servers (a request that meets a
   * connection the server just closed fails as a network error, which the
   * client retries).
   */
  keepAliveTimeout?: number;
  /** Extra certificate authorities (PEM) for https endpoints, e.g. a private one. Default: none. */
  ca?: string | string[];
}

/** Bun's own `fetch`, asked not to decode bodies: see {@linkcode SocketFetchOptions.fallback}. */
function storedBytesFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  // `decompress` is Bun's own option; a Request keeps its own headers.
  if (input instanceof Request) {
    return globalThis.fetch(input, { ...init, decompress: false } as RequestInit);
  }
  const headers = new Headers(init?.headers);
  if (!headers.has("accept-encoding")) headers.set("accept-encoding", "identity");
  return globalThis.fetch(input, { ...init, headers, decompress: false } as RequestInit);
}

const CRLF = new Uint8Array([13, 10]);

/**
 * Makes a `fetch`-compatible function that sends requests whose body is a
 * `Uint8Array` of at least `minBodySize` bytes to an http(s) URL over
 * `Bun.connect` keep-alive connections (the body written from the caller's
 * buffer, with `content-length`), and passes everything else to
 * `options.fallback`. It reads the answer whole (answers to uploads are
 * small), follows no redirect, and fails like `fetch`: a `TypeError` whose
 * `cause` is the socket's error, or the signal's reason.
 *
 * @param options Fallback, threshold, keep-alive timeout, extra CAs.
 * @returns The `fetch`.
 *
 * @example Bun only: the doc tests run on Deno, so they do not run this one
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { listen } from "@ossup/ossup/server";
 * import { createSocketFetch } from "./socket_fetch.ts";
 *
 * // A server that says how many bytes it received.
 * const server = await listen(async (req) => new Response(String((await req.arrayBuffer()).byteLength)));
 * const fetch = createSocketFetch();
 * const res = await fetch(`${server.url}/bucket/key`, { method: "PUT", body: new Uint8Array(8 << 20) });
 * assert.equal(await res.text(), String(8 << 20)); // written from the buffer over a socket
 * await server.close();
 * ```
 */
export function createSocketFetch(options: SocketFetchOptions = {}): PreconnectingFetch {
  const fallback: FetchFn = options.fallback ?? storedBytesFetch;
  const minBodySize = options.minBodySize ?? 0;
  const keepAliveTimeout = options.keepAliveTimeout ?? 4000;
  if (!(keepAliveTimeout > 0)) {
    throw new RangeError(
      `keepAliveTimeout must be a positive number of ms, got ${keepAliveTimeout}`,
    );
  }
  const pool = new ConnectionPool(keepAliveTimeout, options.ca);
  const socketGet = options.socketGets === false
    ? undefined
    : createSocketRequest({ keepAliveTimeout });
  const send: FetchFn = (input, init) => {
    let body = init?.body;
    const bodiless = body === undefined || body === null;
    const method = (init?.method ?? "GET").toUpperCase();
    if (bodiless && !(input instanceof Request)) {
      const url = new URL(String(input));
      if (method === "GET" || method === "HEAD") {
        // Only http: here, Bun's node:tls refused a test certificate given as `ca`
        // (DEPTH_ZERO_SELF_SIGNED_CERT) that Bun.connect takes; https stays on Bun's fetch.
        if (socketGet !== undefined && url.protocol === "http:") {
          return socketGet(url, init ?? {}, { kind: "none" });
        }
        return fallback(input, init);
      }
      // Sent with `content-length: 0`, as Bun's fetch sends a bodiless POST.
      body = NO_BODY;
    }
    if (
      !(body instanceof Uint8Array) || (body.byteLength < minBodySize && !bodiless) ||
      input instanceof Request
    ) {
      return fallback(input, init);
    }
    const url = new URL(String(input));
    if (url.protocol !== "http:" && url.protocol !== "https:") return fallback(input, init);
    return exchange(pool, url, init!, body);
  };
  // Byte bodies go over this pool; GET and HEAD to http: over socketGet's (as `send` routes them).
  const preconnect = (url: string | URL, options: TransportPreconnectOptions): void => {
    const target = new URL(String(url));
    if (options.body) {
      if (target.protocol === "http:" || target.protocol === "https:") {
        pool.preconnect(target, options.connections);
      }
    } else if (target.protocol === "http:") socketGet?.preconnect(target, options.connections);
  };
  return Object.assign(send, { preconnect }) as PreconnectingFetch;
}

/** The body of a request sent without one. */
const NO_BODY = new Uint8Array(0);

/** Bodies up to this size are copied into the head's buffer and go out in one write. */
const ONE_WRITE_BODY = 64 * 1024;

async function exchange(
  pool: ConnectionPool,
  url: URL,
  init: RequestInit,
  body: Uint8Array,
): Promise<Response> {
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  const method = (init.method ?? "GET").toUpperCase();
  const headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
  const head = requestHead(method, url, headers, body.byteLength);

  let connection: Connection;
  try {
    connection = await pool.acquire(url);
  } catch (err) {
    throw new TypeError("fetch failed", { cause: err });
  }
  const onAbort = () => connection.fail(signal!.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    if (signal?.aborted) throw signal.reason;
    const parser = connection.expect(method === "HEAD");
    let sent = true;
    try {
      if (body.byteLength <= ONE_WRITE_BODY) {
        // Head and a small body in one write, as Bun's fetch sends them: one segment for the
        // server to read, not two.
        sent = await connection.write(latin1Bytes(head, body), () => parser.answered);
      } else {
        await connection.write(latin1Bytes(head));
        // An answer before the body is all written (a 403 before the server reads it, say)
        // stops the body: the server has decided, the rest would be sent for nothing.
        sent = await connection.write(body, () => parser.answered);
      }
    } catch (err) {
      // A server may answer before it has read the body (a 403, say) and close: that answer stands.
      if (!parser.answered) throw err;
      sent = false;
    }
    const { status, statusText, headers: responseHeaders, bytes, reusable } = await parser.answer;
    if (reusable && sent) pool.release(connection);
    else connection.close();
    return new Response(NULL_BODY_STATUSES.has(status) || method === "HEAD" ? null : bytes, {
      status,
      statusText,
      headers: responseHeaders,
    });
  } catch (err) {
    connection.close();
    if (signal?.aborted) throw signal.reason;
    throw err instanceof TypeError ? err : new TypeError("fetch failed", { cause: err });
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/** Idle connections by origin; new ones opened with the extra certificate authorities. */
class ConnectionPool extends IdlePool<Connection> {
  constructor(keepAliveTimeout: number, readonly ca?: string | string[]) {
    super(keepAliveTimeout);
  }

  acquire(url: URL): Promise<Connection> {
    return this.obtain(url.origin, () => Connection.open(url, this.ca));
  }

  /** Opens connections to `url`'s origin until `connections` are idle or opening. */
  preconnect(url: URL, connections: number): void {
    this.warm(url.origin, connections, () => Connection.open(url, this.ca));
  }
}

interface Answer {
  status: number;
  statusText: string;
  headers: Headers;
  bytes: Uint8Array<ArrayBuffer>;
  /** False when the connection cannot carry another request. */
  reusable: boolean;
}

/** One keep-alive connection: writes with backpressure, parses one answer at a time. */
class Connection implements IdleConnection {
  #socket!: BunSocket;
  #closed = false;
  #error: unknown;
  #drained?: () => void;
  #parser?: AnswerParser;

  private constructor(readonly origin: string) {}

  static async open(url: URL, ca?: string | string[]): Promise<Connection> {
    const bun = (globalThis as unknown as { Bun: BunConnect }).Bun;
    const connection = new Connection(url.origin);
    const secure = url.protocol === "https:";
    const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = Number(url.port || (secure ? 443 : 80));
    connection.#socket = await bun.connect({
      hostname,
      port,
      tls: secure ? { serverName: hostname, ...(ca ? { ca } : {}) } : undefined,
      socket: {
        data: (_socket, data) => connection.#onData(data),
        drain: () => connection.#drained?.(),
        close: (_socket, error) => connection.#onClose(error),
        end: () => connection.#onClose(),
        error: (_socket, error) => connection.#onClose(error),
        connectError: (_socket, error) => connection.#onClose(error),
        // Bun closes a connection whose certificate it rejects without an error; keep the reason.
        handshake: (_socket, success, error) => {
          if (!success) connection.#onClose(error ?? new Error("the TLS handshake failed"));
        },
      },
    });
    return connection;
  }

  get closed(): boolean {
    return this.#closed;
  }

  hold(held: boolean): void {
    if (held) this.#socket.ref();
    else this.#socket.unref();
  }

  /** Starts reading the answer to the request about to be written. */
  expect(headRequest: boolean): AnswerParser {
    const parser = new AnswerParser(headRequest);
    this.#parser = parser;
    return parser;
  }

  /**
   * Writes `data`, waiting for `drain` whenever the socket takes less; stops as soon as
   * `stop()` is true (checked before each write and when an answer arrives meanwhile).
   * Resolves true once all of it is written, false when it stopped.
   */
  async write(data: Uint8Array, stop: () => boolean = () => false): Promise<boolean> {
    let offset = 0;
    while (offset < data.byteLength) {
      if (this.#closed) throw this.#error ?? new Error("the connection closed while sending");
      if (stop()) return false;
      const written = this.#socket.write(data, offset, data.byteLength - offset);
      if (written < 0) throw new Error("the connection refused the write");
      offset += written;
      if (offset < data.byteLength) {
        await new Promise<void>((resolve) => {
          this.#drained = resolve;
        });
        this.#drained = undefined;
      }
    }
    return true;
  }

  /** Ends the connection and fails what waits on it. */
  fail(reason: unknown): void {
    this.#onClose(reason);
    this.#socket.terminate();
  }

  close(): void {
    if (this.#closed) return;
    this.#onClose(new Error("closed"));
    this.#socket.end();
  }

  #onData(data: Uint8Array): void {
    const parser = this.#parser;
    if (parser === undefined) {
      // Bytes nobody asked for: the connection is out of step; drop it.
      this.fail(new Error("unexpected data from the server"));
      return;
    }
    try {
      if (parser.feed(data)) this.#parser = undefined;
    } catch (err) {
      this.fail(err);
    }
    // An answer while the body waits for `drain`: the writer looks again, and stops.
    if (parser.answered) this.#drained?.();
  }

  #onClose(error?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#error = error ?? new Error("the server closed the connection");
    this.#drained?.();
    const parser = this.#parser;
    this.#parser = undefined;
    parser?.end(this.#error);
  }
}

/** Parses one HTTP/1.1 answer: head, then a body by length, chunked, or until close. */
class AnswerParser {
  readonly answer: Promise<Answer>;
  /** The answer, once complete. */
  completed?: Answer;
  /** True once the final answer's head has arrived (1xx interim answers do not count). */
  get answered(): boolean {
    return this.#head !== undefined;
  }
  #resolve!: (answer: Answer) => void;
  #reject!: (err: unknown) => void;
  #buffer: Uint8Array = new Uint8Array(0);
  #head?: { status: number; statusText: string; headers: Headers; keepAlive: boolean };
  #mode: "length" | "chunked" | "close" | "none" = "none";
  #remaining = 0;
  #chunkState: "size" | "data" | "data-end" | "trailer" = "size";
  #body: Uint8Array[] = [];

  constructor(readonly headRequest: boolean) {
    this.answer = new Promise<Answer>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.answer.catch(() => {}); // the caller awaits it after writing; a failure before is kept
  }

  /** Takes bytes from the socket; true once the answer is complete. */
  feed(data: Uint8Array): boolean {
    this.#buffer = this.#buffer.byteLength === 0 ? data : concatBytes([this.#buffer, data]);
    for (;;) {
      if (this.#head === undefined) {
        const end = indexOfHeadEnd(this.#buffer);
        if (end < 0) {
          if (this.#buffer.byteLength > MAX_HEAD_BYTES) throw new Error("answer head too large");
          return false;
        }
        const head = parseAnswerHead(latin1Text(this.#buffer.subarray(0, end)));
        this.#buffer = this.#buffer.subarray(end + 4);
        // 100 Continue and other interim answers come before the real one.
        if (isInterim(head.status)) continue;
        this.#head = head;
        const framing = bodyFraming(head, this.headRequest);
        this.#mode = framing.mode;
        this.#remaining = framing.length;
      }
      return this.#readBody();
    }
  }

  /** The connection ended: completes an answer read until close, fails any other. */
  end(error: unknown): void {
    if (this.#head !== undefined && this.#mode === "close") {
      this.#body.push(this.#buffer);
      this.#finish(false);
      return;
    }
    this.#reject(error);
  }

  #readBody(): boolean {
    switch (this.#mode) {
      case "none":
        return this.#finish(this.#buffer.byteLength === 0);
      case "close":
        this.#body.push(this.#buffer);
        this.#buffer = new Uint8Array(0);
        return false;
      case "length": {
        const take = Math.min(this.#remaining, this.#buffer.byteLength);
        this.#body.push(this.#buffer.subarray(0, take));
        this.#remaining -= take;
        this.#buffer = this.#buffer.subarray(take);
        if (this.#remaining > 0) return false;
        return this.#finish(this.#buffer.byteLength === 0);
      }
      case "chunked":
        return this.#readChunks();
    }
  }

  #readChunks(): boolean {
    for (;;) {
      if (this.#chunkState === "size" || this.#chunkState === "trailer") {
        const end = indexOf(this.#buffer, CRLF);
        if (end < 0) return false;
        const line = new TextDecoder().decode(this.#buffer.subarray(0, end));
        this.#buffer = this.#buffer.subarray(end + 2);
        if (this.#chunkState === "trailer") {
          if (line === "") return this.#finish(this.#buffer.byteLength === 0);
          continue; // a trailer field: ignored
        }
        const size = parseChunkSize(line);
        if (size === 0) this.#chunkState = "trailer";
        else {
          this.#remaining = size;
          this.#chunkState = "data";
        }
      } else if (this.#chunkState === "data") {
        const take = Math.min(this.#remaining, this.#buffer.byteLength);
        if (take === 0) return false;
        this.#body.push(this.#buffer.subarray(0, take));
        this.#buffer = this.#buffer.subarray(take);
        this.#remaining -= take;
        if (this.#remaining === 0) this.#chunkState = "data-end";
      } else {
        if (this.#buffer.byteLength < 2) return false;
        this.#buffer = this.#buffer.subarray(2);
        this.#chunkState = "size";
      }
    }
  }

  #finish(clean: boolean): true {
    const head = this.#head!;
    this.completed = {
      status: head.status,
      statusText: head.statusText,
      headers: head.headers,
      bytes: concatBytes(this.#body),
      // Extra bytes after the answer put the connection out of step.
      reusable: clean && head.keepAlive && this.#mode !== "close",
    };
    this.#resolve(this.completed);
    return true;
  }
}

function indexOf(buffer: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.byteLength <= buffer.byteLength; i++) {
    for (let j = 0; j < needle.byteLength; j++) if (buffer[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
