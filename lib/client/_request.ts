/**
 * Sends one OSS request: signs it, fetches it under a timeout and the
 * caller's `AbortSignal`, turns failures into typed errors, and retries
 * what may succeed when asked again (with a corrected clock after
 * `RequestTimeTooSkewed`, with fresh credentials after an expired token).
 *
 * @module
 */

import { byobReaderOf } from "../_byob_reader.ts";
import { onAbort } from "../_abort_listeners.ts";
import {
  AbortError,
  NetworkError,
  type OssError,
  OssupError,
  TimeoutError,
} from "../errors/errors.ts";
import {
  type RequestToSign,
  type Sha1Primitives,
  type Sha256Primitives,
  signV1,
  signV4,
} from "../signing/signing.ts";
import { isReplayableBody, type OssBody, prepareBody, type PreparedBody } from "./body.ts";
import { pacedBody, pacedStream } from "../pacing/paced_body.ts";
import { type RateLimit, type RateLimiter, rateLimiterFor } from "../pacing/rate_limiter.ts";
import type { CredentialsCache } from "./credentials.ts";
import type { OssSigner } from "./signer.ts";
import {
  type OperationResults,
  OPERATIONS,
  type OssOperation,
  type ParsedOperation,
} from "./operations.ts";
import { buildUrl, type OssEndpoint } from "./endpoint.ts";
import { parseErrorResponse, type TextResponse } from "./_responses.ts";
import {
  backoffDelay,
  isRetryableError,
  type ResolvedRetryPolicy,
  resolveRetryPolicy,
  type RetryPolicy,
} from "./retry_policy.ts";

/** What every request of one client shares. */
export interface RequestContext {
  endpoint: OssEndpoint;
  pathStyle: boolean;
  region: string | undefined;
  signatureVersion: "v4" | "v1";
  credentials: CredentialsCache;
  /** Signs instead of `credentials` when set (a client that holds no secret). */
  signer?: OssSigner;
  fetch: typeof fetch;
  /** Default per-attempt timeout in ms; 0 or Infinity for none. */
  timeout: number;
  retry: ResolvedRetryPolicy;
  clock: () => number;
  /** Correction added to `clock()` when signing, learnt from RequestTimeTooSkewed. */
  clockOffset: number;
  /** The hashes V4 signing runs on (the platform's); default `crypto.subtle`. */
  sha256?: Sha256Primitives;
  /** The HMAC-SHA1 V1 signing runs on (the platform's); default `crypto.subtle`. */
  sha1?: Sha1Primitives;
}

/** One request, as the operations describe it. */
export interface OssRequest {
  /** The OSS API operation: its method comes from the operation table; named in errors. */
  operation: OssOperation;
  bucket?: string;
  key?: string;
  query?: [string, string | undefined][];
  headers?: HeadersInit;
  body?: OssBody;
  signal?: AbortSignal;
  timeout?: number;
  retry?: RetryPolicy | false;
  /** Paces the request body (and a response body handed back as a stream). */
  limiter?: RateLimiter;
  /** Called with the failure before each retry (not for the last attempt's). */
  onRetry?: (error: unknown) => void;
}

/** A successful answer whose body is left for the caller to stream. */
export interface StreamResponse {
  status: number;
  headers: Headers;
  body: ReadableStream<Uint8Array>;
}

/** Error codes after which fresh provider credentials may help. */
const EXPIRED_TOKEN_CODES = new Set(["SecurityTokenExpired", "InvalidSecurityToken"]);

type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; error: OssError; serverTime?: number; signedAt: number; bodiless: boolean };

/** OSS refuses requests signed more than 15 minutes away from its clock. */
const MAX_SKEW_MS = 15 * 60 * 1000;

/**
 * Whether an error answer says the request's clock is off: the code says so,
 * or (HEAD answers carry no error body, and not every server repeats it in
 * `x-oss-err`) a bodiless 403 whose `Date` is over 15 minutes from ours.
 */
function isSkewAnswer(o: Exclude<Outcome<unknown>, { ok: true }>): boolean {
  if (o.error.code === "RequestTimeTooSkewed") return true;
  return o.bodiless && o.error.status === 403 && o.serverTime !== undefined &&
    Math.abs(o.serverTime - o.signedAt) > MAX_SKEW_MS;
}

