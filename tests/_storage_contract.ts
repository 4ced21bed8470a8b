/**
 * The contract every storage backend meets, as one suite taking a factory.
 * `storage_memory.test.ts` and `storage_disk.test.ts` run it.
 *
 * @module
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { concatBytes } from "../lib/_concat_bytes.ts";
import { crc64 } from "../lib/crc64/crc64.ts";
import type { BodyInput, ObjectHeaders, Storage } from "../lib/server/storage.ts";
import { collect } from "./_client_setup.ts";
import { streamOf } from "./_byte_stream.ts";
import { md5Base64, md5Hex, multipartEtag } from "./_md5.ts";
import { readAll } from "./_read_stream.ts";
import { testBytes } from "./_test_bytes.ts";

/** A fresh, empty storage; `dispose` releases it and anything it left behind. */
export interface StorageFixture {
  storage: Storage;
  dispose(): Promise<void>;
}

const enc = new TextEncoder();

/** Bytes of a string or a copy of bytes. */
export function bytesOf(data: string | Uint8Array): Uint8Array {
  return typeof data === "string" ? enc.encode(data) : data;
}

/** A body streaming `data` in chunks of `chunkSize`, with optional declared length and MD5. */
export function bodyOf(
  data: string | Uint8Array,
  o: { length?: number; contentMd5?: string; chunkSize?: number } = {},
): BodyInput {
  return {
    stream: streamOf(bytesOf(data), o.chunkSize ?? 7919),
    length: o.length,
    contentMd5: o.contentMd5,
  };
}

/** Object headers with defaults. */
export function headersOf(o: Partial<ObjectHeaders> = {}): ObjectHeaders {
  return {
    contentType: "application/octet-stream",
    userMeta: {},
    acl: "default",
    storageClass: "Standard",
    ...o,
  };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.equal((err as { code?: string }).code, code, String(err));
    return true;
  });
}

const BUCKET_OPTIONS = { location: "oss-cn-hangzhou", acl: "private", storageClass: "Standard" };
const KB = 1024;

