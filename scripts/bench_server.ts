/**
 * Upload throughput into the local server, beside a raw loopback sink.
 *
 * Starts, on the runtime running this script, (1) a minimal HTTP server that
 * reads and discards request bodies, and (2) the local OSS server
 * (`lib/server/main.ts`) with the memory backend and with a data directory.
 * Each runs in its own process, so the client (this process) does not share
 * a thread with the server. Then uploads the same bytes to each — multipart
 * UploadPart requests signed with V4, 1 and 4 at a time — and prints MB/s and
 * the ratio to the sink. Goal: ≥ 50% of the sink.
 *
 *     deno run -A scripts/bench_server.ts [--total-mib 512] [--part-mib 16]
 *     bun run scripts/bench_server.ts
 *     node --import tsx scripts/bench_server.ts
 *
 * `--sink` runs only the sink (used internally).
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { createHash } from "node:crypto";
import { Crc64 } from "../lib/crc64.ts";
import { signV4 } from "../lib/signing.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const runtime: "deno" | "bun" | "node" = g.Deno ? "deno" : g.Bun ? "bun" : "node";
const args: string[] = g.Deno ? g.Deno.args : g.process.argv.slice(2);
const here = fileURLToPath(import.meta.url);
const root = join(here, "..", "..");

const credentials = { accessKeyId: "bench-ak", accessKeySecret: "bench-secret-key" };
const region = "cn-hangzhou";

function flag(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`--${name} needs a positive integer`);
  return n;
}

/** The command that runs a TypeScript file on this runtime. */
function runtimeCommand(file: string, rest: string[]): [string, string[]] {
  if (runtime === "deno") return [g.Deno.execPath(), ["run", "-A", file, ...rest]];
  if (runtime === "bun") return [g.process.execPath, ["run", file, ...rest]];
  return [g.process.execPath, ["--import", "tsx", file, ...rest]];
}

/** Spawns a server on this runtime and waits for the URL on its first stdout line. */
async function startChild(
  file: string,
  rest: string[],
): Promise<{ url: string; child: ChildProcess }> {
  const [cmd, cmdArgs] = runtimeCommand(file, rest);
  const child = spawn(cmd, cmdArgs, { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`${file} exited with ${code} before listening`)));
  });
  lines.on("line", () => {}); // keep draining
  const url = /http:\/\/[^\s]+/.exec(first)?.[0];
  if (!url) throw new Error(`no URL in first line: ${first}`);
  return { url: url.replace(/\/$/, ""), child };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

// ---------------------------------------------------------------------------------------------
// Sink: reads and discards every request body, answers 200.

