/**
 * `ossup`'s lines say what is true, each checked in a child process against
 * the local server: a download into a missing folder names the folder (exit
 * 2, not "a bug"); "the checkpoint is kept" only when one is on disk (the
 * refused connection that writes none is in cli_errors.test.ts); `rm`
 * of a missing key says so; `-q` prints nothing but errors; ETags in JSON
 * have no quotes whichever command prints them; progress off a terminal is
 * a bounded number of lines however many parts there are.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Bucket } from "../mod.ts";
import { makeClient } from "./_client_setup.ts";
import { GatedClock } from "./_gated_clock.ts";
import { startServer, type TestServer } from "./_server.ts";
import { assertAtMostAnIntent, cleanEnv, runOssup, serverFlags, startOssup } from "./_cli_run.ts";
import { testBytes } from "./_test_bytes.ts";

let server: TestServer;
let dir: string;
let env: Record<string, string>;
let bucket: Bucket;
const BUCKET = "msg-bucket";

// Holds latency faults until a test releases them.
const clock = new GatedClock();

before(async () => {
  server = await startServer({ faultClock: clock });
  dir = await mkdtemp(join(tmpdir(), "ossup-cli-msg-"));
  env = cleanEnv();
  bucket = makeClient(server, "v4", "path").client.bucket(BUCKET);
  const mb = await ossup(["mb", `oss://${BUCKET}`]);
  assert.equal(mb.code, 0, mb.stderr);
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs ossup in `dir` against the test server. */
function ossup(args: string[]) {
  return runOssup([...args, ...serverFlags(server)], { cwd: dir, env });
}

async function exists(path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false);
}

/** The one line on stderr (asserted to be one), without a stack trace. */
function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.ok(!stderr.includes(".ts:"), `no stack trace: ${stderr}`);
  return lines[0];
}

