// createHttpFetch (node:http / node:https with keep-alive agents) against a
// real node:http server on 127.0.0.1 that records what arrives: request
// bodies of every kind, responses, keep-alive reuse, aborts, network
// errors, the fallback for what it does not send itself; and the clients of
// lib/node.ts and mod.ts uploading through it to the local OSS server.

import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { createHttpFetch, withHttpFetch } from "../lib/adapters/node/http_fetch.ts";
import { OssClient as NodeOssClient } from "../lib/node.ts";
import { OssClient as ModOssClient } from "../mod.ts";
import { testBytes } from "./_test_bytes.ts";
import { concat } from "./_client_setup.ts";
import { addStandardAnswers, type Recorder, startRecorder } from "./_recording_server.ts";
import { startServer, type TestServer } from "./_server.ts";
import {
  clientOptions,
  delay,
  KB100,
  objectBytes,
  sameBytes,
  waitFor,
} from "./_upload_fixtures.ts";

/** A stream of `bytes` in chunks of `size` bytes. */
function chunkedStream(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

/** Reads a whole body, waiting `pauseMs` between reads. */
async function readAll(body: ReadableStream<Uint8Array>, pauseMs = 0): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    if (pauseMs > 0) await delay(pauseMs);
  }
  return concat(...chunks);
}

/** A promise and its resolver. */
function signalled<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

function isAbort(err: unknown, signal: AbortSignal): boolean {
  return err === signal.reason || (err as Error)?.name === "AbortError";
}

describe("createHttpFetch: request bodies", () => {
  let server: Recorder;
  const fetch = createHttpFetch();
  before(async () => {
    server = await startRecorder();
  });
  after(async () => {
    await server.close();
  });

  it("sends a Uint8Array subarray view exactly, with content-length and the caller's headers", async () => {
    const whole = testBytes(10_000, 3);
    const view = whole.subarray(1234, 1234 + 5000);
    const res = await fetch(`${server.url}/view`, {
      method: "PUT",
      body: view,
      headers: { "x-oss-meta-a": "1", "Content-Type": "application/x-test" },
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "ok");
    const got = server.seen.at(-1)!;
    assert.equal(got.method, "PUT");
    assert.equal(got.path, "/view");
    assert.ok(sameBytes(got.body, view));
    assert.equal(got.headers["content-length"], "5000");
    assert.equal(got.headers["transfer-encoding"], undefined);
    assert.equal(got.headers["x-oss-meta-a"], "1");
    assert.equal(got.headers["content-type"], "application/x-test");
  });

  it("sends an ArrayBuffer and a string with content-length", async () => {
    const bytes = testBytes(777, 4);
    await (await fetch(`${server.url}/ab`, { method: "POST", body: bytes.slice().buffer })).text();
    let got = server.seen.at(-1)!;
    assert.ok(sameBytes(got.body, bytes));
    assert.equal(got.headers["content-length"], "777");
    assert.equal(got.headers["transfer-encoding"], undefined);

    const text = "héllo, wörld ✓";
    const encoded = new TextEncoder().encode(text);
    await (await fetch(`${server.url}/str`, {
      method: "PUT",
      body: text,
      headers: [["x-kind", "string"]],
    })).text();
    got = server.seen.at(-1)!;
    assert.ok(sameBytes(got.body, encoded));
    assert.equal(got.headers["content-length"], String(encoded.length));
    assert.equal(got.headers["transfer-encoding"], undefined);
    assert.equal(got.headers["x-kind"], "string");
  });

  it("sends a Blob with content-length = blob.size, not chunked", async () => {
    const bytes = testBytes(300_000, 5);
    const blob = new Blob([bytes.subarray(0, 100_000), bytes.subarray(100_000)]);
    await (await fetch(`${server.url}/blob`, { method: "PUT", body: blob })).text();
    const got = server.seen.at(-1)!;
    assert.ok(sameBytes(got.body, bytes));
    assert.equal(got.headers["content-length"], String(blob.size));
    assert.equal(got.headers["transfer-encoding"], undefined);
  });

  it("sends a ReadableStream chunked without content-length, whole", async () => {
    const bytes = testBytes(1_000_000, 6);
    await (await fetch(`${server.url}/stream`, {
      method: "PUT",
      body: chunkedStream(bytes, 65_536),
    })).text();
    const got = server.seen.at(-1)!;
    assert.ok(sameBytes(got.body, bytes));
    assert.equal(got.headers["transfer-encoding"], "chunked");
    assert.equal(got.headers["content-length"], undefined);
  });

  it("sends a ReadableStream with the caller's content-length, not chunked", async () => {
    const bytes = testBytes(500_000, 7);
    await (await fetch(`${server.url}/sized-stream`, {
      method: "PUT",
      body: chunkedStream(bytes, 40_000),
      headers: { "content-length": String(bytes.length) },
    })).text();
    const got = server.seen.at(-1)!;
    assert.ok(sameBytes(got.body, bytes));
    assert.equal(got.headers["content-length"], String(bytes.length));
    assert.equal(got.headers["transfer-encoding"], undefined);
  });

  it("returns an answer the server gives before reading a stream body", async () => {
    server.route("/early", (_req, res) => {
      res.writeHead(403, { "content-type": "application/xml" });
      res.end("<Error><Code>AccessDenied</Code></Error>");
    }, { early: true });
    const res = await fetch(`${server.url}/early`, {
      method: "PUT",
      body: chunkedStream(testBytes(2_000_000, 10), 65_536),
    });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /AccessDenied/);
  });

  it("sends a GET without a body and without content-length", async () => {
    await (await fetch(`${server.url}/get`)).text();
    const got = server.seen.at(-1)!;
    assert.equal(got.method, "GET");
    assert.equal(got.body.length, 0);
    assert.equal(got.headers["content-length"], undefined);
    assert.equal(got.headers["transfer-encoding"], undefined);
  });
});

