/**
 * Deno's default `fetch` for the client: `node:http` for byte bodies
 * ({@linkcode createHttpFetch}), unless a proxy is configured in the
 * environment, which only Deno's own `fetch` honours.
 *
 * @module
 */

import { withHttpFetch } from "../node_api/http_fetch.ts";
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
 * import { denoProxyConfigured } from "./default_fetch.ts";
 *
 * console.log(denoProxyConfigured()); // false unless HTTP_PROXY or the like is set
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
 * import { withDenoFetch } from "./default_fetch.ts";
 * import type { OssClientOptions } from "@ossup/ossup/deno";
 *
 * const given: OssClientOptions = { endpoint: "127.0.0.1:9000", accessKeyId: "ak", accessKeySecret: "sk" };
 * const options = withDenoFetch(given);
 * ```
 */
export function withDenoFetch<T extends { fetch?: typeof fetch }>(options: T): T {
  return denoProxyConfigured() ? options : withHttpFetch(options);
}
