/**
 * `ossup cp -r oss://a/prefix/ oss://b/prefix2/` and `ossup sync` between two prefixes, end to
 * end: spawned CLI processes (this runtime) against the local server in-process on 127.0.0.1,
 * every request recorded by bucket and key. A tree of small objects and three large ones,
 * names with spaces and non-ASCII, is copied inside OSS (CopyObject for the small ones,
 * UploadPartCopy parts for the large ones) across buckets and within one; `--include`/
 * `--exclude` pick objects; a failed object is listed and the rest copied; a run killed with
 * SIGKILL (at a point chosen by server counters, not time) and run again copies none of the
 * objects its journal has and resumes the large object in flight from its parts; `sync`
 * copies only what is missing or changed and `--delete` removes what the source lacks.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Bucket } from "../lib/client/bucket.ts";
import { makeClient } from "./_client_setup.ts";
import { GatedClock } from "./_gated_clock.ts";
import { startServer, type TestServer } from "./_server.ts";
import { runOssup, serverEnv } from "./_cli_run.ts";
import { journals, KILL_PACE, killTreeMidway, resumeTree } from "./_tree_kill.ts";
import { testBytes } from "./_test_bytes.ts";

/** One request as it reached the server. */
interface Seen {
  method: string;
  bucket: string;
  key: string;
  partNumber?: number;
  /** Has `x-oss-copy-source`: a CopyObject or an UploadPartCopy. */
  copy: boolean;
  multipart: boolean;
}

const SOURCE = "copy-source";
const TARGET = "copy-target";
const BIG = "a big ü 1.bin"; // first in the listing's order, so it is in flight early
const SMALL = 200;
/** Objects above 200 KB are copied in 100 KB UploadPartCopy parts. */
const SIZES = ["--bigfile-threshold", "200KB", "--part-size", "100KB"];
let server: TestServer;
let source: Bucket;
let target: Bucket;
let dir: string;
let env: Record<string, string>;
let seen: Seen[] = [];
const clock = new GatedClock();

const smallName = (i: number) => `d ${i % 5} é/${i % 2 === 0 ? "sub 子" : "plain"}/f ${i} ñ.txt`;
/** Every source object under `tree/`, by relative path. */
const TREE: [string, number][] = [
  ...Array.from(
    { length: SMALL },
    (_, i): [string, number] => [smallName(i), 1 + (i * 131) % 6000],
  ),
  [BIG, 1_500_000],
  ["d 3 é/big two.bin", 300 * 1024 + 1],
  ["zz big 3.bin", 700_000],
];

/** Each object of `rels` under `toPrefix` of `to` has the size and CRC-64 of its source. */
async function assertCopied(
  rels: string[],
  to: Bucket,
  toPrefix: string,
  from = source,
  fromPrefix = "tree/",
): Promise<void> {
  for (const rel of rels) {
    const [a, b] = await Promise.all([
      from.headObject(fromPrefix + rel),
      to.headObject(toPrefix + rel),
    ]);
    assert.equal(b.size, a.size, rel);
    assert.ok(a.crc64 !== undefined && b.crc64 === a.crc64, `${rel}: CRC-64 differs`);
  }
}

/** The keys under `prefix` of `bucket`, relative to it. */
async function keysUnder(bucket: Bucket, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of bucket.listObjects({ prefix })) keys.push(o.key.slice(prefix.length));
  return keys.sort();
}

/** Copy requests (CopyObject, UploadPartCopy) whose destination is `bucket`/`prefix`…. */
const copiesTo = (bucket: string, prefix: string) =>
  seen.filter((s) => s.copy && s.bucket === bucket && s.key.startsWith(prefix));

before(async () => {
  server = await startServer({
    faultClock: clock,
    wrapHandler: (fetch) => (req, e) => {
      const url = new URL(req.url);
      const [bucket = "", ...key] = url.pathname.split("/").slice(1);
      const part = url.searchParams.get("partNumber");
      seen.push({
        method: req.method,
        bucket: decodeURIComponent(bucket),
        key: decodeURIComponent(key.join("/")),
        partNumber: part === null ? undefined : Number(part),
        copy: req.headers.has("x-oss-copy-source"),
        multipart: url.searchParams.has("uploadId") || url.searchParams.has("uploads"),
      });
      return fetch(req, e);
    },
  });
  dir = await mkdtemp(join(tmpdir(), "ossup-cli-tree-copy-"));
  env = serverEnv(server);
  const { client } = makeClient(server, "v4", "path");
  await client.createBucket(SOURCE);
  await client.createBucket(TARGET);
  source = client.bucket(SOURCE);
  target = client.bucket(TARGET);
  for (const [i, [rel, size]] of TREE.entries()) {
    await source.putObject(`tree/${rel}`, testBytes(size, i));
  }
  await source.putObject("tree/empty folder/", new Uint8Array());
});

