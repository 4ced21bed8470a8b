import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { childElement, childElements, childText, parseXml } from "../lib/xml/xml.ts";
import { startServer, type TestServer } from "./_server.ts";
import { ossFetch, ossText } from "./_oss_http.ts";
import { assertOssError } from "./_assert_oss.ts";

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.close();
});

describe("buckets", () => {
  it("creates, lists, describes and deletes a bucket", async () => {
    const put = await ossFetch(server, { method: "PUT", bucket: "bk-one" });
    assert.equal(put.status, 200);
    await put.body?.cancel();
    assert.match(put.headers.get("x-oss-request-id") ?? "", /^[0-9A-F]{24}$/);
    assert.equal(put.headers.get("server"), "AliyunOSS");
    assert.ok(put.headers.get("date"));

    const list = await ossText(server, {});
    assert.equal(list.status, 200);
    const root = parseXml(list.text);
    assert.equal(root.name, "ListAllMyBucketsResult");
    const names = childElements(childElement(root, "Buckets")!, "Bucket").map((b) =>
      childText(b, "Name")
    );
    assert.ok(names.includes("bk-one"));
    const b = childElements(childElement(root, "Buckets")!, "Bucket").find((x) =>
      childText(x, "Name") === "bk-one"
    )!;
    assert.equal(childText(b, "Location"), "oss-cn-hangzhou");
    assert.match(childText(b, "CreationDate")!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const info = await ossText(server, { bucket: "bk-one", query: [["bucketInfo", undefined]] });
    assert.equal(info.status, 200);
    const bucket = childElement(parseXml(info.text), "Bucket")!;
    assert.equal(childText(bucket, "Name"), "bk-one");
    assert.equal(childText(bucket, "ExtranetEndpoint"), "oss-cn-hangzhou.aliyuncs.com");
    assert.equal(childText(bucket, "IntranetEndpoint"), "oss-cn-hangzhou-internal.aliyuncs.com");
    assert.equal(childText(bucket, "StorageClass"), "Standard");
    assert.equal(childText(childElement(bucket, "AccessControlList")!, "Grant"), "private");

    const loc = await ossText(server, { bucket: "bk-one", query: [["location", undefined]] });
    assert.equal(loc.status, 200);
    assert.equal(parseXml(loc.text).name, "LocationConstraint");
    assert.equal(parseXml(loc.text).text, "oss-cn-hangzhou");

    const del = await ossFetch(server, { method: "DELETE", bucket: "bk-one" });
    assert.equal(del.status, 204);
    const again = await ossText(server, { bucket: "bk-one", query: [["bucketInfo", undefined]] });
    const err = assertOssError(again, 404, "NoSuchBucket");
    assert.equal(childText(err, "BucketName"), "bk-one");
  });

  it("pages ListBuckets with prefix, marker and max-keys", async () => {
    for (const n of ["pg-a", "pg-b", "pg-c"]) {
      assert.equal((await ossFetch(server, { method: "PUT", bucket: n })).status, 200);
    }
    const r = await ossText(server, { query: [["prefix", "pg-"], ["max-keys", "2"]] });
    const root = parseXml(r.text);
    assert.equal(childText(root, "IsTruncated"), "true");
    assert.equal(childText(root, "NextMarker"), "pg-b");
    const r2 = await ossText(server, { query: [["prefix", "pg-"], ["marker", "pg-b"]] });
    const names = childElements(childElement(parseXml(r2.text), "Buckets")!, "Bucket").map((b) =>
      childText(b, "Name")
    );
    assert.deepEqual(names, ["pg-c"]);
  });

  it("stores the storage class and ACL given at creation", async () => {
    const r = await ossFetch(server, {
      method: "PUT",
      bucket: "bk-ia",
      headers: { "x-oss-acl": "public-read" },
      body:
        `<?xml version="1.0" encoding="UTF-8"?><CreateBucketConfiguration><StorageClass>IA</StorageClass></CreateBucketConfiguration>`,
    });
    assert.equal(r.status, 200);
    const info = await ossText(server, { bucket: "bk-ia", query: [["bucketInfo", undefined]] });
    const bucket = childElement(parseXml(info.text), "Bucket")!;
    assert.equal(childText(bucket, "StorageClass"), "IA");
    const acl = await ossText(server, { bucket: "bk-ia", query: [["acl", undefined]] });
    const policy = parseXml(acl.text);
    assert.equal(policy.name, "AccessControlPolicy");
    assert.equal(childText(childElement(policy, "AccessControlList")!, "Grant"), "public-read");
  });

  it("gets and sets the bucket ACL", async () => {
    await ossFetch(server, { method: "PUT", bucket: "bk-acl" });
    const put = await ossFetch(server, {
      method: "PUT",
      bucket: "bk-acl",
      query: [["acl", undefined]],
      headers: { "x-oss-acl": "public-read-write" },
    });
    assert.equal(put.status, 200);
    const acl = await ossText(server, { bucket: "bk-acl", query: [["acl", undefined]] });
    assert.equal(
      childText(childElement(parseXml(acl.text), "AccessControlList")!, "Grant"),
      "public-read-write",
    );
    const bad = await ossText(server, {
      method: "PUT",
      bucket: "bk-acl",
      query: [["acl", undefined]],
      headers: { "x-oss-acl": "everyone" },
    });
    assertOssError(bad, 400, "InvalidArgument");
  });

  it("takes the owner's PutBucket on a bucket that exists, applying its x-oss-acl", async () => {
    await ossFetch(server, { method: "PUT", bucket: "bk-again" });
    const again = await ossFetch(server, {
      method: "PUT",
      bucket: "bk-again",
      headers: { "x-oss-acl": "public-read" },
    });
    assert.equal(again.status, 200);
    const acl = await ossText(server, {
      method: "GET",
      bucket: "bk-again",
      query: [["acl", undefined]],
    });
    assert.match(acl.text, /<Grant>public-read<\/Grant>/);
    // Without x-oss-acl the ACL stays; a bad one is refused.
    await ossFetch(server, { method: "PUT", bucket: "bk-again" });
    assert.match(
      (await ossText(server, { method: "GET", bucket: "bk-again", query: [["acl", undefined]] }))
        .text,
      /<Grant>public-read<\/Grant>/,
    );
    assertOssError(
      await ossText(server, { method: "PUT", bucket: "bk-again", headers: { "x-oss-acl": "all" } }),
      400,
      "InvalidArgument",
    );
  });

  it("refuses invalid names, non-empty deletes and bad XML", async () => {
    for (const name of ["ab", "Upper", "-x-y", "a_b", "x".repeat(64)]) {
      const r = await ossText(server, { method: "PUT", bucket: name });
      assertOssError(r, 400, "InvalidBucketName");
    }
    await ossFetch(server, { method: "PUT", bucket: "bk-full" });
    const put = await ossFetch(server, { method: "PUT", bucket: "bk-full", key: "a", body: "x" });
    assert.equal(put.status, 200);
    assertOssError(
      await ossText(server, { method: "DELETE", bucket: "bk-full" }),
      409,
      "BucketNotEmpty",
    );
    assertOssError(
      await ossText(server, { method: "DELETE", bucket: "bk-nope" }),
      404,
      "NoSuchBucket",
    );

    const bad = await ossText(server, {
      method: "PUT",
      bucket: "bk-badxml",
      body: "<CreateBucketConfiguration><StorageClass>IA</Storage",
    });
    assertOssError(bad, 400, "MalformedXML");
  });

  it("answers MethodNotAllowed and NotImplemented clearly", async () => {
    assertOssError(await ossText(server, { method: "POST" }), 405, "MethodNotAllowed");
    await ossFetch(server, { method: "PUT", bucket: "bk-m" });
    assertOssError(
      await ossText(server, { method: "POST", bucket: "bk-m" }),
      405,
      "MethodNotAllowed",
    );
    assertOssError(
      await ossText(server, { bucket: "bk-m", query: [["lifecycle", undefined]] }),
      501,
      "NotImplemented",
    );
  });

  it("refuses anonymous requests", async () => {
    const r = await ossText(server, { sign: false });
    assertOssError(r, 403, "AccessDenied");
  });

  it("accepts signature V1 too", async () => {
    const r = await ossText(server, { sign: "v1" });
    assert.equal(r.status, 200, r.text);
  });
});

describe("CORS", () => {
  it("answers preflights and exposes OSS's headers to browsers", async () => {
    const pre = await fetch(server.url + "/bk-cors/a.txt?partNumber=1&uploadId=x", {
      method: "OPTIONS",
      headers: {
        origin: "http://example.test",
        "access-control-request-method": "PUT",
        "access-control-request-headers": "authorization,x-oss-date,content-type",
      },
    });
    assert.equal(pre.status, 200);
    await pre.body?.cancel();
    assert.equal(pre.headers.get("access-control-allow-origin"), "http://example.test");
    assert.match(pre.headers.get("access-control-allow-methods")!, /PUT/);
    assert.equal(
      pre.headers.get("access-control-allow-headers"),
      "authorization,x-oss-date,content-type",
    );

    const r = await ossFetch(server, { headers: { origin: "http://example.test" } });
    assert.equal(r.status, 200);
    await r.body?.cancel();
    assert.equal(r.headers.get("access-control-allow-origin"), "http://example.test");
    assert.match(r.headers.get("access-control-expose-headers")!, /ETag.*x-oss-hash-crc64ecma/);
  });
});
