import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { crc64 } from "../lib/crc64/crc64.ts";
import { childElement, childElements, childText, parseXml } from "../lib/xml/xml.ts";
import { startServer, type TestServer } from "./_server.ts";
import { ossFetch, ossText } from "./_oss_http.ts";
import { md5Base64, md5Hex } from "./_md5.ts";
import { assertOssError } from "./_assert_oss.ts";
import { testBytes as bytes } from "./_test_bytes.ts";

let server: TestServer;
const B = "objects";
before(async () => {
  server = await startServer();
  assert.equal((await ossFetch(server, { method: "PUT", bucket: B })).status, 200);
  assert.equal((await ossFetch(server, { method: "PUT", bucket: "objects-2" })).status, 200);
});
after(async () => {
  await server.close();
});

async function put(key: string, body: Uint8Array | string, headers: Record<string, string> = {}) {
  const r = await ossFetch(server, { method: "PUT", bucket: B, key, body, headers });
  await r.body?.cancel();
  assert.equal(r.status, 200);
  return r;
}

describe("PutObject / GetObject / HeadObject", () => {
  it("round-trips bytes with OSS's headers", async () => {
    const data = bytes(70_000);
    const r = await put("dir/data.bin", data);
    assert.equal(r.headers.get("etag"), `"${md5Hex(data)}"`);
    assert.equal(r.headers.get("x-oss-hash-crc64ecma"), crc64(data).toString());
    assert.equal(r.headers.get("content-md5"), md5Base64(data));

    const g = await ossFetch(server, { bucket: B, key: "dir/data.bin" });
    assert.equal(g.status, 200);
    const got = new Uint8Array(await g.arrayBuffer());
    assert.deepEqual(got, data);
    assert.equal(g.headers.get("content-length"), "70000");
    assert.equal(g.headers.get("content-type"), "application/octet-stream");
    assert.equal(g.headers.get("etag"), `"${md5Hex(data)}"`);
    assert.equal(g.headers.get("x-oss-hash-crc64ecma"), crc64(data).toString());
    assert.equal(g.headers.get("x-oss-object-type"), "Normal");
    assert.equal(g.headers.get("x-oss-storage-class"), "Standard");
    assert.match(g.headers.get("last-modified")!, /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/);
    assert.match(g.headers.get("x-oss-request-id")!, /^[0-9A-F]{24}$/);

    const h = await ossFetch(server, { method: "HEAD", bucket: B, key: "dir/data.bin" });
    assert.equal(h.status, 200);
    assert.equal(h.headers.get("content-length"), "70000");
    assert.equal(h.headers.get("etag"), `"${md5Hex(data)}"`);
    assert.equal(h.headers.get("x-oss-hash-crc64ecma"), crc64(data).toString());
    assert.equal((await h.arrayBuffer()).byteLength, 0);
  });

  it("stores an empty object", async () => {
    const r = await put("empty", new Uint8Array(0));
    assert.equal(r.headers.get("x-oss-hash-crc64ecma"), "0");
    assert.equal(r.headers.get("etag"), '"D41D8CD98F00B204E9800998ECF8427E"');
    const g = await ossFetch(server, { bucket: B, key: "empty" });
    assert.equal(g.status, 200);
    assert.equal((await g.arrayBuffer()).byteLength, 0);
  });

  it("keeps Content-Type, standard headers and user metadata", async () => {
    await put("meta.txt", "hello", {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-cache",
      "content-disposition": 'attachment; filename="m.txt"',
      "content-encoding": "identity",
      "content-language": "zh-CN",
      "expires": "Wed, 21 Oct 2037 07:28:00 GMT",
      "x-oss-meta-Author": "ossup",
      "x-oss-meta-n": "1",
    });
    const h = await ossFetch(server, { method: "HEAD", bucket: B, key: "meta.txt" });
    assert.equal(h.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(h.headers.get("cache-control"), "no-cache");
    assert.equal(h.headers.get("content-disposition"), 'attachment; filename="m.txt"');
    assert.equal(h.headers.get("content-language"), "zh-CN");
    assert.equal(h.headers.get("expires"), "Wed, 21 Oct 2037 07:28:00 GMT");
    assert.equal(h.headers.get("x-oss-meta-author"), "ossup");
    assert.equal(h.headers.get("x-oss-meta-n"), "1");

    const o = await ossFetch(server, {
      bucket: B,
      key: "meta.txt",
      query: [["response-content-type", "application/json"], [
        "response-content-disposition",
        "inline",
      ]],
    });
    assert.equal(o.headers.get("content-type"), "application/json");
    assert.equal(o.headers.get("content-disposition"), "inline");
    assert.equal(await o.text(), "hello");
  });

  it("replaces an object and refuses with x-oss-forbid-overwrite", async () => {
    await put("over", "one");
    await put("over", "two");
    assert.equal(await (await ossFetch(server, { bucket: B, key: "over" })).text(), "two");
    const r = await ossText(server, {
      method: "PUT",
      bucket: B,
      key: "over",
      body: "three",
      headers: { "x-oss-forbid-overwrite": "true" },
    });
    assertOssError(r, 409, "FileAlreadyExists");
    assert.equal(await (await ossFetch(server, { bucket: B, key: "over" })).text(), "two");
  });

  it("answers NoSuchKey and NoSuchBucket", async () => {
    const r = await ossText(server, { bucket: B, key: "missing/key" });
    const err = assertOssError(r, 404, "NoSuchKey");
    assert.equal(childText(err, "Key"), "missing/key");
    const h = await ossFetch(server, { method: "HEAD", bucket: B, key: "missing/key" });
    assert.equal(h.status, 404);
    assert.match(h.headers.get("x-oss-request-id")!, /^[0-9A-F]{24}$/);
    await h.body?.cancel();
    assertOssError(await ossText(server, { bucket: "no-bucket", key: "k" }), 404, "NoSuchBucket");
    assertOssError(
      await ossText(server, { method: "PUT", bucket: "no-bucket", key: "k", body: "x" }),
      404,
      "NoSuchBucket",
    );
  });

  it("checks Content-MD5 and stores nothing on mismatch", async () => {
    const ok = await ossFetch(server, {
      method: "PUT",
      bucket: B,
      key: "md5-ok",
      body: "abc",
      headers: { "content-md5": md5Base64("abc") },
    });
    assert.equal(ok.status, 200);
    const bad = await ossText(server, {
      method: "PUT",
      bucket: B,
      key: "md5-bad",
      body: "abc",
      headers: { "content-md5": md5Base64("abd") },
    });
    assertOssError(bad, 400, "InvalidDigest");
    const junk = await ossText(server, {
      method: "PUT",
      bucket: B,
      key: "md5-bad",
      body: "abc",
      headers: { "content-md5": "not-base64" },
    });
    assertOssError(junk, 400, "InvalidDigest");
    assert.equal(
      (await ossFetch(server, { method: "HEAD", bucket: B, key: "md5-bad" })).status,
      404,
    );
  });

  it("refuses invalid user metadata and too much of it", async () => {
    assertOssError(
      await ossText(server, {
        method: "PUT",
        bucket: B,
        key: "m",
        body: "x",
        headers: { "x-oss-meta-big": "v".repeat(9000) },
      }),
      400,
      "InvalidArgument",
    );
    assertOssError(
      await ossText(server, {
        method: "PUT",
        bucket: B,
        key: "m",
        body: "x",
        headers: { "x-oss-object-acl": "bogus" },
      }),
      400,
      "InvalidArgument",
    );
  });

  it("refuses keys OSS refuses", async () => {
    assertOssError(
      await ossText(server, { method: "PUT", bucket: B, key: "k".repeat(1024), body: "x" }),
      400,
      "InvalidObjectName",
    );
    assertOssError(
      await ossText(server, { method: "PUT", bucket: B, key: "\\lead", body: "x" }),
      400,
      "InvalidObjectName",
    );
  });
});

describe("Range", () => {
  const data = bytes(1000, 7);
  before(async () => {
    await put("range.bin", data);
  });
  const get = (range: string) =>
    ossFetch(server, { bucket: B, key: "range.bin", headers: { range } });

  it("answers a single range with 206 and Content-Range", async () => {
    for (
      const [range, start, end] of [
        ["bytes=0-99", 0, 99],
        ["bytes=100-", 100, 999],
        ["bytes=-10", 990, 999],
        ["bytes=900-5000", 900, 999],
        ["bytes=999-999", 999, 999],
      ] as const
    ) {
      const r = await get(range);
      assert.equal(r.status, 206, range);
      assert.equal(r.headers.get("content-range"), `bytes ${start}-${end}/1000`);
      assert.equal(r.headers.get("content-length"), String(end - start + 1));
      assert.equal(r.headers.get("x-oss-hash-crc64ecma"), crc64(data).toString());
      assert.deepEqual(new Uint8Array(await r.arrayBuffer()), data.subarray(start, end + 1));
    }
  });

  it("answers 416 InvalidRange when the range starts past the end", async () => {
    for (const range of ["bytes=1000-", "bytes=1000-2000", "bytes=-0"]) {
      const r = await get(range);
      const text = await r.text();
      assertOssError({ status: r.status, headers: r.headers, text }, 416, "InvalidRange");
    }
  });

  it("sends the whole object for a malformed Range, as OSS does", async () => {
    for (const range of ["bytes=5-2", "bytes=abc", "items=0-1", "bytes=0-1,5-6", "bytes=-"]) {
      const r = await get(range);
      assert.equal(r.status, 200, range);
      assert.equal(r.headers.get("content-range"), null);
      assert.equal((await r.arrayBuffer()).byteLength, 1000);
    }
  });
});

describe("conditional GET", () => {
  let etag = "";
  let lastModified = "";
  before(async () => {
    const r = await put("cond.txt", "conditional");
    etag = r.headers.get("etag")!;
    const h = await ossFetch(server, { method: "HEAD", bucket: B, key: "cond.txt" });
    lastModified = h.headers.get("last-modified")!;
  });
  const get = (headers: Record<string, string>, method = "GET") =>
    ossFetch(server, { method, bucket: B, key: "cond.txt", headers });

  it("If-Match", async () => {
    const ok = await get({ "if-match": etag });
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), "conditional");
    const r = await get({ "if-match": '"0123456789ABCDEF0123456789ABCDEF"' });
    assertOssError(
      { status: r.status, headers: r.headers, text: await r.text() },
      412,
      "PreconditionFailed",
    );
  });

  it("If-None-Match → 304", async () => {
    const r = await get({ "if-none-match": etag });
    assert.equal(r.status, 304);
    assert.equal(r.headers.get("etag"), etag);
    await r.body?.cancel();
    const ok = await get({ "if-none-match": '"0123456789ABCDEF0123456789ABCDEF"' });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  });

  it("If-Modified-Since / If-Unmodified-Since", async () => {
    const past = "Mon, 01 Jan 2001 00:00:00 GMT";
    const future = "Fri, 01 Jan 2100 00:00:00 GMT";
    const a = await get({ "if-modified-since": lastModified });
    assert.equal(a.status, 304);
    await a.body?.cancel();
    const b = await get({ "if-modified-since": past });
    assert.equal(b.status, 200);
    await b.body?.cancel();
    const c = await get({ "if-unmodified-since": past });
    assertOssError(
      { status: c.status, headers: c.headers, text: await c.text() },
      412,
      "PreconditionFailed",
    );
    const d = await get({ "if-unmodified-since": future });
    assert.equal(d.status, 200);
    await d.body?.cancel();
    const e = await get({ "if-unmodified-since": past }, "HEAD");
    assert.equal(e.status, 412);
    await e.body?.cancel();
  });
});

