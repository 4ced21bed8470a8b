/**
 * Requests over HTTP/1.1 on `node:net` (and `node:tls`) keep-alive connections: a body written
 * from the caller's buffer (or stream) in pieces that stop at an early answer, and each answer
 * read into one buffer per connection (`onread`), from which its body is copied straight into
 * the reader's buffer: a byte stream, so a download reads into its write buffers.
 *
 * Why, measured against the local server: `node:http` hands each answer chunk over as a new
 * `Buffer` through a `Readable`; reading 1 GiB of 8 MiB ranged answers, 4 at a time, cost Node
 * 1.1-1.65 s of CPU that way and 0.2-0.3 s on a socket reading into a reused buffer. A PutObject
 * of 16 KiB, 8 at a time, cost 0.48 ms of CPU per request through `node:http` on Node and 0.28
 * ms this way (Deno: 0.26 and 0.20 ms).
 *
 * @module
 */

import { connect, isIP, type Socket } from "node:net";
import { connect as connectTls, type ConnectionOptions } from "node:tls";
import { concatBytes } from "../../_concat_bytes.ts";
import {
  bodyFraming,
  indexOfHeadEnd,
  isInterim,
  latin1Bytes,
  latin1Text,
  MAX_HEAD_BYTES,
  parseAnswerHead,
  parseChunkSize,
  requestHead,
} from "../_http1_wire.ts";
import { type IdleConnection, IdlePool } from "../_idle_pool.ts";

/** Options of {@linkcode createSocketRequest}. */
export interface SocketRequestOptions {
  /** How long an idle connection is kept, in milliseconds. */
  keepAliveTimeout: number;
  /**
   * Certificate authorities (PEM) to trust for `https:` besides Node's own (which include
   * `NODE_EXTRA_CA_CERTS`). Default: none.
   */
  ca?: string | string[];
}

/**
 * A request body as {@linkcode SocketRequest} sends it: bytes with their length, or a stream,
 * with the length the caller gave (else sent chunked).
 */
export type SocketBody =
  | { kind: "none" }
  | { kind: "bytes"; bytes: Uint8Array }
  | { kind: "stream"; stream: ReadableStream<Uint8Array>; length?: number };

/** Sends one request to an `http:` or `https:` URL; fails like `fetch`. */
export interface SocketRequest {
  (url: URL, init: RequestInit, body: SocketBody): Promise<Response>;
  /**
   * Opens connections to `url`'s origin in the background until `connections` are idle or
   * opening; the requests that come take them before opening any of their own.
   */
  preconnect(url: URL, connections: number): void;
}

// Each connection's read buffer: what one read from the kernel can bring.
const READ_BUFFER = 256 * 1024;
// A request body goes out in pieces of this size, so an early answer stops it soon.
const BODY_PIECE = 1024 * 1024;
// A byte body up to this size goes out with its head in one write.
const ONE_WRITE_BODY = 64 * 1024;
// A reader that brings no buffer of its own gets chunks of this size.
const CHUNK = 64 * 1024;

/**
 * Makes the request transport: a pool of idle connections per origin, each closed after
 * `keepAliveTimeout` ms; `https:` ones trust `ca` besides Node's own authorities.
 *
 * @param options Keep-alive timeout, extra certificate authorities.
 * @returns The sender.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listen } from "@ossup/ossup/server";
 * import { createSocketRequest } from "./socket_request.ts";
 *
 * // A server that says how many bytes it received.
 * const server = await listen(async (req) => new Response(String((await req.arrayBuffer()).byteLength)));
 * const send = createSocketRequest({ keepAliveTimeout: 1000 });
 * const url = new URL(`${server.url}/bucket/key`);
 * const put = await send(url, { method: "PUT" }, { kind: "bytes", bytes: new Uint8Array(1024) });
 * assert.equal(await put.text(), "1024");
 * const get = await send(url, {}, { kind: "none" });
 * assert.equal(await get.text(), "0");
 * await server.close();
 * ```
 */
export function createSocketRequest(options: SocketRequestOptions): SocketRequest {
  const pool = new ConnectionPool(options.keepAliveTimeout, options.ca);
  return Object.assign(
    (url: URL, init: RequestInit, body: SocketBody) => exchange(pool, url, init, body),
    { preconnect: (url: URL, connections: number) => pool.preconnect(url, connections) },
  );
}