after(async () => {
  clock.release();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("ossup cp -r between oss:// prefixes", () => {
  it("copies every object to another bucket: CopyObject for small ones, UploadPartCopy parts for large ones", async () => {
    const cwd = await mkdtemp(join(dir, "across-"));
    seen = [];
    const r = await runOssup(
      ["cp", "-r", `oss://${SOURCE}/tree/`, `oss://${TARGET}/copy/`, ...SIZES, "--json"],
      { cwd, env },
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.direction, "copy");
    assert.equal(out.source, `oss://${SOURCE}/tree/`);
    assert.equal(out.destination, `oss://${TARGET}/copy/`);
    assert.equal(out.files, TREE.length);
    assert.equal(out.copied, TREE.length);
    assert.deepEqual(out.failed, []);
    assert.equal(out.bytesCopied, TREE.reduce((n, [, size]) => n + size, 0));
    assert.deepEqual(await journals(cwd), [], "the journal is removed on success");

    const rels = TREE.map(([rel]) => rel);
    assert.deepEqual(
      await keysUnder(target, "copy/"),
      [...rels, "empty folder/"].sort(),
      "every object, and the folder marker",
    );
    await assertCopied(rels, target, "copy/");
    const copies = copiesTo(TARGET, "copy/");
    const whole = copies.filter((s) => !s.multipart).map((s) => s.key.slice("copy/".length));
    assert.deepEqual(whole.sort(), rels.slice(0, SMALL).sort(), "one CopyObject per small object");
    const bigParts = copies.filter((s) => s.key === `copy/${BIG}` && s.multipart);
    assert.deepEqual(bigParts.map((s) => s.partNumber).sort((a, b) => a! - b!), [
      ...Array.from({ length: 15 }, (_, i) => i + 1),
    ]);
    assert.equal(seen.filter((s) => s.method === "GET" && s.key !== "").length, 0, "no GetObject");
  });

  it("copies within one bucket, refuses prefixes that contain each other, and keeps --include/--exclude", async () => {
    const cwd = await mkdtemp(join(dir, "within-"));
    const r = await runOssup(
      [
        "cp",
        "-r",
        `oss://${SOURCE}/tree/d 1 é/`,
        `oss://${SOURCE}/other/`,
        "--include",
        "*.txt",
        "--exclude",
        "f 1[0-9] *",
      ],
      { cwd, env },
    );
    assert.equal(r.code, 0, r.stderr);
    const expected = TREE.map(([rel]) => rel)
      .filter((rel) => rel.startsWith("d 1 é/") && !/\/f 1[0-9] /.test(rel))
      .map((rel) => rel.slice("d 1 é/".length));
    assert.ok(expected.length > 20);
    assert.deepEqual(await keysUnder(source, "other/"), expected.sort());
    assert.match(r.stdout, new RegExp(`: ${expected.length} copied`));
    await assertCopied(expected, source, "other/", source, "tree/d 1 é/");

    for (const [from, to] of [["tree/", "tree/inner/"], ["tree/d 1 é/", "tree/"]]) {
      const nested = await runOssup([
        "cp",
        "-r",
        `oss://${SOURCE}/${from}`,
        `oss://${SOURCE}/${to}`,
      ], {
        cwd,
        env,
      });
      assert.equal(nested.code, 2, nested.stderr);
      assert.match(nested.stderr, /one prefix contains the other/);
    }
  });

  it("lists a failed object at the end with a non-zero exit, copies the rest, and a rerun copies only it", async () => {
    const cwd = await mkdtemp(join(dir, "fail-"));
    const failing = smallName(7);
    server.control.clear();
    server.control.add({
      operation: "CopyObject",
      key: `fails/${failing}`,
      times: 0,
      action: { type: "error", status: 403, code: "AccessDenied" },
    });
    const args = ["cp", "-r", `oss://${SOURCE}/tree/`, `oss://${TARGET}/fails/`, ...SIZES];
    const r = await runOssup(args, { cwd, env });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, new RegExp(`${TREE.length - 1} copied .* 1 failed`));
    assert.match(r.stderr, /1 file\(s\) failed after 3 attempts; the journal is kept in /);
    assert.ok(r.stderr.includes(`  ${failing}: `), r.stderr);
    assert.equal((await journals(cwd)).length, 1);

    server.control.clear();
    seen = [];
    const again = await runOssup([...args, "--json"], { cwd, env });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).copied, 1);
    assert.deepEqual(copiesTo(TARGET, "fails/").map((s) => s.key), [`fails/${failing}`]);
    await assertCopied(TREE.map(([rel]) => rel), target, "fails/");
  });

  it("after SIGKILL, a rerun copies none of the objects its journal has and resumes the large one from its parts", async () => {
    const cwd = await mkdtemp(join(dir, "kill-"));
    const args = [
      "cp",
      "-r",
      `oss://${SOURCE}/tree/`,
      `oss://${TARGET}/kill/`,
      ...SIZES,
      ...KILL_PACE,
    ];
    const done = await killTreeMidway({
      server,
      clock,
      args,
      cwd,
      env,
      // Part 3 of the large object is held: parts 1 and 2 are done and journalled before it.
      hold: { operation: "UploadPartCopy", key: `kill/${BIG}`, partNumber: 3 },
      // A job copies its next object only once the last one is journalled: with 4 jobs, one
      // held on the large object, 100 CopyObjects seen means at least 97 objects recorded.
      until: (s) => (s.requests.CopyObject ?? 0) >= 100,
    });
    assert.ok(done.size >= 97, `${done.size} objects recorded`);
    assert.ok(!done.has(BIG));

    seen = [];
    await resumeTree({ args, cwd, env }, done, TREE.length);
    const touched = seen.filter((s) =>
      (s.bucket === TARGET && done.has(s.key.slice("kill/".length))) ||
      (s.bucket === SOURCE && done.has(s.key.slice("tree/".length)))
    );
    assert.deepEqual(
      touched.map((s) => `${s.method} ${s.key}`),
      [],
      "no journalled object is touched",
    );
    const bigParts = copiesTo(TARGET, `kill/${BIG}`)
      .filter((s) => s.partNumber !== undefined)
      .map((s) => s.partNumber!);
    assert.deepEqual(
      [...new Set(bigParts)].sort((a, b) => a - b),
      Array.from({ length: 13 }, (_, i) => i + 3),
      "the large object resumes at its third part",
    );
    assert.deepEqual(await journals(cwd), [], "the journal is removed once the tree is done");
    await assertCopied(TREE.map(([rel]) => rel), target, "kill/");
  });

  it("refuses the write flags and --bandwidth-limit, which a copy inside OSS does not use", async () => {
    const cwd = await mkdtemp(join(dir, "flags-"));
    const from = `oss://${SOURCE}/tree/`;
    const acl = await runOssup(["cp", "-r", from, `oss://${TARGET}/x/`, "--acl", "private"], {
      cwd,
      env,
    });
    assert.equal(acl.code, 2);
    assert.match(acl.stderr, /--acl applies to uploads .* not to a copy inside OSS/);
    const rate = await runOssup(
      ["sync", from, `oss://${TARGET}/x/`, "--bandwidth-limit", "1M"],
      { cwd, env },
    );
    assert.equal(rate.code, 2);
    assert.match(rate.stderr, /--bandwidth-limit paces what goes through this machine/);
  });
});

