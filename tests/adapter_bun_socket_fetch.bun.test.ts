// createSocketFetch (HTTP/1.1 over Bun.connect keep-alive sockets for large
// byte bodies) against real servers on 127.0.0.1: a recording node:http
// server, and a raw node:net server where the exact answer bytes matter
// (chunked with extensions and trailers, 100 Continue, Connection: close,
// read-until-close answers, a status of 600, malformed heads, early answers,
// cuts). Also withBunFetch and proxyConfigured, a child process that must
// exit on its own with an idle pooled connection, and the clients of
// lib/bun.ts and mod.ts uploading through it to the local OSS server, with
// injected faults.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { createSocketFetch } from "../lib/adapters/bun/socket_fetch.ts";
import { withBunFetch } from "../lib/adapters/bun/default_fetch.ts";
import { proxyConfigured } from "../lib/adapters/_proxy_env.ts";
import { OssClient as BunOssClient } from "../lib/bun.ts";
import { OssClient as ModOssClient } from "../mod.ts";
import { testBytes } from "./_client_setup.ts";
import { addStandardAnswers, type Recorder, startRecorder } from "./_recording_server.ts";
import { startServer, type TestServer } from "./_server.ts";
import {
  clientOptions,
  delay,
  objectBytes,
  ROOT,
  sameBytes,
  waitFor,
  writeTestFile,
} from "./_upload_fixtures.ts";

const MiB = 1024 * 1024;
/** Small threshold, so most bodies here stay small. */
const SMALL = { minBodySize: 1024 };

// Test-only self-signed certificates (valid 2020-2120), made with openssl for
// these tests: one for 127.0.0.1 and localhost, one for other.example.
const LOCAL_CERT = `-----BEGIN CERTIFICATE-----
MIIBZjCCAQ2gAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAkxMjcuMC4w
LjEwIBcNMjAwMTAxMDAwMDAwWhgPMjEyMDAxMDEwMDAwMDBaMBQxEjAQBgNVBAMM
CTEyNy4wLjAuMTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABG1nlu75bbAiqjFL
/aR2hooO26fkHJ5ED5oGYFdruxKe+tz7ccC5/7OFVgNNpqVbaH54JFWLDuAqV1id
asEz/0ejTjBMMA8GA1UdEwEB/wQFMAMBAf8wHQYDVR0OBBYEFIBYQjiPfZr2JEwp
9oIHl8HEXHHdMBoGA1UdEQQTMBGHBH8AAAGCCWxvY2FsaG9zdDAKBggqhkjOPQQD
AgNHADBEAiBEvPNqiqKNDd9myZ4woq67nX+yb2suVCat5ta68ibt6wIgUko8dF0b
b6w4x0DWOQtCcIu9oi16hxuRv9nsbWTc75Y=
-----END CERTIFICATE-----`;
const LOCAL_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCTKJZo3N1tMdpWlZ
YIbR2CLDYPepIwEGeZdpOcnBFwahRANCAARtZ5bu+W2wIqoxS/2kdoaKDtun5Bye
RA+aBmBXa7sSnvrc+3HAuf+zhVYDTaalW2h+eCRViw7gKldYnWrBM/9H
-----END PRIVATE KEY-----`;
const OTHER_CERT = `-----BEGIN CERTIFICATE-----
MIIBbDCCAROgAwIBAgIBAjAKBggqhkjOPQQDAjAYMRYwFAYDVQQDDA1vdGhlci5l
eGFtcGxlMCAXDTIwMDEwMTAwMDAwMFoYDzIxMjAwMTAxMDAwMDAwWjAYMRYwFAYD
VQQDDA1vdGhlci5leGFtcGxlMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEyQ+6
QUGT+ctElJw0P7XVgGyGl3KKvowcZKfEqG802K0x+iaW/ajTFOHqNJPp1yOEg/OB
+fO4E388dai3zVH0zqNMMEowDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUsWW8
kYMcA1jTYn4me14uqjJg0XwwGAYDVR0RBBEwD4INb3RoZXIuZXhhbXBsZTAKBggq
hkjOPQQDAgNHADBEAiAlexw4EgHGfnVG/0rd512CDcwrDs63G+fQ3u2Y6+SU6wIg
MssRtsp4BX0GoPE2SUf51FSqneutTtnnjv1LTTnskEI=
-----END CERTIFICATE-----`;
const OTHER_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgwmbkxyf6P3lthP8k
SKD5TnoDaKcdeJgUwhmJK51qcRahRANCAATJD7pBQZP5y0SUnDQ/tdWAbIaXcoq+
jBxkp8SobzTYrTH6Jpb9qNMU4eo0k+nXI4SD84H587gTfzx1qLfNUfTO
-----END PRIVATE KEY-----`;

