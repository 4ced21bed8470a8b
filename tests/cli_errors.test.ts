/**
 * `ossup`'s failures, each in a child process: the exit code that tells bad
 * input (2), auth (3), network (4) and OSS refusals (6) apart, and ONE line
 * on stderr saying what, why and what to do: no stack trace, no secret.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type TestServer } from "./_server.ts";
import { assertAtMostAnIntent, cleanEnv, runOssup } from "./_cli_run.ts";

let server: TestServer;
let dir: string;
let env: Record<string, string>;
const SECRET = "test-secret-key";

before(async () => {
  server = await startServer();
  dir = await mkdtemp(join(tmpdir(), "ossup-cli-err-"));
  await writeFile(join(dir, "a.bin"), new Uint8Array(300_000));
  env = cleanEnv({
    OSS_ENDPOINT: server.url,
    OSS_ACCESS_KEY_ID: server.accessKeyId,
    OSS_ACCESS_KEY_SECRET: SECRET,
  });
  const mb = await runOssup(["mb", "oss://err-bucket"], { cwd: dir, env });
  assert.equal(mb.code, 0, mb.stderr);
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Runs ossup and checks the exit code and that stderr is one line matching `re`. */
async function fails(
  args: string[],
  code: number,
  re: RegExp,
  extraEnv: Record<string, string> = {},
): Promise<string> {
  const r = await runOssup(args, { cwd: dir, env: { ...env, ...extraEnv } });
  assert.equal(r.code, code, `exit code of ossup ${args.join(" ")}: ${r.stderr}`);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^ossup: /);
  assert.match(lines[0], re);
  assert.ok(!/\n\s+at /.test(r.stderr) && !r.stderr.includes(".ts:"), "no stack trace");
  assert.ok(!r.stderr.includes(SECRET) && !r.stdout.includes(SECRET), "no secret");
  assert.equal(r.stdout, "");
  return lines[0];
}

describe("ossup bad input: exit code 2", () => {
  it("a missing file", async () => {
    await fails(["cp", "missing.bin", "oss://err-bucket/k"], 2, /no such file: missing\.bin/);
  });
  it("a bad oss:// URL", async () => {
    await fails(["cp", "a.bin", "oss://Bad_Bucket/k"], 2, /not a valid bucket name/);
    await fails(["cp", "a.bin", "s3://b/k"], 2, /must be an oss:\/\/ URL/);
    await fails(["cp", "oss://err-bucket/", "out.bin"], 2, /names no object/);
  });
  it("a bad part size", async () => {
    await fails(
      ["cp", "a.bin", "oss://err-bucket/k", "--part-size", "10KB"],
      2,
      /--part-size must be from 100KB to 5GB/,
    );
    await fails(
      ["cp", "a.bin", "oss://err-bucket/k", "--part-size", "big"],
      2,
      /"big" is not a size/,
    );
    await fails(["cp", "a.bin", "oss://err-bucket/k", "--parallel", "0"], 2, /--parallel must be/);
  });
  it("an unknown flag or command, without echoing values", async () => {
    await fails(["cp", "a.bin", "oss://err-bucket/k", "--bogus"], 2, /unknown flag --bogus/);
    await fails(["frobnicate"], 2, /unknown command "frobnicate"/);
  });
  it("an endpoint without a key", async () => {
    await fails(["ls"], 2, /no access key .*OSS_ACCESS_KEY_ID/, {
      OSS_ACCESS_KEY_ID: "",
      OSS_ACCESS_KEY_SECRET: "",
    });
  });
});

describe("ossup auth failure: exit code 3", () => {
  it("a wrong secret", async () => {
    await fails(
      ["cp", "a.bin", "oss://err-bucket/k"],
      3,
      /403 SignatureDoesNotMatch.*--access-key-secret/,
      {
        OSS_ACCESS_KEY_SECRET: "not-the-secret",
      },
    );
  });
  it("a wrong key ID", async () => {
    await fails(["ls", "oss://err-bucket"], 3, /InvalidAccessKeyId.*--access-key-id/, {
      OSS_ACCESS_KEY_ID: "no-such-ak",
    });
  });
});

describe("ossup network failure: exit code 4", () => {
  it("an unreachable endpoint", async () => {
    // A file of its own: a.bin.cp holds the intent the refused runs above left for another endpoint.
    await writeFile(join(dir, "unreachable.bin"), new Uint8Array(300_000));
    const port = await closedPort();
    const line = await fails(
      ["cp", "unreachable.bin", "oss://err-bucket/k", "--endpoint", `http://127.0.0.1:${port}`],
      4,
      /cannot reach http:\/\/127\.0\.0\.1:\d+: .*check --endpoint/,
    );
    // Nothing reached the server, so there is no checkpoint to resume from.
    assert.match(line, /nothing was uploaded and no checkpoint was written/);
    assert.doesNotMatch(line, /checkpoint is kept/);
    // At most the intent of an upload that never started, kept for the next run to look for strays.
    await assertAtMostAnIntent(join(dir, "unreachable.bin.cp"));
  });
});

describe("ossup OSS refusals: exit code 6", () => {
  it("a missing object or bucket", async () => {
    await fails(["cp", "oss://err-bucket/nope", "out.bin"], 6, /404 NoSuchKey/);
    await fails(["ls", "oss://no-such-bucket"], 6, /404 NoSuchBucket/);
  });
});

describe("ossup checkpoint I/O failure: exit code 8", () => {
  it("a directory where the checkpoint file should be", async () => {
    await mkdir(join(dir, "a-directory.cp"), { recursive: true });
    const line = await fails(
      ["cp", "a.bin", "oss://err-bucket/a.bin", "--checkpoint", "a-directory.cp"],
      8,
      /checkpoint I\/O failed: cannot read checkpoint a-directory\.cp \(EISDIR\); a directory is in the checkpoint's place/,
    );
    assert.ok(!line.includes("in use"), line);
  });
});

describe("ossup --help", () => {
  it("documents the exit codes", async () => {
    const r = await runOssup(["--help"], { cwd: dir, env });
    assert.equal(r.code, 0);
    for (const code of ["2 ", "3 ", "4 ", "5 ", "7 ", "8 ", "130"]) {
      assert.match(r.stdout, new RegExp(`\\n  ${code}`));
    }
  });
});
