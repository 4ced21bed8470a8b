/**
 * The object and bucket settings of Alibaba Cloud's OSS SDK for Go 1.4 (Debian, signature V1)
 * against the local server, and objects ossup wrote with its settings read back by the SDK:
 * `SetBucketACL` (a PutBucket on a bucket the caller owns), `StorageClass` at CreateBucket,
 * `ObjectACL` and `ServerSideEncryption` on PutObject, and on UploadFile, whose SDK 1.4 sends
 * them with InitiateMultipartUpload, where OSS takes the encryption but not the ACL.
 *
 * The Go program is tests/go/write_options/main.go; tests/_go.ts builds it once.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OssClient } from "../mod.ts";
import { buildGoProgram } from "./_go.ts";
import { goSdkMissing } from "./_peers.ts";
import { startServer, type TestServer } from "./_server.ts";
import { clientOptions, objectBytes, sameBytes } from "./_upload_fixtures.ts";
import { testBytes } from "./_test_bytes.ts";

const skip = goSdkMissing();

describe("Go SDK 1.4 object and bucket settings against the local server", () => {
  let server: TestServer;
  let goBin: string;
  let dir: string;
  const bucket = "go-options";

  function go(mode: string, args: string[], b = bucket): Promise<Record<string, string>> {
    const all = [
      mode,
      "-endpoint",
      server.endpoint,
      "-ak",
      server.accessKeyId,
      "-sk",
      server.accessKeySecret,
      "-bucket",
      b,
      ...args,
    ];
    return new Promise((resolve, reject) => {
      execFile(goBin, all, { timeout: 120_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`write_options ${mode} failed: ${stderr.trim()}`));
        else resolve(JSON.parse(stdout.trim().split("\n").at(-1)!));
      });
    });
  }

  function file(name: string, size: number): { path: string; data: Uint8Array } {
    const data = testBytes(size, size);
    const path = join(dir, name);
    writeFileSync(path, data);
    return { path, data };
  }

  before(async () => {
    if (skip) return;
    dir = mkdtempSync(join(tmpdir(), "ossup-go-options-"));
    goBin = await buildGoProgram("write_options");
    server = await startServer();
    await go("mb", []);
  });

  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("SetBucketACL changes the ACL of a bucket the caller owns", { skip }, async () => {
    assert.deepEqual(await go("set-acl", ["-acl", "public-read"]), { acl: "public-read" });
    assert.deepEqual(await go("set-acl", ["-acl", "private"]), { acl: "private" });
    await assert.rejects(go("set-acl", ["-acl", "everyone"]), /oss: InvalidArgument/);
  });

  it("CreateBucket with StorageClass makes a bucket of that class", { skip }, async () => {
    assert.deepEqual(await go("mb", ["-class", "IA"], "go-options-ia"), { storageClass: "IA" });
  });

  it("PutObject with ObjectACL and ServerSideEncryption sets both", { skip }, async () => {
    const f = file("put.bin", 1000);
    const r = await go("put", [
      "-key",
      "put.bin",
      "-file",
      f.path,
      "-acl",
      "public-read",
      "-sse",
      "AES256",
    ]);
    assert.equal(r.acl, "public-read");
    assert.equal(r.sse, "AES256");
    const client = new OssClient(clientOptions(server));
    assert.ok(sameBytes(await objectBytes(client.bucket(bucket), "put.bin"), f.data));
    await assert.rejects(
      go("put", ["-key", "bad.bin", "-file", f.path, "-sse", "DES"]),
      /oss: InvalidEncryptionAlgorithmError/,
    );
  });

  it(
    "UploadFile sends ObjectACL with InitiateMultipartUpload, which OSS does not take there",
    { skip },
    async () => {
      const f = file("multi.bin", 250 * 1024);
      const r = await go("upload", [
        "-key",
        "multi.bin",
        "-file",
        f.path,
        "-acl",
        "public-read",
        "-sse",
        "KMS",
      ]);
      assert.equal(r.acl, "default", "the ACL of InitiateMultipartUpload is not honoured");
      assert.equal(r.sse, "KMS", "the encryption of InitiateMultipartUpload is");
      assert.equal(r.size, String(f.data.length));
    },
  );

  it("reads back what ossup wrote with its settings, on both write paths", { skip }, async () => {
    const b = new OssClient(clientOptions(server)).bucket(bucket);
    const settings = {
      acl: "public-read-write",
      storageClass: "ColdArchive",
      tagging: { a: "1", b: "2", c: "3" },
      serverSideEncryption: "SM4",
    } as const;
    await b.putObject("ossup-put.bin", testBytes(10), settings);
    await b.uploadFile("ossup-multi.bin", new Blob([testBytes(210 * 1024)]), {
      partSize: 100 * 1024,
      ...settings,
    });
    for (const key of ["ossup-put.bin", "ossup-multi.bin"]) {
      const r = await go("head", ["-key", key]);
      assert.equal(r.acl, "public-read-write", key);
      assert.equal(r.storageClass, "ColdArchive", key);
      assert.equal(r.taggingCount, "3", key);
      assert.equal(r.sse, "SM4", key);
    }
  });
});
