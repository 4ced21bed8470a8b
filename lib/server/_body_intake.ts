/**
 * The request body as every engine hands it to the app: a stream that ends
 * only when the whole body arrived, and that fails with OSS's
 * `RequestTimeout` when the client stops sending while the server waits.
 *
 * Why it exists: an engine may report a connection cut mid-body as a clean
 * end of the body. Deno's `node:http` does when the handler first reads
 * after the socket closed (our handler reads late: signature checking is
 * async): `@hono/node-server` then turns the destroyed `IncomingMessage`
 * into a web stream with `Readable.toWeb`, which on Deno closes instead of
 * failing, so a cut upload read as an empty body and was stored as a
 * 0-byte object or part. The parser knows better: `IncomingMessage.complete`
 * is `false` until the body's last byte (or last chunk) was parsed.
 *
 * @module
 */

import { ServerError } from "./server_error.ts";

/** Options of {@linkcode intakeRequest}. */
export interface IntakeOptions {
  /**
   * Milliseconds a pending read may wait for the client's next bytes before
   * the body fails with `RequestTimeout`; `0` waits forever. Time the server
   * itself spends between reads (disk writes, hashing) never counts.
   */
  idleTimeoutMs: number;
  /**
   * Whether the engine's parser saw the whole message, asked when the
   * engine's stream ends; a `false` fails the body. Absent: the engine's
   * end is trusted (`Deno.serve` and `Bun.serve` fail cut bodies themselves).
   */
  complete?: () => boolean;
}

/** The error a body fails with when its client sent nothing for too long. */
export function requestTimeout(): ServerError {
  return new ServerError(
    400,
    "RequestTimeout",
    "Your socket connection to the server was not read from or written to within the timeout period.",
  );
}

/** A request as the app sees it, with how far its body was read. */
export interface IntakeRequest {
  /** `req` with its body read through {@linkcode intakeBody}; `req` itself when it has none. */
  request: Request;
  /**
   * Whether the body's end was read (always for a request without body).
   * An answer given before it must close the connection: the rest of the
   * body would otherwise be read as the next request, or hold the socket.
   */
  bodyEnded(): boolean;
}

/**
 * Reads `req`'s body through {@linkcode intakeBody}. The engine's body is
 * first touched at the app's first read, as without the intake: a request
 * refused before (by authentication) costs no body reading.
 */
export function intakeRequest(req: Request, options: IntakeOptions): IntakeRequest {
  if (!announcesBody(req)) return { request: req, bodyEnded: () => true };
  let ended = false;
  const body = intakeBody(() => req.body, options, () => ended = true);
  return { request: requestWithBody(req, body), bodyEnded: () => ended };
}

/**
 * `req` with another body. Its `url` stays exactly `req.url`: a new
 * Request's URL is re-parsed, which resolves dot segments (`/b/../k`), while
 * Deno.serve's is the target as sent. No `signal`: the app does not use it,
 * and reading it on Deno.serve opts into its legacy abort.
 */
export function requestWithBody(req: Request, body: ReadableStream<Uint8Array>): Request {
  const request = new Request(req.url, {
    method: req.method,
    headers: req.headers,
    body,
    // @ts-ignore: `duplex` is required for stream bodies (Node, Deno) but not yet in every lib.dom
    duplex: "half",
  });
  Object.defineProperty(request, "url", { value: req.url });
  return request;
}

/** Whether the request head announces a body (`Transfer-Encoding`, or a non-zero `Content-Length`). */
function announcesBody(req: Request): boolean {
  if (req.method === "GET" || req.method === "HEAD") return false;
  const length = req.headers.get("content-length");
  return req.headers.has("transfer-encoding") || (length !== null && length.trim() !== "0");
}

/**
 * The body `source()` returns (called at the first read), failing on an
 * incomplete message and on an idle client; `onEnd` runs when its last byte
 * was read.
 */
export function intakeBody(
  source: () => ReadableStream<Uint8Array> | null,
  options: IntakeOptions,
  onEnd?: () => void,
): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const idle = new IdleWatch(options.idleTimeoutMs, (err) => reader?.cancel(err).catch(() => {}));
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      reader ??= source()?.getReader();
      let result: ReadableStreamReadResult<Uint8Array> = { done: true, value: undefined };
      if (reader) {
        idle.waiting(true);
        try {
          result = await reader.read();
        } catch (err) {
          idle.stop();
          throw err;
        } finally {
          idle.waiting(false);
        }
      }
      // The watch cancels the source on timeout, which ends the pending read.
      if (idle.timedOut) throw idle.timedOut;
      if (!result.done) return controller.enqueue(result.value);
      idle.stop();
      if (options.complete && !options.complete()) {
        throw new Error("the connection closed before the request body was complete");
      }
      onEnd?.();
      controller.close();
    },
    cancel(reason) {
      idle.stop();
      return reader?.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * Times the waits for a client's bytes with one timer per body, re-armed
 * when it fires (a timer per read cost about a fifth of the server's CPU
 * per byte on Deno.serve's small chunks).
 */
class IdleWatch {
  /** The error the body failed with once the client was idle too long. */
  timedOut?: ServerError;
  #ms: number;
  #onTimeout: (err: ServerError) => void;
  #since = -1;
  #timer?: ReturnType<typeof setTimeout>;

  constructor(ms: number, onTimeout: (err: ServerError) => void) {
    this.#ms = ms;
    this.#onTimeout = onTimeout;
  }

  /** A read starts (`true`) or ends (`false`) waiting for the client. */
  waiting(on: boolean): void {
    if (this.#ms <= 0) return;
    this.#since = on ? Date.now() : -1;
    if (on && this.#timer === undefined) this.#arm(this.#ms);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#since = -1;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#check(), ms);
    // A body the app abandoned without cancelling must not keep the process up.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #check(): void {
    this.#timer = undefined;
    if (this.#since < 0) return; // not waiting now: the next read arms it again
    const idle = Date.now() - this.#since;
    if (idle < this.#ms) return this.#arm(this.#ms - idle);
    this.timedOut = requestTimeout();
    this.#onTimeout(this.timedOut);
  }
}
