/**
 * `ossup cp` end to end in child processes against the local server
 * (in-process here, on 127.0.0.1): upload with --json, Ctrl-C (SIGINT) and
 * SIGKILL partway then resume, download (and an interrupted download
 * resumed), ls, rm, mb, presign.
 */

import type { OssOperation } from "../lib/client/operations.ts";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc64 } from "../lib/crc64/crc64.ts";
import { type Bucket, OssClient } from "../mod.ts";
import { GatedClock } from "./_gated_clock.ts";
import { startServer, type TestServer } from "./_server.ts";
import { cleanEnv, runOssup, startOssup } from "./_cli_run.ts";
import { testBytes as bytes } from "./_test_bytes.ts";
import { exists } from "./_upload_fixtures.ts";

let server: TestServer;
let dir: string;
let env: Record<string, string>;
let bucket: Bucket;
const BUCKET = "cli-bucket";

const clock = new GatedClock();

/**
 * Holds every `operation` request from the `nth` on until {@linkcode letGo}: a run with
 * `--parallel 1` stops with `nth - 1` parts done, however slow the machine, and a Ctrl-C
 * then finds it partway.
 */
function holdFrom(operation: OssOperation, nth: number): void {
  server.control.clear();
  clock.hold();
  server.control.add({ operation, nth, times: 0, action: { type: "latency", ms: 0 } });
}

/** Lets the held requests go and waits until they have ended, so none lands later. */
async function letGo(): Promise<void> {
  clock.release();
  await server.idle();
  server.control.clear();
}