/** Registers the contract suite for one backend. */
export function storageContract(name: string, create: () => Promise<StorageFixture>): void {
  async function withStorage(fn: (s: Storage) => Promise<void>): Promise<void> {
    const fixture = await create();
    try {
      await fixture.storage.createBucket("bkt", BUCKET_OPTIONS);
      await fn(fixture.storage);
    } finally {
      await fixture.storage.close();
      await fixture.dispose();
    }
  }

  describe(`${name} storage: buckets`, () => {
    it("creates, gets, lists, sets ACL and deletes buckets", async () => {
      await withStorage(async (s) => {
        const info = await s.createBucket("a-bucket-2", { ...BUCKET_OPTIONS, acl: "public-read" });
        assert.equal(info.name, "a-bucket-2");
        assert.equal(info.acl, "public-read");
        assert.equal(info.location, "oss-cn-hangzhou");
        assert.ok(info.creationDate instanceof Date);
        assert.deepEqual((await s.listBuckets()).map((b) => b.name), ["a-bucket-2", "bkt"]);
        await s.setBucketAcl("a-bucket-2", "private");
        assert.equal((await s.getBucket("a-bucket-2"))?.acl, "private");
        await s.deleteBucket("a-bucket-2");
        assert.equal(await s.getBucket("a-bucket-2"), undefined);
        assert.deepEqual((await s.listBuckets()).map((b) => b.name), ["bkt"]);
      });
    });

    it("answers BucketAlreadyExists, NoSuchBucket and InvalidBucketName", async () => {
      await withStorage(async (s) => {
        await rejectsWith(s.createBucket("bkt", BUCKET_OPTIONS), "BucketAlreadyExists");
        await rejectsWith(s.deleteBucket("nope"), "NoSuchBucket");
        await rejectsWith(s.setBucketAcl("nope", "private"), "NoSuchBucket");
        await rejectsWith(s.putObject("nope", "k", bodyOf("x"), headersOf()), "NoSuchBucket");
        await rejectsWith(s.getObject("nope", "k"), "NoSuchBucket");
        await rejectsWith(collect(s.listObjects("nope", {})), "NoSuchBucket");
        await rejectsWith(s.initiateMultipartUpload("nope", "k", headersOf()), "NoSuchBucket");
        await rejectsWith(s.listMultipartUploads("nope"), "NoSuchBucket");
        for (
          const bad of [
            "ab",
            "a".repeat(64),
            "Upper",
            "-ab",
            "ab-",
            "a_b",
            "../x",
            "a/b",
            "a.b",
            "",
          ]
        ) {
          await rejectsWith(s.createBucket(bad, BUCKET_OPTIONS), "InvalidBucketName");
          assert.equal(await s.getBucket(bad), undefined);
        }
        await rejectsWith(s.getObject("..", "k"), "InvalidBucketName");
        assert.ok(await s.createBucket("abc", BUCKET_OPTIONS));
        assert.ok(await s.createBucket("a".repeat(63), BUCKET_OPTIONS));
      });
    });

    it("refuses to delete a bucket holding an object or an unfinished upload", async () => {
      await withStorage(async (s) => {
        await s.putObject("bkt", "k", bodyOf("x"), headersOf());
        await rejectsWith(s.deleteBucket("bkt"), "BucketNotEmpty");
        await s.deleteObject("bkt", "k");
        const upload = await s.initiateMultipartUpload("bkt", "k", headersOf());
        await rejectsWith(s.deleteBucket("bkt"), "BucketNotEmpty");
        await s.abortMultipartUpload("bkt", "k", upload.uploadId);
        await s.deleteBucket("bkt");
        await s.createBucket("bkt", BUCKET_OPTIONS); // for the fixture's symmetry
      });
    });
  });

  describe(`${name} storage: objects`, () => {
    it("puts and gets an object with its headers, ETag and CRC64", async () => {
      await withStorage(async (s) => {
        const headers = headersOf({
          contentType: "text/plain; charset=utf-8",
          cacheControl: "no-cache",
          contentDisposition: "attachment",
          contentEncoding: "identity",
          contentLanguage: "zh-CN",
          expires: "Wed, 21 Oct 2037 07:28:00 GMT",
          userMeta: { author: "ossup", "x-y": "1 2" },
          acl: "private",
        });
        const meta = await s.putObject("bkt", "dir/hello.txt", bodyOf("hello"), headers);
        assert.equal(meta.etag, "5D41402ABC4B2A76B9719D911017C592");
        assert.equal(meta.size, 5);
        assert.equal(meta.crc64, crc64(enc.encode("hello")));
        assert.equal(meta.objectType, "Normal");
        assert.equal(meta.key, "dir/hello.txt");
        assert.equal(meta.lastModified.getTime() % 1000, 0);
        const reader = await s.getObject("bkt", "dir/hello.txt");
        assert.deepEqual(reader.meta, meta);
        assert.equal(reader.meta.contentType, "text/plain; charset=utf-8");
        assert.deepEqual(reader.meta.userMeta, { author: "ossup", "x-y": "1 2" });
        assert.equal(reader.meta.expires, "Wed, 21 Oct 2037 07:28:00 GMT");
        assert.equal(new TextDecoder().decode(await readAll(reader.stream())), "hello");
        assert.equal(
          new TextDecoder().decode(await readAll(reader.stream({ start: 1, end: 3 }))),
          "ell",
        );
        assert.equal(
          new TextDecoder().decode(await readAll(reader.stream({ start: 4, end: 4 }))),
          "o",
        );
      });
    });

    it("streams ranges across chunk boundaries", async () => {
      await withStorage(async (s) => {
        const data = testBytes(300 * KB + 17, 1);
        await s.putObject("bkt", "big", bodyOf(data, { chunkSize: 4099 }), headersOf());
        const reader = await s.getObject("bkt", "big");
        assert.deepEqual(await readAll(reader.stream()), data);
        for (
          const [start, end] of [[0, 0], [4098, 4099], [100_000, 250_000], [0, data.length - 1]]
        ) {
          assert.deepEqual(
            await readAll(reader.stream({ start, end })),
            data.subarray(start, end + 1),
          );
        }
      });
    });

    it("stores an empty object", async () => {
      await withStorage(async (s) => {
        const meta = await s.putObject("bkt", "empty", bodyOf("", { length: 0 }), headersOf());
        assert.equal(meta.etag, "D41D8CD98F00B204E9800998ECF8427E");
        assert.equal(meta.size, 0);
        assert.equal(meta.crc64, 0n);
        assert.equal((await readAll((await s.getObject("bkt", "empty")).stream())).length, 0);
      });
    });

    it("overwrites, deletes (idempotently) and answers NoSuchKey", async () => {
      await withStorage(async (s) => {
        await s.putObject("bkt", "k", bodyOf("one"), headersOf({ userMeta: { v: "1" } }));
        await s.putObject("bkt", "k", bodyOf("two!"), headersOf());
        const reader = await s.getObject("bkt", "k");
        assert.equal(reader.meta.size, 4);
        assert.deepEqual(reader.meta.userMeta, {});
        assert.equal(new TextDecoder().decode(await readAll(reader.stream())), "two!");
        await s.deleteObject("bkt", "k");
        await s.deleteObject("bkt", "k");
        await s.deleteObject("bkt", "never-there");
        await rejectsWith(s.getObject("bkt", "k"), "NoSuchKey");
        await rejectsWith(s.setObjectAcl("bkt", "k", "private"), "NoSuchKey");
      });
    });

    it("stores nothing when the body is shorter than declared (IncompleteBody)", async () => {
      await withStorage(async (s) => {
        await rejectsWith(
          s.putObject("bkt", "short", bodyOf("12345", { length: 10 }), headersOf()),
          "IncompleteBody",
        );
        await rejectsWith(s.getObject("bkt", "short"), "NoSuchKey");
        await s.putObject("bkt", "keep", bodyOf("old"), headersOf());
        await rejectsWith(
          s.putObject("bkt", "keep", bodyOf("new", { length: 4 }), headersOf()),
          "IncompleteBody",
        );
        assert.equal(
          new TextDecoder().decode(await readAll((await s.getObject("bkt", "keep")).stream())),
          "old",
        );
        await rejectsWith(
          s.putObject("bkt", "long", bodyOf("123456", { length: 3 }), headersOf()),
          "InvalidArgument",
        );
        await rejectsWith(s.getObject("bkt", "long"), "NoSuchKey");
        const failing: BodyInput = {
          stream: new ReadableStream({
            start(controller) {
              controller.enqueue(enc.encode("partial"));
            },
            pull(controller) {
              controller.error(new Error("connection reset"));
            },
          }),
        };
        await rejectsWith(s.putObject("bkt", "reset", failing, headersOf()), "IncompleteBody");
        await rejectsWith(s.getObject("bkt", "reset"), "NoSuchKey");
        assert.deepEqual((await collect(s.listObjects("bkt", {}))).map((o) => o.key), ["keep"]);
      });
    });

    it("checks Content-MD5 and stores nothing on a mismatch (InvalidDigest)", async () => {
      await withStorage(async (s) => {
        const ok = await s.putObject(
          "bkt",
          "md5",
          bodyOf("payload", { contentMd5: md5Base64("payload") }),
          headersOf(),
        );
        assert.equal(ok.etag, md5Hex("payload"));
        await rejectsWith(
          s.putObject(
            "bkt",
            "bad",
            bodyOf("payload", { contentMd5: md5Base64("other") }),
            headersOf(),
          ),
          "InvalidDigest",
        );
        await rejectsWith(
          s.putObject("bkt", "bad", bodyOf("payload", { contentMd5: "not-base64" }), headersOf()),
          "InvalidDigest",
        );
        await rejectsWith(s.getObject("bkt", "bad"), "NoSuchKey");
        await rejectsWith(
          s.putObject("bkt", "md5", bodyOf("changed", { contentMd5: md5Base64("x") }), headersOf()),
          "InvalidDigest",
        );
        assert.equal((await s.getObject("bkt", "md5")).meta.etag, md5Hex("payload"));
      });
    });

    it("copies objects, keeping or replacing metadata", async () => {
      await withStorage(async (s) => {
        await s.createBucket("other", BUCKET_OPTIONS);
        await s.putObject(
          "bkt",
          "src",
          bodyOf("copy me"),
          headersOf({ contentType: "text/x-src", userMeta: { a: "1" } }),
        );
        const kept = await s.copyObject({ bucket: "bkt", key: "src" }, {
          bucket: "other",
          key: "dst",
        });
        assert.equal(kept.contentType, "text/x-src");
        assert.deepEqual(kept.userMeta, { a: "1" });
        assert.equal(kept.etag, md5Hex("copy me"));
        assert.equal(kept.crc64, crc64(enc.encode("copy me")));
        assert.equal(kept.key, "dst");
        const replaced = await s.copyObject(
          { bucket: "bkt", key: "src" },
          { bucket: "bkt", key: "src" },
          headersOf({ contentType: "text/x-new", userMeta: { b: "2" } }),
        );
        assert.equal(replaced.contentType, "text/x-new");
        const reader = await s.getObject("bkt", "src");
        assert.deepEqual(reader.meta.userMeta, { b: "2" });
        assert.equal(new TextDecoder().decode(await readAll(reader.stream())), "copy me");
        assert.equal(
          new TextDecoder().decode(await readAll((await s.getObject("other", "dst")).stream())),
          "copy me",
        );
        await rejectsWith(
          s.copyObject({ bucket: "bkt", key: "missing" }, { bucket: "bkt", key: "x" }),
          "NoSuchKey",
        );
        await rejectsWith(
          s.copyObject({ bucket: "bkt", key: "src" }, { bucket: "nope", key: "x" }),
          "NoSuchBucket",
        );
        await s.deleteObject("other", "dst");
      });
    });

    it("sets an object's ACL without touching its bytes", async () => {
      await withStorage(async (s) => {
        const put = await s.putObject("bkt", "acl", bodyOf("bytes"), headersOf());
        assert.equal(put.acl, "default");
        await s.setObjectAcl("bkt", "acl", "public-read");
        const reader = await s.getObject("bkt", "acl");
        assert.equal(reader.meta.acl, "public-read");
        assert.equal(reader.meta.etag, put.etag);
        assert.equal(new TextDecoder().decode(await readAll(reader.stream())), "bytes");
        await s.putObject("bkt", "acl", bodyOf("new"), headersOf({ acl: "private" }));
        assert.equal((await s.getObject("bkt", "acl")).meta.acl, "private");
      });
    });

    it("keeps arbitrary UTF-8 keys apart and inside the store", async () => {
      await withStorage(async (s) => {
        const keys = [
          "../../x",
          "../../../../../../etc/passwd",
          "%2e%2e/%2e%2e/y",
          "/abs",
          "/",
          "a\0b",
          "a",
          "A",
          "k".repeat(1023),
          "é/ü/中文/🙂",
          "dir/",
          "..",
          ".",
          "a\\..\\b",
          "con",
          "trailing ",
          "new\nline",
        ];
        for (const [i, key] of keys.entries()) {
          await s.putObject("bkt", key, bodyOf(`v${i}`), headersOf());
        }
        for (const [i, key] of keys.entries()) {
          const reader = await s.getObject("bkt", key);
          assert.equal(reader.meta.key, key);
          assert.equal(new TextDecoder().decode(await readAll(reader.stream())), `v${i}`);
        }
        const listed = (await collect(s.listObjects("bkt", {}))).map((o) => o.key);
        assert.deepEqual(new Set(listed), new Set(keys));
        await rejectsWith(s.getObject("bkt", "a\0"), "NoSuchKey");
        await rejectsWith(s.putObject("bkt", "", bodyOf("x"), headersOf()), "InvalidObjectName");
        await rejectsWith(
          s.putObject("bkt", "lone\ud800", bodyOf("x"), headersOf()),
          "InvalidObjectName",
        );
      });
    });

    it("lists keys in UTF-8 byte order with prefix and after, lazily", async () => {
      await withStorage(async (s) => {
        // "\uFFFD" sorts before "😀" in UTF-8 (EF BF BD < F0 9F 98 80) but after it in UTF-16.
        const keys = ["b", "a/2", "a/1", "a", "\u{1F600}", "\uFFFD", "é", "Z", "a/10", "ab"];
        for (const key of keys) await s.putObject("bkt", key, bodyOf(key), headersOf());
        const sorted = ["Z", "a", "a/1", "a/10", "a/2", "ab", "b", "é", "\uFFFD", "\u{1F600}"];
        const all = await collect(s.listObjects("bkt", {}));
        assert.deepEqual(all.map((o) => o.key), sorted);
        assert.equal(all[1].size, 1);
        assert.equal(all[1].etag, md5Hex("a"));
        assert.equal(all[1].objectType, "Normal");
        assert.equal(all[1].storageClass, "Standard");
        assert.ok(all[1].lastModified instanceof Date);
        const keysOf = async (o: { prefix?: string; after?: string }) =>
          (await collect(s.listObjects("bkt", o))).map((x) => x.key);
        assert.deepEqual(await keysOf({ prefix: "a/" }), ["a/1", "a/10", "a/2"]);
        assert.deepEqual(await keysOf({ prefix: "a/", after: "a/1" }), ["a/10", "a/2"]);
        assert.deepEqual(await keysOf({ prefix: "a/", after: "a" }), ["a/1", "a/10", "a/2"]);
        assert.deepEqual(await keysOf({ prefix: "a/", after: "a/3" }), []);
        assert.deepEqual(await keysOf({ after: "b" }), ["é", "\uFFFD", "\u{1F600}"]);
        assert.deepEqual(await keysOf({ after: "\uFFFD" }), ["\u{1F600}"]);
        assert.deepEqual(await keysOf({ prefix: "zz" }), []);
        // Lazy: take two, change the bucket, keep going without errors.
        const iterator = s.listObjects("bkt", {})[Symbol.asyncIterator]();
        assert.equal((await iterator.next()).value?.key, "Z");
        await s.deleteObject("bkt", "a/1");
        await s.putObject("bkt", "c", bodyOf("c"), headersOf());
        const rest: string[] = [];
        for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
          rest.push(r.value.key);
        }
        assert.ok(!rest.includes("a/1"));
        assert.equal(rest[0], "a");
        await iterator.return?.();
      });
    });

    it("keeps one whole version when puts of the same key race", async () => {
      await withStorage(async (s) => {
        const versions = Array.from({ length: 6 }, (_, i) => testBytes(200 * KB + i, 10 + i));
        const results = await Promise.all(
          versions.map((v) =>
            s.putObject("bkt", "race", bodyOf(v, { chunkSize: 8192 }), headersOf())
          ),
        );
        results.forEach((r, i) => assert.equal(r.etag, md5Hex(versions[i])));
        const reader = await s.getObject("bkt", "race");
        const bytes = await readAll(reader.stream());
        assert.equal(md5Hex(bytes), reader.meta.etag);
        assert.ok(versions.some((v) => md5Hex(v) === reader.meta.etag));
        assert.equal(reader.meta.crc64, crc64(bytes));
        assert.equal((await collect(s.listObjects("bkt", {}))).length, 1);
      });
    });
  });

  describe(`${name} storage: multipart uploads`, () => {
    it("assembles listed parts into an object with the multipart ETag and combined CRC64", async () => {
      await withStorage(async (s) => {
        const headers = headersOf({ contentType: "video/mp4", userMeta: { origin: "mpu" } });
        const upload = await s.initiateMultipartUpload("bkt", "movie.mp4", headers);
        assert.match(upload.uploadId, /^[0-9A-F]{32}$/);
        assert.equal(upload.key, "movie.mp4");
        assert.equal(upload.bucket, "bkt");
        const p1 = testBytes(100 * KB, 1);
        const p2 = testBytes(100 * KB + 5, 2);
        const p3 = testBytes(1234, 3);
        const id = upload.uploadId;
        // Out of order, one replaced, one never completed.
        const m3 = await s.uploadPart("bkt", "movie.mp4", id, 3, bodyOf(p3));
        await s.uploadPart("bkt", "movie.mp4", id, 2, bodyOf("to be replaced"));
        const m2 = await s.uploadPart("bkt", "movie.mp4", id, 2, bodyOf(p2, { length: p2.length }));
        const m1 = await s.uploadPart(
          "bkt",
          "movie.mp4",
          id,
          1,
          bodyOf(p1, { contentMd5: md5Base64(p1) }),
        );
        await s.uploadPart("bkt", "movie.mp4", id, 7, bodyOf("unlisted"));
        assert.equal(m1.etag, md5Hex(p1));
        assert.equal(m1.crc64, crc64(p1));
        assert.equal(m2.size, p2.length);
        assert.equal(m3.partNumber, 3);
        const listed = await s.listParts("bkt", "movie.mp4", id);
        assert.deepEqual(listed.map((p) => p.partNumber), [1, 2, 3, 7]);
        assert.equal(listed[1].etag, md5Hex(p2));
        const meta = await s.completeMultipartUpload("bkt", "movie.mp4", id, [
          { partNumber: 1, etag: `"${m1.etag}"` },
          { partNumber: 2, etag: m2.etag.toLowerCase() },
          { partNumber: 3, etag: m3.etag },
        ]);
        const whole = concatBytes([p1, p2, p3]);
        assert.equal(meta.etag, multipartEtag([p1, p2, p3]));
        assert.match(meta.etag, /^[0-9A-F]{32}-3$/);
        assert.equal(meta.crc64, crc64(whole));
        assert.equal(meta.size, whole.length);
        assert.equal(meta.objectType, "Multipart");
        assert.equal(meta.contentType, "video/mp4");
        assert.deepEqual(meta.userMeta, { origin: "mpu" });
        const reader = await s.getObject("bkt", "movie.mp4");
        assert.deepEqual(reader.meta, meta);
        assert.deepEqual(await readAll(reader.stream()), whole);
        assert.deepEqual(
          await readAll(reader.stream({ start: 100 * KB - 3, end: 100 * KB + 2 })),
          whole.subarray(100 * KB - 3, 100 * KB + 3),
        );
        await rejectsWith(s.listParts("bkt", "movie.mp4", id), "NoSuchUpload");
        await rejectsWith(s.getMultipartUpload("bkt", "movie.mp4", id), "NoSuchUpload");
        assert.deepEqual(await s.listMultipartUploads("bkt"), []);
        await rejectsWith(
          s.completeMultipartUpload("bkt", "movie.mp4", id, [{ partNumber: 1, etag: m1.etag }]),
          "NoSuchUpload",
        );
      });
    });

    it("answers InvalidPart, InvalidPartOrder, NoSuchUpload and InvalidArgument", async () => {
      await withStorage(async (s) => {
        const { uploadId: id } = await s.initiateMultipartUpload("bkt", "k", headersOf());
        const m1 = await s.uploadPart("bkt", "k", id, 1, bodyOf("one"));
        const m2 = await s.uploadPart("bkt", "k", id, 2, bodyOf("two"));
        await rejectsWith(
          s.completeMultipartUpload("bkt", "k", id, [{ partNumber: 1, etag: m2.etag }]),
          "InvalidPart",
        );
        await rejectsWith(
          s.completeMultipartUpload("bkt", "k", id, [{ partNumber: 5, etag: m1.etag }]),
          "InvalidPart",
        );
        await rejectsWith(
          s.completeMultipartUpload("bkt", "k", id, [
            { partNumber: 2, etag: m2.etag },
            { partNumber: 1, etag: m1.etag },
          ]),
          "InvalidPartOrder",
        );
        await rejectsWith(
          s.completeMultipartUpload("bkt", "k", id, [
            { partNumber: 1, etag: m1.etag },
            { partNumber: 1, etag: m1.etag },
          ]),
          "InvalidPartOrder",
        );
        // A failed Complete leaves the upload as it was.
        assert.equal((await s.listParts("bkt", "k", id)).length, 2);
        await rejectsWith(s.getObject("bkt", "k"), "NoSuchKey");
        for (const n of [0, 10001, 1.5, -1]) {
          await rejectsWith(s.uploadPart("bkt", "k", id, n, bodyOf("x")), "InvalidArgument");
        }
        assert.ok(await s.uploadPart("bkt", "k", id, 10000, bodyOf("x")));
        for (const bad of ["0".repeat(32), "../../x", "", id.toLowerCase(), `${id}/..`]) {
          await rejectsWith(s.uploadPart("bkt", "k", bad, 1, bodyOf("x")), "NoSuchUpload");
          await rejectsWith(s.listParts("bkt", "k", bad), "NoSuchUpload");
          await rejectsWith(s.abortMultipartUpload("bkt", "k", bad), "NoSuchUpload");
          await rejectsWith(s.getMultipartUpload("bkt", "k", bad), "NoSuchUpload");
          await rejectsWith(s.completeMultipartUpload("bkt", "k", bad, []), "NoSuchUpload");
        }
        // The upload belongs to its key.
        await rejectsWith(s.uploadPart("bkt", "other", id, 1, bodyOf("x")), "NoSuchUpload");
        await rejectsWith(s.listParts("bkt", "other", id), "NoSuchUpload");
        // Digest and length rules apply to parts too, and leave the old part in place.
        await rejectsWith(
          s.uploadPart("bkt", "k", id, 1, bodyOf("uno", { contentMd5: md5Base64("one") })),
          "InvalidDigest",
        );
        await rejectsWith(
          s.uploadPart("bkt", "k", id, 1, bodyOf("uno", { length: 9 })),
          "IncompleteBody",
        );
        assert.equal((await s.listParts("bkt", "k", id))[0].etag, m1.etag);
        await s.abortMultipartUpload("bkt", "k", id);
        await rejectsWith(s.abortMultipartUpload("bkt", "k", id), "NoSuchUpload");
        await rejectsWith(s.uploadPart("bkt", "k", id, 1, bodyOf("x")), "NoSuchUpload");
      });
    });

    it("lists and gets unfinished uploads sorted by key then initiation", async () => {
      await withStorage(async (s) => {
        const b1 = await s.initiateMultipartUpload("bkt", "b", headersOf());
        const a1 = await s.initiateMultipartUpload("bkt", "a", headersOf({ contentType: "x/y" }));
        const b2 = await s.initiateMultipartUpload("bkt", "b", headersOf());
        const list = await s.listMultipartUploads("bkt");
        assert.deepEqual(list.map((u) => u.key), ["a", "b", "b"]);
        assert.equal(list[0].uploadId, a1.uploadId);
        assert.ok(list[1].initiated.getTime() <= list[2].initiated.getTime());
        assert.deepEqual(
          new Set(list.slice(1).map((u) => u.uploadId)),
          new Set([b1.uploadId, b2.uploadId]),
        );
        const got = await s.getMultipartUpload("bkt", "a", a1.uploadId);
        assert.equal(got.headers.contentType, "x/y");
        assert.deepEqual(got, a1);
        assert.notEqual(b1.uploadId, b2.uploadId);
        for (const u of list) await s.abortMultipartUpload("bkt", u.key, u.uploadId);
      });
    });

    it("copies ranges of objects into parts (UploadPartCopy)", async () => {
      await withStorage(async (s) => {
        const src = testBytes(250 * KB, 9);
        await s.putObject("bkt", "src", bodyOf(src), headersOf());
        const { uploadId: id } = await s.initiateMultipartUpload("bkt", "dst", headersOf());
        const c1 = await s.uploadPartCopy("bkt", "dst", id, 1, {
          bucket: "bkt",
          key: "src",
          range: { start: 0, end: 150 * KB - 1 },
        });
        const c2 = await s.uploadPartCopy("bkt", "dst", id, 2, {
          bucket: "bkt",
          key: "src",
          range: { start: 150 * KB, end: 250 * KB - 1 },
        });
        const c3 = await s.uploadPartCopy("bkt", "dst", id, 3, { bucket: "bkt", key: "src" });
        assert.equal(c1.etag, md5Hex(src.subarray(0, 150 * KB)));
        assert.equal(c2.size, 100 * KB);
        assert.equal(c3.crc64, crc64(src));
        await rejectsWith(
          s.uploadPartCopy("bkt", "dst", id, 4, {
            bucket: "bkt",
            key: "src",
            range: { start: 0, end: 250 * KB },
          }),
          "InvalidRange",
        );
        await rejectsWith(
          s.uploadPartCopy("bkt", "dst", id, 4, { bucket: "bkt", key: "missing" }),
          "NoSuchKey",
        );
        const meta = await s.completeMultipartUpload("bkt", "dst", id, [
          { partNumber: 1, etag: c1.etag },
          { partNumber: 2, etag: c2.etag },
        ]);
        assert.equal(meta.crc64, crc64(src));
        assert.deepEqual(await readAll((await s.getObject("bkt", "dst")).stream()), src);
      });
    });

    it("takes simultaneous parts of one upload, including the same part number", async () => {
      await withStorage(async (s) => {
        const { uploadId: id } = await s.initiateMultipartUpload("bkt", "par", headersOf());
        const parts = Array.from({ length: 8 }, (_, i) => testBytes(100 * KB + i * 13, 50 + i));
        const same = Array.from({ length: 4 }, (_, i) => testBytes(64 * KB, 90 + i));
        const [metas] = await Promise.all([
          Promise.all(
            parts.map((p, i) =>
              s.uploadPart("bkt", "par", id, i + 1, bodyOf(p, { chunkSize: 3000 }))
            ),
          ),
          Promise.all(
            same.map((p) => s.uploadPart("bkt", "par", id, 9, bodyOf(p, { chunkSize: 3000 }))),
          ),
        ]);
        const listed = await s.listParts("bkt", "par", id);
        assert.equal(listed.length, 9);
        const ninth = listed[8];
        assert.ok(same.some((p) => md5Hex(p) === ninth.etag));
        const meta = await s.completeMultipartUpload(
          "bkt",
          "par",
          id,
          listed.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
        );
        const whole = concatBytes([...parts, same.find((p) => md5Hex(p) === ninth.etag)!]);
        assert.equal(meta.crc64, crc64(whole));
        assert.deepEqual(await readAll((await s.getObject("bkt", "par")).stream()), whole);
        assert.equal(metas[0].etag, md5Hex(parts[0]));
      });
    });

    it("lets an upload outlive an overwrite of its key and replaces the object on Complete", async () => {
      await withStorage(async (s) => {
        await s.putObject("bkt", "k", bodyOf("before"), headersOf());
        const { uploadId: id } = await s.initiateMultipartUpload("bkt", "k", headersOf());
        const m1 = await s.uploadPart("bkt", "k", id, 1, bodyOf("after"));
        await s.putObject("bkt", "k", bodyOf("between"), headersOf());
        await s.completeMultipartUpload("bkt", "k", id, [{ partNumber: 1, etag: m1.etag }]);
        const reader = await s.getObject("bkt", "k");
        assert.equal(new TextDecoder().decode(await readAll(reader.stream())), "after");
        assert.equal(reader.meta.objectType, "Multipart");
        assert.match(reader.meta.etag, /^[0-9A-F]{32}-1$/);
      });
    });
  });
}
