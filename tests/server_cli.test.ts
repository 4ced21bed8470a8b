/**
 * The server's command line (lib/server/main.ts) in a child process on the
 * current runtime: the URL on the first stdout line, a signed request, a
 * clean SIGINT shutdown, bad flags (exit 2, no secret echoed), and the
 * durability of the data directory across a SIGKILL in the middle of
 * uploads: after a restart, buckets, objects, the unfinished multipart upload
 * and its finished parts are intact, and nothing partial appears.
 */

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { watch } from "node:fs";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "../lib/server/main.ts";
import { SERVE_FLAGS, serveOptionsFromFlags } from "../lib/server/serve_flags.ts";
import { parseFlags } from "../lib/command_line/flags.ts";
import { GLOBAL_FLAGS } from "../lib/cli/connection.ts";
import { signV1, signV4 } from "../lib/signing/signing.ts";
import { md5Hex } from "./_md5.ts";
import { testBytes as data } from "./_test_bytes.ts";

const MAIN = fileURLToPath(new URL("../lib/server/main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const AK = "cli-ak";
const SECRET = "cli-secret-never-printed";
const REGION = "cn-hangzhou";
const credentials = { accessKeyId: AK, accessKeySecret: SECRET };

/** The command that runs a TypeScript file on the runtime running this test. */
function command(args: string[]): [string, string[]] {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Deno) return [g.Deno.execPath(), ["run", "-A", MAIN, ...args]];
  if (g.Bun) return [process.execPath, ["run", MAIN, ...args]];
  return [process.execPath, ["--import", "tsx", MAIN, ...args]];
}

interface Running {
  child: ChildProcess;
  url: string;
  firstLine: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

const children: ChildProcess[] = [];

async function start(args: string[]): Promise<Running> {
  const [cmd, cmdArgs] = command(args);
  const child = spawn(cmd, cmdArgs, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  child.stderr!.on("data", (d) => out += d);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal }))
  );
  const lines = createInterface({ input: child.stdout! });
  const firstLine = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    exited.then(({ code }) => reject(new Error(`server exited (${code}) early: ${out}`)));
  });
  out += firstLine + "\n";
  lines.on("line", (l) => out += l + "\n");
  const url = /http:\/\/127\.0\.0\.1:\d+/.exec(firstLine)?.[0];
  assert.ok(url, `no URL in the first line: ${firstLine}`);
  return { child, url, firstLine, output: () => out, exited };
}

async function run(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [cmd, cmdArgs] = command(args);
  const child = spawn(cmd, cmdArgs, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => stdout += d);
  child.stderr!.on("data", (d) => stderr += d);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, stdout, stderr };
}

async function signedHeaders(
  method: string,
  bucket: string | undefined,
  key: string | undefined,
  query: [string, string | undefined][],
  extra: Record<string, string> = {},
): Promise<Headers> {
  const headers = new Headers(extra);
  await signV4({ method, bucket, key, query, headers }, { credentials, region: REGION });
  return headers;
}

function pathOf(bucket?: string, key?: string, query: [string, string | undefined][] = []) {
  const path = bucket === undefined
    ? "/"
    : `/${bucket}/${key === undefined ? "" : encodeURIComponent(key)}`;
  const qs = query.map(([k, v]) => (v === undefined ? k : `${k}=${encodeURIComponent(v)}`)).join(
    "&",
  );
  return `${path}${qs ? `?${qs}` : ""}`;
}