before(async () => {
  server = await startServer({ faultClock: clock });
  dir = await mkdtemp(join(tmpdir(), "ossup-cli-"));
  env = cleanEnv({
    OSS_ENDPOINT: server.url,
    OSS_REGION: server.region,
    OSS_ACCESS_KEY_ID: server.accessKeyId,
    OSS_ACCESS_KEY_SECRET: server.accessKeySecret,
  });
  bucket = new OssClient({
    endpoint: server.url,
    region: server.region,
    accessKeyId: server.accessKeyId,
    accessKeySecret: server.accessKeySecret,
  }).bucket(BUCKET);
  const mb = await runOssup(["mb", `oss://${BUCKET}`], { cwd: dir, env });
  assert.equal(mb.code, 0, mb.stderr);
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("ossup cp (upload)", () => {
  it("uploads with --json: one JSON object with the result, CRC64 of the file", async () => {
    const data = bytes(1_500_000, 1);
    await writeFile(join(dir, "a.bin"), data);
    const r = await runOssup(
      ["cp", "a.bin", `oss://${BUCKET}/dir/a.bin`, "--part-size", "500KB", "--json"],
      { cwd: dir, env },
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 1);
    const j = JSON.parse(lines[0]);
    assert.equal(j.key, "dir/a.bin");
    assert.equal(j.size, data.length);
    assert.equal(j.parts, 3);
    assert.equal(j.partSize, 500 * 1024);
    assert.equal(j.crc64, crc64(data).toString());
    assert.equal(j.resumed, false);
    assert.equal(j.bytesSent, data.length);
    assert.equal(j.bytesResent, 0);
    assert.equal(typeof j.etag, "string");
    assert.equal(typeof j.seconds, "number");
    assert.ok(!(await exists(join(dir, "a.bin.cp"))), "checkpoint removed after success");
    const head = await bucket.headObject("dir/a.bin");
    assert.equal(head.size, data.length);
    assert.equal(head.crc64, crc64(data));
  });

  it("prints plain progress lines when stderr is not a terminal", async () => {
    await writeFile(join(dir, "p.bin"), bytes(400_000, 2));
    const r = await runOssup(["cp", "p.bin", `oss://${BUCKET}/p.bin`, "--part-size", "100KB"], {
      cwd: dir,
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /parts 4\/4/);
    assert.ok(!r.stderr.includes("\r"), "no carriage returns off a terminal");
    assert.match(
      r.stdout,
      /^uploaded p\.bin to oss:\/\/cli-bucket\/p\.bin: .* CRC64 \d+ verified\n$/,
    );
  });

  for (const signal of ["SIGINT", "SIGKILL"] as const) {
    it(`pauses on ${signal} partway and the same command resumes`, async () => {
      const data = bytes(1_024_000, signal.length);
      const file = `${signal}.bin`;
      await writeFile(join(dir, file), data);
      holdFrom("UploadPart", 4);
      const args = [
        "cp",
        file,
        `oss://${BUCKET}/${file}`,
        "--part-size",
        "100KB",
        "--parallel",
        "1",
      ];
      const run = startOssup(args, { cwd: dir, env });
      await run.waitForStderr(/parts 3\/10/);
      signal === "SIGKILL" ? run.child.kill(signal) : run.interrupt();
      const { code, signal: killedBy } = await run.exit;
      if (signal === "SIGINT") {
        assert.equal(code, 130, run.stderr());
        const last = run.stderr().trim().split("\n").pop()!;
        assert.match(
          last,
          /^ossup: paused at \d+\/10 parts .*run the same command again to resume$/,
        );
      } else {
        assert.equal(killedBy, "SIGKILL");
      }
      assert.ok(await exists(join(dir, `${file}.cp`)), "checkpoint kept");
      await letGo();
      const again = await runOssup([...args, "--json"], { cwd: dir, env });
      assert.equal(again.code, 0, again.stderr);
      const j = JSON.parse(again.stdout);
      assert.equal(j.resumed, true);
      assert.ok(j.bytesSent < data.length, `sent ${j.bytesSent} of ${data.length}`);
      assert.equal(j.crc64, crc64(data).toString());
      assert.ok(!(await exists(join(dir, `${file}.cp`))));
    });
  }

  it("keeps the checkpoint where --checkpoint and --checkpoint-dir say, none with --no-checkpoint", async () => {
    await writeFile(join(dir, "c.bin"), bytes(300_000, 3));
    const base = [
      "cp",
      "c.bin",
      `oss://${BUCKET}/c.bin`,
      "--part-size",
      "100KB",
      "--parallel",
      "1",
    ];
    for (
      const [flags, where] of [
        [["--checkpoint", "my.cp"], "my.cp"],
        [["--checkpoint-dir", "cps"], "cps"],
      ] as const
    ) {
      holdFrom("UploadPart", 2);
      const run = startOssup([...base, ...flags], { cwd: dir, env });
      await run.waitForStderr(/parts 1\/3/);
      run.interrupt();
      assert.equal((await run.exit).code, 130);
      await letGo();
      assert.ok(await exists(join(dir, where)), `${where} exists`);
      assert.ok(!(await exists(join(dir, "c.bin.cp"))));
    }
    server.control.clear();
    const off = await runOssup([...base, "--no-checkpoint", "--json"], { cwd: dir, env });
    assert.equal(off.code, 0, off.stderr);
    assert.equal(JSON.parse(off.stdout).resumed, false);
    assert.ok(!(await exists(join(dir, "c.bin.cp"))));
  });
});

describe("ossup cp: checkpoints of other destinations", () => {
  const upload = (file: string, key: string, extra: string[] = []) => [
    "cp",
    file,
    `oss://${BUCKET}/${key}`,
    "--part-size",
    "100KB",
    "--parallel",
    "1",
    ...extra,
  ];
  /** Starts an upload, Ctrl-C's it once a part is done, and returns its upload ID. */
  async function interrupted(args: string[], key: string): Promise<string> {
    holdFrom("UploadPart", 2);
    const run = startOssup(args, { cwd: dir, env });
    await run.waitForStderr(/parts 1\/3/);
    run.interrupt();
    assert.equal((await run.exit).code, 130, run.stderr());
    await letGo();
    const ids = await uploadIdsOf(key);
    assert.equal(ids.length, 1);
    return ids[0];
  }
  async function uploadIdsOf(key: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const u of bucket.listMultipartUploads({ prefix: key })) {
      if (u.key === key) ids.push(u.uploadId);
    }
    return ids;
  }

  // One checkpoint per file (<file>.cp, as the Go SDK's): the second key's run sets the first's
  // aside, aborts its multipart upload so nothing is orphaned, and says so in one line.
  const places = [
    { place: "the default <file>.cp", file: "two.bin", flags: [], cp: "two.bin.cp" },
    {
      place: "one --checkpoint",
      file: "shared.bin",
      flags: ["--checkpoint", "shared.cp"],
      cp: "shared.cp",
    },
  ];
  for (const [i, { place, file, flags, cp }] of places.entries()) {
    it(`a file sent to a second key through ${place}: the first key's upload is aborted, said in one line`, async () => {
      const [a, b] = [`${file}-a`, `${file}-b`];
      const cpPattern = cp.replaceAll(".", "\\.");
      const data = bytes(300_000, 11 + i);
      await writeFile(join(dir, file), data);
      const first = await interrupted(upload(file, a, flags), a);
      assert.ok(await exists(join(dir, cp)), `the first key's checkpoint is ${cp}`);
      const r = await runOssup(upload(file, b, flags), { cwd: dir, env });
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stderr.split("\n").filter((l) => l.startsWith("ossup: set aside"));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(
        lines[0],
        new RegExp(
          `^ossup: set aside checkpoint ${cpPattern} \\(it was for oss://${BUCKET}/${a} at \\S+: ` +
            `key differs\\); its multipart upload ${first} was aborted$`,
        ),
      );
      assert.match(r.stderr, new RegExp(`to oss://${BUCKET}/${b} .*, checkpoint ${cpPattern}\n`));
      assert.deepEqual(await uploadIdsOf(a), [], `${first} aborted, not orphaned`);
      assert.deepEqual(await uploadIdsOf(b), []);
      assert.equal((await bucket.headObject(b)).crc64, crc64(data), "the second key completes");
      assert.ok(!(await exists(join(dir, cp))), "its checkpoint is removed once complete");
    });
  }
});

describe("ossup cp (download)", () => {
  it("downloads by ranges, CRC64-verified, with --json", async () => {
    const data = bytes(1_300_000, 9);
    await bucket.putObject("d.bin", data);
    const r = await runOssup(
      ["cp", `oss://${BUCKET}/d.bin`, "d.out", "--part-size", "256KB", "--json"],
      { cwd: dir, env },
    );
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.size, data.length);
    assert.equal(j.parts, 5);
    assert.equal(j.crc64Verified, true);
    assert.deepEqual(new Uint8Array(await readFile(join(dir, "d.out"))), data);
    assert.ok(!(await exists(join(dir, "d.out.ossup-download"))));
    assert.ok(!(await exists(join(dir, "d.out.ossup-download.cp"))));
  });

  it("resumes an interrupted download", async () => {
    const data = bytes(1_000_000, 10);
    await bucket.putObject("slow.bin", data);
    // One GetObject per part after a HeadObject: the 4th waits until the run has ended.
    holdFrom("GetObject", 4);
    const args = [
      "cp",
      `oss://${BUCKET}/slow.bin`,
      "slow.out",
      "--part-size",
      "100KB",
      "--parallel",
      "1",
    ];
    const run = startOssup(args, { cwd: dir, env });
    await run.waitForStderr(/parts 3\/10/);
    run.interrupt();
    assert.equal((await run.exit).code, 130, run.stderr());
    assert.ok(await exists(join(dir, "slow.out.ossup-download.cp")));
    assert.ok(!(await exists(join(dir, "slow.out"))));
    await letGo();
    const again = await runOssup([...args, "--json"], { cwd: dir, env });
    assert.equal(again.code, 0, again.stderr);
    const j = JSON.parse(again.stdout);
    assert.equal(j.resumed, true);
    assert.ok(j.bytesReceived < data.length);
    assert.deepEqual(new Uint8Array(await readFile(join(dir, "slow.out"))), data);
  });
});

describe("ossup ls, rm, mb, presign", () => {
  it("lists, presigns a working URL, removes", async () => {
    await bucket.putObject("list/x.txt", "hello");
    const ls = await runOssup(["ls", `oss://${BUCKET}/list/`], { cwd: dir, env });
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /\s5\s+oss:\/\/cli-bucket\/list\/x\.txt\n$/);
    const buckets = await runOssup(["ls", "--json"], { cwd: dir, env });
    assert.ok(buckets.stdout.split("\n").some((l) => l.includes(`"bucket":"${BUCKET}"`)));
    const pre = await runOssup(["presign", `oss://${BUCKET}/list/x.txt`, "--expires", "60"], {
      cwd: dir,
      env,
    });
    assert.equal(pre.code, 0, pre.stderr);
    const res = await fetch(pre.stdout.trim());
    assert.equal(await res.text(), "hello");
    const del = await runOssup(["rm", `oss://${BUCKET}/list/x.txt`], { cwd: dir, env });
    assert.equal(del.code, 0, del.stderr);
    const after = await runOssup(["ls", `oss://${BUCKET}/list/`, "--json"], { cwd: dir, env });
    assert.equal(after.stdout, "");
    bucket = new OssClient({
      endpoint: server.url,
      region: server.region,
      accessKeyId: server.accessKeyId,
      accessKeySecret: server.accessKeySecret,
    }).bucket(BUCKET);
    const mb = await runOssup(["mb", "oss://cli-second"], { cwd: dir, env });
    assert.equal(mb.code, 0, mb.stderr);
    const rb = await runOssup(["rm", "--bucket", "oss://cli-second"], { cwd: dir, env });
    assert.equal(rb.code, 0, rb.stderr);
  });
});
