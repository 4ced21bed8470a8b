// Unit tests of the client's pure pieces: endpoints and URLs, retry policy,
// error parsing, redaction, request bodies, and the client's option defaults.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AbortError,
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isRetryableError,
  LOCAL_ENDPOINT_REGION,
  NetworkError,
  OssClient,
  OssError,
  parseEndpoint,
  regionFromEndpoint,
  resolveRetryPolicy,
  TimeoutError,
} from "../lib/web.ts";
import { buildUrl, escapeKey, escapeQuery } from "../lib/client/endpoint.ts";
import { isReplayableBody, prepareBody } from "../lib/client/body.ts";
import { parseErrorResponse, parseListObjects } from "../lib/client/_responses.ts";
import { redact, sleep } from "../lib/client/_request.ts";

const creds = { accessKeyId: "ak", accessKeySecret: "sk" };

describe("endpoints and URLs", () => {
  it("parses bare hosts, hosts with ports and URLs", () => {
    assert.deepEqual(parseEndpoint("oss-cn-hangzhou.aliyuncs.com"), {
      protocol: "https:",
      hostname: "oss-cn-hangzhou.aliyuncs.com",
      host: "oss-cn-hangzhou.aliyuncs.com",
      isIpOrLocalhost: false,
    });
    assert.equal(parseEndpoint("http://127.0.0.1:9000").host, "127.0.0.1:9000");
    assert.equal(parseEndpoint("http://127.0.0.1:9000").isIpOrLocalhost, true);
    assert.equal(parseEndpoint("localhost:9000").isIpOrLocalhost, true);
    assert.equal(parseEndpoint("http://[::1]:9000").isIpOrLocalhost, true);
    assert.equal(parseEndpoint("https://oss-cn-hangzhou.aliyuncs.com/").protocol, "https:");
    for (const bad of ["", "ftp://x", "https://h/path", "https://h/?q=1", "https://u:p@h"]) {
      assert.throws(() => parseEndpoint(bad), TypeError, bad);
    }
  });

  it("derives the region from OSS endpoints only", () => {
    assert.equal(regionFromEndpoint("oss-cn-hangzhou.aliyuncs.com"), "cn-hangzhou");
    assert.equal(regionFromEndpoint("oss-cn-hangzhou-internal.aliyuncs.com"), "cn-hangzhou");
    assert.equal(regionFromEndpoint("oss-ap-southeast-1.aliyuncs.com"), "ap-southeast-1");
    assert.equal(regionFromEndpoint("oss-accelerate.aliyuncs.com"), undefined);
    assert.equal(regionFromEndpoint("127.0.0.1"), undefined);
    assert.equal(regionFromEndpoint("example.com"), undefined);
  });

  it("escapes keys for paths and values for queries", () => {
    assert.equal(escapeKey("dir/a+b c.bin"), "dir/a%2Bb%20c.bin");
    assert.equal(escapeKey("ü/~._-"), "%C3%BC/~._-");
    assert.equal(escapeKey("x/../y"), "x%2F..%2Fy", "dot segments survive URL parsing");
    assert.equal(new URL("http://h/" + escapeKey("x/./y")).pathname, "/x%2F.%2Fy");
    // Keys that need nothing come back as they are; dot segments anywhere still escape.
    assert.equal(escapeKey("d12/f34.bin"), "d12/f34.bin");
    assert.equal(escapeKey("a/.b/..c/"), "a/.b/..c/");
    assert.equal(escapeKey("../x"), "..%2Fx");
    assert.equal(escapeKey("x/."), "x%2F.");
    assert.equal(escapeKey("./"), ".%2F");
    assert.equal(escapeQuery("a b/c*'()!"), "a%20b%2Fc%2A%27%28%29%21");
  });

  it("builds path-style and virtual-hosted URLs", () => {
    const ep = parseEndpoint("https://oss-cn-hangzhou.aliyuncs.com");
    const parts = {
      bucket: "b",
      key: "k 1",
      query: [["uploadId", "x y"], ["uploads", undefined]] as [string, string | undefined][],
    };
    assert.equal(
      buildUrl(ep, false, parts),
      "https://b.oss-cn-hangzhou.aliyuncs.com/k%201?uploadId=x%20y&uploads",
    );
    assert.equal(
      buildUrl(ep, true, parts),
      "https://oss-cn-hangzhou.aliyuncs.com/b/k%201?uploadId=x%20y&uploads",
    );
    assert.equal(buildUrl(ep, false, { bucket: "b" }), "https://b.oss-cn-hangzhou.aliyuncs.com/");
    assert.equal(buildUrl(ep, true, { bucket: "b" }), "https://oss-cn-hangzhou.aliyuncs.com/b/");
    assert.equal(buildUrl(ep, false, {}), "https://oss-cn-hangzhou.aliyuncs.com/");
  });
});

