/**
 * Interop of downloads with Alibaba Cloud's official OSS SDK for Go (Debian's
 * golang-github-aliyun-aliyun-oss-go-sdk-dev, SDK 1.4) over a real socket: the SDK's
 * `bucket.DownloadFile(key, file, partSize, oss.Routines(3))`, with and without
 * `oss.Checkpoint(true, "")`, reads objects ossup wrote; ossup's `downloadFile` reads objects the
 * SDK's `UploadFile` wrote. Every file is byte-identical, and Go's own `hash/crc64` of it equals
 * ossup's CRC-64 and the server's.
 *
 * The Go programs are tests/go/download_file/main.go and tests/go/upload_file/main.go;
 * tests/_go.ts builds them once.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc64 } from "../lib/crc64/crc64.ts";
import { OssClient } from "../mod.ts";
import { buildGoProgram } from "./_go.ts";
import { goSdkMissing } from "./_peers.ts";
import { startServer, type TestServer } from "./_server.ts";
import { testBytes } from "./_test_bytes.ts";

const skip = goSdkMissing();
const PART = 100 * 1024;
const BUCKET = "go-download";

describe("downloads interop with the OSS SDK for Go 1.4 (Debian)", () => {
  let server: TestServer;
  let downloadBin: string;
  let uploadBin: string;
  let dir: string;
  let client: OssClient;

  /**
   * Runs a Go program (after its mode, if it takes one) against the server; resolves with its
   * JSON result line.
   */
  function go(bin: string, mode: string[], args: string[]): Promise<Record<string, unknown>> {
    const all = [
      ...mode,
      "-endpoint",
      server.endpoint, // an IP endpoint: SDK 1.4 goes path-style
      "-ak",
      server.accessKeyId,
      "-sk",
      server.accessKeySecret,
      "-bucket",
      BUCKET,
      ...args,
    ];
    return new Promise((resolve, reject) => {
      execFile(bin, all, { timeout: 120_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${bin} failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split("\n").at(-1)!));
      });
    });
  }

  before(async () => {
    if (skip) return;
    dir = mkdtempSync(join(tmpdir(), "ossup-go-download-"));
    [downloadBin, uploadBin] = await Promise.all([
      buildGoProgram("download_file"),
      buildGoProgram("upload_file"),
    ]);
    server = await startServer();
    client = new OssClient({
      endpoint: server.url,
      region: server.region,
      accessKeyId: server.accessKeyId,
      accessKeySecret: server.accessKeySecret,
    });
    await client.createBucket(BUCKET);
  });

  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const checkpoint of [false, true]) {
    it(
      `the SDK's DownloadFile${
        checkpoint ? ' with Checkpoint(true, "")' : ""
      } reads what ossup's uploadFile wrote`,
      { skip },
      async () => {
        const key = `from-ossup-${checkpoint}.bin`;
        const bytes = testBytes(10 * PART + 777, checkpoint ? 3 : 4); // 11 parts, the last short
        const source = join(dir, `${key}.src`);
        writeFileSync(source, bytes);
        const up = await client.bucket(BUCKET).uploadFile(key, source, {
          partSize: PART,
          routines: 3,
        });
        const out = join(dir, `${key}.go`);
        const got = await go(downloadBin, [], [
          "-key",
          key,
          "-out",
          out,
          "-part-size",
          String(PART),
          "-routines",
          "3",
          ...(checkpoint ? ["-checkpoint"] : []),
        ]);
        assert.deepEqual(new Uint8Array(readFileSync(out)), bytes, "byte-identical");
        assert.equal(got.crc64, up.crc64.toString(), "Go's CRC-64 of the file is ossup's");
        assert.equal(got.crc64, crc64(bytes).toString());
        assert.equal(existsSync(`${out}.temp`), false, "the SDK renamed its temp file");
        assert.equal(existsSync(`${out}.cp`), false, "the SDK removed its checkpoint");
      },
    );
  }

  it("ossup's downloadFile reads what the SDK's UploadFile wrote", { skip }, async () => {
    const key = "from-go.bin";
    const bytes = testBytes(12 * PART + 4321, 5); // 13 parts
    const source = join(dir, "from-go.src");
    writeFileSync(source, bytes);
    await go(uploadBin, ["upload"], ["-key", key, "-file", source]);
    const out = join(dir, "from-go.out");
    const result = await client.bucket(BUCKET).downloadFile(key, out, {
      partSize: PART,
      routines: 3,
      checkpoint: true,
    });
    assert.deepEqual(new Uint8Array(readFileSync(out)), bytes, "byte-identical");
    assert.equal(result.crc64Verified, true, "checked against the server's CRC-64");
    assert.equal(result.crc64, crc64(bytes));
    assert.equal(existsSync(`${out}.ossup-download`), false);
    assert.equal(existsSync(`${out}.ossup-download.cp`), false);
  });
});
