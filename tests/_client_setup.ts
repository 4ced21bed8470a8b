/**
 * Clients for the client tests: signature V4 or V1, path-style or
 * virtual-hosted addressing, against the local server.
 *
 * @module
 */

import { OssClient, type OssClientOptions } from "../lib/web.ts";
import { hostRoutingFetch, VIRTUAL_HOST } from "./_host_routing_fetch.ts";
import type { TestServer } from "./_server.ts";

/** How a test client addresses buckets. */
export type Addressing = "path" | "virtual";

/** A client and the `Host` headers its requests carried (virtual-hosted only). */
export interface TestClient {
  client: OssClient;
  hosts: string[];
}

/**
 * A client of `server`. Path-style clients use the server's URL
 * (`http://127.0.0.1:PORT`, path-style by default). Virtual-hosted clients
 * use `http://oss-cn-hangzhou.aliyuncs.com:PORT` routed to 127.0.0.1 by
 * {@linkcode hostRoutingFetch}, so requests carry `Host: <bucket>.oss-cn-hangzhou.aliyuncs.com:PORT`.
 */
export function makeClient(
  server: TestServer,
  signatureVersion: "v4" | "v1",
  addressing: Addressing,
  extra: Partial<OssClientOptions> = {},
): TestClient {
  const credentials = extra.credentials
    ? {}
    : { accessKeyId: server.accessKeyId, accessKeySecret: server.accessKeySecret };
  if (addressing === "path") {
    return {
      client: new OssClient({
        endpoint: server.url,
        region: server.region,
        signatureVersion,
        ...credentials,
        ...extra,
      }),
      hosts: [],
    };
  }
  const port = Number(new URL(server.url).port);
  const routing = hostRoutingFetch(port);
  return {
    client: new OssClient({
      endpoint: `http://${VIRTUAL_HOST}:${port}`,
      signatureVersion,
      fetch: routing.fetch,
      ...credentials,
      ...extra,
    }),
    hosts: routing.hosts,
  };
}

/** Collects an async iterable. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** What a {@linkcode trackingFetch} saw. */
export interface FetchLog {
  /** Fetch calls started. */
  started: number;
  /** Fetch calls whose promise settled (resolved or rejected). */
  settled: number;
  /** Headers of every request, in order. */
  requests: { url: string; method: string; headers: Headers }[];
  /** Resolves once at least `count` fetch calls have settled. */
  settledAtLeast(count: number): Promise<void>;
}

/**
 * Wraps a `fetch` to count calls and keep their headers, so tests can check
 * attempts, what was signed, and that no call is left pending after an abort.
 */
export function trackingFetch(inner: typeof fetch = globalThis.fetch): {
  fetch: typeof fetch;
  log: FetchLog;
} {
  let waiters: { count: number; resolve: () => void }[] = [];
  const log: FetchLog = {
    started: 0,
    settled: 0,
    requests: [],
    settledAtLeast: (count) =>
      log.settled >= count
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ count, resolve })),
  };
  const wrapped = async (input: string | URL | Request, init?: RequestInit) => {
    log.started++;
    log.requests.push({
      url: String(input),
      method: init?.method ?? "GET",
      headers: new Headers(init?.headers),
    });
    try {
      return await inner(input, init);
    } finally {
      log.settled++;
      for (const w of waiters) if (log.settled >= w.count) w.resolve();
      waiters = waiters.filter((w) => log.settled < w.count);
    }
  };
  return { fetch: wrapped as typeof fetch, log };
}
