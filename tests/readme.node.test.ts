// The README's programs run as written. Every fenced program in README.md
// (the quick starts and "Use the local server from your own code") is
// extracted by the file name its first line gives, written into an empty
// project and run against the local server, with only the endpoint and keys
// (and the ticket secret) given through the environment: the Deno program on
// Deno, the Bun/Node one on Bun and with tsx on Node, the page bundled by the
// README's esbuild command and driven in headless Chromium against the
// README's Hono server, the Worker bundled and served by workerd with the
// README's config.capnp, the ali-oss and Go SDK programs on Node and Go, and the
// contract-suite test files (your own store, your own fetch) with tsx --test and bun test.
// The project resolves `ossup` to this checkout (a package with the npm
// build's export conditions), or when the suite runs against the npm build,
// to that build; `jsr:@ossup/ossup` maps to mod.ts. Node only: it starts the
// other runtimes itself.

import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { OssClient } from "../lib/node.ts";
import { testBytes } from "./_test_bytes.ts";
import { buildGoProgram } from "./_go.ts";
import { type Chromium, launchChromium } from "./_chromium.ts";
import { chromiumMissing, goSdkMissing } from "./_peers.ts";
import { startServer, type TestServer } from "./_server.ts";
import { stopChild, workerdPort } from "./_workerd.ts";

/** The checkout, or the npm build of it that the suite runs from (its node_modules links back). */
const here = fileURLToPath(new URL("..", import.meta.url));
const root = dirname(realpathSync(join(here, "node_modules")));
/** The npm build, when the suite runs against it. */
const builtPackage = JSON.parse(readFileSync(join(here, "package.json"), "utf8")).name === "ossup"
  ? here
  : undefined;
const bin = (name: string) => join(root, "node_modules", ".bin", name);
/** Every child is bounded in time. */
const CHILD_TIMEOUT_MS = 180_000;

/** A fenced program of the README: `// <file>: <how to run it>` on its first line. */
interface Program {
  section: string;
  lang: string;
  file: string;
  /** The rest of the first line: the command(s) that run it. */
  how: string;
  code: string;
}

