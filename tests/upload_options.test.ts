// The object settings a caller sets (ACL, storage class, tagging, encryption, overwrite
// protection, upload callback, traffic limit, requester pays) on putObject and on a multipart
// uploadFile, through the local server: checked before any request, each header on the request
// OSS takes it on, stored and returned by the server; the callback's success and failures;
// forbidOverwrite; and the server's own checks on raw requests.

import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import {
  CallbackFailedError,
  MAX_TRAFFIC_LIMIT,
  MIN_TRAFFIC_LIMIT,
  ObjectExistsError,
  OssClient,
  type PutObjectOptions,
  type UploadFileOptions,
} from "../mod.ts";
import { assertOssError } from "./_assert_oss.ts";
import { trackingFetch } from "./_client_setup.ts";
import { ossFetch, ossText } from "./_oss_http.ts";
import { type Recorder, startRecorder } from "./_recording_server.ts";
import {
  clientOptions,
  KB100,
  objectBytes,
  sameBytes,
  type UploadEnv,
  uploadEnv,
  uploadIdsOf,
  writeTestFile,
} from "./_upload_fixtures.ts";

/** The headers of the requests of `log` that `match` recognises by method and query. */
function requestOf(
  log: { url: string; headers: Headers; method: string }[],
  match: (method: string, url: URL) => boolean,
): Headers[] {
  return log.filter((r) => match(r.method, new URL(r.url))).map((r) => r.headers);
}

const isInitiate = (m: string, u: URL) => m === "POST" && u.searchParams.has("uploads");
const isPart = (m: string, u: URL) => m === "PUT" && u.searchParams.has("partNumber");
const isComplete = (m: string, u: URL) => m === "POST" && u.searchParams.has("uploadId");

async function objectAcl(env: UploadEnv, key: string): Promise<string> {
  const r = await ossText(env.server, {
    method: "GET",
    bucket: env.bucketName,
    key,
    query: [["acl", undefined]],
  });
  assert.equal(r.status, 200, r.text);
  return /<Grant>([^<]*)<\/Grant>/.exec(r.text)![1];
}

function answerJson(body: unknown, status = 200) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
}

