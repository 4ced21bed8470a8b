// createSocketFetch (HTTP/1.1 over Bun.connect keep-alive sockets for large
// byte bodies): the transport contract, then what is its own, against real
// servers on 127.0.0.1: the threshold and what goes to the fallback, a raw
// node:net server where the exact answer bytes matter (request lines,
// chunked with extensions and trailers, 100 Continue, Connection: close,
// read-until-close answers, malformed heads, early answers, cuts), aborts
// mid-write, TLS, a child process that must exit on its own with an idle
// pooled connection, and withBunFetch and proxyConfigured.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { createSocketFetch } from "../lib/adapters/bun/socket_fetch.ts";
import { withBunFetch } from "../lib/adapters/bun/default_fetch.ts";
import { proxyConfigured } from "../lib/adapters/_proxy_env.ts";
import { OssClient as BunOssClient } from "../lib/bun.ts";
import { OssClient as ModOssClient } from "../mod.ts";
import { testBytes } from "./_test_bytes.ts";
import { type Recorder, startRecorder } from "./_recording_server.ts";
import { RequestLog } from "./_request_log.ts";
import { transportContract } from "../lib/testing/mod.ts";
import { isNetworkError, settleWithin } from "../lib/testing/_fetch_outcome.ts";
import { recordingFallback } from "./_recording_fallback.ts";
import { signalled } from "./_signalled.ts";
import { ROOT, sameBytes } from "./_upload_fixtures.ts";
import { LOCAL_CERT, LOCAL_KEY, OTHER_CERT, OTHER_KEY } from "./_tls_fixtures.ts";

const MiB = 1024 * 1024;
/** Small threshold, so most bodies here stay small. */
const SMALL = { minBodySize: 1024 };

// ---------------------------------------------------------------------------
// A raw node:net server: exact control of the answer bytes

/** One request as the raw server parsed it. */
interface RawRequest {
  requestLine: string;
  method: string;
  /** The request target: path and query. */
  url: string;
  headers: Headers;
  /** Empty for an `early` route, which does not read it. */
  body: Uint8Array;
  connection: number;
}

/** Writes the answer to `req` on `socket`, byte for byte. */
type RawHandler = (socket: Socket, req: RawRequest) => void;

interface RawServer {
  url: string;
  /** Every request recorded, in the order their bodies ended. */
  seen: RawRequest[];
  /** The one request sent to `target` (a path, or path and query); throws if not exactly one. */
  request(target: string): RawRequest;
  connections(): number;
  /**
   * Sets the answer for `path` (default: 200 "ok" with content-length). An
   * `early` route gets the connection as the request head arrives: the
   * server pauses it and reads nothing more from it.
   */
  route(path: string, handler: RawHandler, o?: { early?: boolean }): void;
  /** Resolves once connection `id` (1, 2, …) has been accepted. */
  opened(id: number): Promise<void>;
  closed(id: number): Promise<void>;
  close(): Promise<void>;
}

const OK = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