async function runSink(hash: boolean): Promise<void> {
  const answer = { "etag": '"0"', "content-length": "0" };
  // With `hash`, the sink also computes what OSS must (MD5 and CRC64): the ceiling of any
  // server that does so on the thread that reads the socket.
  const digest = () => {
    const md5 = createHash("md5");
    const crc = new Crc64();
    return (chunk: Uint8Array) => {
      md5.update(chunk);
      crc.update(chunk);
    };
  };
  const discard = async (body: ReadableStream<Uint8Array> | null) => {
    if (!body) return;
    const feed = hash ? digest() : undefined;
    for await (const chunk of body) feed?.(chunk);
  };
  if (runtime === "deno") {
    const server = g.Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      async (req: Request) => {
        await discard(req.body);
        return new Response(null, { headers: answer });
      },
    );
    console.log(`sink listening on http://127.0.0.1:${server.addr.port}`);
    return;
  }
  if (runtime === "bun") {
    const server = g.Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      maxRequestBodySize: 8 * 1024 ** 3,
      async fetch(req: Request) {
        await discard(req.body);
        return new Response(null, { headers: answer });
      },
    });
    console.log(`sink listening on http://127.0.0.1:${server.port}`);
    return;
  }
  const { createServer } = await import("node:http");
  const server = createServer((req, res) => {
    const feed = hash ? digest() : undefined;
    req.on("data", (chunk: Uint8Array) => feed?.(chunk));
    req.on("end", () => {
      res.writeHead(200, answer);
      res.end();
    });
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address() as { port: number };
    console.log(`sink listening on http://127.0.0.1:${address.port}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Client

async function signedFetch(
  base: string,
  method: string,
  bucket: string,
  key: string | undefined,
  query: [string, string | undefined][],
  body?: Uint8Array,
): Promise<Response> {
  const headers = new Headers();
  if (body) headers.set("content-length", String(body.byteLength));
  await signV4({ method, bucket, key, query, headers }, { credentials, region });
  const path = `/${bucket}/${key === undefined ? "" : encodeURIComponent(key)}`;
  const qs = query.map(([k, v]) => v === undefined ? k : `${k}=${encodeURIComponent(v)}`).join("&");
  const res = await fetch(`${base}${path}${qs ? `?${qs}` : ""}`, {
    method,
    headers,
    body: body as BodyInit | undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}?${qs}: ${res.status} ${await res.text()}`);
  return res;
}

/** Uploads `parts` parts of `data`, `streams` at a time; returns MB/s (10^6 bytes). */
async function uploadParts(
  base: string,
  data: Uint8Array,
  parts: number,
  streams: number,
): Promise<number> {
  const bucket = "bench";
  const key = `run-${Math.random().toString(36).slice(2)}.bin`;
  const init = await signedFetch(base, "POST", bucket, key, [["uploads", undefined]]);
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await init.text())?.[1] ?? "sink";
  let next = 1;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: streams }, async () => {
      while (next <= parts) {
        const partNumber = next++;
        const res = await signedFetch(base, "PUT", bucket, key, [
          ["partNumber", String(partNumber)],
          ["uploadId", uploadId],
        ], data);
        await res.body?.cancel();
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  // Free the memory backend's parts before the next case.
  await signedFetch(base, "DELETE", bucket, key, [["uploadId", uploadId]]).then(
    (r) => r.body?.cancel(),
    () => {},
  );
  return (data.byteLength * parts) / seconds / 1e6;
}

async function bench(): Promise<void> {
  const totalMiB = flag("total-mib", 512);
  const partMiB = flag("part-mib", 16);
  const parts = Math.max(1, Math.floor(totalMiB / partMiB));
  const data = new Uint8Array(partMiB * 1024 * 1024);
  for (let i = 0; i < data.length; i += 4096) data[i] = i & 0xff;
  console.log(
    `ossup server upload throughput on ${runtime}: ${parts} parts of ${partMiB} MiB ` +
      `(${parts * partMiB} MiB) per case`,
  );

  const dataDir = await mkdtemp(join(tmpdir(), "ossup-bench-"));
  const serverArgs = [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--access-key-id",
    credentials.accessKeyId,
    "--access-key-secret",
    credentials.accessKeySecret,
    "--region",
    region,
  ];
  const targets = [
    { name: "sink", file: here, args: ["--sink"] },
    { name: "sink+md5+crc64", file: here, args: ["--sink", "--hash"] },
    { name: "memory", file: join(root, "lib/server/main.ts"), args: [...serverArgs, "--memory"] },
    {
      name: "disk",
      file: join(root, "lib/server/main.ts"),
      args: [...serverArgs, "--data", dataDir],
    },
  ];
  const results: { target: string; streams: number; mbps: number }[] = [];
  try {
    for (const target of targets) {
      const { url, child } = await startChild(target.file, target.args);
      try {
        if (target.name !== "sink") await signedFetch(url, "PUT", "bench", undefined, []);
        // A short warm-up so JIT and connection pools are in place.
        await uploadParts(url, data, Math.min(2, parts), 1);
        for (const streams of [1, 4]) {
          const mbps = await uploadParts(url, data, parts, streams);
          results.push({ target: target.name, streams, mbps });
        }
      } finally {
        await stopChild(child);
      }
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }

  console.log("");
  console.log("target          streams       MB/s   vs sink");
  for (const r of results) {
    const sink = results.find((s) => s.target === "sink" && s.streams === r.streams)!;
    const ratio = `${((r.mbps / sink.mbps) * 100).toFixed(0)}%`;
    console.log(
      `${r.target.padEnd(15)} ${String(r.streams).padStart(7)} ${r.mbps.toFixed(0).padStart(10)} ` +
        `${ratio.padStart(9)}`,
    );
  }
}

if (args.includes("--sink")) await runSink(args.includes("--hash"));
else await bench();
