// Node's default fetch (lib/adapters/node/fetch_body.ts): large byte bodies go
// out as a one-chunk stream that keeps its content-length (not chunked), other
// bodies untouched; and the Node client, which uses it when given no fetch,
// still retries parts (the body factory runs again) and uploads files whole.

import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import {
  streamByteBodies,
  STREAMED_BODY_THRESHOLD,
  withNodeFetch,
} from "../lib/adapters/node/fetch_body.ts";
import { crc64, OssClient } from "../lib/node.ts";
import { startServer, type TestServer } from "./_server.ts";
import { testBytes } from "./_client_setup.ts";

interface Seen {
  headers: IncomingHttpHeaders;
  bytes: Uint8Array;
}

describe("streamByteBodies against a node:http server", () => {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ headers: req.headers, bytes: new Uint8Array(Buffer.concat(chunks)) });
      res.end("ok");
    });
  });
  let url = "";
  const bodies: string[] = [];
  // A spy around the real fetch: records what kind of body it was handed.
  const spy = (input: RequestInfo | URL, init?: RequestInit) => {
    bodies.push(init?.body instanceof ReadableStream ? "stream" : typeof init?.body);
    return fetch(input, init);
  };
  const send = streamByteBodies(spy);

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterEach(() => {
    seen.length = 0;
    bodies.length = 0;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sends a large Uint8Array as a stream with content-length, not chunked", async () => {
    const bytes = testBytes(3 * 1024 * 1024 + 17, 3);
    const view = new Uint8Array(bytes.length + 100);
    view.set(bytes, 50);
    const body = view.subarray(50, 50 + bytes.length);
    const res = await send(url, { method: "PUT", body, headers: { "x-a": "1" } });
    assert.equal(await res.text(), "ok");
    assert.deepEqual(bodies, ["stream"]);
    assert.equal(seen[0].headers["content-length"], String(bytes.length));
    assert.equal(seen[0].headers["transfer-encoding"], undefined);
    assert.equal(seen[0].headers["x-a"], "1");
    assert.deepEqual(seen[0].bytes, bytes);
  });

  it("sends the same bytes again on a second call (a retry)", async () => {
    const body = testBytes(STREAMED_BODY_THRESHOLD + 1, 5);
    for (let i = 0; i < 2; i++) {
      await (await send(url, { method: "PUT", body })).text();
    }
    assert.deepEqual(bodies, ["stream", "stream"]);
    assert.deepEqual(seen[0].bytes, body);
    assert.deepEqual(seen[1].bytes, body);
    assert.equal(seen[1].headers["content-length"], String(body.length));
  });

  it("leaves small, non-byte and bodiless requests as they are", async () => {
    await (await send(url, { method: "PUT", body: testBytes(STREAMED_BODY_THRESHOLD, 1) }))
      .text();
    await (await send(url, { method: "PUT", body: "text" })).text();
    await (await send(url, { method: "PUT", body: new Blob([testBytes(100_000)]) })).text();
    await (await send(url)).text();
    assert.deepEqual(bodies, ["object", "string", "object", "undefined"]);
    assert.equal(seen[0].headers["content-length"], String(STREAMED_BODY_THRESHOLD));
    assert.equal(seen[2].bytes.length, 100_000);
  });
});

describe("withNodeFetch", () => {
  it("fills in fetch on Node only when none is given", () => {
    const mine = (() => Promise.resolve(new Response(""))) as unknown as typeof fetch;
    assert.equal(withNodeFetch({ fetch: mine }).fetch, mine);
    const none: { fetch?: typeof fetch } = {};
    assert.equal(typeof withNodeFetch(none).fetch, "function");
    assert.equal(none.fetch, undefined, "the caller's options are not changed");
  });
});

describe("the Node client with its default fetch", () => {
  let server: TestServer;
  let dir: string;

  before(async () => {
    server = await startServer();
    dir = await mkdtemp(join(tmpdir(), "ossup-node-fetch-"));
    await client().createBucket("nodefetch");
    server.control.clear();
  });
  afterEach(() => server.control.clear());
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  function client() {
    return new OssClient({
      endpoint: server.url,
      region: server.region,
      accessKeyId: server.accessKeyId,
      accessKeySecret: server.accessKeySecret,
      retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 },
    });
  }

  it("retries a part after an error and a reset, calling the body factory again", async () => {
    const bucket = client().bucket("nodefetch");
    const { uploadId } = await bucket.initiateMultipartUpload("retried.bin");
    server.control.add({
      operation: "UploadPart",
      action: { type: "error", status: 500, code: "InternalError" },
    });
    server.control.add({
      operation: "UploadPart",
      nth: 2,
      action: { type: "reset", phase: "request", afterBytes: 300_000 },
    });
    const bytes = testBytes(1024 * 1024, 11);
    let calls = 0;
    const part = await bucket.uploadPart("retried.bin", uploadId, 1, () => {
      calls++;
      return bytes;
    });
    assert.equal(calls, 3);
    assert.equal(part.crc64, crc64(bytes));
    const stats = server.control.stats();
    assert.equal(stats.parts["1"], 1);
    assert.equal(stats.partBytes, bytes.length); // by its Content-Length
    await bucket.abortMultipartUpload("retried.bin", uploadId);
  });

  it("uploads a file by path whole, with a failed part retried", async () => {
    const bytes = testBytes(3 * 1024 * 1024 + 4321, 21);
    const path = join(dir, "file.bin");
    await writeFile(path, bytes);
    server.control.add({
      operation: "UploadPart",
      partNumber: 2,
      action: { type: "reset", phase: "request", afterBytes: 100_000 },
    });
    const bucket = client().bucket("nodefetch");
    const result = await bucket.uploadFile("file.bin", path, { partSize: 512 * 1024 });
    assert.equal(result.size, bytes.length);
    assert.equal(result.crc64, crc64(bytes));
    assert.equal(result.crc64Verified, true);
    const got = await bucket.getObject("file.bin");
    assert.deepEqual(await got.bytes(), bytes);
  });
});
