// The signing route for browsers and the client's `signer` hook: a client that
// holds no secret uploads through `remoteSigner`, and the route refuses other
// keys, other buckets, other operations, and expired, tampered or missing tickets.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Hono } from "hono";
import {
  NetworkError,
  OssClient,
  OssError,
  remoteSigner,
  type RequestToSign,
  TICKET_HEADER,
} from "../lib/web.ts";
import { createSigningRoute, type SigningRequest, UploadTickets } from "../lib/server/mod.ts";
import { listen, type Listening } from "../lib/server/listen.ts";
import { startServer, type TestServer } from "./_server.ts";
import { concatBytes } from "../lib/_concat_bytes.ts";
import { testBytes } from "./_test_bytes.ts";

const PART = 100 * 1024;
const BUCKET = "signed-uploads";
const KEY = "user-7/video.bin";
const TICKET_SECRET = "ticket-secret-0123456789-abcdefghijklmnop";

/** Records every answer of the signing route (status, headers and body text). */
function recordingFetch(log: string[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const res = await fetch(input, init);
    const text = await res.text();
    log.push(
      `${res.status}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${text}`,
    );
    return new Response(text, { status: res.status, headers: res.headers });
  }) as typeof fetch;
}

async function refusedWith(p: Promise<unknown>, code: string, status: number): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof OssError, `expected OssError, got ${err}`);
    assert.equal(err.code, code);
    assert.equal(err.status, status);
    return true;
  });
}

