/**
 * A link emulator: a TCP proxy that puts a long-distance link between clients and a server (the
 * local OSS server, or any TCP server): a round-trip time paid by the handshake and by every
 * request/response exchange, a rate shared by all connections per direction, a window of bytes
 * in flight per connection (a TCP window over a long path), and optionally connection resets at
 * seeded random points. Clients talk to it as to the server; it forwards bytes unchanged.
 * Runs on Node, Deno and Bun (`node:net`); the arithmetic is `_link_model.ts`'s.
 *
 * @module
 */

import { connect, createServer, type Server, type Socket } from "node:net";
import { type PacingClock, SYSTEM_CLOCK } from "../pacing/clock.ts";
import { DEFAULT_SEGMENT_BYTES, LinkModel, type LinkStats, type PipeSink } from "./_link_model.ts";

export type { LinkStats };

/**
 * Largest segment the link sends at once: its time on the wire is part of a round trip, so one
 * connection moves at most `window / (rtt + LINK_SEGMENT_BYTES / rate)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LINK_SEGMENT_BYTES } from "@ossup/ossup/server";
 *
 * // A connection's rate at 50 ms and 400 Mbit/s, 1 MiB window: the window per round trip.
 * const perConnection = (1 << 20) / (0.05 + LINK_SEGMENT_BYTES / 50e6);
 * assert.equal(LINK_SEGMENT_BYTES, 64 * 1024);
 * assert.ok(perConnection < 50e6); // one connection cannot fill the link
 * ```
 */
export const LINK_SEGMENT_BYTES: number = DEFAULT_SEGMENT_BYTES;

/**
 * What the link is like. Every field is optional: the default link adds nothing.
 *
 * @example A transcontinental path
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatLinkSpec, type LinkSettings } from "@ossup/ossup/server";
 *
 * const link: LinkSettings = { rtt: 150, rate: 100e6 / 8, window: 256 * 1024 };
 * assert.equal(formatLinkSpec(link), "rtt=150ms,rate=100Mbit,window=262144");
 * ```
 */
export interface LinkSettings {
  /** Round-trip time in milliseconds. Default 0. */
  rtt?: number;
  /** Bytes per second in each direction, shared by all connections. Default: no limit. */
  rate?: number;
  /** Bytes in flight per connection and direction (its TCP window). Default: no limit. */
  window?: number;
  /**
   * Mean bytes a connection carries (both directions) before the link resets it; each
   * connection draws its share from a seeded exponential distribution. Default: no resets.
   */
  resets?: number;
  /** Seed of the reset draws: the same seed resets the same connections at the same bytes. Default 1. */
  seed?: number;
}

/**
 * Options of {@linkcode startLink}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOssApp, type LinkOptions, listen, MemoryStorage, startLink } from "@ossup/ossup/server";
 *
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const options: LinkOptions = { target: server.url, rtt: 50, rate: 50e6, window: 1 << 20 };
 * const link = await startLink(options);
 * assert.notEqual(link.url, server.url); // the far side of the link
 * await link.close();
 * await server.close();
 * await storage.close();
 * ```
 */
export interface LinkOptions extends LinkSettings {
  /** The server behind the link: `http://host:port` or `host:port`. */
  target: string | URL;
  /** Interface the link listens on. Default `"127.0.0.1"`. */
  host?: string;
  /** Port the link listens on; `0` picks a free one. Default `0`. */
  port?: number;
  /** Time source of the link's delays. Default: the real clock. */
  clock?: PacingClock;
}

/**
 * A running link.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOssApp, listen, MemoryStorage, type RunningLink, startLink } from "@ossup/ossup/server";
 *
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const link: RunningLink = await startLink({ target: server.url, rtt: 20, rate: 50e6, window: 1 << 20 });
 * const res = await fetch(link.url, { method: "PUT", body: "hello" }); // through the link
 * await res.body?.cancel();
 * assert.match(link.url, /^http:\/\/127\.0\.0\.1:\d+$/);
 * assert.ok(link.stats().upBytes > 5);
 * await link.close();
 * await server.close();
 * await storage.close();
 * ```
 */