async function startRaw(): Promise<RawServer> {
  const log = new RequestLog<RawRequest>();
  const routes = new Map<string, { handler: RawHandler; early: boolean }>();
  const sockets = new Set<Socket>();
  const closings = new Map<number, Promise<void>>();
  const openings = new Map<number, { promise: Promise<void>; resolve: () => void }>();
  const opening = (id: number) => {
    if (!openings.has(id)) openings.set(id, signalled<void>());
    return openings.get(id)!;
  };
  let connections = 0;
  const server = createNetServer((socket: Socket) => {
    const id = ++connections;
    opening(id).resolve();
    sockets.add(socket);
    closings.set(id, new Promise((resolve) => socket.on("close", () => resolve())));
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.setNoDelay(true);
    let chunks: Buffer[] = [];
    let size = 0;
    let pending: (Omit<RawRequest, "body"> & { length: number }) | undefined;
    let taken = false;
    socket.on("data", (chunk: Buffer) => {
      if (taken) return;
      chunks.push(chunk);
      size += chunk.length;
      for (;;) {
        if (pending === undefined) {
          const all = Buffer.concat(chunks);
          const end = all.indexOf("\r\n\r\n");
          if (end < 0) {
            chunks = [all];
            return;
          }
          const lines = all.subarray(0, end).toString("latin1").split("\r\n");
          const [method, target] = lines[0].split(" ");
          const headers = new Headers();
          for (const line of lines.slice(1)) {
            const colon = line.indexOf(":");
            headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
          }
          chunks = [all.subarray(end + 4)];
          size = chunks[0].length;
          pending = {
            requestLine: lines[0],
            method,
            url: target,
            headers,
            connection: id,
            length: Number(headers.get("content-length") ?? 0),
          };
          const route = routes.get(new URL(target, "http://x").pathname);
          if (route?.early) {
            taken = true;
            socket.pause();
            const { length: _, ...req } = pending;
            route.handler(socket, { ...req, body: new Uint8Array(0) });
            return;
          }
        }
        if (size < pending.length) return;
        const all = Buffer.concat(chunks);
        const { length, ...head } = pending;
        const req: RawRequest = { ...head, body: new Uint8Array(all.subarray(0, length)) };
        chunks = [all.subarray(length)];
        size = chunks[0].length;
        pending = undefined;
        log.add(req);
        const route = routes.get(new URL(req.url, "http://x").pathname);
        if (route === undefined) socket.write(OK);
        else route.handler(socket, req);
        if (size === 0) return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen: log.entries,
    request: (target) => log.to(target),
    connections: () => connections,
    route: (path, handler, o = {}) => routes.set(path, { handler, early: o.early ?? false }),
    opened: (id) => opening(id).promise,
    closed: (id) => closings.get(id) ?? Promise.resolve(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Writes `parts` one at a time, each once the one before has gone to the socket (no delay
 * at all: each goes out in a segment of its own). The client may still read several at
 * once; the parser must be right however they are split, so nothing depends on it.
 */
async function writePieces(socket: Socket, parts: (string | Uint8Array)[]): Promise<void> {
  for (const part of parts) {
    if (socket.destroyed) return;
    await new Promise<void>((resolve) => socket.write(part, () => resolve()));
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const PROXY_VARS = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"].flatMap((n) => [n, n.toLowerCase()]);

/** Runs `body` with no proxy variable set, then puts them back. */
function withoutProxyVars<T>(body: () => T): T {
  const saved = PROXY_VARS.map((name) => [name, process.env[name]] as const);
  for (const name of PROXY_VARS) delete process.env[name];
  try {
    return body();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** Runs `body` with the global fetch (the socket fetch's fallback) counting what it is given. */
async function watchingGlobalFetch<T>(
  body: (calls: { method: string; url: string; size: number; bytes: boolean }[]) => Promise<T>,
): Promise<T> {
  const original = globalThis.fetch;
  const calls: { method: string; url: string; size: number; bytes: boolean }[] = [];
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    const b = init?.body;
    const size = b instanceof Uint8Array ? b.byteLength : b instanceof Blob ? b.size : -1;
    calls.push({
      method: init?.method ?? "GET",
      url: String(input),
      size,
      bytes: b instanceof Uint8Array,
    });
    return original(input, init);
  }) as typeof globalThis.fetch;
  try {
    return await body(calls);
  } finally {
    globalThis.fetch = original;
  }
}

transportContract("createSocketFetch", {
  make: (options) => createSocketFetch({ ...SMALL, ...options }),
  minBodySize: SMALL.minBodySize,
  streamsAnswers: false,
  keepAliveTimeout: true,
  reusesConnectionAtOnce: true,
  preconnects: ["upload", "download"],
  rejectsStatusOutOfRange: true,
  withDefaultFetch: (options) => withoutProxyVars(() => withBunFetch(options)),
  clients: [
    { entry: "lib/bun.ts", Client: BunOssClient },
    { entry: "mod.ts", Client: ModOssClient },
  ],
  uploadCheck: {
    says: "no byte body goes through the global fetch",
    around: (upload) =>
      watchingGlobalFetch(async (calls) => {
        const result = await upload();
        // Only requests without a byte body (none, a string, a Blob) went through it.
        assert.deepEqual(calls.filter((c) => c.bytes), []);
        return result;
      }),
  },
});

// ---------------------------------------------------------------------------

describe("createSocketFetch: the request", () => {
  let server: Recorder;
  let raw: RawServer;
  const fetch = createSocketFetch(SMALL);
  before(async () => {
    server = await startRecorder();
    raw = await startRaw();
  });
  after(async () => {
    await server.close();
    await raw.close();
  });

  it("writes the request line with the URL's path and query, and the method upper-cased", async () => {
    const body = testBytes(2048, 4);
    const res = await fetch(new URL(`${raw.url}/bucket/dir/k%2Bey?partNumber=2&uploadId=U`), {
      method: "post",
      body,
    });
    assert.equal(await res.text(), "ok");
    const got = raw.request("/bucket/dir/k%2Bey");
    assert.equal(got.requestLine, "POST /bucket/dir/k%2Bey?partNumber=2&uploadId=U HTTP/1.1");
    assert.equal(got.headers.get("host"), new URL(raw.url).host);
    assert.equal(got.headers.get("content-length"), "2048");
    assert.equal(got.headers.get("transfer-encoding"), null);
    assert.ok(sameBytes(got.body, body));
  });

  it("keeps a host the caller set, and replaces a wrong content-length", async () => {
    const body = testBytes(3000, 5);
    await (await fetch(`${raw.url}/host`, {
      method: "PUT",
      body,
      headers: [["Host", "bucket.example.test"], ["content-length", "7"], ["x-b", "2"]],
    })).text();
    const got = raw.request("/host");
    assert.equal(got.headers.get("host"), "bucket.example.test");
    assert.equal(got.headers.get("content-length"), "3000");
    assert.equal(got.headers.get("x-b"), "2");
    assert.ok(sameBytes(got.body, body));
  });

  it("with the default threshold sends every byte body itself, large, small or empty", async () => {
    const { calls, fallback } = recordingFallback();
    const big = createSocketFetch({ fallback });
    server.route("/hash", (_req, res, body) => res.end(sha256(body)));
    const bytes = testBytes(8 * MiB, 6);
    const res = await big(`${server.url}/hash`, { method: "PUT", body: bytes });
    assert.equal(await res.text(), sha256(bytes));
    assert.equal(server.request("/hash").headers["content-length"], String(8 * MiB));
    for (const size of [MiB - 1, 1, 0]) {
      const small = bytes.subarray(5, 5 + size);
      server.route(`/hash-${size}`, (_req, res, body) => res.end(sha256(body)));
      const res = await big(`${server.url}/hash-${size}`, { method: "PUT", body: small });
      assert.equal(await res.text(), sha256(small), `${size} bytes`);
      assert.equal(server.request(`/hash-${size}`).headers["content-length"], String(size));
    }
    assert.equal(calls.length, 0);
  });
});

describe("createSocketFetch: what goes to the fallback", () => {
  let server: Recorder;
  const { calls, fallback } = recordingFallback();
  // Bodiless GETs go to the fallback only without `socketGets` (see the next describe).
  const fetch = createSocketFetch({ ...SMALL, fallback, socketGets: false });
  before(async () => {
    server = await startRecorder();
  });
  after(async () => {
    await server.close();
  });

  it("hands small byte bodies, other body types, no body, Requests and non-http URLs to it", async () => {
    const url = `${server.url}/x`;
    const big = testBytes(4096, 7);
    const inits: RequestInit[] = [
      { method: "PUT", body: big.subarray(0, 1023) },
      { method: "PUT", body: "s".repeat(5000) },
      { method: "PUT", body: new Blob([big]) },
      { method: "PUT", body: new ReadableStream({ start: (c) => (c.enqueue(big), c.close()) }) },
      { method: "PUT", body: big.slice().buffer },
      { method: "PUT", body: new DataView(big.buffer) },
      { method: "GET" },
    ];
    for (const init of inits) {
      const res = await fetch(url, init);
      assert.equal(await res.text(), "fb");
      assert.equal(calls.at(-1)!.input, url);
      assert.equal(calls.at(-1)!.init, init);
    }
    assert.equal(await (await fetch(url)).text(), "fb");
    assert.equal(calls.at(-1)!.init, undefined);

    const request = new Request(url, { method: "PUT", body: big });
    assert.equal(await (await fetch(request)).text(), "fb");
    assert.equal(calls.at(-1)!.input, request);
    const withInit = new Request(url);
    const init = { method: "PUT", body: big };
    assert.equal(await (await fetch(withInit, init)).text(), "fb");
    assert.equal(calls.at(-1)!.input, withInit);

    for (const other of ["data:text/plain,hello", "file:///tmp/x", "ws://127.0.0.1:9/"]) {
      assert.equal(await (await fetch(other, { method: "PUT", body: big })).text(), "fb");
      assert.equal(calls.at(-1)!.input, other);
    }
    assert.equal(calls.length, inits.length + 6);
    assert.equal(server.seen.length, 0);
    assert.equal(server.connections(), 0);
  });

  it("sends a Uint8Array (or Buffer) at or above the threshold itself", async () => {
    const before = calls.length;
    const body = testBytes(1024, 8);
    assert.equal(await (await fetch(`${server.url}/at`, { method: "PUT", body })).text(), "ok");
    assert.ok(sameBytes(server.request("/at").body, body));
    const buffer = Buffer.from(testBytes(5000, 9));
    assert.equal(
      await (await fetch(new URL(`${server.url}/buf`), { method: "PUT", body: buffer })).text(),
      "ok",
    );
    assert.ok(sameBytes(server.request("/buf").body, buffer));
    assert.equal(calls.length, before);
    assert.deepEqual(server.seen.map((s) => s.path), ["/at", "/buf"]);
  });

  it("defaults the fallback to the global fetch, looked up per call", async () => {
    const own = createSocketFetch(SMALL);
    const original = globalThis.fetch;
    const seen: string[] = [];
    globalThis.fetch = ((input: RequestInfo | URL) => {
      seen.push(String(input));
      return Promise.resolve(new Response("global"));
    }) as typeof globalThis.fetch;
    try {
      assert.equal(
        await (await own(`${server.url}/small`, { method: "PUT", body: "x" })).text(),
        "global",
      );
      assert.equal(
        await (await own(`${server.url}/large`, { method: "PUT", body: new Uint8Array(2048) }))
          .text(),
        "ok",
      );
    } finally {
      globalThis.fetch = original;
    }
    assert.deepEqual(seen, [`${server.url}/small`]);
  });
});

describe("createSocketFetch: bodiless GETs and HEADs over node:net (socketGets)", () => {
  let server: Recorder;
  const { calls, fallback } = recordingFallback();
  const fetch = createSocketFetch({ ...SMALL, fallback });
  before(async () => {
    server = await startRecorder();
    server.route("/stored", (_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip", "content-length": "3" });
      res.end(new Uint8Array([31, 139, 8]));
    });
  });
  after(async () => {
    await server.close();
  });

  it("sends them to http: URLs itself, as byte streams, asking for no encoding", async () => {
    const got = await fetch(`${server.url}/get`);
    assert.equal(await got.text(), "ok");
    const head = await fetch(`${server.url}/get`, { method: "HEAD" });
    assert.equal(head.body, null);
    const stored = await fetch(`${server.url}/stored`);
    const reader = stored.body!.getReader({ mode: "byob" });
    const { value } = await reader.read(new Uint8Array(16));
    assert.deepEqual([...value!], [31, 139, 8]); // as the server sent them, not inflated
    assert.equal(calls.length, 0);
    const seen = server.seen.map((s) => [s.method, s.path]);
    assert.deepEqual(seen, [["GET", "/get"], ["HEAD", "/get"], ["GET", "/stored"]]);
    assert.equal(server.request("/stored").headers["accept-encoding"], undefined);
  });

  it("hands a GET with a Request, or to another scheme, to the fallback", async () => {
    const before = calls.length;
    await fetch(new Request(`${server.url}/req`));
    await fetch("data:text/plain,hello");
    assert.equal(calls.length - before, 2);
  });
});

describe("createSocketFetch: answers from a raw server", () => {
  let raw: RawServer;
  const fetch = createSocketFetch(SMALL);
  const body = () => ({ method: "PUT", body: testBytes(2000, 10) });
  before(async () => {
    raw = await startRaw();
  });
  after(async () => {
    await raw.close();
  });

  it("decodes chunks with extensions and trailers, arriving piece by piece, and reuses the connection", async () => {
    raw.route("/chunked", (socket) => {
      void writePieces(socket, [
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nx-a: 1\r\n\r\n",
        "5;name=value\r",
        "\nhel",
        "lo\r\n",
        "B\r\n, chunked w\r\n",
        "A ; ext\r\norld\u00e9\u00e9\u00e9\r\n",
        "0\r\nx-trailer: t\r\n",
        "x-other: u\r\n\r\n",
      ]);
    });
    const before = raw.connections();
    const res = await fetch(`${raw.url}/chunked`, body());
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-a"), "1");
    // Chunk sizes count bytes: "orld" and three 2-byte "é" make the 0xA.
    assert.equal(await res.text(), "hello, chunked world\u00e9\u00e9\u00e9");
    assert.equal(res.headers.get("x-trailer"), null);
    const next = await fetch(`${raw.url}/after-chunked`, body());
    assert.equal(await next.text(), "ok");
    assert.equal(raw.connections(), Math.max(before, 1));
    assert.equal(raw.request("/after-chunked").connection, raw.request("/chunked").connection);
  });

  it("decodes a chunked answer sent in one write, and one whose chunks span reads", async () => {
    const payload = testBytes(300_000, 12);
    const hex = (n: number) => n.toString(16);
    raw.route("/chunked-one", (socket) => {
      socket.write(
        Buffer.concat([
          Buffer.from(`HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n`),
          Buffer.from(`${hex(100_000)}\r\n`),
          payload.subarray(0, 100_000),
          Buffer.from(`\r\n${hex(200_000)};x=y\r\n`),
          payload.subarray(100_000),
          Buffer.from("\r\n0\r\n\r\n"),
        ]),
      );
    });
    const res = await fetch(`${raw.url}/chunked-one`, body());
    assert.ok(sameBytes(new Uint8Array(await res.arrayBuffer()), payload));
  });

  it("reads an answer with neither content-length nor chunked until the server closes", async () => {
    raw.route("/until-close", (socket) => {
      void writePieces(socket, [
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n",
        "first ",
        "second ",
        "third",
      ]).then(() => socket.end());
    });
    const before = raw.connections();
    const res = await fetch(`${raw.url}/until-close`, body());
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "first second third");
    // That connection is done: the next request opens another.
    assert.equal(await (await fetch(`${raw.url}/after-close`, body())).text(), "ok");
    assert.equal(raw.connections(), before + 1);
  });

  it("skips 100 Continue and 103 Early Hints before the final answer", async () => {
    raw.route("/continue", (socket) => {
      void writePieces(socket, [
        "HTTP/1.1 100 Continue\r\n\r\n",
        "HTTP/1.1 103 Early Hints\r\nlink: </a>; rel=preload\r\n\r\n",
        "HTTP/1.1 202 Accepted\r\ncontent-length: 4\r\nx-final: yes\r\n\r\ndone",
      ]);
    });
    raw.route("/continue-one-write", (socket) => {
      socket.write(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nyes",
      );
    });
    const res = await fetch(`${raw.url}/continue`, body());
    assert.equal(res.status, 202);
    assert.equal(res.statusText, "Accepted");
    assert.equal(res.headers.get("x-final"), "yes");
    assert.equal(res.headers.get("link"), null);
    assert.equal(await res.text(), "done");
    const one = await fetch(`${raw.url}/continue-one-write`, body());
    assert.equal(one.status, 200);
    assert.equal(await one.text(), "yes");
  });

  it("does not reuse a connection that sent bytes after the answer, or answered HTTP/1.0", async () => {
    raw.route("/extra", (socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokEXTRA");
    });
    raw.route("/http10", (socket) => {
      socket.write("HTTP/1.0 200 OK\r\ncontent-length: 3\r\n\r\nold");
    });
    let before = raw.connections();
    assert.equal(await (await fetch(`${raw.url}/extra`, body())).text(), "ok");
    assert.equal(await (await fetch(`${raw.url}/after-extra`, body())).text(), "ok");
    assert.equal(raw.connections(), before + 1);
    before = raw.connections();
    assert.equal(await (await fetch(`${raw.url}/http10`, body())).text(), "old");
    assert.equal(await (await fetch(`${raw.url}/after-http10`, body())).text(), "ok");
    assert.equal(raw.connections(), before + 1);
  });
});

describe("createSocketFetch: keep-alive", () => {
  it("opens a new connection after an answer with Connection: close", async () => {
    const raw = await startRaw();
    raw.route("/close", (socket) => {
      socket.write("HTTP/1.1 200 OK\r\nConnection: close\r\ncontent-length: 3\r\n\r\nbye");
    });
    const fetch = createSocketFetch(SMALL);
    const body = testBytes(2000, 24);
    try {
      assert.equal(await (await fetch(`${raw.url}/close`, { method: "PUT", body })).text(), "bye");
      // The client ends the connection itself, even though the server left it open.
      await raw.closed(1);
      assert.equal(await (await fetch(`${raw.url}/next`, { method: "PUT", body })).text(), "ok");
      assert.deepEqual(["/close", "/next"].map((p) => raw.request(p).connection), [1, 2]);
    } finally {
      await raw.close();
    }
  });

  it("is not broken by a raw server ending the connection after answering", async () => {
    const raw = await startRaw();
    raw.route("/then-end", (socket) => {
      socket.write(OK, () => socket.end());
    });
    const fetch = createSocketFetch(SMALL);
    const body = testBytes(2000, 27);
    try {
      assert.equal(
        await (await fetch(`${raw.url}/then-end`, { method: "PUT", body })).text(),
        "ok",
      );
      // The server half-closed: its socket closes once the client has closed its side too.
      await raw.closed(1);
      assert.equal(await (await fetch(`${raw.url}/next`, { method: "PUT", body })).text(), "ok");
      assert.deepEqual(["/then-end", "/next"].map((p) => raw.request(p).connection), [1, 2]);
    } finally {
      await raw.close();
    }
  });
});

describe("createSocketFetch: aborts", () => {
  it("rejects with the signal's reason when aborted while a large body is being written", async () => {
    const raw = await startRaw();
    const arrived = signalled<Socket>();
    // Reads the head, then nothing: the client's write stalls once the socket buffers fill.
    raw.route("/stall", (socket) => arrived.resolve(socket), { early: true });
    const fetch = createSocketFetch(SMALL);
    try {
      const controller = new AbortController();
      const pending = fetch(`${raw.url}/stall`, {
        method: "PUT",
        body: new Uint8Array(64 * MiB),
        signal: controller.signal,
      });
      const serverSide = await arrived.promise;
      // Still writing: the server reads nothing after the head, so the 64 MiB cannot all
      // have gone; the abort comes while the body is being written, stalled or not.
      assert.ok(serverSide.bytesRead < 16 * MiB, `server read ${serverSide.bytesRead} bytes`);
      controller.abort(new Error("stop mid-write"));
      const outcome = await settleWithin(pending);
      assert.ok(typeof outcome === "object" && "error" in outcome, "the fetch rejects");
      assert.equal(outcome.error, controller.signal.reason);
      await raw.closed(1);
      const next = await fetch(`${raw.url}/after`, { method: "PUT", body: new Uint8Array(4096) });
      assert.equal(await next.text(), "ok");
    } finally {
      await raw.close();
    }
  });
});

describe("createSocketFetch: network and protocol errors", () => {
  let raw: RawServer;
  const fetch = createSocketFetch(SMALL);
  const body = () => ({ method: "PUT", body: testBytes(2000, 40) });
  before(async () => {
    raw = await startRaw();
    raw.route("/cut-length", (socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789", () => socket.end());
    });
    raw.route("/cut-chunked", (socket) => {
      socket.write(
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n10\r\nabc",
        () => socket.destroy(),
      );
    });
    raw.route("/cut-head", (socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-le", () => socket.end());
    });
    raw.route("/garbage", (socket) => {
      socket.write("garbage\r\n\r\n");
    });
    raw.route("/no-code", (socket) => {
      socket.write("HTTP/1.1 OK\r\ncontent-length: 0\r\n\r\n");
    });
    raw.route("/bad-header", (socket) => {
      socket.write("HTTP/1.1 200 OK\r\nno colon here\r\ncontent-length: 0\r\n\r\n");
    });
    raw.route("/bad-length", (socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: -5\r\n\r\n");
    });
    raw.route("/huge-head", (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(70 * 1024)}`);
    });
    raw.route("/bad-chunk", (socket) => {
      socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n");
    });
  });
  after(async () => {
    await raw.close();
  });

  for (const path of ["/cut-length", "/cut-chunked", "/cut-head"]) {
    it(`rejects with a TypeError when the server closes mid-answer (${path})`, async () => {
      const outcome = await settleWithin(fetch(`${raw.url}${path}`, body()));
      assert.ok(typeof outcome === "object" && "error" in outcome, `settles with an error`);
      isNetworkError(outcome.error);
    });
  }

  for (
    const path of ["/garbage", "/no-code", "/bad-header", "/bad-length", "/bad-chunk", "/huge-head"]
  ) {
    it(`rejects a malformed answer with a TypeError (${path})`, async () => {
      const outcome = await settleWithin(fetch(`${raw.url}${path}`, body()));
      assert.ok(typeof outcome === "object" && "error" in outcome, "settles with an error");
      isNetworkError(outcome.error);
    });
  }

  it("still works after all those errors", async () => {
    assert.equal(await (await fetch(`${raw.url}/fine`, body())).text(), "ok");
  });
});

describe("createSocketFetch: an answer before the body is read", () => {
  const denied = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code></Error>';
  const answer403 = "HTTP/1.1 403 Forbidden\r\ncontent-type: application/xml\r\n" +
    `connection: close\r\ncontent-length: ${denied.length}\r\n\r\n${denied}`;

  it("returns a raw server's 403 sent right after the head, before it closes (8 MiB body)", async () => {
    const raw = await startRaw();
    raw.route("/early", (socket) => {
      // Reads none of the body; answers and ends its side (FIN). The client's close ends
      // the connection (or the server's close at the end of the test).
      socket.end(answer403);
    }, { early: true });
    const fetch = createSocketFetch();
    try {
      const outcome = await settleWithin(
        fetch(`${raw.url}/early`, { method: "PUT", body: testBytes(8 * MiB, 41) }),
      );
      assert.notEqual(outcome, "still pending");
      if (typeof outcome === "object" && "error" in outcome) {
        assert.fail(`the 403 was lost: the fetch rejected with ${String(outcome.error)}`);
      }
      const { res } = outcome as { res: Response };
      assert.equal(res.status, 403);
      assert.equal(res.statusText, "Forbidden");
      assert.match(await res.text(), /AccessDenied/);
      assert.equal(
        await (await fetch(`${raw.url}/after`, { method: "PUT", body: testBytes(MiB, 42) })).text(),
        "ok",
      );
    } finally {
      await raw.close();
    }
  });

  it("returns a raw server's 403 when the server destroys the connection right after it", async () => {
    const raw = await startRaw();
    raw.route("/early-destroy", (socket) => {
      socket.write(answer403, () => socket.destroy());
    }, { early: true });
    const fetch = createSocketFetch();
    try {
      const outcome = await settleWithin(
        fetch(`${raw.url}/early-destroy`, { method: "PUT", body: testBytes(8 * MiB, 43) }),
      );
      assert.notEqual(outcome, "still pending");
      if (typeof outcome === "object" && "error" in outcome) {
        assert.fail(`the 403 was lost: the fetch rejected with ${String(outcome.error)}`);
      }
      const { res } = outcome as { res: Response };
      assert.equal(res.status, 403);
      assert.match(await res.text(), /AccessDenied/);
    } finally {
      await raw.close();
    }
  });
});

describe("createSocketFetch: https", () => {
  let local: HttpsServer;
  let other: HttpsServer;
  let localUrl: string;
  let otherUrl: string;
  let secureConnections = 0;
  const seenHosts: string[] = [];
  const hashing = (req: IncomingMessage, res: ServerResponse) => {
    seenHosts.push(req.headers.host ?? "");
    const hash = createHash("sha256");
    req.on("data", (chunk: Uint8Array) => hash.update(chunk));
    req.on("end", () => res.end(hash.digest("hex")));
  };
  const listen = async (server: HttpsServer) => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
  };
  before(async () => {
    local = createHttpsServer({ key: LOCAL_KEY, cert: LOCAL_CERT }, hashing);
    local.on("secureConnection", () => secureConnections++);
    other = createHttpsServer({ key: OTHER_KEY, cert: OTHER_CERT }, hashing);
    localUrl = `https://127.0.0.1:${await listen(local)}`;
    otherUrl = `https://127.0.0.1:${await listen(other)}`;
  });
  after(async () => {
    for (const server of [local, other]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("sends to an https URL over TLS with the ca option, on one kept-alive connection", async () => {
    const fetch = createSocketFetch({ ...SMALL, ca: LOCAL_CERT });
    for (let i = 0; i < 2; i++) {
      const body = testBytes(3 * MiB + i, 70 + i);
      const res = await fetch(`${localUrl}/tls?n=${i}`, { method: "PUT", body });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), sha256(body));
    }
    assert.equal(secureConnections, 1);
    assert.equal(seenHosts.at(-1), new URL(localUrl).host);
    // By DNS name too: the certificate names localhost.
    const byName = `https://localhost:${new URL(localUrl).port}/tls`;
    const body = testBytes(4096, 72);
    assert.equal(await (await fetch(byName, { method: "PUT", body })).text(), sha256(body));
    assert.equal(seenHosts.at(-1), `localhost:${new URL(localUrl).port}`);
  });

  /** The fetch fails like fetch, and its cause says it is the certificate. */
  const certificateError = (err: unknown) => {
    isNetworkError(err);
    const cause = (err as { cause?: { message?: string } }).cause;
    assert.match(String(cause?.message), /certificate|cert/i, `cause: ${String(cause?.message)}`);
    return true;
  };
  it("rejects a certificate it does not trust, with a cause that says so", async () => {
    const fetch = createSocketFetch(SMALL);
    const outcome = await settleWithin(
      fetch(`${localUrl}/untrusted`, { method: "PUT", body: testBytes(4096, 73) }),
    );
    assert.ok(typeof outcome === "object" && "error" in outcome, "the fetch rejects");
    certificateError(outcome.error);
  });

  it("rejects a trusted certificate for another name, with a cause that says so", async () => {
    const fetch = createSocketFetch({ ...SMALL, ca: OTHER_CERT });
    const outcome = await settleWithin(
      fetch(`${otherUrl}/wrong-name`, { method: "PUT", body: testBytes(4096, 74) }),
    );
    assert.ok(typeof outcome === "object" && "error" in outcome, "the fetch rejects");
    certificateError(outcome.error);
  });

  it("rejects with the signal's reason when aborted during a handshake the server never answers", async () => {
    const raw = await startRaw();
    const fetch = createSocketFetch(SMALL);
    try {
      const controller = new AbortController();
      const pending = fetch(`https://127.0.0.1:${new URL(raw.url).port}/silent`, {
        method: "PUT",
        body: testBytes(4096, 75),
        signal: controller.signal,
      });
      await raw.opened(1);
      controller.abort(new Error("stop during the handshake"));
      const outcome = await settleWithin(pending);
      assert.ok(typeof outcome === "object" && "error" in outcome, "the fetch rejects");
      assert.equal(outcome.error, controller.signal.reason);
    } finally {
      await raw.close();
    }
  });
});

describe("createSocketFetch: idle pooled connections do not keep the process alive", () => {
  it("a child that made requests (keepAliveTimeout 60 s) exits on its own", async () => {
    const own = await startRecorder();
    const raw = await startRaw();
    raw.route("/until-close", (socket) => socket.end("HTTP/1.1 200 OK\r\n\r\nuntil close"));
    raw.route("/cut", (socket) => socket.end("HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nabc"));
    const dir = await mkdtemp(join(tmpdir(), "ossup-socket-fetch-"));
    const script = join(dir, "child.ts");
    const module = pathToFileURL(join(ROOT, "lib/adapters/bun/socket_fetch.ts")).href;
    await writeFile(
      script,
      [
        `import { createSocketFetch } from ${JSON.stringify(module)};`,
        `const fetch = createSocketFetch({ minBodySize: 1024, keepAliveTimeout: 60000 });`,
        `const put = { method: "PUT", body: new Uint8Array(4096) };`,
        `for (const path of ["/a", "/b"]) {`,
        `  const res = await fetch(process.argv[2] + path, put);`,
        `  console.log(path, res.status, await res.text());`,
        `}`,
        `// Connections the server ends mid-request must not keep the child alive either.`,
        `console.log(await (await fetch(process.argv[3] + "/until-close", put)).text());`,
        `console.log(await fetch(process.argv[3] + "/cut", put).catch((e) => e.name));`,
        "",
      ].join("\n"),
    );
    try {
      const child = spawn(process.execPath, [script, own.url, raw.url], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout!.on("data", (d: Uint8Array) => out += new TextDecoder().decode(d));
      child.stderr!.on("data", (d: Uint8Array) => err += new TextDecoder().decode(d));
      // A safety net, not the claim: a child held by its idle connection would run until the
      // 60 s keep-alive timeout; one that is not exits as soon as its work is done.
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        child.kill("SIGKILL");
      }, 45_000);
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      clearTimeout(timer);
      assert.equal(killed, false, "the child still ran after 45 s with an idle connection");
      assert.equal(code, 0, err);
      assert.equal(out, "/a 200 ok\n/b 200 ok\nuntil close\nTypeError\n");
      // Both requests went over one pooled connection, which stayed open until the child exited.
      assert.deepEqual(["/a", "/b"].map((p) => own.request(p).connection), [1, 1]);
      await own.closed(1);
    } finally {
      await own.close();
      await raw.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("withBunFetch and proxyConfigured", () => {
  let server: Recorder;
  before(async () => {
    server = await startRecorder();
  });
  after(async () => {
    await server.close();
  });

  it("fills in the socket fetch: byte bodies skip the global fetch, a string body goes to it", async () => {
    const bare: { endpoint: string; fetch?: typeof fetch } = { endpoint: "127.0.0.1:9" };
    const filled = withoutProxyVars(() => withBunFetch(bare));
    await watchingGlobalFetch(async (calls) => {
      for (const size of [MiB, 16 * 1024]) {
        const big = testBytes(size, 50);
        const res = await filled.fetch!(`${server.url}/big-${size}`, { method: "PUT", body: big });
        assert.equal(await res.text(), "ok");
        assert.ok(sameBytes(server.request(`/big-${size}`).body, big));
      }
      assert.equal(calls.length, 0);
      await (await filled.fetch!(`${server.url}/small`, { method: "PUT", body: "x" })).text();
      assert.deepEqual(calls.map((c) => c.url), [`${server.url}/small`]);
    });
  });

  for (const name of ["HTTPS_PROXY", "http_proxy", "ALL_PROXY", "HTTP_PROXY", "all_proxy"]) {
    it(`returns the options unchanged when ${name} is set`, () => {
      withoutProxyVars(() => {
        process.env[name] = "http://127.0.0.1:9";
        const bare: { endpoint: string; fetch?: typeof fetch } = { endpoint: "127.0.0.1:9" };
        assert.equal(withBunFetch(bare), bare);
        assert.equal(bare.fetch, undefined);
      });
      assert.equal(
        typeof withoutProxyVars(() => withBunFetch({ endpoint: "x" } as { fetch?: typeof fetch }))
          .fetch,
        "function",
      );
    });
  }

  it("passes anything that is not an options object through", () => {
    const nothing = undefined as unknown as { fetch?: typeof fetch };
    assert.equal(withBunFetch(nothing), undefined);
  });

  it("proxyConfigured: set → true; empty, unset or a throwing getter → false", () => {
    const env = (vars: Record<string, string>) => (name: string) => vars[name];
    assert.equal(proxyConfigured(env({})), false);
    assert.equal(proxyConfigured(env({ HTTPS_PROXY: "" })), false);
    assert.equal(proxyConfigured(env({ https_proxy: "", ALL_PROXY: "" })), false);
    assert.equal(proxyConfigured(env({ NO_PROXY: "*" })), false);
    assert.equal(proxyConfigured(env({ HTTPS_PROXY: "http://p:3128" })), true);
    assert.equal(proxyConfigured(env({ http_proxy: "http://p:3128" })), true);
    assert.equal(proxyConfigured(env({ all_proxy: "socks5://p" })), true);
    assert.equal(
      proxyConfigured(() => {
        throw new Error("no permission");
      }),
      false,
    );
  });
});

describe("createSocketFetch's fallback: bodies arrive as stored", () => {
  // An object stored gzip-compressed (Content-Encoding: gzip), as OSS serves it back.
  const stored = new Uint8Array(gzipSync(new TextEncoder().encode("hello ".repeat(100))));
  let server: ReturnType<typeof createHttpServer>;
  let url = "";
  before(async () => {
    server = createHttpServer((req, res) => {
      res.writeHead(200, {
        "content-encoding": "gzip",
        "content-length": stored.byteLength,
        "x-accept-encoding": req.headers["accept-encoding"] ?? "",
      });
      res.end(stored);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("asks for identity and does not inflate a gzip body", async () => {
    const res = await createSocketFetch({ socketGets: false })(url);
    assert.equal(res.headers.get("x-accept-encoding"), "identity");
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), stored);
  });

  it("keeps an accept-encoding the caller set, and still hands over the stored bytes", async () => {
    const res = await createSocketFetch({ socketGets: false })(url, {
      headers: { "accept-encoding": "gzip" },
    });
    assert.equal(res.headers.get("x-accept-encoding"), "gzip");
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), stored);
  });
});
