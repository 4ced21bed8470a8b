import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  canonicalRequestV4,
  dateForV1,
  type OssCredentials,
  presignV1,
  presignV4,
  type RequestToSign,
  signatureV1,
  signatureV4,
  signV1,
  signV4,
  stringToSignV1,
  stringToSignV4,
  webCryptoSha1,
  webCryptoSha256,
} from "../lib/signing/signing.ts";
import {
  parseAuthorizationV1,
  parseAuthorizationV4,
  parseCredentialV4,
  signaturesEqual,
} from "../lib/server/_authorization.ts";
import { nodeSha1 } from "../lib/adapters/node_api/node_sha1.ts";
import { keyedNodeSha256, nodeSha256 } from "../lib/adapters/node_api/node_sha256.ts";
// ali-oss (npm, devDependency) serves as an independent implementation to cross-check against.
import aliOssSignUtils from "ali-oss/lib/common/signUtils.js";

// Vectors from the official Go SDK v2 unless said otherwise:
// aliyun/alibabacloud-oss-go-sdk-v2, oss/signer/signer_test.go. The same V4 request stands in
// the C++, Python v2, C# and Swift SDKs' tests.

const AK_SK: OssCredentials = { accessKeyId: "ak", accessKeySecret: "sk" };
const AK_SK_TOKEN: OssCredentials = { ...AK_SK, securityToken: "token" };
const at = (unixSeconds: number) => new Date(unixSeconds * 1000);

/** The request every V4 vector of signer_test.go signs. */
function goV4Request(contentType = "text/plain"): RequestToSign {
  return {
    method: "PUT",
    bucket: "bucket",
    key: "1234+-/123/1.txt",
    query: [
      ["param1", "value1"],
      ["+param1", "value3"],
      ["|param1", "value4"],
      ["+param2", ""],
      ["|param2", ""],
      ["param2", ""],
    ],
    headers: new Headers({
      "x-oss-head1": "value",
      abc: "value",
      ZAbc: "value",
      XYZ: "value",
      "content-type": contentType,
    }),
  };
}

/** The request of signer_test.go's V1 header vectors (TestV1AuthHeader). */
function goV1Request(bucketLevel = false, query: RequestToSign["query"] = []): RequestToSign {
  const date = "Wed, 28 Dec 2022 10:27:41 GMT";
  return {
    method: bucketLevel ? "GET" : "PUT",
    bucket: "examplebucket",
    key: bucketLevel ? undefined : "nelson",
    query,
    headers: new Headers(
      bucketLevel ? { "x-oss-date": date } : {
        "Content-MD5": "eB5eJF1ptWaXm4bijSPyxw==",
        "Content-Type": "text/html",
        "x-oss-meta-author": "alice",
        "x-oss-meta-magic": "abracadabra",
        "x-oss-date": date,
      },
    ),
  };
}

function queryOf(params: [string, string][]): Map<string, string> {
  return new Map(params);
}

