/**
 * Bun's default `fetch` for the client: sockets for large byte bodies
 * ({@linkcode createSocketFetch}), unless a proxy is configured in the
 * environment, which only Bun's own `fetch` honours.
 *
 * @module
 */

import process from "node:process";
import { proxyConfigured } from "../_proxy_env.ts";
import { createSocketFetch } from "./socket_fetch.ts";

/**
 * Client options with Bun's default `fetch` filled in, when the caller gave
 * none and no proxy variable (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`) is set.
 *
 * @param options Client options.
 * @returns The same options, or a copy with `fetch` set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { OssClientOptions } from "@ossup/ossup/bun";
 * import { withBunFetch } from "./default_fetch.ts";
 *
 * const given: OssClientOptions = { endpoint: "127.0.0.1:9000", accessKeyId: "ak", accessKeySecret: "sk" };
 * const options = withBunFetch(given);
 * assert.equal(typeof options.fetch, "function"); // sockets for large byte bodies
 * const own = { ...given, fetch: globalThis.fetch };
 * assert.equal(withBunFetch(own), own); // a fetch of your own is kept
 * ```
 */
export function withBunFetch<T extends { fetch?: typeof fetch }>(options: T): T {
  if (!options || typeof options !== "object" || options.fetch !== undefined) return options;
  if (proxyConfigured((name) => process.env[name])) return options;
  return { ...options, fetch: createSocketFetch() };
}