describe("DeleteObject / DeleteMultipleObjects", () => {
  it("deletes one object; deleting a missing one is 204 too", async () => {
    await put("del-me", "x");
    assert.equal(
      (await ossFetch(server, { method: "DELETE", bucket: B, key: "del-me" })).status,
      204,
    );
    assert.equal(
      (await ossFetch(server, { method: "DELETE", bucket: B, key: "del-me" })).status,
      204,
    );
    assert.equal(
      (await ossFetch(server, { method: "HEAD", bucket: B, key: "del-me" })).status,
      404,
    );
    assertOssError(
      await ossText(server, { method: "DELETE", bucket: "no-bucket", key: "k" }),
      404,
      "NoSuchBucket",
    );
  });

  const deleteBody = (keys: string[], quiet: boolean) =>
    `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>${quiet}</Quiet>${
      keys.map((k) =>
        `<Object><Key>${k.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</Key></Object>`
      )
        .join("")
    }</Delete>`;

  it("deletes several objects, verbose and quiet", async () => {
    for (const k of ["m/1", "m/2", "m/a&b"]) await put(k, "x");
    const body = deleteBody(["m/1", "m/a&b", "m/none"], false);
    const r = await ossText(server, {
      method: "POST",
      bucket: B,
      query: [["delete", undefined]],
      body,
      headers: { "content-md5": md5Base64(body) },
    });
    assert.equal(r.status, 200, r.text);
    const root = parseXml(r.text);
    assert.equal(root.name, "DeleteResult");
    assert.deepEqual(childElements(root, "Deleted").map((d) => childText(d, "Key")), [
      "m/1",
      "m/a&b",
      "m/none",
    ]);
    assert.equal((await ossFetch(server, { method: "HEAD", bucket: B, key: "m/1" })).status, 404);

    const qb = deleteBody(["m/2"], true);
    const q = await ossText(server, {
      method: "POST",
      bucket: B,
      query: [["delete", undefined], ["encoding-type", "url"]],
      body: qb,
      headers: { "content-md5": md5Base64(qb) },
    });
    assert.equal(q.status, 200);
    assert.equal(childElements(parseXml(q.text), "Deleted").length, 0);
    assert.equal((await ossFetch(server, { method: "HEAD", bucket: B, key: "m/2" })).status, 404);
  });

  it("requires a matching Content-MD5 and well-formed XML", async () => {
    const body = deleteBody(["x"], false);
    assertOssError(
      await ossText(server, { method: "POST", bucket: B, query: [["delete", undefined]], body }),
      400,
      "InvalidDigest",
    );
    assertOssError(
      await ossText(server, {
        method: "POST",
        bucket: B,
        query: [["delete", undefined]],
        body,
        headers: { "content-md5": md5Base64(body + " ") },
      }),
      400,
      "InvalidDigest",
    );
    for (const bad of ["<Delete><Object><Key>x</Key></Object>", "<Delete></Delete>", "<Other/>"]) {
      assertOssError(
        await ossText(server, {
          method: "POST",
          bucket: B,
          query: [["delete", undefined]],
          body: bad,
          headers: { "content-md5": md5Base64(bad) },
        }),
        400,
        "MalformedXML",
      );
    }
  });
});

describe("CopyObject", () => {
  it("copies bytes and metadata (COPY) or replaces metadata (REPLACE)", async () => {
    const data = bytes(5000, 3);
    await put("copy/src a+b.bin", data, { "content-type": "image/png", "x-oss-meta-k": "v" });
    const src = "/" + B + "/" + encodeURIComponent("copy/src a+b.bin");
    const r = await ossText(server, {
      method: "PUT",
      bucket: "objects-2",
      key: "copy/dst",
      headers: { "x-oss-copy-source": src },
    });
    assert.equal(r.status, 200, r.text);
    const root = parseXml(r.text);
    assert.equal(root.name, "CopyObjectResult");
    assert.equal(childText(root, "ETag"), `"${md5Hex(data)}"`);
    assert.match(childText(root, "LastModified")!, /Z$/);
    assert.equal(r.headers.get("x-oss-hash-crc64ecma"), crc64(data).toString());
    const g = await ossFetch(server, { bucket: "objects-2", key: "copy/dst" });
    assert.equal(g.headers.get("content-type"), "image/png");
    assert.equal(g.headers.get("x-oss-meta-k"), "v");
    assert.deepEqual(new Uint8Array(await g.arrayBuffer()), data);

    const rep = await ossText(server, {
      method: "PUT",
      bucket: B,
      key: "copy/replaced",
      headers: {
        "x-oss-copy-source": src,
        "x-oss-metadata-directive": "REPLACE",
        "content-type": "text/plain",
        "x-oss-meta-other": "2",
      },
    });
    assert.equal(rep.status, 200, rep.text);
    const h = await ossFetch(server, { method: "HEAD", bucket: B, key: "copy/replaced" });
    assert.equal(h.headers.get("content-type"), "text/plain");
    assert.equal(h.headers.get("x-oss-meta-k"), null);
    assert.equal(h.headers.get("x-oss-meta-other"), "2");
  });

  it("checks the source: NoSuchKey, NoSuchBucket, conditions, directive", async () => {
    const cp = (source: string, headers: Record<string, string> = {}) =>
      ossText(server, {
        method: "PUT",
        bucket: B,
        key: "copy/x",
        headers: { "x-oss-copy-source": source, ...headers },
      });
    assertOssError(await cp(`/${B}/copy/none`), 404, "NoSuchKey");
    assertOssError(await cp(`/no-bucket/k`), 404, "NoSuchBucket");
    await put("copy/c", "c");
    assertOssError(
      await cp(`/${B}/copy/c`, {
        "x-oss-copy-source-if-match": '"00000000000000000000000000000000"',
      }),
      412,
      "PreconditionFailed",
    );
    assertOssError(
      await cp(`/${B}/copy/c`, { "x-oss-metadata-directive": "MOVE" }),
      400,
      "InvalidArgument",
    );
    assertOssError(await cp("nonsense"), 400, "InvalidArgument");
  });
});

describe("object ACL", () => {
  it("is default until set, then as set", async () => {
    await put("acl.txt", "a");
    const g = await ossText(server, { bucket: B, key: "acl.txt", query: [["acl", undefined]] });
    assert.equal(g.status, 200);
    const policy = parseXml(g.text);
    assert.equal(policy.name, "AccessControlPolicy");
    assert.ok(childText(childElement(policy, "Owner")!, "ID"));
    assert.equal(childText(childElement(policy, "AccessControlList")!, "Grant"), "default");
    const p = await ossFetch(server, {
      method: "PUT",
      bucket: B,
      key: "acl.txt",
      query: [["acl", undefined]],
      headers: { "x-oss-object-acl": "public-read" },
    });
    assert.equal(p.status, 200);
    const g2 = await ossText(server, { bucket: B, key: "acl.txt", query: [["acl", undefined]] });
    assert.equal(
      childText(childElement(parseXml(g2.text), "AccessControlList")!, "Grant"),
      "public-read",
    );
    assertOssError(
      await ossText(server, { bucket: B, key: "none.txt", query: [["acl", undefined]] }),
      404,
      "NoSuchKey",
    );
    await put("acl2.txt", "a", { "x-oss-object-acl": "private" });
    const g3 = await ossText(server, { bucket: B, key: "acl2.txt", query: [["acl", undefined]] });
    assert.equal(
      childText(childElement(parseXml(g3.text), "AccessControlList")!, "Grant"),
      "private",
    );
  });
});

describe("GetObjectMeta", () => {
  it("answers ETag, size and Last-Modified", async () => {
    await put("om.txt", "12345");
    const r = await ossFetch(server, {
      method: "HEAD",
      bucket: B,
      key: "om.txt",
      query: [["objectMeta", undefined]],
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-length"), "5");
    assert.equal(r.headers.get("etag"), `"${md5Hex("12345")}"`);
    assert.ok(r.headers.get("last-modified"));
  });
});