describe("signing route", () => {
  let server: TestServer;
  let signing: Listening;
  let admin: OssClient;
  let clock = Date.now();
  const tickets = new UploadTickets({ secret: TICKET_SECRET, ttlSeconds: 600, now: () => clock });
  const authorized: SigningRequest[] = [];
  const answers: string[] = [];

  /** A client with no credentials that signs through the route with `ticket`. */
  function browserClient(ticket?: string, path = "/api/oss/sign"): OssClient {
    return new OssClient({
      endpoint: server.url,
      signer: remoteSigner(new URL(path, signing.url), {
        ticket,
        fetch: recordingFetch(answers),
      }),
      retry: false,
    });
  }

  /** Posts a signing request straight to the route. */
  async function postSign(body: unknown, ticket?: string): Promise<Response> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (ticket) headers[TICKET_HEADER] = ticket;
    const res = await fetch(new URL("/api/oss/sign", signing.url), {
      method: "POST",
      headers,
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    answers.push(`${res.status}\n${text}`);
    return new Response(text, { status: res.status, headers: res.headers });
  }

  before(async () => {
    server = await startServer();
    admin = new OssClient({
      endpoint: server.url,
      region: server.region,
      accessKeyId: server.accessKeyId,
      accessKeySecret: server.accessKeySecret,
    });
    await admin.createBucket(BUCKET);
    await admin.createBucket("other-bucket");
    const credentials = {
      accessKeyId: server.accessKeyId,
      accessKeySecret: server.accessKeySecret,
    };
    const app = new Hono();
    const v4 = createSigningRoute({
      credentials,
      region: server.region,
      tickets,
      now: () => clock,
    });
    app.post("/api/oss/sign", (c) => v4.fetch(c.req.raw, c));
    const v1 = createSigningRoute({
      credentials,
      signatureVersion: "v1",
      tickets,
      now: () => clock,
    });
    app.post("/api/v1/sign", (c) => v1.fetch(c.req.raw, c));
    const custom = createSigningRoute({
      credentials,
      region: server.region,
      tickets,
      authorize: (req, ctx) => {
        authorized.push(req);
        return req.operation !== "PutObject" && ctx.ticket?.key === req.key;
      },
    });
    app.post("/api/custom/sign", (c) => custom.fetch(c.req.raw, c));
    signing = await listen(app.fetch, { host: "127.0.0.1", port: 0 });
  });

  after(async () => {
    await signing?.close();
    await server?.close();
  });

  it("signs an upload of several parts that the local server accepts", async () => {
    clock = Date.now();
    const ticket = await tickets.issue({ bucket: BUCKET, key: KEY });
    const data = testBytes(3 * PART + 1234, 11);
    const result = await browserClient(ticket).bucket(BUCKET).uploadFile(KEY, new Blob([data]), {
      partSize: PART,
      routines: 2,
    });
    assert.equal(result.parts, 4);
    assert.equal(result.crc64Verified, true);
    const stored = await (await admin.bucket(BUCKET).getObject(KEY)).bytes();
    assert.deepEqual(stored, data);
  });

  it("signs a small PutObject and a HeadObject, with V1 too", async () => {
    clock = Date.now();
    const ticket = await tickets.issue({ bucket: BUCKET, key: "small.txt" });
    for (const path of ["/api/oss/sign", "/api/v1/sign"]) {
      const bucket = browserClient(ticket, path).bucket(BUCKET);
      await bucket.putObject("small.txt", `hello via ${path}`, { contentType: "text/plain" });
      const head = await bucket.headObject("small.txt");
      assert.equal(head.size, `hello via ${path}`.length);
      assert.equal(
        await (await admin.bucket(BUCKET).getObject("small.txt")).text(),
        `hello via ${path}`,
      );
    }
  });

  it("refuses another key, another bucket and non-upload operations", async () => {
    clock = Date.now();
    const ticket = await tickets.issue({ bucket: BUCKET, key: KEY });
    const client = browserClient(ticket);
    await refusedWith(client.bucket(BUCKET).putObject("other-key", "x"), "SigningRefused", 403);
    await refusedWith(client.bucket("other-bucket").putObject(KEY, "x"), "SigningRefused", 403);
    await refusedWith(client.bucket(BUCKET).getObject(KEY), "SigningRefused", 403);
    await refusedWith(client.bucket(BUCKET).deleteObject(KEY), "SigningRefused", 403);
    await refusedWith(client.bucket(BUCKET).listObjectsPage(), "SigningRefused", 403);
    await refusedWith(client.listBucketsPage(), "SigningRefused", 403);
    // A copy is no upload, even to the ticket's key.
    const copy = await postSign({
      method: "PUT",
      bucket: BUCKET,
      key: KEY,
      query: [],
      headers: { "x-oss-copy-source": `/${BUCKET}/secret.bin` },
    }, ticket);
    assert.equal(copy.status, 403);
    // Nor an upload that makes the object public.
    const publicPut = await postSign({
      method: "PUT",
      bucket: BUCKET,
      key: KEY,
      query: [],
      headers: { "x-oss-object-acl": "public-read" },
    }, ticket);
    assert.equal(publicPut.status, 403);
    assert.deepEqual(await publicPut.json(), { error: "SigningRefused" });
  });

  it("refuses expired, tampered, foreign and missing tickets", async () => {
    clock = Date.now();
    const put = { method: "PUT", bucket: BUCKET, key: KEY, query: [], headers: {} };
    const ticket = await tickets.issue({ bucket: BUCKET, key: KEY, ttlSeconds: 60 });
    assert.equal((await postSign(put, ticket)).status, 200);

    clock += 61_000;
    assert.equal((await postSign(put, ticket)).status, 403, "expired");
    await refusedWith(
      browserClient(ticket).bucket(BUCKET).putObject(KEY, "x"),
      "SigningRefused",
      403,
    );
    clock -= 61_000;

    const [v, payload, mac] = ticket.split(".");
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    const forged = btoa(JSON.stringify({ ...claims, k: "someone-else.bin" }))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    assert.equal(
      (await postSign({ ...put, key: "someone-else.bin" }, `${v}.${forged}.${mac}`)).status,
      403,
    );
    const longer = btoa(JSON.stringify({ ...claims, e: claims.e + 86400 }))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    assert.equal((await postSign(put, `${v}.${longer}.${mac}`)).status, 403, "extended expiry");
    const flipped = mac[0] === "A" ? `B${mac.slice(1)}` : `A${mac.slice(1)}`;
    assert.equal((await postSign(put, `${v}.${payload}.${flipped}`)).status, 403, "bad mac");

    const stranger = new UploadTickets({ secret: "another-secret-0123456789-abcdefghijklm" });
    const foreign = await stranger.issue({ bucket: BUCKET, key: KEY });
    assert.equal((await postSign(put, foreign)).status, 403, "another server's ticket");
    assert.equal((await postSign(put)).status, 403, "no ticket");
    assert.equal((await postSign(put, "garbage")).status, 403, "garbage ticket");
  });

  it("answers malformed signing requests with 400", async () => {
    const ticket = await tickets.issue({ bucket: BUCKET, key: KEY });
    assert.equal((await postSign("{not json", ticket)).status, 400);
    assert.equal((await postSign(" ".repeat(70_000) + "{}", ticket)).status, 400, "too large");
    assert.equal((await postSign({ method: "PUT", bucket: BUCKET, key: KEY }, ticket)).status, 400);
    assert.equal(
      (await postSign(
        { method: "PATCH", bucket: BUCKET, key: KEY, query: [], headers: {} },
        ticket,
      ))
        .status,
      400,
    );
    assert.equal(
      (await postSign(
        { method: "PUT", bucket: BUCKET, key: KEY, query: [[1, 2]], headers: {} },
        ticket,
      ))
        .status,
      400,
    );
  });

  it("presigns a URL the local server accepts", async () => {
    clock = Date.now();
    const ticket = await tickets.issue({ bucket: BUCKET, key: "presigned.txt" });
    const res = await postSign({
      method: "PUT",
      bucket: BUCKET,
      key: "presigned.txt",
      query: [],
      headers: { "content-type": "text/plain" },
      presign: true,
    }, ticket);
    assert.equal(res.status, 200);
    const { query } = await res.json() as { query: [string, string][] };
    const url = new URL(`/${BUCKET}/presigned.txt`, server.url);
    for (const [k, v] of query) url.searchParams.append(k, v);
    const put = await fetch(url, {
      method: "PUT",
      body: "presigned body",
      headers: { "content-type": "text/plain" },
    });
    assert.equal(put.status, 200, await put.text());
    assert.equal(
      await (await admin.bucket(BUCKET).getObject("presigned.txt")).text(),
      "presigned body",
    );
  });

  it("passes the operation and ticket to a custom authorize, which may refuse", async () => {
    clock = Date.now();
    const ticket = await tickets.issue({ bucket: BUCKET, key: KEY });
    const client = browserClient(ticket, "/api/custom/sign");
    await refusedWith(client.bucket(BUCKET).putObject(KEY, "x"), "SigningRefused", 403);
    const init = await client.bucket(BUCKET).initiateMultipartUpload(KEY);
    await client.bucket(BUCKET).abortMultipartUpload(KEY, init.uploadId);
    assert.deepEqual(authorized.map((r) => r.operation), [
      "PutObject",
      "InitiateMultipartUpload",
      "AbortMultipartUpload",
    ]);
    assert.equal(authorized[0].key, KEY);
  });

  it("never puts the access key secret in an answer", () => {
    assert.ok(answers.length > 20, `only ${answers.length} answers recorded`);
    for (const text of answers) {
      assert.ok(!text.includes(server.accessKeySecret), "the secret leaked into an answer");
      assert.ok(!text.includes(TICKET_SECRET), "the ticket secret leaked into an answer");
    }
    assert.ok(answers.some((t) => t.includes("authorization")), "signed answers were recorded");
  });

  it("checks its options", () => {
    const credentials = { accessKeyId: "ak", accessKeySecret: "sk" };
    assert.throws(() => createSigningRoute({ credentials, region: "cn-hangzhou" }), TypeError);
    assert.throws(
      () => createSigningRoute({ credentials, tickets }),
      TypeError,
      "V4 needs a region",
    );
    assert.throws(
      () => createSigningRoute({ credentials, region: "r", tickets, expiresSeconds: 0 }),
      RangeError,
    );
    assert.throws(() => new UploadTickets({ secret: "short" }), TypeError);
  });
});

describe("client signer hook", () => {
  it("signs every request through the signer and holds no credentials", async () => {
    const server = await startServer();
    try {
      const seen: string[] = [];
      const client = new OssClient({
        endpoint: server.url,
        signer: async (req: RequestToSign, ctx) => {
          seen.push(`${ctx.operation} ${req.method} ${req.key ?? ""}`);
          const { signV4 } = await import("../lib/signing/signing.ts");
          await signV4(req, {
            credentials: {
              accessKeyId: server.accessKeyId,
              accessKeySecret: server.accessKeySecret,
            },
            region: server.region,
            now: ctx.now,
          });
        },
      });
      await client.createBucket("hook");
      await client.bucket("hook").putObject("a.bin", testBytes(10));
      const back = await (await client.bucket("hook").getObject("a.bin")).bytes();
      assert.deepEqual(back, concatBytes([testBytes(10)]));
      assert.deepEqual(seen, ["PutBucket PUT ", "PutObject PUT a.bin", "GetObject GET a.bin"]);
      await assert.rejects(client.bucket("hook").presignUrl("a.bin"), TypeError);
    } finally {
      await server.close();
    }
  });

  it("refuses a signer together with credentials", () => {
    const signer = () => Promise.resolve();
    assert.throws(
      () =>
        new OssClient({
          endpoint: "http://127.0.0.1:1",
          signer,
          accessKeyId: "a",
          accessKeySecret: "b",
        }),
      TypeError,
    );
  });

  it("turns an unreachable signing route into a NetworkError", async () => {
    // A port that was just free: nothing listens there.
    const probe = await listen(() => new Response(""), { host: "127.0.0.1", port: 0 });
    const url = `${probe.url}/sign`;
    await probe.close();
    const client = new OssClient({
      endpoint: "http://127.0.0.1:1",
      signer: remoteSigner(url, { ticket: "t" }),
      retry: false,
    });
    await assert.rejects(client.bucket("bbb").putObject("k", "x"), NetworkError);
  });
});