async function exchange(
  pool: ConnectionPool,
  url: URL,
  init: RequestInit,
  body: SocketBody,
): Promise<Response> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted) {
    if (body.kind === "stream") body.stream.cancel(signal.reason).catch(() => {});
    throw signal.reason;
  }
  const method = (init.method ?? "GET").toUpperCase();
  const headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
  // A stream of unknown length goes chunked (unless the caller gave its content-length).
  const chunked = body.kind === "stream" && body.length === undefined &&
    !headers.has("content-length");
  // No body: a POST or PUT still says its length is 0, as fetch does (RFC 9110 asks it of a
  // method whose body means something; some servers refuse such a request without it).
  const framing = body.kind === "bytes"
    ? body.bytes.byteLength
    : body.kind === "stream"
    ? (chunked ? "chunked" : body.length)
    : method === "POST" || method === "PUT"
    ? 0
    : undefined;
  const head = requestHead(method, url, headers, framing);
  let connection: Connection;
  try {
    connection = await pool.acquire(url, signal);
  } catch (err) {
    if (body.kind === "stream") body.stream.cancel(err).catch(() => {});
    if (signal?.aborted) throw signal.reason;
    throw new TypeError("fetch failed", { cause: err });
  }
  if (signal?.aborted) {
    pool.release(connection);
    if (body.kind === "stream") body.stream.cancel(signal.reason).catch(() => {});
    throw signal.reason;
  }
  const answer = new Answer(method === "HEAD", signal, (reusable) => {
    if (reusable) {
      connection.answered();
      pool.release(connection);
    } else connection.destroy();
  });
  connection.begin(answer);
  connection.send(head, body, chunked, answer);
  return await answer.response;
}

/** Idle connections by origin; new ones trusting the extra certificate authorities. */
class ConnectionPool extends IdlePool<Connection> {
  constructor(keepAliveTimeout: number, readonly ca?: string | string[]) {
    super(keepAliveTimeout);
  }

  acquire(url: URL, signal: AbortSignal | undefined): Promise<Connection> {
    return this.obtain(url.origin, () => Connection.open(url, this.ca, signal), signal);
  }

  /** Opens connections to `url`'s origin until `connections` are idle or opening. */
  preconnect(url: URL, connections: number): void {
    this.warm(url.origin, connections, () => Connection.open(url, this.ca, undefined));
  }
}

/** One keep-alive connection: bytes read into its buffer, handed to the answer being read. */
class Connection implements IdleConnection {
  #socket!: Socket;
  #buffer = new Uint8Array(READ_BUFFER);
  /** Bytes read and not yet taken by the answer; the socket is paused while there are any. */
  #unread: Uint8Array = new Uint8Array(0);
  #paused = false;
  #answer?: Answer;
  #closed = false;
  #wakeWriter?: () => void;
  /** Cancels the stream body being sent, with the reason the connection went. */
  #cancelBody?: () => void;

  private constructor(readonly origin: string) {}