// Every hash provider must give the vendor's signatures: crypto.subtle (the default, and the
// web entry's) and node:crypto (what the Deno entry injects; the Node and Bun entries import
// each key once).
for (
  const [hashes, sha256] of [
    ["crypto.subtle", webCryptoSha256],
    ["node:crypto", nodeSha256],
    ["node:crypto, keys imported", keyedNodeSha256],
  ] as const
) {
  describe(`signV4 (signer_test.go vectors), on ${hashes}`, () => {
    it("TestV4AuthHeader", async () => {
      const req = goV4Request();
      await signV4(req, { credentials: AK_SK, region: "cn-hangzhou", sha256, now: at(1702743657) });
      assert.equal(
        req.headers.get("authorization"),
        "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request," +
          "Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe",
      );
      assert.equal(req.headers.get("x-oss-date"), "20231216T162057Z");
      assert.equal(req.headers.get("x-oss-content-sha256"), "UNSIGNED-PAYLOAD");
      assert.equal(req.headers.has("x-oss-security-token"), false);
    });

    it("TestV4AuthHeaderToken", async () => {
      const req = goV4Request();
      await signV4(req, {
        credentials: AK_SK_TOKEN,
        region: "cn-hangzhou",
        sha256,
        now: at(1702784856),
      });
      assert.equal(
        req.headers.get("authorization"),
        "OSS4-HMAC-SHA256 Credential=ak/20231217/cn-hangzhou/oss/aliyun_v4_request," +
          "Signature=b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea",
      );
      assert.equal(req.headers.get("x-oss-security-token"), "token");
    });

    it("TestV4AuthHeaderWithAdditionalHeaders, both cases", async () => {
      const expected =
        "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request," +
        "AdditionalHeaders=abc;zabc," +
        "Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f";
      for (
        const additionalHeaders of [
          ["ZAbc", "abc"],
          // Default-signed and absent names are dropped from the list.
          ["x-oss-no-exist", "ZAbc", "x-oss-head1", "abc"],
        ]
      ) {
        const req = goV4Request();
        await signV4(req, {
          credentials: AK_SK,
          region: "cn-hangzhou",
          sha256,
          now: at(1702747512),
          additionalHeaders,
        });
        assert.equal(req.headers.get("authorization"), expected);
      }
    });

    it("TestV4AuthHeaderWithCloudBox, through the building blocks", async () => {
      // The cloud-box variant differs only in the scope's region and product.
      const req = goV4Request();
      req.headers.set("x-oss-date", "20231216T162057Z");
      req.headers.set("x-oss-content-sha256", "UNSIGNED-PAYLOAD");
      const sts = await stringToSignV4(
        canonicalRequestV4(req, []),
        "20231216T162057Z",
        "cb-123",
        "oss-cloudbox",
        sha256,
      );
      assert.equal(
        await signatureV4("sk", "20231216", "cb-123", sts, "oss-cloudbox", sha256),
        "94ce1f12c17d148ea681030275a94449d3357f5b5b21133996eec80af3e08a43",
      );
    });
  });

  describe(`presignV4 (signer_test.go vectors), on ${hashes}`, () => {
    it("TestV4AuthQuery", async () => {
      const req = goV4Request("application/octet-stream");
      const q = queryOf(
        await presignV4(req, {
          credentials: AK_SK,
          region: "cn-hangzhou",
          sha256,
          now: at(1702781677),
          expires: 599,
        }),
      );
      assert.equal(q.get("x-oss-signature-version"), "OSS4-HMAC-SHA256");
      assert.equal(q.get("x-oss-expires"), "599");
      assert.equal(q.get("x-oss-credential"), "ak/20231217/cn-hangzhou/oss/aliyun_v4_request");
      assert.equal(
        q.get("x-oss-signature"),
        "a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe",
      );
      assert.equal(q.has("x-oss-additional-headers"), false);
      assert.equal(q.has("x-oss-security-token"), false);
      // The request itself is left alone.
      assert.equal(req.query.length, 6);
      assert.equal(req.headers.has("authorization"), false);
    });

    it("TestV4AuthQueryToken", async () => {
      const q = queryOf(
        await presignV4(goV4Request("application/octet-stream"), {
          credentials: AK_SK_TOKEN,
          region: "cn-hangzhou",
          sha256,
          now: at(1702785388),
          expires: 599,
        }),
      );
      assert.equal(q.get("x-oss-date"), "20231217T035628Z");
      assert.equal(q.get("x-oss-security-token"), "token");
      assert.equal(
        q.get("x-oss-signature"),
        "3817ac9d206cd6dfc90f1c09c00be45005602e55898f26f5ddb06d7892e1f8b5",
      );
    });

    it("TestV4AuthQueryWithAdditionalHeaders, both cases", async () => {
      for (
        const additionalHeaders of [
          ["ZAbc", "abc"],
          ["x-oss-no-exist", "abc", "x-oss-head1", "ZAbc"],
        ]
      ) {
        const params = await presignV4(goV4Request("application/octet-stream"), {
          credentials: AK_SK,
          region: "cn-hangzhou",
          sha256,
          now: at(1702783809),
          expires: 599,
          additionalHeaders,
        });
        const q = queryOf(params);
        assert.equal(q.get("x-oss-date"), "20231217T033009Z");
        assert.equal(q.get("x-oss-additional-headers"), "abc;zabc");
        assert.equal(
          q.get("x-oss-signature"),
          "6bd984bfe531afb6db1f7550983a741b103a8c58e5e14f83ea474c2322dfa2b7",
        );
        assert.equal(params.at(-1)?.[0], "x-oss-signature");
      }
    });

    it("rejects an expiry OSS would refuse", async () => {
      for (const expires of [0, -1, 1.5, 604801, Number.NaN]) {
        await assert.rejects(
          presignV4(goV4Request(), { credentials: AK_SK, region: "cn-hangzhou", expires }),
          RangeError,
        );
      }
    });
  });
}