// ---------------------------------------------------------------------------
// A raw node:net server: exact control of the answer bytes

/** One request as the raw server parsed it. */
interface RawRequest {
  requestLine: string;
  method: string;
  /** The request target: path and query. */
  target: string;
  headers: Headers;
  /** Empty for an `early` route, which does not read it. */
  body: Uint8Array;
  connection: number;
}

/** Writes the answer to `req` on `socket`, byte for byte. */
type RawHandler = (socket: Socket, req: RawRequest) => void;

interface RawServer {
  url: string;
  seen: RawRequest[];
  connections(): number;
  /**
   * Sets the answer for `path` (default: 200 "ok" with content-length). An
   * `early` route gets the connection as the request head arrives: the
   * server pauses it and reads nothing more from it.
   */
  route(path: string, handler: RawHandler, o?: { early?: boolean }): void;
  closed(id: number): Promise<void>;
  close(): Promise<void>;
}

const OK = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

async function startRaw(): Promise<RawServer> {
  const seen: RawRequest[] = [];
  const routes = new Map<string, { handler: RawHandler; early: boolean }>();
  const sockets = new Set<Socket>();
  const closings = new Map<number, Promise<void>>();
  let connections = 0;
  const server = createNetServer((socket: Socket) => {
    const id = ++connections;
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
            target,
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
        seen.push(req);
        const route = routes.get(new URL(req.target, "http://x").pathname);
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
    seen,
    connections: () => connections,
    route: (path, handler, o = {}) => routes.set(path, { handler, early: o.early ?? false }),
    closed: (id) => closings.get(id) ?? Promise.resolve(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes `parts` one at a time, a few milliseconds apart, so they arrive in separate reads. */
async function writeSlowly(socket: Socket, parts: (string | Uint8Array)[]): Promise<void> {
  for (const part of parts) {
    if (socket.destroyed) return;
    socket.write(part);
    await delay(5);
  }
}

/** A promise and its resolver. */
function signalled<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Asserts `err` is a TypeError with a cause, as fetch fails on network errors. */
function isNetworkError(err: unknown): boolean {
  assert.ok(err instanceof TypeError, `expected a TypeError, got ${String(err)}`);
  assert.ok((err as { cause?: unknown }).cause !== undefined, "the TypeError has a cause");
  return true;
}

/** The fetch's outcome, or "still pending" after `ms` (so a hang fails instead of stalling). */
function settleWithin(
  pending: Promise<Response>,
  ms = 5000,
): Promise<{ res: Response } | { error: unknown } | "still pending"> {
  return Promise.race([
    pending.then((res) => ({ res }), (error: unknown) => ({ error })),
    delay(ms).then(() => "still pending" as const),
  ]);
}

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

  it("sends a subarray view exactly, with content-length, no transfer-encoding, the caller's headers", async () => {
    const whole = testBytes(10_000, 3);
    const view = whole.subarray(1234, 1234 + 5000);
    const res = await fetch(`${server.url}/view/a%20b?x=1&y=%2F`, {
      method: "PUT",
      body: view,
      headers: { "x-oss-meta-a": "1", "Content-Type": "application/x-test" },
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "ok");
    const got = server.seen.at(-1)!;
    assert.equal(got.method, "PUT");
    assert.equal(got.url, "/view/a%20b?x=1&y=%2F");
    assert.ok(sameBytes(got.body, view));
    assert.equal(got.headers["content-length"], "5000");
    assert.equal(got.headers["transfer-encoding"], undefined);
    assert.equal(got.headers["host"], new URL(server.url).host);
    assert.equal(got.headers["x-oss-meta-a"], "1");
    assert.equal(got.headers["content-type"], "application/x-test");
  });

  it("writes the request line with the URL's path and query, and the method upper-cased", async () => {
    const body = testBytes(2048, 4);
    const res = await fetch(new URL(`${raw.url}/bucket/dir/k%2Bey?partNumber=2&uploadId=U`), {
      method: "post",
      body,
    });
    assert.equal(await res.text(), "ok");
    const got = raw.seen.at(-1)!;
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
    const got = raw.seen.at(-1)!;
    assert.equal(got.headers.get("host"), "bucket.example.test");
    assert.equal(got.headers.get("content-length"), "3000");
    assert.equal(got.headers.get("x-b"), "2");
    assert.ok(sameBytes(got.body, body));
  });

  it("with the default threshold sends an 8 MiB body itself, byte-identical", async () => {
    const calls: unknown[] = [];
    const fallback = ((input: RequestInfo | URL) => {
      calls.push(input);
      return Promise.resolve(new Response("fb"));
    }) as typeof globalThis.fetch;
    const big = createSocketFetch({ fallback });
    server.route("/hash", (_req, res, body) => res.end(sha256(body)));
    const bytes = testBytes(8 * MiB, 6);
    const res = await big(`${server.url}/hash`, { method: "PUT", body: bytes });
    assert.equal(await res.text(), sha256(bytes));
    assert.equal(server.seen.at(-1)!.headers["content-length"], String(8 * MiB));
    // One byte under 1 MiB goes to the fallback; exactly 1 MiB does not.
    assert.equal(
      await (await big(`${server.url}/hash`, { method: "PUT", body: bytes.subarray(0, MiB - 1) }))
        .text(),
      "fb",
    );
    assert.equal(calls.length, 1);
    const atThreshold = bytes.subarray(5, 5 + MiB);
    const exact = await big(`${server.url}/hash`, { method: "PUT", body: atThreshold });
    assert.equal(await exact.text(), sha256(atThreshold));
    assert.equal(calls.length, 1);
  });
});

describe("createSocketFetch: what goes to the fallback", () => {
  let server: Recorder;
  const calls: { input: unknown; init: RequestInit | undefined }[] = [];
  const fallback = ((input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ input, init });
    return Promise.resolve(new Response("fb"));
  }) as typeof globalThis.fetch;
  const fetch = createSocketFetch({ ...SMALL, fallback });
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
    assert.ok(sameBytes(server.seen.at(-1)!.body, body));
    const buffer = Buffer.from(testBytes(5000, 9));
    assert.equal(
      await (await fetch(new URL(`${server.url}/buf`), { method: "PUT", body: buffer })).text(),
      "ok",
    );
    assert.ok(sameBytes(server.seen.at(-1)!.body, buffer));
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

  it("throws a RangeError for a keepAliveTimeout that is not positive", () => {
    assert.throws(() => createSocketFetch({ keepAliveTimeout: 0 }), RangeError);
    assert.throws(() => createSocketFetch({ keepAliveTimeout: -1 }), RangeError);
    assert.throws(() => createSocketFetch({ keepAliveTimeout: NaN }), RangeError);
  });
});

describe("createSocketFetch: answers", () => {
  let server: Recorder;
  let raw: RawServer;
  const fetch = createSocketFetch(SMALL);
  const body = () => ({ method: "PUT", body: testBytes(2000, 10) });
  before(async () => {
    server = await startRecorder();
    addStandardAnswers(server);
    server.route("/304", (_req, res) => {
      res.writeHead(304, { etag: '"e"' });
      res.end();
    });
    server.route("/node-chunked", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("ab");
      setTimeout(() => {
        res.write("cd");
        setTimeout(() => res.end("ef"), 5);
      }, 5);
    });
    server.route("/echo", (_req, res, body) => {
      res.writeHead(200, { "content-length": String(body.length) });
      res.end(body);
    });
    raw = await startRaw();
  });
  after(async () => {
    await server.close();
    await raw.close();
  });

  it('gives status, statusText, headers (a repeated one joined with ", ") and the body', async () => {
    const res = await fetch(`${server.url}/headers`, body());
    assert.equal(res.status, 201);
    assert.equal(res.statusText, "Made It");
    assert.equal(res.ok, true);
    assert.equal(res.headers.get("x-multi"), "a, b");
    assert.equal(res.headers.get("x-single"), "one");
    assert.equal(res.headers.get("content-type"), "text/plain");
    assert.equal(await res.text(), "created body");
  });

  it("gives a null body for a 204 and a 304, and keeps the connection", async () => {
    const empty = await fetch(`${server.url}/204`, body());
    assert.equal(empty.status, 204);
    assert.equal(empty.body, null);
    assert.equal(empty.headers.get("x-empty"), "yes");
    const notModified = await fetch(`${server.url}/304`, body());
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body, null);
    assert.equal(notModified.headers.get("etag"), '"e"');
    const next = await fetch(`${server.url}/after-null`, body());
    assert.equal(await next.text(), "ok");
    const ids = server.seen.slice(-3).map((s) => s.connection);
    assert.equal(new Set(ids).size, 1);
  });

  it("returns a 404 with its XML body rather than throwing", async () => {
    const res = await fetch(`${server.url}/missing`, body());
    assert.equal(res.status, 404);
    assert.equal(res.ok, false);
    assert.equal(res.headers.get("content-type"), "application/xml");
    assert.match(await res.text(), /<Code>NoSuchKey<\/Code>/);
  });

  it("reads an answer larger than one socket read (2 MiB echoed) byte-identical", async () => {
    const bytes = testBytes(2 * MiB + 7, 11);
    const res = await fetch(`${server.url}/echo`, { method: "PUT", body: bytes });
    assert.equal(res.status, 200);
    assert.ok(sameBytes(new Uint8Array(await res.arrayBuffer()), bytes));
  });

  it("decodes node:http's chunked answer", async () => {
    const res = await fetch(`${server.url}/node-chunked`, body());
    assert.equal(await res.text(), "abcdef");
    assert.equal(res.headers.get("transfer-encoding"), "chunked");
  });

  it("decodes chunks with extensions and trailers, arriving piece by piece, and reuses the connection", async () => {
    raw.route("/chunked", (socket) => {
      void writeSlowly(socket, [
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
    assert.equal(raw.seen.at(-1)!.connection, raw.seen.at(-2)!.connection);
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
      void writeSlowly(socket, [
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
      void writeSlowly(socket, [
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
  it("sends three sequential requests on one connection", async () => {
    const own = await startRecorder();
    const fetch = createSocketFetch(SMALL);
    try {
      for (let i = 0; i < 3; i++) {
        const body = testBytes(4096, 20 + i);
        const res = await fetch(`${own.url}/n${i}`, { method: "PUT", body });
        assert.equal(await res.text(), "ok");
        assert.ok(sameBytes(own.seen.at(-1)!.body, body));
      }
      assert.equal(own.connections(), 1);
      assert.deepEqual(own.seen.map((s) => s.connection), [1, 1, 1]);
    } finally {
      await own.close();
    }
  });

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
      assert.deepEqual(raw.seen.map((s) => s.connection), [1, 2]);
    } finally {
      await raw.close();
    }
  });

  it("drops an idle connection after keepAliveTimeout and opens a new one", async () => {
    const own = await startRecorder();
    const fetch = createSocketFetch({ ...SMALL, keepAliveTimeout: 50 });
    const body = testBytes(2000, 25);
    try {
      assert.equal(await (await fetch(`${own.url}/one`, { method: "PUT", body })).text(), "ok");
      await own.closed(1);
      assert.equal(await (await fetch(`${own.url}/two`, { method: "PUT", body })).text(), "ok");
      assert.deepEqual(own.seen.map((s) => s.connection), [1, 2]);
    } finally {
      await own.close();
    }
  });

  it("is not broken by a node:http server closing an idle connection (keepAliveTimeout 100)", async () => {
    const own = await startRecorder({ keepAliveTimeout: 100 });
    const fetch = createSocketFetch(SMALL);
    const body = testBytes(2000, 26);
    try {
      assert.equal(await (await fetch(`${own.url}/one`, { method: "PUT", body })).text(), "ok");
      await own.closed(1);
      await delay(20);
      assert.equal(await (await fetch(`${own.url}/two`, { method: "PUT", body })).text(), "ok");
      assert.deepEqual(own.seen.map((s) => s.connection), [1, 2]);
    } finally {
      await own.close();
    }
  });

  it("is not broken by a raw server ending the connection after answering", async () => {
    const raw = await startRaw();
    raw.route("/then-end", (socket) => {
      socket.write(OK);
      setTimeout(() => socket.end(), 20);
    });
    const fetch = createSocketFetch(SMALL);
    const body = testBytes(2000, 27);
    try {
      assert.equal(
        await (await fetch(`${raw.url}/then-end`, { method: "PUT", body })).text(),
        "ok",
      );
      await raw.closed(1);
      await delay(20);
      assert.equal(await (await fetch(`${raw.url}/next`, { method: "PUT", body })).text(), "ok");
      assert.deepEqual(raw.seen.map((s) => s.connection), [1, 2]);
    } finally {
      await raw.close();
    }
  });
});

describe("createSocketFetch: concurrency", () => {
  it("gives 4 parallel requests their own connections and their own answers", async () => {
    const own = await startRecorder();
    own.route("/echo", (_req, res, body) => {
      res.writeHead(200, { "content-length": String(body.length), "x-sha": sha256(body) });
      // Answer out of order, so a mix-up of connections would show.
      setTimeout(() => res.end(body), (body[0] % 4) * 5);
    });
    const fetch = createSocketFetch(SMALL);
    try {
      for (let round = 0; round < 2; round++) {
        const bodies = [0, 1, 2, 3].map((i) => {
          const b = testBytes(600_000 + i * 1000, 30 + i + round * 4);
          b[0] = 3 - i;
          return b;
        });
        const answers = await Promise.all(
          bodies.map((b) => fetch(`${own.url}/echo`, { method: "PUT", body: b })),
        );
        for (let i = 0; i < 4; i++) {
          assert.equal(answers[i].headers.get("x-sha"), sha256(bodies[i]));
          assert.ok(sameBytes(new Uint8Array(await answers[i].arrayBuffer()), bodies[i]));
        }
        const ids = own.seen.slice(-4).map((s) => s.connection);
        assert.equal(new Set(ids).size, 4);
        // The second round reuses the four idle connections.
        assert.equal(own.connections(), 4);
      }
    } finally {
      await own.close();
    }
  });
});

describe("createSocketFetch: aborts", () => {
  it("rejects an already aborted signal without connecting", async () => {
    const own = await startRecorder();
    const fetch = createSocketFetch(SMALL);
    try {
      const controller = new AbortController();
      controller.abort(new Error("stop before"));
      await assert.rejects(
        fetch(`${own.url}/never`, {
          method: "PUT",
          body: new Uint8Array(4096),
          signal: controller.signal,
        }),
        (err) => err === controller.signal.reason,
      );
      await delay(20);
      assert.equal(own.connections(), 0);
    } finally {
      await own.close();
    }
  });

  it("rejects with the signal's reason when aborted while the server holds the answer", async () => {
    const own = await startRecorder();
    const arrived = signalled();
    const held: ServerResponse[] = [];
    own.route("/hold", (_req, res) => {
      held.push(res);
      arrived.resolve();
    });
    const fetch = createSocketFetch(SMALL);
    try {
      const controller = new AbortController();
      const pending = fetch(`${own.url}/hold`, {
        method: "PUT",
        body: new Uint8Array(4096),
        signal: controller.signal,
      });
      await arrived.promise;
      controller.abort();
      await assert.rejects(pending, (err) => err === controller.signal.reason);
      assert.equal((controller.signal.reason as Error).name, "AbortError");
      // The connection is gone; the next request opens another and works.
      await own.closed(1);
      const next = await fetch(`${own.url}/after`, { method: "PUT", body: new Uint8Array(4096) });
      assert.equal(await next.text(), "ok");
      assert.equal(own.seen.at(-1)!.connection, 2);
    } finally {
      for (const res of held) res.destroy();
      await own.close();
    }
  });

  it("rejects with the signal's reason when aborted while the answer's body trickles in", async () => {
    const raw = await startRaw();
    const arrived = signalled();
    raw.route("/trickle", (socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: 1000000\r\n\r\nfirst bytes", () => {
        arrived.resolve();
      });
    });
    const fetch = createSocketFetch(SMALL);
    try {
      const controller = new AbortController();
      const pending = fetch(`${raw.url}/trickle`, {
        method: "PUT",
        body: new Uint8Array(4096),
        signal: controller.signal,
      });
      await arrived.promise;
      await delay(20);
      controller.abort(new Error("stop mid-answer"));
      const outcome = await settleWithin(pending);
      assert.ok(typeof outcome === "object" && "error" in outcome, "the fetch rejects");
      assert.equal(outcome.error, controller.signal.reason);
      await raw.closed(1);
    } finally {
      await raw.close();
    }
  });

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
      await delay(50);
      // Still writing: the server has taken in a small part of the 64 MiB.
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
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789");
      setTimeout(() => socket.end(), 10);
    });
    raw.route("/cut-chunked", (socket) => {
      socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n10\r\nabc");
      setTimeout(() => socket.destroy(), 10);
    });
    raw.route("/cut-head", (socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-le");
      setTimeout(() => socket.end(), 10);
    });
    raw.route("/600", (socket) => {
      socket.write("HTTP/1.1 600 Odd\r\ncontent-length: 3\r\n\r\nodd");
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

  it("rejects a refused connection with a TypeError that has a cause", async () => {
    const closed = await startRaw();
    const url = closed.url;
    await closed.close();
    await assert.rejects(fetch(`${url}/refused`, body()), isNetworkError);
  });

  for (const path of ["/cut-length", "/cut-chunked", "/cut-head"]) {
    it(`rejects with a TypeError when the server closes mid-answer (${path})`, async () => {
      const outcome = await settleWithin(fetch(`${raw.url}${path}`, body()));
      assert.ok(typeof outcome === "object" && "error" in outcome, `settles with an error`);
      isNetworkError(outcome.error);
    });
  }

  it("rejects a status of 600 with a TypeError (no hang)", async () => {
    const outcome = await settleWithin(fetch(`${raw.url}/600`, body()));
    assert.ok(typeof outcome === "object" && "error" in outcome, "settles with an error");
    isNetworkError(outcome.error);
  });

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
      // Reads none of the body; answers and ends its side (FIN), then goes away.
      socket.end(answer403);
      setTimeout(() => socket.destroy(), 200);
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

  it("returns node:http's early 403 while it goes on reading the body, then works on", async () => {
    const own = await startRecorder();
    own.route("/early", (_req, res) => {
      res.writeHead(403, { "content-type": "application/xml" });
      res.end(denied);
    }, { early: true });
    const fetch = createSocketFetch();
    try {
      const res = await fetch(`${own.url}/early`, { method: "PUT", body: testBytes(8 * MiB, 44) });
      assert.equal(res.status, 403);
      assert.match(await res.text(), /AccessDenied/);
      const next = await fetch(`${own.url}/after`, { method: "PUT", body: testBytes(MiB, 45) });
      assert.equal(await next.text(), "ok");
      assert.ok(sameBytes(own.seen.at(-1)!.body, testBytes(MiB, 45)));
    } finally {
      await own.close();
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
      await waitFor(() => raw.connections() === 1, "the connection");
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
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        child.kill("SIGKILL");
      }, 20_000);
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      clearTimeout(timer);
      assert.equal(killed, false, "the child still ran after 20 s with an idle connection");
      assert.equal(code, 0, err);
      assert.equal(out, "/a 200 ok\n/b 200 ok\nuntil close\nTypeError\n");
      // Both requests went over one pooled connection, which stayed open until the child exited.
      assert.deepEqual(own.seen.map((s) => s.connection), [1, 1]);
      await own.closed(1);
    } finally {
      await own.close();
      await raw.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("withBunFetch and proxyConfigured", () => {
  const NAMES = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"].flatMap((n) => [n, n.toLowerCase()]);
  let saved: Record<string, string | undefined> = {};
  let server: Recorder;
  before(async () => {
    server = await startRecorder();
    saved = Object.fromEntries(NAMES.map((n) => [n, process.env[n]]));
    for (const n of NAMES) delete process.env[n];
  });
  after(async () => {
    for (const n of NAMES) {
      if (saved[n] === undefined) delete process.env[n];
      else process.env[n] = saved[n];
    }
    await server.close();
  });

  it("keeps the caller's fetch", () => {
    const mine = (() => Promise.resolve(new Response())) as unknown as typeof fetch;
    const given = { endpoint: "127.0.0.1:9", fetch: mine };
    assert.equal(withBunFetch(given), given);
    assert.equal(withBunFetch(given).fetch, mine);
  });

  it("sets a socket fetch on a copy when no proxy is configured", async () => {
    const bare: { endpoint: string; fetch?: typeof fetch } = { endpoint: "127.0.0.1:9" };
    const filled = withBunFetch(bare);
    assert.notEqual(filled, bare);
    assert.equal(filled.endpoint, "127.0.0.1:9");
    assert.equal(typeof filled.fetch, "function");
    assert.equal("fetch" in bare, false);
    // It is the socket fetch: a 1 MiB byte body does not reach the global fetch, a small one does.
    const original = globalThis.fetch;
    const viaGlobal: string[] = [];
    globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
      viaGlobal.push(String(input));
      return original(input, init);
    }) as typeof globalThis.fetch;
    try {
      const big = testBytes(MiB, 50);
      const res = await filled.fetch!(`${server.url}/big`, { method: "PUT", body: big });
      assert.equal(await res.text(), "ok");
      assert.ok(sameBytes(server.seen.at(-1)!.body, big));
      assert.deepEqual(viaGlobal, []);
      await (await filled.fetch!(`${server.url}/small`, { method: "PUT", body: "x" })).text();
      assert.deepEqual(viaGlobal, [`${server.url}/small`]);
    } finally {
      globalThis.fetch = original;
    }
  });

  for (const name of ["HTTPS_PROXY", "http_proxy", "ALL_PROXY", "HTTP_PROXY", "all_proxy"]) {
    it(`returns the options unchanged when ${name} is set`, () => {
      process.env[name] = "http://127.0.0.1:9";
      try {
        const bare: { endpoint: string; fetch?: typeof fetch } = { endpoint: "127.0.0.1:9" };
        assert.equal(withBunFetch(bare), bare);
        assert.equal(bare.fetch, undefined);
      } finally {
        delete process.env[name];
      }
      assert.equal(
        typeof withBunFetch({ endpoint: "x" } as { fetch?: typeof fetch }).fetch,
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

describe("OssClient of lib/bun.ts and mod.ts over socket fetch", () => {
  let server: TestServer;
  let dir: string;
  const FAST_RETRY = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 };
  const PART = 1536 * 1024;
  before(async () => {
    server = await startServer();
    dir = await mkdtemp(join(tmpdir(), "ossup-socket-fetch-"));
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs `body` with the global fetch counting what it is given (the socket fetch's fallback). */
  async function watchingGlobalFetch<T>(
    body: (calls: { method: string; url: string; size: number }[]) => Promise<T>,
  ): Promise<T> {
    const original = globalThis.fetch;
    const calls: { method: string; url: string; size: number }[] = [];
    globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
      const b = init?.body;
      const size = b instanceof Uint8Array ? b.byteLength : b instanceof Blob ? b.size : -1;
      calls.push({ method: init?.method ?? "GET", url: String(input), size });
      return original(input, init);
    }) as typeof globalThis.fetch;
    try {
      return await body(calls);
    } finally {
      globalThis.fetch = original;
    }
  }

  for (const [entry, Client] of [["lib/bun.ts", BunOssClient], ["mod.ts", ModOssClient]] as const) {
    const bucketName = entry === "mod.ts" ? "socket-mod" : "socket-bun";

    it(`${entry}: uploads a file whose parts go over sockets, byte-identical`, async () => {
      const client = new Client(clientOptions(server, { retry: FAST_RETRY }));
      await client.createBucket(bucketName);
      const bucket = client.bucket(bucketName);
      const { path, bytes } = await writeTestFile(dir, `${bucketName}.bin`, 3 * PART + 12_345, 60);
      server.control.clear();
      const result = await watchingGlobalFetch(async (calls) => {
        const result = await bucket.uploadFile("file.bin", path, { partSize: PART, routines: 3 });
        // Only the small last part, and requests without a byte body, went through fetch.
        assert.deepEqual(calls.filter((c) => c.size >= MiB), []);
        return result;
      });
      assert.equal(result.parts, 4);
      assert.equal(result.size, bytes.length);
      assert.equal(result.crc64Verified, true);
      assert.equal(server.control.stats().parts["1"], 1);
      assert.ok(sameBytes(await objectBytes(bucket, "file.bin"), bytes));
    });

    it(`${entry}: completes byte-identical through a reset mid-part and a 500`, async () => {
      const client = new Client(clientOptions(server, { retry: FAST_RETRY }));
      const bucket = client.bucket(bucketName);
      const { path, bytes } = await writeTestFile(dir, `${bucketName}-f.bin`, 4 * PART + 999, 61);
      server.control.clear();
      server.control.add({
        operation: "UploadPart",
        nth: 2,
        action: { type: "reset", phase: "request", afterBytes: 300_000 },
      });
      server.control.add({
        operation: "UploadPart",
        nth: 3,
        action: { type: "error", status: 500, code: "InternalError" },
      });
      const result = await bucket.uploadFile("faulty.bin", path, { partSize: PART, routines: 3 });
      assert.equal(server.control.stats().injected, 2);
      assert.equal(result.parts, 5);
      assert.equal(result.crc64Verified, true);
      assert.ok(result.bytesResent > 0);
      assert.ok(sameBytes(await objectBytes(bucket, "faulty.bin"), bytes));
      server.control.clear();
    });
  }
});