/** Every fenced block whose language is a program's, with the heading it sits under. */
function readmePrograms(): Program[] {
  const text = readFileSync(join(root, "README.md"), "utf8");
  const programs: Program[] = [];
  let section = "";
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  const headings = [...text.matchAll(/^#{2,3} (.+)$/gm)];
  for (const m of text.matchAll(fence)) {
    const lang = m[1];
    section = headings.filter((h) => h.index! < m.index!).at(-1)?.[1] ?? "";
    if (!["ts", "js", "go", "capnp"].includes(lang)) continue;
    const first = m[2].split("\n", 1)[0];
    const label = /^(?:\/\/|#) ([\w.-]+\.\w+)(?::\s*(.*))?$/.exec(first);
    assert.ok(label, `the ${lang} block under "${section}" names its file on its first line`);
    programs.push({ section, lang, file: label[1], how: label[2] ?? "", code: m[2] });
  }
  return programs;
}

const PROGRAMS = readmePrograms();

/** The README's program `file` under `section`, checking it says it runs with `commands`. */
function program(section: string, file: string, ...commands: string[]): Program {
  const found = PROGRAMS.filter((p) => p.section === section && p.file === file);
  assert.equal(found.length, 1, `one ${file} under "${section}" in README.md`);
  for (const command of commands) {
    assert.ok(found[0].how.includes(command), `${file} says it runs with "${command}"`);
  }
  return found[0];
}

/**
 * An empty project: `ossup` is the npm build or this checkout with the npm
 * package's export conditions, `jsr:@ossup/ossup` maps to mod.ts, hono and
 * ali-oss are the repository's.
 */
async function makeProject(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "ossup-readme-"));
  const modules = join(dir, "node_modules");
  mkdirSync(modules);
  if (builtPackage) symlinkSync(builtPackage, join(modules, "ossup"));
  else await linkCheckout(join(modules, "ossup"));
  for (const name of ["hono", "ali-oss", "@hono"]) {
    symlinkSync(join(root, "node_modules", name), join(modules, name));
  }
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  // The JSR package's "." entry, as deno.json names it.
  const jsrEntry = join(root, denoConfig().exports["."]);
  writeFileSync(
    join(dir, "deno.json"),
    JSON.stringify({ imports: { "jsr:@ossup/ossup": jsrEntry } }),
  );
  return dir;
}

function denoConfig(): { exports: Record<string, string> } {
  return JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
}

/** A package `ossup` in `pkg` whose entries re-export the checkout's, under the npm build's conditions. */
async function linkCheckout(pkg: string): Promise<void> {
  // Read only here: the npm build of the tests has no scripts/.
  const build = pathToFileURL(join(root, "scripts", "build_npm.ts")).href;
  const { ROOT_CONDITIONS } = await import(build) as {
    ROOT_CONDITIONS: [condition: string, entry: string][];
  };
  mkdirSync(pkg);
  const deno = denoConfig();
  const shim = (source: string) => {
    const name = source.replace(/^\.\//, "").replaceAll("/", "_");
    writeFileSync(join(pkg, name), `export * from ${JSON.stringify(join(root, source))};\n`);
    return `./${name}`;
  };
  const exports: Record<string, unknown> = {};
  for (const [subpath, source] of Object.entries(deno.exports)) {
    exports[subpath] = subpath === "."
      ? Object.fromEntries(ROOT_CONDITIONS.map(([c, s]) => [c, shim(s)]))
      : shim(source);
  }
  writeFileSync(
    join(pkg, "package.json"),
    JSON.stringify({ name: "ossup", type: "module", exports }, null, 2),
  );
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, env: Record<string, string>) {
  // As a user runs them: not as a child of this test run (node --test would skip its files).
  const { NODE_TEST_CONTEXT: _, ...outside } = process.env;
  return new Promise<Ran>((resolve) => {
    execFile(command, args, {
      cwd,
      env: { ...outside, NO_COLOR: "1", ...env },
      timeout: CHILD_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function assertRan(ran: Ran, what: string): string {
  assert.equal(ran.code, 0, `${what} failed:\n${ran.stdout}\n${ran.stderr}`);
  return ran.stdout;
}

/** The environment the README's programs read: the endpoint and the keys. */
function ossEnv(server: TestServer): Record<string, string> {
  return {
    OSS_ENDPOINT: server.url,
    OSS_ACCESS_KEY_ID: server.accessKeyId,
    OSS_ACCESS_KEY_SECRET: server.accessKeySecret,
  };
}

function adminOf(server: TestServer): OssClient {
  return new OssClient({
    endpoint: server.url,
    accessKeyId: server.accessKeyId,
    accessKeySecret: server.accessKeySecret,
  });
}

/** Asserts `bucket/key` holds exactly `bytes`. */
async function assertObject(server: TestServer, bucket: string, key: string, bytes: Uint8Array) {
  const obj = await adminOf(server).bucket(bucket).getObject(key);
  assert.deepEqual(await obj.bytes(), bytes, `${bucket}/${key} holds what was uploaded`);
}

/** The runtimes' binaries: the repository's Deno and Bun, this Node. */
const DENO = bin("deno");
const BUN = bin("bun");

describe("the README's programs, run as written against the local server", () => {
  let server: TestServer;
  let dir: string;

  before(async () => {
    server = await startServer();
    dir = await makeProject();
  });

  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh folder of the project for one program. */
  function workdir(name: string): string {
    const w = join(dir, name);
    mkdirSync(w);
    return w;
  }

  it("every program in the README is one this file runs", () => {
    const expected = [
      "Deno/upload.ts",
      "Bun and Node/upload.ts",
      "Server-side copy/copy.ts",
      "Download a file/download.ts",
      "A browser page/page.ts",
      "A browser page/server.ts",
      "A Cloudflare Worker/worker.ts",
      "A Cloudflare Worker/config.capnp",
      "Use the local server from your own code/local.ts",
      "Use the local server from your own code/local.mjs",
      "Use the local server from your own code/main.go",
      "Your own store, source or fetch/store.test.ts",
      "Your own store, source or fetch/fetch.test.ts",
      "Appending, resuming without a checkpoint, cleaning up/append.ts",
    ];
    assert.deepEqual(PROGRAMS.map((p) => `${p.section}/${p.file}`).sort(), expected.sort());
  });

  it("Deno: creates the bucket and uploads ./big.iso (2 parts of 8 MiB)", async () => {
    const p = program("Deno", "upload.ts", "deno run -A upload.ts");
    const w = workdir("deno");
    const bytes = testBytes(9 * 1024 * 1024, 11);
    writeFileSync(join(w, "upload.ts"), p.code);
    writeFileSync(join(w, "big.iso"), bytes);
    // A server of its own: the bucket does not exist before the program creates it.
    const fresh = await startServer();
    try {
      const out = assertRan(
        await run(DENO, ["run", "-A", "upload.ts"], w, ossEnv(fresh)),
        "deno run -A upload.ts",
      );
      assert.match(out, /^[0-9A-F]{32}-2 \d+n false\n$/, "etag, crc64 and resumed are printed");
      await assertObject(fresh, "examplebucket", "backups/big.iso", bytes);
    } finally {
      await fresh.close();
    }
  });

  it("Server-side copy: copies backups/big.iso in 2 UploadPartCopy parts, CRC64 checked", async () => {
    const p = program("Server-side copy", "copy.ts", "deno run -A copy.ts");
    const w = workdir("copy");
    const bytes = testBytes(9 * 1024 * 1024, 13);
    writeFileSync(join(w, "copy.ts"), p.code);
    const admin = adminOf(server);
    await admin.createBucket("examplebucket").catch(() => {});
    await admin.bucket("examplebucket").putObject("backups/big.iso", bytes);
    const out = assertRan(
      await run(DENO, ["run", "-A", "copy.ts"], w, ossEnv(server)),
      "deno run -A copy.ts",
    );
    assert.equal(out, "UploadPartCopy 2 true\n");
    await assertObject(server, "examplebucket", "archive/big.iso", bytes);
    assert.deepEqual(readdirSync(w), ["copy.ts"], "no checkpoint left after the copy");
  });

  for (
    const [runtime, command, args] of [
      ["Bun", "bun upload.ts", [BUN, "upload.ts"]],
      ["Node", "npx tsx upload.ts", [bin("tsx"), "upload.ts"]],
    ] as const
  ) {
    it(`Bun and Node, on ${runtime}: uploads ./big.iso into an existing bucket`, async () => {
      const p = program("Bun and Node", "upload.ts", command);
      const w = workdir(`upload-${runtime}`);
      const bucket = "examplebucket";
      await createIfMissing(server, bucket);
      const bytes = testBytes(3 * 1024 * 1024 + 5, runtime.length);
      writeFileSync(join(w, "upload.ts"), p.code);
      writeFileSync(join(w, "big.iso"), bytes);
      const out = assertRan(await run(args[0], [args[1]], w, ossEnv(server)), command);
      assert.match(out, /^[0-9A-F]{32}-31 \d+n\n$/);
      await assertObject(server, bucket, "big.iso", bytes);
    });
  }

  for (
    const [runtime, command, args] of [
      ["Bun", "bun download.ts", [BUN, "download.ts"]],
      ["Node", "npx tsx download.ts", [bin("tsx"), "download.ts"]],
    ] as const
  ) {
    it(`Download a file, on ${runtime}: ./big.iso comes down whole, nothing else left`, async () => {
      const p = program("Download a file", "download.ts", command);
      const w = workdir(`download-${runtime}`);
      const bucket = "examplebucket";
      await createIfMissing(server, bucket);
      const bytes = testBytes(9 * 1024 * 1024 + 3, runtime.length + 20);
      const client = new OssClient({
        endpoint: server.url,
        region: server.region,
        accessKeyId: server.accessKeyId,
        accessKeySecret: server.accessKeySecret,
      });
      await client.bucket(bucket).putObject("backups/big.iso", bytes);
      writeFileSync(join(w, "download.ts"), p.code);
      const out = assertRan(await run(args[0], [args[1]], w, ossEnv(server)), command);
      assert.match(out, /^\d+n true false\n$/, "crc64, crc64Verified and resumed are printed");
      assert.deepEqual(new Uint8Array(readFileSync(join(w, "big.iso"))), bytes);
      assert.deepEqual(readdirSync(w).sort(), ["big.iso", "download.ts"], "nothing else is left");
    });
  }

  it(
    "a browser page: bundled with esbuild, served by the Hono server, uploads a file in Chromium",
    { skip: chromiumMissing() },
    async () => {
      const esbuild = "npx esbuild page.ts --bundle --format=esm --outfile=page.js";
      const page = program("A browser page", "page.ts", esbuild);
      const app = program("A browser page", "server.ts", "npx tsx server.ts");
      const w = workdir("browser");
      await createIfMissing(server, "examplebucket");
      writeFileSync(join(w, "page.ts"), page.code);
      writeFileSync(join(w, "server.ts"), app.code);
      assertRan(await run(bin("esbuild"), esbuild.split(" ").slice(2), w, {}), esbuild);

      const ticketSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(32)))
        .toString("base64");
      let child: ChildProcess | undefined;
      let browser: Chromium | undefined;
      try {
        child = spawn(bin("tsx"), ["server.ts"], {
          cwd: w,
          env: { ...process.env, ...ossEnv(server), TICKET_SECRET: ticketSecret, PORT: "0" },
          stdio: ["ignore", "pipe", "pipe"],
        });
        const url = await firstLine(child, /^open (http:\/\/\S+)$/m);
        browser = await launchChromium();
        const tab = browser.context.pages()[0] ?? await browser.context.newPage();
        tab.setDefaultTimeout(120_000);
        const pageErrors: string[] = [];
        tab.on("pageerror", (err: Error) => pageErrors.push(err.message));
        await tab.goto(url);
        const bytes = testBytes(250 * 1024, 5);
        await tab.setInputFiles("input", {
          name: "photo.bin",
          mimeType: "application/octet-stream",
          buffer: Buffer.from(bytes),
        });
        await tab.waitForFunction('document.querySelector("output").textContent !== ""');
        const shown = await tab.textContent("output");
        assert.deepEqual(pageErrors, []);
        assert.match(shown ?? "", /^uploaded photo\.bin, CRC64 \d+$/);
        await assertObject(server, "examplebucket", "photo.bin", bytes);
      } finally {
        await browser?.close();
        await stopChild(child);
      }
    },
  );

  it("a Cloudflare Worker: bundled with esbuild, run by workerd with config.capnp", async () => {
    const esbuild = "npx esbuild worker.ts --bundle --format=esm --outfile=worker.js";
    const worker = program("A Cloudflare Worker", "worker.ts", esbuild);
    const config = program("A Cloudflare Worker", "config.capnp");
    const w = workdir("worker");
    await createIfMissing(server, "examplebucket");
    writeFileSync(join(w, "worker.ts"), worker.code);
    writeFileSync(join(w, "config.capnp"), config.code);
    assertRan(await run(bin("esbuild"), esbuild.split(" ").slice(2), w, {}), esbuild);

    let child: ChildProcess | undefined;
    let stderr = "";
    try {
      // As the README runs it, but on a free port of 127.0.0.1 instead of 8080.
      child = spawn(bin("workerd"), [
        "serve",
        "config.capnp",
        "--socket-addr=http=127.0.0.1:0",
        "--control-fd=3",
      ], {
        cwd: w,
        env: { ...process.env, ...ossEnv(server) },
        stdio: ["ignore", "ignore", "pipe", "pipe"],
      });
      child.stderr!.setEncoding("utf8");
      child.stderr!.on("data", (s: string) => {
        stderr = (stderr + s).slice(-4000);
      });
      const port = await workerdPort(child, () => stderr);
      const bytes = testBytes(3 * 1024 * 1024, 9);
      const res = await fetch(`http://127.0.0.1:${port}`, {
        method: "POST",
        body: bytes,
        signal: AbortSignal.timeout(120_000),
      });
      const body = await res.json() as Record<string, unknown>;
      assert.equal(res.status, 200, `${JSON.stringify(body)} ${stderr}`);
      assert.match(String(body.etag), /^[0-9A-F]{32}-31$/);
      assert.match(String(body.crc64), /^\d+$/);
      await assertObject(server, "examplebucket", "uploads/x.bin", bytes);
    } finally {
      await stopChild(child);
    }
  });

  for (
    const [runtime, command, args] of [
      ["Node", "npx tsx --test store.test.ts", [bin("tsx"), "--test", "store.test.ts"]],
      ["Bun", "bun test store.test.ts", [BUN, "test", "store.test.ts"]],
    ] as const
  ) {
    it(`your own store, on ${runtime}: the CheckpointStore contract from ossup/testing passes`, async () => {
      const p = program("Your own store, source or fetch", "store.test.ts", command);
      const w = workdir(`store-contract-${runtime}`);
      writeFileSync(join(w, "store.test.ts"), p.code);
      const ran = await run(args[0], args.slice(1), w, {});
      assertRan(ran, command);
      assert.match(ran.stdout + ran.stderr, /CheckpointStore contract: my store/);
      assert.ok(passedTests(ran) >= 10, `${passedTests(ran)} tests passed:\n${ran.stdout}`);
    });
  }

  it("your own fetch: Node's fetch passes the transport contract from ossup/testing", async () => {
    const command = "npx tsx --test fetch.test.ts";
    const p = program("Your own store, source or fetch", "fetch.test.ts", command);
    const w = workdir("transport-contract");
    writeFileSync(join(w, "fetch.test.ts"), p.code);
    const ran = await run(bin("tsx"), ["--test", "fetch.test.ts"], w, {});
    assertRan(ran, command);
    assert.match(ran.stdout, /transport contract: Node's fetch: OssClient uploads through it/);
    assert.ok(passedTests(ran) >= 20, `${passedTests(ran)} tests passed:\n${ran.stdout}`);
  });

  it("the local server from ossup: an object and a presigned URL that reads it", async () => {
    const p = program("Use the local server from your own code", "local.ts", "npx tsx local.ts");
    const w = workdir("local-ossup");
    writeFileSync(join(w, "local.ts"), p.code);
    const out = assertRan(await run(bin("tsx"), ["local.ts"], w, ossEnv(server)), "local.ts");
    assert.equal(out, "hello from ossup\n");
  });

  it("appending and cleaning up: appendObject's chain, appendFile going on, abortMultipartUploads", async () => {
    const p = program(
      "Appending, resuming without a checkpoint, cleaning up",
      "append.ts",
      "npx tsx append.ts",
    );
    const w = workdir("append");
    writeFileSync(join(w, "append.ts"), p.code);
    const out = assertRan(await run(bin("tsx"), ["append.ts"], w, ossEnv(server)), "append.ts");
    assert.equal(out, "14 7 7 0\n");
  });

  it("the local server from ali-oss: an object and a presigned URL (sldEnable)", async () => {
    const p = program("Use the local server from your own code", "local.mjs", "node local.mjs");
    const w = workdir("local-ali-oss");
    writeFileSync(join(w, "local.mjs"), p.code);
    const out = assertRan(
      await run(process.execPath, ["local.mjs"], w, ossEnv(server)),
      "node local.mjs",
    );
    assert.equal(out, "hello from ali-oss\n");
  });

  it(
    "the local server from the Go SDK 1.4: UploadFile with a checkpoint",
    { skip: goSdkMissing() },
    async () => {
      const p = program("Use the local server from your own code", "main.go");
      const w = workdir("local-go");
      writeFileSync(join(w, "main.go"), p.code);
      const program_ = await buildGoProgram("readme_local", w);
      const bytes = testBytes(350 * 1024, 3);
      writeFileSync(join(w, "big.iso"), bytes);
      const out = assertRan(await run(program_, [], w, ossEnv(server)), "go run main.go");
      assert.equal(out, `uploaded big.iso: ${bytes.length} bytes\n`);
      await assertObject(server, "from-go", "big.iso", bytes);
    },
  );
});

/** The tests a `node --test` (TAP: "# pass N") or `bun test` (" N pass") run reports passed. */
function passedTests(ran: Ran): number {
  const m = /^# pass (\d+)$/m.exec(ran.stdout) ?? /^\s*(\d+) pass$/m.exec(ran.stderr);
  return m ? Number(m[1]) : 0;
}

async function createIfMissing(server: TestServer, bucket: string): Promise<void> {
  await adminOf(server).createBucket(bucket).catch((err) => {
    if (err?.code !== "BucketAlreadyExists") throw err;
  });
}

/** Resolves with the first match of `pattern` in the child's stdout. */
function firstLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (s: string) => {
      err = (err + s).slice(-4000);
    });
    child.stdout!.on("data", (s: string) => {
      out += s;
      const m = pattern.exec(out);
      if (m) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${out}\n${err}`)));
  });
}
