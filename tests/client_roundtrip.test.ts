// Round trips of every client operation against the local server over a real
// socket, with signature V4 and V1, path-style and virtual-hosted addressing,
// and path-style V4 once more over the Node and Deno entries' `node:http` fetch.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { crc64, type OssClient, OssError } from "../lib/web.ts";
import { startServer, type TestServer } from "./_server.ts";
import { type Addressing, collect, makeClient } from "./_client_setup.ts";
import { concatBytes } from "../lib/_concat_bytes.ts";
import { testBytes } from "./_test_bytes.ts";
import { VIRTUAL_HOST } from "./_host_routing_fetch.ts";
import { createHttpFetch } from "../lib/adapters/node_api/http_fetch.ts";

const PART = 100 * 1024;

async function rejectsWithCode(p: Promise<unknown>, code: string, status?: number): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof OssError, `expected OssError, got ${err}`);
    assert.equal(err.code, code);
    if (status !== undefined) assert.equal(err.status, status);
    return true;
  });
}

const variants: {
  signatureVersion: "v4" | "v1";
  addressing: Addressing;
  transport?: "node:http";
}[] = [
  { signatureVersion: "v4", addressing: "path" },
  { signatureVersion: "v4", addressing: "virtual" },
  { signatureVersion: "v1", addressing: "path" },
  { signatureVersion: "v1", addressing: "virtual" },
  { signatureVersion: "v4", addressing: "path", transport: "node:http" },
];

