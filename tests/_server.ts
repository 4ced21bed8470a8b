/**
 * Starts the local OSS server in-process on the current runtime, on
 * 127.0.0.1 and a free port, for tests.
 *
 * @module
 */

import { createOssApp } from "../lib/server/app.ts";
import { createAuthenticator } from "../lib/server/auth.ts";
import { DiskStorage } from "../lib/server/disk_storage.ts";
import { type FaultClock, FaultInjector } from "../lib/server/faults.ts";
import {
  CUTS_CONNECTIONS,
  type FetchHandler,
  type HandledRequest,
  listen,
  type ListenOptions,
  SERVED_BY,
} from "../lib/server/listen.ts";
import { MemoryStorage } from "../lib/server/memory_storage.ts";
import type { Storage } from "../lib/server/storage.ts";

/** Options of {@linkcode startServer}. */
export interface StartServerOptions {
  /** Disk storage in this directory; memory storage when absent. */
  dataDir?: string;
  /** Default `"test-ak"`. */
  accessKeyId?: string;
  /** Default `"test-secret-key"`. */
  accessKeySecret?: string;
  /** Default `"cn-hangzhou"`. */
  region?: string;
  /** Accept unsigned requests. Default `false`. */
  allowAnonymous?: boolean;
  /** Extra STS keys: each requires its security token. */
  stsCredentials?: { accessKeyId: string; accessKeySecret: string; securityToken: string }[];
  /** The server's clock for authentication. Default `Date.now`. */
  now?: () => number;
  /** Token for the fault control route. Default: a random one. */
  controlToken?: string;
  /** Where latency and bandwidth faults take their time from. Default: the real clock. */
  faultClock?: FaultClock;
  /**
   * Which server (see `listen`). Default `"auto"`: node:http, as fault injection is on.
   * Behind `Deno.serve` (`"native"` on Deno) the injector refuses reset rules.
   */
  engine?: "auto" | "native" | "node";
  /** Body idle timeout in ms (see `listen`). Default: listen's. */
  bodyIdleTimeoutMs?: number;
  /** Wraps the app's handler (e.g. to hold requests back). Default: none. */
  wrapHandler?: (fetch: FetchHandler) => FetchHandler;
  /** The largest appendable object (see `ServerOptions.maxAppendableSize`). Default: OSS's 5 GB. */
  maxAppendableSize?: number;
}

/**
 * The engines a test should cover on this runtime: `"native"` (Deno.serve,
 * Bun.serve) where the runtime has one besides node:http.
 */
export function serverEngines(): ("native" | "node")[] {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  return g.Deno?.serve || g.Bun?.serve ? ["native", "node"] : ["node"];
}

/** A running test server. */
export interface TestServer {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** `127.0.0.1:PORT`. */
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  region: string;
  /** The fault injector (in-process control); also reachable over HTTP with {@linkcode TestServer.controlToken}. */
  control: FaultInjector;
  /** Value of the `x-ossup-control` header for `POST /_ossup/faults`. */
  controlToken: string;
  /** The storage behind the server. */
  storage: Storage;
  /**
   * Resolves once no request is being handled: every request that has reached the
   * server has been answered or has failed.
   */
  idle(): Promise<void>;
  /**
   * Cuts every connection (the listener closes and listens again on the same port, so
   * `url` stays) and resolves once each request that had reached the server has ended:
   * nothing a client sent before, e.g. one the test killed or cancelled, lands after it.
   */
  dropConnections(): Promise<void>;
  /**
   * Resolves once the server is done with the `nth` (default first) request
   * of `method` on URL path `path` (at once if it already was), with what it
   * answered.
   */
  handled(method: string, path: string, nth?: number): Promise<HandledRequest>;
  /** Every request on URL path `path` the server is done with so far, in the order it finished them. */
  handledOn(path: string): HandledRequest[];
  close(): Promise<void>;
}

function randomToken(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * Starts a server with memory storage (or disk storage in `dataDir`).
 *
 * @example
 * ```ts
 * const server = await startServer();
 * const res = await fetch(server.url + "/", { headers: { ... } });
 * await server.close();
 * ```
 */
export async function startServer(o: StartServerOptions = {}): Promise<TestServer> {
  const accessKeyId = o.accessKeyId ?? "test-ak";
  const accessKeySecret = o.accessKeySecret ?? "test-secret-key";
  const region = o.region ?? "cn-hangzhou";
  const controlToken = o.controlToken ?? randomToken();
  const storage: Storage = o.dataDir ? await DiskStorage.open(o.dataDir) : new MemoryStorage();
  const control = new FaultInjector({ controlToken, clock: o.faultClock });
  const { app } = createOssApp({
    storage,
    region,
    authenticate: createAuthenticator({
      credentials: [{ accessKeyId, accessKeySecret }, ...(o.stsCredentials ?? [])],
      allowAnonymous: o.allowAnonymous ?? false,
      now: o.now,
    }),
    faults: control,
    maxAppendableSize: o.maxAppendableSize,
  });
  const requests = inFlightCounter(o.wrapHandler?.(app.fetch) ?? app.fetch, app.fetch);
  const done: HandledRequest[] = [];
  const waiting = new Set<() => void>();
  const listenOptions: ListenOptions = {
    host: "127.0.0.1",
    engine: o.engine,
    bodyIdleTimeoutMs: o.bodyIdleTimeoutMs,
    onRequestHandled: (r) => {
      done.push(r);
      for (const wake of waiting) wake();
    },
  };
  const handled = (method: string, path: string, nth = 1) =>
    new Promise<HandledRequest>((resolve) => {
      const check = () => {
        const r = done.filter((d) => d.method === method && new URL(d.url).pathname === path)[
          nth - 1
        ];
        if (r === undefined) return;
        waiting.delete(check);
        resolve(r);
      };
      waiting.add(check);
      check();
    });
  let server = await listen(requests.fetch, { ...listenOptions, port: 0 });
  return {
    url: server.url,
    endpoint: `127.0.0.1:${server.port}`,
    accessKeyId,
    accessKeySecret,
    region,
    control,
    controlToken,
    storage,
    idle: requests.idle,
    handled,
    handledOn: (path) => done.filter((d) => new URL(d.url).pathname === path),
    dropConnections: async () => {
      const { port } = server;
      await server.close();
      await requests.idle();
      server = await listen(requests.fetch, { ...listenOptions, port });
    },
    close: async () => {
      await server.close();
      await storage.close();
    },
  };
}

/**
 * Wraps the app's fetch to count the requests it is handling, from the
 * moment the server hands one over (before authentication) until its answer.
 * Keeps what the app's own fetch (`app`) tells `listen`.
 */
function inFlightCounter(
  inner: FetchHandler,
  app: FetchHandler,
): { fetch: FetchHandler; idle(): Promise<void> } {
  let inFlight = 0;
  const waiters: (() => void)[] = [];
  const fetch = async (req: Request, env?: unknown) => {
    inFlight++;
    try {
      return await inner(req, env);
    } finally {
      if (--inFlight === 0) { for (const wake of waiters.splice(0)) wake(); }
    }
  };
  // Keeps listen's choice of node:http, which fault injection needs to cut connections, and
  // lets the injector refuse the rules another engine (chosen by the test) cannot carry out.
  for (const mark of [CUTS_CONNECTIONS, SERVED_BY]) {
    if (mark in app) Object.defineProperty(fetch, mark, { value: app[mark as keyof FetchHandler] });
  }
  return {
    fetch,
    idle: () => inFlight === 0 ? Promise.resolve() : new Promise((r) => waiters.push(r)),
  };
}
