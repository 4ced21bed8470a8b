// Edge proof: a worker bundled from the web entry runs in workerd (Cloudflare's
// runtime, npm package `workerd`) and uploads a Blob of several parts to the
// local server; the object is byte-identical. workerd refuses runtime
// WebAssembly compilation, so the worker computes CRC-64 in pure JS.

import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { OssClient } from "../lib/web.ts";
import { startServer, type TestServer } from "./_server.ts";
import { testBytes } from "./_test_bytes.ts";
import { stopChild, workerdPort } from "./_workerd.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name: string) => join(root, "node_modules", ".bin", name);
const PART = 100 * 1024;
const BUCKET = "edge";

/** A capnp string literal. */
function capnpText(value: string): string {
  return JSON.stringify(value);
}

function workerdConfig(server: TestServer): string {
  const bindings: [string, string][] = [
    ["OSS_ENDPOINT", server.url],
    ["OSS_REGION", server.region],
    ["OSS_ACCESS_KEY_ID", server.accessKeyId],
    ["OSS_ACCESS_KEY_SECRET", server.accessKeySecret],
    ["OSS_BUCKET", BUCKET],
  ];
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # workerd blocks private and loopback addresses unless a network service allows them.
    (name = "network", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);

const worker :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "2024-09-23",
  bindings = [
${bindings.map(([n, v]) => `    (name = ${capnpText(n)}, text = ${capnpText(v)}),`).join("\n")}
  ],
  globalOutbound = "network",
);
`;
}

describe("edge worker in workerd", () => {
  let server: TestServer;
  let dir: string;
  let child: ChildProcess | undefined;
  let workerUrl: string;
  let stderrText = "";

  before(async () => {
    server = await startServer();
    const admin = new OssClient({
      endpoint: server.url,
      region: server.region,
      accessKeyId: server.accessKeyId,
      accessKeySecret: server.accessKeySecret,
    });
    await admin.createBucket(BUCKET);
    dir = mkdtempSync(join(tmpdir(), "ossup-workerd-"));
    execFileSync(bin("esbuild"), [
      "tests/_workerd_worker.ts",
      "--bundle",
      "--format=esm",
      "--platform=browser",
      "--conditions=workerd,worker",
      "--target=es2022",
      "--log-level=error",
      `--outfile=${join(dir, "worker.js")}`,
    ], { cwd: root });
    writeFileSync(join(dir, "config.capnp"), workerdConfig(server));
    child = spawn(bin("workerd"), ["serve", "config.capnp", "--control-fd=3"], {
      cwd: dir,
      stdio: ["ignore", "ignore", "pipe", "pipe"],
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (s: string) => {
      stderrText = (stderrText + s).slice(-4000);
    });
    const port = await workerdPort(child, () => stderrText);
    workerUrl = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    await stopChild(child);
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("uploads a Blob of 5 parts with 2 routines, byte-identical, CRC-64 in pure JS", async () => {
    const res = await fetch(`${workerUrl}/upload?key=edge/blob.bin&parts=5&seed=42`, {
      signal: AbortSignal.timeout(60_000),
    });
    const body = await res.json() as Record<string, unknown>;
    assert.equal(res.status, 200, `worker failed: ${JSON.stringify(body)} ${stderrText}`);
    assert.equal(body.ok, true);
    assert.equal(body.parts, 5);
    assert.equal(body.size, 5 * PART);
    assert.equal(body.crc64Verified, true);
    assert.equal(body.crc64Implementation, "js", "workerd refuses runtime wasm compilation");

    const stats = server.control.stats();
    assert.equal(stats.requests.UploadPart, 5);
    assert.equal(stats.requests.CompleteMultipartUpload, 1);

    const admin = new OssClient({
      endpoint: server.url,
      region: server.region,
      accessKeyId: server.accessKeyId,
      accessKeySecret: server.accessKeySecret,
    });
    const obj = await admin.bucket(BUCKET).getObject("edge/blob.bin");
    assert.equal(obj.crc64?.toString(), body.crc64);
    assert.deepEqual(await obj.bytes(), testBytes(5 * PART, 42));
  });
});
