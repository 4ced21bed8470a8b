// Credentials against the local server: a static pair, STS tokens, and an
// async provider whose expiring tokens are cached and refreshed; and no
// secret, signature or token in any error, message or string form.

import assert from "node:assert/strict";
import { inspect } from "node:util";
import { after, before, describe, it } from "node:test";
import { CredentialsCache, NetworkError, OssClient, OssError } from "../lib/web.ts";
import { startServer, type TestServer } from "./_server.ts";
import { makeClient, trackingFetch } from "./_client_setup.ts";

const STS = [
  { accessKeyId: "STS.one", accessKeySecret: "sts-secret-one", securityToken: "token-one-AAAA" },
  { accessKeyId: "STS.two", accessKeySecret: "sts-secret-two", securityToken: "token-two-BBBB" },
];

function allForms(err: unknown): string {
  const e = err as Error;
  return [String(e), e.message, e.stack, JSON.stringify(e), inspect(e, { depth: 5 })].join("\n");
}

describe("credentials", () => {
  let server: TestServer;

  before(async () => {
    server = await startServer({ stsCredentials: STS });
    await makeClient(server, "v4", "path").client.createBucket("creds");
  });
  after(async () => {
    await server.close();
  });

  for (const signatureVersion of ["v4", "v1"] as const) {
    it(`signs with an STS token (${signatureVersion})`, async () => {
      const tracking = trackingFetch();
      const { client } = makeClient(server, signatureVersion, "path", {
        fetch: tracking.fetch,
        credentials: STS[0],
      });
      await client.bucket("creds").putObject(`sts-${signatureVersion}.txt`, "x");
      assert.equal(tracking.log.requests[0].headers.get("x-oss-security-token"), "token-one-AAAA");
      // ali-oss's option names work too.
      const { client: aliStyle } = makeClient(server, signatureVersion, "path", {
        accessKeyId: STS[0].accessKeyId,
        accessKeySecret: STS[0].accessKeySecret,
        securityToken: STS[0].securityToken,
      });
      const got = await aliStyle.bucket("creds").getObject(`sts-${signatureVersion}.txt`);
      assert.equal(await got.text(), "x");
    });
  }

  it("refuses an STS key without its token", async () => {
    const { client } = makeClient(server, "v4", "path", {
      credentials: { accessKeyId: STS[0].accessKeyId, accessKeySecret: STS[0].accessKeySecret },
    });
    await assert.rejects(client.bucket("creds").headObject("sts-v4.txt"), { status: 403 });
  });

  it("calls a provider once, caches its credentials, and refreshes them before they expire", async () => {
    let now = Date.now();
    let calls = 0;
    const provider = () => {
      const creds = STS[calls++ % 2];
      return Promise.resolve({ ...creds, expiration: new Date(now + 3600_000) });
    };
    // A server on the same virtual clock, so that moving it does not make the requests skewed.
    const timed = await startServer({ stsCredentials: STS, now: () => now });
    const tracking = trackingFetch();
    const { client } = makeClient(timed, "v4", "path", {
      credentials: provider,
      clock: () => now,
      fetch: tracking.fetch,
    });
    await client.createBucket("creds");
    tracking.log.requests.length = 0;
    const bucket = client.bucket("creds");
    await Promise.all([bucket.putObject("p1.txt", "1"), bucket.putObject("p2.txt", "2")]);
    await bucket.headObject("p1.txt");
    assert.equal(calls, 1, "concurrent requests share one provider call");
    now += 50 * 60_000; // 10 minutes before expiry: still good
    await bucket.headObject("p1.txt");
    assert.equal(calls, 1);
    now += 6 * 60_000; // 4 minutes before expiry: refreshed
    await bucket.headObject("p1.txt");
    assert.equal(calls, 2);
    const tokens = tracking.log.requests.map((r) => r.headers.get("x-oss-security-token"));
    assert.deepEqual(tokens, [...Array(4).fill("token-one-AAAA"), "token-two-BBBB"]);
    await timed.close();
  });

  it("fetches fresh credentials once when OSS says the token is no longer valid", async () => {
    let calls = 0;
    const provider = () => Promise.resolve({ ...STS[calls++ % 2] });
    const { client } = makeClient(server, "v4", "path", { credentials: provider });
    await client.bucket("creds").putObject("p1.txt", "1");
    server.control.add({
      operation: "GetObject",
      action: { type: "error", status: 403, code: "SecurityTokenExpired" },
    });
    calls = 0; // the put fetched the first credentials; they are cached
    assert.equal(await (await client.bucket("creds").getObject("p1.txt")).text(), "1");
    assert.equal(calls, 1, "one refresh after SecurityTokenExpired");
    server.control.clear();
  });

  it("keeps unexpired credentials when a refresh fails", async () => {
    let now = 1_000_000;
    let fail = false;
    const cache = new CredentialsCache(() => {
      if (fail) return Promise.reject(new Error("STS unreachable"));
      return Promise.resolve({ ...STS[0], expiration: new Date(now + 3600_000) });
    }, () => now);
    assert.equal((await cache.get()).accessKeyId, "STS.one");
    fail = true;
    now += 58 * 60_000; // within the refresh margin, not yet expired
    assert.equal((await cache.get()).accessKeyId, "STS.one");
    now += 3 * 60_000; // expired
    await assert.rejects(cache.get(), /STS unreachable/);
  });

  it("refuses incomplete credentials", () => {
    const base = { endpoint: server.url, region: "cn-hangzhou" };
    assert.throws(() => new OssClient(base), TypeError);
    assert.throws(() => new OssClient({ ...base, accessKeyId: "a" }), TypeError);
    assert.throws(
      () => new OssClient({ ...base, credentials: { accessKeyId: "a", accessKeySecret: "" } }),
      TypeError,
    );
    assert.throws(
      () =>
        new OssClient({
          ...base,
          accessKeyId: "a",
          accessKeySecret: "b",
          credentials: { accessKeyId: "a", accessKeySecret: "b" },
        }),
      TypeError,
    );
  });

  it("puts no secret, signature or token in errors or string forms", async () => {
    const secret = "very-secret-key-123";
    const token = "security-token-xyz-789";
    const tracking = trackingFetch();
    const { client } = makeClient(server, "v4", "path", {
      credentials: {
        accessKeyId: STS[0].accessKeyId,
        accessKeySecret: secret,
        securityToken: token,
      },
      fetch: tracking.fetch,
    });
    const err = await client.bucket("creds").getObject("p1.txt").catch((e) => e);
    assert.ok(err instanceof OssError);
    const authorization = tracking.log.requests[0].headers.get("authorization")!;
    const signature = /Signature=([0-9a-f]+)/.exec(authorization)![1];
    for (
      const form of [
        allForms(err),
        String(client),
        inspect(client, { depth: 5 }),
        JSON.stringify(client),
      ]
    ) {
      for (const s of [secret, token, signature]) {
        assert.ok(!form.includes(s), `${s} leaked: ${form}`);
      }
    }
    const bucket = client.bucket("creds");
    const bucketForms = [String(bucket), inspect(bucket, { depth: 5 })].join("\n");
    assert.ok(!bucketForms.includes(secret) && !bucketForms.includes(token));
  });

  it("keeps a presigned URL out of network error messages", async () => {
    const { client: signer } = makeClient(server, "v1", "path");
    const presigned = await signer.bucket("creds").presignUrl("p1.txt");
    const signature = new URL(presigned).searchParams.get("Signature")!;
    // A runtime whose fetch error names the URL it failed on.
    const failing = () =>
      Promise.reject(new TypeError(`error sending request for url (${presigned})`));
    const { client } = makeClient(server, "v4", "path", {
      fetch: failing as typeof fetch,
      retry: false,
    });
    const err = await client.bucket("creds").headObject("p1.txt").catch((e) => e);
    assert.ok(err instanceof NetworkError);
    assert.ok(!err.message.includes(signature), err.message);
    assert.ok(!err.message.includes(encodeURIComponent(signature)), err.message);
    assert.match(err.message, /HeadObject failed: error sending request for url/);
  });
});
