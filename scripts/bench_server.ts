/**
 * Upload throughput into the local server, beside a raw loopback sink.
 *
 * Starts, on the runtime running this script, in child processes: a minimal
 * HTTP server that reads and discards request bodies (the sink, on the
 * runtime's own server: `Deno.serve`, `Bun.serve`, `node:http`), the same
 * sink computing MD5 + CRC64 on its socket thread (what any server that
 * hashes inline can reach), and the local OSS server (`lib/server/main.ts`)
 * with the memory backend and with a data directory. This process is only
 * the client: signed UploadPart requests (V4) written on raw keep-alive
 * sockets, 1 and 4 at a time, the same bytes and the same client for every
 * target. Targets are measured in turns, `--rounds` times, and the median of
 * each is printed with its ratio to the sink's median — other load on the
 * machine then shifts every target alike. Goal: ≥ 50% of the sink.
 *
 * It also prints the single-thread hashing speeds of this runtime (MD5,
 * CRC64, both): a server hashing on one thread cannot go faster than "both";
 * and, from /proc, the CPU each target and the client spent per GB, in all
 * and on their busiest thread. From those, "CPU bound" is the most an
 * otherwise idle machine with this many cores could reach: other processes
 * on a shared machine skew MB/s, much less CPU per byte.
 *
 *     deno run -A scripts/bench_server.ts [--total-mib 256] [--part-mib 16] [--rounds 3]
 *     bun run scripts/bench_server.ts
 *     node --import tsx scripts/bench_server.ts
 *
 * Extra targets: `--inline` adds both backends with MD5 on the socket thread
 * (`--hash-threads 0`) beside the default (MD5 on worker threads);
 * `--node-sink` adds a `node:http` sink (the server runs on `node:http` on
 * Bun). `--fetch` uses `fetch` as the client instead of raw sockets; `--url
 * URL [--pid PID]` measures only that running server (e.g. one started under
 * a profiler). `--sink [--hash] [--engine node]` runs only a sink (used
 * internally).
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { createHash } from "node:crypto";
import { Crc64 } from "../lib/crc64/crc64.ts";
import { signV4 } from "../lib/signing/signing.ts";

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

async function runSink(hash: boolean, engine: "native" | "node"): Promise<void> {
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
  if (runtime === "deno" && engine === "native") {
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
  if (runtime === "bun" && engine === "native") {
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
// Client: raw HTTP/1.1 on keep-alive sockets (the cheapest client: the server is measured,
// not the client's HTTP stack), or `fetch` with --fetch.

interface Answer {
  status: number;
  text: string;
}

/** One keep-alive connection; one request at a time. */
class RawConnection {
  #socket: Socket;
  #buffer = new Uint8Array(0);
  #wake?: () => void;
  #failed?: Error;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("data", (d: Uint8Array) => {
      const next = new Uint8Array(this.#buffer.byteLength + d.byteLength);
      next.set(this.#buffer);
      next.set(d, this.#buffer.byteLength);
      this.#buffer = next;
      this.#wake?.();
    });
    const fail = (err: Error) => {
      this.#failed = err;
      this.#wake?.();
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("connection closed")));
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => {
        socket.off("error", reject);
        socket.setNoDelay(true);
        resolve(new RawConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  async #until(test: () => number): Promise<number> {
    for (;;) {
      const n = test();
      if (n >= 0) return n;
      if (this.#failed) throw this.#failed;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  async request(head: string, body?: Uint8Array): Promise<Answer> {
    this.#socket.write(head);
    if (body && body.byteLength > 0) this.#socket.write(body);
    const end = await this.#until(() => indexOfBlankLine(this.#buffer));
    const lines = new TextDecoder().decode(this.#buffer.subarray(0, end)).split("\r\n");
    const status = Number(lines[0].split(" ")[1]);
    const header = (name: string) =>
      lines.find((l) => l.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
    this.#buffer = this.#buffer.subarray(end + 4);
    let bytes: Uint8Array;
    if (header("transfer-encoding")?.toLowerCase() === "chunked") {
      const last = await this.#until(() => indexOfString(this.#buffer, "0\r\n\r\n"));
      bytes = this.#buffer.subarray(0, last); // chunk framing kept: only searched with regexps
      this.#buffer = this.#buffer.subarray(last + 5);
    } else {
      const length = Number(header("content-length") ?? 0);
      await this.#until(() => (this.#buffer.byteLength >= length ? length : -1));
      bytes = this.#buffer.subarray(0, length);
      this.#buffer = this.#buffer.subarray(length);
    }
    return { status, text: new TextDecoder().decode(bytes) };
  }

  close(): void {
    this.#socket.destroy();
  }
}

function indexOfBlankLine(b: Uint8Array): number {
  return indexOfString(b, "\r\n\r\n");
}

function indexOfString(b: Uint8Array, s: string): number {
  outer: for (let i = 0; i + s.length <= b.length; i++) {
    for (let j = 0; j < s.length; j++) if (b[i + j] !== s.charCodeAt(j)) continue outer;
    return i;
  }
  return -1;
}

/** Sends one signed request; one raw connection per caller, or `fetch`. */
type Send = (
  method: string,
  key: string | undefined,
  query: [string, string | undefined][],
  body?: Uint8Array,
) => Promise<Answer>;

async function signedParts(
  base: string,
  method: string,
  key: string | undefined,
  query: [string, string | undefined][],
  body?: Uint8Array,
): Promise<{ target: string; headers: Headers }> {
  const bucket = "bench";
  const headers = new Headers({ "content-length": String(body?.byteLength ?? 0) });
  await signV4({ method, bucket, key, query, headers }, { credentials, region });
  const path = `/${bucket}/${key === undefined ? "" : encodeURIComponent(key)}`;
  const qs = query.map(([k, v]) => v === undefined ? k : `${k}=${encodeURIComponent(v)}`).join("&");
  headers.set("host", new URL(base).host);
  return { target: `${path}${qs ? `?${qs}` : ""}`, headers };
}

async function rawSender(base: string): Promise<{ send: Send; close(): void }> {
  const connection = await RawConnection.open(base);
  const send: Send = async (method, key, query, body) => {
    const { target, headers } = await signedParts(base, method, key, query, body);
    let head = `${method} ${target} HTTP/1.1\r\n`;
    for (const [k, v] of headers) head += `${k}: ${v}\r\n`;
    const answer = await connection.request(head + "\r\n", body);
    if (answer.status >= 300) {
      throw new Error(`${method} ${target}: ${answer.status} ${answer.text}`);
    }
    return answer;
  };
  return { send, close: () => connection.close() };
}

function fetchSender(base: string): { send: Send; close(): void } {
  const send: Send = async (method, key, query, body) => {
    const { target, headers } = await signedParts(base, method, key, query, body);
    headers.delete("host");
    const res = await fetch(base + target, {
      method,
      headers,
      body: body as BodyInit | undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${target}: ${res.status} ${text}`);
    return { status: res.status, text };
  };
  return { send, close() {} };
}

const useFetch = args.includes("--fetch");
const sender = (base: string) => useFetch ? Promise.resolve(fetchSender(base)) : rawSender(base);

/** Uploads `parts` parts of `data`, `streams` at a time; returns MB/s (10^6 bytes). */
async function uploadParts(
  base: string,
  data: Uint8Array,
  parts: number,
  streams: number,
): Promise<number> {
  const key = `run-${Math.random().toString(36).slice(2)}.bin`;
  const control = await sender(base);
  const senders = await Promise.all(Array.from({ length: streams }, () => sender(base)));
  try {
    const init = await control.send("POST", key, [["uploads", undefined]]);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)?.[1] ?? "sink";
    let next = 1;
    const start = performance.now();
    await Promise.all(senders.map(async ({ send }) => {
      while (next <= parts) {
        const partNumber = next++;
        await send("PUT", key, [["partNumber", String(partNumber)], ["uploadId", uploadId]], data);
      }
    }));
    const seconds = (performance.now() - start) / 1000;
    // Free the memory backend's parts before the next case.
    await control.send("DELETE", key, [["uploadId", uploadId]]).catch(() => {});
    return (data.byteLength * parts) / seconds / 1e6;
  } finally {
    control.close();
    for (const s of senders) s.close();
  }
}

/** CPU seconds (user + system) a process used so far, in all and per thread; needs /proc. */
interface CpuTimes {
  total: number;
  threads: Map<string, number>;
}

async function cpuTimes(pid: number | undefined): Promise<CpuTimes | undefined> {
  if (pid === undefined) return undefined;
  const { readFile, readdir } = await import("node:fs/promises");
  // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks.
  const seconds = (stat: string) => {
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  try {
    const total = seconds(await readFile(`/proc/${pid}/stat`, "utf8"));
    const threads = new Map<string, number>();
    for (const tid of await readdir(`/proc/${pid}/task`)) {
      try {
        threads.set(tid, seconds(await readFile(`/proc/${pid}/task/${tid}/stat`, "utf8")));
      } catch {
        // The thread ended meanwhile.
      }
    }
    return { total, threads };
  } catch {
    return undefined;
  }
}

/** CPU used between two readings: in all, and by the busiest thread. */
function cpuUsed(
  before: CpuTimes | undefined,
  after: CpuTimes | undefined,
): { total: number; busiest: number } | undefined {
  if (!before || !after) return undefined;
  let busiest = 0;
  for (const [tid, t] of after.threads) {
    busiest = Math.max(busiest, t - (before.threads.get(tid) ?? 0));
  }
  return { total: after.total - before.total, busiest };
}

/** Single-thread MB/s of MD5, CRC64 and both over `data` in 64 KiB chunks. */
function hashingSpeeds(data: Uint8Array): Record<string, number> {
  const chunk = 64 * 1024;
  const run = (md5: boolean, crc: boolean) => {
    const start = performance.now();
    const h = createHash("md5");
    const c = new Crc64();
    for (let at = 0; at < data.byteLength; at += chunk) {
      const piece = data.subarray(at, at + chunk);
      if (md5) h.update(piece);
      if (crc) c.update(piece);
    }
    h.digest();
    return data.byteLength / ((performance.now() - start) / 1000) / 1e6;
  };
  run(true, true); // warm-up
  return { "md5": run(true, false), "crc64": run(false, true), "md5+crc64": run(true, true) };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** `--url URL`: measures only that running server (e.g. one started under a profiler). */
async function benchUrl(url: string): Promise<void> {
  const partMiB = flag("part-mib", 16);
  const parts = Math.max(1, Math.floor(flag("total-mib", 256) / partMiB));
  const data = new Uint8Array(partMiB * 1024 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  const { send, close } = await sender(url);
  await send("PUT", undefined, []).catch(() => {}); // the bucket may exist already
  close();
  // `--pid N`: also report that process's CPU seconds per GB.
  const pid = args.includes("--pid") ? flag("pid", 1) : undefined;
  for (let round = 0; round < flag("rounds", 3); round++) {
    for (const streams of [1, 4]) {
      const before = await cpuTimes(pid);
      const mbps = await uploadParts(url, data, parts, streams);
      const used = cpuUsed(before, await cpuTimes(pid));
      const gb = data.byteLength * parts / 1e9;
      const perGb = used === undefined ? "" : `, server CPU ${(used.total / gb).toFixed(2)} s/GB` +
        ` (busiest thread ${(used.busiest / gb).toFixed(2)})`;
      console.log(`${url} ${streams} stream(s): ${mbps.toFixed(0)} MB/s${perGb}`);
    }
  }
}

async function bench(): Promise<void> {
  const totalMiB = flag("total-mib", 256);
  const partMiB = flag("part-mib", 16);
  const rounds = flag("rounds", 3);
  const parts = Math.max(1, Math.floor(totalMiB / partMiB));
  const data = new Uint8Array(partMiB * 1024 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  console.log(
    `ossup server upload throughput on ${runtime} (${availableParallelism()} cores, ` +
      `${useFetch ? "fetch" : "raw socket"} client): ${parts} parts of ${partMiB} MiB ` +
      `(${parts * partMiB} MiB) per case, median of ${rounds} rounds`,
  );
  const speeds = hashingSpeeds(data);
  console.log(
    "single-thread hashing here: " +
      Object.entries(speeds).map(([k, v]) => `${k} ${v.toFixed(0)} MB/s`).join(", "),
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
  const main = join(root, "lib/server/main.ts");
  const inline = ["--hash-threads", "0"];
  const targets = [
    { name: "sink", file: here, args: ["--sink"] },
    ...(args.includes("--node-sink") && runtime !== "node"
      ? [{ name: "sink node:http", file: here, args: ["--sink", "--engine", "node"] }]
      : []),
    { name: "sink+md5+crc64", file: here, args: ["--sink", "--hash"] },
    { name: "memory", file: main, args: [...serverArgs, "--memory"] },
    ...(args.includes("--inline")
      ? [{ name: "memory inline", file: main, args: [...serverArgs, "--memory", ...inline] }]
      : []),
    { name: "disk", file: main, args: [...serverArgs, "--data", join(dataDir, "threads")] },
    ...(args.includes("--inline")
      ? [{
        name: "disk inline",
        file: main,
        args: [...serverArgs, "--data", join(dataDir, "inline"), ...inline],
      }]
      : []),
  ];
  const samples = new Map<string, number[]>();
  /** CPU seconds spent and bytes moved per target and stream count, over all rounds. */
  const cpu = new Map<
    string,
    { server: number; serverBusiest: number; client: number; clientBusiest: number; bytes: number }
  >();
  let cpuKnown = true;
  const running: { name: string; url: string; child: ChildProcess }[] = [];
  try {
    for (const target of targets) {
      const { url, child } = await startChild(target.file, target.args);
      running.push({ name: target.name, url, child });
      if (!target.name.startsWith("sink")) {
        const { send, close } = await sender(url);
        await send("PUT", undefined, []);
        close();
      }
      // A short warm-up so JIT and buffers are in place.
      await uploadParts(url, data, Math.min(2, parts), 1);
    }
    for (let round = 0; round < rounds; round++) {
      for (const streams of [1, 4]) {
        for (const { name, url, child } of running) {
          const serverBefore = await cpuTimes(child.pid);
          const clientBefore = await cpuTimes(g.process.pid);
          const mbps = await uploadParts(url, data, parts, streams);
          const client = cpuUsed(clientBefore, await cpuTimes(g.process.pid));
          const server = cpuUsed(serverBefore, await cpuTimes(child.pid));
          const id = `${name}\t${streams}`;
          samples.set(id, [...(samples.get(id) ?? []), mbps]);
          if (!client || !server) cpuKnown = false;
          const sum = cpu.get(id) ??
            { server: 0, serverBusiest: 0, client: 0, clientBusiest: 0, bytes: 0 };
          sum.server += server?.total ?? 0;
          sum.serverBusiest += server?.busiest ?? 0;
          sum.client += client?.total ?? 0;
          sum.clientBusiest += client?.busiest ?? 0;
          sum.bytes += data.byteLength * parts;
          cpu.set(id, sum);
        }
      }
    }
  } finally {
    for (const { child } of running) await stopChild(child);
    await rm(dataDir, { recursive: true, force: true });
  }

  // CPU per GB (10^9 bytes) is what each side costs whatever else the machine runs. On an
  // otherwise idle machine with `cores` cores, throughput is at most 1 / (the busiest thread's
  // s/B) — a thread runs on one core — and cores / (all threads' s/B, server and client): the
  // "CPU bound" column, which other load on the machine does not skew.
  const cores = availableParallelism();
  console.log("");
  console.log(
    "target          streams   MB/s (median)  vs sink   CPU s/GB: server (busiest thread)" +
      "  client (busiest)   CPU bound MB/s  vs sink   samples",
  );
  for (const streams of [1, 4]) {
    const bound = (name: string) => {
      const c = cpu.get(`${name}\t${streams}`)!;
      const gb = c.bytes / 1e9;
      const perByte = Math.max(
        c.serverBusiest / gb,
        c.clientBusiest / gb,
        (c.server + c.client) / gb / cores,
      );
      return 1000 / perByte;
    };
    const sink = median(samples.get(`sink\t${streams}`)!);
    for (const { name } of targets) {
      const id = `${name}\t${streams}`;
      const values = samples.get(id)!;
      const mbps = median(values);
      const ratio = (x: number, of: number) => `${((x / of) * 100).toFixed(0)}%`;
      const c = cpu.get(id)!;
      const gb = c.bytes / 1e9;
      const cpuText = cpuKnown
        ? `${(c.server / gb).toFixed(2).padStart(8)} (${(c.serverBusiest / gb).toFixed(2)})`.padEnd(
          33,
        ) +
          `${(c.client / gb).toFixed(2).padStart(7)} (${(c.clientBusiest / gb).toFixed(2)})`.padEnd(
            18,
          ) +
          `${bound(name).toFixed(0).padStart(15)} ${ratio(bound(name), bound("sink")).padStart(8)}`
        : "n/a (no /proc)".padEnd(75);
      console.log(
        `${name.padEnd(15)} ${String(streams).padStart(7)} ${mbps.toFixed(0).padStart(15)} ` +
          `${ratio(mbps, sink).padStart(8)} ${cpuText}   ${
            values.map((v) => v.toFixed(0)).join(" ")
          }`,
      );
    }
  }
}

if (args.includes("--sink")) {
  const i = args.indexOf("--engine");
  await runSink(args.includes("--hash"), i >= 0 && args[i + 1] === "node" ? "node" : "native");
} else if (args.includes("--url")) {
  await benchUrl(args[args.indexOf("--url") + 1]);
} else {
  await bench();
}