describe("client options", () => {
  it("addresses path-style for IP and localhost endpoints, virtual-hosted otherwise", () => {
    const ip = new OssClient({
      endpoint: "http://127.0.0.1:9000",
      region: "cn-hangzhou",
      ...creds,
    });
    assert.equal(ip.pathStyle, true);
    const local = new OssClient({ endpoint: "http://localhost:9000", region: "r", ...creds });
    assert.equal(local.pathStyle, true);
    const oss = new OssClient({ endpoint: "oss-cn-hangzhou.aliyuncs.com", ...creds });
    assert.equal(oss.pathStyle, false);
    assert.equal(oss.region, "cn-hangzhou");
    assert.equal(oss.signatureVersion, "v4");
    assert.equal(oss.endpoint, "https://oss-cn-hangzhou.aliyuncs.com");
    const forced = new OssClient({
      endpoint: "oss-cn-hangzhou.aliyuncs.com",
      pathStyle: true,
      ...creds,
    });
    assert.equal(forced.pathStyle, true);
  });

  it("signs for cn-hangzhou at an IP or localhost endpoint unless told, as the CLI does", () => {
    for (
      const endpoint of ["http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"]
    ) {
      const local = new OssClient({ endpoint, ...creds });
      assert.equal(local.region, LOCAL_ENDPOINT_REGION, endpoint);
      assert.equal(local.region, "cn-hangzhou");
    }
    const told = new OssClient({
      endpoint: "http://127.0.0.1:9000",
      region: "eu-west-1",
      ...creds,
    });
    assert.equal(told.region, "eu-west-1");
  });

  it("needs a region for V4 but not for V1", () => {
    assert.throws(() => new OssClient({ endpoint: "example.com", ...creds }), /region/);
    const v1 = new OssClient({ endpoint: "example.com", signatureVersion: "v1", ...creds });
    assert.equal(v1.region, undefined);
    assert.throws(
      () => new OssClient({ endpoint: "example.com", signatureVersion: "v2" as "v1", ...creds }),
      TypeError,
    );
  });

  it("checks bucket names, keys, part numbers and ranges before sending", async () => {
    const client = new OssClient({ endpoint: "oss-cn-hangzhou.aliyuncs.com", ...creds });
    assert.throws(() => client.bucket("A_b"), TypeError);
    assert.throws(() => client.bucket("ab"), TypeError);
    const bucket = client.bucket("abc");
    await assert.rejects(bucket.getObject(""), TypeError);
    // URL parsers collapse these into the bucket's path: PUT /abc/. would be PutBucket.
    await assert.rejects(bucket.putObject(".", "x"), /object key "\." cannot be addressed/);
    await assert.rejects(bucket.putObject("..", "x"), /object key "\.\." cannot be addressed/);
    await assert.rejects(bucket.uploadPart("k", "u", 0, new Uint8Array()), RangeError);
    await assert.rejects(bucket.uploadPart("k", "u", 10001, new Uint8Array()), RangeError);
    await assert.rejects(bucket.getObject("k", { range: { start: 5, end: 2 } }), RangeError);
    await assert.rejects(bucket.presignUrl("k", { expires: -1 }), RangeError);
  });
});

describe("retry policy", () => {
  it("fills defaults and checks ranges", () => {
    assert.deepEqual(resolveRetryPolicy(), DEFAULT_RETRY_POLICY);
    assert.equal(resolveRetryPolicy({ maxAttempts: 2 }).baseDelayMs, 200);
    assert.equal(resolveRetryPolicy(false).maxAttempts, 1);
    assert.throws(() => resolveRetryPolicy({ maxAttempts: 0 }), RangeError);
    assert.throws(() => resolveRetryPolicy({ baseDelayMs: -1 }), RangeError);
  });

  it("retries network errors, timeouts, 5xx and throttling; never other 4xx or aborts", () => {
    const oss = (status: number, code: string) => new OssError({ status, code, message: "" });
    assert.ok(isRetryableError(new NetworkError("reset")));
    assert.ok(isRetryableError(new TimeoutError("slow")));
    assert.ok(isRetryableError(oss(500, "InternalError")));
    assert.ok(isRetryableError(oss(503, "TotalQpsLimitExceeded")));
    assert.ok(isRetryableError(oss(429, "QpsLimitExceeded")));
    assert.ok(!isRetryableError(oss(403, "AccessDenied")));
    assert.ok(!isRetryableError(oss(404, "NoSuchKey")));
    assert.ok(!isRetryableError(oss(400, "InvalidArgument")));
    assert.ok(!isRetryableError(new AbortError("stop")));
    assert.ok(!isRetryableError(new TypeError("bad")));
  });

  it("backs off exponentially with full jitter, capped", () => {
    const p = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    const top = () => 0.999999;
    assert.equal(backoffDelay(1, p, top), 99);
    assert.equal(backoffDelay(2, p, top), 199);
    assert.equal(backoffDelay(3, p, top), 399);
    assert.equal(backoffDelay(5, p, top), 999);
    assert.equal(backoffDelay(9, p, top), 999);
    assert.equal(backoffDelay(4, p, () => 0), 0);
  });

  it("sleeps until aborted, leaving no timer", async () => {
    const controller = new AbortController();
    const waiting = sleep(600_000, controller.signal, "backoff");
    controller.abort();
    await assert.rejects(waiting, AbortError);
    await assert.rejects(sleep(1, AbortSignal.abort(), "x"), AbortError);
    await sleep(1, undefined, "x");
  });
});

