// Presigned URLs against the local server, fetched with plain fetch: they work
// (GET, PUT, with STS tokens) until they expire, and a tampered one is refused.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { OssClient } from "../lib/web.ts";
import { startServer, type TestServer } from "./_server.ts";
import { makeClient } from "./_client_setup.ts";
import { testBytes } from "./_test_bytes.ts";
import { hostRoutingFetch } from "./_host_routing_fetch.ts";

const STS = {
  accessKeyId: "STS.test-id",
  accessKeySecret: "sts-secret",
  securityToken: "sts-token-value",
};

async function errorCode(res: Response): Promise<string | undefined> {
  return /<Code>([^<]*)<\/Code>/.exec(await res.text())?.[1];
}

for (const signatureVersion of ["v4", "v1"] as const) {
  describe(`presigned URLs, ${signatureVersion}`, () => {
    let server: TestServer;
    let client: OssClient;
    const data = testBytes(2048, 5);

    before(async () => {
      server = await startServer({ stsCredentials: [STS] });
      ({ client } = makeClient(server, signatureVersion, "path"));
      await client.createBucket("presign");
      await client.bucket("presign").putObject("dir/a b+c.bin", data);
    });
    after(async () => {
      await server.close();
    });

    it("a GET URL works with plain fetch", async () => {
      const url = await client.bucket("presign").presignUrl("dir/a b+c.bin", { expires: 600 });
      if (signatureVersion === "v4") {
        assert.match(url, /x-oss-signature-version=OSS4-HMAC-SHA256/);
        assert.match(url, /x-oss-expires=600/);
      } else {
        assert.match(url, /OSSAccessKeyId=test-ak&Expires=\d+&Signature=/);
      }
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), data);
    });

    it("defaults to 1800 seconds", async () => {
      // The clock read around the call, not a window: V1's Expires is "now" + 1800 s.
      const earliest = Math.floor(Date.now() / 1000);
      const url = new URL(await client.bucket("presign").presignUrl("dir/a b+c.bin"));
      const latest = Math.ceil(Date.now() / 1000);
      if (signatureVersion === "v4") {
        assert.equal(url.searchParams.get("x-oss-expires"), "1800");
      } else {
        const expires = Number(url.searchParams.get("Expires"));
        assert.ok(
          expires >= earliest + 1800 && expires <= latest + 1800,
          `Expires ${expires} is not between ${earliest} + 1800 and ${latest} + 1800`,
        );
      }
    });

    it("signs response overrides in the query", async () => {
      const url = await client.bucket("presign").presignUrl("dir/a b+c.bin", {
        query: { "response-content-type": "text/x-test" },
      });
      const res = await fetch(url);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    });

    it("a PUT URL uploads with the signed content type", async () => {
      const bucket = client.bucket("presign");
      const url = await bucket.presignUrl("put/x.txt", {
        method: "PUT",
        contentType: "text/plain",
      });
      const res = await fetch(url, {
        method: "PUT",
        body: "uploaded",
        headers: { "content-type": "text/plain" },
      });
      assert.equal(res.status, 200, await res.text());
      const got = await bucket.getObject("put/x.txt");
      assert.equal(got.contentType, "text/plain");
      assert.equal(await got.text(), "uploaded");
      // Another content type than the one signed is refused.
      const wrong = await fetch(url, {
        method: "PUT",
        body: "x",
        headers: { "content-type": "application/json" },
      });
      assert.equal(wrong.status, 403);
      assert.equal(await errorCode(wrong), "SignatureDoesNotMatch");
    });

    it("an expired URL is refused", async () => {
      const twoHoursAgo = () => Date.now() - 2 * 3600_000;
      const { client: past } = makeClient(server, signatureVersion, "path", { clock: twoHoursAgo });
      const url = await past.bucket("presign").presignUrl("dir/a b+c.bin", { expires: 60 });
      const res = await fetch(url);
      assert.equal(res.status, 403);
      assert.equal(await errorCode(res), "AccessDenied");
    });

    it("a tampered URL is refused", async () => {
      const url = new URL(
        await client.bucket("presign").presignUrl("dir/a b+c.bin", { expires: 600 }),
      );
      const signatureParam = signatureVersion === "v4" ? "x-oss-signature" : "Signature";
      const expiresParam = signatureVersion === "v4" ? "x-oss-expires" : "Expires";

      const otherKey = new URL(url);
      otherKey.pathname = otherKey.pathname.replace("a%20b", "a%20c");
      const badSignature = new URL(url);
      const sig = badSignature.searchParams.get(signatureParam)!;
      badSignature.searchParams.set(signatureParam, (sig[0] === "a" ? "b" : "a") + sig.slice(1));
      const longer = new URL(url);
      longer.searchParams.set(expiresParam, String(Number(url.searchParams.get(expiresParam)) + 1));

      for (const tampered of [otherKey, badSignature, longer]) {
        const res = await fetch(tampered);
        assert.equal(res.status, 403, tampered.href);
        assert.equal(await errorCode(res), "SignatureDoesNotMatch", tampered.href);
      }
    });

    it("carries the security token of STS credentials", async () => {
      const { client: sts } = makeClient(server, signatureVersion, "path", { credentials: STS });
      const url = await sts.bucket("presign").presignUrl("dir/a b+c.bin");
      assert.ok(new URL(url).searchParams.has(
        signatureVersion === "v4" ? "x-oss-security-token" : "security-token",
      ));
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), data);
      // Without the token the signature no longer holds.
      const stripped = new URL(url);
      stripped.searchParams.delete(
        signatureVersion === "v4" ? "x-oss-security-token" : "security-token",
      );
      const refused = await fetch(stripped);
      assert.equal(refused.status, 403);
      await refused.arrayBuffer();
    });

    it("refuses bad expiry values", async () => {
      const bucket = client.bucket("presign");
      await assert.rejects(bucket.presignUrl("k", { expires: 0 }), RangeError);
      await assert.rejects(bucket.presignUrl("k", { expires: 1.5 }), RangeError);
      if (signatureVersion === "v4") {
        await assert.rejects(bucket.presignUrl("k", { expires: 604801 }), RangeError);
      }
    });

    it("presigns virtual-hosted URLs too", async () => {
      const { client: vh } = makeClient(server, signatureVersion, "virtual");
      const url = new URL(await vh.bucket("presign").presignUrl("dir/a b+c.bin"));
      assert.equal(url.hostname, "presign.oss-cn-hangzhou.aliyuncs.com");
      // Sent as is to 127.0.0.1 with `Host: presign.oss-cn-hangzhou.aliyuncs.com:PORT`.
      const { fetch: routed } = hostRoutingFetch(Number(new URL(server.url).port));
      const res = await routed(url);
      assert.equal(res.status, 200);
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), data);
    });
  });
}
