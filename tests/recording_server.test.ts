// The recording server the transport tests send to: requests are found by
// where they were sent, whatever order their bodies end in, and tests can
// wait for a request to be recorded or answered instead of sleeping.

import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { type Recorder, startRecorder } from "./_recording_server.ts";
import { testBytes } from "./_test_bytes.ts";
import { sameBytes } from "./_upload_fixtures.ts";

/** Starts a PUT of `length` bytes to `target` and writes `first` of them; `end` sends the rest. */
function startPut(server: Recorder, target: string, body: Uint8Array, first: number) {
  const req = httpRequest(`${server.url}${target}`, {
    method: "PUT",
    headers: { "content-length": String(body.length) },
  });
  const status = new Promise<number>((resolve, reject) => {
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
  });
  req.write(body.subarray(0, first));
  return { status, end: () => req.end(body.subarray(first)) };
}

describe("recording server", () => {
  let server: Recorder;
  before(async () => {
    server = await startRecorder();
    server.route("/early", (_req, res) => {
      res.writeHead(403);
      res.end("denied");
    }, { early: true });
  });
  after(async () => {
    await server.close();
  });

  it("finds each request by its path when the first sent is the last recorded", async () => {
    const a = testBytes(300_000, 1);
    const b = testBytes(1000, 2);
    const first = startPut(server, "/a", a, 1000);
    const second = startPut(server, "/b", b, 0);
    second.end();
    assert.equal(await second.status, 200);
    assert.ok(sameBytes((await server.recorded("/b")).body, b));
    first.end();
    assert.ok(sameBytes((await server.recorded("/a")).body, a));
    assert.equal(await first.status, 200);
    assert.deepEqual(server.seen.map((s) => s.path), ["/b", "/a"]);
    assert.ok(sameBytes(server.request("/a").body, a));
  });

  it("refuses a lookup that more than one request matches, and tells them apart by query", async () => {
    for (const n of [1, 2]) {
      const put = startPut(server, `/same?n=${n}`, testBytes(10, n), 0);
      put.end();
      assert.equal(await put.status, 200);
    }
    assert.throws(() => server.request("/same"), /2 requests to \/same/);
    assert.throws(() => server.request("/never"), /0 requests to \/never/);
    assert.equal(server.requests("/same").length, 2);
    assert.ok(sameBytes(server.request("/same?n=2").body, testBytes(10, 2)));
  });

  it("says when an early answer has been sent, before the request's body has ended", async () => {
    const body = testBytes(100_000, 3);
    const put = startPut(server, "/early", body, 10);
    assert.deepEqual(await server.answered("/early"), { url: "/early", status: 403 });
    assert.equal(server.requests("/early").length, 0, "the body has not ended yet");
    put.end();
    assert.equal(await put.status, 403);
    assert.equal((await server.recorded("/early")).body.length, body.length);
  });
});