describe("createHttpFetch: responses", () => {
  let server: Recorder;
  const fetch = createHttpFetch();
  const big = testBytes(8 * 1024 * 1024, 8);
  before(async () => {
    server = await startRecorder();
    addStandardAnswers(server);
    server.route("/big", (_req, res) => {
      res.writeHead(200, { "content-length": String(big.length) });
      res.end(big);
    });
  });
  after(async () => {
    await server.close();
  });

  it("gives status, statusText, headers (a repeated one joined) and the body", async () => {
    const res = await fetch(`${server.url}/headers`);
    assert.equal(res.status, 201);
    assert.equal(res.statusText, "Made It");
    assert.equal(res.ok, true);
    assert.equal(res.headers.get("x-multi"), "a, b");
    assert.equal(res.headers.get("x-single"), "one");
    assert.equal(res.headers.get("content-type"), "text/plain");
    assert.equal(await res.text(), "created body");
  });

  it("gives a null body for a 204 and for a HEAD", async () => {
    const empty = await fetch(`${server.url}/204`, { method: "DELETE" });
    assert.equal(empty.status, 204);
    assert.equal(empty.body, null);
    assert.equal(empty.headers.get("x-empty"), "yes");
    const head = await fetch(`${server.url}/big`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body, null);
    assert.equal(head.headers.get("content-length"), String(big.length));
    assert.equal(server.seen.at(-1)!.method, "HEAD");
  });

  it("returns a 404 with its XML body rather than throwing", async () => {
    const res = await fetch(`${server.url}/missing`);
    assert.equal(res.status, 404);
    assert.equal(res.ok, false);
    assert.equal(res.headers.get("content-type"), "application/xml");
    assert.match(await res.text(), /<Code>NoSuchKey<\/Code>/);
  });

  it("streams an 8 MiB body byte-identical", async () => {
    const res = await fetch(`${server.url}/big`);
    assert.equal(res.status, 200);
    assert.ok(sameBytes(await readAll(res.body!), big));
  });

  it("streams an 8 MiB body byte-identical to a slow reader", async () => {
    const res = await fetch(`${server.url}/big`);
    const got = await readAll(res.body!, 1);
    assert.equal(got.length, big.length);
    assert.ok(sameBytes(got, big));
  });

  it("pauses the socket while the reader lags: the server cannot finish a 64 MiB answer", async () => {
    const size = 64 * 1024 * 1024;
    const huge = new Uint8Array(size);
    huge[size - 1] = 7;
    let finished = false;
    server.route("/huge", (_req, res) => {
      res.writeHead(200, { "content-length": String(size) });
      res.on("finish", () => finished = true);
      res.end(huge);
    });
    const res = await fetch(`${server.url}/huge`);
    const reader = res.body!.getReader();
    let got = (await reader.read()).value!.length;
    // Far more than socket buffers and the stream's high-water mark hold.
    await delay(300);
    assert.equal(finished, false);
    let last = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      got += value.length;
      last = value[value.length - 1];
    }
    assert.equal(got, size);
    assert.equal(last, 7);
  });

  it("reuses one connection for sequential requests", async () => {
    const own = await startRecorder();
    try {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${own.url}/n${i}`, { method: "PUT", body: `body ${i}` });
        assert.equal(await res.text(), "ok");
      }
      assert.equal(own.seen.length, 3);
      assert.equal(own.connections(), 1);
      assert.deepEqual(own.seen.map((s) => s.connection), [1, 1, 1]);
    } finally {
      await own.close();
    }
  });

  it("closes an idle socket after keepAliveTimeout and opens a new one", async () => {
    const own = await startRecorder();
    const quick = createHttpFetch({ keepAliveTimeout: 50 });
    try {
      assert.equal(await (await quick(`${own.url}/one`)).text(), "ok");
      // The client closes its idle socket; the server sees connection 1 end.
      await own.closed(1);
      assert.equal(await (await quick(`${own.url}/two`)).text(), "ok");
      assert.deepEqual(own.seen.map((s) => s.connection), [1, 2]);
    } finally {
      await own.close();
    }
  });

  it("waits for an answer slower than keepAliveTimeout", async () => {
    const own = await startRecorder();
    own.route("/slow", (_req, res) => {
      setTimeout(() => res.end("late"), 300);
    });
    const quick = createHttpFetch({ keepAliveTimeout: 50 });
    try {
      const res = await quick(`${own.url}/slow`, { method: "PUT", body: "x" });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "late");
    } finally {
      await own.close();
    }
  });
});

describe("createHttpFetch: aborts and network errors", () => {
  let server: Recorder;
  const fetch = createHttpFetch();
  let arrived = signalled();
  const held: ServerResponse[] = [];
  before(async () => {
    server = await startRecorder();
    server.route("/hold", (_req, res) => {
      held.push(res);
      arrived.resolve();
    });
    server.route("/trickle", (_req, res) => {
      res.writeHead(200, { "content-length": "1000000" });
      res.write(new Uint8Array(1000));
      held.push(res);
      arrived.resolve();
    });
    server.route("/cut", (req, res) => {
      res.writeHead(200, { "content-length": "1000000" });
      res.write(new Uint8Array(1000), () => req.socket.destroy());
    });
  });
  after(async () => {
    for (const res of held) res.destroy();
    await server.close();
  });

  it("rejects an already aborted signal without sending", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop before"));
    const before = server.seen.length;
    await assert.rejects(
      fetch(`${server.url}/never`, { method: "PUT", body: "x", signal: controller.signal }),
      (err) => err === controller.signal.reason,
    );
    // A request sent after it is the next the server sees.
    await (await fetch(`${server.url}/after`)).text();
    assert.deepEqual(server.seen.slice(before).map((s) => s.path), ["/after"]);
  });

  it("rejects with the signal's reason when aborted while the server holds the answer", async () => {
    arrived = signalled();
    const controller = new AbortController();
    const pending = fetch(`${server.url}/hold`, { signal: controller.signal });
    await arrived.promise;
    controller.abort();
    await assert.rejects(pending, (err) => isAbort(err, controller.signal));
  });

  it("errors the body read when aborted while the body streams", async () => {
    arrived = signalled();
    const controller = new AbortController();
    const res = await fetch(`${server.url}/trickle`, { signal: controller.signal });
    await arrived.promise;
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.equal(first.done, false);
    controller.abort(new Error("stop mid-body"));
    await assert.rejects(
      (async () => {
        for (;;) if ((await reader.read()).done) break;
      })(),
      (err) => isAbort(err, controller.signal),
    );
  });

  // fetch rejects with the signal's reason and cancels the body stream (as WHATWG fetch does).
  it("rejects with the signal's reason and cancels the stream body when aborted mid-send", async () => {
    let pulls = 0;
    let cancelled: unknown = "not cancelled";
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        pulls++;
        if (pulls === 1) c.enqueue(new Uint8Array(1000));
        else return new Promise<void>(() => {});
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    const controller = new AbortController();
    const pending = fetch(`${server.url}/upload-stream-2`, {
      method: "PUT",
      body: stream,
      signal: controller.signal,
    });
    await waitFor(() => pulls >= 2, "the second pull");
    controller.abort(new Error("stop mid-upload"));
    await assert.rejects(pending, (err) => err === controller.signal.reason);
    await waitFor(() => cancelled !== "not cancelled", "the stream's cancel", 2000).catch(() => {});
    assert.equal(cancelled, controller.signal.reason);
  });

  it("sends the next request normally after the aborts", async () => {
    const res = await fetch(`${server.url}/after-aborts`, { method: "PUT", body: "fine" });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "ok");
    assert.equal(new TextDecoder().decode(server.seen.at(-1)!.body), "fine");
  });

  it("rejects a refused connection with a TypeError that has a cause", async () => {
    const closed = await startRecorder();
    const url = closed.url;
    await closed.close();
    await assert.rejects(fetch(`${url}/refused`), (err: unknown) => {
      assert.ok(err instanceof TypeError);
      assert.ok((err as { cause?: unknown }).cause !== undefined);
      return true;
    });
  });

  it("errors the body read when the server destroys the socket mid-body", async () => {
    const res = await fetch(`${server.url}/cut`);
    assert.equal(res.status, 200);
    await assert.rejects(readAll(res.body!));
  });
});

describe("createHttpFetch: fallback", () => {
  let server: Recorder;
  const calls: { input: unknown; init: RequestInit | undefined }[] = [];
  const fallback = ((input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ input, init });
    return Promise.resolve(new Response("fb"));
  }) as typeof globalThis.fetch;
  const fetch = createHttpFetch({ fallback });
  before(async () => {
    server = await startRecorder();
  });
  after(async () => {
    await server.close();
  });

  it("hands a Request, a FormData body and a data: URL to the fallback", async () => {
    const request = new Request(`${server.url}/request`);
    assert.equal(await (await fetch(request)).text(), "fb");
    assert.equal(calls.at(-1)!.input, request);

    const form = new FormData();
    form.set("field", "value");
    assert.equal(
      await (await fetch(`${server.url}/form`, { method: "POST", body: form })).text(),
      "fb",
    );
    assert.equal(calls.at(-1)!.input, `${server.url}/form`);
    assert.equal(calls.at(-1)!.init?.body, form);

    const params = new URLSearchParams({ a: "1" });
    assert.equal(
      await (await fetch(`${server.url}/params`, { method: "POST", body: params })).text(),
      "fb",
    );
    assert.equal(calls.at(-1)!.init?.body, params);

    const data = "data:text/plain,hello";
    assert.equal(await (await fetch(data)).text(), "fb");
    assert.equal(calls.at(-1)!.input, data);

    assert.equal(calls.length, 4);
    assert.equal(server.seen.length, 0);
  });

  it("sends http URLs itself", async () => {
    const before = calls.length;
    const res = await fetch(new URL(`${server.url}/direct`), { method: "PUT", body: "x" });
    assert.equal(await res.text(), "ok");
    assert.equal(calls.length, before);
    assert.equal(server.seen.at(-1)!.path, "/direct");
  });
});

describe("createHttpFetch: options and withHttpFetch", () => {
  it("throws a RangeError for a keepAliveTimeout that is not positive", () => {
    assert.throws(() => createHttpFetch({ keepAliveTimeout: 0 }), RangeError);
    assert.throws(() => createHttpFetch({ keepAliveTimeout: -1 }), RangeError);
    assert.throws(() => createHttpFetch({ keepAliveTimeout: NaN }), RangeError);
  });

  it("keeps the caller's fetch and otherwise sets one on a copy", () => {
    const mine = (() => Promise.resolve(new Response())) as unknown as typeof fetch;
    const given = { endpoint: "127.0.0.1:9", fetch: mine };
    assert.equal(withHttpFetch(given).fetch, mine);
    const bare: { endpoint: string; fetch?: typeof fetch } = { endpoint: "127.0.0.1:9" };
    const filled = withHttpFetch(bare);
    assert.equal(typeof filled.fetch, "function");
    assert.equal(filled.endpoint, "127.0.0.1:9");
    assert.notEqual(filled, bare);
    assert.equal(bare.fetch, undefined);
    assert.equal("fetch" in bare, false);
  });
});

describe("OssClient through the runtime's default fetch", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.close();
  });

  for (
    const [entry, Client] of [["lib/node.ts", NodeOssClient], ["mod.ts", ModOssClient]] as const
  ) {
    it(`${entry}: uploads 3 parts and reads the object back byte-identical`, async () => {
      const client = new Client(clientOptions(server));
      const bucketName = entry === "mod.ts" ? "via-mod" : "via-node";
      await client.createBucket(bucketName);
      const bucket = client.bucket(bucketName);
      const bytes = testBytes(3 * KB100 - 1234, 9);
      const result = await bucket.uploadFile("three.bin", new Blob([bytes]), {
        partSize: KB100,
        routines: 2,
      });
      assert.equal(result.parts, 3);
      assert.equal(result.size, bytes.length);
      assert.equal(result.crc64Verified, true);
      assert.ok(sameBytes(await objectBytes(bucket, "three.bin"), bytes));
    });
  }
});

// node:http takes statuses 100-999, a Response only 200-599: such an answer fails like fetch.
describe("createHttpFetch: an answer Response cannot represent", () => {
  let server: Recorder;
  const fetch = createHttpFetch();
  before(async () => {
    server = await startRecorder();
    server.route("/600", (_req, res) => {
      res.writeHead(600);
      res.end("odd");
    });
  });
  after(async () => {
    await server.close();
  });

  it("settles for a status of 600 (no hang, no uncaught error)", async () => {
    const outcome = await Promise.race([
      fetch(`${server.url}/600`).then(
        (res) => ({ status: res.status }),
        (error: unknown) => ({ error }),
      ),
      delay(2000).then(() => "still pending" as const),
    ]);
    assert.notEqual(outcome, "still pending");
    if (typeof outcome === "object" && "error" in outcome) {
      assert.ok(outcome.error instanceof TypeError);
    }
  });
});
