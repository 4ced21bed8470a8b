// The Bun single binary: `bun build --compile` of the command line
// (scripts/build_bin.ts) gives one executable that uploads a file of several
// parts to the local server, from a directory with nothing installed; the
// object is byte-identical. Bun only.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { OssClient } from "../lib/bun.ts";
import { buildBinary } from "../scripts/build_bin.ts";
import { testBytes } from "./_test_bytes.ts";
import { serverFlags } from "./_cli_run.ts";
import { startServer, type TestServer } from "./_server.ts";

const BUCKET = "bin-bucket";
const SIZE = 350 * 1024;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runBinary(binary: string, args: string[], cwd: string): Promise<Run> {
  // No OSS_* variables from the environment: the flags say everything.
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("OSS_")) env[k] = v;
  }
  return new Promise((resolve) => {
    execFile(binary, args, { cwd, env }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe("Bun single binary", () => {
  let dir: string;
  let binary: string;
  let server: TestServer;
  let client: OssClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ossup-bun-binary-"));
    binary = buildBinary({ outFile: join(dir, "ossup") }).path;
    server = await startServer();
    client = new OssClient({
      endpoint: server.url,
      region: server.region,
      accessKeyId: server.accessKeyId,
      accessKeySecret: server.accessKeySecret,
    });
    await client.createBucket(BUCKET);
  });

  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("uploads a file of several parts with `ossup cp`, byte-identical", async () => {
    const data = testBytes(SIZE, 11);
    writeFileSync(join(dir, "big.bin"), data);
    const run = await runBinary(binary, [
      "cp",
      "big.bin",
      `oss://${BUCKET}/from-binary/big.bin`,
      ...serverFlags(server),
      "--part-size",
      "100KB",
      "--json",
    ], dir);
    assert.equal(run.code, 0, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
    const result = JSON.parse(run.stdout.trim().split("\n").pop()!);
    assert.equal(result.size, SIZE);
    assert.equal(result.parts, 4);
    assert.ok(!run.stdout.includes(server.accessKeySecret), "the secret is never printed");
    const object = await client.bucket(BUCKET).getObject("from-binary/big.bin");
    assert.deepEqual(await object.bytes(), data);
  });
});
