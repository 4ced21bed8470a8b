/**
 * Fault injection, observed from a fetch client over a real socket: OSS
 * errors on chosen calls (operation, part number, nth call, count), resets
 * partway through a request or response body seen as network errors,
 * latency, bandwidth caps that do not corrupt data, the counts, and the
 * control route (guarded by its token) used as another process would.
 */

import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { createOssApp } from "../lib/server/app.ts";
import {
  type FaultClock,
  FaultInjector,
  type FaultRule,
  FaultUnsupportedError,
} from "../lib/server/faults.ts";
import { listen } from "../lib/server/listen.ts";
import { MemoryStorage } from "../lib/server/memory_storage.ts";
import { signV4 } from "../lib/signing/signing.ts";
import { GatedClock } from "./_gated_clock.ts";
import { serverEngines, startServer, type TestServer } from "./_server.ts";
import { makeClient } from "./_client_setup.ts";
import { createHttpFetch } from "../lib/adapters/node_api/http_fetch.ts";
import { type Bucket, NetworkError } from "../lib/web.ts";
import { md5Hex } from "./_md5.ts";
import { testBytes as bytes } from "./_test_bytes.ts";

const BUCKET = "faults";

/** A V4-signed fetch to `/bucket/key?query`. */
async function oss(
  server: TestServer,
  method: string,
  key: string | undefined,
  query: [string, string | undefined][] = [],
  init: { body?: Uint8Array | string; signal?: AbortSignal } = {},
): Promise<Response> {
  const headers = new Headers();
  await signV4({ method, bucket: BUCKET, key, query, headers }, {
    credentials: { accessKeyId: server.accessKeyId, accessKeySecret: server.accessKeySecret },
    region: server.region,
  });
  const qs = query
    .map(([k, v]) => (v === undefined ? k : `${k}=${encodeURIComponent(v)}`))
    .join("&");
  const path = `/${BUCKET}/${key === undefined ? "" : encodeURIComponent(key)}`;
  // Bytes, not strings: fetch would add a Content-Type the signature does not cover.
  const body = typeof init.body === "string" ? new TextEncoder().encode(init.body) : init.body;
  return await fetch(`${server.url}${path}${qs ? `?${qs}` : ""}`, {
    method,
    headers,
    body: body as BodyInit | undefined,
    signal: init.signal,
  });
}

/** Sends and reads the whole answer; "network error" when the connection failed instead. */
async function attempt(
  p: Promise<Response>,
): Promise<{ status: number; body: Uint8Array } | "network error"> {
  try {
    const res = await p;
    return { status: res.status, body: new Uint8Array(await res.arrayBuffer()) };
  } catch (err) {
    assert.ok(err instanceof Error, String(err));
    assert.notEqual(err.name, "AssertionError");
    return "network error";
  }
}

/**
 * Asserts a clean reset: `fetch` itself fails, before any status line. (A
 * server that sends `200` and then cuts the body would give the client a
 * success without an ETag.)
 */
async function assertResetBeforeAnswer(p: Promise<Response>): Promise<void> {
  let status: number | undefined;
  try {
    status = (await p).status;
  } catch (err) {
    assert.ok(err instanceof Error, String(err));
    return;
  }
  assert.fail(`expected a connection reset before any answer, got HTTP ${status}`);
}

/**
 * Sends a signed request on a raw socket and returns every byte the server
 * sent before closing the connection.
 */
