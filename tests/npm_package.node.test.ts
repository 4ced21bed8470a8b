// The npm tarball works where users install it: scripts/build_npm.ts builds the
// package into a temp directory, `npm pack` packs it, and `npm install --offline`
// installs the .tgz into an empty project with an empty npm cache: its runtime
// dependencies (hono, @hono/node-server) come as tarballs packed from the
// repository's node_modules (what `npm ci` installed), so neither the registry
// nor a warm cache is needed (`npm ci` caches tarballs, not the metadata an
// install by range needs). A plain .mjs script in the project then starts
// the local server from `ossup/server` and uploads a file of several parts with
// `uploadFile` from `ossup`; the object is byte-identical. The installed
// `ossup` bin uploads too, and a TypeScript file of the project type-checks
// against the package's declarations. Node only.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { OssClient } from "../lib/node.ts";
import { testBytes } from "./_test_bytes.ts";
import { serverFlags } from "./_cli_run.ts";
import { startServer } from "./_server.ts";

const run = promisify(execFile);

/**
 * The repository root. The tests may run from a build of the package (see
 * scripts/build_npm.ts), whose node_modules links to the repository's.
 */
function repositoryRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return dirname(realpathSync(join(here, "..", "node_modules")));
}

const ROOT = repositoryRoot();
const bin = (name: string) => join(ROOT, "node_modules", ".bin", name);

// Runs in the installed project: nothing but the package and Node.
const UPLOAD_SCRIPT = `
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { crc64, OssClient } from "ossup";
import { createAuthenticator, createOssApp, listen, MemoryStorage } from "ossup/server";

const credentials = { accessKeyId: "pkg-ak", accessKeySecret: "pkg-secret" };
const { app } = createOssApp({
  storage: new MemoryStorage(),
  authenticate: createAuthenticator({ credentials: [credentials] }),
});
const server = await listen(app.fetch, { host: "127.0.0.1", port: 0 });
try {
  const data = new Uint8Array(350 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  await writeFile("big.bin", data);
  const client = new OssClient({ endpoint: server.url, region: "cn-hangzhou", ...credentials });
  await client.createBucket("pkg-bucket");
  const bucket = client.bucket("pkg-bucket");
  const result = await bucket.uploadFile("dir/big.bin", "big.bin", {
    partSize: 100 * 1024,
    routines: 2,
    checkpoint: true,
  });
  const res = await bucket.getObject("dir/big.bin");
  const back = await res.bytes();
  const sha = (b) => createHash("sha256").update(b).digest("hex");
  console.log(JSON.stringify({
    parts: result.parts,
    size: result.size,
    crc64: String(result.crc64),
    expectedCrc64: String(crc64(data)),
    crc64Verified: result.crc64Verified,
    identical: back.length === data.length && sha(back) === sha(data),
    entry: import.meta.resolve("ossup"),
  }));
} finally {
  await server.close();
}
`;

// Type-checks against the installed declarations (moduleResolution nodenext: the "node" condition).
const TYPED_CONSUMER = `
import { OssClient, type UploadResult } from "ossup";
import { OssClient as WebClient } from "ossup/web";
import { createOssApp, MemoryStorage } from "ossup/server";

const client: OssClient = new OssClient({ endpoint: "127.0.0.1:1", accessKeyId: "a", accessKeySecret: "b" });
const web = new WebClient({ endpoint: "127.0.0.1:1", accessKeyId: "a", accessKeySecret: "b" });
export async function upload(path: string): Promise<bigint> {
  const r: UploadResult = await client.bucket("b").uploadFile("k", path, { partSize: 102400 });
  await web.bucket("b").uploadFile("k", new Blob(["x"]));
  return r.crc64;
}
export const app = createOssApp({ storage: new MemoryStorage() }).app;
`;

