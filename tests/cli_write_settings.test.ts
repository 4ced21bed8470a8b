// What an upload stores: Content-Type by the file's extension (the mime package's table) or
// `--content-type`; `--meta`, `--acl`, `--storage-class`, `--tagging`, `--cache-control`,
// `--content-disposition`; a file of at most one part (or `--bigfile-threshold`) as one
// PutObject, seen in the server's request log for its key. Bad values are usage errors
// naming the flag; write flags on a download are refused.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
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
});
