/**
 * Connections opened ahead of a transfer's requests: while a transfer's first exchange
 * (InitiateMultipartUpload, HeadObject) is on its way, the connections its parts will use are
 * opened too, so each part's first byte leaves without a handshake's round trip first. The
 * transport does it if it can (`fetch.preconnect`, as Bun's own `fetch` has one); any other
 * `fetch` is left alone. `Bucket` delegates here.
 *
 * @module
 */

import { buildUrl } from "./endpoint.ts";
import type { BucketTarget } from "./_bucket_target.ts";

/**
 * What a transport's `preconnect` is asked for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { TransportPreconnectOptions } from "@ossup/ossup";
 *
 * const forParts: TransportPreconnectOptions = { connections: 8, body: true };
 * assert.equal(forParts.connections, 8);
 * ```
 */
export interface TransportPreconnectOptions {
  /** Connections to have to the URL's origin, idle or opening (those in use not counted). */
  connections: number;
  /**
   * Whether the requests to come carry a byte body (UploadPart, PutObject) or none (GetObject):
   * a transport may send the two kinds over different connections.
   */
  body: boolean;
}

/**
 * A `fetch` that can also open connections ahead of the requests that will use them. ossup's
 * transports for Deno, Bun and Node have `preconnect`; a `fetch` without one is used as it is.
 *
 * @example A transport of your own that opens nothing ahead, but says what it was asked
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PreconnectingFetch } from "@ossup/ossup";
 *
 * const asked: string[] = [];
 * const fetch: PreconnectingFetch = Object.assign(
 *   (input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init),
 *   { preconnect: (url: string | URL, o: { connections: number }) => void asked.push(`${url} ×${o.connections}`) },
 * );
 * fetch.preconnect?.("http://127.0.0.1:9000/", { connections: 4, body: true });
 * assert.deepEqual(asked, ["http://127.0.0.1:9000/ ×4"]);
 * ```
 */
export type PreconnectingFetch = typeof fetch & {
  /** Opens connections to `url`'s origin in the background; never throws, never waits. */
  preconnect?: (url: string | URL, options: TransportPreconnectOptions) => void;
};

/**
 * Options of {@linkcode Bucket.preconnect}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PreconnectOptions } from "@ossup/ossup";
 *
 * const options: PreconnectOptions = { connections: 16, for: "download" };
 * assert.equal(options.for, "download");
 * ```
 */
export interface PreconnectOptions {
  /** Connections to have open or opening to the bucket's host: 1 to 100. @default {1} */
  connections?: number;
  /**
   * What they are for: `"upload"` (requests with a body: UploadPart, PutObject) or
   * `"download"` (GetObject). Deno's entry sends requests without a body through Deno's own
   * `fetch`, which opens nothing ahead. @default {"upload"}
   */
  for?: "upload" | "download";
}

/** Most connections one call opens ahead: as many as a transfer's most routines. */
const MAX_PRECONNECT = 100;

/**
 * Asks the client's transport to open connections to bucket `b`'s host ahead of requests.
 *
 * @param b The bucket and the client's sender.
 * @param options How many, and for what.
 * @throws {RangeError} When `connections` is not an integer from 1 to 100.
 * @throws {TypeError} When `for` is neither `"upload"` nor `"download"`.
 */
export function preconnectBucket(b: BucketTarget, options: PreconnectOptions = {}): void {
  const connections = options.connections ?? 1;
  if (!Number.isInteger(connections) || connections < 1 || connections > MAX_PRECONNECT) {
    throw new RangeError(`connections must be an integer from 1 to 100, got ${connections}`);
  }
  const purpose = options.for ?? "upload";
  if (purpose !== "upload" && purpose !== "download") {
    throw new TypeError(`for must be "upload" or "download", got ${String(purpose)}`);
  }
  const { ctx } = b.sender;
  const preconnect = (ctx.fetch as PreconnectingFetch).preconnect;
  if (typeof preconnect !== "function") return;
  const url = buildUrl(ctx.endpoint, ctx.pathStyle, { bucket: b.name });
  try {
    preconnect.call(ctx.fetch, url, { connections, body: purpose === "upload" });
  } catch {
    // Opening ahead is an optimization: the requests open what they need themselves.
  }
}