/**
 * Removes what could be secret from a message built from another error's:
 * the query of any URL (a presigned URL's signature and token) and
 * signature-like `name=value` pairs.
 *
 * @param message The text.
 * @returns The text with those parts replaced by `<redacted>`.
 */
export function redact(message: string): string {
  return message
    .replace(/(\bhttps?:\/\/[^\s?#'"()<>]*)\?[^\s#'"()<>]*/gi, "$1?<redacted>")
    .replace(
      /((?:signature|x-oss-signature|security-token|x-oss-security-token|accesskeysecret|credential)[=:]\s*)[^\s&,;'"]+/gi,
      "$1<redacted>",
    );
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause : undefined;
  const causeText = cause
    ? `: ${(cause as { code?: string }).code ?? ""} ${cause.message}`.replace(/: +/, ": ")
    : "";
  return `${err.message}${causeText}`;
}

/**
 * An {@linkcode AbortError} for a signal that fired.
 *
 * @param signal The signal.
 * @param what What was aborted, for the message.
 */
export function abortErrorFor(signal: AbortSignal, what: string): AbortError {
  return new AbortError(`${what} was aborted`, { cause: signal.reason });
}

/**
 * Waits `ms` milliseconds, or rejects with an {@linkcode AbortError} as soon
 * as `signal` fires (clearing the timer: nothing is left pending).
 */
export function sleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortErrorFor(signal, what));
    const timer = setTimeout(() => {
      stop?.();
      resolve();
    }, ms);
    const stop = signal && onAbort(signal, () => {
      clearTimeout(timer);
      reject(abortErrorFor(signal, what));
    });
  });
}

/** The caller's signal and a timeout, joined into one signal for `fetch`, with cleanup. */
class AttemptSignal {
  readonly controller = new AbortController();
  timedOut = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #unlink: (() => void) | undefined;

  constructor(signal: AbortSignal | undefined, timeout: number) {
    this.#unlink = signal && onAbort(signal, () => this.controller.abort(signal.reason));
    if (timeout > 0 && Number.isFinite(timeout)) {
      this.#timer = setTimeout(() => {
        this.timedOut = true;
        this.controller.abort(new TimeoutError(`no answer within ${timeout} ms`));
      }, timeout);
    }
  }

  /** Stops the timeout (the caller's signal stays linked). */
  stopTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Unlinks everything. Safe to call twice. */
  dispose(): void {
    this.stopTimer();
    this.#unlink?.();
  }
}

/** Sends requests for one client. */
export class RequestSender {
  readonly ctx: RequestContext;

  constructor(ctx: RequestContext) {
    this.ctx = ctx;
  }

  /** The signing time now: the client's clock plus any correction learnt from the server. */
  now(): Date {
    return new Date(this.ctx.clock() + this.ctx.clockOffset);
  }

  /** Sends a request and reads its whole answer as text; throws an `OssError` for error answers. */
  sendForText(req: OssRequest): Promise<TextResponse> {
    return this.#send(req, false) as Promise<TextResponse>;
  }

  /**
   * Sends a request of an operation whose answer has a body, and reads it with the operation
   * table's parser.
   */
  async sendAndParse<O extends ParsedOperation>(
    req: OssRequest & { operation: O },
  ): Promise<{ result: OperationResults[O]; res: TextResponse }> {
    const res = await this.sendForText(req);
    // The table's type pairs each parsed operation with its parser's result.
    const parse = OPERATIONS[req.operation].parse as (res: TextResponse) => OperationResults[O];
    return { result: parse(res), res };
  }

  /** Sends a request and hands back the body of a successful answer as a stream. */
  sendForStream(req: OssRequest): Promise<StreamResponse> {
    return this.#send(req, true) as Promise<StreamResponse>;
  }

