// The library side of what an upload stores and how objects go: Content-Type from the name
// (the mime package's table) on putObject, uploadFile and uploadStream, unless given;
// putObjectThreshold sending a small source as one PutObject, CRC64-checked; deleteObjects
// taking 1,000 keys a request; getObjectAcl.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { contentTypeByName, MAX_KEYS_PER_DELETE } from "../mod.ts";
import { collect } from "./_client_setup.ts";
import { testBytes } from "./_test_bytes.ts";
import { objectBytes, sameBytes, type UploadEnv, uploadEnv } from "./_upload_fixtures.ts";

describe("contentTypeByName", () => {
  it("types by the last segment's extension, the first name that has a known one", () => {
    assert.equal(contentTypeByName("site/index.html"), "text/html");
    assert.equal(contentTypeByName("a.DOCX"), contentTypeByName("a.docx"));
    assert.equal(contentTypeByName("upload.tmp1", "photos/cat.png"), "image/png");
    assert.equal(contentTypeByName("v1.2/README"), undefined);
    assert.equal(contentTypeByName(undefined, ""), undefined);
  });
});

describe("object names and removal on the local server", () => {
  let env: UploadEnv;
  const type = async (key: string) => (await env.bucket.headObject(key)).contentType;
  before(async () => {
    env = await uploadEnv("names");
  });
  after(() => env.close());

  it("putObject, uploadFile and uploadStream type by name unless told", async () => {
    await env.bucket.putObject("a.json", "{}");
    await env.bucket.putObject("b.json", "{}", { contentType: "text/plain" });
    await env.bucket.putObject("c.json", new Blob(["{}"], { type: "application/x-custom" }));
    assert.equal(await type("a.json"), "application/json");
    assert.equal(await type("b.json"), "text/plain");
    assert.equal(await type("c.json"), "application/x-custom");

    const file = join(env.dir, "page.html");
    await writeFile(file, testBytes(250 * 1024, 1));
    // Multipart (3 parts): the type goes on InitiateMultipartUpload. The file's name first.
    await env.bucket.uploadFile("upload.bin", file, { partSize: 100 * 1024 });
    assert.equal(await type("upload.bin"), "text/html");
    await env.bucket.uploadStream("stream.css", new Blob(["a{}"]).stream());
    assert.equal(await type("stream.css"), "text/css");
  });

  it("putObjectThreshold: a source up to it is one PutObject, CRC64-checked", async () => {
    const stats = () => env.server.control.stats().requests;
    const bytes = testBytes(250 * 1024, 2);
    const file = join(env.dir, "whole.bin");
    await writeFile(file, bytes);
    const initiated = stats().InitiateMultipartUpload ?? 0;
    const r = await env.bucket.uploadFile("whole.bin", file, {
      partSize: 100 * 1024,
      putObjectThreshold: 250 * 1024,
    });
    assert.equal(r.parts, 0);
    assert.equal(r.crc64Verified, true);
    assert.equal(stats().InitiateMultipartUpload ?? 0, initiated);
    assert.ok(sameBytes(await objectBytes(env.bucket, "whole.bin"), bytes));
    const above = await env.bucket.uploadFile("parts.bin", file, {
      partSize: 100 * 1024,
      putObjectThreshold: 250 * 1024 - 1,
    });
    assert.equal(above.parts, 3);
    await assert.rejects(
      env.bucket.uploadFile("x.bin", file, { putObjectThreshold: -1 }),
      /putObjectThreshold must be a whole number of bytes from 0 to 5368709120/,
    );
  });

  it("deleteObjects: 1,000 keys a request; getObjectAcl", async () => {
    const keys = Array.from({ length: MAX_KEYS_PER_DELETE + 1 }, (_, i) => `del/${i}`);
    for (let i = 0; i < keys.length; i += 100) {
      await Promise.all(keys.slice(i, i + 100).map((k) => env.bucket.putObject(k, "x")));
    }
    const r = await env.bucket.deleteObjects([...keys, "del/never-was"]);
    assert.equal(r.requests, 2);
    assert.equal(r.deleted.length, keys.length + 1);
    assert.deepEqual(await collect(env.bucket.listObjects({ prefix: "del/" })), []);

    await env.bucket.putObject("acl.txt", "x", { acl: "public-read" });
    assert.equal(await env.bucket.getObjectAcl("acl.txt"), "public-read");
    await env.bucket.putObject("plain.txt", "x");
    assert.equal(await env.bucket.getObjectAcl("plain.txt"), "default");
  });
});
