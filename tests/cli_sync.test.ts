/**
 * `ossup sync` end to end: spawned CLI processes (this runtime) against the local server
 * in-process on 127.0.0.1, every request recorded by key. Up: after changing, adding and
 * removing files, `sync --delete` sends only the changed files' bytes and deletes the removed
 * object, with no request per unchanged file; `--checksum` catches a same-size, same-mtime
 * change the listings cannot see; `--dry-run` changes nothing. Down: the same, the other way.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Bucket } from "../lib/client/bucket.ts";
import { makeClient } from "./_client_setup.ts";
import { startServer, type TestServer } from "./_server.ts";
import { runOssup, serverEnv } from "./_cli_run.ts";
import { testBytes } from "./_test_bytes.ts";

/** One request as it reached the server. */
interface Seen {
  method: string;
  key: string;
  /** Request body bytes, from Content-Length. */
  bytes: number;
}

const BUCKET = "sync-bucket";
const FILES = 24;
/** The tree's files are dated here: long before any object is written. */
const OLD = new Date("2020-01-02T03:04:05Z");
let server: TestServer;
let bucket: Bucket;
let dir: string;
let env: Record<string, string>;
let seen: Seen[] = [];

const name = (i: number) => `d ${i % 3} é/f ${i} ñ.txt`;

/** Writes `FILES` small files in nested folders, all dated `OLD`. */
async function makeTree(root: string): Promise<void> {
  for (let i = 0; i < FILES; i++) {
    const path = join(root, ...name(i).split("/"));
    await mkdir(join(path, ".."), { recursive: true });
    await writeFile(path, testBytes(100 + i * 37, i));
    await utimes(path, OLD, OLD);
  }
}

/** Same size, other bytes, and the mtime it had. */
async function rewriteKeepingSizeAndTime(path: string, seed: number): Promise<void> {
  const before = await stat(path);
  await writeFile(path, testBytes(before.size, seed));
  await utimes(path, before.atime, before.mtime);
}

function requests(method: string, prefix: string): Seen[] {
  return seen.filter((s) => s.method === method && s.key.startsWith(prefix) && s.key !== prefix);
}

async function keysUnder(prefix: string): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for await (const o of bucket.listObjects({ prefix })) keys.set(o.key, o.etag);
  return keys;
}

/** Asserts that the object `key` holds the file at `path`, byte for byte. */
async function assertSameBytes(key: string, path: string): Promise<void> {
  const object = await (await bucket.getObject(key)).bytes();
  assert.ok(Buffer.compare(object, await readFile(path)) === 0, `${key} differs from ${path}`);
}

