/**
 * Processes of the reliability campaign (scripts/soak.ts, scripts/load.ts):
 * the local server with a data directory and fault injection, restartable on
 * the same port; upload clients on Deno, Bun or Node; the server's control
 * route; and what /proc says about a process (resident set, open fds).
 * Everything listens on and talks to 127.0.0.1 only.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { FAULTS_CONTROL_HEADER, FAULTS_CONTROL_PATH } from "../lib/server/faults.ts";
import type { FaultRule, FaultStats } from "../lib/server/faults.ts";

/** The repository root. */
export const ROOT: string = join(fileURLToPath(import.meta.url), "..", "..");

/** A runtime that runs the TypeScript sources directly. */
export type Runtime = "deno" | "bun" | "node";

/** The runtime running this script. */
export const THIS_RUNTIME: Runtime = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

/**
 * The Deno executable itself: node_modules/.bin/deno is a Node wrapper that
 * spawns it, and a SIGKILL to the wrapper would leave Deno running.
 */
function denoBinary(): string {
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  if (deno) return deno.execPath();
  const real = join(ROOT, "node_modules", "deno", "deno");
  return existsSync(real) ? real : join(ROOT, "node_modules", ".bin", "deno");
}

/** The command that runs `file` on `runtime` with `args`. */
export function runtimeCommand(runtime: Runtime, file: string, args: string[]): [string, string[]] {
  if (runtime === "deno") return [denoBinary(), ["run", "-A", file, ...args]];
  if (runtime === "bun") return [join(ROOT, "node_modules", ".bin", "bun"), ["run", file, ...args]];
  return [THIS_RUNTIME === "node" ? process.execPath : "node", ["--import", "tsx", file, ...args]];
}

/** Credentials of the campaign's server: test keys, never real ones. */
export const CAMPAIGN_CREDENTIALS = {
  accessKeyId: "campaign-ak",
  accessKeySecret: "campaign-secret-key",
  region: "cn-hangzhou",
};

/** Options of {@linkcode CampaignServer}. */
export interface CampaignServerOptions {
  /** The data directory; memory storage when absent. */
  dataDir?: string;
  /** The runtime the server runs on. Default: this script's. */
  runtime?: Runtime;
  /** Token of the fault control route. Default: none (no fault injection). */
  faultsToken?: string;
}

/**
 * The local server in a child process (lib/server/main.ts), on 127.0.0.1.
 * The first start picks a free port; {@linkcode CampaignServer.restart}
 * starts it again on that port and data directory.
 */
export class CampaignServer {
  readonly #o: CampaignServerOptions;
  #child?: ChildProcess;
  #exited?: Promise<void>;
  /** `http://127.0.0.1:PORT`, once started. */
  url = "";
  port = 0;

  constructor(o: CampaignServerOptions) {
    this.#o = o;
  }

  /** The server's process id. */
  get pid(): number {
    return this.#child?.pid ?? -1;
  }

