/**
 * The embedded default: from an empty folder, with no endpoint configured,
 * `ossup` starts the local server with its data in ./.ossup, says so in ONE
 * line, creates the bucket on first use, and the data survives between
 * commands (upload, ls, download); an interrupted upload resumes because
 * the local server comes back on the same port.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc64 } from "../lib/crc64/crc64.ts";
import { cleanEnv, runOssup, startOssup } from "./_cli_run.ts";

let dir: string;
const NOTE =
  /^ossup: no endpoint configured; using the local server at http:\/\/127\.0\.0\.1:\d+ with data in \.\/\.ossup \(set OSS_ENDPOINT or --endpoint for real OSS\)$/;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "ossup-embedded-"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function noteLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.includes("no endpoint configured"));
}

describe("ossup with no endpoint configured", () => {
  it("uploads, lists and downloads against ./.ossup from an empty folder", async () => {
    assert.deepEqual(await readdir(dir), []);
    const data = new Uint8Array(700_000).map((_, i) => (i * 31) & 0xff);
    await writeFile(join(dir, "f.bin"), data);
    const up = await runOssup(["cp", "f.bin", "oss://embedded/f.bin", "--json"], { cwd: dir });
    assert.equal(up.code, 0, up.stderr);
    const notes = noteLines(up.stderr);
    assert.equal(notes.length, 1);
    assert.match(notes[0], NOTE);
    assert.equal(JSON.parse(up.stdout).crc64, crc64(data).toString());
    assert.ok((await stat(join(dir, ".ossup", "data"))).isDirectory());
    const key = JSON.parse(await readFile(join(dir, ".ossup", "local-key.json"), "utf8"));
    assert.ok(!up.stderr.includes(key.accessKeySecret), "the local secret is never printed");
    // The command's server is gone, and so are its lock and record.
    const left = await readdir(join(dir, ".ossup"));
    assert.ok(!left.includes("lock") && !left.includes("server.json"), left.join(","));

    const ls = await runOssup(["ls", "oss://embedded"], { cwd: dir });
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /700000\s+oss:\/\/embedded\/f\.bin/);
    const down = await runOssup(["cp", "oss://embedded/f.bin", "g.bin"], { cwd: dir });
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(new Uint8Array(await readFile(join(dir, "g.bin"))), data);
  });

  it("resumes an interrupted upload on the next run (same local endpoint)", async () => {
    const data = new Uint8Array(1_000_000).map((_, i) => (i * 7) & 0xff);
    await writeFile(join(dir, "r.bin"), data);
    const args = ["cp", "r.bin", "oss://embedded/r.bin", "--part-size", "100KB", "--parallel", "1"];
    // Slow the local server so the interrupt lands partway.
    const env = cleanEnv({ OSSUP_LOCAL_BANDWIDTH: "400KB" });
    const run = startOssup(args, { cwd: dir, env });
    await run.waitForStderr(/parts 2\/10/);
    run.interrupt();
    assert.equal((await run.exit).code, 130, run.stderr());
    const again = await runOssup([...args, "--json"], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    const j = JSON.parse(again.stdout);
    assert.equal(j.resumed, true);
    assert.ok(j.bytesSent < data.length);
    assert.equal(j.crc64, crc64(data).toString());
  });

  it("shares the server `ossup serve` runs in the folder", async () => {
    const serve = startOssup(["serve"], { cwd: dir });
    await serve.waitForStdout(/listening on http/);
    try {
      const ls = await runOssup(["ls", "oss://embedded"], { cwd: dir });
      assert.equal(ls.code, 0, ls.stderr);
      assert.match(noteLines(ls.stderr)[0], /\(ossup serve\)/);
      assert.match(ls.stdout, /oss:\/\/embedded\/f\.bin/);
    } finally {
      serve.interrupt();
      assert.equal((await serve.exit).code, 0, serve.stderr());
    }
  });
});