describe("error answers", () => {
  const headers = (h: Record<string, string> = {}) =>
    new Headers({ "x-oss-request-id": "RID", date: "Sat, 16 Dec 2023 16:20:57 GMT", ...h });

  it("reads Code, Message, RequestId, HostId and EC, and nothing else", () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match.</Message>
<RequestId>BODYRID</RequestId><HostId>b.oss-cn-hangzhou.aliyuncs.com</HostId>
<StringToSign>PUT\n\n\nsecret-ish</StringToSign><SignatureProvided>abcdef</SignatureProvided><EC>0002-00000040</EC></Error>`;
    const { error, serverTime } = parseErrorResponse(
      { status: 403, headers: headers(), text: body },
      { operation: "PutObject", bucket: "b", key: "k" },
    );
    assert.equal(error.code, "SignatureDoesNotMatch");
    assert.equal(error.status, 403);
    assert.equal(error.requestId, "BODYRID");
    assert.equal(error.hostId, "b.oss-cn-hangzhou.aliyuncs.com");
    assert.equal(error.ec, "0002-00000040");
    assert.equal(error.operation, "PutObject");
    assert.equal(serverTime, Date.UTC(2023, 11, 16, 16, 20, 57));
    assert.ok(!error.message.includes("secret-ish") && !error.message.includes("abcdef"));
  });

  it("reads HEAD errors from x-oss-err, else names them after the status", () => {
    const xml = "<Error><Code>NoSuchBucket</Code><Message>gone</Message><EC>0015-1</EC></Error>";
    const fromHeader = parseErrorResponse(
      { status: 404, headers: headers({ "x-oss-err": btoa(xml) }), text: "" },
      { operation: "HeadObject", bucket: "b", key: "k" },
    ).error;
    assert.equal(fromHeader.code, "NoSuchBucket");
    assert.equal(fromHeader.ec, "0015-1");
    const key = parseErrorResponse({ status: 404, headers: headers(), text: "" }, {
      operation: "HeadObject",
      bucket: "b",
      key: "k",
    }).error;
    assert.equal(key.code, "NoSuchKey");
    assert.equal(key.requestId, "RID");
    const html = parseErrorResponse({ status: 502, headers: headers(), text: "<html>bad" }, {
      operation: "GetObject",
    }).error;
    assert.equal(html.code, "Unknown");
  });

  it("decodes url-encoded listings", () => {
    const page = parseListObjects({
      status: 200,
      headers: headers(),
      text: `<ListBucketResult><EncodingType>url</EncodingType><Prefix>a%2F</Prefix>
<IsTruncated>true</IsTruncated><NextMarker>a%2Fb%2Bc+d</NextMarker>
<Contents><Key>a%2Fb%2Bc+d</Key><Size>3</Size><ETag>"E"</ETag><LastModified>2023-12-16T16:20:57.000Z</LastModified></Contents>
</ListBucketResult>`,
    });
    assert.equal(page.prefix, "a/");
    assert.equal(page.objects[0].key, "a/b+c d");
    assert.equal(page.nextMarker, "a/b+c d");
    assert.equal(page.isTruncated, true);
  });
});

describe("redaction and bodies", () => {
  it("redacts URL queries and signature-like values", () => {
    const msg = redact(
      "error sending request for url (https://b.h/k?OSSAccessKeyId=a&Expires=1&Signature=abc%2B) " +
        "x-oss-security-token=TOKEN Signature=zzz",
    );
    assert.ok(!msg.includes("abc") && !msg.includes("TOKEN") && !msg.includes("zzz"), msg);
    assert.match(msg, /https:\/\/b\.h\/k\?<redacted>/);
  });

  it("prepares every body type, and knows which can be resent", async () => {
    assert.equal((await prepareBody("héllo")).length, 6);
    assert.equal((await prepareBody(new Uint8Array(4))).length, 4);
    assert.equal((await prepareBody(new ArrayBuffer(3))).length, 3);
    const blob = await prepareBody(new Blob(["ab"], { type: "image/png" }));
    assert.equal(blob.blobType, "image/png");
    assert.equal(blob.length, 2);
    const stream = await prepareBody(() => new Blob(["x"]).stream());
    assert.equal(stream.isStream, true);
    assert.equal((await prepareBody(undefined)).body, undefined);
    await assert.rejects(prepareBody(42 as unknown as string), TypeError);
    assert.equal(isReplayableBody(new Blob(["x"]).stream()), false);
    assert.equal(isReplayableBody(() => new Blob(["x"]).stream()), true);
    assert.equal(isReplayableBody(new Uint8Array(1)), true);
  });
});