// V1 on both HMAC-SHA1 providers: crypto.subtle (the default) and node:crypto (the entries').
for (
  const [hashes, sha1] of [["crypto.subtle", webCryptoSha1], ["node:crypto", nodeSha1]] as const
) {
  describe(`signV1 (signer_test.go TestV1AuthHeader), on ${hashes}`, () => {
    const date = "Wed, 28 Dec 2022 10:27:41 GMT";
    const cases: [string, RequestToSign, string, string][] = [
      [
        "object",
        goV1Request(),
        `PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\n${date}\nx-oss-date:${date}\n` +
        "x-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n/examplebucket/nelson",
        "OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=",
      ],
      [
        "object ?acl",
        { ...goV1Request(), query: [["acl", undefined]] },
        `PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\n${date}\nx-oss-date:${date}\n` +
        "x-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n/examplebucket/nelson?acl",
        "OSS ak:/afkugFbmWDQ967j1vr6zygBLQk=",
      ],
      [
        "bucket ?resourceGroup&non-resousce=null",
        goV1Request(true, [["resourceGroup", undefined], ["non-resousce", "null"]]),
        `GET\n\n\n${date}\nx-oss-date:${date}\n/examplebucket/?resourceGroup`,
        "OSS ak:vkQmfuUDyi1uDi3bKt67oemssIs=",
      ],
      [
        "bucket ?resourceGroup&acl",
        goV1Request(true, [["resourceGroup", undefined], ["acl", undefined]]),
        `GET\n\n\n${date}\nx-oss-date:${date}\n/examplebucket/?acl&resourceGroup`,
        "OSS ak:x3E5TgOvl/i7PN618s5mEvpJDYk=",
      ],
    ];
    for (const [name, req, stringToSign, authorization] of cases) {
      it(name, async () => {
        assert.equal(stringToSignV1(req, date), stringToSign);
        await signV1(req, { credentials: AK_SK, sha1 });
        assert.equal(req.headers.get("authorization"), authorization);
        // x-oss-date stood in for Date, so none was added.
        assert.equal(req.headers.has("date"), false);
      });
    }

    it("sets Date from the injected clock and the token header", async () => {
      const req: RequestToSign = {
        method: "GET",
        bucket: "b",
        key: "k",
        query: [],
        headers: new Headers(),
      };
      await signV1(req, { credentials: AK_SK_TOKEN, sha1, now: at(1672223261) });
      assert.equal(req.headers.get("date"), "Wed, 28 Dec 2022 10:27:41 GMT");
      assert.equal(req.headers.get("x-oss-security-token"), "token");
      const sts = "GET\n\n\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-security-token:token\n/b/k";
      assert.equal(
        req.headers.get("authorization"),
        `OSS ak:${await signatureV1("sk", sts, sha1)}`,
      );
    });

    it("keeps a caller's Date unless a clock is injected", async () => {
      const req: RequestToSign = {
        method: "GET",
        bucket: "b",
        key: "k",
        query: [],
        headers: new Headers({ date: "Thu, 01 Jan 1970 00:00:00 GMT" }),
      };
      await signV1(req, { credentials: AK_SK, sha1 });
      assert.equal(req.headers.get("date"), "Thu, 01 Jan 1970 00:00:00 GMT");
      await signV1(req, { credentials: AK_SK, sha1, now: at(1672223261) });
      assert.equal(req.headers.get("date"), "Wed, 28 Dec 2022 10:27:41 GMT");
    });
  });

  describe(`presignV1 (signer_test.go TestV1AuthQuery), on ${hashes}`, () => {
    it("case 1: versionId", async () => {
      const params = await presignV1(
        {
          method: "GET",
          bucket: "bucket",
          key: "key",
          query: [["versionId", "versionId"]],
          headers: new Headers(),
        },
        // The vector fixes the expiry (1699807420); any now + expires reaching it signs the same.
        { credentials: AK_SK, sha1, now: at(1699807420 - 900), expires: 900 },
      );
      assert.deepEqual(params, [
        ["OSSAccessKeyId", "ak"],
        ["Expires", "1699807420"],
        ["Signature", "dcLTea+Yh9ApirQ8o8dOPqtvJXQ="],
      ]);
    });

    it("case 2: key with +, STS token", async () => {
      const params = await presignV1(
        {
          method: "GET",
          bucket: "bucket",
          key: "key+123",
          query: [["versionId", "versionId"]],
          headers: new Headers(),
        },
        { credentials: AK_SK_TOKEN, sha1, now: at(1699808204 - 60), expires: 60 },
      );
      assert.deepEqual(params, [
        ["OSSAccessKeyId", "ak"],
        ["Expires", "1699808204"],
        ["Signature", "jzKYRrM5y6Br0dRFPaTGOsbrDhY="],
        ["security-token", "token"],
      ]);
    });

    it("rejects a non-positive expiry", async () => {
      await assert.rejects(
        presignV1(goV1Request(), { credentials: AK_SK, sha1, expires: 0 }),
        RangeError,
      );
    });
  });
}

