import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  bucketFromHost,
  decodeComponent,
  parseQuery,
  resolveAddress,
  splitUrl,
} from "../lib/server/addressing.ts";
import { operationOf } from "../lib/server/operation.ts";
import { ServerError } from "../lib/server/server_error.ts";
import { startServer, type TestServer } from "./_server.ts";
import { ossFetch, rawRequest, signedHeaderLines } from "./_oss_http.ts";

describe("addressing (pure)", () => {
  it("reads the bucket from the Host header", () => {
    assert.equal(bucketFromHost("b1.oss-cn-hangzhou.aliyuncs.com"), "b1");
    assert.equal(bucketFromHost("b1.oss-cn-hangzhou-internal.aliyuncs.com"), "b1");
    assert.equal(bucketFromHost("B1.Example.com:8080"), "b1");
    assert.equal(bucketFromHost("b1.localhost:9000"), "b1");
    assert.equal(bucketFromHost("oss-cn-hangzhou.aliyuncs.com"), undefined);
    assert.equal(bucketFromHost("127.0.0.1:9000"), undefined);
    assert.equal(bucketFromHost("[::1]:9000"), undefined);
    assert.equal(bucketFromHost("localhost"), undefined);
    assert.equal(bucketFromHost("myhost"), undefined);
    assert.equal(bucketFromHost(""), undefined);
    assert.equal(
      bucketFromHost("oss.example.com", { serviceHosts: ["oss.example.com"] }),
      undefined,
    );
    assert.equal(bucketFromHost("b.oss.example.com", { serviceHosts: ["oss.example.com"] }), "b");
  });

  it("decodes keys exactly once, + as space", () => {
    assert.equal(decodeComponent("dir%2Fa%2Bb+c.bin"), "dir/a+b c.bin");
    assert.equal(decodeComponent("a%252F"), "a%2F");
    assert.equal(decodeComponent("%E4%B8%AD"), "中");
    assert.throws(() => decodeComponent("%ZZ"), ServerError);
    assert.throws(() => decodeComponent("%C3%28"), ServerError);
    assert.deepEqual(resolveAddress("/b/dir/x%20y", "127.0.0.1:1"), {
      bucket: "b",
      key: "dir/x y",
      virtualHosted: false,
    });
    assert.deepEqual(resolveAddress("/b/", "127.0.0.1:1"), {
      bucket: "b",
      key: undefined,
      virtualHosted: false,
    });
    assert.deepEqual(resolveAddress("/", "127.0.0.1:1"), { virtualHosted: false });
    assert.deepEqual(resolveAddress("/k//x", "b.oss-cn-hangzhou.aliyuncs.com"), {
      bucket: "b",
      key: "k//x",
      virtualHosted: true,
    });
    assert.deepEqual(resolveAddress("/", "b.oss-cn-hangzhou.aliyuncs.com"), {
      bucket: "b",
      key: undefined,
      virtualHosted: true,
    });
  });

  it("splits URLs and parses queries", () => {
    assert.deepEqual(splitUrl("http://h:1/b/k?uploads#x"), { path: "/b/k", query: "uploads" });
    assert.deepEqual(splitUrl("http://h:1"), { path: "/", query: "" });
    assert.deepEqual(parseQuery("uploadId=A%2B1&partNumber=2&acl&prefix=a+b"), [
      ["uploadId", "A+1"],
      ["partNumber", "2"],
      ["acl", undefined],
      ["prefix", "a b"],
    ]);
  });

  it("names operations", () => {
    const h = new Headers();
    const copy = new Headers({ "x-oss-copy-source": "/b/k" });
    const cases: [
      string,
      string | undefined,
      string | undefined,
      [string, string | undefined][],
      Headers,
      string,
    ][] = [
      ["GET", undefined, undefined, [], h, "ListBuckets"],
      ["PUT", "b", undefined, [], h, "PutBucket"],
      ["GET", "b", undefined, [["list-type", "2"]], h, "ListObjectsV2"],
      ["GET", "b", undefined, [["uploads", undefined]], h, "ListMultipartUploads"],
      ["POST", "b", undefined, [["delete", undefined]], h, "DeleteMultipleObjects"],
      ["PUT", "b", "k", [], copy, "CopyObject"],
      ["PUT", "b", "k", [["partNumber", "1"], ["uploadId", "u"]], h, "UploadPart"],
      ["PUT", "b", "k", [["partNumber", "1"], ["uploadId", "u"]], copy, "UploadPartCopy"],
      ["POST", "b", "k", [["uploads", undefined]], h, "InitiateMultipartUpload"],
      ["POST", "b", "k", [["uploadId", "u"]], h, "CompleteMultipartUpload"],
      ["DELETE", "b", "k", [["uploadId", "u"]], h, "AbortMultipartUpload"],
      ["GET", "b", "k", [["uploadId", "u"]], h, "ListParts"],
      ["HEAD", "b", "k", [], h, "HeadObject"],
      ["PUT", "b", "k", [["acl", undefined]], h, "PutObjectAcl"],
    ];
    for (const [m, b, k, q, hh, op] of cases) assert.equal(operationOf(m, b, k, q, hh), op);
    assert.throws(() => operationOf("PATCH", "b", "k", [], h), ServerError);
  });
});

