/**
 * Deno's default `fetch` for the client: Deno's own `fetch` for GET and HEAD
 * requests without a body, `node:http` for the rest
 * ({@linkcode createHttpFetch}: parts, InitiateMultipartUpload, which goes on
 * a connection a transfer opened ahead), unless a proxy is configured in the
 * environment, which only Deno's own `fetch` honours (then it sends
 * everything).
 *
 * Why two: Deno's `fetch` copies a request body before sending it (see
 * `../node_api/http_fetch.ts`), while Deno's `node:http` answers cost more:
 * its parser runs in JavaScript and each body chunk is a new buffer. The
 * 1 GiB download bench (8 MiB ranged GETs, 4 at a time), interleaved, 3 runs
 * each: `node:http` 3.8-5.8 s, 1.8-1.9 s user CPU, 201-209 MiB peak RSS;
 * Deno's `fetch` 3.3-4.0 s, 1.4-1.5 s, 123-131 MiB.
 *
 * @module
 */

import { createHttpFetch } from "../node_api/http_fetch.ts";
import type {
  PreconnectingFetch,
  TransportPreconnectOptions,
} from "../../client/bucket_preconnect.ts";
import { proxyConfigured } from "../_proxy_env.ts";

/**
 * Whether Deno's `fetch` would send through a proxy: one of `HTTP_PROXY`,
 * `HTTPS_PROXY` or `ALL_PROXY` (any case) is set. Without permission to read
 * the environment, Deno's `fetch` cannot read it either: false.
 *
 * @returns True when a proxy variable is set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoProxyConfigured } from "./default_fetch.ts";
 *
 * const saved = Deno.env.get("HTTPS_PROXY");
 * Deno.env.set("HTTPS_PROXY", "http://proxy.example:3128");
 * try {
 *   assert.equal(denoProxyConfigured(), true); // then Deno's own fetch, which honours it
 * } finally {
 *   if (saved === undefined) Deno.env.delete("HTTPS_PROXY");
 *   else Deno.env.set("HTTPS_PROXY", saved);
 * }
 * ```
 */
export function denoProxyConfigured(): boolean {
  const deno = (globalThis as { Deno?: { env: { get(name: string): string | undefined } } }).Deno;
  return deno !== undefined && proxyConfigured((name) => deno.env.get(name));
}

/**
 * Client options with Deno's default `fetch` filled in, when the caller
 * gave none and no proxy is configured.
 *
 * @param options Client options.
 * @returns The same options, or a copy with `fetch` set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { OssClientOptions } from "@ossup/ossup/deno";
 * import { withDenoFetch } from "./default_fetch.ts";
 *
 * const given: OssClientOptions = { endpoint: "127.0.0.1:9000", accessKeyId: "ak", accessKeySecret: "sk" };
 * const options = withDenoFetch(given);
 * assert.equal(typeof options.fetch, "function"); // node:http, without a proxy configured
 * const own = { ...given, fetch: globalThis.fetch };
 * assert.equal(withDenoFetch(own), own); // a fetch of your own is kept
 * ```
 */
export function withDenoFetch<T extends { fetch?: typeof fetch }>(options: T): T {
  if (!options || typeof options !== "object" || options.fetch !== undefined) return options;
  return denoProxyConfigured() ? options : { ...options, fetch: createDenoFetch() };
}

/**
 * Deno's default `fetch`: a request with a body (or a `Request` object) goes
 * through {@linkcode createHttpFetch}, one without through Deno's own `fetch`
 * (looked up per call) with `accept-encoding: identity` unless the caller set
 * one, so that a body arrives as the server stored it (Deno's `fetch` would
 * otherwise ask for gzip and decompress, and a download's length and CRC-64
 * are of the stored bytes).
 *
 * @returns The `fetch`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listen } from "@ossup/ossup/server";
 * import { createDenoFetch } from "./default_fetch.ts";
 *
 * // A server that says what the request asked for.
 * const server = await listen((req) => new Response(req.headers.get("accept-encoding")));
 * const fetch = createDenoFetch();
 * const res = await fetch(`${server.url}/bucket/key`); // Deno's fetch, without gzip
 * assert.equal(await res.text(), "identity");
 * await server.close();
 * ```
 */
export function createDenoFetch(): PreconnectingFetch {
  const viaHttp = createHttpFetch();
  const send = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const method = (init?.method ?? "GET").toUpperCase();
    // GET and HEAD, whose answers are downloads, on Deno's fetch; the rest (InitiateMultipartUpload
    // among them) on the connections a transfer opened ahead.
    if (
      input instanceof Request || (init?.body !== undefined && init.body !== null) ||
      (method !== "GET" && method !== "HEAD")
    ) {
      return viaHttp(input, init);
    }
    const headers = new Headers(init?.headers);
    if (!headers.has("accept-encoding")) headers.set("accept-encoding", "identity");
    return globalThis.fetch(input, { ...init, headers });
  };
  // GET and HEAD go through Deno's fetch, which opens nothing ahead.
  const preconnect = (url: string | URL, options: TransportPreconnectOptions): void => {
    if (options.body) viaHttp.preconnect?.(url, options);
  };
  return Object.assign(send, { preconnect }) as PreconnectingFetch;
}
