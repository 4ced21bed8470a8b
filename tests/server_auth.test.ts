/**
 * The server's authentication, against the real server on a socket: requests
 * signed with lib/signing/signing.ts (V1 and V4, in the header and presigned, with
 * and without STS tokens) are accepted, and each way of getting them wrong —
 * wrong secret, unknown key, tampered method / key / header / query / expiry,
 * skewed clock, expired URL, missing or wrong token, no signature — gets
 * OSS's error code and status. Errors never contain the secret, a signature
 * or a security token.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ALGORITHM_V4,
  canonicalRequestV4,
  type OssCredentials,
  presignV1,
  presignV4,
  type RequestToSign,
  signatureV4,
  signV1,
  signV4,
  stringToSignV4,
  UNSIGNED_PAYLOAD,
} from "../lib/signing/signing.ts";
import { startServer, type TestServer } from "./_server.ts";
import { assertOssError } from "./_assert_oss.ts";

const STS = {
  accessKeyId: "STS.test-temporary-ak",
  accessKeySecret: "sts-temporary-secret",
  securityToken: "CAIS-test-security-token-0123456789",
};
const BUCKET = "auth-bucket";
const KEY = "dir/a+b c.txt";
const CONTENT = "hello, signatures";

type Version = "v1" | "v4";

interface Sent {
  status: number;
  text: string;
  headers: Headers;
}

/** `/bucket/key?query`, keys escaped per segment so `/` survives. */
function urlOf(server: TestServer, req: RequestToSign, extra: [string, string][] = []): string {
  const path = `/${req.bucket ?? ""}${req.bucket === undefined ? "" : "/"}${
    (req.key ?? "").split("/").map(encodeURIComponent).join("/")
  }`;
  const query = [...req.query, ...extra]
    .map((
      [k, v],
    ) => (v === undefined
      ? encodeURIComponent(k)
      : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    )
    .join("&");
  return `${server.url}${path}${query ? `?${query}` : ""}`;
}

async function send(
  server: TestServer,
  req: RequestToSign,
  o: { extraQuery?: [string, string][]; body?: string } = {},
): Promise<Sent> {
  const res = await fetch(urlOf(server, req, o.extraQuery), {
    method: req.method,
    headers: req.headers,
    body: o.body,
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

function request(method: string, key?: string, query: [string, string | undefined][] = []) {
  return { method, bucket: BUCKET, key, query, headers: new Headers() } as RequestToSign;
}

async function sign(
  server: TestServer,
  version: Version,
  req: RequestToSign,
  credentials: OssCredentials,
  now?: Date,
): Promise<void> {
  if (version === "v1") await signV1(req, { credentials, now });
  else await signV4(req, { credentials, region: server.region, now });
}

async function presign(
  server: TestServer,
  version: Version,
  req: RequestToSign,
  credentials: OssCredentials,
  o: { expires?: number; now?: Date } = {},
): Promise<[string, string][]> {
  const expires = o.expires ?? 600;
  return version === "v1"
    ? await presignV1(req, { credentials, expires, now: o.now })
    : await presignV4(req, { credentials, region: server.region, expires, now: o.now });
}

function element(body: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];
}

/** Nothing secret in an error answer. */
function assertNoSecrets(sent: Sent, ...secrets: string[]): void {
  for (const s of secrets) {
    assert.ok(!sent.text.includes(s), `error body leaks ${s}`);
    for (const [, v] of sent.headers) assert.ok(!v.includes(s), `error header leaks ${s}`);
  }
}

function signatureOf(req: RequestToSign, params?: [string, string][]): string {
  if (params) return params.find(([k]) => k === "Signature" || k === "x-oss-signature")![1];
  const auth = req.headers.get("authorization")!;
  return auth.startsWith("OSS ")
    ? auth.slice(auth.indexOf(":") + 1)
    : /Signature=(\w+)/.exec(auth)![1];
}

describe("server authentication", () => {
  let server: TestServer;
  let creds: OssCredentials;

  before(async () => {
    server = await startServer({ stsCredentials: [STS] });
    creds = { accessKeyId: server.accessKeyId, accessKeySecret: server.accessKeySecret };
    const mk = request("PUT");
    await signV4(mk, { credentials: creds, region: server.region });
    assert.equal((await send(server, mk)).status, 200);
    const put = request("PUT", KEY);
    put.headers.set("content-type", "text/plain");
    await signV4(put, { credentials: creds, region: server.region });
    assert.equal((await send(server, put, { body: CONTENT })).status, 200);
  });

  after(async () => {
    await server?.close();
  });

  it("refuses a request with no signature: 403 AccessDenied", async () => {
    assertOssError(await send(server, request("GET", KEY)), 403, "AccessDenied");
    const list = { method: "GET", query: [], headers: new Headers() } as RequestToSign;
    assertOssError(await send(server, list), 403, "AccessDenied");
  });

  it("refuses a malformed Authorization header: 400 InvalidArgument", async () => {
    for (const value of ["OSS nocolon", "Basic dXNlcjpwYXNz", "OSS4-HMAC-SHA256 Credential=x"]) {
      const req = request("GET", KEY);
      req.headers.set("authorization", value);
      assertOssError(await send(server, req), 400, "InvalidArgument");
    }
  });

  for (const version of ["v1", "v4"] as const) {
    describe(`signature ${version} in the Authorization header`, () => {
      it("accepts a correctly signed request", async () => {
        const req = request("GET", KEY);
        await sign(server, version, req, creds);
        const sent = await send(server, req);
        assert.equal(sent.status, 200, sent.text);
        assert.equal(sent.text, CONTENT);
      });

      it("accepts a signed service-level request (ListBuckets)", async () => {
        const req = { method: "GET", query: [], headers: new Headers() } as RequestToSign;
        await sign(server, version, req, creds);
        const sent = await send(server, req);
        assert.equal(sent.status, 200, sent.text);
        assert.match(sent.text, /<Name>auth-bucket<\/Name>/);
      });

      it("wrong secret: 403 SignatureDoesNotMatch with StringToSign, no secret, no signature", async () => {
        const req = request("GET", KEY);
        const wrong = { accessKeyId: creds.accessKeyId, accessKeySecret: "not-the-secret" };
        await sign(server, version, req, wrong);
        const sent = await send(server, req);
        assertOssError(sent, 403, "SignatureDoesNotMatch");
        const sts = element(sent.text, "StringToSign");
        assert.ok(sts, "StringToSign is given");
        if (version === "v1") assert.ok(sts.endsWith(`/${BUCKET}/${KEY}`), sts);
        else {
          assert.ok(sts.startsWith("OSS4-HMAC-SHA256\n"), sts);
          assert.ok(element(sent.text, "CanonicalRequest")?.startsWith("GET\n"));
        }
        assert.equal(element(sent.text, "OSSAccessKeyId"), creds.accessKeyId);
        assertNoSecrets(sent, creds.accessKeySecret, "not-the-secret", signatureOf(req));
      });

      it("unknown AccessKey ID: 403 InvalidAccessKeyId", async () => {
        const req = request("GET", KEY);
        await sign(server, version, req, { accessKeyId: "no-such-ak", accessKeySecret: "x" });
        const sent = await send(server, req);
        assertOssError(sent, 403, "InvalidAccessKeyId");
        assert.equal(element(sent.text, "OSSAccessKeyId"), "no-such-ak");
      });

      it("tampered method: 403 SignatureDoesNotMatch", async () => {
        const req = request("GET", KEY);
        await sign(server, version, req, creds);
        assertOssError(
          await send(server, { ...req, method: "DELETE" }),
          403,
          "SignatureDoesNotMatch",
        );
        // And the object is still there: the refused DELETE did nothing.
        const check = request("GET", KEY);
        await sign(server, version, check, creds);
        assert.equal((await send(server, check)).status, 200);
      });

      it("tampered key: 403 SignatureDoesNotMatch", async () => {
        const req = request("GET", KEY);
        await sign(server, version, req, creds);
        assertOssError(
          await send(server, { ...req, key: "dir/other.txt" }),
          403,
          "SignatureDoesNotMatch",
        );
      });

      it("tampered signed header: 403 SignatureDoesNotMatch", async () => {
        const req = request("PUT", "meta.txt");
        req.headers.set("x-oss-meta-owner", "alice");
        req.headers.set("content-type", "text/plain");
        await sign(server, version, req, creds);
        const altered = new Headers(req.headers);
        altered.set("x-oss-meta-owner", "mallory");
        const sent = await send(server, { ...req, headers: altered }, { body: "x" });
        assertOssError(sent, 403, "SignatureDoesNotMatch");
        const retyped = new Headers(req.headers);
        retyped.set("content-type", "text/html");
        assertOssError(
          await send(server, { ...req, headers: retyped }, { body: "x" }),
          403,
          "SignatureDoesNotMatch",
        );
      });

      it("tampered query parameter: 403 SignatureDoesNotMatch", async () => {
        const req = request("GET", undefined, [["max-keys", "1"], ["prefix", "dir/"]]);
        await sign(server, version, req, creds);
        assert.equal((await send(server, req)).status, 200);
        const altered = {
          ...req,
          query: [["max-keys", "1"], ["prefix", "other/"]],
        } as RequestToSign;
        if (version === "v4") {
          assertOssError(await send(server, altered), 403, "SignatureDoesNotMatch");
        }
        // V1 signs sub-resources only (prefix is not one): change one it does sign.
        const acl = request("GET", KEY, [["acl", undefined]]);
        await sign(server, version, acl, creds);
        assert.equal((await send(server, acl)).status, 200);
        assertOssError(await send(server, { ...acl, query: [] }), 403, "SignatureDoesNotMatch");
      });

      it("client clock 20 minutes slow: 403 RequestTimeTooSkewed with the server's time", async () => {
        const clientNow = new Date(Date.now() - 20 * 60 * 1000);
        const req = request("GET", KEY);
        await sign(server, version, req, creds, clientNow);
        const sent = await send(server, req);
        assertOssError(sent, 403, "RequestTimeTooSkewed");
        assert.equal(element(sent.text, "MaxAllowedSkewMilliseconds"), "900000");
        const serverTime = Date.parse(element(sent.text, "ServerTime") ?? "");
        const dateHeader = Date.parse(sent.headers.get("date") ?? "");
        assert.ok(Number.isFinite(serverTime) && Number.isFinite(dateHeader));
        // The answer's time is the server's: 20 minutes ahead of the client's clock.
        assert.ok(dateHeader - clientNow.getTime() > 15 * 60 * 1000);
        assert.ok(element(sent.text, "RequestTime"));
      });

      it("client clock 20 minutes fast: 403 RequestTimeTooSkewed", async () => {
        const req = request("GET", KEY);
        await sign(server, version, req, creds, new Date(Date.now() + 20 * 60 * 1000));
        assertOssError(await send(server, req), 403, "RequestTimeTooSkewed");
      });

      it("client clock 10 minutes off: accepted (within 15 minutes)", async () => {
        const req = request("GET", KEY);
        await sign(server, version, req, creds, new Date(Date.now() - 10 * 60 * 1000));
        assert.equal((await send(server, req)).status, 200);
      });
    });

    describe(`signature ${version} presigned URL`, () => {
      it("accepts a presigned GET", async () => {
        const req = request("GET", KEY);
        const params = await presign(server, version, req, creds);
        const sent = await send(server, req, { extraQuery: params });
        assert.equal(sent.status, 200, sent.text);
        assert.equal(sent.text, CONTENT);
      });

      it("accepts a presigned PUT with its signed content type", async () => {
        const req = request("PUT", "presigned-put.txt");
        req.headers.set("content-type", "text/plain");
        const params = await presign(server, version, req, creds);
        const sent = await send(server, req, { extraQuery: params, body: "uploaded" });
        assert.equal(sent.status, 200, sent.text);
      });

      it("expired: 403 AccessDenied 'Request has expired.'", async () => {
        const req = request("GET", KEY);
        const params = await presign(server, version, req, creds, {
          expires: 60,
          now: new Date(Date.now() - 2 * 3600 * 1000),
        });
        const sent = await send(server, req, { extraQuery: params });
        assertOssError(sent, 403, "AccessDenied");
        assert.equal(element(sent.text, "Message"), "Request has expired.");
        assert.ok(element(sent.text, "Expires"));
        assert.ok(element(sent.text, "ServerTime"));
      });

      it("tampered expiry: 403 SignatureDoesNotMatch", async () => {
        const req = request("GET", KEY);
        const params = await presign(server, version, req, creds, { expires: 60 });
        const name = version === "v1" ? "Expires" : "x-oss-expires";
        const altered = params.map(([k, v]): [string, string] =>
          k === name ? [k, String(Number(v) + 3600)] : [k, v]
        );
        assertOssError(
          await send(server, req, { extraQuery: altered }),
          403,
          "SignatureDoesNotMatch",
        );
      });

      it("tampered key and method: 403 SignatureDoesNotMatch", async () => {
        const req = request("GET", KEY);
        const params = await presign(server, version, req, creds);
        assertOssError(
          await send(server, { ...req, key: "dir/x.txt" }, { extraQuery: params }),
          403,
          "SignatureDoesNotMatch",
        );
        assertOssError(
          await send(server, { ...req, method: "DELETE" }, { extraQuery: params }),
          403,
          "SignatureDoesNotMatch",
        );
      });

      it("tampered signed header: 403 SignatureDoesNotMatch", async () => {
        const req = request("PUT", "presigned-typed.txt");
        req.headers.set("content-type", "text/plain");
        const params = await presign(server, version, req, creds);
        const altered = { ...req, headers: new Headers({ "content-type": "image/png" }) };
        assertOssError(
          await send(server, altered, { extraQuery: params, body: "x" }),
          403,
          "SignatureDoesNotMatch",
        );
      });

      it("wrong secret: 403 SignatureDoesNotMatch without secret or signature", async () => {
        const req = request("GET", KEY);
        const params = await presign(server, version, req, {
          accessKeyId: creds.accessKeyId,
          accessKeySecret: "wrong-secret-value",
        });
        const sent = await send(server, req, { extraQuery: params });
        assertOssError(sent, 403, "SignatureDoesNotMatch");
        assertNoSecrets(
          sent,
          creds.accessKeySecret,
          "wrong-secret-value",
          signatureOf(req, params),
        );
      });

      it("unknown AccessKey ID: 403 InvalidAccessKeyId", async () => {
        const req = request("GET", KEY);
        const params = await presign(server, version, req, {
          accessKeyId: "nobody",
          accessKeySecret: "x",
        });
        assertOssError(await send(server, req, { extraQuery: params }), 403, "InvalidAccessKeyId");
      });
    });

    describe(`STS security tokens with signature ${version}`, () => {
      it("accepts the STS key with its token, in the header and presigned", async () => {
        const req = request("GET", KEY);
        await sign(server, version, req, STS);
        assert.ok(req.headers.has("x-oss-security-token"));
        assert.equal((await send(server, req)).status, 200);
        const url = request("GET", KEY);
        const params = await presign(server, version, url, STS);
        assert.equal((await send(server, url, { extraQuery: params })).status, 200);
      });

      it("STS key without its token: 403 InvalidAccessKeyId", async () => {
        const { securityToken: _, ...noToken } = STS;
        const req = request("GET", KEY);
        await sign(server, version, req, noToken);
        assertOssError(await send(server, req), 403, "InvalidAccessKeyId");
        const url = request("GET", KEY);
        const params = await presign(server, version, url, noToken);
        assertOssError(await send(server, url, { extraQuery: params }), 403, "InvalidAccessKeyId");
      });

      it("STS key with another token: 403 InvalidSecurityToken, token not echoed", async () => {
        const other = { ...STS, securityToken: "CAIS-some-other-token-9876543210" };
        const req = request("GET", KEY);
        await sign(server, version, req, other);
        const sent = await send(server, req);
        assertOssError(sent, 403, "InvalidSecurityToken");
        assertNoSecrets(sent, other.securityToken, STS.securityToken, STS.accessKeySecret);
        const url = request("GET", KEY);
        const params = await presign(server, version, url, other);
        assertOssError(
          await send(server, url, { extraQuery: params }),
          403,
          "InvalidSecurityToken",
        );
      });

      it("a token on a long-term key: 403 InvalidAccessKeyId", async () => {
        const req = request("GET", KEY);
        await sign(server, version, req, { ...creds, securityToken: STS.securityToken });
        assertOssError(await send(server, req), 403, "InvalidAccessKeyId");
      });

      it("STS with a wrong secret: SignatureDoesNotMatch masks the token", async () => {
        const req = request("GET", KEY);
        await sign(server, version, req, { ...STS, accessKeySecret: "bad-sts-secret" });
        const sent = await send(server, req);
        assertOssError(sent, 403, "SignatureDoesNotMatch");
        assertNoSecrets(sent, STS.securityToken, STS.accessKeySecret, "bad-sts-secret");
        const url = request("GET", KEY);
        const params = await presign(server, version, url, {
          ...STS,
          accessKeySecret: "bad-sts-secret",
        });
        const presigned = await send(server, url, { extraQuery: params });
        assertOssError(presigned, 403, "SignatureDoesNotMatch");
        assertNoSecrets(presigned, STS.securityToken, STS.accessKeySecret, "bad-sts-secret");
      });
    });
  }
});

describe("server authentication with an injected server clock", () => {
  const offset = 3 * 3600 * 1000; // the server's clock runs 3 hours ahead
  let server: TestServer;

  before(async () => {
    server = await startServer({ now: () => Date.now() + offset });
  });

  after(async () => {
    await server?.close();
  });

  it("answers RequestTimeTooSkewed with its Date; a client re-signing with that time succeeds", async () => {
    const credentials = {
      accessKeyId: server.accessKeyId,
      accessKeySecret: server.accessKeySecret,
    };
    for (const version of ["v1", "v4"] as const) {
      const req = { method: "GET", query: [], headers: new Headers() } as RequestToSign;
      await sign(server, version, req, credentials);
      const sent = await send(server, req);
      assertOssError(sent, 403, "RequestTimeTooSkewed");
      const serverNow = Date.parse(sent.headers.get("date")!);
      assert.ok(Math.abs(serverNow - (Date.now() + offset)) < 5 * 60 * 1000);
      const retry = { method: "GET", query: [], headers: new Headers() } as RequestToSign;
      await sign(server, version, retry, credentials, new Date(serverNow));
      const ok = await send(server, retry);
      assert.equal(ok.status, 200, ok.text);
    }
  });

  it("a presigned URL valid by the client's clock has expired by the server's", async () => {
    const credentials = {
      accessKeyId: server.accessKeyId,
      accessKeySecret: server.accessKeySecret,
    };
    const req = { method: "GET", query: [], headers: new Headers() } as RequestToSign;
    for (const version of ["v1", "v4"] as const) {
      const params = await presign(server, version, req, credentials, { expires: 3600 });
      const sent = await send(server, req, { extraQuery: params });
      assertOssError(sent, 403, "AccessDenied");
      assert.equal(element(sent.text, "Message"), "Request has expired.");
    }
  });
});

describe("server authentication with anonymous access allowed", () => {
  let server: TestServer;

  before(async () => {
    server = await startServer({ allowAnonymous: true });
  });

  after(async () => {
    await server?.close();
  });

  it("accepts an unsigned request but still checks signed ones", async () => {
    const anonymous = { method: "GET", query: [], headers: new Headers() } as RequestToSign;
    assert.equal((await send(server, anonymous)).status, 200);
    const bad = { method: "GET", query: [], headers: new Headers() } as RequestToSign;
    await signV4(bad, {
      credentials: { accessKeyId: server.accessKeyId, accessKeySecret: "wrong" },
      region: server.region,
    });
    assertOssError(await send(server, bad), 403, "SignatureDoesNotMatch");
  });
});

/**
 * A V4 `Authorization` with a scope of our choosing (day, region, product), signed consistently
 * with the key that scope derives, exactly as the server recomputes it: only the scope check can
 * refuse it.
 */
async function signV4Scoped(
  req: RequestToSign,
  credentials: OssCredentials,
  scope: { day?: string; region: string; product?: string },
): Promise<void> {
  const isoDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const day = scope.day ?? isoDate.slice(0, 8);
  const product = scope.product ?? "oss";
  req.headers.set("x-oss-date", isoDate);
  req.headers.set("x-oss-content-sha256", UNSIGNED_PAYLOAD);
  const canonical = canonicalRequestV4(req, []);
  const sts = await stringToSignV4(canonical, isoDate, scope.region, product);
  const signature = await signatureV4(credentials.accessKeySecret, day, scope.region, sts, product);
  req.headers.set(
    "authorization",
    `${ALGORITHM_V4} Credential=${credentials.accessKeyId}/${day}/${scope.region}/${product}/` +
      `aliyun_v4_request,Signature=${signature}`,
  );
}

describe("server authentication: a V4 scope must name the server's region, oss and the day", () => {
  let server: TestServer;
  let creds: OssCredentials;
  const fiveDaysAgo = new Date(Date.now() - 5 * 86_400_000).toISOString().slice(0, 10)
    .replace(/-/g, "");

  before(async () => {
    server = await startServer({ region: "cn-hangzhou", allowAnonymous: true });
    creds = { accessKeyId: server.accessKeyId, accessKeySecret: server.accessKeySecret };
  });

  after(async () => {
    await server?.close();
  });

  const listing = () => ({ method: "GET", query: [], headers: new Headers() }) as RequestToSign;

  it("accepts the right scope built the same way (the helper signs correctly)", async () => {
    const req = listing();
    await signV4Scoped(req, creds, { region: "cn-hangzhou" });
    assert.equal((await send(server, req)).status, 200);
  });

  for (
    const [what, scope, argument] of [
      ["region us-west-1", { region: "us-west-1" }, "Region"],
      ["region x", { region: "x" }, "Region"],
      ["product s3", { region: "cn-hangzhou", product: "s3" }, "Credential"],
      ["a day 5 days before x-oss-date", { region: "cn-hangzhou", day: fiveDaysAgo }, "SignDate"],
    ] as const
  ) {
    it(`refuses a header signature scoped to ${what}: 400 InvalidArgument`, async () => {
      const req = listing();
      await signV4Scoped(req, creds, scope);
      const sent = await send(server, req);
      assertOssError(sent, 400, "InvalidArgument");
      assert.equal(element(sent.text, "ArgumentName"), argument, sent.text);
      if (argument === "Region") {
        assert.equal(
          element(sent.text, "Message"),
          "Invalid signing region in Authorization header.",
        );
        assert.equal(sent.headers.get("x-oss-ec"), "0002-00000228");
      }
    });
  }

  it("refuses a presigned URL for eu-central-1: 400 InvalidArgument", async () => {
    const req = listing();
    const params = await presignV4(req, {
      credentials: creds,
      region: "eu-central-1",
      expires: 60,
    });
    const sent = await send(server, req, { extraQuery: params });
    assertOssError(sent, 400, "InvalidArgument");
    assert.equal(element(sent.text, "Message"), "Invalid signing region in x-oss-credential.");
    assert.equal(element(sent.text, "ArgumentValue"), "eu-central-1");
  });

  it("refuses a presigned URL whose credential day is not x-oss-date's: 400 InvalidArgument", async () => {
    const req = listing();
    const params = await presignV4(req, { credentials: creds, region: "cn-hangzhou", expires: 60 });
    const credential = params.find(([k]) => k === "x-oss-credential")!;
    credential[1] = credential[1].replace(/\/\d{8}\//, `/${fiveDaysAgo}/`);
    const sent = await send(server, req, { extraQuery: params });
    assertOssError(sent, 400, "InvalidArgument");
    assert.equal(element(sent.text, "ArgumentName"), "SignDate");
  });

  it("a server in another region refuses the cn-hangzhou signature its clients default to", async () => {
    const other = await startServer({ region: "eu-central-1" });
    try {
      const req = listing();
      await signV4(req, { credentials: creds, region: "cn-hangzhou" });
      assertOssError(await send(other, req), 400, "InvalidArgument");
      const right = listing();
      await signV4(right, { credentials: creds, region: other.region });
      assert.equal((await send(other, right)).status, 200);
    } finally {
      await other.close();
    }
  });
});