async function rawExchange(
  server: TestServer,
  method: string,
  key: string,
  query: [string, string | undefined][],
  body: Uint8Array,
): Promise<Uint8Array> {
  const headers = new Headers({ "content-length": String(body.byteLength) });
  await signV4({ method, bucket: BUCKET, key, query, headers }, {
    credentials: { accessKeyId: server.accessKeyId, accessKeySecret: server.accessKeySecret },
    region: server.region,
  });
  const qs = query
    .map(([k, v]) => (v === undefined ? k : `${k}=${encodeURIComponent(v)}`))
    .join("&");
  const lines = [`${method} /${BUCKET}/${encodeURIComponent(key)}${qs ? `?${qs}` : ""} HTTP/1.1`];
  lines.push(`host: ${server.endpoint}`);
  for (const [k, v] of headers) lines.push(`${k}: ${v}`);
  const head = new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n");
  const [host, port] = server.endpoint.split(":");
  return await new Promise((resolve) => {
    const received: Uint8Array[] = [];
    const socket = connect({ host, port: Number(port) }, () => {
      socket.write(head);
      socket.write(body);
    });
    socket.on("data", (d: Uint8Array) => received.push(new Uint8Array(d)));
    socket.on("error", () => {});
    socket.on("close", () => {
      const all = new Uint8Array(received.reduce((n, c) => n + c.byteLength, 0));
      let at = 0;
      for (const c of received) {
        all.set(c, at);
        at += c.byteLength;
      }
      resolve(all);
    });
  });
}

function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

async function initiate(server: TestServer, key: string): Promise<string> {
  const res = await oss(server, "POST", key, [["uploads", undefined]]);
  const body = await res.text();
  assert.equal(res.status, 200, body);
  return /<UploadId>([^<]+)<\/UploadId>/.exec(body)![1];
}

function uploadPart(
  server: TestServer,
  key: string,
  uploadId: string,
  n: number,
  data: Uint8Array,
) {
  return oss(server, "PUT", key, [["partNumber", String(n)], ["uploadId", uploadId]], {
    body: data,
  });
}

