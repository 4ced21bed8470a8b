/**
 * When and how long to wait before retrying a request: exponential backoff
 * with full jitter, for answers that may succeed if asked again.
 *
 * @module
 */

import { AbortError, NetworkError, OssError, TimeoutError } from "../errors/errors.ts";

/**
 * How the client retries a failed request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient, type RetryPolicy } from "@ossup/ossup";
 *
 * const retry: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 30_000 };
 * const client = new OssClient({
 *   endpoint: "oss-cn-hangzhou.aliyuncs.com",
 *   accessKeyId: "id",
 *   accessKeySecret: "secret",
 *   retry,
 * });
 * assert.equal(client.bucket("examplebucket").client, client);
 * ```
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. Default 4 (three retries); 1 disables retries. */
  maxAttempts?: number;
  /** Cap of the first backoff in milliseconds; doubles each retry. Default 200. */
  baseDelayMs?: number;
  /** Longest backoff in milliseconds. Default 20 000. */
  maxDelayMs?: number;
}

/**
 * A {@linkcode RetryPolicy} with every field set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ResolvedRetryPolicy, resolveRetryPolicy } from "@ossup/ossup";
 *
 * const policy: ResolvedRetryPolicy = resolveRetryPolicy({ maxAttempts: 2 });
 * assert.deepEqual(policy, { maxAttempts: 2, baseDelayMs: 200, maxDelayMs: 20_000 });
 * ```
 */
export type ResolvedRetryPolicy = Required<RetryPolicy>;

/**
 * The defaults of {@linkcode RetryPolicy}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_RETRY_POLICY } from "@ossup/ossup";
 *
 * assert.equal(DEFAULT_RETRY_POLICY.maxAttempts, 4);
 * ```
 */
export const DEFAULT_RETRY_POLICY: ResolvedRetryPolicy = Object.freeze({
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 20_000,
});

/**
 * Fills a partial policy with the defaults and checks it.
 *
 * @param policy A partial policy, or `false` for no retries.
 * @returns The complete policy.
 * @throws {RangeError} When a field is out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveRetryPolicy } from "@ossup/ossup";
 *
 * assert.equal(resolveRetryPolicy({ maxAttempts: 6 }).baseDelayMs, 200);
 * assert.equal(resolveRetryPolicy(false).maxAttempts, 1);
 * ```
 */
export function resolveRetryPolicy(policy?: RetryPolicy | false): ResolvedRetryPolicy {
  if (policy === false) return { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 };
  const p = { ...DEFAULT_RETRY_POLICY, ...stripUndefined(policy ?? {}) };
  if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1) {
    throw new RangeError("retry.maxAttempts must be an integer ≥ 1");
  }
  if (!(p.baseDelayMs >= 0) || !(p.maxDelayMs >= 0)) {
    throw new RangeError("retry delays must be ≥ 0 milliseconds");
  }
  return p;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * OSS error codes that mean "too much, slow down" whatever their status
 * (OSS answers most of them with 503, `QpsLimitExceeded` with 429).
 */
const THROTTLING_CODES = new Set([
  "QpsLimitExceeded",
  "TotalQpsLimitExceeded",
  "MetaOperationQpsLimitExceeded",
  "ActiveRequestLimitExceeded",
  "UploadTrafficRateLimitExceeded",
  "DownloadTrafficRateLimitExceeded",
  "CpuLimitExceeded",
  "ServiceUnavailable",
  "SlowDown",
  "ServerBusy",
  "TooManyRequests",
]);

/**
 * Whether an error is OSS saying "too much, slow down": 503 and 429 answers, and the throttling
 * codes whatever their status (`SlowDown`, `QpsLimitExceeded`, `ServerBusy`…).
 *
 * @param err The error a request ended with.
 * @returns `true` for a throttling answer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isThrottlingError, OssError } from "@ossup/ossup";
 *
 * assert.equal(isThrottlingError(new OssError({ status: 503, code: "SlowDown", message: "reduce" })), true);
 * assert.equal(isThrottlingError(new OssError({ status: 500, code: "InternalError", message: "oops" })), false);
 * ```
 */
export function isThrottlingError(err: unknown): boolean {
  return err instanceof OssError &&
    (err.status === 503 || err.status === 429 || THROTTLING_CODES.has(err.code));
}

/**
 * Whether an error may go away if the request is sent again: network
 * failures, timeouts, 5xx answers, OSS's throttling answers (429, and the
 * 503 codes such as `TotalQpsLimitExceeded`) and `RequestTimeout` (400: the
 * server waited too long for the body). Other 4xx answers and aborts never are.
 *
 * @param err The error a request ended with.
 * @returns `true` when a retry may succeed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRetryableError, NetworkError, OssError } from "@ossup/ossup";
 *
 * assert.equal(isRetryableError(new OssError({ status: 503, code: "ServiceUnavailable", message: "busy" })), true);
 * assert.equal(isRetryableError(new OssError({ status: 403, code: "AccessDenied", message: "no" })), false);
 * assert.equal(isRetryableError(new NetworkError("connection reset")), true);
 * ```
 */
export function isRetryableError(err: unknown): boolean {
  if (err instanceof AbortError) return false;
  if (err instanceof NetworkError || err instanceof TimeoutError) return true;
  if (err instanceof OssError) {
    return err.status >= 500 || isThrottlingError(err) || err.code === "RequestTimeout";
  }
  return false;
}

/**
 * The wait before retry number `retry` (1 for the first retry): a uniformly
 * random time between 0 and `min(maxDelayMs, baseDelayMs × 2^(retry-1))`
 * ("full jitter", so that many clients failing together do not retry together).
 *
 * @param retry Which retry this is, from 1.
 * @param policy The policy.
 * @param random A source of numbers in [0, 1); defaults to `Math.random`.
 * @returns Milliseconds to wait.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backoffDelay, DEFAULT_RETRY_POLICY } from "@ossup/ossup";
 *
 * const delay = backoffDelay(3, DEFAULT_RETRY_POLICY); // full jitter: random in [0, 800)
 * assert.ok(delay >= 0 && delay < 800);
 * ```
 */
export function backoffDelay(
  retry: number,
  policy: ResolvedRetryPolicy,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * cap);
}