async function oss(
  base: string,
  method: string,
  bucket?: string,
  key?: string,
  query: [string, string | undefined][] = [],
  body?: Uint8Array,
): Promise<{ status: number; text: string; bytes: Uint8Array; headers: Headers }> {
  const headers = await signedHeaders(method, bucket, key, query);
  const res = await fetch(base + pathOf(bucket, key, query), {
    method,
    headers,
    body: body as BodyInit | undefined,
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, text: new TextDecoder().decode(bytes), bytes, headers: res.headers };
}

/**
 * Resolves once `dir` holds `count` files of at least `bytes` bytes: the
 * server (another process) is writing that many bodies. Looks again on each
 * change the file system reports in `dir`, not on a timer.
 */
async function writesInProgress(dir: string, count: number, bytes: number): Promise<void> {
  const enough = async () => {
    const names = await readdir(dir).catch(() => []);
    const sizes = await Promise.all(
      names.map((n) => stat(join(dir, n)).then((s) => s.size, () => 0)),
    );
    return sizes.filter((size) => size >= bytes).length >= count;
  };
  // Watching before the first look: no change between a look and the wait is missed.
  let changed = false;
  let wake = () => {};
  const watcher = watch(dir, () => {
    changed = true;
    wake();
  });
  try {
    for (;;) {
      changed = false;
      if (await enough()) return;
      if (!changed) await new Promise<void>((resolve) => wake = resolve);
    }
  } finally {
    watcher.close();
  }
}

/**
 * Starts a request whose body is `total` bytes long but only `sent` bytes are written, and
 * resolves once they are written; the request stays open until the server dies.
 */
async function hangingUpload(
  base: string,
  bucket: string,
  key: string,
  query: [string, string | undefined][],
  total: number,
  sent: number,
): Promise<http.ClientRequest> {
  const headers = await signedHeaders("PUT", bucket, key, query, {
    "content-length": String(total),
  });
  const url = new URL(base + pathOf(bucket, key, query));
  const req = http.request({
    host: url.hostname,
    port: Number(url.port),
    path: url.pathname + url.search,
    method: "PUT",
    headers: Object.fromEntries(headers),
  });
  req.on("error", () => {}); // the server is about to be killed
  req.on("response", (res) => res.resume());
  const chunk = data(64 * 1024, 99);
  for (let written = 0; written < sent; written += chunk.byteLength) {
    if (!req.write(chunk)) await new Promise((resolve) => req.once("drain", resolve));
  }
  return req;
}

after(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});

