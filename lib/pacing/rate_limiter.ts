/**
 * A bandwidth limit shared by every request that takes from it: a token bucket on an injectable
 * clock, on web standards only. One limiter paces all routines of a transfer (`limitRate: n`),
 * or several transfers at once (`limitRate: limiter`), like the Go SDK's `LimitUploadSpeed` and
 * ossutil's `--bandwidth-limit`.
 *
 * @module
 */

import { type PacingClock, SYSTEM_CLOCK } from "./clock.ts";

/**
 * Smallest limit: 1 KiB/s, as ossutil's `--bandwidth-limit` (a lower one would pace a single
 * request head for seconds).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MIN_RATE_LIMIT, RateLimiter } from "@ossup/ossup";
 *
 * const slowest = new RateLimiter(MIN_RATE_LIMIT);
 * assert.equal(slowest.bytesPerSecond, 1024);
 * assert.throws(() => new RateLimiter(MIN_RATE_LIMIT - 1), RangeError);
 * ```
 */
export const MIN_RATE_LIMIT = 1024;

/**
 * Largest piece a limiter releases at once: small enough to pace smoothly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_PACED_CHUNK, RateLimiter } from "@ossup/ossup";
 *
 * assert.equal(new RateLimiter(1 << 30).chunk, MAX_PACED_CHUNK); // 64 KiB at most, however fast
 * ```
 */
export const MAX_PACED_CHUNK = 64 * 1024;

/**
 * Options of {@linkcode RateLimiter}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RateLimiter, type RateLimiterOptions } from "@ossup/ossup";
 *
 * const options: RateLimiterOptions = { burst: 256 * 1024 };
 * const limiter = new RateLimiter(1024 * 1024, options);
 * assert.equal(limiter.burst, 256 * 1024);
 * ```
 */
export interface RateLimiterOptions {
  /**
   * Bytes that may go at once after a pause (the bucket's size).
   * @default {the larger of 1 KiB and 50 ms at the rate}
   */
  burst?: number;
  /** Where the time comes from. Default: the real clock. */
  clock?: PacingClock;
}

/**
 * Paces bytes to at most `bytesPerSecond` on average, across every caller of
 * {@linkcode RateLimiter.take}: callers reserve their bytes in turn and wait until the rate
 * has paid for them.
 *
 * @example Two uploads sharing 8 MiB/s
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient, type PacingClock, RateLimiter } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage } from "@ossup/ossup/server";
 *
 * // A local OSS server stands in for OSS.
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const client = new OssClient({ endpoint: server.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * const bucket = client.bucket("examplebucket");
 *
 * let now = 0; // a clock that moves only when something waits on it
 * const clock: PacingClock = {
 *   now: () => now,
 *   sleep: (ms) => {
 *     now += ms;
 *     return Promise.resolve();
 *   },
 * };
 * const limitRate = new RateLimiter(8 * 1024 * 1024, { clock }); // 8 MiB/s for both together
 * await Promise.all([
 *   bucket.uploadFile("a.iso", new Blob([new Uint8Array(4 << 20)]), { routines: 4, limitRate }),
 *   bucket.uploadFile("b.iso", new Blob([new Uint8Array(4 << 20)]), { routines: 4, limitRate }),
 * ]);
 * assert.ok(now >= 900); // 8 MiB took about a second on the limiter's clock
 *
 * await server.close();
 * await storage.close();
 * ```
 */
export class RateLimiter {
  /** The limit, in bytes per second. */
  readonly bytesPerSecond: number;
  /** Bytes that may go at once after a pause. */
  readonly burst: number;
  /** Largest piece a paced body releases at once: the burst, at most 64 KiB. */
  readonly chunk: number;
  readonly #clock: PacingClock;
  #tokens: number;
  #at: number;

  /**
   * A limiter with a full bucket.
   *
   * @param bytesPerSecond The limit, from {@linkcode MIN_RATE_LIMIT} (1 KiB/s) up.
   * @param options Burst and clock.
   * @throws {RangeError} For a limit below 1 KiB/s, not finite, or a burst below 1 byte.
   */
  constructor(bytesPerSecond: number, options: RateLimiterOptions = {}) {
    if (
      typeof bytesPerSecond !== "number" || !Number.isFinite(bytesPerSecond) ||
      bytesPerSecond < MIN_RATE_LIMIT
    ) {
      throw new RangeError(
        `a rate limit must be bytes per second from ${MIN_RATE_LIMIT} (1 KiB/s) up; got ${bytesPerSecond}`,
      );
    }
    const burst = options.burst ?? Math.max(MIN_RATE_LIMIT, Math.round(bytesPerSecond / 20));
    if (!(Number.isFinite(burst) && burst >= 1)) {
      throw new RangeError(`burst must be a number of bytes from 1 up; got ${burst}`);
    }
    this.bytesPerSecond = bytesPerSecond;
    this.burst = burst;
    this.chunk = Math.max(1, Math.min(MAX_PACED_CHUNK, Math.floor(burst)));
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#tokens = burst;
    this.#at = this.#clock.now();
  }

  /**
   * Reserves `bytes` and resolves when the rate has paid for them (at once while the bucket
   * holds them). A caller whose `signal` fires gets its reservation back.
   *
   * @param bytes How many bytes are about to move.
   * @param signal Stops the wait.
   * @returns When the bytes may move.
   * @throws The signal's reason when it fires first.
   */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const now = this.#clock.now();
    this.#tokens = Math.min(
      this.burst,
      this.#tokens + ((now - this.#at) * this.bytesPerSecond) / 1000,
    );
    this.#at = now;
    this.#tokens -= bytes;
    if (this.#tokens >= 0) return;
    try {
      await this.#clock.sleep((-this.#tokens / this.bytesPerSecond) * 1000, signal);
    } catch (err) {
      this.#tokens += bytes;
      throw err;
    }
  }
}

/**
 * A limit as options take it: bytes per second (a limiter of its own for the transfer) or a
 * limiter shared with others.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type RateLimit, rateLimiterFor, RateLimiter } from "@ossup/ossup";
 *
 * const own: RateLimit = 4 * 1024 * 1024; // a limiter for this transfer alone
 * const shared: RateLimit = new RateLimiter(4 * 1024 * 1024); // one for all that are given it
 * assert.notEqual(rateLimiterFor(own), rateLimiterFor(own));
 * assert.equal(rateLimiterFor(shared), shared);
 * ```
 */
export type RateLimit = number | RateLimiter;

/**
 * The limiter of a `limitRate` option: a new one for a number, the same one for a limiter.
 *
 * @param limit The option's value.
 * @param name The option's name, for the message.
 * @returns The limiter, or `undefined` without a limit.
 * @throws {TypeError} For a value that is neither a number nor a {@linkcode RateLimiter}.
 * @throws {RangeError} For a number below 1 KiB/s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rateLimiterFor } from "@ossup/ossup";
 *
 * assert.equal(rateLimiterFor(1 << 20)?.bytesPerSecond, 1048576);
 * assert.equal(rateLimiterFor(undefined), undefined); // no limit
 * ```
 */
export function rateLimiterFor(
  limit: RateLimit | undefined,
  name = "limitRate",
): RateLimiter | undefined {
  if (limit === undefined || limit instanceof RateLimiter) return limit;
  if (typeof limit !== "number") {
    throw new TypeError(
      `${name} must be bytes per second (a number from ${MIN_RATE_LIMIT}) or a RateLimiter`,
    );
  }
  try {
    return new RateLimiter(limit);
  } catch (err) {
    throw new RangeError(`${name}: ${(err as Error).message}`);
  }
}
