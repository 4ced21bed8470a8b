// Response bodies that read into the caller's buffers (byte streams: Deno's `fetch` gives them)
// stay byte streams through the client, and the download engine reads straight into its write
// buffers from them: the same bytes as a plain body, a reset mid-body fetched again, an abort
// an AbortError. A wrapper turns any runtime's answers into byte streams, so every runtime runs
// the same path.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { AbortError, OssClient } from "../mod.ts";
import { testBytes } from "./_test_bytes.ts";
import { readByob } from "./_read_byob.ts";
import { clientOptions, sameBytes, type UploadEnv, uploadEnv } from "./_upload_fixtures.ts";

/** A `fetch` whose answers' bodies are byte streams over `inner`'s, counting BYOB reads. */
function byteStreamFetch(inner: typeof fetch = globalThis.fetch) {
  const counts = { byobReads: 0 };
  const wrapped = async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await inner(input, init);
    if (res.body === null) return res;
    const reader = res.body.getReader();
    let pending: Uint8Array | undefined;
    const body = new ReadableStream({
      type: "bytes",
      async pull(controller) {
        if (pending === undefined || pending.length === 0) {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            controller.byobRequest?.respond(0);
            return;
          }
          pending = value;
        }
        const request = controller.byobRequest;
        if (request?.view) {
          counts.byobReads++;
          const view = new Uint8Array(
            request.view.buffer,
            request.view.byteOffset,
            request.view.byteLength,
          );
          const n = Math.min(view.length, pending.length);
          view.set(pending.subarray(0, n));
          pending = pending.subarray(n);
          request.respond(n);
        } else {
          controller.enqueue(pending.slice());
          pending = undefined;
        }
      },
      cancel: (reason) => reader.cancel(reason),
    }, { highWaterMark: 0 });
    return new Response(body, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };
  return { fetch: wrapped as typeof fetch, counts };
}

describe("byte-stream answers", () => {
  let env: UploadEnv;
  const object = testBytes(700_000, 3);
  before(async () => {
    env = await uploadEnv("byob");
    await env.bucket.putObject("a.bin", object);
  });
  afterEach(() => env.server.control.clear());
  after(() => env.close());

  function byobBucket() {
    const transport = byteStreamFetch();
    const client = new OssClient(clientOptions(env.server, { fetch: transport.fetch }));
    return { bucket: client.bucket("byob"), counts: transport.counts };
  }

  it("getObject's body stays a byte stream: read into the caller's buffer", async () => {
    const { bucket, counts } = byobBucket();
    const got = await bucket.getObject("a.bin");
    const { bytes } = await readByob(got.body, 10_000);
    assert.ok(sameBytes(bytes, object));
    assert.ok(counts.byobReads >= object.length / 10_000);
  });

  it("getObject's byte-stream body still reads with a plain reader and as text", async () => {
    const { bucket } = byobBucket();
    assert.ok(sameBytes(await (await bucket.getObject("a.bin")).bytes(), object));
    await bucket.putObject("t.txt", "héllo");
    assert.equal(await (await bucket.getObject("t.txt")).text(), "héllo");
  });

  it("downloadFile reads straight into its buffers: the same bytes", async () => {
    const { bucket, counts } = byobBucket();
    const path = join(env.dir, "straight.bin");
    const result = await bucket.downloadFile("a.bin", path, { partSize: 100 * 1024, routines: 3 });
    assert.equal(result.crc64Verified, true);
    assert.ok(sameBytes(new Uint8Array(await readFile(path)), object));
    assert.ok(counts.byobReads > 0, "the engine read with a BYOB reader");
  });

  it("downloadFile fetches a range again after a reset mid-body, into buffers it still has", async () => {
    const { bucket } = byobBucket();
    env.server.control.add({
      operation: "GetObject",
      times: 2,
      action: { type: "reset", phase: "response", afterBytes: 30_000 },
    });
    const path = join(env.dir, "reset.bin");
    const result = await bucket.downloadFile("a.bin", path, { partSize: 100 * 1024, routines: 2 });
    assert.ok(result.bytesRefetched > 0, "a broken range was fetched again");
    assert.ok(sameBytes(new Uint8Array(await readFile(path)), object));
  });

  it("an abort while a byte-stream body is read ends in an AbortError", async () => {
    const { bucket } = byobBucket();
    env.server.control.add({
      operation: "GetObject",
      action: { type: "bandwidth", phase: "response", bytesPerSecond: 64 * 1024 },
    });
    const controller = new AbortController();
    const got = await bucket.getObject("a.bin", { signal: controller.signal });
    const reader = got.body.getReader({ mode: "byob" });
    const first = await reader.read(new Uint8Array(1000));
    assert.equal(first.done, false);
    controller.abort();
    await assert.rejects(
      (async () => {
        for (let buffer = new Uint8Array(1000);;) {
          const { done, value } = await reader.read(buffer);
          if (done) return;
          buffer = new Uint8Array(value.buffer);
        }
      })(),
      AbortError,
    );
  });
});