describe("server command line", () => {
  it("prints its URL first, serves signed requests, and stops on SIGINT", async () => {
    const server = await start([
      "--memory",
      "--port",
      "0",
      "--access-key-id",
      AK,
      "--access-key-secret",
      SECRET,
    ]);
    assert.match(server.firstLine, /^.*http:\/\/127\.0\.0\.1:\d+/);
    const created = await oss(server.url, "PUT", "cli-bucket");
    assert.equal(created.status, 200, created.text);
    const list = await oss(server.url, "GET");
    assert.equal(list.status, 200, list.text);
    assert.match(list.text, /<Name>cli-bucket<\/Name>/);
    // V1 works too.
    const headers = new Headers();
    await signV1({ method: "GET", query: [], headers }, { credentials });
    const v1 = await fetch(server.url + "/", { headers });
    await v1.body?.cancel();
    assert.equal(v1.status, 200);
    const unsigned = await fetch(server.url + "/");
    await unsigned.body?.cancel();
    assert.equal(unsigned.status, 403);

    server.child.kill("SIGINT");
    const { code, signal } = await server.exited;
    assert.ok(code === 0 || signal === "SIGINT", `exit ${code} ${signal}`);
    assert.ok(!server.output().includes(SECRET), "the secret was printed");
    // It no longer listens.
    await assert.rejects(fetch(server.url + "/"));
  });

  it("stops on SIGTERM", async () => {
    const server = await start(["--memory", "--access-key-id", AK, "--access-key-secret", SECRET]);
    server.child.kill("SIGTERM");
    const { code, signal } = await server.exited;
    assert.ok(code === 0 || signal === "SIGTERM", `exit ${code} ${signal}`);
  });

  it("supports an STS key and fault injection from the command line", async () => {
    const server = await start([
      "--memory",
      "--access-key-id",
      AK,
      "--access-key-secret",
      SECRET,
      "--sts-token",
      "cli-security-token",
      "--faults-token",
      "cli-faults-token",
    ]);
    try {
      const headers = new Headers();
      await signV4({ method: "GET", query: [], headers }, {
        credentials: { ...credentials, securityToken: "cli-security-token" },
        region: REGION,
      });
      const ok = await fetch(server.url + "/", { headers });
      await ok.body?.cancel();
      assert.equal(ok.status, 200);
      const noToken = await oss(server.url, "GET");
      assert.equal(noToken.status, 403);
      assert.match(noToken.text, /InvalidAccessKeyId/);
      const denied = await fetch(server.url + "/_ossup/faults");
      await denied.body?.cancel();
      assert.equal(denied.status, 403);
      const allowed = await fetch(server.url + "/_ossup/faults", {
        headers: { "x-ossup-control": "cli-faults-token" },
      });
      assert.equal(allowed.status, 200);
      assert.deepEqual((await allowed.json() as { rules: unknown[] }).rules, []);
      assert.ok(!server.output().includes("cli-security-token"));
      assert.ok(!server.output().includes("cli-faults-token"));
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });

  it("rejects bad flags with status 2 and never echoes the secret", async () => {
    const cases = [
      ["--memory", "--access-key-id", AK, "--access-key-secret", SECRET, "--bogus"],
      ["--access-key-id", AK, "--access-key-secret", SECRET],
      ["--memory", "--data", "/tmp/x", "--access-key-id", AK, "--access-key-secret", SECRET],
      ["--memory", "--access-key-id", AK],
      ["--memory", "--access-key-id", AK, "--access-key-secret", SECRET, "--port", "99999"],
      ["--memory", "--access-key-id", AK, SECRET],
      [
        "--memory",
        "--access-key-id",
        AK,
        "--access-key-secret",
        SECRET,
        "--body-idle-timeout",
        "-1",
      ],
      ["--memory", "--access-key-id", AK, "--access-key-secret", SECRET, "--engine", "fast"],
    ];
    for (const args of cases) {
      const { code, stdout, stderr } = await run(args);
      assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
      assert.match(stderr, /Usage:/);
      assert.ok(!stdout.includes(SECRET) && !stderr.includes(SECRET), `secret echoed for ${args}`);
    }
  });
});

describe("parseArgs", () => {
  it("reads the same flags as `ossup serve` into the same options", () => {
    const argv = [
      "--data=/tmp/d",
      "-i",
      AK,
      "-k",
      SECRET,
      "--port",
      "0",
      "--region",
      "cn-shanghai",
      "--service-host",
      "a.test",
      "--service-host",
      "b.test",
      "--hash-threads",
      "0",
      "--engine",
      "node",
      "--allow-anonymous",
      "--faults-token",
      "long-enough",
    ];
    const server = parseArgs(argv, {});
    const cli = serveOptionsFromFlags(parseFlags(argv, { ...GLOBAL_FLAGS, ...SERVE_FLAGS }));
    assert.deepEqual(cli, server);
    assert.deepEqual(server.serviceHosts, ["a.test", "b.test"]);
    assert.equal(server.credential.accessKeySecret, SECRET);
  });

  it("reads the body idle timeout in seconds and the engine", () => {
    const base = ["--memory", "--access-key-id", AK, "--access-key-secret", SECRET];
    const o = parseArgs([...base, "--body-idle-timeout", "0.3", "--engine", "node"], {});
    assert.equal(o.bodyIdleTimeoutMs, 300);
    assert.equal(o.engine, "node");
    const d = parseArgs(base, {});
    assert.equal(d.bodyIdleTimeoutMs, undefined, "listen's default applies");
    assert.equal(d.engine, "auto");
    assert.equal(parseArgs([...base, "--body-idle-timeout", "0"], {}).bodyIdleTimeoutMs, 0);
  });
});

describe("data directory durability across SIGKILL", () => {
  let dir = "";

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("keeps buckets, objects, the unfinished upload and its parts; nothing partial", async () => {
    dir = await mkdtemp(join(tmpdir(), "ossup-cli-"));
    const args = ["--data", dir, "--access-key-id", AK, "--access-key-secret", SECRET];
    const first = await start(args);
    const base = first.url;
    assert.equal((await oss(base, "PUT", "durable")).status, 200);
    assert.equal((await oss(base, "PUT", "second-bucket")).status, 200);
    const objects = new Map<string, Uint8Array>([
      ["small.txt", new TextEncoder().encode("small object")],
      ["dir/a+b c.bin", data(300 * 1024, 1)],
      ["empty", new Uint8Array(0)],
    ]);
    for (const [key, body] of objects) {
      const put = await oss(base, "PUT", "durable", key, [], body);
      assert.equal(put.status, 200, put.text);
    }
    const key = "multipart.bin";
    const init = await oss(base, "POST", "durable", key, [["uploads", undefined]]);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1];
    const parts = [data(200 * 1024, 11), data(150 * 1024, 12)];
    const etags: string[] = [];
    for (const [i, body] of parts.entries()) {
      const res = await oss(base, "PUT", "durable", key, [
        ["partNumber", String(i + 1)],
        ["uploadId", uploadId],
      ], body);
      assert.equal(res.status, 200, res.text);
      etags.push(res.headers.get("etag")!);
    }

    // A large part and a large object are halfway in when the server is killed.
    const big = 64 * 1024 * 1024;
    const inFlight = [
      await hangingUpload(
        base,
        "durable",
        key,
        [["partNumber", "3"], ["uploadId", uploadId]],
        big,
        8 << 20,
      ),
      await hangingUpload(base, "durable", "half-written.bin", [], big, 8 << 20),
      await hangingUpload(base, "durable", "small.txt", [], big, 4 << 20), // overwrite in progress
    ];
    // Killed once all three are being written: a temp file of at least 1 MiB each.
    await writesInProgress(join(dir, "tmp"), inFlight.length, 1 << 20);
    first.child.kill("SIGKILL");
    const killed = await first.exited;
    assert.equal(killed.signal, "SIGKILL");
    for (const req of inFlight) req.destroy();

    const second = await start(args);
    try {
      const b = second.url;
      const buckets = await oss(b, "GET");
      assert.match(buckets.text, /<Name>durable<\/Name>/);
      assert.match(buckets.text, /<Name>second-bucket<\/Name>/);
      for (const [k, body] of objects) {
        const got = await oss(b, "GET", "durable", k);
        assert.equal(got.status, 200, `${k}: ${got.text}`);
        assert.equal(md5Hex(got.bytes), md5Hex(body), k);
      }
      const partial = await oss(b, "GET", "durable", "half-written.bin");
      assert.equal(partial.status, 404, "a partial object appeared");
      const uploads = await oss(b, "GET", "durable", undefined, [["uploads", undefined]]);
      assert.match(uploads.text, new RegExp(`<UploadId>${uploadId}</UploadId>`));
      const listed = await oss(b, "GET", "durable", key, [["uploadId", uploadId]]);
      assert.equal(listed.status, 200, listed.text);
      const numbers = [...listed.text.matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) =>
        m[1]
      );
      assert.deepEqual(numbers, ["1", "2"], "only the finished parts");
      const listedEtags = [...listed.text.matchAll(/<ETag>([^<]+)<\/ETag>/g)].map((m) => m[1]);
      assert.deepEqual(
        listedEtags.map((e) => e.replaceAll("&quot;", '"')),
        etags,
      );
      const sizes = [...listed.text.matchAll(/<Size>(\d+)<\/Size>/g)].map((m) => Number(m[1]));
      assert.deepEqual(sizes, parts.map((p) => p.byteLength));
      // The upload can be finished after the restart.
      const part3 = data(1000, 13);
      const up = await oss(
        b,
        "PUT",
        "durable",
        key,
        [["partNumber", "3"], ["uploadId", uploadId]],
        part3,
      );
      assert.equal(up.status, 200, up.text);
      const xml = `<CompleteMultipartUpload>${
        [...etags, up.headers.get("etag")!].map((e, i) =>
          `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`
        ).join("")
      }</CompleteMultipartUpload>`;
      const done = await oss(
        b,
        "POST",
        "durable",
        key,
        [["uploadId", uploadId]],
        new TextEncoder().encode(xml),
      );
      assert.equal(done.status, 200, done.text);
      const whole = await oss(b, "GET", "durable", key);
      const expected = new Uint8Array([...parts[0], ...parts[1], ...part3]);
      assert.equal(md5Hex(whole.bytes), md5Hex(expected));
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
  });
});
