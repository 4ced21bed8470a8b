// What an upload stores: Content-Type by the file's extension (the mime package's table) or
// `--content-type`; `--meta`, `--acl`, `--storage-class`, `--tagging`, `--cache-control`,
// `--content-disposition`; a file of at most one part (or `--bigfile-threshold`) as one
// PutObject, seen in the server's request log for its key. Bad values are usage errors
// naming the flag; write flags on a download are refused. `cp -r` and `sync` uploads store
// the same on every object, small files' PutObject and large files' multipart upload alike.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cleanEnv, runOssup, serverFlags } from "./_cli_run.ts";
import { testBytes } from "./_test_bytes.ts";
import { objectBytes, sameBytes, type UploadEnv, uploadEnv } from "./_upload_fixtures.ts";

describe("ossup cp: what gets stored", () => {
  let env: UploadEnv;
  let flags: string[];
  const run = (args: string[]) => runOssup([...args, ...flags], { cwd: env.dir, env: cleanEnv() });
  const initiates = () => env.server.control.stats().requests.InitiateMultipartUpload ?? 0;
  before(async () => {
    env = await uploadEnv("stored");
    flags = serverFlags(env.server);
  });
  after(() => env.close());

  it("Content-Type by the file's extension, and --content-type over it", async () => {
    await writeFile(join(env.dir, "index.html"), "<p>hello</p>");
    await writeFile(join(env.dir, "photo.PNG"), testBytes(2000, 1));
    await writeFile(join(env.dir, "notes"), "no extension");
    for (const file of ["index.html", "photo.PNG", "notes"]) {
      const r = await run(["cp", file, "oss://stored/site/"]);
      assert.equal(r.code, 0, r.stderr);
    }
    const type = async (key: string) => (await env.bucket.headObject(key)).contentType;
    assert.equal(await type("site/index.html"), "text/html");
    assert.equal(await type("site/photo.PNG"), "image/png");
    assert.equal(await type("site/notes"), "application/octet-stream");

    const r = await run([
      "cp",
      "index.html",
      "oss://stored/raw.html",
      "--content-type",
      "text/plain",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await type("raw.html"), "text/plain");
  });

  it("--meta, --acl, --storage-class, --tagging, --cache-control, --content-disposition", async () => {
    await writeFile(join(env.dir, "report.pdf"), testBytes(3000, 5));
    const r = await run([
      "cp",
      "report.pdf",
      "oss://stored/docs/report.pdf",
      "--meta",
      "owner=ops",
      "--meta",
      "Project=apollo",
      "--acl",
      "public-read",
      "--storage-class",
      "IA",
      "--tagging",
      "team=storage&tier=2",
      "--cache-control",
      "max-age=3600",
      "--content-disposition",
      'attachment; filename="r.pdf"',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const head = await env.bucket.headObject("docs/report.pdf");
    assert.deepEqual(head.meta, { owner: "ops", project: "apollo" });
    assert.equal(head.storageClass, "IA");
    assert.equal(head.contentType, "application/pdf");
    assert.equal(head.headers.get("cache-control"), "max-age=3600");
    assert.equal(head.headers.get("content-disposition"), 'attachment; filename="r.pdf"');
    assert.equal(await env.bucket.getObjectAcl("docs/report.pdf"), "public-read");
    assert.deepEqual(await env.bucket.getObjectTagging("docs/report.pdf"), {
      team: "storage",
      tier: "2",
    });
  });

  it("a file of at most one part is one PutObject; a larger one a multipart upload", async () => {
    const small = new TextEncoder().encode("fourteen bytes");
    await writeFile(join(env.dir, "small.txt"), small);
    let initiated = initiates();
    const r = await run(["cp", "small.txt", "oss://stored/small.txt"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /: 14 B in one PutObject, .*CRC64 \d+ verified/);
    await env.server.handled("PUT", "/stored/small.txt");
    assert.deepEqual(env.server.handledOn("/stored/small.txt").map((x) => x.method), ["PUT"]);
    assert.equal(initiates(), initiated, "no multipart upload for a 14-byte file");
    assert.ok(sameBytes(await objectBytes(env.bucket, "small.txt"), small));

    // Three parts of 100 KB, but under --bigfile-threshold: still one PutObject.
    const mid = testBytes(300 * 1024, 9);
    await writeFile(join(env.dir, "mid.bin"), mid);
    initiated = initiates();
    const one = await run([
      "cp",
      "mid.bin",
      "oss://stored/mid-one.bin",
      "--part-size",
      "100KB",
      "--bigfile-threshold",
      "1MB",
    ]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(initiates(), initiated);
    await env.server.handled("PUT", "/stored/mid-one.bin");
    assert.deepEqual(env.server.handledOn("/stored/mid-one.bin").map((x) => x.method), ["PUT"]);

    const parts = await run([
      "cp",
      "mid.bin",
      "oss://stored/mid-parts.bin",
      "--part-size",
      "100KB",
    ]);
    assert.equal(parts.code, 0, parts.stderr);
    assert.match(parts.stdout, / in 3 parts,/);
    assert.equal(initiates(), initiated + 1);
    assert.ok(sameBytes(await objectBytes(env.bucket, "mid-parts.bin"), mid));
  });

  it("bad values are usage errors naming the flag; write flags on a download are refused", async () => {
    await writeFile(join(env.dir, "a.txt"), "a");
    const acl = await run(["cp", "a.txt", "oss://stored/a.txt", "--acl", "open"]);
    assert.equal(acl.code, 2);
    assert.match(acl.stderr, /--acl must be one of "default", "private", "public-read"/);
    const sc = await run(["cp", "a.txt", "oss://stored/a.txt", "--storage-class", "Cold"]);
    assert.equal(sc.code, 2);
    assert.match(sc.stderr, /--storage-class must be one of "Standard"/);
    const meta = await run(["cp", "a.txt", "oss://stored/a.txt", "--meta", "novalue"]);
    assert.equal(meta.code, 2);
    assert.match(meta.stderr, /--meta takes name=value/);
    const down = await run(["cp", "oss://stored/small.txt", "out.txt", "--acl", "private"]);
    assert.equal(down.code, 2);
    assert.match(down.stderr, /--acl applies to uploads .* not to a download/);
  });

  describe("on a tree: cp -r and sync", () => {
    /** The flags of the brief, each on every object a tree upload writes. */
    const WRITE_FLAGS = [
      "--acl",
      "public-read",
      "--storage-class",
      "IA",
      "--meta",
      "a=b",
      "--tagging",
      "k=v",
      "--cache-control",
      "max-age=60",
      "--content-disposition",
      "inline",
    ];
    /** Files up to 100 KB in one PutObject; big.bin (300 KB) in three 100 KB parts. */
    const SIZES = ["--bigfile-threshold", "100KB", "--part-size", "100KB"];
    const FILES: [string, number, string][] = [
      ["index.html", 20, "text/html"],
      ["sub/notes.txt", 5000, "text/plain"],
      ["sub/deeper/data.json", 90_000, "application/json"],
      ["big.bin", 300 * 1024, "application/octet-stream"],
    ];
    let tree: string;
    before(async () => {
      tree = join(env.dir, "tree");
      for (const [i, [rel, size]] of FILES.entries()) {
        const path = join(tree, ...rel.split("/"));
        await mkdir(join(path, ".."), { recursive: true });
        await writeFile(path, testBytes(size, 40 + i));
      }
    });

    /** Each object under `prefix` stores every write flag, by HEAD, GetObjectAcl, GetObjectTagging. */
    const assertStored = async (prefix: string, contentType?: string) => {
      for (const [rel, size, byExtension] of FILES) {
        const key = prefix + rel;
        const head = await env.bucket.headObject(key);
        assert.equal(head.size, size, key);
        assert.equal(head.contentType, contentType ?? byExtension, key);
        assert.deepEqual(head.meta, { a: "b" }, key);
        assert.equal(head.storageClass, "IA", key);
        assert.equal(head.headers.get("cache-control"), "max-age=60", key);
        assert.equal(head.headers.get("content-disposition"), "inline", key);
        assert.equal(await env.bucket.getObjectAcl(key), "public-read", key);
        assert.deepEqual(await env.bucket.getObjectTagging(key), { k: "v" }, key);
      }
    };
    /** The small files went in one PutObject each, big.bin in a multipart upload. */
    const assertRequests = async (prefix: string) => {
      const path = (rel: string) => `/stored/${prefix}${rel}`;
      await env.server.handled("POST", path("big.bin"), 2); // initiate, complete
      const big = env.server.handledOn(path("big.bin")).map((x) => x.method);
      assert.deepEqual(big, ["POST", "PUT", "PUT", "PUT", "POST"]);
      for (const [rel] of FILES.slice(0, -1)) {
        await env.server.handled("PUT", path(rel));
        assert.deepEqual(env.server.handledOn(path(rel)).map((x) => x.method), ["PUT"], rel);
      }
    };

    it("cp -r stores every write flag on small (PutObject) and large (multipart) files", async () => {
      const r = await run(["cp", "-r", "tree", "oss://stored/up/", ...SIZES, ...WRITE_FLAGS]);
      assert.equal(r.code, 0, r.stderr);
      await assertRequests("up/");
      await assertStored("up/");
    });

    it("--content-type replaces every file's type by extension", async () => {
      const r = await run([
        "cp",
        "-r",
        "tree",
        "oss://stored/typed/",
        ...SIZES,
        ...WRITE_FLAGS,
        "--content-type",
        "application/x-custom",
      ]);
      assert.equal(r.code, 0, r.stderr);
      await assertRequests("typed/");
      await assertStored("typed/", "application/x-custom");
    });

    it("sync stores them on what it uploads", async () => {
      const r = await run(["sync", "tree", "oss://stored/synced/", ...SIZES, ...WRITE_FLAGS]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /4 copied/);
      await assertRequests("synced/");
      await assertStored("synced/");
    });

    it("a bad value fails before anything is sent; downloads refuse the flags", async () => {
      const puts = () => env.server.control.stats().requests.PutObject ?? 0;
      const before = puts();
      const bad = await run(["cp", "-r", "tree", "oss://stored/bad/", "--storage-class", "Cold"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--storage-class must be one of "Standard"/);
      const badSync = await run(["sync", "tree", "oss://stored/bad/", "--meta", "x"]);
      assert.equal(badSync.code, 2);
      assert.match(badSync.stderr, /--meta takes name=value/);
      assert.equal(puts(), before);
      for (const command of ["cp", "sync"]) {
        const args = command === "cp" ? ["cp", "-r"] : ["sync"];
        const down = await run([...args, "oss://stored/up/", "back", "--acl", "private"]);
        assert.equal(down.code, 2, command);
        assert.match(down.stderr, /--acl applies to uploads .* not to a download/);
      }
    });
  });
});