async function listedParts(server: TestServer, key: string, uploadId: string): Promise<number[]> {
  const res = await oss(server, "GET", key, [["uploadId", uploadId]]);
  const body = await res.text();
  assert.equal(res.status, 200, body);
  return [...body.matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
}

describe("fault injection", () => {
  let server: TestServer;

  before(async () => {
    server = await startServer();
    assert.equal((await oss(server, "PUT", undefined)).status, 200);
  });

  after(async () => {
    await server?.close();
  });

  it("fails the chosen part's first attempt with the chosen status and OSS code", async () => {
    server.control.clear();
    server.control.add({
      operation: "UploadPart",
      partNumber: 2,
      action: { type: "error", status: 503, code: "ServiceUnavailable" },
    });
    const key = "error-part.bin";
    const uploadId = await initiate(server, key);
    const data = bytes(1024);
    const first = await attempt(uploadPart(server, key, uploadId, 1, data));
    assert.ok(first !== "network error" && first.status === 200);
    const failed = await attempt(uploadPart(server, key, uploadId, 2, data));
    assert.ok(failed !== "network error");
    assert.equal(failed.status, 503);
    assert.match(text(failed.body), /<Code>ServiceUnavailable<\/Code>/);
    assert.match(text(failed.body), /<RequestId>[0-9A-F]{24}<\/RequestId>/);
    const retried = await attempt(uploadPart(server, key, uploadId, 2, data));
    assert.ok(retried !== "network error" && retried.status === 200);
    assert.deepEqual(await listedParts(server, key, uploadId), [1, 2]);
    const stats = server.control.stats();
    assert.equal(stats.requests.UploadPart, 3);
    assert.deepEqual(stats.parts, { "1": 1, "2": 1 });
    assert.equal(stats.partBytes, 2048);
    assert.equal(stats.injected, 1);
  });

  it("acts on the nth matching call for `times` calls", async () => {
    server.control.clear();
    server.control.add({
      operation: "PutObject",
      nth: 2,
      times: 2,
      action: { type: "error", status: 500, code: "InternalError" },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await oss(server, "PUT", `nth-${i}.txt`, [], { body: "x" });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [200, 500, 500, 200]);
    const [rule] = server.control.rules();
    assert.equal(rule.matched, 4);
    assert.equal(rule.applied, 2);
  });

  it("`times: 0` acts on every matching call; other operations are untouched", async () => {
    server.control.clear();
    server.control.add({
      operation: "CompleteMultipartUpload",
      times: 0,
      action: { type: "error", status: 500, code: "InternalError" },
    });
    for (let i = 0; i < 3; i++) {
      const res = await oss(server, "POST", "never.bin", [["uploadId", "x"]], { body: "<x/>" });
      await res.body?.cancel();
      assert.equal(res.status, 500);
    }
    const put = await oss(server, "PUT", "fine.txt", [], { body: "fine" });
    await put.body?.cancel();
    assert.equal(put.status, 200);
  });

  it("resets the connection partway through the request body: a network error, nothing stored", async () => {
    server.control.clear();
    server.control.add({
      operation: "PutObject",
      times: 0, // every attempt: Bun's fetch retries a PUT once on a reused connection's reset
      action: { type: "reset", phase: "request", afterBytes: 64 * 1024 },
    });
    await assertResetBeforeAnswer(oss(server, "PUT", "cut.bin", [], { body: bytes(4 << 20) }));
    server.control.clear();
    const get = await oss(server, "GET", "cut.bin");
    await get.body?.cancel();
    assert.equal(get.status, 404);
    // The server keeps serving: the next attempt goes through.
    const again = await oss(server, "PUT", "cut.bin", [], { body: bytes(4 << 20) });
    await again.body?.cancel();
    assert.equal(again.status, 200);
  });

  it("resets before any byte of the request body is read", async () => {
    server.control.clear();
    server.control.add({
      operation: "UploadPart",
      times: 0,
      action: { type: "reset", phase: "request" },
    });
    const key = "reset-zero.bin";
    const uploadId = await initiate(server, key);
    await assertResetBeforeAnswer(uploadPart(server, key, uploadId, 1, bytes(256 * 1024)));
    assert.deepEqual(await listedParts(server, key, uploadId), []);
  });

  it("resets after the operation ran (answer lost): the part is stored, the client sees a network error", async () => {
    server.control.clear();
    server.control.add({
      operation: "UploadPart",
      partNumber: 1,
      times: 0,
      action: { type: "reset", phase: "response" },
    });
    const key = "lost-answer.bin";
    const uploadId = await initiate(server, key);
    await assertResetBeforeAnswer(uploadPart(server, key, uploadId, 1, bytes(128 * 1024)));
    assert.deepEqual(await listedParts(server, key, uploadId), [1]);
    assert.ok(server.control.stats().parts["1"] >= 1);
  });

  it("resets partway through the response body: the client gets headers, then a network error", async () => {
    server.control.clear();
    const data = bytes(2 << 20, 7);
    const put = await oss(server, "PUT", "download.bin", [], { body: data });
    await put.body?.cancel();
    server.control.add({
      operation: "GetObject",
      action: { type: "reset", phase: "response", afterBytes: 100_000 },
    });
    const res = await oss(server, "GET", "download.bin");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), String(data.byteLength));
    let received = 0;
    await assert.rejects(async () => {
      for await (const chunk of res.body!) received += chunk.byteLength;
    });
    assert.ok(received <= 100_000, `received ${received}`);
    server.control.clear();
    // Without the rule the same download is whole.
    const whole = await attempt(oss(server, "GET", "download.bin"));
    assert.ok(whole !== "network error");
    assert.equal(md5Hex(whole.body), md5Hex(data));
  });

  it("adds latency: a client with a shorter timeout gives up", async () => {
    // The latency holds the answer until the client has given up, whatever the load.
    const clock = new GatedClock();
    const held = await startServer({ faultClock: clock });
    try {
      const created = await oss(held, "PUT", undefined);
      await created.body?.cancel();
      clock.hold();
      held.control.add({ operation: "ListObjects", action: { type: "latency", ms: 3000 } });
      await assert.rejects(oss(held, "GET", undefined, [], { signal: AbortSignal.timeout(200) }));
      assert.equal(held.control.stats().injected, 1);
      clock.release();
      // The rule acted once: the next listing is not delayed.
      const res = await oss(held, "GET", undefined);
      await res.body?.cancel();
      assert.equal(res.status, 200);
    } finally {
      clock.release();
      await held.close();
    }
  });

  describe("bandwidth caps, on a clock that moves only when a fault waits", () => {
    // The cap's arithmetic is checked exactly, with no wall clock: a body of n bytes
    // under a cap of r bytes/s makes the fault wait n / r seconds in all.
    let capped: TestServer;
    let now = 0;
    const clock: FaultClock = {
      now: () => now,
      sleep: (ms) => {
        now += ms;
        return Promise.resolve();
      },
    };
    before(async () => {
      capped = await startServer({ faultClock: clock });
      const created = await oss(capped, "PUT", undefined);
      await created.body?.cancel();
    });
    after(async () => {
      await capped.close();
    });

    it("caps response bandwidth without altering the bytes", async () => {
      const data = bytes(1 << 20, 3);
      const put = await oss(capped, "PUT", "slow-down.bin", [], { body: data });
      await put.body?.cancel();
      capped.control.add({
        operation: "GetObject",
        action: { type: "bandwidth", phase: "response", bytesPerSecond: 20_000 },
      });
      const start = now;
      const got = await attempt(oss(capped, "GET", "slow-down.bin"));
      assert.ok(got !== "network error");
      assert.equal(md5Hex(got.body), md5Hex(data));
      assert.ok(Math.abs(now - start - (data.byteLength / 20_000) * 1000) < 1, `${now - start} ms`);
      // The rule has run out: the next download waits for nothing.
      const again = now;
      await attempt(oss(capped, "GET", "slow-down.bin"));
      assert.equal(now, again);
    });

    it("caps request bandwidth without altering the bytes", async () => {
      capped.control.add({
        operation: "PutObject",
        action: { type: "bandwidth", phase: "request", bytesPerSecond: 100_000 },
      });
      const data = bytes(60_000, 9);
      const start = now;
      const put = await oss(capped, "PUT", "slow-up.bin", [], { body: data });
      await put.body?.cancel();
      assert.equal(put.status, 200);
      assert.ok(
        Math.abs(now - start - (data.byteLength / 100_000) * 1000) < 1,
        `${now - start} ms`,
      );
      const got = await attempt(oss(capped, "GET", "slow-up.bin"));
      assert.ok(got !== "network error");
      assert.equal(md5Hex(got.body), md5Hex(data));
    });
  });

  it("rejects malformed rules", () => {
    const bad = [
      {},
      { action: { type: "explode" } },
      { action: { type: "error", status: 200, code: "X" } },
      { action: { type: "reset", phase: "sideways" } },
      { nth: 0, action: { type: "latency", ms: 1 } },
      { action: { type: "bandwidth", phase: "request", bytesPerSecond: 0 } },
    ];
    for (const rule of bad) {
      assert.throws(() => server.control.add(rule as unknown as FaultRule), /rule|action/);
    }
  });
});

