// The client against injected faults on the local server: retries on 5xx,
// throttling and connection resets until success; no retry on other 4xx; the
// clock-skew correction; timeouts; and AbortSignal ending in a clean AbortError.
// All of it twice: over the runtime's `fetch` and over the `node:http` fetch
// the Node and Deno entries use.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { AbortError, NetworkError, OssClient, OssError, TimeoutError } from "../lib/web.ts";
import { GatedClock } from "./_gated_clock.ts";
import { startServer, type TestServer } from "./_server.ts";
import { makeClient, trackingFetch } from "./_client_setup.ts";
import { testBytes } from "./_test_bytes.ts";
import { createHttpFetch } from "../lib/adapters/node_api/http_fetch.ts";
import type { OssBodyValue } from "../lib/client/body.ts";

const FAST_RETRY = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

for (const transport of ["fetch", "node:http"] as const) {
  describe(`client against injected faults over ${transport}`, () => {
    let server: TestServer;
    // A new transport per client, as each client of the entries makes its own.
    const transportFetch = () => transport === "fetch" ? globalThis.fetch : createHttpFetch();

    // Holds latency faults until the test releases them: see the timeout and abort tests.
    const clock = new GatedClock();
    before(async () => {
      server = await startServer({ faultClock: clock });
      const { client } = makeClient(server, "v4", "path", { fetch: transportFetch() });
      await client.createBucket("faults");
      await client.bucket("faults").putObject("big.bin", testBytes(256 * 1024, 9));
      server.control.clear();
    });
    afterEach(() => {
      clock.release();
      server.control.clear();
    });
    after(async () => {
      await server.close();
    });

    function client(extra: Parameters<typeof makeClient>[3] = {}) {
      const tracking = trackingFetch(transportFetch());
      const { client } = makeClient(server, "v4", "path", {
        retry: FAST_RETRY,
        fetch: tracking.fetch,
        ...extra,
      });
      return { client, bucket: client.bucket("faults"), log: tracking.log };
    }

    it("retries 5xx answers until one succeeds", async () => {
      const { bucket, log } = client();
      server.control.add({
        operation: "PutObject",
        times: 2,
        action: { type: "error", status: 500, code: "InternalError" },
      });
      const put = await bucket.putObject("retry-5xx.txt", "ok");
      assert.ok(put.etag);
      assert.equal(log.started, 3);
      assert.equal(server.control.stats().requests.PutObject, 3);
      assert.equal(await (await bucket.getObject("retry-5xx.txt")).text(), "ok");
    });

    it("retries throttling answers (503 SlowDown, 429 QpsLimitExceeded)", async () => {
      const { bucket, log } = client();
      server.control.add({
        operation: "HeadObject",
        action: { type: "error", status: 503, code: "SlowDown" },
      });
      server.control.add({
        operation: "HeadObject",
        nth: 2,
        action: { type: "error", status: 429, code: "QpsLimitExceeded" },
      });
      const head = await bucket.headObject("big.bin");
      assert.equal(head.size, 256 * 1024);
      assert.equal(log.started, 3);
    });

    it("gives up after maxAttempts with the last error", async () => {
      const { bucket, log } = client();
      server.control.add({
        operation: "GetObject",
        times: 0,
        action: { type: "error", status: 503, code: "ServiceUnavailable" },
      });
      await assert.rejects(bucket.getObject("big.bin"), (err: unknown) => {
        assert.ok(err instanceof OssError);
        assert.equal(err.status, 503);
        assert.equal(err.code, "ServiceUnavailable");
        assert.equal(err.operation, "GetObject");
        return true;
      });
      assert.equal(log.started, FAST_RETRY.maxAttempts);
    });

    it("never retries 403 or other 4xx answers", async () => {
      const { bucket, log } = client();
      server.control.add({
        operation: "PutObject",
        times: 0,
        action: { type: "error", status: 403, code: "AccessDenied" },
      });
      await assert.rejects(bucket.putObject("denied.txt", "x"), (err: unknown) => {
        assert.ok(err instanceof OssError);
        assert.equal(err.status, 403);
        assert.equal(err.code, "AccessDenied");
        return true;
      });
      assert.equal(log.started, 1);
      server.control.clear();
      server.control.add({
        operation: "PutObject",
        times: 0,
        action: { type: "error", status: 400, code: "InvalidArgument" },
      });
      await assert.rejects(bucket.putObject("bad.txt", "x"), { code: "InvalidArgument" });
      assert.equal(log.started, 2);
    });

    it("retries a connection reset while the part is sent, re-reading the part each time", async () => {
      const { bucket, log } = client();
      const { uploadId } = await bucket.initiateMultipartUpload("reset.bin");
      const part = testBytes(200 * 1024, 4);
      server.control.add({
        operation: "UploadPart",
        partNumber: 1,
        times: 2,
        action: { type: "reset", phase: "request", afterBytes: 64 * 1024 },
      });
      let reads = 0;
      const result = await bucket.uploadPart("reset.bin", uploadId, 1, () => {
        reads++;
        return new Blob([part]);
      }, {
        // Deno.serve cannot cut a connection before answering: it sends 200 and cuts the body
        // while the request body is still unread, which stalls the upload; the timeout ends it.
        timeout: 1500,
      });
      assert.equal(server.control.stats().requests.UploadPart, 3, "two resets, then success");
      assert.equal(server.control.stats().parts["1"], 1);
      // The factory runs once per attempt of the client. (Bun's fetch itself resends a request
      // once when a kept-alive connection turns out closed, so the client may see fewer attempts.)
      assert.equal(reads, log.started - 1);
      assert.ok(reads >= 2);
      const done = await bucket.completeMultipartUpload("reset.bin", uploadId, [result]);
      assert.deepEqual(await (await bucket.getObject("reset.bin")).bytes(), part);
      assert.equal(done.crc64, result.crc64);
    });

    it("retries a connection reset while the answer is read", async () => {
      const { bucket, log } = client();
      server.control.add({
        operation: "ListObjects",
        times: 2,
        action: { type: "reset", phase: "response", afterBytes: 10 },
      });
      const page = await bucket.listObjectsPage();
      assert.ok(page.objects.some((o) => o.key === "big.bin"));
      assert.equal(log.started, 3);
    });

    it("turns a connection that keeps resetting into a NetworkError", async () => {
      const { bucket, log } = client({ retry: { maxAttempts: 2, baseDelayMs: 1 } });
      server.control.add({
        operation: "PutObject",
        times: 0,
        action: { type: "reset", phase: "request" },
      });
      await assert.rejects(bucket.putObject("never.bin", testBytes(1024)), (err: unknown) => {
        assert.ok(err instanceof NetworkError, String(err));
        assert.equal(err.code, "NetworkFailed");
        assert.match(err.message, /^PutObject failed/);
        return true;
      });
      assert.equal(log.started, 2);
    });

    // The soak test's fault on a kept-alive connection; Deno's node:http replayed such a
    // request itself (a byte body twice, a Blob or stream body stalling to the timeout). Only
    // over node:http: Bun's fetch resends a request once by design (see above).
    const bodies: [string, (bytes: Uint8Array<ArrayBuffer>) => OssBodyValue][] = [
      ["a Uint8Array", (bytes) => bytes],
      ["a Blob", (bytes) => new Blob([bytes])],
      ["a ReadableStream", (bytes) => new Blob([bytes]).stream()],
    ];
    for (const [kind, makeBody] of bodies) {
      if (transport !== "node:http") continue;
      it(`fails a PutObject of ${kind} with a NetworkError, sent once, when the server resets a kept-alive connection mid-body`, async () => {
        // No timeout: a stall shows as the test runner's timeout, not as a TimeoutError.
        const { bucket, log } = client({ retry: false, timeout: 0 });
        await bucket.headObject("big.bin"); // leaves a connection to reuse
        server.control.add({
          operation: "PutObject",
          action: { type: "reset", phase: "request", afterBytes: 4280 },
        });
        const key = `reset-kept-alive-${kind.replaceAll(" ", "-")}.bin`;
        await assert.rejects(bucket.putObject(key, makeBody(testBytes(72_366, 5))), (err) => {
          assert.ok(err instanceof NetworkError, String(err));
          assert.ok(!(err instanceof TimeoutError));
          return true;
        });
        // A request after it; one sent again before it would show in the counts.
        await bucket.headObject("big.bin");
        assert.equal(log.started, 3);
        assert.equal(server.control.stats().requests.PutObject, 1);
        assert.equal(server.control.stats().injected, 1);
      });
    }

    it("sends a bare stream body once: it cannot be re-read", async () => {
      const { bucket, log } = client();
      server.control.add({ operation: "PutObject", action: { type: "reset", phase: "request" } });
      await assert.rejects(
        bucket.putObject("stream.bin", new Blob([testBytes(1024)]).stream()),
        NetworkError,
      );
      assert.equal(log.started, 1);
    });

    for (const signatureVersion of ["v4", "v1"] as const) {
      it(`corrects a clock one hour off after RequestTimeTooSkewed (${signatureVersion})`, async () => {
        const tracking = trackingFetch(transportFetch());
        const { client: skewed } = makeClient(server, signatureVersion, "path", {
          clock: () => Date.now() + 3600_000,
          fetch: tracking.fetch,
          retry: false, // the correction is not a retry: it happens even with retries off
        });
        const bucket = skewed.bucket("faults");
        await bucket.putObject("skew.txt", "x");
        assert.equal(tracking.log.started, 2);
        // The offset learnt is about -1 h (the server's Date header has 1 s resolution).
        assert.ok(Math.abs(skewed.clockOffset + 3600_000) < 60_000, String(skewed.clockOffset));
        // Later requests are signed with the corrected clock at once.
        assert.equal(await (await bucket.getObject("skew.txt")).text(), "x");
        assert.equal(tracking.log.started, 3);
      });
    }

    it("corrects a skewed clock from a bodiless HEAD answer too", async () => {
      const tracking = trackingFetch(transportFetch());
      const { client: skewed } = makeClient(server, "v4", "path", {
        clock: () => Date.now() - 3600_000,
        fetch: tracking.fetch,
        retry: false,
      });
      const head = await skewed.bucket("faults").headObject("big.bin");
      assert.equal(head.size, 256 * 1024);
      assert.equal(tracking.log.started, 2);
      assert.ok(Math.abs(skewed.clockOffset - 3600_000) < 60_000, String(skewed.clockOffset));
    });

    it("corrects the clock only once per request", async () => {
      const { bucket, log } = client();
      server.control.add({
        operation: "GetObject",
        times: 0,
        action: { type: "error", status: 403, code: "RequestTimeTooSkewed" },
      });
      await assert.rejects(bucket.getObject("big.bin"), { code: "RequestTimeTooSkewed" });
      assert.equal(log.started, 2);
    });

    it("times out a slow answer with a TimeoutError, retrying it", async () => {
      const { bucket, log } = client({ retry: { maxAttempts: 2, baseDelayMs: 1 } });
      // Both attempts are held at the server until the test ends: only the timeout can end them.
      clock.hold();
      server.control.add({
        operation: "HeadObject",
        times: 0,
        action: { type: "latency", ms: 800 },
      });
      await assert.rejects(bucket.headObject("big.bin", { timeout: 50 }), (err: unknown) => {
        assert.ok(err instanceof TimeoutError, String(err));
        assert.equal(err.code, "Timeout");
        assert.match(err.message, /HeadObject/);
        return true;
      });
      assert.equal(log.started, 2);
      assert.equal(log.settled, 2);
    });

    it("an AbortSignal fired mid-request ends in an AbortError, leaving nothing pending", async () => {
      const { bucket, log } = client();
      // The answer is held until the test ends: only the abort can end the request.
      clock.hold();
      server.control.add({ operation: "GetObject", action: { type: "latency", ms: 1500 } });
      const controller = new AbortController();
      const pending = bucket.getObject("big.bin", { signal: controller.signal });
      await server.control.when((stats) => (stats.requests.GetObject ?? 0) >= 1);
      controller.abort(new Error("user cancelled"));
      await assert.rejects(pending, (err: unknown) => {
        assert.ok(err instanceof AbortError, String(err));
        assert.equal(err.code, "Aborted");
        assert.equal((err.cause as Error).message, "user cancelled");
        return true;
      });
      assert.equal(log.started, 1, "an abort is never retried");
      assert.equal(log.settled, 1, "the fetch itself was cancelled");
    });

    it("an AbortSignal fired during the backoff wait ends it at once", async () => {
      const { bucket, log } = client({
        retry: { maxAttempts: 10, baseDelayMs: 600_000, maxDelayMs: 600_000 },
      });
      server.control.add({
        operation: "HeadObject",
        times: 0,
        action: { type: "error", status: 503, code: "ServiceUnavailable" },
      });
      const controller = new AbortController();
      const pending = bucket.headObject("big.bin", { signal: controller.signal });
      await log.settledAtLeast(1);
      controller.abort();
      await assert.rejects(pending, AbortError);
      assert.equal(log.started, log.settled);
      // A leftover 10-minute backoff timer would keep the test process alive.
    });

    it("an AbortSignal fired while the body streams errors the stream with an AbortError", async () => {
      const { bucket, log } = client();
      server.control.add({
        operation: "GetObject",
        action: { type: "bandwidth", phase: "response", bytesPerSecond: 64 * 1024 },
      });
      const controller = new AbortController();
      const got = await bucket.getObject("big.bin", { signal: controller.signal });
      const reader = got.body.getReader();
      const first = await reader.read();
      assert.equal(first.done, false);
      controller.abort();
      await assert.rejects(
        (async () => {
          for (;;) if ((await reader.read()).done) return;
        })(),
        AbortError,
      );
      assert.equal(log.settled, 1);
    });

    it("an already-aborted signal sends nothing", async () => {
      const { bucket, log } = client();
      await assert.rejects(
        bucket.putObject("x", "y", { signal: AbortSignal.abort() }),
        AbortError,
      );
      assert.equal(log.started, 0);
    });

    it("turns a refused connection into a NetworkError", async () => {
      const closed = await startServer();
      const url = closed.url;
      await closed.close();
      const c = new OssClient({
        endpoint: url,
        region: "cn-hangzhou",
        accessKeyId: "a",
        accessKeySecret: "b",
        retry: { maxAttempts: 2, baseDelayMs: 1 },
        fetch: transportFetch(),
      });
      await assert.rejects(c.bucket("faults").headObject("k"), NetworkError);
    });
  });
}