describe("object write settings", () => {
  let env: UploadEnv;
  let callbacks: Recorder;

  before(async () => {
    env = await uploadEnv("opts");
    callbacks = await startRecorder();
    callbacks.route("/cb", answerJson({ ok: true, from: "app" }));
    callbacks.route("/cb-500", answerJson({ error: "down" }, 500));
    callbacks.route("/cb-text", (_req, res) => res.end("not json"));
  });
  after(async () => {
    await callbacks.close();
    await env.close();
  });

  describe("bad values", () => {
    const bad: [string, PutObjectOptions, RegExp, typeof TypeError | typeof RangeError][] = [
      ["acl", { acl: "everyone" as never }, /acl must be one of "default", "private"/, TypeError],
      ["storageClass", { storageClass: "Cold" as never }, /"ColdArchive"/, TypeError],
      [
        "serverSideEncryption",
        { serverSideEncryption: "RSA" as never },
        /"AES256", "KMS", "SM4"/,
        TypeError,
      ],
      [
        "a KMS key without KMS",
        { serverSideEncryption: "AES256", serverSideEncryptionKeyId: "k" },
        /needs serverSideEncryption: "KMS"/,
        TypeError,
      ],
      [
        "11 tags",
        { tagging: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, "v"])) },
        /at most 10 tags; got 11/,
        RangeError,
      ],
      ["a long tag key", { tagging: { ["k".repeat(129)]: "v" } }, /longer than 128/, RangeError],
      ["a long tag value", { tagging: { k: "v".repeat(257) } }, /longer than 256/, RangeError],
      ["a tag string with two '='", { tagging: "a=b=c" }, /two '='/, TypeError],
      ["a repeated tag key", { tagging: "a=1&a=2" }, /"a" appears twice/, RangeError],
      ["a tag character", { tagging: { "a*b": "v" } }, /letters, digits, space/, TypeError],
      ["a slow traffic limit", { trafficLimit: 8000 }, /from 819200 .* to 838860800/, RangeError],
      [
        "a fast traffic limit",
        { trafficLimit: MAX_TRAFFIC_LIMIT + 1 },
        /trafficLimit must be/,
        RangeError,
      ],
      [
        "a fractional traffic limit",
        { trafficLimit: MIN_TRAFFIC_LIMIT + 0.5 },
        /whole/,
        RangeError,
      ],
      [
        "a callback URL",
        { callback: { url: "ftp://h/cb", body: "b" } },
        /callback.url must be an http/,
        TypeError,
      ],
      [
        "an empty callback body",
        { callback: { url: "http://h/", body: "" } },
        /non-empty/,
        TypeError,
      ],
      [
        "a callback variable name",
        { callback: { url: "http://h/", body: "b", vars: { "Bad-Name": "v" } } },
        /lower-case letters/,
        TypeError,
      ],
      ["a request payer", { requestPayer: "me" as never }, /"requester"/, TypeError],
    ];

    for (const [what, options, message, type] of bad) {
      it(`refuses ${what} before any request, on putObject and uploadFile`, async () => {
        const { fetch, log } = trackingFetch();
        const bucket = new OssClient(clientOptions(env.server, { fetch })).bucket(env.bucketName);
        await assert.rejects(bucket.putObject("bad", "x", options), (err: Error) => {
          assert.ok(err instanceof type, `${err.name}: ${err.message}`);
          assert.match(err.message, message);
          return true;
        });
        const upload = bucket.uploadFile("bad", new Blob([new Uint8Array(KB100 + 1)]), {
          ...options,
        } as UploadFileOptions);
        await assert.rejects(upload, type);
        assert.equal(log.started, 0, "no request was sent");
      });
    }
  });

  it("round-trips every setting through putObject", async () => {
    const { fetch, log } = trackingFetch();
    const bucket = new OssClient(clientOptions(env.server, { fetch })).bucket(env.bucketName);
    const put = await bucket.putObject("put/all.txt", "hello", {
      contentType: "text/plain",
      acl: "public-read",
      storageClass: "IA",
      tagging: { project: "apollo", "path:x": "a/b c" },
      serverSideEncryption: "KMS",
      serverSideEncryptionKeyId: "key-1",
      trafficLimit: MIN_TRAFFIC_LIMIT,
      requestPayer: "requester",
    });
    const sent = log.requests[0].headers;
    assert.equal(sent.get("x-oss-traffic-limit"), String(MIN_TRAFFIC_LIMIT));
    assert.equal(sent.get("x-oss-request-payer"), "requester");
    assert.equal(sent.get("x-oss-tagging"), "project=apollo&path%3Ax=a%2Fb%20c");
    assert.equal(put.headers.get("x-oss-server-side-encryption"), "KMS");

    const head = await bucket.headObject("put/all.txt");
    assert.equal(head.storageClass, "IA");
    assert.equal(head.headers.get("x-oss-tagging-count"), "2");
    assert.equal(head.headers.get("x-oss-server-side-encryption"), "KMS");
    assert.equal(head.headers.get("x-oss-server-side-encryption-key-id"), "key-1");
    assert.deepEqual(await bucket.getObjectTagging("put/all.txt"), {
      project: "apollo",
      "path:x": "a/b c",
    });
    assert.equal(await objectAcl(env, "put/all.txt"), "public-read");
    assert.equal(await (await bucket.getObject("put/all.txt")).text(), "hello");
  });

  it("puts each setting of a multipart uploadFile on the request OSS takes it on", async () => {
    const { fetch, log } = trackingFetch();
    const bucket = new OssClient(clientOptions(env.server, { fetch })).bucket(env.bucketName);
    const { path, bytes } = await writeTestFile(env.dir, "multi.bin", 2 * KB100 + 7);
    const result = await bucket.uploadFile("multi/all.bin", path, {
      partSize: KB100,
      routines: 3,
      acl: "public-read-write",
      storageClass: "Archive",
      tagging: "team=ops&tier=cold",
      serverSideEncryption: "SM4",
      forbidOverwrite: true,
      trafficLimit: MAX_TRAFFIC_LIMIT,
      requestPayer: "requester",
      meta: { origin: "test" },
    });
    assert.equal(result.parts, 3);
    const initiate = requestOf(log.requests, isInitiate);
    const parts = requestOf(log.requests, isPart);
    const complete = requestOf(log.requests, isComplete);
    assert.equal(initiate.length, 1);
    assert.equal(parts.length, 3);
    assert.equal(complete.length, 1);
    // InitiateMultipartUpload: what OSS documents for it, never the ACL.
    assert.equal(initiate[0].get("x-oss-storage-class"), "Archive");
    assert.equal(initiate[0].get("x-oss-tagging"), "team=ops&tier=cold");
    assert.equal(initiate[0].get("x-oss-server-side-encryption"), "SM4");
    assert.equal(initiate[0].get("x-oss-forbid-overwrite"), "true");
    assert.equal(initiate[0].get("x-oss-meta-origin"), "test");
    assert.equal(initiate[0].get("x-oss-object-acl"), null);
    assert.equal(initiate[0].get("x-oss-traffic-limit"), null);
    // Every UploadPart: the traffic limit.
    for (const p of parts) {
      assert.equal(p.get("x-oss-traffic-limit"), String(MAX_TRAFFIC_LIMIT));
      assert.equal(p.get("x-oss-request-payer"), "requester");
      assert.equal(p.get("x-oss-storage-class"), null);
    }
    // CompleteMultipartUpload: the ACL and the overwrite guard.
    assert.equal(complete[0].get("x-oss-object-acl"), "public-read-write");
    assert.equal(complete[0].get("x-oss-forbid-overwrite"), "true");
    assert.equal(complete[0].get("x-oss-tagging"), null);

    assert.ok(sameBytes(await objectBytes(bucket, "multi/all.bin"), bytes));
    const head = await bucket.headObject("multi/all.bin");
    assert.equal(head.storageClass, "Archive");
    assert.equal(head.meta.origin, "test");
    assert.equal(head.headers.get("x-oss-server-side-encryption"), "SM4");
    assert.deepEqual(await bucket.getObjectTagging("multi/all.bin"), { team: "ops", tier: "cold" });
    assert.equal(await objectAcl(env, "multi/all.bin"), "public-read-write");
  });

  it("carries the settings on uploadStream too", async () => {
    const body = new Blob([new Uint8Array(KB100 + 3)]).stream();
    await env.bucket.uploadStream("stream/tagged.bin", body, {
      partSize: KB100,
      tagging: { via: "stream" },
      acl: "private",
    });
    assert.deepEqual(await env.bucket.getObjectTagging("stream/tagged.bin"), { via: "stream" });
    assert.equal(await objectAcl(env, "stream/tagged.bin"), "private");
  });

  describe("forbidOverwrite", () => {
    it("refuses a putObject over an existing object with ObjectExistsError", async () => {
      await env.bucket.putObject("guard/a.txt", "first");
      await assert.rejects(
        env.bucket.putObject("guard/a.txt", "second", { forbidOverwrite: true }),
        (err) => err instanceof ObjectExistsError && err.status === 409,
      );
      assert.equal(await (await env.bucket.getObject("guard/a.txt")).text(), "first");
    });

    it("refuses an uploadFile over an existing object, leaving no upload behind", async () => {
      await env.bucket.putObject("guard/b.bin", "first");
      await assert.rejects(
        env.bucket.uploadFile("guard/b.bin", new Blob([new Uint8Array(KB100 + 1)]), {
          partSize: KB100,
          forbidOverwrite: true,
        }),
        ObjectExistsError,
      );
      assert.deepEqual(await uploadIdsOf(env.bucket, "guard/b.bin"), []);
      assert.equal(await (await env.bucket.getObject("guard/b.bin")).text(), "first");
    });

    it("refuses the Complete of an upload when the object appeared after its Initiate", async () => {
      const key = "guard/c.bin";
      const { uploadId } = await env.bucket.initiateMultipartUpload(key, { forbidOverwrite: true });
      const part = await env.bucket.uploadPart(key, uploadId, 1, new Uint8Array(10));
      await env.bucket.putObject(key, "meanwhile");
      await assert.rejects(
        env.bucket.completeMultipartUpload(key, uploadId, [part], { forbidOverwrite: true }),
        ObjectExistsError,
      );
      assert.equal(await (await env.bucket.getObject(key)).text(), "meanwhile");
      await env.bucket.abortMultipartUpload(key, uploadId);
    });
  });

  describe("upload callback", () => {
    it("POSTs the body with OSS's variables and returns the answer (putObject)", async () => {
      const put = await env.bucket.putObject("cb/put file.txt", "hello", {
        contentType: "text/plain",
        callback: {
          url: `${callbacks.url}/cb`,
          body: "b=${bucket}&o=${object}&s=${size}&e=${etag}&m=${mimeType}&u=${x:uid}&n=${nothing}",
          vars: { uid: "42 & more" },
        },
      });
      assert.deepEqual(JSON.parse(put.callbackResult!), { ok: true, from: "app" });
      assert.equal(put.etag, '"5D41402ABC4B2A76B9719D911017C592"');
      const seen = callbacks.requests("/cb").find((r) =>
        new TextDecoder().decode(r.body).includes("put%20file")
      )!;
      assert.equal(seen.method, "POST");
      assert.equal(seen.headers["content-type"], "application/x-www-form-urlencoded");
      assert.equal(
        new TextDecoder().decode(seen.body),
        "b=opts&o=cb%2Fput%20file.txt&s=5&e=5D41402ABC4B2A76B9719D911017C592&m=text%2Fplain" +
          "&u=42%20%26%20more&n=",
      );
    });

    it("calls back on the Complete of a multipart uploadFile, with a JSON body", async () => {
      const { path } = await writeTestFile(env.dir, "cb.bin", KB100 + 11);
      const result = await env.bucket.uploadFile("cb/multi.bin", path, {
        partSize: KB100,
        callback: {
          url: `${callbacks.url}/cb`,
          body: '{"object":"${object}","size":${size},"tag":"${x:tag}"}',
          bodyType: "application/json",
          vars: { tag: "t1" },
        },
      });
      assert.deepEqual(JSON.parse(result.callbackResult!), { ok: true, from: "app" });
      assert.equal(result.crc64Verified, true);
      const seen = callbacks.requests("/cb").find((r) =>
        new TextDecoder().decode(r.body).includes("cb/multi.bin")
      )!;
      assert.equal(seen.headers["content-type"], "application/json");
      assert.deepEqual(JSON.parse(new TextDecoder().decode(seen.body)), {
        object: "cb/multi.bin",
        size: KB100 + 11,
        tag: "t1",
      });
    });

    for (
      const [what, url, message] of [
        ["answers 500", "/cb-500", /Error status : 500/],
        ["answers other than JSON", "/cb-text", /not valid json/],
      ] as const
    ) {
      it(`fails with CallbackFailedError when the callback server ${what}; the object is stored`, async () => {
        const key = `cb/failed-${url.slice(1)}.txt`;
        await assert.rejects(
          env.bucket.putObject(key, "kept", {
            callback: { url: `${callbacks.url}${url}`, body: "o=${object}" },
          }),
          (err) => {
            assert.ok(err instanceof CallbackFailedError, String(err));
            assert.equal(err.status, 203);
            assert.match(err.message, /object was stored/);
            assert.match(err.message, message);
            return true;
          },
        );
        assert.equal(await (await env.bucket.getObject(key)).text(), "kept");
      });
    }

    it("never calls a host the server does not allow (loopback only by default)", async () => {
      const before = callbacks.seen.length;
      await assert.rejects(
        env.bucket.uploadFile("cb/far.bin", new Blob([new Uint8Array(KB100 + 1)]), {
          partSize: KB100,
          callback: { url: "http://192.0.2.1/cb", body: "o=${object}" },
        }),
        (err) =>
          err instanceof CallbackFailedError && /does not call back 192\.0\.2\.1/.test(err.message),
      );
      assert.equal(callbacks.seen.length, before);
      assert.equal((await env.bucket.headObject("cb/far.bin")).size, KB100 + 1);
    });
  });

  it("returns the version ID the server answers with", async () => {
    // The local server keeps no versions: a fetch adds the header OSS sends in a versioned bucket.
    const versioned: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const headers = new Headers(res.headers);
      headers.set("x-oss-version-id", "CAEQ-v1");
      return new Response(res.body, { status: res.status, headers });
    };
    const bucket = new OssClient(clientOptions(env.server, { fetch: versioned }))
      .bucket(env.bucketName);
    assert.equal((await bucket.putObject("v/a.txt", "a")).versionId, "CAEQ-v1");
    const small = await bucket.uploadFile("v/empty.txt", new Blob([]));
    assert.equal(small.versionId, "CAEQ-v1");
    const multi = await bucket.uploadFile("v/b.bin", new Blob([new Uint8Array(KB100 + 1)]), {
      partSize: KB100,
    });
    assert.equal(multi.versionId, "CAEQ-v1");
  });

  describe("the server's own checks", () => {
    const call = (o: Parameters<typeof ossText>[1]) => ossText(env.server, o);

    it("refuses x-oss-traffic-limit outside OSS's range and takes the range's ends", async () => {
      for (const limit of ["819199", "838860801", "abc", ""]) {
        const r = await call({
          method: "PUT",
          bucket: env.bucketName,
          key: "raw/t.bin",
          headers: { "x-oss-traffic-limit": limit },
          body: "x",
        });
        assertOssError(r, 400, "InvalidArgument");
      }
      const bytes = new Uint8Array(64 * 1024).map((_, i) => i % 251);
      const put = await ossFetch(env.server, {
        method: "PUT",
        bucket: env.bucketName,
        key: "raw/t.bin",
        headers: { "x-oss-traffic-limit": String(MIN_TRAFFIC_LIMIT) },
        body: bytes,
      });
      assert.equal(put.status, 200);
      const get = await ossFetch(env.server, {
        method: "GET",
        bucket: env.bucketName,
        key: "raw/t.bin",
        headers: { "x-oss-traffic-limit": String(MAX_TRAFFIC_LIMIT) },
      });
      assert.equal(get.status, 200);
      assert.ok(sameBytes(new Uint8Array(await get.arrayBuffer()), bytes));
      const badGet = await call({
        method: "GET",
        bucket: env.bucketName,
        key: "raw/t.bin",
        headers: { "x-oss-traffic-limit": "1" },
      });
      assertOssError(badGet, 400, "InvalidArgument");
    });

    it("refuses an encryption OSS does not have, and a malformed x-oss-tagging", async () => {
      const sse = await call({
        method: "PUT",
        bucket: env.bucketName,
        key: "raw/e.bin",
        headers: { "x-oss-server-side-encryption": "DES" },
        body: "x",
      });
      assertOssError(sse, 400, "InvalidEncryptionAlgorithmError");
      const tags = await call({
        method: "PUT",
        bucket: env.bucketName,
        key: "raw/e.bin",
        headers: { "x-oss-tagging": "a=b=c" },
        body: "x",
      });
      assertOssError(tags, 400, "InvalidArgument");
    });

    it("does not take x-oss-object-acl on InitiateMultipartUpload (Complete does)", async () => {
      const key = "raw/acl.bin";
      const { uploadId } = await env.bucket.initiateMultipartUpload(key, {
        headers: { "x-oss-object-acl": "public-read" },
      });
      const part = await env.bucket.uploadPart(key, uploadId, 1, new Uint8Array(5));
      await env.bucket.completeMultipartUpload(key, uploadId, [part]);
      assert.equal(await objectAcl(env, key), "default");
    });

    it("refuses a malformed x-oss-callback before storing anything", async () => {
      const r = await call({
        method: "PUT",
        bucket: env.bucketName,
        key: "raw/cb.bin",
        headers: { "x-oss-callback": btoa('{"callbackUrl":"http://127.0.0.1/"}') },
        body: "x",
      });
      assertOssError(r, 400, "InvalidArgument");
      const head = await call({ method: "HEAD", bucket: env.bucketName, key: "raw/cb.bin" });
      assert.equal(head.status, 404);
    });
  });
});