describe("npm package", () => {
  let dir: string;
  let tarball: string;
  let project: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ossup-npm-package-"));
    const pkg = join(dir, "pkg");
    await run(bin("deno"), [
      "run",
      "-A",
      join(ROOT, "scripts", "build_npm.ts"),
      "--out",
      pkg,
      "--no-test-build",
      "--no-test",
    ], { cwd: ROOT });
    const packed = await run("npm", ["pack", "--pack-destination", dir], { cwd: pkg });
    tarball = join(dir, packed.stdout.trim().split("\n").pop()!);
    const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
    const dependencies = Object.keys(manifest.dependencies ?? {}).map((name) =>
      join(ROOT, "node_modules", name)
    );
    const packedDeps = dependencies.length === 0
      ? []
      // --ignore-scripts: a dependency's prepack (mime's runs `npm run build`, which empties
      // its dist/ before it fails without its dev tools) must not touch the repo's node_modules.
      : (await run(
        "npm",
        ["pack", "--ignore-scripts", "--pack-destination", dir, ...dependencies],
        { cwd: dir },
      ))
        .stdout.trim().split("\n").slice(-dependencies.length).map((f) => join(dir, f));
    project = join(dir, "project");
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "project", private: true, type: "module" }),
    );
    await run("npm", [
      "install",
      "--offline",
      "--no-audit",
      "--no-fund",
      "--cache",
      join(dir, "npm-cache"),
      ...packedDeps,
      tarball,
    ], { cwd: project });
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("installs from the tarball with its runtime dependencies", () => {
    const manifest = JSON.parse(
      readFileSync(join(project, "node_modules", "ossup", "package.json"), "utf8"),
    );
    const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
    assert.equal(manifest.version, deno.version);
    assert.equal(manifest.license, "MIT");
    // The README's "Dependencies" says why each is there.
    const runtimeDeps = ["@hono/node-server", "@noble/hashes", "hono", "mime"];
    assert.deepEqual(Object.keys(manifest.dependencies).sort(), runtimeDeps);
    for (const dep of runtimeDeps) {
      assert.ok(existsSync(join(project, "node_modules", dep, "package.json")), dep);
    }
    const installed = join(project, "node_modules", "ossup");
    for (const file of ["README.md", "LICENSE", "mod.js", "lib/node.js", "lib/node.d.ts"]) {
      assert.ok(existsSync(join(installed, file)), file);
    }
    assert.ok(!existsSync(join(installed, "tests")), "the test build is not published");
  });

  it("uploads a file of several parts from a plain Node script, byte-identical", async () => {
    writeFileSync(join(project, "upload.mjs"), UPLOAD_SCRIPT);
    const { stdout } = await run(process.execPath, ["upload.mjs"], { cwd: project });
    const out = JSON.parse(stdout.trim().split("\n").pop()!);
    assert.equal(out.parts, 4);
    assert.equal(out.size, 350 * 1024);
    assert.equal(out.crc64, out.expectedCrc64);
    assert.equal(out.crc64Verified, true);
    assert.equal(out.identical, true);
    // The "node" export condition picked the Node entry of the installed package.
    assert.match(out.entry, /\/node_modules\/ossup\/lib\/node\.js$/);
  });

  it("runs the `ossup` bin: uploads with `ossup cp`, byte-identical", async () => {
    const server = await startServer();
    try {
      const admin = new OssClient({
        endpoint: server.url,
        region: server.region,
        accessKeyId: server.accessKeyId,
        accessKeySecret: server.accessKeySecret,
      });
      await admin.createBucket("bin-bucket");
      const data = testBytes(250 * 1024, 5);
      writeFileSync(join(project, "bin.bin"), data);
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith("OSS_")),
      );
      const { stdout } = await run(join(project, "node_modules", ".bin", "ossup"), [
        "cp",
        "bin.bin",
        "oss://bin-bucket/from-npm-bin.bin",
        ...serverFlags(server),
        "--part-size",
        "100KB",
        "--json",
      ], { cwd: project, env });
      const result = JSON.parse(stdout.trim().split("\n").pop()!);
      assert.equal(result.size, data.length);
      assert.equal(result.parts, 3);
      const object = await admin.bucket("bin-bucket").getObject("from-npm-bin.bin");
      assert.deepEqual(await object.bytes(), data);
    } finally {
      await server.close();
    }
  });

  it("type-checks a TypeScript consumer against the declarations", async () => {
    writeFileSync(join(project, "consumer.ts"), TYPED_CONSUMER);
    await run(bin("tsc"), [
      "--noEmit",
      "--strict",
      "--module",
      "nodenext",
      "--moduleResolution",
      "nodenext",
      "--target",
      "es2022",
      "--lib",
      "es2022,dom",
      "--typeRoots",
      join(ROOT, "node_modules", "@types"),
      "--types",
      "node",
      "consumer.ts",
    ], { cwd: project }).catch((err) => {
      throw new Error(`tsc failed:\n${err.stdout}${err.stderr}`);
    });
  });
});