  async #send(req: OssRequest, stream: boolean): Promise<TextResponse | StreamResponse> {
    const policy = req.retry === undefined ? this.ctx.retry : resolveRetryPolicy(req.retry);
    const replayable = isReplayableBody(req.body);
    let skewCorrected = false;
    let credentialsRefreshed = false;
    for (let attempt = 1;; attempt++) {
      if (req.signal?.aborted) throw abortErrorFor(req.signal, req.operation);
      let error: unknown;
      try {
        const outcome = await this.#attempt(req, stream);
        if (outcome.ok) return outcome.value;
        error = outcome.error;
        const code = outcome.error.code;
        // These two answers are not the request's fault: fix the cause and ask once more, now.
        if (isSkewAnswer(outcome) && !skewCorrected && replayable) {
          skewCorrected = true;
          if (outcome.serverTime !== undefined) {
            this.ctx.clockOffset = outcome.serverTime - this.ctx.clock();
            attempt--;
            continue;
          }
        }
        if (
          EXPIRED_TOKEN_CODES.has(code) && this.ctx.credentials.refreshable &&
          !credentialsRefreshed && replayable
        ) {
          credentialsRefreshed = true;
          this.ctx.credentials.invalidate();
          attempt--;
          continue;
        }
      } catch (err) {
        error = err;
      }
      if (!isRetryableError(error) || attempt >= policy.maxAttempts || !replayable) throw error;
      req.onRetry?.(error);
      await sleep(backoffDelay(attempt, policy), req.signal, req.operation);
    }
  }

  async #attempt(
    req: OssRequest,
    stream: boolean,
  ): Promise<Outcome<TextResponse | StreamResponse>> {
    const { ctx } = this;
    const credentials = ctx.signer ? undefined : await ctx.credentials.get();
    const prepared = await prepareBody(req.body);
    const headers = new Headers(req.headers);
    if (prepared.body !== undefined && !headers.has("content-type")) {
      // Set it ourselves: fetch would otherwise add its own, unsigned.
      headers.set("content-type", prepared.blobType ?? "application/octet-stream");
    }
    const toSign: RequestToSign = {
      method: OPERATIONS[req.operation].method,
      bucket: req.bucket,
      key: req.key,
      query: req.query ?? [],
      headers,
    };
    const signedAt = this.now();
    if (ctx.signer) {
      const { operation, signal } = req;
      const { signatureVersion, region } = ctx;
      try {
        await ctx.signer(toSign, { operation, signal, signatureVersion, region, now: signedAt });
      } catch (err) {
        // The body was never sent: release what it holds (a file stream).
        if (prepared.body instanceof ReadableStream) prepared.body.cancel().catch(() => {});
        throw err;
      }
    } else if (ctx.signatureVersion === "v1") {
      await signV1(toSign, { credentials: credentials!, now: signedAt, sha1: ctx.sha1 });
    } else {
      await signV4(toSign, {
        credentials: credentials!,
        region: ctx.region!,
        now: signedAt,
        sha256: ctx.sha256,
      });
    }
    if (req.limiter) pace(prepared, headers, req.limiter, req.signal);
    const url = buildUrl(ctx.endpoint, ctx.pathStyle, req);
    const timeout = req.timeout ?? ctx.timeout;
    const attemptSignal = new AttemptSignal(req.signal, timeout);
    let handedOver = false;
    try {
      const init: RequestInit & { duplex?: "half" } = {
        method: toSign.method,
        headers,
        body: prepared.body,
        signal: attemptSignal.controller.signal,
      };
      if (prepared.isStream) init.duplex = "half";
      const res = await ctx.fetch(url, init);
      if (stream && res.ok && res.body) {
        attemptSignal.stopTimer();
        handedOver = true;
        return {
          ok: true,
          value: {
            status: res.status,
            headers: res.headers,
            body: req.limiter
              ? pacedStream(guardBody(res.body, req, attemptSignal), req.limiter, req.signal)
              : guardBody(res.body, req, attemptSignal),
          },
        };
      }
      const text = await res.text();
      const answer: TextResponse = { status: res.status, headers: res.headers, text };
      // 203 with a callback: the object is stored but the callback failed (OSS's CallbackFailed).
      const callbackFailed = res.status === 203 && headers.has("x-oss-callback");
      if (res.ok && !callbackFailed) {
        if (stream) {
          return { ok: true, value: { ...answer, body: new Blob([]).stream() } };
        }
        return { ok: true, value: answer };
      }
      const { error, serverTime } = parseErrorResponse(answer, req);
      const bodiless = text === "" && !res.headers.has("x-oss-err");
      return { ok: false, error, serverTime, signedAt: signedAt.getTime(), bodiless };
    } catch (err) {
      if (prepared.body instanceof ReadableStream) {
        prepared.body.cancel().catch(() => {});
      }
      throw classifyFailure(err, req, attemptSignal, timeout);
    } finally {
      if (!handedOver) attemptSignal.dispose();
    }
  }
}