  /** Starts the server (on the port it had, after the first start). */
  async start(): Promise<void> {
    const args = [
      ...(this.#o.dataDir ? ["--data", this.#o.dataDir] : ["--memory"]),
      "--port",
      String(this.port),
      "--access-key-id",
      CAMPAIGN_CREDENTIALS.accessKeyId,
      "--region",
      CAMPAIGN_CREDENTIALS.region,
      ...(this.#o.faultsToken ? ["--faults-token", this.#o.faultsToken] : []),
    ];
    const [cmd, cmdArgs] = runtimeCommand(
      this.#o.runtime ?? THIS_RUNTIME,
      join(ROOT, "lib/server/main.ts"),
      args,
    );
    const child = spawn(cmd, cmdArgs, {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: clientEnv(),
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (s: string) => stderr = (stderr + s).slice(-4000));
    const lines = createInterface({ input: child.stdout! });
    const url = await new Promise<string>((resolve, reject) => {
      lines.once("line", (line) => {
        const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
        if (m) resolve(m[0]);
        else reject(new Error(`the server said ${JSON.stringify(line)}`));
      });
      child.once("exit", (code) => reject(new Error(`the server exited (${code}): ${stderr}`)));
    });
    lines.on("line", () => {}); // keep draining stdout
    this.url = url;
    this.port = Number(new URL(url).port);
  }

  /** SIGKILLs the server and waits until it is gone. */
  async kill(): Promise<void> {
    this.#child?.kill("SIGKILL");
    await this.#exited;
  }

  /** SIGKILLs the server, then starts it again on the same port and data directory. */
  async restart(): Promise<void> {
    await this.kill();
    // The port was ours a moment ago; a socket in TIME_WAIT does not stop a listener.
    await this.start();
  }

  /** Stops the server with SIGTERM and waits until it is gone. */
  async stop(): Promise<void> {
    this.#child?.kill("SIGTERM");
    await this.#exited;
  }
}

/** The fault control route of a server started with a faults token. */
export class FaultControl {
  readonly #server: CampaignServer;
  readonly #token: string;

  constructor(server: CampaignServer, token: string) {
    this.#server = server;
    this.#token = token;
  }

  async #call(method: string, body?: unknown): Promise<unknown> {
    const res = await fetch(this.#server.url + FAULTS_CONTROL_PATH, {
      method,
      headers: { [FAULTS_CONTROL_HEADER]: this.#token, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) {
      throw new Error(`${method} ${FAULTS_CONTROL_PATH}: ${res.status} ${await res.text()}`);
    }
    return res.status === 204 ? undefined : await res.json();
  }

  /** Adds a rule. */
  async add(rule: FaultRule): Promise<void> {
    await this.#call("POST", rule);
  }

  /** The counts since the last {@linkcode FaultControl.clear} (or server start). */
  async stats(): Promise<FaultStats> {
    return ((await this.#call("GET")) as { stats: FaultStats }).stats;
  }

  /** Removes every rule and resets the counts. */
  async clear(): Promise<void> {
    await this.#call("DELETE");
  }
}

/** Resident set (VmRSS) of a process in KiB, from /proc; -1 when unknown. */
export function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : -1;
  } catch {
    return -1;
  }
}

/** Open file descriptors of a process, from /proc; -1 when unknown. */
export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/** The environment of a client process: the campaign's secret in `OSSUP_ACCESS_KEY_SECRET`. */
export function clientEnv(): Record<string, string | undefined> {
  return { ...process.env, OSSUP_ACCESS_KEY_SECRET: CAMPAIGN_CREDENTIALS.accessKeySecret };
}

/** What a client process did: its output lines, stderr and how it ended. */
export interface ClientRun {
  /** Exit code, or `null` when killed by a signal. */
  code: number | null;
  /** The `done` line's result, when it finished. */
  result?: Record<string, unknown>;
  /** The last lines of stderr. */
  stderr: string;
}

/** A running upload client (scripts/_soak_client.ts). */
export interface RunningClient {
  child: ChildProcess;
  /** Settles when the process has exited. */
  finished: Promise<ClientRun>;
}

/** A client script running as a child process. */
export interface ScriptProcess {
  child: ChildProcess;
  /** Settles when the process has exited: its exit code (`null` when killed) and last stderr. */
  exited: Promise<{ code: number | null; stderr: string }>;
}

/**
 * Runs `script` (under scripts/) on `runtime` with `job` as its JSON
 * argument and the campaign's secret in its environment, calling `onLine`
 * with every line it prints.
 */
export function spawnScript(
  runtime: Runtime,
  script: string,
  job: Record<string, unknown>,
  onLine: (line: string) => void,
): ScriptProcess {
  const [cmd, args] = runtimeCommand(runtime, join(ROOT, "scripts", script), [
    JSON.stringify(job),
  ]);
  const child = spawn(cmd, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: clientEnv(),
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (s: string) => stderr = (stderr + s).slice(-2000));
  createInterface({ input: child.stdout! }).on("line", onLine);
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once("close", (code) => resolve({ code, stderr: stderr.trim() }))
  );
  return { child, exited };
}

/**
 * Starts scripts/_soak_client.ts on `runtime` with `job`, calling `onPart`
 * with the parts done after every finished part.
 */
export function startClient(
  runtime: Runtime,
  job: Record<string, unknown>,
  onPart: (done: number, total: number) => void = () => {},
): RunningClient {
  let result: Record<string, unknown> | undefined;
  const { child, exited } = spawnScript(runtime, "_soak_client.ts", job, (line) => {
    const part = /^part (\d+)\/(\d+)$/.exec(line);
    if (part) onPart(Number(part[1]), Number(part[2]));
    else if (line.startsWith("done ")) result = JSON.parse(line.slice(5));
  });
  return { child, finished: exited.then(({ code, stderr }) => ({ code, result, stderr })) };
}

/** A seeded pseudo-random generator (mulberry32): the same seed, the same workload. */
export class Random {
  #s: number;

  constructor(seed: number) {
    this.#s = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** `length` pseudo-random bytes. */
  bytes(length: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(length);
    const words = new Uint32Array(out.buffer, 0, length >>> 2);
    let x = (this.int(1, 0x7fffffff) | 1) >>> 0;
    for (let i = 0; i < words.length; i++) {
      // xorshift32: fast enough for tens of MiB.
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x >>> 0;
    }
    for (let i = words.length * 4; i < length; i++) out[i] = this.int(0, 255);
    return out;
  }
}

/** Reads `--name value` / `--name=value` flags; `undefined` when absent. */
export function flagValue(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1];
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
  }
  return undefined;
}

/** A numeric flag, checked: `fallback` when absent. */
export function numberFlag(args: string[], name: string, fallback: number): number {
  const raw = flagValue(args, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    throw new RangeError(`--${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** The runtime list of `--runtimes deno,bun,node`. */
export function runtimesFlag(args: string[], fallback: Runtime[]): Runtime[] {
  const raw = flagValue(args, "runtimes");
  if (raw === undefined) return fallback;
  const list = raw.split(",").filter((r) => r !== "");
  for (const r of list) {
    if (r !== "deno" && r !== "bun" && r !== "node") {
      throw new RangeError(`--runtimes takes deno, bun and node, got ${JSON.stringify(r)}`);
    }
  }
  return list as Runtime[];
}