  /** Connects; an abort meanwhile destroys the socket and rejects with the signal's reason. */
  static open(
    url: URL,
    ca: string | string[] | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Connection> {
    const connection = new Connection(url.origin);
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const onread = {
      buffer: connection.#buffer,
      callback: (n: number) => connection.#onRead(n),
    };
    return new Promise((resolve, reject) => {
      const secure = url.protocol === "https:";
      const socket = secure
        ? connectTls({
          host,
          port: Number(url.port || 443),
          // SNI takes host names only (RFC 6066), not addresses.
          ...(isIP(host) ? {} : { servername: host }),
          ...(ca === undefined ? {} : { ca }),
          // Node's TLS sockets take `onread` as its plain ones do; its types leave it out.
          onread,
        } as ConnectionOptions)
        : connect({ host, port: Number(url.port || 80), onread });
      socket.setNoDelay(true);
      connection.#socket = socket;
      const failed = (err: unknown) => {
        signal?.removeEventListener("abort", aborted);
        socket.destroy();
        reject(err);
      };
      const aborted = () => failed(signal!.reason);
      signal?.addEventListener("abort", aborted, { once: true });
      socket.once("error", failed);
      socket.once(secure ? "secureConnect" : "connect", () => {
        signal?.removeEventListener("abort", aborted);
        socket.off("error", failed);
        socket.on("error", (err) => connection.#gone(err));
        socket.on("end", () => connection.#gone());
        socket.on("close", () => connection.#gone());
        resolve(connection);
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  hold(held: boolean): void {
    if (held) this.#socket.ref();
    else this.#socket.unref();
  }

  /** The answer has been read whole: bytes from now on are out of step. */
  answered(): void {
    this.#answer = undefined;
    this.#cancelBody = undefined;
  }

  begin(answer: Answer): void {
    this.#answer = answer;
    answer.attach(() => this.#drive(), () => this.destroy());
  }

  /**
   * Writes the head, then the body in pieces, each once the socket has taken the one before;
   * stops at an answer that comes first (OSS refuses a bad signature or a too-large part before
   * reading it: the rest would be sent for nothing). The answer knows whether all went.
   */
  send(head: string, body: SocketBody, chunked: boolean, answer: Answer): void {
    // A head's field values are byte strings (Headers refuses others): one byte per character.
    if (body.kind === "none" || (body.kind === "bytes" && body.bytes.byteLength === 0)) {
      this.#socket.write(head, "latin1");
      return;
    }
    if (body.kind === "bytes" && body.bytes.byteLength <= ONE_WRITE_BODY) {
      // Head and a small body in one write, synchronously: no generator, no second buffer in
      // the kernel's queue. The socket holds the copy, so the caller's buffer is free at once.
      this.#socket.write(latin1Bytes(head, body.bytes));
      return;
    }
    answer.bodyPending = true;
    const pieces = body.kind === "bytes"
      ? bytePieces(body.bytes)
      : streamPieces(body.stream, chunked, (cancel) => {
        // Aborted: the stream learns the caller's reason, as with fetch.
        this.#cancelBody = () =>
          cancel(
            answer.signal?.aborted
              ? answer.signal.reason
              : new Error("the body was not sent whole"),
          );
      });
    void this.#sendBody(head, pieces, answer).catch((err) => {
      // The body could not be read (a stream that failed): the request cannot be completed.
      answer.broken(err);
      this.destroy();
    });
  }

  async #sendBody(head: string, pieces: BodyPieces, answer: Answer): Promise<void> {
    const socket = this.#socket;
    let first = true;
    try {
      for (;;) {
        if (answer.answered || this.#closed) return;
        const next = await pieces.next();
        if (answer.answered || this.#closed) return;
        const piece = next.value;
        // The head with the first piece in one write: no packet of its own for the head.
        socket.cork();
        if (first) socket.write(head, "latin1");
        first = false;
        const flowing = piece === undefined || socket.write(piece);
        socket.uncork();
        if (next.done) {
          // The whole body is with the socket, which sends it whatever comes next.
          answer.bodyPending = false;
          return;
        }
        if (!flowing) await this.#drained();
      }
    } finally {
      await pieces.return?.();
    }
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#socket.off("drain", done);
        this.#socket.off("close", done);
        this.#wakeWriter = undefined;
        resolve();
      };
      this.#socket.on("drain", done);
      this.#socket.on("close", done);
      // An answer meanwhile: the writer looks again, and stops.
      this.#wakeWriter = done;
    });
  }

  destroy(): void {
    this.#gone(new Error("closed"));
    this.#socket.destroy();
  }

  close(): void {
    this.destroy();
  }

  /** A read: `n` bytes at the start of the buffer. False pauses the socket. */
  #onRead(n: number): boolean {
    if (this.#answer === undefined) {
      // Bytes nobody asked for: the connection is out of step.
      this.destroy();
      return false;
    }
    this.#unread = this.#buffer.subarray(0, n);
    return this.#drive();
  }

  /** Hands unread bytes to the answer; true when all were taken (the socket may read on). */
  #drive(): boolean {
    const answer = this.#answer;
    try {
      while (this.#unread.length > 0 && answer !== undefined && !answer.finished) {
        const taken = answer.take(this.#unread);
        if (answer.answered) this.#wakeWriter?.();
        if (taken === 0) break; // its reader has not asked yet
        this.#unread = this.#unread.subarray(taken);
      }
      if (answer?.finished && this.#unread.length > 0) {
        // More than the answer: the connection is out of step.
        answer.done(false);
        this.destroy();
        return false;
      }
      if (answer?.finished) answer.done(true);
    } catch (err) {
      answer?.broken(err);
      this.destroy();
      return false;
    }
    const all = this.#unread.length === 0;
    if (all && this.#paused && !this.#closed) {
      this.#paused = false;
      this.#socket.resume();
    } else if (!all) this.#paused = true;
    return all;
  }

  #gone(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelBody?.();
    this.#cancelBody = undefined;
    const answer = this.#answer;
    this.#answer = undefined;
    answer?.end(error ?? new Error("the server closed the connection"));
  }
}

/** Reads one answer: head, then a body by length, chunked, or until the connection closes. */
class Answer {
  readonly response: Promise<Response>;
  /** True once the whole answer has been read. */
  finished = false;
  /** True while the request's body is not all written: the connection is then not reusable. */
  bodyPending = false;
  #resolve!: (response: Response) => void;
  #reject!: (err: unknown) => void;
  #head: Uint8Array[] = [];
  #headBytes = 0;
  #answered = false;
  #mode: "length" | "chunked" | "close" | "none" = "none";
  #remaining = 0;
  #chunkState: "size" | "data" | "data-end" | "trailer" = "size";
  #line = "";
  #keepAlive = true;
  #controller?: ReadableByteStreamController;
  #wakeReader?: () => void;
  #settled = false;
  #drive: () => void = () => {};
  #destroy: () => void = () => {};

  constructor(
    readonly headRequest: boolean,
    readonly signal: AbortSignal | undefined,
    readonly release: (reusable: boolean) => void,
  ) {
    this.response = new Promise<Response>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** True once the final answer's head has arrived. */
  get answered(): boolean {
    return this.#answered;
  }

  attach(drive: () => void, destroy: () => void): void {
    this.#drive = drive;
    this.#destroy = destroy;
  }

  #onAbort = () => {
    this.fail(this.signal!.reason);
    this.#destroy();
  };

  /** Takes what it can of `bytes`; returns how many (0: its reader has not asked yet). */
  take(bytes: Uint8Array): number {
    if (!this.#answered) return this.#takeHead(bytes);
    switch (this.#mode) {
      case "none":
        this.finished = true;
        return 0;
      case "close":
        return this.#deliver(bytes);
      case "length": {
        const n = this.#deliver(bytes.subarray(0, this.#remaining));
        this.#remaining -= n;
        if (this.#remaining === 0) this.#finishBody();
        return n;
      }
      case "chunked":
        return this.#takeChunked(bytes);
    }
  }

  /** The connection is done with: whether it can carry another request. */
  done(clean: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    this.signal?.removeEventListener("abort", this.#onAbort);
    this.release(clean && this.#keepAlive && this.#mode !== "close" && !this.bodyPending);
  }

  /** A failure: the answer not yet given is rejected, a body being read errors. */
  fail(err: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.finished = true;
    this.signal?.removeEventListener("abort", this.#onAbort);
    if (!this.#answered) this.#reject(err);
    else {
      try {
        this.#controller?.error(err);
      } catch {
        // already closed
      }
      this.#wakeReader?.();
    }
  }

  /** What the connection brought cannot be read as an answer: fails like `fetch`. */
  broken(err: unknown): void {
    if (err instanceof TypeError) this.fail(err);
    else if (this.#answered) this.fail(new TypeError("terminated", { cause: err }));
    else this.fail(new TypeError("fetch failed", { cause: err }));
  }

  /** The connection ended: completes a body read until close, fails anything else. */
  end(error: Error): void {
    if (this.#settled) return;
    if (this.#answered && this.#mode === "close" && !this.finished) {
      this.#finishBody();
      this.done(false);
      return;
    }
    if (this.finished) return;
    this.fail(
      this.#answered
        ? new TypeError("terminated: the connection closed mid-body", { cause: error })
        : new TypeError("fetch failed", { cause: error }),
    );
  }

  #takeHead(bytes: Uint8Array): number {
    // The end of the head may straddle reads: look for CRLFCRLF from the last 3 bytes kept on.
    const kept = this.#headBytes > 0 ? concatBytes(this.#head) : new Uint8Array(0);
    const before = kept.subarray(Math.max(0, kept.length - 3));
    const joined = before.length > 0 ? concatBytes([before, bytes]) : bytes;
    const end = indexOfHeadEnd(joined);
    if (end < 0) {
      this.#head.push(bytes.slice());
      this.#headBytes += bytes.length;
      if (this.#headBytes > MAX_HEAD_BYTES) throw new Error("answer head too large");
      return bytes.length;
    }
    const used = end + 4 - before.length;
    const text = latin1Text(concatBytes([kept, bytes.subarray(0, used)]));
    this.#head = [];
    this.#headBytes = 0;
    this.#onHead(text.slice(0, text.length - 4));
    return used;
  }

  #onHead(text: string): void {
    const head = parseAnswerHead(text);
    // 100 Continue and other interim answers come before the real one.
    if (isInterim(head.status)) return;
    this.#answered = true;
    this.#keepAlive = head.keepAlive;
    const framing = bodyFraming(head, this.headRequest);
    this.#mode = framing.mode;
    this.#remaining = framing.length;
    const bodiless = this.#mode === "none" || (this.#mode === "length" && this.#remaining === 0);
    let response: Response;
    try {
      response = new Response(bodiless ? null : this.#bodyStream(), {
        status: head.status,
        statusText: head.statusText,
        headers: head.headers,
      });
    } catch (err) {
      // A Response takes statuses 200-599 only.
      this.#answered = false;
      throw new TypeError("fetch failed", { cause: err });
    }
    if (bodiless) this.finished = true;
    this.#resolve(response);
  }

  #bodyStream(): ReadableStream<Uint8Array> {
    return new ReadableStream({
      type: "bytes",
      autoAllocateChunkSize: CHUNK,
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => {
        if (this.finished) return;
        // Bytes already read are handed over at once; else the next read brings them.
        return new Promise<void>((resolve) => {
          this.#wakeReader = resolve;
          this.#drive();
        });
      },
      cancel: () => {
        this.fail(new Error("the body was cancelled"));
        this.#destroy();
      },
    }, { highWaterMark: 0 });
  }

  /** Copies body bytes into the reader's buffer; 0 when it has not asked. */
  #deliver(bytes: Uint8Array): number {
    const request = this.#controller?.byobRequest;
    if (bytes.length === 0) return 0;
    if (!request?.view) return 0;
    const view = new Uint8Array(
      request.view.buffer,
      request.view.byteOffset,
      request.view.byteLength,
    );
    const n = Math.min(view.length, bytes.length);
    view.set(bytes.subarray(0, n));
    request.respond(n);
    const wake = this.#wakeReader;
    this.#wakeReader = undefined;
    wake?.();
    return n;
  }

  #takeChunked(bytes: Uint8Array): number {
    let used = 0;
    while (used < bytes.length && !this.finished) {
      if (this.#chunkState === "data") {
        const n = this.#deliver(bytes.subarray(used, used + this.#remaining));
        if (n === 0) break;
        used += n;
        this.#remaining -= n;
        if (this.#remaining === 0) this.#chunkState = "data-end";
        continue;
      }
      // A size line, the CRLF after data, or a trailer line: read up to its LF.
      const lf = bytes.indexOf(10, used);
      const end = lf < 0 ? bytes.length : lf + 1;
      this.#line += String.fromCharCode(...bytes.subarray(used, end));
      used = end;
      if (this.#line.length > 4096) throw new Error("chunk size line too long");
      if (lf < 0) break;
      const line = this.#line.replace(/\r?\n$/, "");
      this.#line = "";
      if (this.#chunkState === "data-end") {
        if (line !== "") throw new Error("missing CRLF after a chunk");
        this.#chunkState = "size";
      } else if (this.#chunkState === "trailer") {
        if (line === "") this.#finishBody();
      } else {
        const size = parseChunkSize(line);
        if (size === 0) this.#chunkState = "trailer";
        else {
          this.#remaining = size;
          this.#chunkState = "data";
        }
      }
    }
    return used;
  }

  #finishBody(): void {
    this.finished = true;
    const controller = this.#controller;
    if (controller === undefined) return;
    controller.close();
    // A reader waiting on a buffer learns the end from an empty answer to it.
    controller.byobRequest?.respond(0);
    const wake = this.#wakeReader;
    this.#wakeReader = undefined;
    wake?.();
  }
}

/** A body's pieces in order; the value with `done` is a last piece still to write, if any. */
type BodyPieces = AsyncIterator<Uint8Array, Uint8Array | undefined>;

/** `bytes` in pieces of {@linkcode BODY_PIECE}, the last one given with `done`. */
async function* bytePieces(bytes: Uint8Array): BodyPieces {
  let at = 0;
  for (; at + BODY_PIECE < bytes.byteLength; at += BODY_PIECE) {
    yield bytes.subarray(at, at + BODY_PIECE);
  }
  return bytes.subarray(at);
}

/**
 * A stream's chunks, framed as chunked transfer coding when `chunked`. `onReader` gets a way
 * to cancel the stream at once (a read may be pending); one left before its end is cancelled.
 */
async function* streamPieces(
  stream: ReadableStream<Uint8Array>,
  chunked: boolean,
  onReader: (cancel: (reason: unknown) => void) => void,
): BodyPieces {
  const reader = stream.getReader();
  let ended = false;
  let cancelled = false;
  const cancel = (reason: unknown) => {
    if (ended || cancelled) return;
    cancelled = true;
    reader.cancel(reason).catch(() => {});
  };
  onReader(cancel);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        return chunked ? new TextEncoder().encode("0\r\n\r\n") : undefined;
      }
      if (value.byteLength === 0) continue;
      if (!chunked) yield value;
      else {
        yield new TextEncoder().encode(`${value.byteLength.toString(16)}\r\n`);
        yield value;
        yield new TextEncoder().encode("\r\n");
      }
    }
  } finally {
    if (!ended && !cancelled) cancel(new Error("the body was not sent whole"));
    reader.releaseLock();
  }
}