for (const { signatureVersion, addressing, transport } of variants) {
  const over = transport ? ` over ${transport}` : "";
  describe(`client round trips, ${signatureVersion}, ${addressing}-style${over}`, () => {
    let server: TestServer;
    let client: OssClient;
    let hosts: string[];
    const bucketName = `rt-${signatureVersion}-${addressing}${transport ? "-http" : ""}`;

    before(async () => {
      server = await startServer();
      const extra = transport ? { fetch: createHttpFetch() } : {};
      ({ client, hosts } = makeClient(server, signatureVersion, addressing, extra));
    });
    after(async () => {
      await server.close();
    });

    it("creates, lists and addresses the bucket as asked", async () => {
      assert.equal(client.pathStyle, addressing === "path");
      await client.createBucket(bucketName);
      await client.createBucket(`${bucketName}-2`);
      const names = (await collect(client.listBuckets())).map((b) => b.name);
      assert.ok(names.includes(bucketName) && names.includes(`${bucketName}-2`));
      const page = await client.listBucketsPage({ prefix: `${bucketName}-` });
      assert.deepEqual(page.buckets.map((b) => b.name), [`${bucketName}-2`]);
      // The owner's PutBucket on a bucket it has succeeds, as on OSS.
      await client.createBucket(bucketName);
      await client.deleteBucket(`${bucketName}-2`);
      if (addressing === "virtual") {
        const port = new URL(server.url).port;
        assert.ok(hosts.includes(`${bucketName}.${VIRTUAL_HOST}:${port}`), hosts.join(","));
        assert.ok(
          hosts.includes(`${VIRTUAL_HOST}:${port}`),
          "service requests use the bare host",
        );
      }
    });

    it("puts every body type and gets them back byte for byte", async () => {
      const bucket = client.bucket(bucketName);
      const data = testBytes(3000, 7);
      const bodies = {
        "bytes.bin": data,
        "buffer.bin": data.slice().buffer,
        "blob.bin": new Blob([data]),
        "factory.bin": () => Promise.resolve(new Blob([data])),
        "stream.bin": new Blob([data]).stream(),
      };
      for (const [key, body] of Object.entries(bodies)) {
        const put = await bucket.putObject(key, body);
        assert.equal(put.crc64, crc64(data), key);
        assert.match(put.etag, /^"[0-9A-F]{32}"$/);
        assert.ok(put.requestId);
        const got = await bucket.getObject(key);
        assert.deepEqual(await got.bytes(), data, key);
        // Bun.serve drops the server's Content-Length on streamed answers (it sends them
        // chunked); the client then reports the size as unknown (NaN) rather than guessing.
        const sized = got.headers.has("content-length");
        assert.equal(got.size, sized ? data.length : NaN);
        assert.equal(got.contentLength, sized ? data.length : NaN);
        assert.equal(got.crc64, crc64(data));
        assert.equal(got.etag, put.etag);
      }
      const text = await bucket.putObject("hello.txt", "héllo wörld", {
        contentType: "text/plain; charset=utf-8",
      });
      assert.equal(text.crc64, crc64(new TextEncoder().encode("héllo wörld")));
      assert.equal(await (await bucket.getObject("hello.txt")).text(), "héllo wörld");
    });

    it("keeps content type and user metadata; head reads them without a body", async () => {
      const bucket = client.bucket(bucketName);
      const key = "dir/a+b c ü.json";
      await bucket.putObject(key, '{"a":1}', {
        contentType: "application/json",
        meta: { Origin: "test", n: "42" },
      });
      const head = await bucket.headObject(key);
      assert.equal(head.size, 7);
      assert.equal(head.contentType, "application/json");
      assert.deepEqual(head.meta, { origin: "test", n: "42" });
      assert.equal(head.objectType, "Normal");
      assert.ok(head.lastModified instanceof Date);
      assert.equal(head.crc64, crc64(new TextEncoder().encode('{"a":1}')));
      const got = await bucket.getObject(key);
      assert.deepEqual(got.meta, { origin: "test", n: "42" });
      assert.equal(await got.text(), '{"a":1}');
    });

    it("reads byte ranges", async () => {
      const bucket = client.bucket(bucketName);
      const data = testBytes(1000, 3);
      await bucket.putObject("range.bin", data);
      const mid = await bucket.getObject("range.bin", { range: { start: 100, end: 199 } });
      assert.equal(mid.contentLength, 100);
      assert.equal(mid.size, 1000);
      assert.deepEqual(mid.range, { start: 100, end: 199 });
      assert.deepEqual(await mid.bytes(), data.subarray(100, 200));
      const tail = await bucket.getObject("range.bin", { range: { start: 990 } });
      assert.deepEqual(await tail.bytes(), data.subarray(990));
      await rejectsWithCode(
        bucket.getObject("range.bin", { range: { start: 5000, end: 6000 } }),
        "InvalidRange",
        416,
      );
    });

    it("honours conditions", async () => {
      const bucket = client.bucket(bucketName);
      const { etag } = await bucket.putObject("cond.txt", "x");
      assert.equal(await (await bucket.getObject("cond.txt", { ifMatch: etag })).text(), "x");
      await rejectsWithCode(
        bucket.getObject("cond.txt", { ifNoneMatch: etag }),
        "NotModified",
        304,
      );
      await rejectsWithCode(
        bucket.getObject("cond.txt", { ifMatch: '"00000000000000000000000000000000"' }),
        "PreconditionFailed",
        412,
      );
    });

    it("reports missing objects and buckets as typed errors", async () => {
      const bucket = client.bucket(bucketName);
      await rejectsWithCode(bucket.getObject("missing"), "NoSuchKey", 404);
      await rejectsWithCode(bucket.headObject("missing"), "NoSuchKey", 404);
      await rejectsWithCode(client.bucket("no-such-bucket").getObject("k"), "NoSuchBucket", 404);
      const err = await bucket.getObject("missing").catch((e) => e);
      assert.equal(err.operation, "GetObject");
      assert.ok(err.requestId);
    });

    it("deletes objects (and deleting a missing key succeeds)", async () => {
      const bucket = client.bucket(bucketName);
      await bucket.putObject("gone.txt", "bye");
      await bucket.deleteObject("gone.txt");
      await rejectsWithCode(bucket.headObject("gone.txt"), "NoSuchKey");
      await bucket.deleteObject("gone.txt");
    });

    it("lists objects page by page, with prefixes, delimiters and odd keys", async () => {
      const bucket = client.bucket(bucketName);
      const keys = [
        "list/a.txt",
        "list/b c.txt",
        "list/d+e.txt",
        "list/sub/f.txt",
        "list/sub/g.txt",
        "list/ü/h.txt",
        "list/x/./y.txt",
        "list/\u0001ctl.txt",
      ];
      for (const key of keys) await bucket.putObject(key, key);
      const listed = await collect(bucket.listObjects({ prefix: "list/", maxKeys: 3 }));
      assert.deepEqual(listed.map((o) => o.key), [...keys].sort(byUtf8));
      assert.equal(listed[0].size, new TextEncoder().encode(listed[0].key).length);
      const first = await bucket.listObjectsPage({ prefix: "list/", maxKeys: 3 });
      assert.equal(first.objects.length, 3);
      assert.equal(first.isTruncated, true);
      assert.ok(first.nextMarker);
      const level = await bucket.listObjectsPage({ prefix: "list/", delimiter: "/" });
      assert.deepEqual(level.commonPrefixes, ["list/sub/", "list/x/", "list/ü/"]);
      assert.deepEqual(
        level.objects.map((o) => o.key),
        ["list/\u0001ctl.txt", "list/a.txt", "list/b c.txt", "list/d+e.txt"],
      );
      for (const key of keys) {
        assert.equal(await (await bucket.getObject(key)).text(), key);
      }
    });

    it("runs a multipart upload end to end", async () => {
      const bucket = client.bucket(bucketName);
      const key = "multi/big file.bin";
      const parts = [testBytes(PART, 11), testBytes(PART, 12), testBytes(777, 13)];
      const init = await bucket.initiateMultipartUpload(key, {
        contentType: "application/x-test",
        meta: { kind: "multipart" },
      });
      assert.equal(init.key, key);
      assert.equal(init.bucket, bucketName);
      assert.ok(init.uploadId);
      let factoryCalls = 0;
      const p1 = await bucket.uploadPart(key, init.uploadId, 1, () => {
        factoryCalls++;
        return parts[0];
      });
      assert.equal(factoryCalls, 1);
      const p3 = await bucket.uploadPart(key, init.uploadId, 3, new Blob([parts[2]]));
      const p2 = await bucket.uploadPart(
        key,
        init.uploadId,
        2,
        () => new Blob([parts[1]]).stream(),
      );
      assert.equal(p1.crc64, crc64(parts[0]));
      assert.equal(p2.crc64, crc64(parts[1]));
      assert.equal(p3.crc64, crc64(parts[2]));

      const listed = await collect(bucket.listParts(key, init.uploadId, { maxParts: 2 }));
      assert.deepEqual(listed.map((p) => p.partNumber), [1, 2, 3]);
      assert.deepEqual(listed.map((p) => p.etag), [p1.etag, p2.etag, p3.etag]);
      assert.deepEqual(listed.map((p) => p.size), [PART, PART, 777]);
      const page = await bucket.listPartsPage(key, init.uploadId, { maxParts: 2 });
      assert.equal(page.isTruncated, true);
      assert.equal(page.nextPartNumberMarker, 2);
      assert.equal(page.uploadId, init.uploadId);

      const uploads = await collect(bucket.listMultipartUploads({ prefix: "multi/" }));
      assert.deepEqual(uploads.map((u) => [u.key, u.uploadId]), [[key, init.uploadId]]);

      // Given out of order: the client sends them sorted.
      const done = await bucket.completeMultipartUpload(key, init.uploadId, [p3, p1, p2]);
      const whole = concatBytes(parts);
      assert.equal(done.key, key);
      assert.match(done.etag, /-3"$/);
      assert.equal(done.crc64, crc64(whole));
      const got = await bucket.getObject(key);
      assert.deepEqual(await got.bytes(), whole);
      assert.equal(got.contentType, "application/x-test");
      assert.deepEqual(got.meta, { kind: "multipart" });
      assert.equal(got.objectType, "Multipart");
      assert.deepEqual(await collect(bucket.listMultipartUploads({ prefix: "multi/" })), []);
    });

    it("aborts multipart uploads and lists uploads page by page", async () => {
      const bucket = client.bucket(bucketName);
      const ids: string[] = [];
      for (const key of ["mpu/a", "mpu/b", "mpu/b", "mpu/c"]) {
        ids.push((await bucket.initiateMultipartUpload(key)).uploadId);
      }
      const all = await collect(bucket.listMultipartUploads({ prefix: "mpu/", maxUploads: 1 }));
      assert.deepEqual(all.map((u) => u.key), ["mpu/a", "mpu/b", "mpu/b", "mpu/c"]);
      assert.deepEqual(new Set(all.map((u) => u.uploadId)), new Set(ids));
      const page = await bucket.listMultipartUploadsPage({ prefix: "mpu/", maxUploads: 2 });
      assert.equal(page.uploads.length, 2);
      assert.equal(page.isTruncated, true);
      for (const u of all) await bucket.abortMultipartUpload(u.key, u.uploadId);
      assert.deepEqual(await collect(bucket.listMultipartUploads({ prefix: "mpu/" })), []);
      await rejectsWithCode(bucket.abortMultipartUpload("mpu/a", ids[0]), "NoSuchUpload", 404);
      await rejectsWithCode(
        bucket.uploadPart("mpu/a", ids[0], 1, new Uint8Array(1)),
        "NoSuchUpload",
        404,
      );
    });

    it("refuses to delete a bucket that holds objects, then deletes it when empty", async () => {
      await rejectsWithCode(client.deleteBucket(bucketName), "BucketNotEmpty", 409);
      const bucket = client.bucket(bucketName);
      for await (const obj of bucket.listObjects()) await bucket.deleteObject(obj.key);
      await client.deleteBucket(bucketName);
      const names = (await collect(client.listBuckets())).map((b) => b.name);
      assert.ok(!names.includes(bucketName));
    });
  });
}

function byUtf8(a: string, b: string): number {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}