describe("ossup sync between oss:// prefixes", () => {
  const FROM = "syncsrc/";
  const TO = "syncdst/";
  const rel = (i: number) => `s ${i % 3}/o ${i} ü.txt`;

  it("copies what is missing or changed, --dry-run changes nothing, --delete removes what the source lacks, --checksum sees a same-size change", async () => {
    const cwd = await mkdtemp(join(dir, "sync-"));
    for (let i = 0; i < 30; i++) await source.putObject(FROM + rel(i), testBytes(100 + i, i));
    const args = ["sync", `oss://${SOURCE}/${FROM}`, `oss://${TARGET}/${TO}`];
    const first = await runOssup(args, { cwd, env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^synced .*: 30 copied .* 0 unchanged, 0 deleted/);

    // One changed size, one added, one removed at the source.
    await source.putObject(FROM + rel(4), testBytes(500, 99));
    await source.putObject(FROM + "added.txt", testBytes(10, 98));
    await source.deleteObject(FROM + rel(9));

    seen = [];
    const dry = await runOssup([...args, "--delete", "--dry-run"], { cwd, env });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`would copy: ${rel(4)} \\(size\\)`));
    assert.match(dry.stdout, /would copy: added\.txt \(new\)/);
    assert.ok(dry.stdout.includes(`would delete: oss://${TARGET}/${TO}${rel(9)}`), dry.stdout);
    assert.deepEqual(seen.filter((s) => s.method !== "GET"), [], "a dry run only lists");

    seen = [];
    const synced = await runOssup([...args, "--delete", "--json"], { cwd, env });
    assert.equal(synced.code, 0, synced.stderr);
    const out = JSON.parse(synced.stdout);
    assert.equal(out.copied, 2);
    assert.equal(out.unchanged, 28);
    assert.equal(out.deleted, 1);
    assert.deepEqual(
      copiesTo(TARGET, TO).map((s) => s.key).sort(),
      [TO + "added.txt", TO + rel(4)].sort(),
      "only the changed and the added object are copied",
    );
    assert.deepEqual(await keysUnder(target, TO), await keysUnder(source, FROM));
    await assertCopied(await keysUnder(source, FROM), target, TO, source, FROM);

    // Same size, other bytes, maybe in the second the copy was made: --checksum sees it.
    await source.putObject(FROM + rel(5), testBytes(105, 97));
    seen = [];
    const summed = await runOssup([...args, "--checksum", "--json"], { cwd, env });
    assert.equal(summed.code, 0, summed.stderr);
    assert.equal(JSON.parse(summed.stdout).copied, 1);
    assert.deepEqual(copiesTo(TARGET, TO).map((s) => s.key), [TO + rel(5)]);
    await assertCopied([rel(5)], target, TO, source, FROM);
  });
});
