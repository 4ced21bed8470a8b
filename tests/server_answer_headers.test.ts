/**
 * Headers every SDK reads off the server's answers: the base64 error XML in
 * `x-oss-err` on bodiless HEAD errors (read by the Go SDK v2 and Python SDK
 * v2 for the code and message), and `x-oss-server-time` on every answer.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { childText, parseXml } from "../lib/xml/xml.ts";
import { startServer, type TestServer } from "./_server.ts";
import { ossFetch } from "./_oss_http.ts";

let server: TestServer;
const B = "answer-headers";
before(async () => {
  server = await startServer();
  assert.equal((await ossFetch(server, { method: "PUT", bucket: B })).status, 200);
});
after(async () => {
  await server.close();
});

/** The error document carried by `x-oss-err`. */
function errHeader(res: Response): { code?: string; message?: string; requestId?: string } {
  const value = res.headers.get("x-oss-err");
  assert.ok(value, "x-oss-err is missing");
  assert.match(value, /^[A-Za-z0-9+/]+=*$/);
  const root = parseXml(Buffer.from(value, "base64").toString("utf8"));
  assert.equal(root.name, "Error");
  return {
    code: childText(root, "Code"),
    message: childText(root, "Message"),
    requestId: childText(root, "RequestId"),
  };
}

describe("x-oss-err on HEAD errors", () => {
  it("carries NoSuchKey with the answer's request ID; the body stays empty", async () => {
    const res = await ossFetch(server, { method: "HEAD", bucket: B, key: "absent/ключ.txt" });
    assert.equal(res.status, 404);
    assert.equal((await res.arrayBuffer()).byteLength, 0);
    const err = errHeader(res);
    assert.equal(err.code, "NoSuchKey");
    assert.ok(err.message);
    assert.equal(err.requestId, res.headers.get("x-oss-request-id"));
  });

  it("carries NoSuchBucket and signature errors too", async () => {
    const noBucket = await ossFetch(server, { method: "HEAD", bucket: "no-such-bucket", key: "k" });
    await noBucket.body?.cancel();
    assert.equal(noBucket.status, 404);
    assert.equal(errHeader(noBucket).code, "NoSuchBucket");

    const anonymous = await ossFetch(server, { method: "HEAD", bucket: B, key: "k", sign: false });
    await anonymous.body?.cancel();
    assert.equal(anonymous.status, 403);
    assert.equal(errHeader(anonymous).code, "AccessDenied");
  });

  it("carries a failed precondition on HEAD (412), not on 304", async () => {
    const put = await ossFetch(server, { method: "PUT", bucket: B, key: "here.txt", body: "x" });
    await put.body?.cancel();
    const etag = put.headers.get("etag")!;
    const failed = await ossFetch(server, {
      method: "HEAD",
      bucket: B,
      key: "here.txt",
      headers: { "if-match": '"00000000000000000000000000000000"' },
    });
    await failed.body?.cancel();
    assert.equal(failed.status, 412);
    assert.equal(errHeader(failed).code, "PreconditionFailed");

    const unchanged = await ossFetch(server, {
      method: "HEAD",
      bucket: B,
      key: "here.txt",
      headers: { "if-none-match": etag },
    });
    await unchanged.body?.cancel();
    assert.equal(unchanged.status, 304);
    assert.equal(unchanged.headers.get("x-oss-err"), null);
  });

  it("is absent from successful HEAD answers", async () => {
    const put = await ossFetch(server, { method: "PUT", bucket: B, key: "ok.txt", body: "ok" });
    await put.body?.cancel();
    const res = await ossFetch(server, { method: "HEAD", bucket: B, key: "ok.txt" });
    await res.body?.cancel();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-oss-err"), null);
  });
});

describe("x-oss-server-time", () => {
  it("is a whole number of milliseconds on successes and errors", async () => {
    const answers = [
      await ossFetch(server, { method: "PUT", bucket: B, key: "t.txt", body: "t" }),
      await ossFetch(server, { method: "GET", bucket: B, key: "t.txt" }),
      await ossFetch(server, { method: "GET", bucket: B, key: "missing" }),
      await ossFetch(server, { method: "GET", bucket: B }),
    ];
    for (const res of answers) {
      await res.body?.cancel();
      assert.match(res.headers.get("x-oss-server-time") ?? "", /^\d+$/, `HTTP ${res.status}`);
    }
    assert.deepEqual(answers.map((r) => r.status), [200, 200, 404, 200]);
  });
});