describe("canonical forms", () => {
  it("escapes a UTF-8 key with spaces, +, % and reserved characters, keeping /", () => {
    const req: RequestToSign = {
      method: "put",
      bucket: "b",
      key: "dir/a+b c%d/中文!*'()~.txt",
      query: [],
      headers: new Headers(),
    };
    const [method, uri] = canonicalRequestV4(req, []).split("\n");
    assert.equal(method, "PUT");
    assert.equal(uri, "/b/dir/a%2Bb%20c%25d/%E4%B8%AD%E6%96%87%21%2A%27%28%29~.txt");
    // V1 signs the key raw.
    assert.ok(stringToSignV1(req, "D").endsWith("\n/b/dir/a+b c%d/中文!*'()~.txt"));
  });

  it("writes /bucket/ for a bucket and / for the service", () => {
    const headers = new Headers();
    assert.equal(
      canonicalRequestV4({ method: "GET", bucket: "b", query: [], headers }, []).split("\n")[1],
      "/b/",
    );
    assert.equal(canonicalRequestV4({ method: "GET", query: [], headers }, []).split("\n")[1], "/");
    assert.equal(stringToSignV1({ method: "GET", query: [], headers }, "D"), "GET\n\n\nD\n/");
  });

  it("writes a query parameter with an empty or absent value without =", () => {
    const req: RequestToSign = {
      method: "GET",
      bucket: "b",
      key: "k",
      query: [["uploads", undefined], ["prefix", ""], ["max-keys", "10"], ["a b", "c/d+e"]],
      headers: new Headers(),
    };
    assert.equal(
      canonicalRequestV4(req, []).split("\n")[2],
      "a%20b=c%2Fd%2Be&max-keys=10&prefix&uploads",
    );
  });

  it("signs x-oss-*, content-type, content-md5 and listed headers, trimmed and sorted", () => {
    const req: RequestToSign = {
      method: "PUT",
      bucket: "b",
      key: "k",
      query: [],
      headers: new Headers({
        "X-OSS-Meta-B": "  two ",
        "x-oss-meta-a": "one",
        "Content-MD5": "md5",
        "content-type": "text/plain",
        "content-length": "3",
        host: "b.example",
      }),
    };
    assert.equal(
      canonicalRequestV4(req, ["host"]),
      "PUT\n/b/k\n\ncontent-md5:md5\ncontent-type:text/plain\nhost:b.example\n" +
        "x-oss-meta-a:one\nx-oss-meta-b:two\n\nhost\nUNSIGNED-PAYLOAD",
    );
  });

  it("puts only sub-resources and x-oss-* parameters in the V1 resource, sorted", () => {
    const req: RequestToSign = {
      method: "GET",
      bucket: "b",
      key: "k",
      query: [
        ["uploadId", "U"],
        ["max-parts", "10"],
        ["partNumber", "2"],
        ["x-oss-process", "image/resize,w_100"],
        ["response-content-type", "text/plain"],
        ["prefix", "p"],
      ],
      headers: new Headers(),
    };
    assert.equal(
      stringToSignV1(req, "D"),
      "GET\n\n\nD\n/b/k?partNumber=2&response-content-type=text/plain&uploadId=U" +
        "&x-oss-process=image/resize,w_100",
    );
  });

  it("is deterministic under an injected clock", async () => {
    const sign = async () => {
      const req = goV4Request();
      await signV4(req, { credentials: AK_SK, region: "cn-hangzhou", now: at(1702743657) });
      return req.headers.get("authorization");
    };
    assert.equal(await sign(), await sign());
  });
});

