/**
 * The request target (`/bucket/key?query`) exactly as the client sent it,
 * read once, the same way on every server engine.
 *
 * A `Request`'s `url` is not that on every engine: `@hono/node-server`
 * (the `node:http` engine on Deno, Bun and Node) builds it with `new URL()`,
 * which resolves `.` and `..` segments (also written `%2e`) like a browser,
 * so `PUT /bkt/../newbucket` reached the app as `PUT /newbucket` (creating a
 * bucket) and the key `a/./b` became `a/b`. OSS's naming rules forbid only a
 * leading `/` or `\` in a key (Alibaba Cloud, "Object naming conventions"),
 * so such segments are ordinary key text there. `node:http` itself keeps the
 * target as sent (`IncomingMessage.url`), and `Deno.serve`'s `Request.url`
 * is the target as sent behind the scheme and host.
 *
 * `Bun.serve` (the opt-in `engine: "native"` on Bun) normalises the path
 * before JavaScript sees it and exposes no raw target, so keys with `.` or
 * `..` segments or a raw `\` cannot be served exactly by it; Bun's default
 * engine, `node:http`, serves them.
 *
 * @module
 */

import { splitUrl } from "./addressing.ts";
import { ServerError } from "./server_error.ts";

/**
 * The raw request target of a request as the engine received it.
 *
 * @param req The request the engine handed to the app.
 * @param env The engine's second handler argument: `{ incoming }` on `node:http`.
 * @returns The target as sent (origin form `/b/k?q` or absolute form `http://h/b/k?q`),
 * or the request's URL where the engine keeps no other (Deno.serve: as sent; Bun.serve:
 * normalised).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestTarget } from "./request_target.ts";
 *
 * const incoming = { url: "/bkt/../k" }; // node:http keeps the target as sent
 * assert.equal(requestTarget(new Request("http://h/k"), { incoming }), "/bkt/../k");
 * assert.equal(requestTarget(new Request("http://h/k")), "http://h/k");
 * ```
 */
export function requestTarget(req: Request, env?: unknown): string {
  const incoming = (env as { incoming?: { url?: unknown } } | undefined)?.incoming;
  return typeof incoming?.url === "string" ? incoming.url : req.url;
}

/**
 * Splits a raw request target into its still percent-encoded path and query,
 * refusing what the `node:http` engine's parser refuses, so that every engine
 * answers alike: characters outside visible ASCII (they must be
 * percent-encoded) and a raw `\` in the path (`%5C` is the key character).
 *
 * @param target The target as sent.
 * @returns The path (starting with `/`) and the query without `?`.
 * @throws {ServerError} `InvalidURI` (400).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRequestTarget } from "./request_target.ts";
 *
 * assert.deepEqual(parseRequestTarget("/b/a/../k?uploads"), { path: "/b/a/../k", query: "uploads" });
 * ```
 */
export function parseRequestTarget(target: string): { path: string; query: string } {
  if (!/^[\x21-\x7e]*$/.test(target)) {
    throw new ServerError(
      400,
      "InvalidURI",
      "The request target must be percent-encoded ASCII without spaces or control characters.",
    );
  }
  const parts = splitUrl(target);
  if (parts.path.includes("\\")) {
    throw new ServerError(
      400,
      "InvalidURI",
      "A '\\' in the request path must be percent-encoded as %5C.",
    );
  }
  return parts;
}
