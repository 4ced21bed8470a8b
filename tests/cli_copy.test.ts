/**
 * `ossup cp oss://a/x oss://b/y` end to end in child processes against the local server
 * (in-process here, on 127.0.0.1): a small object with one CopyObject (--json), a key
 * ending in `/` taking the source's name, and a multipart copy (--bigfile-threshold)
 * stopped by Ctrl-C partway, then resumed from its checkpoint.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc64 } from "../lib/crc64/crc64.ts";
import { type Bucket, OssClient } from "../mod.ts";
import { GatedClock } from "./_gated_clock.ts";
import { startServer, type TestServer } from "./_server.ts";
import { cleanEnv, runOssup, startOssup } from "./_cli_run.ts";
import { testBytes } from "./_test_bytes.ts";
import { exists, sameBytes } from "./_upload_fixtures.ts";

let server: TestServer;
let dir: string;
let env: Record<string, string>;
let source: Bucket;
let dest: Bucket;
const clock = new GatedClock();

before(async () => {
  server = await startServer({ faultClock: clock });
  dir = await mkdtemp(join(tmpdir(), "ossup-cli-copy-"));
  env = cleanEnv({
    OSS_ENDPOINT: server.url,
    OSS_REGION: server.region,
    OSS_ACCESS_KEY_ID: server.accessKeyId,
    OSS_ACCESS_KEY_SECRET: server.accessKeySecret,
  });
  const client = new OssClient({
    endpoint: server.url,
    region: server.region,
    accessKeyId: server.accessKeyId,
    accessKeySecret: server.accessKeySecret,
  });
  await client.createBucket("cli-src");
  await client.createBucket("cli-dst");
  source = client.bucket("cli-src");
  dest = client.bucket("cli-dst");
});

after(async () => {
  clock.release();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("ossup cp oss:// oss://", () => {
  it("copies a small object with one CopyObject (--json); a key ending in / takes the source's name", async () => {
    const data = testBytes(300_000, 1);
    await source.putObject("dir/small.bin", data, { meta: { a: "1" } });
    const r = await runOssup([
      "cp",
      "oss://cli-src/dir/small.bin",
      "oss://cli-dst/copies/",
      "--json",
    ], {
      cwd: dir,
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.method, "CopyObject");
    assert.equal(out.key, "copies/small.bin");
    assert.equal(out.crc64, crc64(data).toString());
    assert.equal(out.crc64Verified, true);
    assert.ok(sameBytes(await (await dest.getObject("copies/small.bin")).bytes(), data));
    assert.deepEqual((await dest.headObject("copies/small.bin")).meta, { a: "1" });
  });

  it("copies in parts above --bigfile-threshold; Ctrl-C pauses, the same command resumes", async () => {
    const data = testBytes(10 * 102400 - 5, 2);
    await source.putObject("big.bin", data);
    const args = [
      "cp",
      "oss://cli-src/big.bin",
      "oss://cli-dst/big-copy.bin",
      "--bigfile-threshold",
      "100KB",
      "--part-size",
      "100KB",
      "--parallel",
      "1",
    ];
    server.control.clear();
    clock.hold();
    server.control.add({
      operation: "UploadPartCopy",
      nth: 4,
      times: 0,
      action: { type: "latency", ms: 0 },
    });
    const run = startOssup(args, { cwd: dir, env });
    await clock.held(1);
    run.interrupt();
    const { code } = await run.exit;
    clock.release();
    await server.idle();
    server.control.clear();
    assert.equal(code, 130, run.stderr());
    const paused =
      /paused at 3\/10 parts; the checkpoint is kept in (\S+): run the same command again to resume/
        .exec(run.stderr());
    assert.ok(paused, run.stderr());
    assert.ok(await exists(join(dir, paused[1])), "checkpoint on disk");

    const again = await runOssup([...args, "--json"], { cwd: dir, env });
    assert.equal(again.code, 0, again.stderr);
    const out = JSON.parse(again.stdout);
    assert.equal(out.method, "UploadPartCopy");
    assert.equal(out.resumed, true);
    assert.equal(out.parts, 10);
    assert.equal(out.crc64, crc64(data).toString());
    assert.equal(server.control.stats().requests.UploadPartCopy, 7);
    assert.ok(sameBytes(await (await dest.getObject("big-copy.bin")).bytes(), data));
    assert.equal(await exists(join(dir, paused[1])), false, "checkpoint removed");
  });

  it("says what is wrong with a source that is not an object", async () => {
    const r = await runOssup(["cp", "oss://cli-src/dir/", "oss://cli-dst/x"], { cwd: dir, env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /oss:\/\/cli-src\/dir\/|source object/);
  });
});
