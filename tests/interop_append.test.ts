/**
 * Appendable objects written by the official SDKs and by ossup on the same local server,
 * each continuing the other's: the Go SDK 1.4's `bucket.AppendObject(key, r, position,
 * oss.InitCRC(c))` (its own CRC64 chain check on) and ali-oss 6.x's `append`, against
 * `bucket.appendObject` / `bucket.appendFile`. Every object reads back byte-identical with
 * the other client, and the server's CRC64 is the bytes' CRC64.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OSS from "ali-oss";
import { type Bucket, crc64, OssClient } from "../mod.ts";
import { buildGoProgram } from "./_go.ts";
import { goSdkMissing } from "./_peers.ts";
import { startServer, type TestServer } from "./_server.ts";
import { clientOptions } from "./_upload_fixtures.ts";

const skip = goSdkMissing();

function randomData(size: number): Uint8Array {
  return new Uint8Array(randomBytes(size));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("appendable objects shared with the official SDKs", () => {
  let server: TestServer;
  let dir: string;
  let bucket: Bucket;
  let goBin: string;
  // deno-lint-ignore no-explicit-any
  let ali: any;
  const bucketName = "append-interop";

  function go(mode: string, args: string[]): Promise<Record<string, unknown>> {
    const all = [
      mode,
      "-endpoint",
      server.endpoint,
      "-ak",
      server.accessKeyId,
      "-sk",
      server.accessKeySecret,
      "-bucket",
      bucketName,
      ...args,
    ];
    return new Promise((resolve, reject) => {
      execFile(goBin, all, { timeout: 120_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`upload_file ${mode} failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split("\n").at(-1)!));
      });
    });
  }

  function file(name: string, data: Uint8Array): string {
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  }

  async function ossupBytes(key: string): Promise<Uint8Array> {
    return await (await bucket.getObject(key)).bytes();
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ossup-append-interop-"));
    server = await startServer();
    const client = new OssClient(clientOptions(server));
    await client.createBucket(bucketName);
    bucket = client.bucket(bucketName);
    ali = new OSS({
      region: `oss-${server.region}`,
      endpoint: server.url,
      accessKeyId: server.accessKeyId,
      accessKeySecret: server.accessKeySecret,
      bucket: bucketName,
      secure: false,
      timeout: 60_000,
    });
    if (!skip) goBin = await buildGoProgram("upload_file");
  });

  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    "Go SDK AppendObject continues ossup's object, and ossup continues Go's",
    { skip },
    async () => {
      const a = randomData(70_000), b = randomData(150_000), c = randomData(33);
      const first = await bucket.appendObject("go/mixed.bin", a, { position: 0 });
      // The Go SDK checks the server's CRC64 against its chain from ossup's CRC64.
      const byGo = await go("append", [
        "-key",
        "go/mixed.bin",
        "-file",
        file("b.bin", b),
        "-position",
        String(first.nextPosition),
        "-init-crc",
        String(first.crc64),
      ]);
      assert.equal(byGo.nextPosition, a.length + b.length);
      const head = await bucket.headObject("go/mixed.bin");
      const last = await bucket.appendObject("go/mixed.bin", c, {
        position: byGo.nextPosition as number,
        crc64: head.crc64,
      });
      assert.equal(last.crc64Verified, true);
      const all = concat(a, b, c);
      assert.equal(last.crc64, crc64(all));
      assert.deepEqual(await ossupBytes("go/mixed.bin"), all, "ossup reads it byte-identical");
      const out = join(dir, "go-mixed.out");
      const downloaded = await go("download", ["-key", "go/mixed.bin", "-out", out]);
      assert.deepEqual(new Uint8Array(readFileSync(out)), all, "Go reads it byte-identical");
      assert.equal(downloaded.crc64, crc64(all).toString());
      const goHead = await go("head", ["-key", "go/mixed.bin"]);
      assert.equal(goHead.objectType, "Appendable");
    },
  );

  it("ossup appendFile continues an object the Go SDK started", { skip }, async () => {
    const whole = randomData(260_000);
    const path = file("whole.bin", whole);
    await go("append", [
      "-key",
      "go/started.bin",
      "-file",
      file("start.bin", whole.subarray(0, 100_000)),
      "-position",
      "0",
    ]);
    const r = await bucket.appendFile("go/started.bin", path, { appendSize: 64 * 1024 });
    assert.equal(r.continuedFrom, 100_000);
    assert.equal(r.bytesSent, 160_000);
    assert.equal(r.crc64, crc64(whole));
    const out = join(dir, "go-started.out");
    await go("download", ["-key", "go/started.bin", "-out", out]);
    assert.deepEqual(new Uint8Array(readFileSync(out)), whole);
  });

  it("ali-oss append and ossup appendObject take turns on one object", async () => {
    const a = randomData(1000), b = randomData(2000), c = randomData(3000);
    const r1 = await ali.append("ali/turns.bin", Buffer.from(a));
    assert.equal(r1.nextAppendPosition, "1000");
    const r2 = await bucket.appendObject("ali/turns.bin", b, {
      position: Number(r1.nextAppendPosition),
      crc64: crc64(a),
    });
    assert.equal(r2.crc64Verified, true);
    const r3 = await ali.append("ali/turns.bin", Buffer.from(c), { position: r2.nextPosition });
    assert.equal(r3.nextAppendPosition, "6000");
    const all = concat(a, b, c);
    const got = await ali.get("ali/turns.bin");
    assert.deepEqual(new Uint8Array(got.content), all, "ali-oss reads it byte-identical");
    assert.deepEqual(await ossupBytes("ali/turns.bin"), all, "ossup reads it byte-identical");
    const head = await ali.head("ali/turns.bin");
    assert.equal(head.res.headers["x-oss-hash-crc64ecma"], crc64(all).toString());
    assert.equal(head.res.headers["x-oss-object-type"], "Appendable");
  });

  it("ali-oss sees PositionNotEqualToLength as OSS sends it", async () => {
    await bucket.appendObject("ali/wrong.bin", "12345", { position: 0 });
    await assert.rejects(
      ali.append("ali/wrong.bin", Buffer.from("x"), { position: 2 }),
      (err: { code?: string; status?: number }) => {
        assert.equal(err.code, "PositionNotEqualToLength");
        assert.equal(err.status, 409);
        return true;
      },
    );
  });
});
