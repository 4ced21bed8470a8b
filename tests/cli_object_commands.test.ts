// `ossup stat` (headers, size, CRC64, storage class, ACL, metadata), `ossup rm -r` (every key
// under a prefix, 1,000 a DeleteMultipleObjects request, `--dry-run` removing nothing),
// `ossup ls -m` (unfinished multipart uploads with their parts and bytes) and
// `ossup rm -m --older-than` (only uploads initiated at least that long ago).

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { crc64 } from "../lib/crc64/crc64.ts";
import { collect } from "./_client_setup.ts";
import { cleanEnv, runOssup, serverFlags } from "./_cli_run.ts";
import { testBytes } from "./_test_bytes.ts";
import { KB100, type UploadEnv, uploadEnv } from "./_upload_fixtures.ts";

describe("ossup stat, rm -r, ls -m, rm -m --older-than", () => {
  let env: UploadEnv;
  let flags: string[];
  const run = (args: string[]) => runOssup([...args, ...flags], { cwd: env.dir, env: cleanEnv() });
  const keysUnder = async (prefix: string) =>
    (await collect(env.bucket.listObjects({ prefix }))).map((o) => o.key);
  before(async () => {
    env = await uploadEnv("objects");
    flags = serverFlags(env.server);
  });
  after(() => env.close());

  it("stat shows size, CRC64, content type, storage class, ACL, metadata and headers", async () => {
    const bytes = testBytes(5000, 2);
    await env.bucket.putObject("docs/report.pdf", bytes, {
      acl: "public-read",
      storageClass: "IA",
      meta: { owner: "ops" },
      cacheControl: "max-age=60",
    });
    const text = await run(["stat", "oss://objects/docs/report.pdf"]);
    assert.equal(text.code, 0, text.stderr);
    for (
      const line of [
        "Object: oss://objects/docs/report.pdf",
        "Size: 5000",
        `CRC64: ${crc64(bytes)}`,
        "Content-Type: application/pdf",
        "Storage-Class: IA",
        "ACL: public-read",
        "cache-control: max-age=60",
        "X-Oss-Meta-owner: ops",
      ]
    ) assert.ok(text.stdout.split("\n").includes(line), `${line} in:\n${text.stdout}`);

    const json = await run(["stat", "oss://objects/docs/report.pdf", "--json"]);
    const fields = JSON.parse(json.stdout);
    assert.equal(fields.size, 5000);
    assert.equal(fields.crc64, String(crc64(bytes)));
    assert.equal(fields.acl, "public-read");
    assert.deepEqual(fields.meta, { owner: "ops" });

    const missing = await run(["stat", "oss://objects/docs/none.pdf"]);
    assert.equal(missing.code, 6, missing.stderr);
  });

  it("rm -r --dry-run lists and keeps; rm -r removes 1,000 keys a request", async () => {
    const keys = Array.from({ length: 1003 }, (_, i) => `tree/${String(i).padStart(4, "0")}.txt`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((k) => env.bucket.putObject(k, k)));
    }
    await env.bucket.putObject("treehouse.txt", "not under tree/");

    const dry = await run(["rm", "-r", "oss://objects/tree/", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    const lines = dry.stdout.trim().split("\n");
    assert.equal(lines.length, 1004);
    assert.equal(lines[0], "would remove oss://objects/tree/0000.txt");
    assert.equal(
      lines.at(-1),
      "would remove 1003 objects under oss://objects/tree/ (--dry-run: nothing removed)",
    );
    assert.equal((await keysUnder("tree/")).length, 1003, "--dry-run removed nothing");

    const deletes = () => env.server.control.stats().requests.DeleteMultipleObjects ?? 0;
    const before = deletes();
    const r = await run(["rm", "-r", "oss://objects/tree/", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      bucket: "objects",
      prefix: "tree/",
      removed: 1003,
      requests: 2,
    });
    assert.equal(deletes() - before, 2);
    assert.deepEqual(await keysUnder("tree"), ["treehouse.txt"]);
  });

  it("ls -m lists unfinished uploads with parts and bytes; rm -m --older-than keeps young ones", async () => {
    const part = testBytes(KB100, 4);
    const started: Record<string, string> = {};
    for (const key of ["mp/a.bin", "mp/b.bin"]) {
      const { uploadId } = await env.bucket.initiateMultipartUpload(key);
      await env.bucket.uploadPart(key, uploadId, 1, part);
      await env.bucket.uploadPart(key, uploadId, 2, part);
      started[key] = uploadId;
    }
    const ls = await run(["ls", "-m", "oss://objects/mp/", "--json"]);
    assert.equal(ls.code, 0, ls.stderr);
    const uploads = ls.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(
      uploads.map(({ key, uploadId, parts, bytes }) => ({ key, uploadId, parts, bytes })),
      ["mp/a.bin", "mp/b.bin"].map((key) => ({
        key,
        uploadId: started[key],
        parts: 2,
        bytes: 2 * KB100,
      })),
    );
    assert.ok(uploads.every((u) => !Number.isNaN(Date.parse(u.initiated))));
    const text = await run(["ls", "-m", "oss://objects/mp/"]);
    assert.match(
      text.stdout,
      new RegExp(`2 parts +${2 * KB100}  ${started["mp/a.bin"]}  oss://objects/mp/a.bin`),
    );
    assert.match(text.stderr, /2 unfinished multipart uploads, 409600 bytes in parts/);

    // Initiated moments ago: younger than a day, so a day's cutoff keeps them.
    const young = await run(["rm", "-m", "oss://objects/mp/", "--older-than", "24h", "--json"]);
    assert.equal(young.code, 0, young.stderr);
    assert.equal(JSON.parse(young.stdout).uploadsAborted, 0);
    assert.equal((await collect(env.bucket.listMultipartUploads({ prefix: "mp/" }))).length, 2);

    const all = await run(["rm", "-m", "oss://objects/mp/", "--older-than", "0s", "--json"]);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(JSON.parse(all.stdout).uploadsAborted, 2);
    assert.equal((await collect(env.bucket.listMultipartUploads({ prefix: "mp/" }))).length, 0);

    const bad = await run(["rm", "-m", "oss://objects/mp/", "--older-than", "a day"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--older-than: "a day" is not an age: a number and s, m, h or d/);
  });
});