describe("ossup cp (download) into a path that cannot be written", () => {
  before(async () => {
    await bucket.putObject("obj.bin", testBytes(200_000, 4));
  });

  it("a folder that does not exist: exit 2 naming the folder, not a raw ENOENT", async () => {
    const r = await ossup(["cp", `oss://${BUCKET}/obj.bin`, "no-such-dir/sub/obj.bin"]);
    assert.equal(r.code, 2, r.stderr);
    const line = oneLine(r.stderr);
    assert.match(
      line,
      /^ossup: no such folder: no-such-dir\/sub \(to write no-such-dir\/sub\/obj\.bin\)/,
    );
    assert.ok(!line.includes("ENOENT") && !line.includes(".ossup-download"), line);
    assert.equal(r.stdout, "");
    assert.ok(!(await exists(join(dir, "no-such-dir"))), "nothing created");
  });

  it("a folder path that ends in / and does not exist names that folder", async () => {
    const r = await ossup(["cp", `oss://${BUCKET}/obj.bin`, "missing-dir/"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(oneLine(r.stderr), /no such folder: missing-dir /);
  });

  it("a path through a file: exit 2 saying the file is not a folder", async () => {
    await writeFile(join(dir, "plain.txt"), "x");
    const r = await ossup(["cp", `oss://${BUCKET}/obj.bin`, "plain.txt/obj.bin"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(oneLine(r.stderr), /plain\.txt is a file, not a folder/);
  });

  it("a checkpoint folder that does not exist is created, as for uploads", async () => {
    for (const flags of [["--checkpoint-dir", "new-cps"], ["--checkpoint", "new-cp/obj.cp"]]) {
      const r = await ossup(["cp", `oss://${BUCKET}/obj.bin`, "obj.out", ...flags, "--json"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).size, 200_000);
    }
    assert.deepEqual(await readdir(join(dir, "new-cps")), [], "checkpoint removed after success");
    assert.deepEqual(await readdir(join(dir, "new-cp")), []);
  });
});

describe("ossup cp (upload) into a source path that is not a file", () => {
  it("a path through a file: exit 2 with the path, not a bug", async () => {
    await writeFile(join(dir, "plain2.txt"), "x");
    const r = await ossup(["cp", "plain2.txt/x.bin", `oss://${BUCKET}/x.bin`]);
    assert.equal(r.code, 2, r.stderr);
    const line = oneLine(r.stderr);
    assert.match(line, /plain2\.txt\/x\.bin: a part of this path is a file, not a folder/);
    assert.ok(!line.includes("report it"), line);
  });
});

describe("ossup says a checkpoint is kept only when one is", () => {
  it("a network failure after the first part: the checkpoint is kept, and named", async () => {
    await writeFile(join(dir, "n.bin"), testBytes(300_000, 6));
    server.control.clear();
    server.control.add({
      operation: "UploadPart",
      partNumber: 2,
      times: 0,
      action: { type: "reset", phase: "request" },
    });
    try {
      const r = await ossup([
        "cp",
        "n.bin",
        `oss://${BUCKET}/n.bin`,
        "--part-size",
        "100KB",
        "--parallel",
        "1",
      ]);
      assert.equal(r.code, 4, r.stderr);
      const last = r.stderr.trim().split("\n").pop()!;
      assert.match(
        last,
        /the checkpoint is kept in n\.bin\.cp: run the same command again to resume$/,
      );
      assert.ok(await exists(join(dir, "n.bin.cp")), "checkpoint on disk");
    } finally {
      server.control.clear();
    }
    const again = await ossup([
      "cp",
      "n.bin",
      `oss://${BUCKET}/n.bin`,
      "--part-size",
      "100KB",
      "--json",
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).resumed, true);
  });

  it("Ctrl-C before the first checkpoint write: does not claim one is kept", async () => {
    await writeFile(join(dir, "i.bin"), testBytes(300_000, 7));
    server.control.clear();
    // The answer is held until the run has exited: Ctrl-C surely comes before it.
    clock.hold();
    server.control.add({
      operation: "InitiateMultipartUpload",
      times: 0,
      action: { type: "latency", ms: 2_000 },
    });
    try {
      const run = startOssup(
        // Three parts: a file of one part would go up with one PutObject, no upload to initiate.
        ["cp", "i.bin", `oss://${BUCKET}/i.bin`, "--part-size", "100KB", ...serverFlags(server)],
        { cwd: dir, env },
      );
      // The upload is waiting for its InitiateMultipartUpload answer: no checkpoint yet.
      await server.control.when((stats) => (stats.requests.InitiateMultipartUpload ?? 0) > 0);
      run.interrupt();
      const { code } = await run.exit;
      assert.equal(code, 130, run.stderr());
      const line = oneLine(run.stderr());
      assert.ok(!/checkpoint is kept/.test(line), line);
      assert.match(line, /interrupted before anything was uploaded; no checkpoint was written/);
      // At most the intent of the upload being started, for the next run to look for strays.
      await assertAtMostAnIntent(join(dir, "i.bin.cp"));
    } finally {
      clock.release();
      await server.idle();
      server.control.clear();
    }
  });
});

describe("ossup rm", () => {
  it("a key that does not exist: says so, exit 0, existed:false in JSON", async () => {
    const r = await ossup(["rm", `oss://${BUCKET}/never-there.txt`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `oss://${BUCKET}/never-there.txt did not exist; nothing removed\n`);
    const j = await ossup(["rm", `oss://${BUCKET}/never-there.txt`, "--json"]);
    assert.equal(j.code, 0, j.stderr);
    assert.deepEqual(JSON.parse(j.stdout), {
      bucket: BUCKET,
      key: "never-there.txt",
      existed: false,
    });
  });

  it("a key that exists: removed, existed:true", async () => {
    await bucket.putObject("there.txt", "x");
    const j = await ossup(["rm", `oss://${BUCKET}/there.txt`, "--json"]);
    assert.equal(j.code, 0, j.stderr);
    assert.deepEqual(JSON.parse(j.stdout), { bucket: BUCKET, key: "there.txt", existed: true });
    await assert.rejects(bucket.headObject("there.txt"), { status: 404 });
    await bucket.putObject("there2.txt", "x");
    const r = await ossup(["rm", `oss://${BUCKET}/there2.txt`]);
    assert.equal(r.stdout, `removed oss://${BUCKET}/there2.txt\n`);
  });

  it("a key that may not HEAD: removed, saying whether it existed is unknown", async () => {
    await bucket.putObject("no-head.txt", "x");
    server.control.clear();
    server.control.add({
      operation: "HeadObject",
      times: 0,
      action: { type: "error", status: 403, code: "AccessDenied" },
    });
    try {
      const r = await ossup(["rm", `oss://${BUCKET}/no-head.txt`, "--json"]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { bucket: BUCKET, key: "no-head.txt", existed: null });
      const deletes = server.control.stats().requests.DeleteObject;
      assert.equal(deletes, 1, "deleted anyway");
    } finally {
      server.control.clear();
    }
    await assert.rejects(bucket.headObject("no-head.txt"), { status: 404 });
  });

  it("a bucket that does not exist is still an error (exit 6)", async () => {
    const r = await ossup(["rm", "oss://no-such-bucket-msg/k"]);
    assert.equal(r.code, 6, r.stderr);
    assert.match(oneLine(r.stderr), /NoSuchBucket/);
  });

  it("the help says what rm of a missing key does", async () => {
    const r = await runOssup(["--help"], { cwd: dir, env });
    assert.match(r.stdout, /rm oss:\/\/<bucket>\/<key> .*does not exist is said so, exit 0/);
  });
});

describe("ossup mb", () => {
  it("a bucket that is already yours: says so, not 'bucket names are global: pick another'", async () => {
    const r = await ossup(["mb", `oss://${BUCKET}`]);
    assert.equal(r.code, 6, r.stderr);
    const line = oneLine(r.stderr);
    assert.equal(
      line,
      `ossup: oss://${BUCKET} already exists and is yours (ossup ls lists it); nothing was changed`,
    );
  });
});

describe("ossup -q", () => {
  it("prints nothing on stderr, not even the local-server note", async () => {
    const home = await mkdtemp(join(tmpdir(), "ossup-quiet-"));
    try {
      await writeFile(join(home, "q.bin"), testBytes(150_000, 8));
      for (
        const args of [
          ["mb", "oss://quiet", "-q"],
          ["cp", "q.bin", "oss://quiet/q.bin", "-q"],
          ["ls", "oss://quiet", "-q"],
          ["cp", "oss://quiet/q.bin", "back.bin", "-q"],
          ["rm", "oss://quiet/q.bin", "-q"],
        ]
      ) {
        const r = await runOssup(args, { cwd: home, env });
        assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
        assert.equal(r.stderr, "", `${args.join(" ")} is quiet on stderr`);
      }
      // Without -q the note is there: the test above is about -q.
      const loud = await runOssup(["ls", "oss://quiet"], { cwd: home, env });
      assert.match(loud.stderr, /no endpoint configured; using the local server/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe("ossup --json ETags", () => {
  it("are unquoted and the same in cp (both ways) and ls", async () => {
    await writeFile(join(dir, "e.bin"), testBytes(250_000, 9));
    const up = await ossup(["cp", "e.bin", `oss://${BUCKET}/etag/e.bin`, "--json"]);
    assert.equal(up.code, 0, up.stderr);
    const ls = await ossup(["ls", `oss://${BUCKET}/etag/`, "--json"]);
    assert.equal(ls.code, 0, ls.stderr);
    const down = await ossup(["cp", `oss://${BUCKET}/etag/e.bin`, "e.out", "--json"]);
    assert.equal(down.code, 0, down.stderr);
    const etags = [up, ls, down].map((r) => JSON.parse(r.stdout.trim()).etag as string);
    for (const etag of etags) assert.match(etag, /^[0-9A-F]+(-\d+)?$/, `no quotes: ${etag}`);
    assert.equal(new Set(etags).size, 1, etags.join(" "));
  });
});

describe("ossup progress off a terminal", () => {
  it("a 200-part upload prints about one line per 5%, not one per part", async () => {
    await writeFile(join(dir, "many.bin"), testBytes(200 * 102_400, 10));
    const started = performance.now();
    const r = await ossup(["cp", "many.bin", `oss://${BUCKET}/many.bin`, "--part-size", "100KB"]);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(r.code, 0, r.stderr);
    const progress = r.stderr.split("\n").filter((l) => /parts \d+\/200$/.test(l));
    // The first sample, one per 5% step (20), and at most one per 10 s while it runs.
    const bound = 1 + 20 + Math.ceil(seconds / 10);
    assert.ok(progress.length <= bound, `${progress.length} lines > ${bound}:\n${r.stderr}`);
    assert.ok(progress.length >= 2, r.stderr);
    assert.match(progress.at(-1)!, /\(100%\).*parts 200\/200$/, "the last line is the end");
  });
});

describe("ossup's first line of a transfer", () => {
  it("counts the parts, and never says more at once than there are parts", async () => {
    await writeFile(join(dir, "one.bin"), testBytes(300_000, 11));
    // At most one part (1 MiB with the default "auto"): one PutObject, its summary the only line.
    const one = await ossup(["cp", "one.bin", `oss://${BUCKET}/one.bin`]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stderr, "");
    assert.match(
      one.stdout,
      /^uploaded one\.bin to oss:\/\/msg-bucket\/one\.bin: 293\.0 KiB in one PutObject, /,
    );
    const single = await ossup([
      "cp",
      "one.bin",
      `oss://${BUCKET}/single.bin`,
      "--part-size",
      "1MB",
      "--bigfile-threshold",
      "0",
    ]);
    assert.equal(single.code, 0, single.stderr);
    assert.match(
      single.stderr,
      /^ossup: uploading one\.bin \(293\.0 KiB\) to oss:\/\/msg-bucket\/single\.bin in 1 part, checkpoint one\.bin\.cp$/m,
    );
    // With no --part-size and --parallel the engine chooses, and says so (in parts: no PutObject):
    // a file of 1 MiB or less is one part; 2.5 MB is cut for the 32 routines "auto" may run, and
    // with no more parts than that it runs them all at once.
    const auto = await ossup([
      "cp",
      "one.bin",
      `oss://${BUCKET}/auto.bin`,
      "--bigfile-threshold",
      "0",
    ]);
    assert.equal(auto.code, 0, auto.stderr);
    assert.match(auto.stderr, / in 1 part, checkpoint /);
    await writeFile(join(dir, "larger.bin"), testBytes(2_500_000, 12));
    const larger = await ossup([
      "cp",
      "larger.bin",
      `oss://${BUCKET}/larger.bin`,
      "--bigfile-threshold",
      "0",
    ]);
    assert.equal(larger.code, 0, larger.stderr);
    assert.match(larger.stderr, / in 20 parts of 128\.0 KiB, 20 at once to start \(auto\), /);
    const three = await ossup([
      "cp",
      "one.bin",
      `oss://${BUCKET}/three.bin`,
      "--part-size",
      "100KB",
      "--parallel",
      "8",
    ]);
    assert.equal(three.code, 0, three.stderr);
    assert.match(three.stderr, / in 3 parts of 100\.0 KiB, 3 at once, checkpoint /);
    const down = await ossup([
      "cp",
      `oss://${BUCKET}/three.bin`,
      "three.out",
      "--part-size",
      "128KB",
      "--parallel",
      "4",
    ]);
    assert.equal(down.code, 0, down.stderr);
    assert.match(
      down.stderr,
      /^ossup: downloading oss:\/\/msg-bucket\/three\.bin \(293\.0 KiB\) to three\.out in 3 parts of 128\.0 KiB, 3 at once, checkpoint three\.out\.ossup-download\.cp$/m,
    );
  });
});
