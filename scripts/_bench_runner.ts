/**
 * The process machinery of the benchmarks (scripts/bench_upload.ts, scripts/bench_wan.ts): the
 * local server in its own Deno process, one fresh process per client run with its peak RSS
 * polled, clients compiled for plain Node, and the random test file with its CRC64.
 *
 * @module
 */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";
import { randomFillSync } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Crc64 } from "../lib/crc64/crc64.ts";
import type { ClientReport } from "./_bench_proc.ts";

/** The repository. */
export const root: string = join(fileURLToPath(import.meta.url), "..", "..");
const KiB = 1024;
const MiB = 1024 * KiB;
/** The credentials the benchmarks' server accepts. */
export const ACCESS_KEY_ID = "bench-ak";
/** The secret of {@linkcode ACCESS_KEY_ID}. */
export const ACCESS_KEY_SECRET = "bench-secret-key";

// ---------------------------------------------------------------------------------------------
// Processes

/** Every child process started and not yet ended: killed on cleanup. */
export const children: Set<ChildProcess> = new Set<ChildProcess>();

export function binary(name: "deno" | "bun"): string {
  const local = join(root, "node_modules", ".bin", name);
  return existsSync(local) ? local : name;
}

/**
 * Compiles a client script and the ossup code it imports into one ES module for plain Node
 * (packages such as ali-oss stay imports), under node_modules/.cache so that Node resolves them.
 * The file is this process's own (its pid in the name) and removed when it exits: a fixed name
 * was rewritten in place by any other bench run, and checkouts that hard-link one node_modules
 * (`cp -al`) then ran each other's code.
 */
export function compileForNode(script: string): string {
  const out = join(
    root,
    "node_modules",
    ".cache",
    "ossup-bench",
    `${basename(script, ".ts")}-${process.pid}.mjs`,
  );
  if (!compiled.has(out)) {
    compiled.add(out);
    if (compiled.size === 1) {
      process.on("exit", () => {
        for (const file of compiled) rmSync(file, { force: true });
      });
    }
  }
  const esbuild = join(root, "node_modules", ".bin", "esbuild");
  execFileSync(esbuild, [
    script,
    "--bundle",
    "--platform=node",
    "--format=esm",
    "--target=node20",
    "--packages=external",
    "--log-level=warning",
    `--outfile=${out}`,
  ], { stdio: "inherit" });
  return out;
}

/** The modules compileForNode wrote, removed when this process exits. */
const compiled = new Set<string>();

/** VmHWM of a running process in KiB, or undefined once it is gone. */
export function readPeakRss(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the server and waits for its URL on the first stdout line. */
export async function startServer(
  dataDir: string | undefined,
  extraArgs: string[] = [],
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(binary("deno"), [
    "run",
    "-A",
    join(root, "lib/server/main.ts"),
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    ...(dataDir ? ["--data", dataDir] : ["--memory"]),
    "--access-key-id",
    ACCESS_KEY_ID,
    "--access-key-secret",
    ACCESS_KEY_SECRET,
    ...extraArgs,
  ], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once(
      "exit",
      (code) => reject(new Error(`the server exited with ${code} before listening`)),
    );
  });
  lines.on("line", () => {}); // keep draining
  const url = /http:\/\/[^\s]+/.exec(first)?.[0]?.replace(/\/$/, "");
  if (!url) throw new Error(`no URL in the server's first line: ${first}`);
  return { url, child };
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** Runs one client process to its end, polling its peak RSS; returns its report. */
export async function runClient(
  cmd: string,
  args: string[],
  timeoutMs: number,
): Promise<ClientReport> {
  const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => stdout += d);
  child.stderr!.on("data", (d) => stderr += d);
  let polled = 0;
  const poll = setInterval(() => {
    const kib = child.pid === undefined ? undefined : readPeakRss(child.pid);
    if (kib !== undefined && kib > polled) polled = kib;
  }, 50);
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (c) => resolve(c));
  }).finally(() => {
    clearInterval(poll);
    clearTimeout(timer);
    children.delete(child);
  });
  const line = stdout.trim().split("\n").pop() ?? "";
  if (code !== 0 || !line.startsWith("{")) {
    throw new Error(`${cmd} ${args.join(" ")} exited with ${code}:\n${stderr}${stdout}`);
  }
  const report = JSON.parse(line) as ClientReport;
  report.peakRssKiB = Math.max(report.peakRssKiB, polled);
  return report;
}

// ---------------------------------------------------------------------------------------------
// The file

/** CRC64 and size of the file at `path`, read in 8 MiB chunks. */
export function fileCrc(path: string): { crc: bigint; size: number } {
  const chunk = new Uint8Array(8 * MiB);
  const crc = new Crc64();
  const fd = openSync(path, "r");
  let size = 0;
  try {
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; size += n) {
      crc.update(chunk.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return { crc: crc.digest(), size };
}

/** Writes `size` random bytes to `path`; returns their CRC64. */
export function writeTestFile(path: string, size: number): bigint {
  const chunk = new Uint8Array(8 * MiB);
  const crc = new Crc64();
  const fd = openSync(path, "w");
  try {
    for (let done = 0; done < size;) {
      const n = Math.min(chunk.length, size - done);
      const piece = chunk.subarray(0, n);
      randomFillSync(piece);
      crc.update(piece);
      for (let off = 0; off < n;) off += writeSync(fd, piece, off, n - off);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return crc.digest();
}

// ---------------------------------------------------------------------------------------------
// Reporting

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", timeout: 30_000 }).trim().split("\n")[0];
  } catch {
    return "?";
  }
}

/** What one client run moves: the flags of `clientArgs` in `_bench_proc.ts`. */
export interface ClientRun {
  bucket: string;
  key: string;
  file: string;
  /** Bytes, `auto` or `default`. */
  partSize: number | string;
  /** A count, `auto` or `default`. */
  routines: number | string;
  copyFrom?: string;
  download?: boolean;
}

/**
 * The command-line flags of one client run, with the benchmarks' credentials, and the leftovers
 * of an earlier run beside `file` removed (checkpoints and temporary files): each run starts anew.
 */
export function clientRunFlags(run: ClientRun): string[] {
  for (const leftover of [".cp", ".temp", ".ossup-download", ".ossup-download.cp"]) {
    rmSync(run.file + leftover, { force: true });
  }
  return [
    "--ak",
    ACCESS_KEY_ID,
    "--sk",
    ACCESS_KEY_SECRET,
    "--bucket",
    run.bucket,
    "--key",
    run.key,
    "--file",
    run.file,
    "--part-size",
    String(run.partSize),
    "--routines",
    String(run.routines),
    ...(run.copyFrom === undefined ? [] : ["--copy-from", run.copyFrom]),
    ...(run.download ? ["--download"] : []),
  ];
}