describe("parseAuthorization", () => {
  it("parses V4 with and without AdditionalHeaders, tolerating spaces", () => {
    assert.deepEqual(
      parseAuthorizationV4(
        "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request, " +
          "AdditionalHeaders=abc;zabc, Signature=4a41",
      ),
      {
        accessKeyId: "ak",
        day: "20231216",
        region: "cn-hangzhou",
        product: "oss",
        additionalHeaders: ["abc", "zabc"],
        signature: "4a41",
      },
    );
    assert.deepEqual(
      parseAuthorizationV4(
        "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e2",
      )?.additionalHeaders,
      [],
    );
  });

  it("refuses malformed V4 values", () => {
    for (
      const bad of [
        "",
        "OSS ak:sig",
        "OSS4-HMAC-SHA256 Signature=e2",
        "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request",
        "OSS4-HMAC-SHA256 Credential=ak/2023-12-16/cn-hangzhou/oss/aliyun_v4_request,Signature=e2",
        "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/v4_request,Signature=e2",
        "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,junk",
        "AWS4-HMAC-SHA256 Credential=ak/20231216/us-east-1/s3/aws4_request,Signature=e2",
      ]
    ) {
      assert.equal(parseAuthorizationV4(bad), undefined, bad);
    }
    assert.equal(parseCredentialV4("ak/20231216/cn-hangzhou/oss"), undefined);
  });

  it("parses and refuses V1 values", () => {
    assert.deepEqual(parseAuthorizationV1("OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M="), {
      accessKeyId: "ak",
      signature: "kSHKmLxlyEAKtZPkJhG9bZb5k7M=",
    });
    for (
      const bad of ["", "OSS ak", "OSS :sig", "OSS ak:", "Basic YWs6c2s=", "OSS4-HMAC-SHA256 x"]
    ) {
      assert.equal(parseAuthorizationV1(bad), undefined, bad);
    }
  });
});

// What the local server does: parse, recompute with the building blocks, compare.
async function verifyV4Header(req: RequestToSign, secret: string): Promise<boolean> {
  const auth = parseAuthorizationV4(req.headers.get("authorization") ?? "");
  if (!auth) return false;
  const isoDate = req.headers.get("x-oss-date") ?? "";
  if (isoDate.slice(0, 8) !== auth.day) return false;
  const sts = await stringToSignV4(
    canonicalRequestV4(req, auth.additionalHeaders),
    isoDate,
    auth.region,
    auth.product,
  );
  const expected = await signatureV4(secret, auth.day, auth.region, sts, auth.product);
  return signaturesEqual(expected, auth.signature);
}

