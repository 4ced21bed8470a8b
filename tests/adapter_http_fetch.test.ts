// createHttpFetch (node:http / node:https with keep-alive agents): the
// transport contract, then what is its own, against a real node:http server
// on 127.0.0.1 that records what arrives: the body kinds it sends besides
// Uint8Array (ArrayBuffer, string, Blob, ReadableStream), requests without a
// body, HEAD, backpressure of streamed answers, aborts mid-stream, and the
// fallback for what it does not send itself.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createHttpFetch, withHttpFetch } from "../lib/adapters/node_api/http_fetch.ts";
import { OssClient as NodeOssClient } from "../lib/node.ts";
import { OssClient as ModOssClient } from "../mod.ts";
import { testBytes } from "./_test_bytes.ts";
import { streamOf } from "./_byte_stream.ts";
import { type Recorder, startRecorder } from "./_recording_server.ts";
import { transportContract } from "../lib/testing/mod.ts";
import { recordingFallback } from "./_recording_fallback.ts";
import { sameBytes } from "./_upload_fixtures.ts";
import { signalled } from "./_signalled.ts";

transportContract("createHttpFetch", {
  make: (options) => createHttpFetch(options),
  streamsAnswers: true,
  keepAliveTimeout: true,
  reusesConnectionAtOnce: true,
  preconnects: ["upload", "download"],
  rejectsStatusOutOfRange: true,
  withDefaultFetch: withHttpFetch,
  otherBodies: {
    "a ReadableStream": (bytes) => streamOf(bytes, 65_536),
    "a Blob": (bytes) => new Blob([bytes]),
  },
  clients: [
    { entry: "lib/node.ts", Client: NodeOssClient },
    { entry: "mod.ts", Client: ModOssClient },
  ],
});

describe("createHttpFetch: request bodies besides Uint8Array", () => {
  let server: Recorder;
  const fetch = createHttpFetch();
  before(async () => {
    server = await startRecorder();
  });
  after(async () => {
    await server.close();
  });

  it("sends an ArrayBuffer and a string with content-length", async () => {
    const bytes = testBytes(777, 4);
    await (await fetch(`${server.url}/ab`, { method: "POST", body: bytes.slice().buffer })).text();
    let got = server.request("/ab");
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
    got = server.request("/str");
    assert.ok(sameBytes(got.body, encoded));
    assert.equal(got.headers["content-length"], String(encoded.length));
    assert.equal(got.headers["transfer-encoding"], undefined);
    assert.equal(got.headers["x-kind"], "string");
  });

  it("sends a Blob with content-length = blob.size, not chunked", async () => {
    const bytes = testBytes(300_000, 5);
    const blob = new Blob([bytes.subarray(0, 100_000), bytes.subarray(100_000)]);
    await (await fetch(`${server.url}/blob`, { method: "PUT", body: blob })).text();
    const got = server.request("/blob");
    assert.ok(sameBytes(got.body, bytes));
    assert.equal(got.headers["content-length"], String(blob.size));
    assert.equal(got.headers["transfer-encoding"], undefined);
  });

  it("sends a ReadableStream chunked without content-length, whole", async () => {
    const bytes = testBytes(1_000_000, 6);
    await (await fetch(`${server.url}/stream`, {
      method: "PUT",
      body: streamOf(bytes, 65_536),
    })).text();
    const got = server.request("/stream");
    assert.ok(sameBytes(got.body, bytes));
    assert.equal(got.headers["transfer-encoding"], "chunked");
    assert.equal(got.headers["content-length"], undefined);
  });

  it("sends a ReadableStream with the caller's content-length, not chunked", async () => {
    const bytes = testBytes(500_000, 7);
    await (await fetch(`${server.url}/sized-stream`, {
      method: "PUT",
      body: streamOf(bytes, 40_000),
      headers: { "content-length": String(bytes.length) },
    })).text();
    const got = server.request("/sized-stream");
    assert.ok(sameBytes(got.body, bytes));
    assert.equal(got.headers["content-length"], String(bytes.length));
    assert.equal(got.headers["transfer-encoding"], undefined);
  });

  // fetch rejects with the signal's reason and cancels the body stream (as WHATWG fetch does).
  it("rejects with the signal's reason and cancels the stream body when aborted mid-send", async () => {
    let pulls = 0;
    const secondPull = signalled();
    const cancelled = signalled<unknown>();
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        pulls++;
        if (pulls === 1) c.enqueue(new Uint8Array(1000));
        else {
          secondPull.resolve();
          return new Promise<void>(() => {});
        }
      },
      cancel(reason) {
        cancelled.resolve(reason);
      },
    });
    const controller = new AbortController();
    const pending = fetch(`${server.url}/upload-stream-2`, {
      method: "PUT",
      body: stream,
      signal: controller.signal,
    });
    await secondPull.promise; // the first chunk is sent; the stream is waiting for more
    controller.abort(new Error("stop mid-upload"));
    await assert.rejects(pending, (err) => err === controller.signal.reason);
    assert.equal(await cancelled.promise, controller.signal.reason);
  });
});

describe("createHttpFetch: GET and HEAD (no body), and streamed answers", () => {
  let server: Recorder;
  const fetch = createHttpFetch();
  before(async () => {
    server = await startRecorder();
    server.route("/sized", (_req, res) => {
      res.writeHead(200, { "content-length": "12345" });
      res.end(new Uint8Array(12345));
    });
  });
  after(async () => {
    await server.close();
  });

  it("sends a GET without a body and without content-length", async () => {
    await (await fetch(`${server.url}/get`)).text();
    const got = server.request("/get");
    assert.equal(got.method, "GET");
    assert.equal(got.body.length, 0);
    assert.equal(got.headers["content-length"], undefined);
    assert.equal(got.headers["transfer-encoding"], undefined);
  });

  it("gives a null body for a HEAD, with the answer's content-length", async () => {
    const head = await fetch(`${server.url}/sized`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body, null);
    assert.equal(head.headers.get("content-length"), "12345");
    assert.equal(server.request("/sized").method, "HEAD");
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
    // The reader lags for as long as 32 exchanges take on another connection: a lag counted
    // in the event loop's turns, not in time. A transport that did not pause the socket
    // would take in the 64 MiB meanwhile (libuv reads up to 2 MiB a turn); one that pauses
    // holds no more than the socket buffers and its stream's high-water mark.
    for (let i = 0; i < 32; i++) {
      assert.equal(await (await fetch(`${server.url}/lag/${i}`)).text(), "ok");
    }
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
});

describe("createHttpFetch: fallback", () => {
  let server: Recorder;
  const { calls, fallback } = recordingFallback();
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
    assert.equal(server.request("/direct").path, "/direct");
  });
});
