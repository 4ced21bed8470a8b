/**
 * Node's default `fetch` for the client: large byte bodies go out as a
 * one-chunk stream with their `content-length`, which Node sends as is.
 *
 * Why: Node's `fetch` (undici) copies a `Uint8Array` body before sending it,
 * so an 8 MiB part costs another 8 MiB of garbage per attempt and about
 * four times the CPU of the same bytes handed over as a stream. A stream
 * with `content-length` set keeps the request un-chunked, and its one chunk
 * is the caller's buffer itself. Deno and Bun treat stream bodies
 * differently (Deno drops `content-length`), so only Node gets this.
 *
 * @module
 */

/** Byte bodies larger than this (64 KiB) are sent as a stream; smaller ones as they are. */
export const STREAMED_BODY_THRESHOLD = 64 * 1024;

type FetchFn = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/**
 * Wraps a `fetch` so that a `Uint8Array` body over
 * {@linkcode STREAMED_BODY_THRESHOLD} bytes is sent as a one-chunk
 * `ReadableStream` with `content-length` set and `duplex: "half"`. Other
 * bodies, and requests whose headers already carry a `content-length`
 * that disagrees, pass through untouched. Each call makes a new stream, so
 * a retried request (whose body factory runs again) sends again.
 *
 * @param fetchFn The `fetch` to call. Default: the global `fetch`, looked up per call.
 * @returns The wrapping `fetch`.
 *
 * @example
 * ```ts
 * import { streamByteBodies } from "./fetch_body.ts";
 *
 * const fetch = streamByteBodies();
 * const send = (url: string, bytes: Uint8Array<ArrayBuffer>) =>
 *   fetch(url, { method: "PUT", body: bytes }); // a stream with content-length when > 64 KiB
 * ```
 */
export function streamByteBodies(
  fetchFn: FetchFn = (input, init) => globalThis.fetch(input, init),
): typeof fetch {
  const wrapped: FetchFn = (input, init) => {
    const body = init?.body;
    if (!(body instanceof Uint8Array) || body.byteLength <= STREAMED_BODY_THRESHOLD) {
      return fetchFn(input, init);
    }
    const headers = new Headers(init!.headers);
    const declared = headers.get("content-length");
    if (declared !== null && declared !== String(body.byteLength)) return fetchFn(input, init);
    headers.set("content-length", String(body.byteLength));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(body);
        controller.close();
      },
    });
    const streamed: RequestInit & { duplex: "half" } = {
      ...init,
      headers,
      body: stream,
      duplex: "half",
    };
    return fetchFn(input, streamed);
  };
  return wrapped as typeof fetch;
}

/**
 * Whether this is Node (not Deno or Bun, which also provide `process`).
 *
 * @returns True on Node.
 *
 * @example
 * ```ts
 * import { runsOnNode } from "./fetch_body.ts";
 *
 * console.log(runsOnNode()); // false under Deno
 * ```
 */
export function runsOnNode(): boolean {
  return !("Deno" in globalThis) && !("Bun" in globalThis);
}

/**
 * Client options with Node's default `fetch` ({@linkcode streamByteBodies})
 * filled in, when running on Node and the caller gave no `fetch` of their own.
 *
 * @param options Client options.
 * @returns The same options, or a copy with `fetch` set.
 *
 * @example
 * ```ts
 * import { withNodeFetch } from "./fetch_body.ts";
 * import type { OssClientOptions } from "@ossup/ossup/node";
 *
 * const given: OssClientOptions = { endpoint: "127.0.0.1:9000", accessKeyId: "ak", accessKeySecret: "sk" };
 * const options = withNodeFetch(given);
 * console.log(typeof options.fetch); // "function" on Node, "undefined" elsewhere
 * ```
 */
export function withNodeFetch<T extends { fetch?: typeof fetch }>(options: T): T {
  if (!options || typeof options !== "object") return options;
  if (options.fetch !== undefined || !runsOnNode()) return options;
  return { ...options, fetch: streamByteBodies() };
}