async function verifyV4Query(req: RequestToSign, secret: string): Promise<boolean> {
  const q = new Map(req.query);
  const credential = parseCredentialV4(q.get("x-oss-credential") ?? "");
  const signature = q.get("x-oss-signature");
  const isoDate = q.get("x-oss-date") ?? "";
  if (!credential || !signature) return false;
  const additional = q.get("x-oss-additional-headers")?.split(";") ?? [];
  const rest = { ...req, query: req.query.filter(([k]) => k !== "x-oss-signature") };
  const sts = await stringToSignV4(
    canonicalRequestV4(rest, additional),
    isoDate,
    credential.region,
  );
  const expected = await signatureV4(secret, credential.day, credential.region, sts);
  return signaturesEqual(expected, signature);
}

async function verifyV1(req: RequestToSign, secret: string): Promise<boolean> {
  const q = new Map(req.query);
  const presigned = q.get("Signature");
  const auth = presigned === undefined
    ? parseAuthorizationV1(req.headers.get("authorization") ?? "")
    : { accessKeyId: q.get("OSSAccessKeyId") ?? "", signature: presigned };
  if (!auth) return false;
  const date = presigned === undefined ? dateForV1(req.headers) : q.get("Expires");
  if (date === undefined) return false;
  const expected = await signatureV1(secret, stringToSignV1(req, date));
  return signaturesEqual(expected, auth.signature);
}

describe("round trip: sign, parse, verify", () => {
  const key = "dir/ä ö+ü%20x/文件 (1).bin";
  const fresh = (): RequestToSign => ({
    method: "PUT",
    bucket: "bucket",
    key,
    query: [["partNumber", "3"], ["uploadId", "0004B999EF5A239BB9138C6227D6****"]],
    headers: new Headers({ "content-type": "application/octet-stream", "x-oss-meta-x": "1" }),
  });
  const tamperings: [string, (r: RequestToSign) => void][] = [
    ["key", (r) => (r.key = `${key}x`)],
    ["method", (r) => (r.method = "POST")],
    ["query value", (r) => (r.query[0][1] = "4")],
    ["content-type", (r) => r.headers.set("content-type", "text/plain")],
    ["x-oss-* header", (r) => r.headers.set("x-oss-meta-x", "2")],
  ];

  for (const credentials of [AK_SK, AK_SK_TOKEN]) {
    const sts = credentials.securityToken ? " with STS" : "";
    it(`V4 header${sts}`, async () => {
      const req = fresh();
      req.headers.set("host", "bucket.example");
      await signV4(req, { credentials, region: "cn-hangzhou", additionalHeaders: ["Host"] });
      assert.equal(await verifyV4Header(req, "sk"), true);
      assert.equal(await verifyV4Header(req, "other-secret"), false);
      for (const [, tamper] of tamperings) {
        const copy = {
          ...req,
          query: req.query.map(([k, v]) => [k, v]),
          headers: new Headers(req.headers),
        } as RequestToSign;
        tamper(copy);
        assert.equal(await verifyV4Header(copy, "sk"), false);
      }
      // An additional header is signed too.
      req.headers.set("host", "evil.example");
      assert.equal(await verifyV4Header(req, "sk"), false);
    });

    it(`V4 presigned${sts}`, async () => {
      const req = fresh();
      const params = await presignV4(req, { credentials, region: "cn-hangzhou", expires: 60 });
      // Through a real URL and back, as a server sees it.
      const url = new URL("http://127.0.0.1/bucket/x");
      for (const [k, v] of [...req.query, ...params]) url.searchParams.append(k, v ?? "");
      const received = { ...req, query: [...url.searchParams] as [string, string][] };
      assert.equal(await verifyV4Query(received, "sk"), true);
      assert.equal(await verifyV4Query(received, "other-secret"), false);
      for (const [, tamper] of tamperings) {
        const copy = {
          ...received,
          query: received.query.map(([k, v]) => [k, v]),
          headers: new Headers(received.headers),
        } as RequestToSign;
        tamper(copy);
        assert.equal(await verifyV4Query(copy, "sk"), false);
      }
    });

    it(`V1 header${sts}`, async () => {
      const req = fresh();
      await signV1(req, { credentials });
      assert.equal(await verifyV1(req, "sk"), true);
      assert.equal(await verifyV1(req, "other-secret"), false);
      for (const [name, tamper] of tamperings) {
        const copy = {
          ...req,
          query: req.query.map(([k, v]) => [k, v]),
          headers: new Headers(req.headers),
        } as RequestToSign;
        tamper(copy);
        assert.equal(await verifyV1(copy, "sk"), false, name);
      }
    });

    it(`V1 presigned${sts}`, async () => {
      const req = fresh();
      const params = await presignV1(req, { credentials, expires: 60 });
      const received = { ...req, query: [...req.query, ...params] };
      assert.equal(await verifyV1(received, "sk"), true);
      assert.equal(await verifyV1(received, "other-secret"), false);
      const forged = {
        ...received,
        query: received.query.map((
          [k, v],
        ): [string, string | undefined] => [k, k === "Expires" ? "9999999999" : v]),
      };
      assert.equal(await verifyV1(forged, "sk"), false);
    });
  }

  it("re-signing replaces the date and signature (a retry with a corrected clock)", async () => {
    const req = fresh();
    await signV4(req, { credentials: AK_SK, region: "cn-hangzhou", now: at(1702743657) });
    const first = req.headers.get("authorization");
    await signV4(req, { credentials: AK_SK, region: "cn-hangzhou", now: at(1702743957) });
    assert.equal(req.headers.get("x-oss-date"), "20231216T162557Z");
    assert.notEqual(req.headers.get("authorization"), first);
    assert.equal(await verifyV4Header(req, "sk"), true);
  });
});

