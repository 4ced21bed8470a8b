import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "./_server.ts";
import { ossFetch, ossText, rawRequest, signedHeaderLines } from "./_oss_http.ts";
import { assertOssError } from "./_assert_oss.ts";

let server: TestServer;
const B = "malformed";
before(async () => {
  server = await startServer();
  assert.equal((await ossFetch(server, { method: "PUT", bucket: B })).status, 200);
});
after(async () => {
  await server.close();
});

async function alive() {
  const r = await ossFetch(server, {});
  assert.equal(r.status, 200);
  await r.body?.cancel();
}

async function absent(key: string) {
  const r = await ossFetch(server, { method: "HEAD", bucket: B, key });
  assert.equal(r.status, 404, `${key} must not exist`);
}

describe("malformed requests", () => {
  it("a body shorter than Content-Length stores nothing", async () => {
    const key = "short.bin";
    const r = await rawRequest(server, {
      method: "PUT",
      target: `/${B}/${key}`,
      headers: [
        ["Content-Length", "1000"],
        ...await signedHeaderLines(server, { method: "PUT", bucket: B, key }),
      ],
      body: "only a few bytes",
      endAfterWrite: true,
    });
    if (r !== undefined) {
      assert.equal(r.status, 400, r.text);
      assert.match(r.text, /<Code>IncompleteBody<\/Code>/);
    }
    await absent(key);
    await alive();
  });

  it("a part shorter than Content-Length is not recorded", async () => {
    const key = "short-part.bin";
    const init = await ossText(server, {
      method: "POST",
      bucket: B,
      key,
      query: [["uploads", undefined]],
    });
    const id = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1];
    const query: [string, string][] = [["partNumber", "1"], ["uploadId", id]];
    await rawRequest(server, {
      method: "PUT",
      target: `/${B}/${key}?partNumber=1&uploadId=${id}`,
      headers: [
        ["Content-Length", "5000"],
        ...await signedHeaderLines(server, { method: "PUT", bucket: B, key, query }),
      ],
      body: "x".repeat(100),
      endAfterWrite: true,
    });
    const lp = await ossText(server, { bucket: B, key, query: [["uploadId", id]] });
    assert.equal(lp.status, 200);
    assert.doesNotMatch(lp.text, /<Part>/);
    await alive();
  });

  it("a chunked body without Content-Length is stored whole", async () => {
    const key = "chunked.txt";
    const r = await rawRequest(server, {
      method: "PUT",
      target: `/${B}/${key}`,
      headers: [
        ["Transfer-Encoding", "chunked"],
        ...await signedHeaderLines(server, { method: "PUT", bucket: B, key }),
      ],
      body: "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    });
    assert.equal(r?.status, 200, r?.text);
    const g = await ossFetch(server, { bucket: B, key });
    assert.equal(await g.text(), "hello world");
  });

  it("an invalid Content-Length is refused without a crash", async () => {
    const r = await rawRequest(server, {
      method: "PUT",
      target: `/${B}/badlen`,
      headers: [["Content-Length", "abc"]],
      body: "abc",
    });
    if (r !== undefined) assert.ok(r.status >= 400 && r.status < 500, String(r.status));
    await absent("badlen");
    await alive();
  });

  it("too much user metadata is a clear OSS error", async () => {
    const r = await ossText(server, {
      method: "PUT",
      bucket: B,
      key: "meta",
      body: "x",
      headers: { "x-oss-meta-a": "a".repeat(6000), "x-oss-meta-b": "b".repeat(4000) },
    });
    assertOssError(r, 400, "InvalidArgument");
    await absent("meta");
  });

  it("oversized headers are refused without a crash", async () => {
    const key = "huge-headers";
    const r = await rawRequest(server, {
      method: "PUT",
      target: `/${B}/${key}`,
      headers: [
        ["Content-Length", "1"],
        ["x-oss-meta-huge", "h".repeat(200 * 1024)],
        ...await signedHeaderLines(server, { method: "PUT", bucket: B, key }),
      ],
      body: "x",
    });
    if (r !== undefined) assert.ok([400, 413, 431].includes(r.status), String(r.status));
    await absent(key);
    await alive();
  });

  it("a request line with garbage is refused without a crash", async () => {
    const r = await rawRequest(server, { method: "GET", target: "no-slash", headers: [] });
    if (r !== undefined) assert.ok(r.status >= 400, String(r.status));
    await alive();
  });
});
