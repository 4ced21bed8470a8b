/**
 * A fallback `fetch` for the transports' fallback tests (what `createHttpFetch` and
 * `createSocketFetch` do not send themselves goes to it).
 *
 * @module
 */

/** A call a {@linkcode recordingFallback} received. */
export interface FallbackCall {
  input: unknown;
  init: RequestInit | undefined;
}

/** A fallback `fetch` that answers "fb" and records its calls, for the fallback tests. */
export function recordingFallback(): { calls: FallbackCall[]; fallback: typeof fetch } {
  const calls: FallbackCall[] = [];
  const fallback = ((input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ input, init });
    return Promise.resolve(new Response("fb"));
  }) as typeof fetch;
  return { calls, fallback };
}