describe("secrets stay out of errors", () => {
  const SECRET = "SUPER-SECRET-KEY-9f8e7d";
  const TOKEN = "STS-TOKEN-CAIS-4c3b2a";
  const leaks = (err: unknown): boolean => {
    const e = err as Error;
    const text = [String(e), e.message, e.stack ?? "", JSON.stringify(e)].join("\n");
    return text.includes(SECRET) || text.includes(TOKEN);
  };
  const req = (): RequestToSign => ({
    method: "GET",
    bucket: "b",
    key: "k",
    query: [],
    headers: new Headers(),
  });

  it("on bad credentials, expiry, clock and keys", async () => {
    const noId = { accessKeyId: "", accessKeySecret: SECRET, securityToken: TOKEN };
    const badToken = { accessKeyId: "ak", accessKeySecret: SECRET, securityToken: 42 as never };
    const good = { accessKeyId: "ak", accessKeySecret: SECRET, securityToken: TOKEN };
    const attempts: Promise<unknown>[] = [
      signV4(req(), { credentials: noId, region: "cn-hangzhou" }),
      signV1(req(), { credentials: noId }),
      presignV4(req(), { credentials: noId, region: "cn-hangzhou", expires: 60 }),
      presignV1(req(), { credentials: noId, expires: 60 }),
      signV4(req(), { credentials: badToken, region: "cn-hangzhou" }),
      signV4(req(), { credentials: { accessKeyId: "ak", accessKeySecret: "" }, region: "r" }),
      presignV4(req(), { credentials: good, region: "cn-hangzhou", expires: 10 ** 9 }),
      presignV1(req(), { credentials: good, expires: -5 }),
      signV4(req(), { credentials: good, region: "cn-hangzhou", now: new Date(Number.NaN) }),
      signV1(req(), { credentials: good, now: new Date(Number.NaN) }),
      signV4({ ...req(), key: "bad\uD800key" }, { credentials: good, region: "cn-hangzhou" }),
    ];
    for (const attempt of attempts) {
      const err = await attempt.then(() => undefined, (e) => e);
      assert.ok(err instanceof TypeError || err instanceof RangeError, String(err));
      assert.equal(leaks(err), false, String(err));
    }
  });
});

