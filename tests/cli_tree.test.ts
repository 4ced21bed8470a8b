/**
 * `ossup cp -r` end to end: spawned CLI processes (this runtime) against the local server
 * in-process on 127.0.0.1. A tree of 300 small files and 3 large ones, names with spaces
 * and non-ASCII, goes up and comes back down byte for byte; a run killed with SIGKILL
 * (at a point chosen by server counters, not time) and run again sends none of the files
 * its journal has, and resumes the large file in flight from its parts.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeClient } from "./_client_setup.ts";
import { GatedClock } from "./_gated_clock.ts";
import { startServer, type TestServer } from "./_server.ts";
import { runOssup, serverEnv } from "./_cli_run.ts";
import { journals, KILL_PACE, killTreeMidway, resumeTree } from "./_tree_kill.ts";
import { testBytes } from "./_test_bytes.ts";

/** One request as it reached the server: which object, and which part. */
interface Seen {
  method: string;
  key: string;
  partNumber?: number;
  multipart: boolean;
  /** The Range header of a GET. */
  range?: string;
}

const BUCKET = "tree-bucket";
const BIG = "a big ü 1.bin"; // first in the walk's order, so it is in flight early
const SMALL_FILES = 300;
let server: TestServer;
let dir: string;
let env: Record<string, string>;
let seen: Seen[] = [];
const clock = new GatedClock();

/** Writes the tree: small files in nested folders, and three large ones. */
async function makeTree(root: string): Promise<void> {
  for (let i = 0; i < SMALL_FILES; i++) {
    const folder = join(root, `d ${i % 7} é`, i % 2 === 0 ? "sub 子" : "plain");
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, `f ${i} ñ.txt`), testBytes(1 + (i * 131) % 6000, i));
  }
  await writeFile(join(root, BIG), testBytes(1_500_000, 1001));
  await mkdir(join(root, "d 3 é"), { recursive: true });
  await writeFile(join(root, "d 3 é", "big two.bin"), testBytes(1_200_000, 1002));
  await writeFile(join(root, "zz big 3.bin"), testBytes(2_100_000 + 7, 1003));
}

/** Every file under `root` by its `/`-separated relative path. */
async function readTree(root: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    files.set(path.slice(root.length + 1).split(/[\\/]/).join("/"), await readFile(path));
  }
  return files;
}

async function assertSameTree(a: string, b: string): Promise<void> {
  const [left, right] = [await readTree(a), await readTree(b)];
  assert.deepEqual([...right.keys()].sort(), [...left.keys()].sort());
  for (const [rel, bytes] of left) {
    assert.ok(Buffer.compare(bytes, right.get(rel)!) === 0, `${rel} differs`);
  }
}

before(async () => {
  server = await startServer({
    faultClock: clock,
    wrapHandler: (fetch) => (req, e) => {
      const url = new URL(req.url);
      const key = decodeURIComponent(url.pathname.split("/").slice(2).join("/"));
      const part = url.searchParams.get("partNumber");
      seen.push({
        method: req.method,
        key,
        partNumber: part === null ? undefined : Number(part),
        multipart: url.searchParams.has("uploadId") || url.searchParams.has("uploads"),
        range: req.headers.get("range") ?? undefined,
      });
      return fetch(req, e);
    },
  });
  dir = await mkdtemp(join(tmpdir(), "ossup-cli-tree-"));
  env = serverEnv(server);
  await makeClient(server, "v4", "path").client.createBucket(BUCKET);
  await makeTree(join(dir, "src"));
});