describe("addressing over a socket", () => {
  let server: TestServer;
  const B = "addr";
  before(async () => {
    server = await startServer();
    assert.equal((await ossFetch(server, { method: "PUT", bucket: B })).status, 200);
  });
  after(async () => {
    await server.close();
  });

  const getText = async (key: string) => {
    const r = await ossFetch(server, { bucket: B, key });
    return r.status === 200 ? await r.text() : `status ${r.status}`;
  };

  it("accepts virtual-hosted requests with any <bucket>.<host> Host header", async () => {
    for (
      const host of [
        "addr.oss-cn-hangzhou.aliyuncs.com",
        `addr.localhost:${server.endpoint.split(":")[1]}`,
      ]
    ) {
      const key = `vh/${host}.txt`;
      const body = "virtual " + host;
      const r = await rawRequest(server, {
        method: "PUT",
        target: "/" + encodeURIComponent(key).replaceAll("%2F", "/"),
        headers: [
          ["Host", host],
          ["Content-Length", String(body.length)],
          ...await signedHeaderLines(server, { method: "PUT", bucket: B, key }),
        ],
        body,
      });
      assert.equal(r?.status, 200, r?.text);
      assert.equal(await getText(key), body);
      const g = await rawRequest(server, {
        method: "GET",
        target: "/?prefix=vh%2F",
        headers: [
          ["Host", host],
          ...await signedHeaderLines(server, {
            method: "GET",
            bucket: B,
            query: [["prefix", "vh/"]],
          }),
        ],
      });
      assert.equal(g?.status, 200);
      assert.match(g!.text, /<Name>addr<\/Name>/);
    }
  });

  it("decodes Go SDK style keys (%2F, %2B, + as space)", async () => {
    const key = "dir/a+b c.bin";
    const r = await rawRequest(server, {
      method: "PUT",
      target: `/${B}/dir%2Fa%2Bb+c.bin`,
      headers: [
        ["Content-Length", "2"],
        ...await signedHeaderLines(server, { method: "PUT", bucket: B, key }),
      ],
      body: "go",
    });
    assert.equal(r?.status, 200, r?.text);
    assert.equal(await getText(key), "go");
    // ali-oss style: encodeURIComponent with / kept.
    const r2 = await rawRequest(server, {
      method: "GET",
      target: `/${B}/dir/a%2Bb%20c.bin`,
      headers: await signedHeaderLines(server, { method: "GET", bucket: B, key }),
    });
    assert.equal(r2?.status, 200);
    assert.equal(r2?.text, "go");
  });

  it("keeps UTF-8 keys, literal % and percent-escapes that decode to %2F", async () => {
    for (
      const key of [
        "中文/文件 名.txt",
        "100%/x",
        "a%2Fb",
        "emoji-\u{1F600}",
        "tab\there",
        "q?x=1#y",
      ]
    ) {
      const put = await ossFetch(server, { method: "PUT", bucket: B, key, body: key });
      assert.equal(put.status, 200, key);
      assert.equal(await getText(key), key);
    }
  });

  it("answers InvalidURI for bad percent-encoding", async () => {
    const r = await rawRequest(server, {
      method: "GET",
      target: `/${B}/bad%ZZ`,
      headers: [["Authorization", "OSS test-ak:x"], ["Date", new Date().toUTCString()]],
    });
    assert.equal(r?.status, 400);
    assert.match(r!.text, /<Code>InvalidURI<\/Code>/);
  });
});