async function sync(cwd: string, ...args: string[]) {
  const run = await runOssup(["sync", ...args, "--json"], { cwd, env });
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

before(async () => {
  server = await startServer({
    wrapHandler: (fetch) => (req, e) => {
      const url = new URL(req.url);
      seen.push({
        method: req.method,
        key: decodeURIComponent(url.pathname.split("/").slice(2).join("/")),
        bytes: Number(req.headers.get("content-length") ?? 0),
      });
      return fetch(req, e);
    },
  });
  dir = await mkdtemp(join(tmpdir(), "ossup-cli-sync-"));
  env = serverEnv(server);
  const { client } = makeClient(server, "v4", "path");
  await client.createBucket(BUCKET);
  bucket = client.bucket(BUCKET);
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("ossup sync up", () => {
  it("after changing, adding and removing files, --delete sends only the changed bytes and deletes the removed object", async () => {
    const cwd = await mkdtemp(join(dir, "up-"));
    const src = join(cwd, "src");
    await makeTree(src);
    const first = await sync(cwd, src, `oss://${BUCKET}/up/`);
    assert.equal(first.copied, FILES);

    seen = [];
    const again = await sync(cwd, src, `oss://${BUCKET}/up/`);
    assert.equal(again.copied, 0);
    assert.equal(again.unchanged, FILES);
    assert.deepEqual(requests("PUT", "up/"), [], "an unchanged tree sends nothing");
    assert.equal(seen.filter((s) => s.method === "HEAD").length, 0, "no request per file");

    // Changed: another size; the same size but modified after its object was written.
    await writeFile(join(src, ...name(1).split("/")), testBytes(5000, 501));
    const sameSize = join(src, ...name(2).split("/"));
    await writeFile(sameSize, testBytes((await stat(sameSize)).size, 502));
    const later = new Date(Date.now() + 3600_000);
    await utimes(sameSize, later, later);
    await writeFile(join(src, "added ü.txt"), testBytes(777, 503));
    await rm(join(src, ...name(3).split("/")));

    seen = [];
    const out = await sync(cwd, src, `oss://${BUCKET}/up/`, "--delete");
    assert.equal(out.copied, 3);
    assert.equal(out.unchanged, FILES - 3);
    assert.equal(out.deleted, 1);
    const puts = requests("PUT", "up/");
    assert.deepEqual(
      puts.map((s) => s.key).sort(),
      [`up/${name(1)}`, `up/${name(2)}`, "up/added ü.txt"].sort(),
    );
    assert.equal(puts.reduce((n, s) => n + s.bytes, 0), 5000 + (await stat(sameSize)).size + 777);
    assert.deepEqual(requests("DELETE", "up/").map((s) => s.key), [`up/${name(3)}`]);
    assert.equal(seen.filter((s) => s.method === "HEAD").length, 0, "no request per file");

    const keys = await keysUnder("up/");
    assert.equal(keys.size, FILES);
    assert.ok(!keys.has(`up/${name(3)}`), "the removed file's object is gone");
    await assertSameBytes(`up/${name(2)}`, sameSize);
  });

  it("--checksum catches a same-size, same-mtime change that the listings cannot see", async () => {
    const cwd = await mkdtemp(join(dir, "crc-"));
    const src = join(cwd, "src");
    await makeTree(src);
    await sync(cwd, src, `oss://${BUCKET}/crc/`);
    const path = join(src, ...name(4).split("/"));
    await rewriteKeepingSizeAndTime(path, 601);

    seen = [];
    const byListing = await sync(cwd, src, `oss://${BUCKET}/crc/`);
    assert.equal(byListing.copied, 0, "size and time alone see no change");
    assert.deepEqual(requests("PUT", "crc/"), []);

    const byContent = await sync(cwd, src, `oss://${BUCKET}/crc/`, "--checksum");
    assert.equal(byContent.copied, 1);
    assert.equal(byContent.unchanged, FILES - 1);
    assert.deepEqual(requests("PUT", "crc/").map((s) => s.key), [`crc/${name(4)}`]);
    // One HEAD per same-size file: the CRC-64 is not in the listing.
    assert.equal(requests("HEAD", "crc/").length, FILES);
    await assertSameBytes(`crc/${name(4)}`, path);
  });

  it("--dry-run says what it would copy and delete, and changes nothing", async () => {
    const cwd = await mkdtemp(join(dir, "dry-"));
    const src = join(cwd, "src");
    await makeTree(src);
    await sync(cwd, src, `oss://${BUCKET}/dry/`);
    const before = await keysUnder("dry/");
    await writeFile(join(src, ...name(5).split("/")), testBytes(9000, 701));
    await writeFile(join(src, "new.txt"), testBytes(10, 702));
    await rm(join(src, ...name(6).split("/")));

    seen = [];
    const out = await sync(cwd, src, `oss://${BUCKET}/dry/`, "--delete", "--dry-run");
    assert.equal(out.dryRun, true);
    assert.deepEqual(
      out.copy.map((c: { path: string; reason: string }) => [c.path, c.reason]).sort(),
      [[name(5), "size"], ["new.txt", "new"]].sort(),
    );
    assert.deepEqual(out.delete, [name(6)]);
    assert.deepEqual(seen.filter((s) => s.method !== "GET" && s.method !== "HEAD"), []);
    assert.deepEqual(await keysUnder("dry/"), before, "the objects are as they were");
    assert.deepEqual(
      (await readdir(cwd)).filter((n) => n.endsWith(".cp")),
      [],
      "no journal is written",
    );
  });
});

describe("ossup sync down", () => {
  it("gets only changed objects, deletes local files the prefix lacks, and --checksum catches a same-size, same-mtime change", async () => {
    const cwd = await mkdtemp(join(dir, "down-"));
    const src = join(cwd, "src");
    const local = join(cwd, "local");
    await makeTree(src);
    await sync(cwd, src, `oss://${BUCKET}/down/`);
    const first = await sync(cwd, `oss://${BUCKET}/down/`, local);
    assert.equal(first.copied, FILES);

    seen = [];
    const again = await sync(cwd, `oss://${BUCKET}/down/`, local);
    assert.equal(again.copied, 0, "downloads took their objects' LastModified as mtime");
    assert.equal(requests("GET", "down/").length, 0);

    // An object rewritten with another size, one deleted, a local file the prefix lacks, and
    // a local file touched (its mtime no longer its object's).
    await bucket.putObject(`down/${name(7)}`, testBytes(4321, 801));
    await bucket.deleteObject(`down/${name(8)}`);
    await writeFile(join(local, "only here.txt"), "x");
    const touched = join(local, ...name(9).split("/"));
    await utimes(touched, OLD, OLD);

    seen = [];
    const out = await sync(cwd, `oss://${BUCKET}/down/`, local, "--delete");
    assert.equal(out.copied, 2);
    assert.equal(out.deleted, 2);
    assert.deepEqual(
      requests("GET", "down/").map((s) => s.key).sort(),
      [`down/${name(7)}`, `down/${name(9)}`].sort(),
    );
    assert.equal(seen.filter((s) => s.method === "HEAD").length, 0, "no request per file");
    await assertSameBytes(`down/${name(7)}`, join(local, ...name(7).split("/")));
    await assert.rejects(stat(join(local, "only here.txt")), { code: "ENOENT" });
    await assert.rejects(stat(join(local, ...name(8).split("/"))), { code: "ENOENT" });

    const edited = join(local, ...name(10).split("/"));
    await rewriteKeepingSizeAndTime(edited, 901);
    seen = [];
    assert.equal((await sync(cwd, `oss://${BUCKET}/down/`, local)).copied, 0);
    const byContent = await sync(cwd, `oss://${BUCKET}/down/`, local, "--checksum");
    assert.equal(byContent.copied, 1);
    assert.deepEqual(requests("GET", "down/").map((s) => s.key), [`down/${name(10)}`]);
    await assertSameBytes(`down/${name(10)}`, edited);
  });
});