after(async () => {
  clock.release();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("ossup cp -r", () => {
  it("copies a tree up and back down byte for byte, names with spaces and non-ASCII kept", async () => {
    const cwd = await mkdtemp(join(dir, "run-"));
    const up = await runOssup(
      ["cp", "-r", join(dir, "src"), `oss://${BUCKET}/copy/`, "--part-size", "100KB", "--json"],
      { cwd, env },
    );
    assert.equal(up.code, 0, up.stderr);
    const out = JSON.parse(up.stdout);
    assert.equal(out.files, SMALL_FILES + 3);
    assert.equal(out.copied, SMALL_FILES + 3);
    assert.deepEqual(out.failed, []);
    assert.deepEqual(await journals(cwd), [], "the journal is removed on success");
    // Small files went in one PutObject each; the three large ones in parts.
    const puts = seen.filter((s) => s.method === "PUT" && s.key.startsWith("copy/"));
    assert.equal(puts.filter((s) => !s.multipart).length, SMALL_FILES);
    assert.ok(puts.some((s) => s.key === `copy/${BIG}` && s.partNumber === 15));

    const down = await runOssup(["cp", "-r", `oss://${BUCKET}/copy`, join(cwd, "back")], {
      cwd,
      env,
    });
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, new RegExp(`${SMALL_FILES + 3} copied`));
    await assertSameTree(join(dir, "src"), join(cwd, "back"));
    assert.deepEqual(await journals(cwd), []);
  });

  it("after SIGKILL, a rerun sends none of the files its journal has and resumes the large file from its parts", async () => {
    const cwd = await mkdtemp(join(dir, "kill-"));
    const args = [
      "cp",
      "-r",
      join(dir, "src"),
      `oss://${BUCKET}/kill/`,
      "--part-size",
      "100KB",
      ...KILL_PACE,
    ];
    const done = await killTreeMidway({
      server,
      clock,
      args,
      cwd,
      env,
      // Part 3 of the large file is held: parts 1 and 2 are done and journalled before it is sent.
      hold: { operation: "UploadPart", key: `kill/${BIG}`, partNumber: 3 },
      // A job sends its next file only once the last one is journalled: with 4 jobs, 120
      // PutObjects seen means at least 116 files recorded.
      until: (s) => (s.requests.PutObject ?? 0) >= 120,
    });
    assert.ok(done.size >= 116, `${done.size} files recorded`);
    assert.ok(!done.has(BIG));

    seen = [];
    await resumeTree({ args, cwd, env }, done, SMALL_FILES + 3);
    const resent = seen.filter((s) => s.method === "PUT" && done.has(s.key.slice("kill/".length)));
    assert.deepEqual(resent.map((s) => s.key), [], "no journalled file is sent again");
    assert.equal(seen.filter((s) => s.method === "HEAD").length, 0, "no HEAD per file");
    // ListObjects is a GET on the bucket; the large file's engine may list multipart uploads.
    const listings = seen.filter((s) => s.method === "GET" && s.key === "" && !s.multipart);
    assert.equal(listings.length, 0, "no object listing");
    const bigParts = seen
      .filter((s) => s.method === "PUT" && s.key === `kill/${BIG}` && s.partNumber !== undefined)
      .map((s) => s.partNumber!);
    assert.ok(!bigParts.includes(1) && !bigParts.includes(2), `parts sent: ${bigParts}`);
    assert.deepEqual([...new Set(bigParts)].sort((a, b) => a - b), [
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      10,
      11,
      12,
      13,
      14,
      15,
    ]);
    assert.deepEqual(await journals(cwd), [], "the journal is removed once the tree is done");

    const down = await runOssup(["cp", "-r", `oss://${BUCKET}/kill/`, join(cwd, "back")], {
      cwd,
      env,
    });
    assert.equal(down.code, 0, down.stderr);
    await assertSameTree(join(dir, "src"), join(cwd, "back"));
  });

  it("downloading, after SIGKILL, a rerun gets none of the files its journal has and resumes the large file from its ranges", async () => {
    const cwd = await mkdtemp(join(dir, "kill-down-"));
    const up = await runOssup(["cp", "-r", join(dir, "src"), `oss://${BUCKET}/killdown/`], {
      cwd,
      env,
    });
    assert.equal(up.code, 0, up.stderr);
    const back = join(cwd, "back");
    const args = [
      "cp",
      "-r",
      `oss://${BUCKET}/killdown/`,
      back,
      "--part-size",
      "100KB",
      ...KILL_PACE,
    ];
    const done = await killTreeMidway({
      server,
      clock,
      args,
      cwd,
      env,
      // The large file's third range is held: ranges 1 and 2 are done and journalled before it
      // is asked for (one routine). It is first in the listing's key order, so in flight early.
      hold: { operation: "GetObject", key: `killdown/${BIG}`, nth: 3 },
      // A job asks for its next file only once the last one is journalled: 120 GetObjects
      // seen, 3 of them the large file's, leave at least 117 - 3 small files recorded by the
      // 3 other jobs.
      until: (s) => (s.requests.GetObject ?? 0) >= 120,
    });
    assert.ok(done.size >= 114, `${done.size} files recorded`);
    assert.ok(!done.has(BIG));

    seen = [];
    await resumeTree({ args, cwd, env }, done, SMALL_FILES + 3);
    const asked = seen.filter((s) =>
      (s.method === "GET" || s.method === "HEAD") && done.has(s.key.slice("killdown/".length))
    );
    assert.deepEqual(asked.map((s) => s.key), [], "no journalled file is asked for again");
    const bigRanges = seen
      .filter((s) => s.method === "GET" && s.key === `killdown/${BIG}`)
      .map((s) => Number(/^bytes=(\d+)-/.exec(s.range ?? "")?.[1]) / 102_400);
    assert.deepEqual(
      [...new Set(bigRanges)].sort((a, b) => a - b),
      [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
      "the large file resumes at its third range",
    );
    assert.deepEqual(await journals(cwd), [], "the journal is removed once the tree is done");
    await assertSameTree(join(dir, "src"), back);
  });
});