describe("helpers", () => {
  it("dateForV1 prefers x-oss-date", () => {
    assert.equal(dateForV1(new Headers({ date: "A", "x-oss-date": "B" })), "B");
    assert.equal(dateForV1(new Headers({ date: "A" })), "A");
    assert.equal(dateForV1(new Headers()), undefined);
  });

  it("signaturesEqual", () => {
    assert.equal(signaturesEqual("abc", "abc"), true);
    assert.equal(signaturesEqual("abc", "abd"), false);
    assert.equal(signaturesEqual("abc", "ab"), false);
    assert.equal(signaturesEqual("", ""), true);
  });
});

describe("agrees with ali-oss's signUtils (an independent implementation)", () => {
  // Requests as ali-oss builds them: a flag is `null`; values are non-empty (ali-oss writes a
  // `k=` for an empty value, see the empty-value test above for OSS's rule).
  const cases: {
    method: string;
    bucket?: string;
    key?: string;
    query: Record<string, string | null>;
  }[] = [
    { method: "PUT", bucket: "bucket", key: "plain.txt", query: {} },
    { method: "POST", bucket: "bucket", key: "dir/a+b c.bin", query: { uploads: null } },
    {
      method: "PUT",
      bucket: "bucket",
      key: "目录/ä ö%20ü/(1)!*'.bin",
      query: { partNumber: "7", uploadId: "0004B999EF5A239BB9138C6227D6****" },
    },
    {
      method: "GET",
      bucket: "bucket",
      key: "k",
      query: { uploadId: "U", "max-parts": "100", "part-number-marker": "5" },
    },
    {
      method: "GET",
      bucket: "bucket",
      query: { prefix: "a b/ü", "max-keys": "1000", marker: "m+1", delimiter: "/" },
    },
    { method: "GET", query: {} },
  ];
  const date = at(1702743657);

  for (const c of cases) {
    const name = `${c.method} /${c.bucket ?? ""}/${c.key ?? ""}?${Object.keys(c.query).join("&")}`;
    const ours = (): RequestToSign => ({
      method: c.method,
      bucket: c.bucket,
      key: c.key,
      query: Object.entries(c.query).map(([k, v]) => [k, v ?? undefined]),
      headers: new Headers({ "content-type": "application/octet-stream", "x-oss-meta-a": "b" }),
    });

    it(`V4 ${name}`, async () => {
      const req = ours();
      await signV4(req, { credentials: AK_SK_TOKEN, region: "cn-hangzhou", now: date });
      const headers = Object.fromEntries(req.headers);
      delete headers.authorization;
      const theirs = aliOssSignUtils.authorizationV4(
        "ak",
        "sk",
        "cn-hangzhou",
        c.method,
        { headers, queries: c.query },
        c.bucket,
        c.key,
      );
      assert.equal(req.headers.get("authorization"), theirs);
    });

    it(`V1 ${name}`, async () => {
      // ali-oss signs x-oss-date (a GMT date) in Date's place and passes sub-resources only.
      const req = ours();
      req.headers.set("x-oss-date", date.toUTCString());
      await signV1(req, { credentials: AK_SK_TOKEN });
      const headers = Object.fromEntries(req.headers);
      delete headers.authorization;
      const subres = Object.fromEntries(
        Object.entries(c.query).filter(([k]) =>
          !["max-parts", "part-number-marker", "prefix", "max-keys", "marker", "delimiter"]
            .includes(k)
        ),
      );
      const resource = `/${c.bucket === undefined ? "" : `${c.bucket}/`}${c.key ?? ""}`;
      const canonical = aliOssSignUtils.buildCanonicalString(c.method, resource, {
        headers,
        parameters: subres,
      }, ""); // no Expires: x-oss-date takes the Date slot
      assert.equal(
        req.headers.get("authorization"),
        aliOssSignUtils.authorization("ak", "sk", canonical, "utf-8"),
      );
    });
  }
});
