/**
 * Copy interop with the official SDKs on the same local server, over real sockets: the Go
 * SDK 1.4's `bucket.CopyFile(srcBucket, srcKey, destKey, partSize, oss.Routines(3))`, without
 * and with `oss.Checkpoint(true, path)`, and ali-oss's `copy` and `multipartUploadCopy`,
 * each copying an object ossup wrote, which ossup reads back byte-identical; and ossup's
 * `copyFile` (CopyObject and UploadPartCopy) copying objects the SDKs wrote, which they read
 * back byte-identical. The Go program is tests/go/copy_file/main.go (built by tests/_go.ts).
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OSS from "ali-oss";
import { type Bucket, OssClient } from "../mod.ts";
import { crc64 } from "../lib/crc64/crc64.ts";
import { buildGoProgram } from "./_go.ts";
import { goSdkMissing } from "./_peers.ts";
import { startServer, type TestServer } from "./_server.ts";
import { testBytes } from "./_test_bytes.ts";
import { sameBytes } from "./_upload_fixtures.ts";

const KB100 = 100 * 1024;
const SRC = "interop-src";
const DST = "interop-dst";
const BIG = 7 * KB100 + 333; // several parts at the SDKs' 100 KB part size

let server: TestServer;
let dir: string;
let source: Bucket;
let dest: Bucket;

before(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), "ossup-interop-copy-"));
  const client = new OssClient({
    endpoint: server.url,
    region: server.region,
    accessKeyId: server.accessKeyId,
    accessKeySecret: server.accessKeySecret,
  });
  await client.createBucket(SRC);
  await client.createBucket(DST);
  source = client.bucket(SRC);
  dest = client.bucket(DST);
});
after(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function objectBytes(bucket: Bucket, key: string): Promise<Uint8Array> {
  return await (await bucket.getObject(key)).bytes();
}

describe("the Go SDK 1.4's CopyFile against the local server", { skip: goSdkMissing() }, () => {
  let goBin: string;
  before(async () => {
    goBin = await buildGoProgram("copy_file");
  });

  function go(mode: string, args: string[]): Promise<Record<string, string>> {
    const all = [
      mode,
      "-endpoint",
      server.endpoint,
      "-ak",
      server.accessKeyId,
      "-sk",
      server.accessKeySecret,
      ...args,
    ];
    return new Promise((resolve, reject) => {
      execFile(goBin, all, { timeout: 120_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`copy_file ${mode} failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split("\n").at(-1)!));
      });
    });
  }

  for (const checkpoint of [false, true]) {
    it(`copies what ossup wrote ${checkpoint ? "with" : "without"} a checkpoint; ossup reads it back`, async () => {
      // SDK 1.4's UploadPartCopy puts the key in x-oss-copy-source unescaped (its CopyObject
      // escapes it with url.QueryEscape): a '+' would read as a space and a non-ASCII byte
      // would not survive the header, on OSS as here. So: ASCII, no '+'.
      const key = `go-copy/${checkpoint ? "cp" : "plain"} a b.bin`;
      const data = testBytes(BIG, checkpoint ? 2 : 1);
      await source.uploadFile(key, new Blob([data]), { partSize: KB100 });
      const cp = join(dir, `go-${checkpoint}.cp`);
      await go("copy", [
        "-bucket",
        DST,
        "-src-bucket",
        SRC,
        "-src-key",
        key,
        "-key",
        key,
        "-part-size",
        String(KB100),
        "-routines",
        "3",
        ...(checkpoint ? ["-cp", cp] : []),
      ]);
      assert.ok(sameBytes(await objectBytes(dest, key), data), "byte-identical");
      assert.equal((await dest.headObject(key)).crc64, crc64(data));
      assert.equal(existsSync(cp), false, "the Go SDK removed its checkpoint");
    });
  }

  for (const [method, size] of [["CopyObject", 3 * KB100], ["UploadPartCopy", BIG]] as const) {
    it(`ossup copies (${method}) what the Go SDK wrote; the Go SDK reads it back`, async () => {
      const key = `from-go/${method}.bin`;
      const data = testBytes(size, 3);
      const file = join(dir, `${method}.in`);
      writeFileSync(file, data);
      await go("put", ["-bucket", SRC, "-key", key, "-file", file]);
      const result = await dest.copyFile(SRC, key, key, {
        copyObjectLimit: 4 * KB100,
        partSize: KB100,
        routines: 3,
      });
      assert.equal(result.method, method);
      const got = await go("get", [
        "-bucket",
        DST,
        "-key",
        key,
        "-out",
        join(dir, `${method}.out`),
      ]);
      assert.equal(got.crc64, crc64(data).toString(), "the Go SDK's file is byte-identical");
    });
  }
});

describe("ali-oss's copy and multipartUploadCopy against the local server", () => {
  // deno-lint-ignore no-explicit-any
  function aliClient(bucket: string): any {
    return new OSS({
      region: `oss-${server.region}`,
      endpoint: server.url,
      accessKeyId: server.accessKeyId,
      accessKeySecret: server.accessKeySecret,
      bucket,
      secure: false,
      timeout: 60_000,
    });
  }

  it("copy: an object ossup wrote, with its metadata; ossup reads it back", async () => {
    const key = "ali/small ü.bin";
    const data = testBytes(3 * KB100, 4);
    await source.putObject(key, data, { meta: { from: "ossup" }, contentType: "image/x-a" });
    const r = await aliClient(DST).copy(key, key, SRC);
    assert.equal(r.res.status, 200);
    assert.ok(sameBytes(await objectBytes(dest, key), data));
    const head = await dest.headObject(key);
    assert.deepEqual(head.meta, { from: "ossup" });
    assert.equal(head.contentType, "image/x-a");
  });

  it("multipartUploadCopy: an object ossup wrote, in parts; ossup reads it back", async () => {
    const key = "ali/big.bin";
    const data = testBytes(BIG, 5);
    await source.uploadFile(key, new Blob([data]), { partSize: KB100 });
    const r = await aliClient(DST).multipartUploadCopy(key, {
      sourceKey: key,
      sourceBucketName: SRC,
    }, { partSize: KB100, parallel: 3 });
    assert.equal(r.res.status, 200);
    assert.ok(sameBytes(await objectBytes(dest, key), data));
    assert.equal((await dest.headObject(key)).crc64, crc64(data));
  });

  for (const [method, size] of [["CopyObject", 3 * KB100], ["UploadPartCopy", BIG]] as const) {
    it(`ossup copies (${method}) what ali-oss wrote; ali-oss reads it back`, async () => {
      const key = `from-ali/${method}.bin`;
      const data = testBytes(size, 6);
      await aliClient(SRC).put(key, Buffer.from(data), { meta: { from: "ali" } });
      const result = await dest.copyFile(SRC, key, key, {
        copyObjectLimit: 4 * KB100,
        partSize: KB100,
        routines: 2,
      });
      assert.equal(result.method, method);
      const got = await aliClient(DST).get(key);
      assert.ok(sameBytes(new Uint8Array(got.content), data), "ali-oss reads it byte-identical");
      assert.equal(got.res.headers["x-oss-meta-from"], "ali");
    });
  }
});