describe("fault control route", () => {
  let server: TestServer;

  before(async () => {
    server = await startServer({ controlToken: "control-token-for-tests" });
    assert.equal((await oss(server, "PUT", undefined)).status, 200);
  });

  after(async () => {
    await server?.close();
  });

  const control = (method: string, body?: unknown, token?: string) =>
    fetch(`${server.url}/_ossup/faults`, {
      method,
      headers: token === undefined
        ? { "content-type": "application/json" }
        : { "content-type": "application/json", "x-ossup-control": token },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it("refuses requests without the token or with a wrong one: 403", async () => {
    const rule = {
      operation: "PutObject",
      action: { type: "error", status: 500, code: "InternalError" },
    };
    for (const token of [undefined, "wrong-token-value", ""]) {
      const post = await control("POST", rule, token);
      await post.body?.cancel();
      assert.equal(post.status, 403);
      const get = await control("GET", undefined, token);
      await get.body?.cancel();
      assert.equal(get.status, 403);
      const del = await control("DELETE", undefined, token);
      await del.body?.cancel();
      assert.equal(del.status, 403);
    }
    assert.deepEqual(server.control.rules(), []);
  });

  it("sets rules from outside, reports counts, and clears them", async () => {
    const token = "control-token-for-tests";
    const rules: FaultRule[] = [
      { operation: "PutObject", nth: 1, action: { type: "error", status: 503, code: "SlowDown" } },
      { operation: "GetObject", action: { type: "latency", ms: 1 } },
    ];
    const post = await control("POST", rules, token);
    assert.equal(post.status, 200);
    const { ids } = await post.json() as { ids: number[] };
    assert.equal(ids.length, 2);

    const failed = await oss(server, "PUT", "remote.txt", [], { body: "r" });
    assert.equal(failed.status, 503);
    assert.match(await failed.text(), /<Code>SlowDown<\/Code>/);
    const ok = await oss(server, "PUT", "remote.txt", [], { body: "r" });
    await ok.body?.cancel();
    assert.equal(ok.status, 200);

    const get = await control("GET", undefined, token);
    assert.equal(get.status, 200);
    const state = await get.json() as {
      rules: { id: number; matched: number; applied: number }[];
      stats: { requests: Record<string, number> };
    };
    assert.equal(state.rules.length, 2);
    assert.equal(state.rules[0].matched, 2);
    assert.equal(state.rules[0].applied, 1);
    assert.equal(state.stats.requests.PutObject, 2);

    const bad = await control("POST", { action: { type: "nope" } }, token);
    await bad.body?.cancel();
    assert.equal(bad.status, 400);

    const del = await control("DELETE", undefined, token);
    await del.body?.cancel();
    assert.equal(del.status, 200);
    assert.deepEqual(server.control.rules(), []);
    assert.deepEqual(server.control.stats().requests, {});
  });
});

describe("fault injection disabled", () => {
  it("mounts no control route without a control token", async () => {
    const faults = new FaultInjector();
    assert.equal(faults.controlEnabled, false);
    const { app, storage } = createOssApp({ storage: new MemoryStorage(), faults });
    const server = await listen(app.fetch, { port: 0 });
    try {
      const res = await fetch(`${server.url}/_ossup/faults`, {
        method: "POST",
        headers: { "x-ossup-control": "anything-at-all", "content-type": "application/json" },
        body: JSON.stringify({ action: { type: "latency", ms: 1 } }),
      });
      const body = await res.text();
      assert.notEqual(res.status, 200, body);
      assert.match(body, /<Error>/);
      assert.deepEqual(faults.rules(), []);
    } finally {
      await server.close();
      await storage.close();
    }
  });
});

const TRANSPORTS = ["fetch", "node:http"] as const;
const PHASES = ["request", "response"] as const;

/** Deno.serve sends a status line before it can close a connection: it refuses resets. */
function refusesResets(engine: "native" | "node"): boolean {
  return engine === "native" && "Deno" in globalThis;
}

for (const engine of serverEngines()) {
  describe(`connection resets (${engine} engine)`, () => {
    let server: TestServer;
    /** A client per transport: the runtime's fetch, and the node:http one of the Node and Deno entries. */
    const buckets = new Map<string, Bucket>();

    before(async () => {
      server = await startServer({ engine });
      for (const transport of TRANSPORTS) {
        const { client } = makeClient(server, "v4", "path", {
          // One attempt: the reset must reach the client itself, not be retried away.
          retry: { maxAttempts: 1 },
          fetch: transport === "fetch" ? globalThis.fetch : createHttpFetch(),
        });
        buckets.set(transport, client.bucket(BUCKET));
      }
      assert.equal((await oss(server, "PUT", undefined)).status, 200);
    });
    afterEach(() => {
      server.control.clear();
    });
    after(async () => {
      await server?.close();
    });

    if (refusesResets(engine)) {
      it("refuses reset rules when they are added, in-process and over the control route", async () => {
        for (const phase of ["request", "response"] as const) {
          for (const operation of ["PutObject", "UploadPart"] as const) {
            const rule: FaultRule = { operation, action: { type: "reset", phase } };
            assert.throws(
              () => server.control.add(rule),
              (err) =>
                err instanceof FaultUnsupportedError && err.code === "FaultUnsupported" &&
                err.engine === "Deno.serve" && /engine "node"/.test(err.message),
            );
            const res = await fetch(`${server.url}/_ossup/faults`, {
              method: "POST",
              headers: { "x-ossup-control": server.controlToken },
              body: JSON.stringify(rule),
            });
            assert.equal(res.status, 400);
            assert.match((await res.json() as { error: string }).error, /Deno\.serve/);
          }
        }
        assert.deepEqual(server.control.rules(), []);
        // Rules it can carry out are still taken.
        server.control.add({ operation: "PutObject", action: { type: "latency", ms: 0 } });
        assert.equal(server.control.rules().length, 1);
      });

      it("refuses to be served by Deno.serve when a reset rule is already set", async () => {
        const faults = new FaultInjector();
        faults.add({ operation: "PutObject", action: { type: "reset", phase: "request" } });
        const { app, storage } = createOssApp({ storage: new MemoryStorage(), faults });
        await assert.rejects(listen(app.fetch, { engine: "native" }), FaultUnsupportedError);
        await storage.close();
      });
      return;
    }

    for (
      const [transport, phase] of TRANSPORTS.flatMap((t) => PHASES.map((p) => [t, p] as const))
    ) {
      it(`a ${phase}-phase reset of PutObject over ${transport} is a network error; the object is as the operation left it`, async () => {
        const bucket = buckets.get(transport)!;
        const key = `put-${phase}-${transport}.bin`;
        const before = bytes(1024, 1);
        await bucket.putObject(key, before);
        server.control.add({
          operation: "PutObject",
          key,
          times: 0, // Bun's fetch retries a PUT once on a reused connection's reset
          action: { type: "reset", phase, afterBytes: phase === "request" ? 64 * 1024 : 0 },
        });
        await assert.rejects(bucket.putObject(key, bytes(1 << 20, 2)), NetworkError);
        await server.idle();
        const counted = server.control.stats();
        assert.ok(counted.injected >= 1);
        assert.equal(counted.injected, counted.requests.PutObject - 1);
        server.control.clear();
        const stored = await (await bucket.getObject(key)).bytes();
        // A request-phase reset never runs the operation; a response-phase one loses its answer.
        const expected = phase === "request" ? before : bytes(1 << 20, 2);
        assert.equal(md5Hex(stored), md5Hex(expected));
      });

      it(`a ${phase}-phase reset of UploadPart over ${transport} is a network error; the part is as the operation left it`, async () => {
        const bucket = buckets.get(transport)!;
        const key = `part-${phase}-${transport}.bin`;
        const { uploadId } = await bucket.initiateMultipartUpload(key);
        server.control.add({
          operation: "UploadPart",
          partNumber: 1,
          times: 0,
          action: { type: "reset", phase, afterBytes: phase === "request" ? 1000 : 0 },
        });
        await assert.rejects(bucket.uploadPart(key, uploadId, 1, bytes(256 * 1024)), NetworkError);
        await server.idle();
        const counted = server.control.stats();
        assert.ok(counted.injected >= 1);
        assert.equal(counted.injected, counted.requests.UploadPart);
        assert.deepEqual(await listedParts(server, key, uploadId), phase === "request" ? [] : [1]);
      });
    }

    it("resets without sending a single byte of the answer, on the wire", async () => {
      // What a client that never reads the body sees: no status line at all.
      const rules: FaultRule[] = [
        { operation: "UploadPart", partNumber: 1, action: { type: "reset", phase: "response" } },
        {
          operation: "UploadPart",
          partNumber: 2,
          action: { type: "reset", phase: "request", afterBytes: 1000 },
        },
        { operation: "PutObject", action: { type: "reset", phase: "request" } },
      ];
      for (const rule of rules) server.control.add(rule);
      const key = "wire-reset.bin";
      const uploadId = await initiate(server, key);
      for (const partNumber of [1, 2]) {
        const received = await rawExchange(server, "PUT", key, [
          ["partNumber", String(partNumber)],
          ["uploadId", uploadId],
        ], bytes(64 * 1024));
        assert.equal(received.byteLength, 0, `part ${partNumber}: got ${text(received)}`);
      }
      const put = await rawExchange(server, "PUT", "wire-put.bin", [], bytes(64 * 1024));
      assert.equal(put.byteLength, 0, `PutObject: got ${text(put)}`);
      await server.idle();
      assert.equal(server.control.stats().injected, 3);
      // Part 1 ran before its answer was cut; part 2 was cut while its body was read.
      assert.deepEqual(await listedParts(server, key, uploadId), [1]);
      const get = await oss(server, "GET", "wire-put.bin");
      await get.body?.cancel();
      assert.equal(get.status, 404);
    });
  });
}
