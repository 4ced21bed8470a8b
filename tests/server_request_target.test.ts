/**
 * The request target is read as sent, identically on every server engine of
 * the runtime (Deno.serve and node:http on Deno, node:http on Bun and Node),
 * over raw sockets so no client library can normalise it first: `.` and `..`
 * segments are key text (`PUT /bkt/../newbucket` stores `../newbucket` in
 * `bkt`, never creates a bucket), signed requests for such keys verify, and
 * a NUL in a key is refused with `InvalidObjectName`.
 *
 * Bun.serve (`engine: "native"` on Bun) is not among the engines: it
 * normalises the path before JavaScript sees it and keeps no raw target
 * (see lib/server/request_target.ts); Bun's default engine is node:http.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createOssApp } from "../lib/server/app.ts";
import { createAuthenticator } from "../lib/server/auth.ts";
import { listen, type Listening } from "../lib/server/listen.ts";
import { MemoryStorage } from "../lib/server/memory_storage.ts";
import { parseRequestTarget, requestTarget } from "../lib/server/request_target.ts";
import { ServerError } from "../lib/server/server_error.ts";
import { rawRequest, signedHeaderLines } from "./_oss_http.ts";
import type { TestServer } from "./_server.ts";

// deno-lint-ignore no-explicit-any
const runtime = (globalThis as any).Deno ? "deno" : (globalThis as any).Bun ? "bun" : "node";
const ENGINES: ("native" | "node")[] = runtime === "deno" ? ["native", "node"] : ["node"];
const BUCKET = "bkt";

describe("request target (pure)", () => {
  it("takes node:http's raw target over the normalised Request URL", () => {
    const normalised = new Request("http://h/newbucket");
    assert.equal(
      requestTarget(normalised, { incoming: { url: "/bkt/../newbucket" } }),
      "/bkt/../newbucket",
    );
    assert.equal(requestTarget(new Request("http://h/bkt/a"), {}), "http://h/bkt/a");
  });

  it("keeps dot segments, splits the query, refuses raw non-ASCII and backslashes", () => {
    assert.deepEqual(parseRequestTarget("/bkt/../k?uploads"), {
      path: "/bkt/../k",
      query: "uploads",
    });
    assert.deepEqual(parseRequestTarget("http://h:1/bkt/./k"), { path: "/bkt/./k", query: "" });
    assert.deepEqual(parseRequestTarget("/bkt/k?prefix=a\\b"), {
      path: "/bkt/k",
      query: "prefix=a\\b",
    });
    for (const bad of ["/bkt/ä", "/bkt/a b", "/bkt/a\\b", "/bkt/a\x01b"]) {
      assert.throws(() => parseRequestTarget(bad), (err) => {
        assert.ok(err instanceof ServerError);
        assert.equal(err.code, "InvalidURI");
        return true;
      }, bad);
    }
  });
});

for (const engine of ENGINES) {
  describe(`request target on ${runtime} with the ${engine} engine`, () => {
    let listening: Listening;
    let server: TestServer;

    before(async () => {
      const storage = new MemoryStorage();
      const credentials = { accessKeyId: "test-ak", accessKeySecret: "test-secret-key" };
      const { app } = createOssApp({
        storage,
        authenticate: createAuthenticator({ credentials: [credentials], allowAnonymous: true }),
      });
      listening = await listen(app.fetch, { engine });
      // What the raw-socket helpers read of a test server.
      server = {
        url: listening.url,
        endpoint: `127.0.0.1:${listening.port}`,
        region: "cn-hangzhou",
        ...credentials,
      } as TestServer;
      assert.equal(
        (await rawRequest(server, { method: "PUT", target: `/${BUCKET}` }))?.status,
        200,
      );
    });

    after(async () => {
      await listening?.close();
    });

    const put = async (target: string, body: string, headers: [string, string][] = []) =>
      await rawRequest(server, {
        method: "PUT",
        target,
        headers: [["Content-Length", String(body.length)], ...headers],
        body,
      });

    /** The keys of the bucket, from a URL-encoded listing. */
    const keys = async (): Promise<string[]> => {
      const res = await rawRequest(server, {
        method: "GET",
        target: `/${BUCKET}?encoding-type=url`,
      });
      assert.equal(res?.status, 200, res?.text);
      return [...res!.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => decodeURIComponent(m[1]));
    };

    it("PUT /bkt/../newbucket stores the key ../newbucket and creates no bucket", async () => {
      assert.equal((await put(`/${BUCKET}/../newbucket`, "dots"))?.status, 200);
      const buckets = await rawRequest(server, { method: "GET", target: "/" });
      assert.doesNotMatch(buckets!.text, /<Name>newbucket<\/Name>/);
      assert.ok((await keys()).includes("../newbucket"));
      const got = await rawRequest(server, { method: "GET", target: `/${BUCKET}/../newbucket` });
      assert.equal(got?.text, "dots");
    });

    it("stores a/./b, '.', '..' and %2e%2e/x literally", async () => {
      for (
        const [target, key] of [["a/./b", "a/./b"], [".", "."], ["..", ".."], ["%2e%2e/x", "../x"]]
      ) {
        assert.equal((await put(`/${BUCKET}/${target}`, key))?.status, 200, target);
        const got = await rawRequest(server, { method: "GET", target: `/${BUCKET}/${target}` });
        assert.equal(got?.text, key, target);
      }
      const listed = await keys();
      for (const key of ["a/./b", ".", "..", "../x"]) assert.ok(listed.includes(key), key);
      assert.ok(!listed.includes("a/b"));
      const normalised = await rawRequest(server, { method: "GET", target: `/${BUCKET}/a/b` });
      assert.equal(normalised?.status, 404);
    });

    it("verifies a V4-signed PUT of the key a/../b sent with its dot segments", async () => {
      const call = { method: "PUT", bucket: BUCKET, key: "a/../b" };
      const headers = await signedHeaderLines(server, call, { "content-length": "6" });
      const res = await rawRequest(server, {
        method: "PUT",
        target: `/${BUCKET}/a/../b`,
        headers,
        body: "signed",
      });
      assert.equal(res?.status, 200, res?.text);
      assert.ok((await keys()).includes("a/../b"));
    });

    it("refuses a NUL in a key: 400 InvalidObjectName, nothing stored", async () => {
      const res = await put(`/${BUCKET}/nul%00key`, "x");
      assert.equal(res?.status, 400);
      assert.match(res!.text, /<Code>InvalidObjectName<\/Code>/);
      assert.ok(!(await keys()).some((k) => k.includes("\0")));
      const multipart = await rawRequest(server, {
        method: "POST",
        target: `/${BUCKET}/nul%00key?uploads`,
      });
      assert.match(multipart!.text, /<Code>InvalidObjectName<\/Code>/);
    });

    it("lists other control characters URL-encoded with encoding-type=url", async () => {
      assert.equal((await put(`/${BUCKET}/ctl%01%1Fkey`, "c"))?.status, 200);
      const res = await rawRequest(server, {
        method: "GET",
        target: `/${BUCKET}?encoding-type=url&prefix=ctl`,
      });
      assert.match(res!.text, /<Key>ctl%01%1Fkey<\/Key>/);
    });

    it("refuses a raw backslash in the path with 400 InvalidURI in OSS's XML", async () => {
      const res = await put(`/${BUCKET}/a\\b`, "x");
      assert.equal(res?.status, 400);
      assert.match(res!.text, /<Code>InvalidURI<\/Code>/, "OSS's error XML on every engine");
      assert.ok(!(await keys()).some((k) => k.includes("\\")));
    });
  });
}