export interface RunningLink {
  /** `http://host:port` of the link: use it as the server's endpoint. */
  url: string;
  /** The bound host. */
  host: string;
  /** The bound port. */
  port: number;
  /** Counts of what went over the link so far. */
  stats(): LinkStats;
  /** Stops listening and cuts every connection through the link. */
  close(): Promise<void>;
}

function checkSetting(name: string, value: number | undefined, allowed: string): void {
  if (value !== undefined && !(typeof value === "number" && value >= 0 && !Number.isNaN(value))) {
    throw new RangeError(`link ${name} must be ${allowed}; got ${value}`);
  }
}

function targetAddress(target: string | URL): { host: string; port: number } {
  const text = String(target);
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `tcp://${text}`);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  return { host: url.hostname.replace(/^\[|\]$/g, ""), port };
}

/** A socket as the far end of a pipe. */
function socketSink(socket: Socket): PipeSink {
  // One listener for all the segments waiting on the same drain.
  let waiting: (() => void)[] = [];
  socket.on("drain", () => {
    const done = waiting;
    waiting = [];
    for (const d of done) d();
  });
  return {
    write: (bytes) => socket.destroyed ? true : socket.write(bytes),
    waitDrain: (done) => waiting.push(done),
    end: () => {
      if (!socket.destroyed) socket.end();
    },
  };
}

/**
 * Starts a link in front of `target`.
 *
 * @param options The target, the link's settings, where to listen.
 * @returns The link's URL, its counts and a close function.
 * @throws {RangeError} For a negative or non-numeric setting.
 *
 * @example A local OSS server 50 ms away on a 400 Mbit/s link with a 1 MiB window
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, listen, MemoryStorage, startLink } from "@ossup/ossup/server";
 *
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const link = await startLink({ target: server.url, rtt: 50, rate: 400e6 / 8, window: 1 << 20 });
 * // A client of the link sees a server 50 ms away.
 * const client = new OssClient({ endpoint: link.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * assert.equal(link.stats().connections, 1);
 * await link.close();
 * await server.close();
 * await storage.close();
 * ```
 */
export async function startLink(options: LinkOptions): Promise<RunningLink> {
  checkSetting("rtt", options.rtt, "a number of milliseconds from 0");
  checkSetting("rate", options.rate, "a number of bytes per second above 0");
  checkSetting("window", options.window, "a number of bytes above 0");
  checkSetting("resets", options.resets, "a mean number of bytes above 0");
  if (options.rate === 0 || options.window === 0 || options.resets === 0) {
    throw new RangeError("link rate, window and resets must be above 0 when given");
  }
  const target = targetAddress(options.target);
  const clock = options.clock ?? SYSTEM_CLOCK;
  const model = new LinkModel({
    rttMs: options.rtt ?? 0,
    rate: options.rate ?? Infinity,
    window: options.window ?? Infinity,
    resetMeanBytes: options.resets,
    seed: options.seed,
  }, clock);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  };

  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    track(client);
    track(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const cut = () => {
      connection.close();
      // A reset, not a polite end: the client sees ECONNRESET, as on a real broken path.
      (client as Socket & { resetAndDestroy?: () => void }).resetAndDestroy?.() ??
        client.destroy();
      upstream.destroy();
    };
    const connection = model.connect(socketSink(upstream), socketSink(client), cut);
    client.on("data", (bytes: Uint8Array) => {
      if (!connection.up.push(bytes)) client.pause();
    });
    connection.up.onRoom = () => client.resume();
    upstream.on("data", (bytes: Uint8Array) => {
      if (!connection.down.push(bytes)) upstream.pause();
    });
    connection.down.onRoom = () => upstream.resume();
    client.on("end", () => connection.up.end());
    upstream.on("end", () => connection.down.end());
    const close = () => {
      connection.close();
      client.destroy();
      upstream.destroy();
    };
    client.on("close", close);
    upstream.on("close", close);
    client.on("error", () => {});
    upstream.on("error", () => {});
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    host,
    port,
    stats: () => model.snapshot(),
    close: async () => {
      model.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
