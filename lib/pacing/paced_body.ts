/**
 * Bodies that move no faster than a {@linkcode RateLimiter} allows: a request body handed out
 * a piece at a time as the transport asks for it, a response body read through the limiter.
 * Streams pull nothing ahead, so bytes are paid for when they go to the socket.
 *
 * @module
 */

import type { RateLimiter } from "./rate_limiter.ts";

/**
 * A request body of known size as a paced stream (send it with its `content-length`).
 *
 * @param body The bytes, or a `Blob` read a piece at a time.
 * @param limiter The limit.
 * @param signal Stops the waits.
 * @returns The stream of the same bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pacedBody, type PacingClock, RateLimiter } from "@ossup/ossup";
 *
 * let now = 0; // a clock that moves only when something waits on it
 * const clock: PacingClock = {
 *   now: () => now,
 *   sleep: (ms) => {
 *     now += ms;
 *     return Promise.resolve();
 *   },
 * };
 * const stream = pacedBody(new Uint8Array(4096), new RateLimiter(1024, { burst: 1024, clock }));
 * assert.equal((await new Response(stream).arrayBuffer()).byteLength, 4096);
 * assert.equal(Math.round(now), 3000); // 4 KiB at 1 KiB/s, the first KiB at once
 * ```
 */
export function pacedBody(
  body: Uint8Array | Blob,
  limiter: RateLimiter,
  signal?: AbortSignal,
): ReadableStream<Uint8Array> {
  const size = body instanceof Blob ? body.size : body.byteLength;
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (offset >= size) return controller.close();
      const n = Math.min(limiter.chunk, size - offset);
      await limiter.take(n, signal);
      const piece = body instanceof Blob
        ? new Uint8Array(await body.slice(offset, offset + n).arrayBuffer())
        : body.subarray(offset, offset + n);
      offset += n;
      controller.enqueue(piece);
    },
  }, { highWaterMark: 0 });
}

/**
 * A stream read through the limiter: each chunk is paid for before it is handed on (chunks
 * larger than the limiter's piece are split).
 *
 * @param stream The source, e.g. a response body.
 * @param limiter The limit.
 * @param signal Stops the waits.
 * @returns The same bytes, paced.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pacedStream, type PacingClock, RateLimiter } from "@ossup/ossup";
 *
 * let now = 0; // a clock that moves only when something waits on it
 * const clock: PacingClock = {
 *   now: () => now,
 *   sleep: (ms) => {
 *     now += ms;
 *     return Promise.resolve();
 *   },
 * };
 * const slow = pacedStream(new Blob(["hello"]).stream(), new RateLimiter(1024, { clock }));
 * assert.equal(await new Response(slow).text(), "hello"); // the same bytes, at most 1 KiB/s
 * ```
 */
export function pacedStream(
  stream: ReadableStream<Uint8Array>,
  limiter: RateLimiter,
  signal?: AbortSignal,
): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  let rest: Uint8Array | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (rest === undefined || rest.length === 0) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        rest = value;
      }
      const piece = rest.subarray(0, limiter.chunk);
      rest = rest.subarray(piece.length);
      await limiter.take(piece.length, signal);
      controller.enqueue(piece);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}