/**
 * Makes a body of known size a paced stream, sent with its `content-length` (after signing:
 * the signature does not cover it). A stream body is paced as it is read, without a length.
 */
function pace(
  prepared: PreparedBody,
  headers: Headers,
  limiter: RateLimiter,
  signal: AbortSignal | undefined,
): void {
  const body = prepared.body;
  if (body === undefined) return;
  if (body instanceof ReadableStream) {
    prepared.body = pacedStream(body, limiter, signal);
    return;
  }
  const bytes = body instanceof ArrayBuffer ? new Uint8Array(body) : body as Uint8Array | Blob;
  headers.set("content-length", String(prepared.length));
  prepared.body = pacedBody(bytes, limiter, signal);
  prepared.isStream = true;
}

/** Turns what `fetch` or a body read threw into an ossup error. */
function classifyFailure(
  err: unknown,
  req: OssRequest,
  attemptSignal: AttemptSignal,
  timeout: number,
): OssupError {
  if (req.signal?.aborted) return abortErrorFor(req.signal, req.operation);
  if (attemptSignal.timedOut) {
    return new TimeoutError(`${req.operation} got no answer within ${timeout} ms`);
  }
  // An error raised on purpose while the body was read (a source that changed) stays itself.
  if (err instanceof OssupError) return err;
  if (err instanceof Error && err.cause instanceof OssupError) return err.cause;
  return new NetworkError(`${req.operation} failed: ${redact(describe(err))}`, { cause: err });
}

/**
 * Passes a response body through, turning read failures into typed errors
 * and unlinking the caller's signal once the body ends, fails or is cancelled.
 * A body that reads into the caller's buffers (a byte stream: Deno's `fetch`)
 * stays one, so a download can read straight into its write buffers: on the
 * 1 GiB download bench that took Deno's CPU for reading the bodies from 0.77 s
 * to 0.33 s (no chunk allocated, none copied).
 */
function guardBody(
  body: ReadableStream<Uint8Array>,
  req: OssRequest,
  attemptSignal: AttemptSignal,
): ReadableStream<Uint8Array> {
  const fail = (err: unknown) => {
    attemptSignal.dispose();
    return classifyFailure(err, req, attemptSignal, 0);
  };
  const cancel = async (
    reader: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader,
    reason: unknown,
  ) => {
    attemptSignal.dispose();
    await reader.cancel(reason).catch(() => {});
  };
  const byob = byobReaderOf(body);
  if (byob !== undefined) {
    return new ReadableStream({
      type: "bytes",
      // A reader that brings no buffer gets chunks of this size.
      autoAllocateChunkSize: 64 * 1024,
      async pull(controller) {
        // With `autoAllocateChunkSize`, every pull has a request to fill.
        const request = controller.byobRequest!;
        const view = request.view!;
        try {
          const { done, value } = await byob.read(
            new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
          );
          // The read took the buffer over; `value` is it, handed back.
          if (done) {
            attemptSignal.dispose();
            controller.close();
            if (value !== undefined) request.respondWithNewView(value);
          } else {
            request.respondWithNewView(value);
          }
        } catch (err) {
          controller.error(fail(err));
        }
      },
      cancel: (reason) => cancel(byob, reason),
    }, { highWaterMark: 0 });
  }
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          attemptSignal.dispose();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (err) {
        controller.error(fail(err));
      }
    },
    cancel: (reason) => cancel(reader, reason),
  }, { highWaterMark: 0 });
}

/** The fields of the per-call options a request takes over. */
export function requestOptions(o: {
  signal?: AbortSignal;
  timeout?: number;
  retry?: RetryPolicy | false;
  headers?: HeadersInit;
  limitRate?: RateLimit;
  onRetry?: (error: unknown) => void;
}): Pick<OssRequest, "signal" | "timeout" | "retry" | "headers" | "limiter" | "onRetry"> {
  return {
    signal: o.signal,
    timeout: o.timeout,
    retry: o.retry,
    headers: o.headers,
    limiter: rateLimiterFor(o.limitRate),
    onRetry: o.onRetry,
  };
}
